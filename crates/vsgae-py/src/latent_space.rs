//! `vsgae.VsGae`: the variational-sequential graph autoencoder: cells to latent means, latent
//! points to cells, interpolation between cells and draws from its prior.

use std::path::PathBuf;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::Cell;
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use vsgae::VsGae;
use vsgae::latent::prior::{LatentPrior, PRIOR_FILE};
use vsgae::latent::{Interpolation, encode_means, interpolate};
use vsgae::model::decoding::{DecodeMode, Decoding};

use crate::cells::{PyCell, cells_argument, type_name};
use crate::errors::{Error, Result, detached};
use crate::model_folder::check_model_folder;

/// Cells per encoder pass (as the CLI's `encode`).
const ENCODE_CHUNK: usize = 2048;

/// A trained VS-GAE, with the prior its points are drawn from where it has one.
#[pyclass(module = "vsgae", name = "VsGae", frozen)]
#[derive(Debug)]
pub struct PyVsGae {
    pub model: VsGae,
    prior: Option<LatentPrior>,
    source: String,
}

impl PyVsGae {
    /// The shipped VS-GAE with its prior.
    pub fn shipped(py: Python<'_>) -> Result<Self> {
        let files = vsgae::shipped::VSGAE;
        let (_, model) = detached(py, || Ok(files.vsgae(&Device::flex())?))?;
        let prior = vsgae::shipped::vsgae_prior(model.latent_dim())?;
        Ok(Self { model, prior: Some(prior), source: files.source.to_owned() })
    }

    /// Latent means of cells, row-major `cells × latent_dim`.
    pub fn means(&self, py: Python<'_>, cells: &[Cell]) -> Result<Vec<f32>> {
        detached(py, || {
            let device = Device::flex();
            Ok(vsgae::readback::floats(encode_means(&self.model, cells, &device, ENCODE_CHUNK))?)
        })
    }

    /// Decodes row-major points of `latent_dim` each; None where a point's graph is no cell.
    fn decode_points(
        &self,
        py: Python<'_>,
        points: Vec<f32>,
        decoding: Decoding,
        seed: u64,
    ) -> Result<Vec<Option<PyCell>>> {
        let dim = self.model.latent_dim();
        let rows = points.len() / dim;
        let graphs = detached(py, || {
            let device = Device::flex();
            let c = Tensor::<2>::from_data(TensorData::new(points, [rows, dim]), &device);
            Ok(self.model.decode(c, decoding, &mut nasbench::split::rng(seed))?)
        })?;
        Ok(graphs.iter().map(|g| g.to_cell().map(PyCell)).collect())
    }
}

fn decoding(masked: bool, greedy: bool) -> Decoding {
    Decoding { mode: if greedy { DecodeMode::Greedy } else { DecodeMode::Sample }, masked }
}

#[pymethods]
impl PyVsGae {
    /// The VS-GAE in a model folder (with its `prior.json` where it has one), or the shipped one.
    #[staticmethod]
    #[pyo3(signature = (path = None))]
    fn load(py: Python<'_>, path: Option<PathBuf>) -> PyResult<Self> {
        let Some(dir) = path else { return Ok(Self::shipped(py)?) };
        check_model_folder(&dir)?;
        let (_, model) = detached(py, || Ok(vsgae::io::model_files::load_from_dir::<VsGae>(&dir, &Device::flex())?))?;
        let prior = LatentPrior::from_model_folder(&dir, model.latent_dim()).map_err(Error::from)?;
        Ok(Self { model, prior, source: dir.display().to_string() })
    }

    /// The width of the latent space (56 for the paper's model).
    #[getter]
    fn latent_dim(&self) -> usize {
        self.model.latent_dim()
    }

    /// The encoder's latent means, float32 `(N, latent_dim)`.
    fn encode<'py>(&self, py: Python<'py>, cells: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let cells = cells_argument(cells)?;
        let rows = cells.len();
        let values = self.means(py, &cells)?;
        PyArray1::from_vec(py, values).reshape([rows, self.model.latent_dim()])
    }

    /// Decodes latent points `(N, latent_dim)` to cells, node by node: each point's most likely
    /// graph (`greedy`) or a sample (seeded by `seed`); `masked` keeps every choice within
    /// NAS-Bench-101's rules, so every point gives a cell. None where a graph is no cell.
    #[pyo3(signature = (z, *, masked = true, greedy = true, seed = 0))]
    fn decode(
        &self,
        py: Python<'_>,
        z: &Bound<'_, PyAny>,
        masked: bool,
        greedy: bool,
        seed: u64,
    ) -> PyResult<Vec<Option<PyCell>>> {
        let points = self.points_argument(z)?;
        Ok(self.decode_points(py, points, decoding(masked, greedy), seed)?)
    }

    /// `steps` cells from `a` to `b`: their latent means joined by a line (or, `spherical`, a
    /// great circle), each point decoded as `decode` does.
    #[pyo3(signature = (a, b, steps = 8, *, spherical = false, masked = true, greedy = true, seed = 0))]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn interpolate(
        &self,
        py: Python<'_>,
        a: &Bound<'_, PyCell>,
        b: &Bound<'_, PyCell>,
        steps: usize,
        spherical: bool,
        masked: bool,
        greedy: bool,
        seed: u64,
    ) -> PyResult<Vec<Option<PyCell>>> {
        if !(2..=1000).contains(&steps) {
            return Err(Error::BadInput(format!("steps {steps}: from 2 to 1000")).into());
        }
        let dim = self.model.latent_dim();
        let ends = self.means(py, &[a.get().0, b.get().0])?;
        let how = if spherical { Interpolation::Spherical } else { Interpolation::Linear };
        let points: Vec<f32> = interpolate(&ends[..dim], &ends[dim..], steps, how).into_iter().flatten().collect();
        Ok(self.decode_points(py, points, decoding(masked, greedy), seed)?)
    }

    /// `n` points drawn from the model's prior (seeded), each decoded as `decode` does.
    #[pyo3(signature = (n, seed = 0, *, masked = true, greedy = true))]
    fn sample(&self, py: Python<'_>, n: usize, seed: u64, masked: bool, greedy: bool) -> PyResult<Vec<Option<PyCell>>> {
        if n > MAX_POINTS {
            return Err(Error::BadInput(format!("n {n}: at most {MAX_POINTS} points at once")).into());
        }
        let prior = self.prior.as_ref().ok_or_else(|| {
            Error::BadInput(format!(
                "{} has no {PRIOR_FILE}; `vsgae fit-prior --model {}` writes one",
                self.source, self.source
            ))
        })?;
        let mut rng = nasbench::split::rng(seed);
        let points = vsgae::readback::floats(prior.sample(n, 1, &Device::flex(), &mut rng)).map_err(Error::from)?;
        Ok(self.decode_points(py, points, decoding(masked, greedy), seed)?)
    }

    fn __repr__(&self) -> String {
        let prior = if self.prior.is_some() { "with its prior" } else { "no prior" };
        format!("<vsgae.VsGae from {}: {} latent dimensions, {prior}>", self.source, self.model.latent_dim())
    }
}

/// The most points one call decodes or draws.
const MAX_POINTS: usize = 1_000_000;

impl PyVsGae {
    /// Latent points from a `(N, latent_dim)` array of finite numbers, row-major.
    fn points_argument(&self, z: &Bound<'_, PyAny>) -> Result<Vec<f32>> {
        let dim = self.model.latent_dim();
        let failed = |e: PyErr| Error::BadInput(format!("z: {e}"));
        let numpy = z.py().import("numpy").map_err(failed)?;
        let array = numpy.call_method1("ascontiguousarray", (z, "float32")).map_err(|_| {
            Error::BadInput(format!("z: expected an array of numbers (N, {dim}), found {}", type_name(z)))
        })?;
        let array: PyReadonlyArray2<'_, f32> = array.extract().map_err(|_| {
            Error::BadInput(format!("z: expected a 2-D array (N, {dim}); reshape one point with z[None, :]"))
        })?;
        if array.shape()[1] != dim || array.shape()[0] > MAX_POINTS {
            return Err(Error::BadInput(format!(
                "z: expected (N, {dim}) with N at most {MAX_POINTS}, found {:?}",
                array.shape()
            )));
        }
        let values = array.as_slice().map_err(|e| Error::BadInput(format!("z: {e}")))?.to_vec();
        if values.iter().any(|v| !v.is_finite()) {
            return Err(Error::BadInput("z: every coordinate must be a finite number".to_owned()));
        }
        Ok(values)
    }
}
