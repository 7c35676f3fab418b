//! What the workspace's tests and benchmarks share: the shared data folder (`../shared` beside
//! the checkout: real NAS-Bench-101 data and the PyTorch reference's fixtures).
//!
//! Where it is absent, tests say so and skip; under `CI=true` its absence is an error, because
//! CI must run every test.

use std::path::{Path, PathBuf};

/// The shared data folder: `VSGAE_SHARED_DIR` where set, else `../shared` beside the checkout.
///
/// `Ok(None)` where it is absent; an error where it is absent and `CI=true`.
pub fn shared_dir() -> Result<Option<PathBuf>, String> {
    let dir = std::env::var_os("VSGAE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    locate(&dir, std::env::var("CI").as_deref() == Ok("true"))
}

/// `dir` where it holds the shared data; otherwise `Ok(None)`, or an error under CI.
fn locate(dir: &Path, ci: bool) -> Result<Option<PathBuf>, String> {
    if dir.join("data").is_dir() && dir.join("fixtures").is_dir() {
        Ok(Some(dir.to_owned()))
    } else if ci {
        Err(format!("CI=true but the shared data folder {} is missing", dir.display()))
    } else {
        Ok(None)
    }
}

/// The shared data folder for a test: `None` (after saying so) where it is absent outside CI;
/// a panic under CI.
pub fn shared_dir_or_skip() -> Option<PathBuf> {
    let dir = shared_dir().unwrap_or_else(|error| panic!("{error}"));
    if dir.is_none() {
        eprintln!("skipping: the shared data folder is missing");
    }
    dir
}

/// A file under the shared folder, read whole (`None` where the folder is absent outside CI).
pub fn read_shared(relative: &str) -> Option<Vec<u8>> {
    let path = shared_dir_or_skip()?.join(relative);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_skipped_outside_ci_and_an_error_under_it() {
        let missing = Path::new("/nonexistent/shared");
        assert_eq!(locate(missing, false), Ok(None));
        let error = locate(missing, true).expect_err("CI needs the shared data");
        assert!(error.contains("/nonexistent/shared"), "{error}");
    }

    #[test]
    fn a_folder_with_data_and_fixtures_is_found() {
        let dir = std::env::temp_dir().join(format!("test-support-{}", std::process::id()));
        for sub in ["data", "fixtures"] {
            std::fs::create_dir_all(dir.join(sub)).expect("a temporary folder");
        }
        assert_eq!(locate(&dir, true), Ok(Some(dir.clone())));
        std::fs::remove_dir_all(&dir).expect("removed");
    }
}
