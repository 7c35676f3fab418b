//! `vsgae.Predictor`: the accuracy predictor, loaded (the shipped one by default), asked for
//! many cells at once, fitted with the CLI's recipe, and saved as a model folder.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use burn::tensor::Device;
use nasbench::Cell;
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use vsgae::config::PredictorTrainingConfig;
use vsgae::inference::{IntervalLevel, predict_with_spread};
use vsgae::training::{PredictorData, PredictorSession, TrainError, TrainingEvent};

use crate::cells::{cells_argument, type_name};
use crate::errors::{Error, Result, detached};
use crate::model_folder::check_model_folder;
use crate::training_progress::TrainingProgress;

/// A trained accuracy predictor.
#[pyclass(module = "vsgae", name = "Predictor", frozen)]
#[derive(Debug)]
pub struct PyPredictor {
    config: PredictorTrainingConfig,
    model: vsgae::Predictor,
    source: String,
}

/// Keyword arguments of `Predictor.fit` that set a field of the model's config rather than of
/// the training config, and where.
const MODEL_KEYS: [(&str, &[&str]); 5] = [
    ("ensemble_size", &["model", "ensemble_size"]),
    ("num_head_layers", &["model", "num_head_layers"]),
    ("node_dim", &["model", "encoder", "node_dim"]),
    ("graph_dim", &["model", "encoder", "graph_dim"]),
    ("num_layers", &["model", "encoder", "num_layers"]),
];

#[pymethods]
impl PyPredictor {
    /// The predictor in a model folder, or the shipped one.
    #[staticmethod]
    #[pyo3(signature = (path = None, *, reference = false))]
    fn load(py: Python<'_>, path: Option<PathBuf>, reference: bool) -> PyResult<Self> {
        let device = Device::flex();
        let (source, loaded) = match &path {
            Some(dir) => {
                check_model_folder(dir)?;
                let loaded =
                    detached(py, || Ok(vsgae::io::model_files::load_from_dir::<vsgae::Predictor>(dir, &device)?))?;
                (dir.display().to_string(), loaded)
            }
            None => {
                let files = if reference { vsgae::shipped::REFERENCE_PREDICTOR } else { vsgae::shipped::PREDICTOR };
                (files.source.to_owned(), detached(py, || Ok(files.predictor(&device)?))?)
            }
        };
        let (config, model) = loaded;
        Ok(Self { config, model, source })
    }

    /// Predicted accuracies, float32, one per cell; with `interval` (0.5, 0.8 or 0.95) also the
    /// calibrated intervals, `(N, 2)` of `[low, high]`.
    #[pyo3(signature = (cells, interval = None))]
    fn predict<'py>(
        &self,
        py: Python<'py>,
        cells: &Bound<'py, PyAny>,
        interval: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let level = interval.map(|share| interval_level(share, self)).transpose()?;
        let cells = cells_argument(cells)?;
        let device = Device::flex();
        let predictions = detached(py, || Ok(predict_with_spread(&self.model, &cells, &device)?))?;
        let means: Vec<f32> = predictions.iter().map(|p| p.mean as f32).collect();
        let means = PyArray1::from_vec(py, means).into_any();
        let Some(level) = level else { return Ok(means) };
        let bounds: Vec<f32> = predictions
            .iter()
            .flat_map(|p| p.interval(level).map_or([f32::NAN; 2], |[low, high]| [low as f32, high as f32]))
            .collect();
        let bounds: Bound<'py, PyArray2<f32>> = PyArray1::from_vec(py, bounds).reshape([predictions.len(), 2])?;
        Ok(PyTuple::new(py, [means, bounds.into_any()])?.into_any())
    }

    /// Trains a new predictor on `cells` and their `accuracies` with the recipe of the shipped
    /// one (keyword arguments change it; `vsgae.Predictor.fit_options()` lists them).
    #[staticmethod]
    #[pyo3(signature = (cells, accuracies, *, progress = true, **config))]
    fn fit(
        py: Python<'_>,
        cells: &Bound<'_, PyAny>,
        accuracies: &Bound<'_, PyAny>,
        progress: bool,
        config: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let cells = cells_argument(cells)?;
        let targets = accuracies_argument(accuracies, cells.len())?;
        let config = fit_config(config)?;
        let data =
            PredictorData { hashes: cells.iter().map(Cell::hash).collect(), cells, targets, auxiliary: Vec::new() };
        let (config, model) = train(py, config, data, progress)?;
        Ok(Self { config, model, source: "a predictor fitted in Python".to_owned() })
    }

    /// The keyword arguments `fit` takes, with their values in the shipped recipe.
    #[staticmethod]
    fn fit_options(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        let recipe = shipped_recipe()?;
        let options = PyDict::new(py);
        let json = py.import("json")?;
        if let serde_json::Value::Object(fields) = &recipe {
            for (key, value) in fields.iter().filter(|(key, _)| key.as_str() != "model") {
                options.set_item(key, json.call_method1("loads", (value.to_string(),))?)?;
            }
        }
        for (key, path) in MODEL_KEYS {
            let value = path.iter().try_fold(&recipe, |v, k| v.get(k)).cloned().unwrap_or_default();
            options.set_item(key, json.call_method1("loads", (value.to_string(),))?)?;
        }
        Ok(options)
    }

    /// Writes the predictor as a model folder (`config.json`, `weights.safetensors`) that
    /// `Predictor.load` and the CLI's `--model` read.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        detached(py, || {
            std::fs::create_dir_all(&path)
                .map_err(|e| Error::Failed(format!("{}: cannot create the folder: {e}", path.display())))?;
            Ok(vsgae::io::model_files::write_dir(&path, &self.config, &self.model)?)
        })?;
        Ok(())
    }

    /// Networks in the ensemble (1 for a single network).
    #[getter]
    fn ensemble_size(&self) -> usize {
        self.model.members.len().max(1)
    }

    /// Whether `predict` can give calibrated intervals.
    #[getter]
    fn has_intervals(&self) -> bool {
        self.model.intervals.is_some()
    }

    /// The metric it predicts (e.g. `val_acc_108`).
    #[getter]
    fn target(&self) -> &str {
        &self.config.target
    }

    /// Its training config, as JSON.
    #[getter]
    fn config(&self) -> String {
        serde_json::to_string_pretty(&self.config).unwrap_or_default()
    }

    fn __repr__(&self) -> String {
        format!(
            "<vsgae.Predictor from {}: {} network(s), {}>",
            self.source,
            self.ensemble_size(),
            if self.has_intervals() { "calibrated intervals" } else { "no intervals" }
        )
    }
}

fn interval_level(share: f64, predictor: &PyPredictor) -> Result<IntervalLevel> {
    let level = IntervalLevel::ALL.into_iter().find(|level| (level.share() - share).abs() < 1e-9).ok_or_else(|| {
        Error::BadInput(format!("interval {share}: the calibrated intervals are for 0.5, 0.8 and 0.95"))
    })?;
    if predictor.model.intervals.is_none() {
        return Err(Error::BadInput(format!(
            "{} has no calibrated intervals (`vsgae calibrate-intervals` fits them)",
            predictor.source
        )));
    }
    Ok(level)
}

/// One finite accuracy per cell, from any 1-D sequence of numbers.
fn accuracies_argument(value: &Bound<'_, PyAny>, cells: usize) -> Result<Vec<f64>> {
    let values: Vec<f64> = value.extract().map_err(|_| {
        Error::BadInput(format!("accuracies: expected a sequence of numbers, found {}", type_name(value)))
    })?;
    if values.len() != cells {
        return Err(Error::BadInput(format!("{cells} cells but {} accuracies", values.len())));
    }
    if let Some(k) = values.iter().position(|v| !v.is_finite()) {
        return Err(Error::BadInput(format!("accuracy {k} is {}, not a finite number", values[k])));
    }
    if cells < 2 {
        return Err(Error::BadInput(format!("fitting needs at least 2 cells, found {cells}")));
    }
    Ok(values)
}

/// The shipped predictor's training config, without what was fitted after training
/// (calibration and intervals), as JSON.
fn shipped_recipe() -> Result<serde_json::Value> {
    let mut recipe: serde_json::Value = serde_json::from_slice(vsgae::shipped::PREDICTOR.config)
        .map_err(|e| Error::Failed(format!("{}/config.json: {e}", vsgae::shipped::PREDICTOR.source)))?;
    if let Some(model) = recipe.get_mut("model").and_then(|m| m.as_object_mut()) {
        model.insert("calibration".to_owned(), serde_json::Value::Null);
        model.insert("intervals".to_owned(), serde_json::Value::Null);
    }
    recipe["task"] = serde_json::json!(nasbench::split::Task::All.name());
    Ok(recipe)
}

/// The shipped recipe with `options` applied, checked before anything is allocated.
fn fit_config(options: Option<&Bound<'_, PyDict>>) -> Result<PredictorTrainingConfig> {
    let mut recipe = shipped_recipe()?;
    if let Some(options) = options {
        let json = options.py().import("json").map_err(|e| Error::Failed(e.to_string()))?;
        for (key, value) in options.iter() {
            let key: String = key.extract().map_err(|_| Error::BadInput("option names are strings".to_owned()))?;
            let text: String = json
                .call_method1("dumps", (&value,))
                .and_then(|t| t.extract())
                .map_err(|e| Error::BadInput(format!("{key}: {e}")))?;
            let value: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| Error::BadInput(format!("{key}: {e}")))?;
            let path: Vec<&str> = match MODEL_KEYS.iter().find(|(name, _)| *name == key) {
                Some((_, path)) => path.to_vec(),
                None if key != "model" && recipe.get(&key).is_some() => vec![key.as_str()],
                None => return Err(unknown_option(&key, &recipe)),
            };
            let unknown = unknown_option(&key, &recipe);
            let slot = path.iter().try_fold(&mut recipe, |v, k| v.get_mut(*k)).ok_or(unknown)?;
            *slot = value;
        }
    }
    let config: PredictorTrainingConfig =
        serde_json::from_value(recipe).map_err(|e| Error::BadInput(format!("the fit options: {e}")))?;
    config.validate()?;
    if !config.auxiliary_targets().is_empty() || config.encoder_from.is_some() {
        return Err(Error::BadInput(
            "fit trains on the accuracies given: no auxiliary targets or encoder_from".to_owned(),
        ));
    }
    Ok(config)
}

fn unknown_option(key: &str, recipe: &serde_json::Value) -> Error {
    let mut known: Vec<&str> = recipe.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    known.retain(|k| *k != "model");
    known.extend(MODEL_KEYS.iter().map(|(name, _)| *name));
    known.sort_unstable();
    Error::BadInput(format!("unknown fit option {key:?}; the options are {}", known.join(", ")))
}

/// Runs the training session with the GIL released, a progress bar on a terminal, and Ctrl-C
/// stopping it at the next step.
fn train(
    py: Python<'_>,
    config: PredictorTrainingConfig,
    data: PredictorData,
    progress: bool,
) -> Result<(PredictorTrainingConfig, vsgae::Predictor)> {
    detached(py, move || {
        let device = Device::flex().autodiff();
        let mut session = PredictorSession::new(config, Arc::new(data), device)?;
        let cancel = session.cancel_flag();
        let mut interrupted: Option<PyErr> = None;
        let mut bar = TrainingProgress::new(progress);
        let outcome = session.run(&mut |event: TrainingEvent| {
            bar.event(&event);
            if matches!(event, TrainingEvent::Step { .. } | TrainingEvent::Epoch(_))
                && let Err(error) = Python::attach(|py| py.check_signals())
            {
                interrupted = Some(error);
                cancel.store(true, Ordering::Relaxed);
            }
        });
        bar.finish();
        match (outcome, interrupted) {
            (_, Some(error)) => Err(Error::Python(error)),
            (Err(TrainError::Cancelled), None) => Err(Error::Failed("training was cancelled".to_owned())),
            (Err(error), None) => Err(error.into()),
            (Ok(()), None) => Ok((session.config().clone(), session.model())),
        }
    })
}
