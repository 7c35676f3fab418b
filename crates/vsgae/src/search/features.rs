//! Features of a pool's cells for the model-based searches: the VS-GAE's latent means,
//! standardised per dimension over the pool.

use burn::tensor::Device;
use nasbench::Cell;

use super::SearchError;
use crate::VsGae;

/// Cells encoded per forward pass by [`Features::encode`].
pub const ENCODE_CHUNK: usize = 1024;

/// One row of `dim` values per pool cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Features {
    values: Vec<f32>,
    dim: usize,
}

impl Features {
    /// Rows of `dim` values (`values.len()` a multiple of `dim`), standardised per dimension.
    pub fn new(mut values: Vec<f32>, dim: usize) -> Result<Self, SearchError> {
        if dim == 0 || values.is_empty() || !values.len().is_multiple_of(dim) {
            return Err(SearchError::Features(format!("{} values are not rows of {dim}", values.len())));
        }
        if values.iter().any(|v| !v.is_finite()) {
            return Err(SearchError::Features("a latent is not a finite number".to_owned()));
        }
        for d in 0..dim {
            let column: Vec<f64> = values.iter().skip(d).step_by(dim).map(|&v| f64::from(v)).collect();
            let (mean, sd) = standardisation(&column);
            for v in values.iter_mut().skip(d).step_by(dim) {
                *v = ((f64::from(*v) - mean) / sd) as f32;
            }
        }
        Ok(Self { values, dim })
    }

    /// The VS-GAE's latent means of `cells` (in chunks of [`ENCODE_CHUNK`], read back once),
    /// standardised: the features the model-based searches use. The app encodes asynchronously
    /// and calls [`Features::new`] itself.
    pub fn encode(model: &VsGae, cells: &[Cell], device: &Device) -> Result<Self, SearchError> {
        let means = crate::latent::encode_means(model, cells, device, ENCODE_CHUNK);
        let values = crate::readback::floats(means).map_err(|e| SearchError::Model(e.to_string()))?;
        Self::new(values, model.latent_dim())
    }

    /// The values of every row, row after row.
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// Values per row.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    /// Whether there are no rows (never: [`Features::new`] refuses none).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Row `index`.
    pub fn row(&self, index: usize) -> &[f32] {
        &self.values[index * self.dim..(index + 1) * self.dim]
    }
}

/// The mean and standard deviation (over `n`) that standardise `values` (a unit scale where
/// they do not vary): the features' columns, and a model-based search's labels.
pub(super) fn standardisation(values: &[f64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    (mean, if sd > 0.0 { sd } else { 1.0 })
}
