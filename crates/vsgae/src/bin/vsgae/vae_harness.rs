//! How a `train-vae` run checkpoints inside epochs and measures its learning curve. A run keeps
//! these settings in its folder (`harness.json`), so `--resume` goes on as the run began; a flag
//! given to the resume replaces the saved value from then on.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use vsgae::io::checkpoint::{read_json, write_json};

/// The harness's file in a run's folder.
const HARNESS_FILE: &str = "harness.json";

/// The harness's flags; each one left out takes the resumed run's value, or its default.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HarnessArgs {
    /// Also checkpoint every this many steps inside an epoch (0: only between epochs), so a
    /// killed run on the whole search space loses at most that many steps [default: 0].
    #[arg(long)]
    checkpoint_steps: Option<usize>,
    /// Every this many steps, measure the model on fixed held-out cells (reconstruction,
    /// sampled and greedy, and prior validity) into metrics.jsonl; 0 never [default: 0].
    #[arg(long)]
    evaluate_every: Option<usize>,
    /// Held-out cells of the measurement (the first ones of the test split) [default: 200].
    #[arg(long)]
    curve_cells: Option<usize>,
    /// Sampled decodings of each held-out cell [default: 5].
    #[arg(long)]
    curve_samples: Option<usize>,
    /// Prior points decoded for validity [default: 200].
    #[arg(long)]
    curve_prior_points: Option<usize>,
    /// Redraw reconstruction against graphs seen into this PNG after each measurement (the
    /// path as given, relative to where the command runs).
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// A run's harness, as saved in its folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Harness {
    pub checkpoint_steps: usize,
    pub evaluate_every: usize,
    pub curve_cells: usize,
    pub curve_samples: usize,
    pub curve_prior_points: usize,
    pub plot: Option<PathBuf>,
}

impl Default for Harness {
    fn default() -> Self {
        Self {
            checkpoint_steps: 0,
            evaluate_every: 0,
            curve_cells: 200,
            curve_samples: 5,
            curve_prior_points: 200,
            plot: None,
        }
    }
}

impl HarnessArgs {
    /// The harness of the run in `dir`: the flags given, else (when `resuming`) what the run
    /// saved, else the defaults. Saved back into `dir` for the next resume.
    pub fn resolve(&self, dir: &Path, resuming: bool) -> anyhow::Result<Harness> {
        let file = dir.join(HARNESS_FILE);
        // Runs from before the harness was saved have no file: they resume with the defaults.
        let saved = if resuming && file.exists() { read_json::<Harness>(&file)? } else { Harness::default() };
        let harness = Harness {
            checkpoint_steps: self.checkpoint_steps.unwrap_or(saved.checkpoint_steps),
            evaluate_every: self.evaluate_every.unwrap_or(saved.evaluate_every),
            curve_cells: self.curve_cells.unwrap_or(saved.curve_cells),
            curve_samples: self.curve_samples.unwrap_or(saved.curve_samples),
            curve_prior_points: self.curve_prior_points.unwrap_or(saved.curve_prior_points),
            plot: self.plot.clone().or(saved.plot),
        };
        write_json(&file, &harness)?;
        Ok(harness)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_keeps_the_saved_harness_unless_a_flag_replaces_it() {
        let dir = tempfile::tempdir().unwrap();
        let started = HarnessArgs { checkpoint_steps: Some(300), evaluate_every: Some(600), ..Default::default() };
        let first = started.resolve(dir.path(), false).unwrap();
        assert_eq!((first.checkpoint_steps, first.evaluate_every, first.curve_cells), (300, 600, 200));
        let kept = HarnessArgs::default().resolve(dir.path(), true).unwrap();
        assert_eq!(kept, first, "a bare --resume keeps the run's harness");
        let changed = HarnessArgs { evaluate_every: Some(0), ..Default::default() }.resolve(dir.path(), true).unwrap();
        assert_eq!((changed.checkpoint_steps, changed.evaluate_every), (300, 0));
        let fresh = HarnessArgs::default().resolve(dir.path(), false).unwrap();
        assert_eq!(fresh, Harness::default(), "a new run in an old folder starts from the defaults");
    }
}
