//! Calibrating a trained predictor on the validation part: members whose predictions do not vary
//! are left out, and an affine map takes the members' mean to the accuracy (least squares).
//!
//! A ranking loss orders cells well but leaves the scale of its outputs loose; the map restores
//! the scale without changing the order (for a positive scale), so Kendall τ stays and the RMSE
//! falls.

use crate::config::Calibration;

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

#[cfg(test)]
mod tests {
    use super::*;

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
