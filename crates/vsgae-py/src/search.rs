//! `vsgae.search`: one search run over a labelled pool, as the CLI's `search` runs each seed.

use std::sync::Arc;

use burn::tensor::Device;
use nasbench::Cell;
use numpy::PyArray1;
use pyo3::prelude::*;
use vsgae::search::{Features, Pool, Search, SearchConfig, SearchMethod};

use crate::cells::{PyCell, PyCells, cells_argument};
use crate::errors::{Error, Result, detached};
use crate::latent_space::PyVsGae;

/// What one search run queried and found.
#[pyclass(module = "vsgae", name = "SearchResult", frozen)]
#[derive(Debug)]
pub struct PySearchResult {
    queried: Vec<Cell>,
    accuracies: Vec<f64>,
    best_so_far: Vec<f64>,
    method: SearchMethod,
}

#[pymethods]
impl PySearchResult {
    /// The cells queried, in order.
    #[getter]
    fn queried(&self) -> PyCells {
        PyCells { cells: Arc::new(self.queried.clone()), accuracies: Some(Arc::new(self.accuracies.clone())) }
    }

    /// The accuracy each query revealed.
    #[getter]
    fn accuracies<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.accuracies)
    }

    /// The best accuracy found after each query.
    #[getter]
    fn best_so_far<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        PyArray1::from_slice(py, &self.best_so_far)
    }

    /// The best cell found.
    #[getter]
    fn best_cell(&self) -> Option<PyCell> {
        self.best_index().map(|k| PyCell(self.queried[k]))
    }

    /// Its accuracy.
    #[getter]
    fn best_accuracy(&self) -> Option<f64> {
        self.best_index().map(|k| self.accuracies[k])
    }

    fn __repr__(&self) -> String {
        format!(
            "<vsgae.SearchResult: {} over {} queries, best {}>",
            self.method.name(),
            self.queried.len(),
            self.best_accuracy().map_or("none".to_owned(), |a| format!("{a:.4}"))
        )
    }
}

impl PySearchResult {
    fn best_index(&self) -> Option<usize> {
        (0..self.accuracies.len()).max_by(|&a, &b| self.accuracies[a].total_cmp(&self.accuracies[b]).then(b.cmp(&a)))
    }
}

/// Searches `pool` (cells with accuracies) for its best cells with `budget` queries, each
/// revealing one cell's accuracy.
#[pyfunction]
#[pyo3(signature = (pool, method = "latent-bo", budget = 150, seed = 0, *, accuracies = None, vsgae = None))]
pub fn search(
    py: Python<'_>,
    pool: &Bound<'_, PyAny>,
    method: &str,
    budget: usize,
    seed: u64,
    accuracies: Option<&Bound<'_, PyAny>>,
    vsgae: Option<&PyVsGae>,
) -> PyResult<PySearchResult> {
    let method = SearchMethod::ALL.into_iter().find(|m| m.name() == method).ok_or_else(|| {
        let names: Vec<&str> = SearchMethod::ALL.iter().map(|m| m.name()).collect();
        Error::BadInput(format!("method {method:?}: one of {}", names.join(", ")))
    })?;
    let (cells, accuracy) = labelled_pool(pool, accuracies)?;
    let pool = Arc::new(Pool::new(cells, accuracy).map_err(Error::from)?);
    let config = SearchConfig { budget, ..SearchConfig::new(method, seed) };
    config.validate(pool.len()).map_err(Error::from)?;
    let features = if method.needs_features() {
        let shipped;
        let model = match vsgae {
            Some(model) => model,
            None => {
                shipped = PyVsGae::shipped(py)?;
                &shipped
            }
        };
        let features = detached(py, || Ok(Features::encode(&model.model, pool.cells(), &Device::flex())?))?;
        Some(Arc::new(features))
    } else {
        None
    };
    let trace = detached(py, || Ok(Search::new(pool.clone(), features, config, &Device::flex())?.run()?))?;
    Ok(PySearchResult {
        queried: trace.queried.iter().map(|&k| pool.cells()[k]).collect(),
        accuracies: trace.accuracy,
        best_so_far: trace.best,
        method,
    })
}

/// The pool's cells and accuracies: given, or read with the cells; cells without one are left
/// out, as the CLI leaves out records without the metric.
fn labelled_pool(pool: &Bound<'_, PyAny>, accuracies: Option<&Bound<'_, PyAny>>) -> Result<(Vec<Cell>, Vec<f64>)> {
    let cells = cells_argument(pool)?;
    let accuracy: Vec<f64> = match accuracies {
        Some(values) => {
            values.extract().map_err(|_| Error::BadInput("accuracies: expected a sequence of numbers".to_owned()))?
        }
        None => match pool.cast::<PyCells>().ok().and_then(|p| p.get().accuracies.clone()) {
            Some(read) => read.as_ref().clone(),
            None => {
                return Err(Error::BadInput(
                    "the pool has no accuracies: read it with vsgae.read_cells from a file that has them, or pass accuracies="
                        .to_owned(),
                ));
            }
        },
    };
    if accuracy.len() != cells.len() {
        return Err(Error::BadInput(format!("{} cells but {} accuracies", cells.len(), accuracy.len())));
    }
    Ok(cells.into_iter().zip(accuracy).filter(|(_, a)| !a.is_nan()).unzip())
}
