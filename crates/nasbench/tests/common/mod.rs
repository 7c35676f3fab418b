//! The shared data folder for these tests (see `nasbench::shared_data`).

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder, or `None` (after saying so) where it is absent outside CI.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = nasbench::shared_data::shared_dir().unwrap_or_else(|error| panic!("{error}"));
    if dir.is_none() {
        eprintln!("skipping: the shared data folder is missing");
    }
    dir
}

/// A file under the shared folder, read whole.
pub fn read_shared(relative: &str) -> Option<Vec<u8>> {
    let path = shared_dir()?.join(relative);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}
