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
    anyhow::ensure!(
        !data.is_empty(),
        "no cell of {} has the metric {} and the auxiliary targets {:?}",
        files.len(),
        config.target,
        config.auxiliary_targets()
    );
    Ok(data)
}

/// The cells of the files that have the target metric.
pub fn read_targets(files: &[PathBuf], target: &str) -> anyhow::Result<PredictorData> {
    let key: MetricKey = target.parse().with_context(|| format!("--target {target}"))?;
    let dataset = read_dataset(files)?;
    let data = PredictorData::from_dataset(&dataset, key);
    anyhow::ensure!(!data.is_empty(), "no cell of {} has the metric {key}", files.len());
    Ok(data)
}
