//! Our CSV: the columns of `nb101_val_20k.csv`.
//!
//! `hash,n_vertices,adjacency_rows,operations,trainable_parameters,final_training_time_108,
//! val_acc_4,val_acc_12,val_acc_36,val_acc_108`. Only `adjacency_rows` and `operations` are
//! required; `hash` and `n_vertices`, where present, must agree with the cell; every column
//! named like a metric (`val_acc_108`, `test_acc_108`, `train_acc_36@18`, …) is read as one;
//! other columns are ignored. An empty value is a missing measurement. The writer writes the
//! mean over repeats.

use std::io::Write;

use rayon::prelude::*;

use super::{FormatError, RecordError};
use crate::cell::{Cell, parse_adjacency_rows, parse_operations};
use crate::dataset::{Dataset, Record};
use crate::hash::ModuleHash;
use crate::metrics::{MetricKey, Quantity};

/// Whether the first line looks like our CSV header.
pub fn looks_like_csv(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    std::str::from_utf8(first_line)
        .map(|line| line.contains("adjacency_rows") && line.contains("operations"))
        .unwrap_or(false)
}

struct Columns {
    hash: Option<usize>,
    n_vertices: Option<usize>,
    adjacency: usize,
    operations: usize,
    parameters: Option<usize>,
    metrics: Vec<(usize, MetricKey)>,
}

impl Columns {
    fn from_header(header: &::csv::StringRecord) -> Result<Self, FormatError> {
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let required = |name: &str| {
            find(name)
                .ok_or_else(|| FormatError::Csv { line: 1, message: format!("the header has no {name:?} column") })
        };
        Ok(Self {
            hash: find("hash"),
            n_vertices: find("n_vertices"),
            adjacency: required("adjacency_rows")?,
            operations: required("operations")?,
            parameters: find("trainable_parameters"),
            metrics: header.iter().enumerate().filter_map(|(i, h)| Some((i, h.parse().ok()?))).collect(),
        })
    }
}

/// Reads our CSV.
pub fn read_csv(bytes: &[u8]) -> Result<Dataset, FormatError> {
    let mut reader = ::csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let csv_error = |e: ::csv::Error| FormatError::Csv {
        line: e.position().map_or(0, |p| p.line()),
        message: match e.kind() {
            ::csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("{len} fields where the header has {expected_len}")
            }
            ::csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".to_owned(),
            _ => e.to_string(),
        },
    };
    let header = reader.headers().map_err(csv_error)?.clone();
    let columns = Columns::from_header(&header)?;
    let rows = reader.records().collect::<Result<Vec<_>, _>>().map_err(csv_error)?;
    let records = rows
        .par_iter()
        .map(|row| {
            let line = row.position().map_or(0, |p| p.line());
            record_of_row(&columns, row).map_err(|error| FormatError::Csv { line, message: error.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(records.into_iter().collect())
}

fn record_of_row(columns: &Columns, row: &::csv::StringRecord) -> Result<Record, RecordError> {
    let field = |i: usize| row.get(i).map(str::trim).unwrap_or_default();
    let matrix = parse_adjacency_rows(field(columns.adjacency))?;
    let ops = parse_operations(field(columns.operations))?;
    let cell = Cell::new(&matrix, &ops)?;
    let mut record = Record::new(cell);
    if let Some(text) = columns.hash.map(field).filter(|t| !t.is_empty()) {
        let stated: ModuleHash = text.parse()?;
        if stated != record.hash {
            return Err(RecordError::HashMismatch { stated, actual: record.hash });
        }
    }
    if let Some(text) = columns.n_vertices.map(field).filter(|t| !t.is_empty())
        && text.parse::<usize>().ok() != Some(cell.n_vertices())
    {
        return Err(RecordError::VertexCount { stated: text.to_owned(), actual: cell.n_vertices() });
    }
    let not_a_number = |field: &str, text: &str, expected| RecordError::NotANumber {
        field: field.to_owned(),
        text: text.to_owned(),
        expected,
    };
    if let Some(text) = columns.parameters.map(field).filter(|t| !t.is_empty()) {
        record.trainable_parameters =
            Some(text.parse().map_err(|_| not_a_number("trainable_parameters", text, "a whole number"))?);
    }
    for &(i, key) in &columns.metrics {
        let text = field(i);
        if !text.is_empty() {
            let value: f64 = text.parse().map_err(|_| not_a_number(&key.to_string(), text, "a number"))?;
            record.push_metric(key, value);
        }
    }
    Ok(record)
}

/// The CSV header name of a metric: `final_training_time_108` for final training times, as in
/// `nb101_val_20k.csv`, the metric's own name otherwise.
fn column_name(key: MetricKey) -> String {
    if key.quantity == Quantity::TrainingTime && key.epoch == key.budget {
        format!("final_{key}")
    } else {
        key.to_string()
    }
}

/// Writes our CSV: the cell columns, `trainable_parameters` where any cell has it, then one
/// column per metric present (the mean over repeats).
pub fn write_csv(dataset: &Dataset, out: impl Write) -> Result<(), FormatError> {
    let keys: Vec<MetricKey> = dataset.metric_keys().into_iter().collect();
    let with_parameters = dataset.records().iter().any(|r| r.trainable_parameters.is_some());
    let mut writer = ::csv::Writer::from_writer(out);
    let io = |e: ::csv::Error| FormatError::Io(std::io::Error::other(e.to_string()));
    let mut header: Vec<String> = ["hash", "n_vertices", "adjacency_rows", "operations"].map(String::from).to_vec();
    if with_parameters {
        header.push("trainable_parameters".to_owned());
    }
    header.extend(keys.iter().map(|&k| column_name(k)));
    writer.write_record(&header).map_err(io)?;
    let mut row: Vec<String> = Vec::with_capacity(header.len());
    for record in dataset.records() {
        row.clear();
        row.push(record.hash.to_string());
        row.push(record.cell.n_vertices().to_string());
        row.push(record.cell.adjacency_rows_string());
        row.push(record.cell.operations_string("|"));
        if with_parameters {
            row.push(record.trainable_parameters.map(|p| p.to_string()).unwrap_or_default());
        }
        row.extend(keys.iter().map(|&k| record.mean(k).map(|v| v.to_string()).unwrap_or_default()));
        writer.write_record(&row).map_err(io)?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes our CSV to a file atomically (a temporary file beside it, then a rename).
pub fn write_csv_file(dataset: &Dataset, path: &std::path::Path) -> Result<(), FormatError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&temp)
        .map_err(FormatError::from)
        .and_then(|file| write_csv(dataset, std::io::BufWriter::new(file)))
        .and_then(|()| std::fs::rename(&temp, path).map_err(FormatError::from));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "hash,n_vertices,adjacency_rows,operations,trainable_parameters,final_training_time_108,val_acc_4,val_acc_108\n\
        28cfc7874f6d200472e1a9dcd8650aa0,7,\"0111010,0000001,0000001,0000100,0000001,0000001,0000000\",input|conv1x1-bn-relu|conv3x3-bn-relu|conv3x3-bn-relu|conv3x3-bn-relu|maxpool3x3|output,100,1768.9759521484375,0.36,0.93\n\
        ,2,\"01,00\",input|output,,,,0.1\n";

    #[test]
    fn reads_and_writes_the_same_table() {
        let dataset = read_csv(SAMPLE.as_bytes()).unwrap();
        assert_eq!(dataset.len(), 2);
        let first = &dataset.records()[0];
        assert_eq!(first.trainable_parameters, Some(100));
        assert_eq!(first.mean(MetricKey::VAL_ACC_108), Some(0.93));
        assert_eq!(dataset.records()[1].mean(MetricKey::VAL_ACC_108), Some(0.1));
        let mut out = Vec::new();
        write_csv(&dataset, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let hash2 = dataset.records()[1].hash;
        assert_eq!(text, SAMPLE.replacen("\n,2,", &format!("\n{hash2},2,"), 1));
    }

    #[test]
    fn bad_rows_name_the_line_and_the_problem() {
        let wrong_hash = SAMPLE.replace("28cfc7874f6d200472e1a9dcd8650aa0", "00000000000000000000000000000000");
        let error = read_csv(wrong_hash.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            error,
            "CSV line 2: the record says hash 00000000000000000000000000000000 but its cell hashes to \
             28cfc7874f6d200472e1a9dcd8650aa0"
        );
        let bad_op = SAMPLE.replace("input|output", "input|conv5x5|output");
        let error = read_csv(bad_op.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("line 3") && error.contains("conv5x5"), "{error}");
        let short = SAMPLE.replace(",,,0.1", ",0.1");
        let error = read_csv(short.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("line 3") && error.contains("fields"), "{error}");
        let no_ops = "hash,adjacency_rows\nx,01\n";
        assert!(read_csv(no_ops.as_bytes()).unwrap_err().to_string().contains("\"operations\""));
        let not_number = SAMPLE.replace("0.93", "high");
        assert!(read_csv(not_number.as_bytes()).unwrap_err().to_string().contains("val_acc_108 \"high\""));
    }
}
