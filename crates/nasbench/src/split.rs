//! The reference's train/test/validation splits, seeded and reproducible.

use std::fmt;
use std::str::FromStr;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::cell::{Cell, MAX_VERTICES};

/// Indices into a list of cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Indices of the training part.
    pub train: Vec<usize>,
    /// Indices of the test part.
    pub test: Vec<usize>,
    /// Indices of the validation part.
    pub validation: Vec<usize>,
}

/// Which cells are trained on and which are predicted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// The reference's 70/20/10 train/test/validation split of all cells.
    #[default]
    Interpolation,
    /// Train on cells of at most 5 vertices, test on cells of 6.
    Extrapolation6,
    /// Train on cells of at most 6 vertices, test on cells of 7.
    Extrapolation7,
    /// Train on every cell but a seeded 10 % that validates, with no test part: a predictor to
    /// use rather than to study (the Python package's `Predictor.fit`).
    All,
}

/// A task name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown task {0:?} (expected interpolation, extrapolation6, extrapolation7 or all)")]
pub struct UnknownTask(pub String);

impl Task {
    /// Every task.
    pub const ALL: [Self; 4] = [Self::Interpolation, Self::Extrapolation6, Self::Extrapolation7, Self::All];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interpolation => "interpolation",
            Self::Extrapolation6 => "extrapolation6",
            Self::Extrapolation7 => "extrapolation7",
            Self::All => "all",
        }
    }

    /// Splits the cells for this task.
    pub fn split(self, cells: &[Cell], seed: u64) -> Split {
        match self {
            Self::Interpolation => interpolation_split(cells.len(), seed),
            Self::Extrapolation6 => extrapolation_split(cells, 5, seed),
            Self::Extrapolation7 => extrapolation_split(cells, 6, seed),
            Self::All => extrapolation_split(cells, MAX_VERTICES, seed),
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Task {
    type Err = UnknownTask;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.name() == s.trim()).ok_or_else(|| UnknownTask(s.to_owned()))
    }
}

/// The reproducible random generator every seeded step of this crate uses.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Shuffles `0..count` with the seed and cuts it 70 % train, 20 % test, 10 % validation
/// (each rounded; validation takes the rest).
pub fn interpolation_split(count: usize, seed: u64) -> Split {
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(&mut rng(seed));
    let train = (count as f64 * 0.7).round() as usize;
    let test = ((count as f64 * 0.2).round() as usize).min(count - train);
    let validation = order.split_off(train + test);
    let test = order.split_off(train);
    Split { train: order, test, validation }
}

/// Trains on cells of at most `max_train_vertices` vertices (90 %, the other 10 % validate)
/// and tests on every cell with one vertex more.
pub fn extrapolation_split(cells: &[Cell], max_train_vertices: usize, seed: u64) -> Split {
    let mut small: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].n_vertices() <= max_train_vertices).collect();
    let test = (0..cells.len()).filter(|&i| cells[i].n_vertices() == max_train_vertices + 1).collect();
    small.shuffle(&mut rng(seed));
    let train = (small.len() as f64 * 0.9).round() as usize;
    let validation = small.split_off(train);
    Split { train: small, test, validation }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::enumerate_vertices;
    use std::collections::HashSet;

    #[test]
    fn interpolation_is_a_seeded_70_20_10_partition() {
        let split = interpolation_split(1000, 7);
        assert_eq!((split.train.len(), split.test.len(), split.validation.len()), (700, 200, 100));
        let all: HashSet<usize> = split.train.iter().chain(&split.test).chain(&split.validation).copied().collect();
        assert_eq!(all.len(), 1000);
        assert_eq!(interpolation_split(1000, 7), split);
        assert_ne!(interpolation_split(1000, 8), split);
        let tiny = interpolation_split(3, 0);
        assert_eq!(tiny.train.len() + tiny.test.len() + tiny.validation.len(), 3);
    }

    #[test]
    fn extrapolation_tests_on_the_next_size_only() {
        let cells: Vec<Cell> = (2..=6).flat_map(enumerate_vertices).map(|c| c.cell).collect();
        let split = Task::Extrapolation6.split(&cells, 1);
        assert!(split.train.iter().chain(&split.validation).all(|&i| cells[i].n_vertices() <= 5));
        assert!(split.test.iter().all(|&i| cells[i].n_vertices() == 6));
        assert_eq!(split.test.len(), 62_010);
        assert_eq!(split.train.len() + split.validation.len(), 1 + 6 + 84 + 2_441);
        assert_eq!("extrapolation7".parse::<Task>(), Ok(Task::Extrapolation7));
        assert!("extrapolation8".parse::<Task>().is_err());
    }

    #[test]
    fn all_trains_on_ninety_percent_and_tests_on_nothing() {
        let cells: Vec<Cell> = (2..=5).flat_map(enumerate_vertices).map(|c| c.cell).collect();
        let split = Task::All.split(&cells, 3);
        assert!(split.test.is_empty());
        assert_eq!(split.train.len(), (cells.len() as f64 * 0.9).round() as usize);
        let all: HashSet<usize> = split.train.iter().chain(&split.validation).copied().collect();
        assert_eq!(all.len(), cells.len());
        assert_eq!("all".parse::<Task>(), Ok(Task::All));
    }
}
