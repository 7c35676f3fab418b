//! A low-dimensional embedding of cells for even sampling: PCA of one-hot features.
//!
//! Features: for each inner slot 1..=5 of the padded cell, a one-hot of {conv1x1, conv3x3,
//! maxpool, empty} (20), plus the 21 upper-triangular adjacency bits of the padded cell (see
//! [`crate::distance`]). The embedding projects the centred features onto the top principal
//! axes ([`crate::pca`]).

use crate::cell::{Cell, MAX_VERTICES};
use crate::distance::PaddedCell;
use crate::op::Op;
use crate::pca::PrincipalAxes;

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

/// Principal axes of the features of a set of cells.
#[derive(Debug, Clone)]
pub struct Pca {
    axes: PrincipalAxes,
    /// The variance along each axis.
    pub variances: Vec<f64>,
}

impl Pca {
    /// Fits `dims` principal axes (at most [`FEATURES`]) on the cells.
    pub fn fit<'a>(cells: impl IntoIterator<Item = &'a Cell>, dims: usize) -> Self {
        let values: Vec<f64> = cells.into_iter().flat_map(features).collect();
        let axes = PrincipalAxes::fit(&values, FEATURES, dims);
        Self { variances: axes.variances.clone(), axes }
    }

    /// The number of dimensions.
    pub fn dims(&self) -> usize {
        self.axes.dims()
    }

    /// The coordinates of one cell.
    pub fn project(&self, cell: &Cell) -> Vec<f64> {
        self.axes.project(&features(cell))
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
        for (i, a) in pca.axes.axes().iter().enumerate() {
            for (j, b) in pca.axes.axes().iter().enumerate() {
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
