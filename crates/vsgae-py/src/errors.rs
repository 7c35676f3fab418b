//! Errors, mapped to Python's exceptions in one place: bad input is `ValueError`, a missing file
//! `FileNotFoundError`, anything else `RuntimeError`, each with the library's message.

use pyo3::exceptions::{PyFileNotFoundError, PyRuntimeError, PyValueError};
use pyo3::{PyErr, Python};

/// Why a call failed, by the Python exception it becomes.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input the call cannot use (`ValueError`).
    #[error("{0}")]
    BadInput(String),
    /// A file or folder that is not there (`FileNotFoundError`).
    #[error("{0}")]
    MissingFile(String),
    /// The computation failed (`RuntimeError`).
    #[error("{0}")]
    Failed(String),
    /// An exception raised in Python during the call, such as `KeyboardInterrupt`.
    #[error("{0}")]
    Python(PyErr),
}

/// The result of a call into the library.
pub type Result<T> = std::result::Result<T, Error>;

impl From<Error> for PyErr {
    fn from(error: Error) -> Self {
        match error {
            Error::BadInput(message) => PyValueError::new_err(message),
            Error::MissingFile(message) => PyFileNotFoundError::new_err(message),
            Error::Failed(message) => PyRuntimeError::new_err(message),
            Error::Python(error) => error,
        }
    }
}

impl From<nasbench::CellError> for Error {
    fn from(error: nasbench::CellError) -> Self {
        Self::BadInput(error.to_string())
    }
}

impl From<nasbench::formats::FileError> for Error {
    fn from(error: nasbench::formats::FileError) -> Self {
        match &error.error {
            nasbench::formats::FormatError::Io(io) if io.kind() == std::io::ErrorKind::NotFound => {
                Self::MissingFile(error.to_string())
            }
            nasbench::formats::FormatError::Io(_) => Self::Failed(error.to_string()),
            _ => Self::BadInput(error.to_string()),
        }
    }
}

impl From<vsgae::io::model_files::ModelFileError> for Error {
    fn from(error: vsgae::io::model_files::ModelFileError) -> Self {
        use vsgae::io::model_files::ModelFileError;
        match error {
            ModelFileError::Read { .. } | ModelFileError::Write { .. } => Self::Failed(error.to_string()),
            ModelFileError::Config { .. } | ModelFileError::Weights { .. } => Self::BadInput(error.to_string()),
        }
    }
}

impl From<vsgae::readback::ReadbackError> for Error {
    fn from(error: vsgae::readback::ReadbackError) -> Self {
        Self::Failed(error.to_string())
    }
}

impl From<vsgae::search::SearchError> for Error {
    fn from(error: vsgae::search::SearchError) -> Self {
        use vsgae::search::SearchError;
        match error {
            SearchError::Pool(_) | SearchError::Config(_) | SearchError::Features(_) => {
                Self::BadInput(error.to_string())
            }
            SearchError::Model(_) => Self::Failed(error.to_string()),
        }
    }
}

impl From<vsgae::training::TrainError> for Error {
    fn from(error: vsgae::training::TrainError) -> Self {
        use vsgae::training::TrainError;
        match error {
            TrainError::NoData(_) | TrainError::Sampling(_) => Self::BadInput(error.to_string()),
            _ => Self::Failed(error.to_string()),
        }
    }
}

impl From<vsgae::latent::prior::PriorError> for Error {
    fn from(error: vsgae::latent::prior::PriorError) -> Self {
        Self::BadInput(error.to_string())
    }
}

impl From<vsgae::config::ConfigError> for Error {
    fn from(error: vsgae::config::ConfigError) -> Self {
        Self::BadInput(error.to_string())
    }
}

/// Runs `work` with the GIL released, on a thread of its own, so that Python's other threads
/// run meanwhile and a panic in the library becomes a `RuntimeError` instead of reaching Python.
pub fn detached<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    py.detach(|| {
        std::thread::scope(|scope| {
            scope.spawn(work).join().unwrap_or_else(|panic| {
                let message = vsgae::parallel::panic_message(panic.as_ref());
                Err(Error::Failed(format!("the library panicked (a bug; please report it): {message}")))
            })
        })
    })
}
