//! Reading cells and targets from data files.

use std::path::PathBuf;

use anyhow::Context as _;
use nasbench::{Dataset, MetricKey, formats};
use vsgae::training::PredictorData;

/// Reads and merges every file (any format `nasbench` reads).
pub fn read_dataset(files: &[PathBuf]) -> anyhow::Result<Dataset> {
    let mut merged = Dataset::new();
    for file in files {
        let (format, dataset) = formats::read_file(file)?;
        tracing::info!(file = %file.display(), %format, cells = dataset.len(), "read");
        merged.merge(dataset);
    }
    Ok(merged)
}

/// The cells of the files that have `config`'s target and auxiliary targets.
pub fn read_training_data(files: &[PathBuf], config: &vsgae::PredictorTrainingConfig) -> anyhow::Result<PredictorData> {
    let dataset = read_dataset(files)?;
    let data = PredictorData::for_config(&dataset, config)?;
    if data.is_empty() {
        let wanted = std::iter::once(&config.target).chain(config.auxiliary_targets()).cloned().collect::<Vec<_>>();
        anyhow::bail!("{}", missing_metrics(&dataset, &wanted.join(", ")));
    }
    Ok(data)
}

/// Why no cell of `dataset` has the metrics asked for, with the metrics it does have.
fn missing_metrics(dataset: &Dataset, wanted: &str) -> String {
    let summary = dataset.summary();
    let available: Vec<String> = summary.metrics.keys().map(ToString::to_string).collect();
    let available = if available.is_empty() { "none".to_owned() } else { available.join(", ") };
    format!("none of the {} cells read has {wanted}; the data has the metrics {available}", dataset.len())
}

/// The cells of the files that have the target metric.
pub fn read_targets(files: &[PathBuf], target: &str) -> anyhow::Result<PredictorData> {
    let key: MetricKey = target.parse().with_context(|| format!("--target {target}"))?;
    let dataset = read_dataset(files)?;
    let data = PredictorData::from_dataset(&dataset, key);
    anyhow::ensure!(!data.is_empty(), "{}", missing_metrics(&dataset, &key.to_string()));
    Ok(data)
}
