//! Calibrating a trained predictor on the validation part: members whose predictions do not vary
//! are left out, and an affine map takes the members' mean to the accuracy (least squares).
//!
//! A ranking loss orders cells well but leaves the scale of its outputs loose; the map restores
//! the scale without changing the order (for a positive scale), so Kendall τ stays and the RMSE
//! falls.
//!
//! The ensemble's spread alone says little of a prediction's error; [`fit_intervals`] turns it
//! into intervals that hold the truth as often as they say ([`ConformalIntervals`]).

use crate::config::{Calibration, ConformalIntervals};
use crate::evaluation::metrics::{pearson, ranks};
use crate::inference::{IntervalLevel, Prediction};

/// Below this standard deviation over the validation cells a member predicts one number for all
/// of them: a collapsed network, which tells nothing of the cells and narrows the spread.
pub const CONSTANT_MEMBER_SPREAD: f64 = 1e-6;

/// Whether a member's predictions `values` are one number for every cell.
pub fn is_constant(values: &[f64]) -> bool {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    variance.is_nan() || variance.sqrt() < CONSTANT_MEMBER_SPREAD
}

/// The least-squares `truth ≈ offset + scale · predicted`; `None` where fewer than two cells
/// are given, their lengths differ, or the predictions do not vary ([`is_constant`]).
pub fn fit(predicted: &[f64], truth: &[f64]) -> Option<Calibration> {
    if predicted.len() != truth.len() || predicted.len() < 2 || is_constant(predicted) {
        return None;
    }
    let n = predicted.len() as f64;
    let mean_p = predicted.iter().sum::<f64>() / n;
    let mean_t = truth.iter().sum::<f64>() / n;
    let covariance: f64 = predicted.iter().zip(truth).map(|(p, t)| (p - mean_p) * (t - mean_t)).sum();
    let variance: f64 = predicted.iter().map(|p| (p - mean_p).powi(2)).sum();
    if !covariance.is_finite() {
        return None;
    }
    let scale = covariance / variance;
    Some(Calibration { scale, offset: mean_t - scale * mean_p })
}

/// Split-conformal intervals fitted on calibration cells (`predictions` of them, calibrated,
/// and their `truth`); `None` where fewer than 20 cells are given (too few for a 95 % interval),
/// their lengths differ, or a value is not finite.
pub fn fit_intervals(predictions: &[Prediction], truth: &[f64]) -> Option<ConformalIntervals> {
    let n = predictions.len();
    if n != truth.len() || n < 20 {
        return None;
    }
    let mut spreads: Vec<f64> = predictions.iter().map(|p| p.spread).collect();
    if spreads.iter().chain(truth).any(|v| !v.is_finite()) {
        return None;
    }
    spreads.sort_unstable_by(f64::total_cmp);
    // The median spread keeps a cell whose members agree from a zero-width interval; where the
    // spread is always 0 (one network), the score is the absolute error itself.
    let floor = match spreads[n / 2] {
        median if median > 0.0 => median,
        _ => 1.0,
    };
    let mut scores: Vec<f64> =
        predictions.iter().zip(truth).map(|(p, t)| (t - p.mean).abs() / (p.spread + floor)).collect();
    if scores.iter().any(|s| !s.is_finite()) {
        return None;
    }
    scores.sort_unstable_by(f64::total_cmp);
    // The ⌈(n + 1) L⌉-th smallest score: finite-sample coverage of at least L.
    let quantile = |level: IntervalLevel| scores[(((n + 1) as f64 * level.share()).ceil() as usize).min(n) - 1];
    Some(ConformalIntervals {
        floor,
        scale_50: quantile(IntervalLevel::P50),
        scale_80: quantile(IntervalLevel::P80),
        scale_95: quantile(IntervalLevel::P95),
    })
}

/// The share of cells whose interval at `level` holds their `truth` (`None` where a prediction
/// has no intervals or nothing is given).
pub fn coverage(predictions: &[Prediction], truth: &[f64], level: IntervalLevel) -> Option<f64> {
    if predictions.is_empty() || predictions.len() != truth.len() {
        return None;
    }
    let mut held = 0usize;
    for (p, t) in predictions.iter().zip(truth) {
        let [low, high] = p.interval(level)?;
        held += usize::from(low <= *t && *t <= high);
    }
    Some(held as f64 / predictions.len() as f64)
}

/// How well a predictor's uncertainty tells its errors, on cells with known truth.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct UncertaintyReport {
    /// Cells.
    pub n: usize,
    /// Spearman's correlation of the spread with the absolute error (NaN for one network).
    pub spread_error_spearman: f64,
    /// Share of cells whose absolute error is at most twice their spread.
    pub within_two_spreads: f64,
    /// Share of cells inside their 50 % interval, where the predictor has intervals.
    pub coverage_50: Option<f64>,
    /// Share inside their 80 % interval.
    pub coverage_80: Option<f64>,
    /// Share inside their 95 % interval.
    pub coverage_95: Option<f64>,
    /// Mean width of the 50 % intervals.
    pub mean_width_50: Option<f64>,
    /// Mean width of the 95 % intervals.
    pub mean_width_95: Option<f64>,
}

impl UncertaintyReport {
    /// The report of `predictions` against `truth` (equal lengths, at least one cell).
    pub fn compute(predictions: &[Prediction], truth: &[f64]) -> Option<Self> {
        let n = predictions.len();
        if n == 0 || n != truth.len() {
            return None;
        }
        let errors: Vec<f64> = predictions.iter().zip(truth).map(|(p, t)| (t - p.mean).abs()).collect();
        let spreads: Vec<f64> = predictions.iter().map(|p| p.spread).collect();
        let within = errors.iter().zip(&spreads).filter(|(e, s)| **e <= 2.0 * **s).count();
        let mean_width = |level: IntervalLevel| -> Option<f64> {
            let widths: Option<Vec<f64>> = predictions.iter().map(|p| p.interval(level).map(|[l, h]| h - l)).collect();
            widths.map(|w| w.iter().sum::<f64>() / n as f64)
        };
        Some(Self {
            n,
            spread_error_spearman: pearson(&ranks(&spreads), &ranks(&errors)),
            within_two_spreads: within as f64 / n as f64,
            coverage_50: coverage(predictions, truth, IntervalLevel::P50),
            coverage_80: coverage(predictions, truth, IntervalLevel::P80),
            coverage_95: coverage(predictions, truth, IntervalLevel::P95),
            mean_width_50: mean_width(IntervalLevel::P50),
            mean_width_95: mean_width(IntervalLevel::P95),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Predictions whose errors grow with their spread: `truth = mean + spread · z`.
    fn heteroscedastic(n: usize, seed: u64) -> (Vec<Prediction>, Vec<f64>) {
        use rand::Rng;
        let mut rng = nasbench::split::rng(seed);
        (0..n)
            .map(|_| {
                let spread = rng.random_range(0.001..0.02);
                let z = crate::search::acquisition::standard_normal(&mut rng);
                let mean = rng.random_range(0.8..0.95);
                (Prediction { mean, spread, half_widths: None }, mean + 3.0 * spread * z)
            })
            .unzip()
    }

    #[test]
    fn conformal_intervals_cover_fresh_cells_at_their_levels() {
        let (calibration, truth) = heteroscedastic(2_000, 1);
        let intervals = fit_intervals(&calibration, &truth).unwrap();
        assert!(intervals.scale_50 < intervals.scale_80 && intervals.scale_80 < intervals.scale_95);
        let (test, test_truth) = heteroscedastic(20_000, 2);
        let test: Vec<Prediction> = test.into_iter().map(|p| p.with_intervals(Some(intervals))).collect();
        for (level, low, high) in [(IntervalLevel::P50, 0.48, 0.52), (IntervalLevel::P95, 0.94, 0.96)] {
            let covered = coverage(&test, &test_truth, level).unwrap();
            assert!((low..=high).contains(&covered), "{level:?}: {covered}");
        }
        // The spread matters: a cell with twice the spread gets a wider interval.
        let narrow = Prediction { mean: 0.9, spread: 0.005, half_widths: None }.with_intervals(Some(intervals));
        let wide = Prediction { mean: 0.9, spread: 0.01, half_widths: None }.with_intervals(Some(intervals));
        let width = |p: Prediction| p.interval(IntervalLevel::P95).map(|[l, h]| h - l).unwrap();
        assert!(width(wide) > 1.2 * width(narrow), "{} {}", width(wide), width(narrow));
    }

    #[test]
    fn intervals_are_refused_where_they_cannot_be_fitted() {
        let (predictions, truth) = heteroscedastic(30, 3);
        assert!(fit_intervals(&predictions[..19], &truth[..19]).is_none());
        assert!(fit_intervals(&predictions, &truth[..29]).is_none());
        let mut broken = truth.clone();
        broken[4] = f64::NAN;
        assert!(fit_intervals(&predictions, &broken).is_none());
        assert_eq!(coverage(&predictions, &truth, IntervalLevel::P50), None, "no intervals, no coverage");
        let report = UncertaintyReport::compute(&predictions, &truth).unwrap();
        assert_eq!((report.n, report.coverage_95, report.mean_width_50), (30, None, None));
        assert!(report.spread_error_spearman > 0.0, "errors grow with the spread: {report:?}");
        assert!(UncertaintyReport::compute(&predictions, &truth[..3]).is_none());
    }

    #[test]
    fn the_fit_recovers_an_affine_map_and_refuses_what_it_cannot_fit() {
        let predicted = [0.1, 0.4, 0.5, 0.9];
        let truth: Vec<f64> = predicted.iter().map(|p| 0.3 + 0.5 * p).collect();
        let Calibration { scale, offset } = fit(&predicted, &truth).unwrap();
        assert!((scale - 0.5).abs() < 1e-12 && (offset - 0.3).abs() < 1e-12, "{scale} {offset}");
        assert_eq!(fit(&[0.2, 0.2, 0.2], &[0.1, 0.5, 0.9]), None);
        assert_eq!(fit(&[0.2], &[0.1]), None);
        assert_eq!(fit(&[0.2, 0.3], &[0.1]), None);
    }

    #[test]
    fn a_member_that_predicts_one_number_is_constant() {
        assert!(is_constant(&[0.91; 50]));
        assert!(is_constant(&[0.91, 0.91 + 1e-9, 0.91]));
        assert!(!is_constant(&[0.90, 0.91, 0.92]));
        assert!(is_constant(&[f64::NAN, 0.9]));
    }
}
