//! The VS-GAE's latent space as the app, search and the CLI use it: the latent means of cells,
//! linear and spherical interpolation between points, a 2-D map, and the priors points are
//! drawn from ([`prior`], [`mixture`]).

pub mod fit;
pub mod mixture;
pub mod prior;

use burn::tensor::{Device, Tensor};
use nasbench::Cell;

use crate::model::batch::GraphBatch;
use crate::model::vae::VsGae;

/// The encoder's means of many cells, in batches of `chunk`.
///
/// # Shapes
/// - output: `[cells, graph_dim]`
pub fn encode_means(model: &VsGae, cells: &[Cell], device: &Device, chunk: usize) -> Tensor<2> {
    encode_posteriors(model, cells, device, chunk).0
}

/// The encoder's means and log-variances of many cells, in batches of `chunk`.
///
/// # Shapes
/// - output: (`mean`, `log_var`), each `[cells, graph_dim]`
pub fn encode_posteriors(model: &VsGae, cells: &[Cell], device: &Device, chunk: usize) -> (Tensor<2>, Tensor<2>) {
    let (means, log_vars): (Vec<Tensor<2>>, Vec<Tensor<2>>) = cells
        .chunks(chunk.max(1))
        .map(|part| {
            let refs: Vec<&Cell> = part.iter().collect();
            model.encoder.forward(&GraphBatch::new(&refs, device))
        })
        .unzip();
    (Tensor::cat(means, 0), Tensor::cat(log_vars, 0))
}

/// How to move between two latent points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interpolation {
    /// `(1 − t)·a + t·b`.
    Linear,
    /// Along the great circle between `a` and `b` (slerp), falling back to linear where they are
    /// (anti)parallel.
    Spherical,
}

/// `steps` points from `a` to `b` inclusive (`steps ≥ 2`; fewer gives just `a`).
pub fn interpolate(a: &[f32], b: &[f32], steps: usize, how: Interpolation) -> Vec<Vec<f32>> {
    if steps < 2 {
        return vec![a.to_vec()];
    }
    let norm = |v: &[f32]| v.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    let cos = if na > 0.0 && nb > 0.0 {
        a.iter().zip(b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum::<f64>() / (na * nb)
    } else {
        1.0
    };
    let omega = cos.clamp(-1.0, 1.0).acos();
    (0..steps)
        .map(|k| {
            let t = k as f64 / (steps - 1) as f64;
            let (wa, wb) = match how {
                Interpolation::Spherical if omega.sin().abs() > 1e-6 => {
                    (((1.0 - t) * omega).sin() / omega.sin(), (t * omega).sin() / omega.sin())
                }
                _ => (1.0 - t, t),
            };
            a.iter().zip(b).map(|(x, y)| (wa * f64::from(*x) + wb * f64::from(*y)) as f32).collect()
        })
        .collect()
}

/// Points projected onto their first two principal axes, for drawing a latent space in 2-D.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PrincipalPlane {
    /// Each point's coordinates along the first and the second axis.
    pub points: Vec<[f32; 2]>,
    /// The share of the points' total variance along each of the two axes.
    pub variance_shares: [f64; 2],
}

/// Projects row-major points (`rows × dim`) onto their first two principal axes
/// ([`nasbench::pca`]).
pub fn principal_plane(points: &[f32], dim: usize) -> PrincipalPlane {
    if dim == 0 || points.len() < dim {
        return PrincipalPlane::default();
    }
    let values: Vec<f64> = points.iter().map(|&x| f64::from(x)).collect();
    let axes = nasbench::pca::PrincipalAxes::fit(&values, dim, 2);
    let share = |k: usize| {
        let variance = axes.variances.get(k).copied().unwrap_or(0.0);
        if axes.total_variance > 0.0 { variance / axes.total_variance } else { 0.0 }
    };
    let points = values
        .chunks_exact(dim)
        .map(|row| {
            let projected = axes.project(row);
            let coordinate = |k: usize| projected.get(k).copied().unwrap_or(0.0) as f32;
            [coordinate(0), coordinate(1)]
        })
        .collect();
    PrincipalPlane { points, variance_shares: [share(0), share(1)] }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_midpoints() {
        let a = [1.0, 0.0];
        let b = [0.0, 1.0];
        let linear = interpolate(&a, &b, 3, Interpolation::Linear);
        assert_eq!(linear, vec![vec![1.0, 0.0], vec![0.5, 0.5], vec![0.0, 1.0]]);
        let spherical = interpolate(&a, &b, 3, Interpolation::Spherical);
        let half = std::f32::consts::FRAC_1_SQRT_2;
        assert!((spherical[1][0] - half).abs() < 1e-6 && (spherical[1][1] - half).abs() < 1e-6);
        assert!((spherical[2][1] - 1.0).abs() < 1e-6);
        // Parallel points fall back to linear.
        assert_eq!(interpolate(&a, &[2.0, 0.0], 3, Interpolation::Spherical)[1], vec![1.5, 0.0]);
    }

    #[test]
    fn the_principal_plane_keeps_the_two_widest_directions() {
        // Points spread 10 along (1,1,0), 3 along (0,0,1) and 0.1 along (1,-1,0).
        let mut points = Vec::new();
        for k in -5..=5 {
            for l in -2..=2 {
                let (a, b, c) = (k as f32 * 10.0, l as f32 * 3.0, (k * l % 2) as f32 * 0.1);
                let s = std::f32::consts::FRAC_1_SQRT_2;
                points.extend([a * s + c * s, a * s - c * s, b]);
            }
        }
        let plane = principal_plane(&points, 3);
        assert_eq!(plane.points.len(), 55);
        // The first coordinate is the position along (1,1,0), the second along (0,0,1).
        let first = plane.points[54];
        assert!((first[0] - 50.0).abs() < 1e-3, "{first:?}");
        assert!((first[1].abs() - 6.0).abs() < 1e-3, "{first:?}");
        // Variances along the three directions: 1,000, 18 and about 0.005 (of about 1,018).
        let [first_share, second_share] = plane.variance_shares;
        assert!((first_share - 1000.0 / 1018.0).abs() < 1e-3, "{first_share}");
        assert!((second_share - 18.0 / 1018.0).abs() < 1e-3, "{second_share}");
        assert!(principal_plane(&[], 3).points.is_empty());
    }
}
