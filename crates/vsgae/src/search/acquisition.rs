//! Acquisition functions: how a model's belief about the unqueried cells (a mean and a standard
//! deviation each) ranks them for the next queries.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// How candidates are scored from their predicted mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum Acquisition {
    /// Upper confidence bound: `mean + 2 · sd`.
    Ucb,
    /// Expected improvement over the best accuracy found so far, under a Gaussian belief.
    Ei,
    /// Independent Thompson sampling (BANANAS' ITS): one Gaussian draw per candidate.
    #[default]
    Thompson,
}

/// The UCB's weight on the standard deviation.
const UCB_KAPPA: f64 = 2.0;

impl Acquisition {
    /// Each candidate's score (higher is queried first), from its `mean` and `sd` and the best
    /// value found so far (`incumbent`, in the same units).
    pub fn scores(self, mean: &[f64], sd: &[f64], incumbent: f64, rng: &mut impl Rng) -> Vec<f64> {
        mean.iter()
            .zip(sd)
            .map(|(&m, &s)| {
                let s = s.max(0.0);
                match self {
                    Self::Ucb => m + UCB_KAPPA * s,
                    Self::Ei => expected_improvement(m, s, incumbent),
                    Self::Thompson => m + s * standard_normal(rng),
                }
            })
            .collect()
    }
}

/// `E[max(X − incumbent, 0)]` for `X ~ N(mean, sd²)`.
pub fn expected_improvement(mean: f64, sd: f64, incumbent: f64) -> f64 {
    if sd <= 0.0 {
        return (mean - incumbent).max(0.0);
    }
    let z = (mean - incumbent) / sd;
    (mean - incumbent) * normal_cdf(z) + sd * normal_pdf(z)
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// `Φ(z)` through `erfc` (libm's, accurate to the last bits).
fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// A standard normal draw (Box–Muller).
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u: f64 = rng.random_range(f64::EPSILON..1.0);
    let v: f64 = rng.random();
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The indices of the `count` highest `scores` among the candidates, best first (ties to the
/// lower index).
pub fn top(scores: &[f64], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.truncate(count);
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_improvement_matches_its_closed_form() {
        // At the incumbent, EI = sd · φ(0).
        assert!((expected_improvement(0.9, 0.01, 0.9) - 0.01 * 0.398_942_280_401_432_7).abs() < 1e-15);
        // Far above it, EI → mean − incumbent; far below, → 0.
        assert!((expected_improvement(1.0, 0.01, 0.9) - 0.1).abs() < 1e-12);
        assert!(expected_improvement(0.5, 0.01, 0.9) < 1e-12);
        assert_eq!(expected_improvement(0.95, 0.0, 0.9), 0.95 - 0.9);
    }

    #[test]
    fn scores_rank_what_each_acquisition_favours() {
        let (mean, sd) = ([0.90, 0.89, 0.80], [0.001, 0.05, 0.0]);
        let mut rng = nasbench::split::rng(1);
        assert_eq!(top(&Acquisition::Ucb.scores(&mean, &sd, 0.9, &mut rng), 3), vec![1, 0, 2]);
        assert_eq!(top(&Acquisition::Ei.scores(&mean, &sd, 0.9, &mut rng), 1), vec![1]);
        let draws = Acquisition::Thompson.scores(&mean, &sd, 0.9, &mut rng);
        assert_eq!(draws[2], 0.80, "no spread, no noise");
    }
}
