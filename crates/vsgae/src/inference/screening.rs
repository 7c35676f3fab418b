//! Ranking many cells with an ensemble for about the price of one network: the first member
//! predicts every cell (the screen), then the whole ensemble re-predicts the best share of them.
//! The best cells get the ensemble's predictions (with their spread); the others keep the
//! screen's. What it costs against predicting every cell with every member is in docs/speed.md.

use burn::tensor::Device;
use nasbench::Cell;
use serde::{Deserialize, Serialize};

use super::prediction::{Prediction, predict_with_spread};
use crate::model::predictor::Predictor;
use crate::readback::ReadbackError;

/// How much of a screened set the whole ensemble re-predicts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Screening {
    /// The share of the cells, best first by the screen, that the ensemble re-predicts.
    pub share: f64,
}

impl Default for Screening {
    fn default() -> Self {
        Self { share: 0.02 }
    }
}

impl Screening {
    /// The network that screens: the first member, under the ensemble's calibration. `None` for
    /// a single network, which has nothing to save.
    pub fn screen(model: &Predictor) -> Option<Predictor> {
        if model.members.len() < 2 {
            return None;
        }
        let mut screen = model.subset(&[0]).ok()?;
        screen.calibration = model.calibration;
        Some(screen)
    }

    /// The positions, best first, of the cells the ensemble re-predicts: the best `share` of
    /// them by the screen's predictions, and at least the best `top`.
    pub fn candidates(&self, screened: &[Prediction], top: usize) -> Vec<usize> {
        let wanted = ((self.share.clamp(0.0, 1.0) * screened.len() as f64).ceil() as usize).max(top);
        let mut order: Vec<usize> = (0..screened.len()).collect();
        order.sort_unstable_by(|&a, &b| screened[b].mean.total_cmp(&screened[a].mean));
        order.truncate(wanted);
        order
    }

    /// Puts the ensemble's predictions of `candidates` in place of the screen's.
    pub fn merge(screened: &mut [Prediction], candidates: &[usize], rescored: Vec<Prediction>) {
        for (&position, prediction) in candidates.iter().zip(rescored) {
            screened[position] = prediction;
        }
    }

    /// Every cell's prediction, screened (see the module); also how many cells the ensemble
    /// re-predicted (all of them for a single network). Predicts on every core.
    pub fn predict(
        &self,
        model: &Predictor,
        cells: &[Cell],
        top: usize,
        device: &Device,
    ) -> Result<(Vec<Prediction>, usize), ReadbackError> {
        crate::readback::block_on(Self::rank(Some(*self), model, cells, top, |model, cells, _| async move {
            predict_with_spread(&model, &cells, device)
        }))
    }

    /// The sequence of a ranking, with `predict(network, cells, phase)` making the predictions
    /// (the CLI on every core; the app in chunks, with progress, and cancellable): with
    /// `screening`, the screen on every cell, then the whole ensemble on the best of them, merged;
    /// without, the whole `model` on every cell. Every cell's prediction in order, and how many
    /// the whole ensemble predicted; `predict`'s error where it gave up.
    pub async fn rank<E, F, Fut>(
        screening: Option<Self>,
        model: &Predictor,
        cells: &[Cell],
        top: usize,
        mut predict: F,
    ) -> Result<(Vec<Prediction>, usize), E>
    where
        F: FnMut(Predictor, Vec<Cell>, Phase) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Prediction>, E>>,
    {
        let Some((screening, screen)) = screening.and_then(|s| Some((s, Self::screen(model)?))) else {
            return Ok((predict(model.clone(), cells.to_vec(), Phase::Everything).await?, cells.len()));
        };
        let mut predictions = predict(screen, cells.to_vec(), Phase::Screen).await?;
        let candidates = screening.candidates(&predictions, top);
        let chosen: Vec<Cell> = candidates.iter().map(|&k| cells[k]).collect();
        let rescored = predict(model.clone(), chosen, Phase::Ensemble).await?;
        Self::merge(&mut predictions, &candidates, rescored);
        Ok((predictions, candidates.len()))
    }
}

/// Which predictions of a ranking are being made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The whole predictor on every cell (no screening).
    Everything,
    /// The screen on every cell.
    Screen,
    /// The whole ensemble on the screen's best cells.
    Ensemble,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn predictions(means: &[f64]) -> Vec<Prediction> {
        means.iter().map(|&mean| Prediction { mean, spread: 0.0, half_widths: None }).collect()
    }

    #[test]
    fn the_best_share_is_chosen_best_first_and_never_fewer_than_top() {
        let screened = predictions(&[0.1, 0.9, 0.5, 0.7, 0.3, 0.8, 0.2, 0.6, 0.4, 0.0]);
        assert_eq!(Screening { share: 0.2 }.candidates(&screened, 1), vec![1, 5]);
        assert_eq!(Screening { share: 0.21 }.candidates(&screened, 1), vec![1, 5, 3], "rounded up");
        assert_eq!(Screening { share: 0.1 }.candidates(&screened, 4), vec![1, 5, 3, 7]);
        assert_eq!(Screening { share: 2.0 }.candidates(&screened, 0).len(), 10);
    }

    #[test]
    fn the_ensemble_replaces_the_screen_where_it_rescored() {
        let mut screened = predictions(&[0.1, 0.9, 0.5]);
        let rescored = vec![Prediction { mean: 0.85, spread: 0.01, half_widths: None }];
        Screening::merge(&mut screened, &[1], rescored);
        assert_eq!(screened[1], Prediction { mean: 0.85, spread: 0.01, half_widths: None });
        assert_eq!(screened[0].mean, 0.1);
    }
}
