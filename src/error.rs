//! What can go wrong on the GUI's side of the app (the compute side has
//! [`crate::compute`]'s own error). Each is shown once, where it is handled: beside the widget
//! that asked, or in the notices.

/// Why something the user asked of the GUI cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    #[error("{0:?} is not a 32-digit hash")]
    NotAHash(String),
    #[error("load a dataset (or the search space) to look up hashes")]
    NoDatasetToSearch,
    #[error("{hash} is not in {dataset}")]
    NotInDataset { hash: String, dataset: String },
    #[error("{0:?} is not a panel (data, train, cell, latent, predict, search)")]
    UnknownPanel(String),
    /// The browser's own words.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    #[error("the browser did not start the download: {0}")]
    Download(String),
}
