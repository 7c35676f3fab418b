//! A mixture of diagonal Gaussians fitted to latent points by expectation maximisation, the
//! prior [`PriorKind::Mixture`].
//!
//! Initialised by k-means++ seeding (each new mean drawn with probability proportional to the
//! squared distance to the nearest one so far), every component starting with the points'
//! deviation; each deviation is floored at a thousandth of the points' own, so no component
//! collapses onto one point.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::prior::{LatentPrior, PriorError, PriorKind, moments};

/// How a mixture is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MixtureConfig {
    /// Gaussians in the mixture.
    pub components: usize,
    /// Rounds of expectation maximisation at most.
    pub iterations: usize,
    /// Stop when a round raises the mean log-likelihood per point by less than this.
    pub tolerance: f64,
}

impl Default for MixtureConfig {
    fn default() -> Self {
        Self { components: 32, iterations: 200, tolerance: 1e-5 }
    }
}

/// Share of the points' own deviation below which no component's deviation falls.
const DEVIATION_FLOOR: f64 = 1e-3;

impl MixtureConfig {
    /// Fits the mixture to `points` (rows of `dim` values).
    pub fn fit(&self, points: &[f32], dim: usize, rng: &mut impl Rng) -> Result<LatentPrior, PriorError> {
        let rows = points.len() / dim.max(1);
        if dim == 0 || self.components == 0 || rows < self.components {
            return Err(PriorError::Invalid(format!(
                "a mixture of {} components needs at least as many points, found {rows} of {dim} dimensions",
                self.components
            )));
        }
        let (_, spread) = moments(points, dim, None);
        let floor: Vec<f64> = spread.iter().map(|s| (s * DEVIATION_FLOOR).max(1e-12)).collect();
        let mut means = seed_means(points, dim, self.components, rng);
        let mut variances: Vec<f64> = (0..self.components).flat_map(|_| spread.iter().map(|s| s * s)).collect();
        let mut weights = vec![1.0 / self.components as f64; self.components];
        let mut responsibilities = vec![0f64; rows * self.components];
        let mut previous = f64::NEG_INFINITY;
        for _ in 0..self.iterations {
            let likelihood = expectation(points, dim, &weights, &means, &variances, &mut responsibilities);
            maximisation(points, dim, &responsibilities, &floor, &mut weights, &mut means, &mut variances);
            if likelihood - previous < self.tolerance {
                break;
            }
            previous = likelihood;
        }
        Ok(LatentPrior {
            kind: PriorKind::Mixture,
            dim,
            weights,
            means: means.iter().map(|&v| v as f32).collect(),
            stds: variances.iter().map(|&v| v.sqrt() as f32).collect(),
            temperature: 1.0,
        })
    }
}

/// k-means++ seeding: `k` rows of `points` as the first means.
fn seed_means(points: &[f32], dim: usize, k: usize, rng: &mut impl Rng) -> Vec<f64> {
    let rows = points.len() / dim;
    let row = |r: usize| &points[r * dim..(r + 1) * dim];
    let distance = |r: usize, mean: &[f64]| row(r).iter().zip(mean).map(|(&x, m)| (f64::from(x) - m).powi(2)).sum();
    let mut means: Vec<f64> = row(rng.random_range(0..rows)).iter().map(|&x| f64::from(x)).collect();
    let mut nearest: Vec<f64> = (0..rows).map(|r| distance(r, &means[..dim])).collect();
    while means.len() < k * dim {
        let total: f64 = nearest.iter().sum();
        let mut draw = rng.random::<f64>() * total;
        let chosen = nearest
            .iter()
            .position(|&d| {
                draw -= d;
                draw < 0.0
            })
            .unwrap_or_else(|| rng.random_range(0..rows));
        let start = means.len();
        means.extend(row(chosen).iter().map(|&x| f64::from(x)));
        for (r, near) in nearest.iter_mut().enumerate() {
            *near = near.min(distance(r, &means[start..]));
        }
    }
    means
}

/// Each point's responsibilities (rows of `components`); returns the mean log-likelihood.
fn expectation(
    points: &[f32],
    dim: usize,
    weights: &[f64],
    means: &[f64],
    variances: &[f64],
    responsibilities: &mut [f64],
) -> f64 {
    let k = weights.len();
    // Per component: log weight − ½ Σ log(2π σ²).
    let constants: Vec<f64> = (0..k)
        .map(|j| {
            let log_det: f64 = variances[j * dim..(j + 1) * dim].iter().map(|v| (std::f64::consts::TAU * v).ln()).sum();
            weights[j].max(f64::MIN_POSITIVE).ln() - 0.5 * log_det
        })
        .collect();
    let mut total = 0.0;
    for (point, out) in points.chunks_exact(dim).zip(responsibilities.chunks_exact_mut(k)) {
        for (j, log_p) in out.iter_mut().enumerate() {
            let mean = &means[j * dim..(j + 1) * dim];
            let variance = &variances[j * dim..(j + 1) * dim];
            let squared: f64 =
                point.iter().zip(mean).zip(variance).map(|((&x, m), v)| (f64::from(x) - m).powi(2) / v).sum();
            *log_p = constants[j] - 0.5 * squared;
        }
        let top = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = out.iter().map(|l| (l - top).exp()).sum();
        let log_sum = top + sum.ln();
        out.iter_mut().for_each(|l| *l = (*l - log_sum).exp());
        total += log_sum;
    }
    total / (points.len() / dim).max(1) as f64
}

/// New weights, means and variances from the responsibilities.
fn maximisation(
    points: &[f32],
    dim: usize,
    responsibilities: &[f64],
    floor: &[f64],
    weights: &mut [f64],
    means: &mut [f64],
    variances: &mut [f64],
) {
    let k = weights.len();
    let rows = points.len() / dim;
    for j in 0..k {
        let column: Vec<f64> = (0..rows).map(|r| responsibilities[r * k + j]).collect();
        let mass: f64 = column.iter().sum();
        if mass < 1e-9 {
            // A component nobody belongs to keeps its place and loses its weight.
            weights[j] = 0.0;
            continue;
        }
        weights[j] = mass / rows as f64;
        let (mean, std) = moments(points, dim, Some(&column));
        means[j * dim..(j + 1) * dim].copy_from_slice(&mean);
        for d in 0..dim {
            variances[j * dim + d] = std[d].max(floor[d]).powi(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_separate_clusters_are_found() {
        let mut rng = nasbench::split::rng(3);
        let normal = |rng: &mut _| crate::model::initialization::standard_normal(rng);
        // 300 points around (−5, 0) with deviation 0.5, 100 around (5, 2) with deviation 1.
        let mut points = Vec::new();
        for _ in 0..300 {
            points.extend([-5.0 + 0.5 * normal(&mut rng), 0.5 * normal(&mut rng)]);
        }
        for _ in 0..100 {
            points.extend([5.0 + normal(&mut rng), 2.0 + normal(&mut rng)]);
        }
        let config = MixtureConfig { components: 2, ..MixtureConfig::default() };
        let prior = config.fit(&points, 2, &mut rng).unwrap();
        prior.validate().unwrap();
        let left = usize::from(prior.means[0] > 0.0);
        let right = 1 - left;
        assert!((prior.weights[left] - 0.75).abs() < 0.02, "{:?}", prior.weights);
        assert!((prior.means[2 * left] + 5.0).abs() < 0.15 && (prior.means[2 * right] - 5.0).abs() < 0.3);
        assert!((prior.stds[2 * left] - 0.5).abs() < 0.1 && (prior.stds[2 * right] - 1.0).abs() < 0.2);
    }

    #[test]
    fn too_few_points_are_refused() {
        let config = MixtureConfig { components: 4, ..MixtureConfig::default() };
        let error = config.fit(&[0.0; 6], 2, &mut nasbench::split::rng(0)).unwrap_err().to_string();
        assert!(error.contains("4 components") && error.contains("found 3"), "{error}");
    }
}
