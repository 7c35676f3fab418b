//! A set of NAS-Bench-101 cells with their measurements, merged by official hash.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cell::Cell;
use crate::hash::ModuleHash;
use crate::metrics::MetricKey;
use crate::op::Op;

/// One cell and everything measured on it. Each metric keeps one value per repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The official module hash (isomorphic cells share it).
    pub hash: ModuleHash,
    /// The cell itself.
    pub cell: Cell,
    /// Trainable parameters of the network built from the cell, where the source gives them.
    pub trainable_parameters: Option<u64>,
    /// Each metric's values, one per training repeat.
    pub metrics: BTreeMap<MetricKey, Vec<f64>>,
}

impl Record {
    /// A record without measurements.
    pub fn new(cell: Cell) -> Self {
        Self { hash: cell.hash(), cell, trainable_parameters: None, metrics: BTreeMap::new() }
    }

    /// Adds one measured value (one more repeat).
    pub fn push_metric(&mut self, key: MetricKey, value: f64) {
        self.metrics.entry(key).or_default().push(value);
    }

    /// The mean over repeats of a metric, if it was measured.
    pub fn mean(&self, key: MetricKey) -> Option<f64> {
        let values = self.metrics.get(&key).filter(|v| !v.is_empty())?;
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }

    fn absorb(&mut self, other: Self) {
        if self.trainable_parameters.is_none() {
            self.trainable_parameters = other.trainable_parameters;
        }
        for (key, values) in other.metrics {
            self.metrics.entry(key).or_default().extend(values);
        }
    }
}

/// Cells merged by hash, in the order they were first seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    records: Vec<Record>,
    index: HashMap<ModuleHash, usize>,
    /// Records pushed, duplicates included.
    records_read: usize,
}

/// What a dataset holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    /// The number of records read, duplicates by hash included.
    pub records: usize,
    /// The number of unique cells.
    pub cells: usize,
    /// Unique cells by vertex count.
    pub vertices: BTreeMap<usize, usize>,
    /// Inner vertices by op, over all cells.
    pub ops: BTreeMap<String, usize>,
    /// Every metric that at least one cell has, with how many cells have it, in column order.
    pub metrics: BTreeMap<MetricKey, usize>,
    /// Cells with a parameter count.
    pub with_parameters: usize,
    /// The most repeats any metric has on one cell.
    pub max_repeats: usize,
}

/// A dataset as serde sees it: its records and how many were read (the index is rebuilt).
#[derive(Serialize)]
struct DatasetParts<'a> {
    records: &'a [Record],
    records_read: usize,
}

#[derive(Deserialize)]
struct OwnedDatasetParts {
    records: Vec<Record>,
    records_read: usize,
}

impl Serialize for Dataset {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        DatasetParts { records: &self.records, records_read: self.records_read }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Dataset {
    /// Refuses records that share a hash or fewer reads than records: a serialized dataset is
    /// merged already.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let parts = OwnedDatasetParts::deserialize(deserializer)?;
        let mut index = HashMap::with_capacity(parts.records.len());
        for (position, record) in parts.records.iter().enumerate() {
            if index.insert(record.hash, position).is_some() {
                return Err(serde::de::Error::custom(format!("two records have the hash {}", record.hash)));
            }
        }
        if parts.records_read < parts.records.len() {
            return Err(serde::de::Error::custom(format!(
                "{} records cannot come from {} read",
                parts.records.len(),
                parts.records_read
            )));
        }
        Ok(Self { records: parts.records, index, records_read: parts.records_read })
    }
}

impl Dataset {
    /// An empty dataset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a record; a record whose hash is already present has its measurements merged in
    /// (as further repeats) and keeps the cell first seen.
    pub fn push(&mut self, record: Record) {
        self.records_read += 1;
        match self.index.get(&record.hash) {
            Some(&i) => self.records[i].absorb(record),
            None => {
                self.index.insert(record.hash, self.records.len());
                self.records.push(record);
            }
        }
    }

    /// Merges every record of `other` into this dataset.
    pub fn merge(&mut self, other: Self) {
        let duplicates = other.records_read - other.records.len();
        other.records.into_iter().for_each(|r| self.push(r));
        self.records_read += duplicates;
    }

    /// How many records were read into this dataset, duplicates by hash included.
    pub fn records_read(&self) -> usize {
        self.records_read
    }

    /// The number of unique cells.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the dataset holds no cell.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records, in the order first seen.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The record of a hash.
    pub fn get(&self, hash: &ModuleHash) -> Option<&Record> {
        self.index.get(hash).map(|&i| &self.records[i])
    }

    /// The position of a hash in [`Self::records`].
    pub fn position(&self, hash: &ModuleHash) -> Option<usize> {
        self.index.get(hash).copied()
    }

    /// The mean of a metric for every record (`None` where it was not measured).
    pub fn targets(&self, key: MetricKey) -> Vec<Option<f64>> {
        self.records.iter().map(|r| r.mean(key)).collect()
    }

    /// Counts of what the dataset holds.
    pub fn summary(&self) -> DatasetSummary {
        let mut vertices = BTreeMap::new();
        let mut ops: BTreeMap<String, usize> = BTreeMap::new();
        let mut metrics: BTreeMap<MetricKey, usize> = BTreeMap::new();
        let mut max_repeats = 0;
        for record in &self.records {
            *vertices.entry(record.cell.n_vertices()).or_insert(0) += 1;
            for op in record.cell.ops().iter().filter(|op| op.is_inner()) {
                *ops.entry(op.name().to_owned()).or_insert(0) += 1;
            }
            for (key, values) in &record.metrics {
                *metrics.entry(*key).or_insert(0) += 1;
                max_repeats = max_repeats.max(values.len());
            }
        }
        for op in [Op::Conv1x1, Op::Conv3x3, Op::MaxPool3x3] {
            ops.entry(op.name().to_owned()).or_insert(0);
        }
        DatasetSummary {
            records: self.records_read,
            cells: self.records.len(),
            vertices,
            ops,
            metrics,
            with_parameters: self.records.iter().filter(|r| r.trainable_parameters.is_some()).count(),
            max_repeats,
        }
    }

    /// Every metric key present, in column order.
    pub fn metric_keys(&self) -> BTreeSet<MetricKey> {
        self.records.iter().flat_map(|r| r.metrics.keys().copied()).collect()
    }
}

/// Records merged by hash: measurements of the same cell become repeats.
///
/// ```
/// use nasbench::{Dataset, MetricKey, Record};
///
/// let cell = nasbench::parse_line("011,001,000 | input,conv3x3-bn-relu,output").unwrap();
/// let measured = |accuracy| {
///     let mut record = Record::new(cell);
///     record.push_metric(MetricKey::VAL_ACC_108, accuracy);
///     record
/// };
/// let dataset: Dataset = [measured(0.90), measured(0.92)].into_iter().collect();
/// assert_eq!(dataset.summary().cells, 1);
/// let mean = dataset.get(&cell.hash()).and_then(|r| r.mean(MetricKey::VAL_ACC_108)).unwrap();
/// assert!((mean - 0.91).abs() < 1e-12);
/// ```
impl FromIterator<Record> for Dataset {
    fn from_iter<T: IntoIterator<Item = Record>>(iter: T) -> Self {
        let mut dataset = Self::new();
        iter.into_iter().for_each(|r| dataset.push(r));
        dataset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{parse_adjacency_rows, parse_operations};

    fn cell(rows: &str, ops: &str) -> Cell {
        Cell::new(&parse_adjacency_rows(rows).unwrap(), &parse_operations(ops).unwrap()).unwrap()
    }

    #[test]
    fn a_dataset_survives_serde_with_its_index_and_refuses_shared_hashes() {
        let a = cell("0110,0001,0001,0000", "input|conv1x1-bn-relu|maxpool3x3|output");
        let c = cell("01,00", "input|output");
        let mut first = Record::new(a);
        first.push_metric(MetricKey::VAL_ACC_108, 0.5);
        let dataset: Dataset = [first.clone(), first, Record::new(c)].into_iter().collect();
        let json = serde_json::to_string(&dataset).unwrap();
        let back: Dataset = serde_json::from_str(&json).unwrap();
        assert_eq!(back, dataset);
        assert_eq!(back.records_read(), 3);
        assert_eq!(back.position(&c.hash()), Some(1), "the index is rebuilt");

        let twice = json.replace(&c.hash().to_string(), &a.hash().to_string());
        let error = serde_json::from_str::<Dataset>(&twice).unwrap_err().to_string();
        assert!(error.contains("two records have the hash"), "{error}");
        let fewer = json.replace("\"records_read\":3", "\"records_read\":1");
        let error = serde_json::from_str::<Dataset>(&fewer).unwrap_err().to_string();
        assert!(error.contains("2 records cannot come from 1 read"), "{error}");
    }

    #[test]
    fn merging_by_hash_keeps_every_repeat() {
        let a = cell("0110,0001,0001,0000", "input|conv1x1-bn-relu|maxpool3x3|output");
        // The same cell up to isomorphism: the two inner vertices swapped.
        let b = cell("0110,0001,0001,0000", "input|maxpool3x3|conv1x1-bn-relu|output");
        let c = cell("01,00", "input|output");
        let mut first = Record::new(a);
        first.push_metric(MetricKey::VAL_ACC_108, 0.5);
        let mut second = Record::new(b);
        second.push_metric(MetricKey::VAL_ACC_108, 0.7);
        second.push_metric(MetricKey::TEST_ACC_108, 0.6);
        second.trainable_parameters = Some(10);
        let dataset: Dataset = [first, second, Record::new(c)].into_iter().collect();

        assert_eq!(dataset.len(), 2);
        assert_eq!(dataset.records_read(), 3);
        let merged = dataset.get(&a.hash()).unwrap();
        assert_eq!(merged.cell, a, "the cell first seen is kept");
        assert_eq!(merged.metrics[&MetricKey::VAL_ACC_108], vec![0.5, 0.7]);
        assert!((merged.mean(MetricKey::VAL_ACC_108).unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(merged.trainable_parameters, Some(10));

        let summary = dataset.summary();
        assert_eq!(summary.cells, 2);
        assert_eq!(summary.records, 3);
        assert_eq!(summary.vertices, BTreeMap::from([(2, 1), (4, 1)]));
        assert_eq!(summary.metrics[&MetricKey::VAL_ACC_108], 1);
        assert_eq!(summary.max_repeats, 2);
        assert_eq!(summary.ops["conv1x1-bn-relu"], 1);
        assert_eq!(summary.ops["conv3x3-bn-relu"], 0);
        assert_eq!(dataset.targets(MetricKey::TEST_ACC_108), vec![Some(0.6), None]);
    }
}
