//! What the workspace's tests and benchmarks share: the shared data folder (`../shared` beside
//! the checkout: real NAS-Bench-101 data and the PyTorch reference's fixtures).
//!
//! Where it is absent, tests say so and skip; under `CI=true` its absence is an error, because
//! CI must run every test.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Where `scripts/test.sh` asks each skipped test to write a line: the test and why it skipped.
pub const SKIP_LOG_VARIABLE: &str = "VSGAE_SKIP_LOG";

/// The shared data folder is missing under `CI=true`, where every test must run.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("CI=true but the shared data folder {} is missing (it holds data/ and fixtures/)", .dir.display())]
pub struct MissingUnderCi {
    /// Where it was looked for.
    pub dir: PathBuf,
}

/// Where the shared data folder should be: `VSGAE_SHARED_DIR` where set, else `../shared`
/// beside the checkout.
pub fn expected_shared_dir() -> PathBuf {
    std::env::var_os("VSGAE_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The shared data folder: `Ok(None)` where it is absent; an error where it is absent and
/// `CI=true`.
pub fn shared_dir() -> Result<Option<PathBuf>, MissingUnderCi> {
    locate(&expected_shared_dir(), std::env::var("CI").as_deref() == Ok("true"))
}

/// `dir` where it holds the shared data; otherwise `Ok(None)`, or an error under CI.
fn locate(dir: &Path, ci: bool) -> Result<Option<PathBuf>, MissingUnderCi> {
    if dir.join("data").is_dir() && dir.join("fixtures").is_dir() {
        Ok(Some(dir.to_owned()))
    } else if ci {
        Err(MissingUnderCi { dir: dir.to_owned() })
    } else {
        Ok(None)
    }
}

/// The shared data folder for a test: `None` where it is absent outside CI, after saying so
/// and recording the skip ([`record_skip`]); a panic under CI.
///
/// Every test that needs `../shared` asks here, so that a run without it counts its skips.
pub fn shared_dir_or_skip() -> Option<PathBuf> {
    let dir = shared_dir().unwrap_or_else(|error| panic!("{error}"));
    if dir.is_none() {
        record_skip("the shared data folder ../shared is missing (docs/testing.md says what it holds)");
    }
    dir
}

/// Says on stderr that the running test skips, and why; where `VSGAE_SKIP_LOG` names a file
/// (`scripts/test.sh` sets it), appends one line to it, `test<TAB>reason`, so the run can end
/// by counting the skips.
pub fn record_skip(reason: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    eprintln!("skipping {test}: {reason}");
    if let Some(log) = std::env::var_os(SKIP_LOG_VARIABLE) {
        append_skip(Path::new(&log), &test, reason);
    }
}

/// Appends `test<TAB>reason` to the skip log (one short write, so parallel tests' lines stay whole).
fn append_skip(log: &Path, test: &str, reason: &str) {
    let line = format!("{test}\t{reason}\n");
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(error) = written {
        eprintln!("could not record the skip in {}: {error}", log.display());
    }
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
        let error = locate(missing, true).expect_err("CI needs the shared data").to_string();
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

    #[test]
    fn a_skip_is_logged_as_one_line_with_the_test_and_the_reason() {
        let log = std::env::temp_dir().join(format!("test-support-skips-{}", std::process::id()));
        append_skip(&log, "tests::one", "a reason");
        append_skip(&log, "tests::two", "another");
        let text = std::fs::read_to_string(&log).expect("the log");
        std::fs::remove_file(&log).expect("removed");
        assert_eq!(text, "tests::one\ta reason\ntests::two\tanother\n");
    }
}
