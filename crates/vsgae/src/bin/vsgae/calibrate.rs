//! `calibrate-predictor`: leaves out an ensemble's collapsed members and fits the affine map from
//! the members' mean to the accuracy, both on the validation part of the run's own split.
//! `calibrate-intervals`: fits split-conformal intervals on the ensemble's spread on the same
//! part, and reports how often they hold the truth on the test part.

use std::path::PathBuf;

use serde_json::json;
use vsgae::evaluation::calibration::{UncertaintyReport, fit, fit_intervals, is_constant};
use vsgae::evaluation::metrics::RegressionMetrics;
use vsgae::inference::{Prediction, predict, predict_with_spread};
use vsgae::io::checkpoint::{write_atomically, write_json};
use vsgae::training::PredictorSplit;
use vsgae::{Predictor, ReferenceParams, StateDict};

use crate::backend::Backend;
use crate::data::read_training_data;

#[derive(Debug, clap::Args)]
pub struct CalibratePredictorArgs {
    /// A directory written by train-predictor.
    #[arg(long)]
    model: PathBuf,
    /// The data it was trained on (the split follows from its config; only the validation part
    /// is read).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Where the calibrated model goes (config.json, weights.safetensors, calibration.json).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

pub fn calibrate(args: CalibratePredictorArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (mut config, model) = vsgae::io::model_files::load_from_dir::<Predictor>(&args.model, &device)?;
    anyhow::ensure!(
        config.model.calibration.is_none(),
        "{} is calibrated already; calibrate the model training wrote",
        args.model.display()
    );
    let data = read_training_data(&args.data, &config)?;
    let validation = PredictorSplit::new(&data, &config)?.validation;
    anyhow::ensure!(validation.len() >= 2, "the validation part holds {} cell(s)", validation.len());
    let cells: Vec<nasbench::Cell> = validation.iter().map(|&i| data.cells[i]).collect();
    let truth: Vec<f64> = validation.iter().map(|&i| data.targets[i]).collect();

    // Each member's predictions, once; every ensemble below is a mean of some of them, formed as
    // `predict` forms it (the members' f32 outputs, averaged in f64).
    let members = (0..model.members.len())
        .map(|k| {
            let member = model.subset(&[k]).map_err(|k| anyhow::anyhow!("no member {k}"))?;
            Ok(predict(&member, &cells, &device)?)
        })
        .collect::<anyhow::Result<Vec<Vec<f64>>>>()?;
    let (kept, collapsed): (Vec<usize>, Vec<usize>) = (0..members.len()).partition(|&k| !is_constant(&members[k]));
    anyhow::ensure!(!kept.is_empty(), "every member of {} predicts one number for all cells", args.model.display());
    let ensemble_of = |chosen: &[usize]| -> Vec<Prediction> {
        (0..cells.len())
            .map(|cell| {
                let values: Vec<f32> = chosen.iter().map(|&k| members[k][cell] as f32).collect();
                Prediction::of_members(&values)
            })
            .collect()
    };
    let means = |predictions: &[Prediction]| predictions.iter().map(|p| p.mean).collect::<Vec<f64>>();
    let before = means(&ensemble_of(&(0..members.len()).collect::<Vec<_>>()));
    let uncalibrated = ensemble_of(&kept);
    let calibration = fit(&means(&uncalibrated), &truth)
        .ok_or_else(|| anyhow::anyhow!("the members' mean does not vary over the validation part"))?;
    anyhow::ensure!(
        calibration.scale > 0.0,
        "the members' mean of {} falls as the accuracy rises on the validation part (least-squares scale {:.3}): \
         a calibration would reverse its ranking; train it further instead",
        args.model.display(),
        calibration.scale
    );
    let after: Vec<f64> = uncalibrated.iter().map(|p| p.calibrated(Some(calibration)).mean).collect();
    let mut calibrated = model.subset(&kept).map_err(|k| anyhow::anyhow!("no member {k}"))?;
    calibrated.calibration = Some(calibration);

    config.model.ensemble_size = Some(kept.len());
    config.model.calibration = Some(calibration);
    let mut weights = StateDict::default();
    calibrated.save(&mut weights, "");
    write_json(&args.out.join("config.json"), &config)?;
    write_atomically(&args.out.join("weights.safetensors"), &weights.to_safetensors()?)?;
    let report = json!({
        "model": args.model.display().to_string(),
        "members_kept": kept,
        "members_collapsed": collapsed,
        "calibration": calibration,
        "validation_before": RegressionMetrics::compute(&before, &truth)?,
        "validation_after": RegressionMetrics::compute(&after, &truth)?,
    });
    write_json(&args.out.join("calibration.json"), &report)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct CalibrateIntervalsArgs {
    /// A predictor directory (calibrated or not); an ensemble gives intervals that follow its
    /// spread, one network intervals of one width.
    #[arg(long)]
    model: PathBuf,
    /// The data it was trained on (the split follows from its config): the intervals are fitted
    /// on the validation part and checked on the test part.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Where the model with intervals goes (config.json, weights.safetensors, intervals.json);
    /// may be --model itself.
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

pub fn calibrate_intervals(args: CalibrateIntervalsArgs) -> anyhow::Result<()> {
    let device = args.backend.device(false)?;
    let (mut config, mut model) = vsgae::io::model_files::load_from_dir::<Predictor>(&args.model, &device)?;
    model.intervals = None;
    let data = read_training_data(&args.data, &config)?;
    let split = PredictorSplit::new(&data, &config)?;
    let part = |indices: &[usize]| -> anyhow::Result<(Vec<Prediction>, Vec<f64>)> {
        let cells: Vec<nasbench::Cell> = indices.iter().map(|&i| data.cells[i]).collect();
        let truth = indices.iter().map(|&i| data.targets[i]).collect();
        Ok((predict_with_spread(&model, &cells, &device)?, truth))
    };
    let (validation, validation_truth) = part(&split.validation)?;
    let intervals = fit_intervals(&validation, &validation_truth).ok_or_else(|| {
        anyhow::anyhow!(
            "{}: intervals need at least 20 validation cells with finite predictions, found {}",
            args.model.display(),
            validation.len()
        )
    })?;
    let (test, test_truth) = part(&split.test)?;
    let with_intervals = |predictions: Vec<Prediction>| -> Vec<Prediction> {
        predictions.into_iter().map(|p| p.with_intervals(Some(intervals))).collect()
    };
    let validation_report = UncertaintyReport::compute(&with_intervals(validation), &validation_truth);
    let test_report = UncertaintyReport::compute(&with_intervals(test), &test_truth);

    config.model.intervals = Some(intervals);
    std::fs::create_dir_all(&args.out)?;
    write_json(&args.out.join("config.json"), &config)?;
    if args.out != args.model {
        let weights = std::fs::read(args.model.join("weights.safetensors"))?;
        write_atomically(&args.out.join("weights.safetensors"), &weights)?;
    }
    let report = json!({
        "model": args.model.display().to_string(),
        "intervals": intervals,
        "validation": validation_report,
        "test": test_report,
    });
    write_json(&args.out.join("intervals.json"), &report)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
