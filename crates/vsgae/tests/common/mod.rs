//! Finding `../shared` beside the checkout. Tests that need it skip with a message where it is
//! absent, except under `CI=true`, where its absence is a failure.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder, or `None` (after saying so) where it is absent outside CI.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("VSGAE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() && dir.join("fixtures").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true but the shared data folder {} is missing",
        dir.display()
    );
    eprintln!("skipping: the shared data folder {} is missing", dir.display());
    None
}

/// A file under the shared folder, read whole.
pub fn read_shared(relative: &str) -> Option<Vec<u8>> {
    let path = shared_dir()?.join(relative);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}
