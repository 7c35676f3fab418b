//! Regression and ranking metrics of predicted against true accuracies.

use serde::{Deserialize, Serialize};

/// Every metric the predictor is reported with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegressionMetrics {
    /// Number of cells.
    pub n: usize,
    /// Mean squared error.
    #[serde(with = "nan_as_null")]
    pub mse: f64,
    /// Root mean squared error.
    #[serde(with = "nan_as_null")]
    pub rmse: f64,
    /// Mean absolute error.
    #[serde(with = "nan_as_null")]
    pub mae: f64,
    /// Kendall's τ-b between predictions and truth.
    #[serde(with = "nan_as_null")]
    pub kendall_tau: f64,
    /// Spearman's rank correlation.
    #[serde(with = "nan_as_null")]
    pub spearman: f64,
    /// Pearson's correlation.
    #[serde(with = "nan_as_null")]
    pub pearson: f64,
    /// The coefficient of determination.
    #[serde(with = "nan_as_null")]
    pub r2: f64,
    /// Share of the true top 1 % (at least one cell) among the predicted top 1 %.
    #[serde(with = "nan_as_null")]
    pub top_1pct_precision: f64,
    /// Share of the true top 10 % among the predicted top 10 %.
    #[serde(with = "nan_as_null")]
    pub top_10pct_precision: f64,
}

/// Why metrics could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricsError {
    /// The predictions and the truth differ in length.
    #[error("{predicted} predictions for {truth} true values")]
    UnequalLengths {
        /// Predictions given.
        predicted: usize,
        /// True values given.
        truth: usize,
    },
    /// No values to compare.
    #[error("no values to compare")]
    Empty,
}

impl RegressionMetrics {
    /// All metrics of `predicted` against `truth`, which must have the same length, at least one.
    pub fn compute(predicted: &[f64], truth: &[f64]) -> Result<Self, MetricsError> {
        if predicted.len() != truth.len() {
            return Err(MetricsError::UnequalLengths { predicted: predicted.len(), truth: truth.len() });
        }
        if truth.is_empty() {
            return Err(MetricsError::Empty);
        }
        let n = truth.len();
        let mse = predicted.iter().zip(truth).map(|(p, t)| (p - t).powi(2)).sum::<f64>() / n.max(1) as f64;
        let mae = predicted.iter().zip(truth).map(|(p, t)| (p - t).abs()).sum::<f64>() / n.max(1) as f64;
        let mean_truth = truth.iter().sum::<f64>() / n.max(1) as f64;
        let total = truth.iter().map(|t| (t - mean_truth).powi(2)).sum::<f64>();
        Ok(Self {
            n,
            mse,
            rmse: mse.sqrt(),
            mae,
            kendall_tau: kendall_tau(predicted, truth),
            spearman: pearson(&ranks(predicted), &ranks(truth)),
            pearson: pearson(predicted, truth),
            r2: if total > 0.0 { 1.0 - mse * n as f64 / total } else { f64::NAN },
            top_1pct_precision: top_k_precision(predicted, truth, (n / 100).max(1)),
            top_10pct_precision: top_k_precision(predicted, truth, (n / 10).max(1)),
        })
    }
}

/// Pearson's correlation (NaN where either side is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    sxy / (sxx * syy).sqrt()
}

/// Ranks from 1, ties sharing their average rank.
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut out = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        let rank = (start + end + 1) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| out[i] = rank);
        start = end;
    }
    out
}

/// Kendall's τ-b in O(n log n) (Knight's algorithm), as `scipy.stats.kendalltau`.
pub fn kendall_tau(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return f64::NAN;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]).then(y[a].total_cmp(&y[b])));
    let pairs = |counts: &mut dyn Iterator<Item = u64>| counts.map(|t| t * (t.saturating_sub(1)) / 2).sum::<u64>();
    let runs = |values: &[f64], key: &dyn Fn(usize) -> bool| -> Vec<u64> {
        let mut out = Vec::new();
        let mut length = 1u64;
        for i in 1..values.len() {
            if key(i) {
                length += 1;
            } else {
                out.push(length);
                length = 1;
            }
        }
        out.push(length);
        out
    };
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let mut ys: Vec<f64> = order.iter().map(|&i| y[i]).collect();
    let tied_x = pairs(&mut runs(&xs, &|i| xs[i] == xs[i - 1]).into_iter());
    let tied_xy = pairs(&mut runs(&xs, &|i| xs[i] == xs[i - 1] && ys[i] == ys[i - 1]).into_iter());
    let swaps = merge_sort_swaps(&mut ys);
    let tied_y = pairs(&mut runs(&ys, &|i| ys[i] == ys[i - 1]).into_iter());
    let total = (n as u64) * (n as u64 - 1) / 2;
    let concordant_minus_discordant =
        total as f64 - tied_x as f64 - tied_y as f64 + tied_xy as f64 - 2.0 * swaps as f64;
    concordant_minus_discordant / (((total - tied_x) as f64) * ((total - tied_y) as f64)).sqrt()
}

/// Sorts `values` and returns the number of inversions (pairs out of order, ties not counted).
fn merge_sort_swaps(values: &mut [f64]) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let (left, right) = values.split_at_mut(n / 2);
    let mut swaps = merge_sort_swaps(left) + merge_sort_swaps(right);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if right[j] < left[i] {
            merged.push(right[j]);
            swaps += (left.len() - i) as u64;
            j += 1;
        } else {
            merged.push(left[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&left[i..]);
    merged.extend_from_slice(&right[j..]);
    values.copy_from_slice(&merged);
    swaps
}

/// The share of the `k` truly best among the `k` predicted best.
pub fn top_k_precision(predicted: &[f64], truth: &[f64], k: usize) -> f64 {
    let top = |values: &[f64]| {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
        order.truncate(k);
        order
    };
    let best: std::collections::HashSet<usize> = top(truth).into_iter().collect();
    top(predicted).iter().filter(|i| best.contains(i)).count() as f64 / k.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: [f64; 10] = [0.1, 0.4, 0.35, 0.8, 0.8, 0.2, 0.5, 0.5, 0.9, 0.05];
    const Y: [f64; 10] = [0.15, 0.3, 0.4, 0.7, 0.9, 0.2, 0.45, 0.6, 0.95, 0.1];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn correlations_match_scipy_with_ties() {
        // scipy.stats 1.x: kendalltau (tau-b), spearmanr, pearsonr on X, Y.
        assert!(close(kendall_tau(&X, &Y), 0.9320589306096472), "{}", kendall_tau(&X, &Y));
        assert!(close(pearson(&ranks(&X), &ranks(&Y)), 0.9817255676437577));
        assert!(close(pearson(&X, &Y), 0.9694536245332877));
        let y2 = [0.15, 0.3, 0.3, 0.7, 0.9, 0.2, 0.45, 0.45, 0.95, 0.1];
        assert!(close(kendall_tau(&X, &y2), 0.9767441860465118), "{}", kendall_tau(&X, &y2));
        assert!(close(pearson(&ranks(&X), &ranks(&y2)), 0.9938650306748469));
    }

    #[test]
    fn kendall_matches_the_quadratic_definition_on_many_values() {
        let x: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64).collect();
        let y: Vec<f64> = (0..300).map(|i| ((i * 53) % 97) as f64 + (i % 7) as f64).collect();
        let (mut concordant, mut discordant, mut tx, mut ty) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
        for i in 0..x.len() {
            for j in i + 1..x.len() {
                let (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                if dx == 0.0 && dy == 0.0 {
                } else if dx == 0.0 {
                    tx += 1.0;
                } else if dy == 0.0 {
                    ty += 1.0;
                } else if dx * dy > 0.0 {
                    concordant += 1.0;
                } else {
                    discordant += 1.0;
                }
            }
        }
        let expected =
            (concordant - discordant) / ((concordant + discordant + tx) * (concordant + discordant + ty)).sqrt();
        assert!((kendall_tau(&x, &y) - expected).abs() < 1e-12, "{} vs {expected}", kendall_tau(&x, &y));
    }

    #[test]
    fn regression_metrics_of_a_known_case() {
        let truth = [1.0, 2.0, 3.0, 4.0];
        let predicted = [1.5, 2.0, 2.5, 4.0];
        let m = RegressionMetrics::compute(&predicted, &truth).unwrap();
        assert!(close(m.mse, 0.125) && close(m.rmse, 0.125f64.sqrt()) && close(m.mae, 0.25));
        assert!(close(m.r2, 1.0 - 0.5 / 5.0));
        assert!(close(m.kendall_tau, 1.0) && close(m.spearman, 1.0));
        assert!(close(m.top_1pct_precision, 1.0));
        let reversed = RegressionMetrics::compute(&[4.0, 3.0, 2.0, 1.0], &truth).unwrap();
        assert!(close(reversed.kendall_tau, -1.0) && close(reversed.top_1pct_precision, 0.0));
        assert!(close(top_k_precision(&[0.9, 0.1, 0.8, 0.7], &[1.0, 0.0, 0.2, 0.9], 2), 0.5));
    }

    #[test]
    fn metrics_refuse_inputs_of_unequal_or_no_length() {
        assert_eq!(
            RegressionMetrics::compute(&[1.0, 2.0], &[1.0, 2.0, 3.0]),
            Err(MetricsError::UnequalLengths { predicted: 2, truth: 3 })
        );
        assert_eq!(RegressionMetrics::compute(&[], &[]), Err(MetricsError::Empty));
    }
}

/// Serialises NaN as `null` and reads `null` back as NaN (JSON has no NaN).
pub(crate) mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() { serializer.serialize_f64(*value) } else { serializer.serialize_none() }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
    }
}
