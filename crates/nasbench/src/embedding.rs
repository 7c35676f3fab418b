//! A low-dimensional embedding of cells for even sampling: PCA of one-hot features.
//!
//! Features: for each inner slot 1..=5 of the padded cell, a one-hot of {conv1x1, conv3x3,
//! maxpool, empty} (20), plus the 21 upper-triangular adjacency bits of the padded cell (see
//! [`crate::distance`]). The embedding projects the centred features onto the top principal
//! axes, each axis signed so that its largest component is positive (so it is deterministic).

use nalgebra::{DMatrix, SymmetricEigen};
use rayon::prelude::*;

use crate::cell::{Cell, MAX_VERTICES};
use crate::distance::PaddedCell;
use crate::op::Op;

/// The number of features per cell.
pub const FEATURES: usize = 20 + 21;

/// The one-hot features of a cell.
pub fn features(cell: &Cell) -> [f64; FEATURES] {
    let padded = PaddedCell::new(cell);
    let mut out = [0.0; FEATURES];
    for slot in 1..MAX_VERTICES - 1 {
        let which = match padded.ops[slot] {
            Some(Op::Conv1x1) => 0,
            Some(Op::Conv3x3) => 1,
            Some(Op::MaxPool3x3) => 2,
            _ => 3,
        };
        out[(slot - 1) * 4 + which] = 1.0;
    }
    for bit in 0..21 {
        out[20 + bit] = f64::from((padded.adjacency >> bit) & 1);
    }
    out
}

/// Principal axes fitted on a set of cells.
#[derive(Debug, Clone)]
pub struct Pca {
    mean: [f64; FEATURES],
    /// `dims × FEATURES`, one axis per row, by decreasing variance.
    axes: Vec<[f64; FEATURES]>,
    /// The variance along each axis.
    pub variances: Vec<f64>,
}

impl Pca {
    /// Fits `dims` principal axes (at most [`FEATURES`]) on the cells.
    pub fn fit<'a>(cells: impl IntoIterator<Item = &'a Cell>, dims: usize) -> Self {
        let rows: Vec<[f64; FEATURES]> = cells.into_iter().map(features).collect();
        let count = rows.len().max(1) as f64;
        let mut mean = [0.0; FEATURES];
        for row in &rows {
            mean.iter_mut().zip(row).for_each(|(m, x)| *m += x / count);
        }
        let covariance = rows
            .par_chunks(4096)
            .map(|chunk| {
                let mut partial = DMatrix::<f64>::zeros(FEATURES, FEATURES);
                for row in chunk {
                    let centred = nalgebra::DVector::from_iterator(FEATURES, row.iter().zip(&mean).map(|(x, m)| x - m));
                    partial.ger(1.0 / count, &centred, &centred, 1.0);
                }
                partial
            })
            .reduce(|| DMatrix::zeros(FEATURES, FEATURES), |a, b| a + b);
        let eigen = SymmetricEigen::new(covariance);
        let mut order: Vec<usize> = (0..FEATURES).collect();
        order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]).then(a.cmp(&b)));
        let dims = dims.min(FEATURES);
        let axes = order[..dims]
            .iter()
            .map(|&i| {
                let column = eigen.eigenvectors.column(i);
                let largest =
                    column.iter().copied().fold(0.0f64, |best, x| if x.abs() > best.abs() { x } else { best });
                let sign = if largest < 0.0 { -1.0 } else { 1.0 };
                let mut axis = [0.0; FEATURES];
                axis.iter_mut().zip(column.iter()).for_each(|(a, &x)| *a = sign * x);
                axis
            })
            .collect();
        let variances = order[..dims].iter().map(|&i| eigen.eigenvalues[i].max(0.0)).collect();
        Self { mean, axes, variances }
    }

    /// The number of dimensions.
    pub fn dims(&self) -> usize {
        self.axes.len()
    }

    /// The coordinates of one cell.
    pub fn project(&self, cell: &Cell) -> Vec<f64> {
        let x = features(cell);
        self.axes
            .iter()
            .map(|axis| axis.iter().zip(x.iter().zip(&self.mean)).map(|(a, (x, m))| a * (x - m)).sum())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::enumerate_vertices;

    #[test]
    fn principal_axes_are_orthonormal_and_ordered() {
        let cells: Vec<Cell> = enumerate_vertices(5).into_iter().map(|c| c.cell).collect();
        let pca = Pca::fit(&cells, 4);
        assert_eq!(pca.dims(), 4);
        assert!(pca.variances.windows(2).all(|w| w[0] >= w[1]));
        assert!(pca.variances[0] > 0.0);
        for (i, a) in pca.axes.iter().enumerate() {
            for (j, b) in pca.axes.iter().enumerate() {
                let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-9, "axes {i},{j}: {dot}");
            }
        }
        // The projections are centred and their variance is the eigenvalue.
        let projected: Vec<Vec<f64>> = cells.iter().map(|c| pca.project(c)).collect();
        let n = projected.len() as f64;
        let mean0: f64 = projected.iter().map(|p| p[0]).sum::<f64>() / n;
        let var0: f64 = projected.iter().map(|p| (p[0] - mean0).powi(2)).sum::<f64>() / n;
        assert!(mean0.abs() < 1e-9);
        assert!((var0 - pca.variances[0]).abs() < 1e-9);
    }
}
