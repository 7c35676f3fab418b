//! Bayesian optimisation's model in the VS-GAE's latent space (as arch2vec searches its own): a
//! Gaussian process with a Matérn-5/2 kernel on the standardised latent means, its length scale
//! and noise chosen by marginal likelihood on a grid each time it is refitted.

use nalgebra::{Cholesky, DMatrix, DVector};

use super::SearchError;
use super::features::Features;

/// Length scales tried, as multiples of `√dim` (the typical distance between standardised
/// latents).
const LENGTH_SCALES: [f64; 6] = [0.125, 0.25, 0.5, 1.0, 2.0, 4.0];

/// Noise variances tried, on standardised targets.
const NOISES: [f64; 4] = [1e-4, 1e-3, 1e-2, 1e-1];

/// `k(r) = (1 + √5 r/ℓ + 5r²/3ℓ²) exp(−√5 r/ℓ)`, unit signal variance.
fn matern52(distance: f64, length: f64) -> f64 {
    let s = 5f64.sqrt() * distance / length;
    (1.0 + s + s * s / 3.0) * (-s).exp()
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>().sqrt()
}

/// A GP fitted to labelled latents.
#[derive(Debug)]
pub struct GaussianProcess {
    length: f64,
    cholesky: Cholesky<f64, nalgebra::Dyn>,
    alpha: DVector<f64>,
    labelled: Vec<usize>,
}

impl GaussianProcess {
    /// Fits the GP to the cells `labelled` with standardised `targets`: the grid's most likely
    /// length scale and noise.
    pub fn fit(features: &Features, labelled: &[usize], targets: &[f64]) -> Result<Self, SearchError> {
        let n = labelled.len();
        let distances = DMatrix::from_fn(n, n, |i, j| distance(features.row(labelled[i]), features.row(labelled[j])));
        let y = DVector::from_column_slice(targets);
        let root_dim = (features.dim() as f64).sqrt();
        let mut best: Option<(f64, Self)> = None;
        for length in LENGTH_SCALES.map(|l| l * root_dim) {
            for noise in NOISES {
                let kernel = distances.map(|d| matern52(d, length)) + DMatrix::identity(n, n) * noise;
                let Some(cholesky) = kernel.cholesky() else { continue };
                let alpha = cholesky.solve(&y);
                let log_det: f64 = cholesky.l_dirty().diagonal().iter().take(n).map(|d| d.ln()).sum::<f64>() * 2.0;
                let likelihood = -0.5 * y.dot(&alpha) - 0.5 * log_det;
                if best.as_ref().is_none_or(|(b, _)| likelihood > *b) {
                    best = Some((likelihood, Self { length, cholesky, alpha, labelled: labelled.to_vec() }));
                }
            }
        }
        best.map(|(_, gp)| gp).ok_or_else(|| SearchError::Model("no kernel of the grid could be factorised".to_owned()))
    }

    /// The posterior mean and standard deviation at every cell of `features` (`candidates`
    /// only: the rest get `(−∞, 0)`).
    pub fn predict(&self, features: &Features, candidates: &[usize]) -> (Vec<f64>, Vec<f64>) {
        let n = self.labelled.len();
        let mut mean = vec![f64::NEG_INFINITY; features.len()];
        let mut sd = vec![0.0; features.len()];
        // Candidates in blocks: one triangular solve per block.
        for block in candidates.chunks(2048) {
            let cross = DMatrix::from_fn(n, block.len(), |i, j| {
                matern52(distance(features.row(self.labelled[i]), features.row(block[j])), self.length)
            });
            let means = cross.transpose() * &self.alpha;
            let solved =
                self.cholesky.l().solve_lower_triangular(&cross).unwrap_or_else(|| DMatrix::zeros(n, block.len()));
            for (j, &candidate) in block.iter().enumerate() {
                let explained: f64 = solved.column(j).iter().map(|v| v * v).sum();
                mean[candidate] = means[j];
                sd[candidate] = (1.0 - explained).max(0.0).sqrt();
            }
        }
        (mean, sd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posterior_passes_near_its_data_and_widens_away_from_it() {
        // One feature: y = sin(3x) on eight points.
        let xs: Vec<f32> = (0..40).map(|k| k as f32 / 10.0).collect();
        let features = Features::new(xs.clone(), 1).unwrap();
        let labelled: Vec<usize> = (0..8).map(|k| k * 2).collect();
        let targets: Vec<f64> = labelled.iter().map(|&i| (3.0 * f64::from(xs[i])).sin()).collect();
        let gp = GaussianProcess::fit(&features, &labelled, &targets).unwrap();
        let all: Vec<usize> = (0..40).collect();
        let (mean, sd) = gp.predict(&features, &all);
        for (&i, &t) in labelled.iter().zip(&targets) {
            assert!((mean[i] - t).abs() < 0.05 && sd[i] < 0.1, "at {i}: {} ± {} against {t}", mean[i], sd[i]);
        }
        assert!(sd[39] > 4.0 * sd[14], "far from the data ({}) the belief is wider than at it ({})", sd[39], sd[14]);
    }
}
