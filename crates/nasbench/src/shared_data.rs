//! Finding the project's shared data folder (`../shared` beside the checkout) for tests and
//! benchmarks. Code that needs it skips where it is absent, except under `CI=true`.

use std::path::PathBuf;

/// The shared data folder: `VSGAE_SHARED_DIR` where set, else `../shared` beside the checkout.
///
/// `Ok(None)` where it is absent (callers skip and say so); an error where it is absent and
/// `CI=true`, because CI must run every test.
pub fn shared_dir() -> Result<Option<PathBuf>, String> {
    let dir = std::env::var_os("VSGAE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    if dir.join("data").is_dir() && dir.join("fixtures").is_dir() {
        Ok(Some(dir))
    } else if std::env::var("CI").as_deref() == Ok("true") {
        Err(format!("CI=true but the shared data folder {} is missing", dir.display()))
    } else {
        Ok(None)
    }
}
