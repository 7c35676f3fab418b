//! Hard-example replay for the VS-GAE ([`crate::config::VsGaeTrainingConfig::replay_share`]):
//! the training cells the decoder got wrong in one epoch are drawn more often in the next.

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::epoch_seed;

/// A teacher-forced decision above this loss is one the decoder gets wrong: an edge scored on
/// the wrong side of ½, or a node type given less than ½ (the greedy decoder may still pick
/// it where no other type has more).
pub const WRONG_DECISION_LOSS: f32 = std::f32::consts::LN_2;

/// The training cells the decoder got wrong: in the last finished epoch, and so far in this one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HardCells {
    /// Got wrong in the last finished epoch, sorted (the ones an epoch replays).
    pub last_epoch: Vec<u32>,
    /// Got wrong so far in the running epoch, in the order seen (possibly repeated).
    pub this_epoch: Vec<u32>,
}

impl HardCells {
    /// Whether nothing is recorded (a run without replay).
    pub fn is_empty(&self) -> bool {
        self.last_epoch.is_empty() && self.this_epoch.is_empty()
    }

    /// Records the cells `items` whose worst decision's loss `worst` marks as wrong.
    pub fn observe(&mut self, items: &[usize], worst: &[f32]) {
        let wrong = items.iter().zip(worst).filter(|&(_, &loss)| loss > WRONG_DECISION_LOSS);
        self.this_epoch.extend(wrong.filter_map(|(&item, _)| u32::try_from(item).ok()));
    }

    /// Ends the epoch: its wrong cells become the ones the next epoch replays.
    pub fn close_epoch(&mut self) {
        let mut wrong = std::mem::take(&mut self.this_epoch);
        wrong.sort_unstable();
        wrong.dedup();
        self.last_epoch = wrong;
    }
}

/// The cells epoch `epoch` (counted from 0) draws, as many as `train` has: `share` of them the
/// last epoch's wrong cells (each as evenly often as the count allows), the rest a seeded draw
/// of the training cells without repeats; all of `train` once where nothing was wrong.
pub fn replay_items(train: &[usize], hard: &HardCells, share: f64, seed: u64, epoch: usize) -> Vec<usize> {
    if hard.last_epoch.is_empty() || share <= 0.0 {
        return train.to_vec();
    }
    let replays = ((train.len() as f64 * share).round() as usize).min(train.len());
    // Its own stream of the seed, apart from the epoch's shuffle and the noise.
    let mut rng = nasbench::split::rng(epoch_seed(seed.wrapping_add(2), epoch));
    let mut items = train.to_vec();
    items.shuffle(&mut rng);
    items.truncate(train.len() - replays);
    let mut wrong: Vec<usize> = hard.last_epoch.iter().map(|&item| item as usize).collect();
    wrong.shuffle(&mut rng);
    items.extend(wrong.iter().cycle().take(replays));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_decisions_above_ln_2_count_and_an_epoch_keeps_each_wrong_cell_once() {
        let mut hard = HardCells::default();
        hard.observe(&[4, 7, 9], &[0.1, 0.8, WRONG_DECISION_LOSS]);
        hard.observe(&[7, 2], &[2.0, 5.0]);
        assert_eq!(hard.this_epoch, vec![7, 7, 2]);
        hard.close_epoch();
        assert_eq!(hard.last_epoch, vec![2, 7]);
        assert!(hard.this_epoch.is_empty());
    }

    #[test]
    fn a_replaying_epoch_keeps_its_length_and_gives_the_wrong_cells_their_share() {
        let train: Vec<usize> = (100..1100).collect();
        let hard = HardCells { last_epoch: vec![100, 105, 999], this_epoch: Vec::new() };
        let items = replay_items(&train, &hard, 0.25, 3, 1);
        assert_eq!(items.len(), train.len());
        assert_eq!(items, replay_items(&train, &hard, 0.25, 3, 1), "seeded");
        assert_ne!(items, replay_items(&train, &hard, 0.25, 3, 2), "each epoch draws anew");
        let replayed = |cell: usize| items.iter().filter(|&&item| item == cell).count();
        // 250 replays over 3 cells (83 or 84 each), plus a draw without repeats of 750 of 1,000.
        for cell in [105, 999, 100] {
            assert!((83..=85).contains(&replayed(cell)), "cell {cell} drawn {} times", replayed(cell));
        }
        assert!(items.iter().all(|item| train.contains(item)));
        let mut fresh: Vec<usize> = items.iter().copied().filter(|item| ![100, 105, 999].contains(item)).collect();
        fresh.sort_unstable();
        fresh.dedup();
        assert!(fresh.len() >= 747, "{} distinct others", fresh.len());
    }

    #[test]
    fn without_wrong_cells_or_share_every_cell_comes_once() {
        let train: Vec<usize> = (0..50).collect();
        assert_eq!(replay_items(&train, &HardCells::default(), 0.3, 1, 4), train);
        let hard = HardCells { last_epoch: vec![3], this_epoch: Vec::new() };
        assert_eq!(replay_items(&train, &hard, 0.0, 1, 4), train);
    }
}
