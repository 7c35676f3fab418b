//! Principal component analysis of rows of numbers: the covariance's symmetric
//! eigendecomposition (nalgebra), with each axis signed so that its largest component is
//! positive, so the result is deterministic.

use nalgebra::{DMatrix, DVector, SymmetricEigen};
use rayon::prelude::*;

/// Principal axes fitted on rows.
#[derive(Debug, Clone)]
pub struct PrincipalAxes {
    mean: Vec<f64>,
    /// One axis per entry, by decreasing variance.
    axes: Vec<Vec<f64>>,
    /// The variance along each axis.
    pub variances: Vec<f64>,
    /// The rows' total variance (the covariance's trace), of which each axis holds a share.
    pub total_variance: f64,
}

impl PrincipalAxes {
    /// Fits `dims` principal axes (at most `width`) on `values`, rows of `width` numbers one
    /// after the other.
    pub fn fit(values: &[f64], width: usize, dims: usize) -> Self {
        let width = width.max(1);
        let rows = values.len() / width;
        let count = rows.max(1) as f64;
        let mut mean = vec![0.0; width];
        for row in values.chunks_exact(width) {
            mean.iter_mut().zip(row).for_each(|(m, x)| *m += x / count);
        }
        let covariance = values
            .par_chunks(4096 * width)
            .map(|chunk| {
                let mut partial = DMatrix::<f64>::zeros(width, width);
                for row in chunk.chunks_exact(width) {
                    let centred = DVector::from_iterator(width, row.iter().zip(&mean).map(|(x, m)| x - m));
                    partial.ger(1.0 / count, &centred, &centred, 1.0);
                }
                partial
            })
            .reduce(|| DMatrix::zeros(width, width), |a, b| a + b);
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..width).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]).then(a.cmp(&b)));
        let dims = dims.min(width);
        let axes = order[..dims]
            .iter()
            .map(|&i| {
                let column = eigen.eigenvectors.column(i);
                let largest =
                    column.iter().copied().fold(0.0f64, |best, x| if x.abs() > best.abs() { x } else { best });
                let sign = if largest < 0.0 { -1.0 } else { 1.0 };
                column.iter().map(|&x| sign * x).collect()
            })
            .collect();
        let variances = order[..dims].iter().map(|&i| eigen.eigenvalues[i].max(0.0)).collect();
        let total_variance = eigen.eigenvalues.iter().map(|&v| v.max(0.0)).sum();
        Self { mean, axes, variances, total_variance }
    }

    /// The number of axes.
    pub fn dims(&self) -> usize {
        self.axes.len()
    }

    /// The axes, by decreasing variance.
    pub fn axes(&self) -> &[Vec<f64>] {
        &self.axes
    }

    /// The coordinates of one row.
    pub fn project(&self, row: &[f64]) -> Vec<f64> {
        self.axes
            .iter()
            .map(|axis| axis.iter().zip(row.iter().zip(&self.mean)).map(|(a, (x, m))| a * (x - m)).sum())
            .collect()
    }
}
