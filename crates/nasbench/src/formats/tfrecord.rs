//! The official NAS-Bench-101 tfrecord (`nasbench_only108.tfrecord`, `nasbench_full.tfrecord`).
//!
//! Each record is framed as `u64` length, masked CRC32C of the length bytes, the data, masked
//! CRC32C of the data (both little-endian). The data is a JSON list
//! `[module_hash, epochs, raw_adjacency, raw_operations, base64 ModelMetrics protobuf]`.
//! Every record becomes one repeat of its cell's metrics at its epoch budget; every evaluation
//! (start, halfway, end) is kept.

use base64::Engine as _;
use prost::Message as _;

use super::metrics_proto::ModelMetrics;
use super::{FormatError, RecordError};
use crate::cell::{Cell, parse_operations};
use crate::dataset::{Dataset, Record};
use crate::hash::ModuleHash;
use crate::metrics::{MetricKey, Quantity};

const HEADER_BYTES: usize = 12;
const FOOTER_BYTES: usize = 4;

/// TFRecord's CRC mask.
pub fn masked_crc32c(bytes: &[u8]) -> u32 {
    let crc = crc32c::crc32c(bytes);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// Whether the bytes start with a tfrecord frame whose length CRC checks out.
pub fn starts_with_valid_frame(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_BYTES && u32_at(bytes, 8) == masked_crc32c(&bytes[..8])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(word)
}

/// Splits a tfrecord file into its records' data, checking both CRCs of every frame.
pub fn records(bytes: &[u8]) -> impl Iterator<Item = Result<&[u8], FormatError>> {
    let mut offset = 0usize;
    let mut record = 0usize;
    std::iter::from_fn(move || {
        if offset >= bytes.len() {
            return None;
        }
        let fail = |message: String| FormatError::Tfrecord { record, offset, message };
        let result = (|| {
            let rest = &bytes[offset..];
            if rest.len() < HEADER_BYTES {
                return Err(fail(format!("truncated: {} bytes left, a frame header needs {HEADER_BYTES}", rest.len())));
            }
            let mut length_bytes = [0u8; 8];
            length_bytes.copy_from_slice(&rest[..8]);
            if u32_at(rest, 8) != masked_crc32c(&length_bytes) {
                return Err(fail("the CRC of the length field does not match".to_owned()));
            }
            let length = u64::from_le_bytes(length_bytes);
            let available = (rest.len() - HEADER_BYTES).saturating_sub(FOOTER_BYTES) as u64;
            if length > available || rest.len() < HEADER_BYTES + FOOTER_BYTES {
                return Err(fail(format!("declares {length} bytes of data but only {available} remain")));
            }
            let length = length as usize;
            let data = &rest[HEADER_BYTES..HEADER_BYTES + length];
            if u32_at(rest, HEADER_BYTES + length) != masked_crc32c(data) {
                return Err(fail("the CRC of the data does not match".to_owned()));
            }
            Ok((data, HEADER_BYTES + length + FOOTER_BYTES))
        })();
        Some(match result {
            Ok((data, frame)) => {
                offset += frame;
                record += 1;
                Ok(data)
            }
            Err(e) => {
                offset = bytes.len();
                Err(e)
            }
        })
    })
}

/// Reads a whole tfrecord file.
pub fn read_tfrecord(bytes: &[u8]) -> Result<Dataset, FormatError> {
    let mut dataset = Dataset::new();
    let mut offset = 0usize;
    for (index, data) in records(bytes).enumerate() {
        let data = data?;
        let record = parse_record(data).map_err(|error| FormatError::Tfrecord {
            record: index,
            offset,
            message: error.to_string(),
        })?;
        offset += HEADER_BYTES + data.len() + FOOTER_BYTES;
        dataset.push(record);
    }
    Ok(dataset)
}

/// Parses one record's JSON list into a record holding one repeat.
pub fn parse_record(data: &[u8]) -> Result<Record, RecordError> {
    let (hash, epochs, raw_adjacency, raw_operations, raw_metrics): (String, u16, String, String, String) =
        serde_json::from_slice(data)?;
    let stated: ModuleHash = hash.parse()?;
    let cell = cell_of_raw(&raw_adjacency, &raw_operations)?;
    let mut record = Record::new(cell);
    if record.hash != stated {
        return Err(RecordError::HashMismatch { stated, actual: record.hash });
    }
    // Python's b64decode skips line breaks; some writers wrap the text every 76 characters.
    let compact: String = raw_metrics.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let metrics_bytes = base64::engine::general_purpose::STANDARD.decode(compact)?;
    let metrics = ModelMetrics::decode(metrics_bytes.as_slice())?;
    record.trainable_parameters = metrics.trainable_parameters.and_then(|p| u64::try_from(p).ok());
    for evaluation in &metrics.evaluation_data {
        let epoch =
            evaluation.current_epoch.unwrap_or(f64::from(epochs)).round().clamp(0.0, f64::from(u16::MAX)) as u16;
        let key = |quantity| MetricKey { quantity, budget: epochs, epoch };
        let values = [
            (Quantity::TrainingTime, evaluation.training_time),
            (Quantity::TrainAccuracy, evaluation.train_accuracy),
            (Quantity::ValidationAccuracy, evaluation.validation_accuracy),
            (Quantity::TestAccuracy, evaluation.test_accuracy),
        ];
        for (quantity, value) in values {
            if let Some(value) = value {
                record.push_metric(key(quantity), value);
            }
        }
    }
    Ok(record)
}

/// A cell from nasbench's raw strings: the adjacency as `n·n` bits row by row, ops comma-separated.
fn cell_of_raw(raw_adjacency: &str, raw_operations: &str) -> Result<Cell, RecordError> {
    let bits = raw_adjacency.trim().as_bytes();
    let n = (1..=8).find(|n| n * n == bits.len()).ok_or(RecordError::AdjacencyLength(bits.len()))?;
    let matrix = bits
        .chunks(n)
        .map(|row| {
            row.iter()
                .map(|&b| match b {
                    b'0' => Ok(0),
                    b'1' => Ok(1),
                    other => Err(RecordError::AdjacencyBit(other as char)),
                })
                .collect::<Result<Vec<u8>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ops = parse_operations(raw_operations)?;
    Ok(Cell::from_spec(&matrix, &ops)?)
}

/// Frames data as one tfrecord record (for writing test files and fixtures).
pub fn frame(data: &[u8]) -> Vec<u8> {
    let length = (data.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(data.len() + HEADER_BYTES + FOOTER_BYTES);
    out.extend_from_slice(&length);
    out.extend_from_slice(&masked_crc32c(&length).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&masked_crc32c(data).to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::metrics_proto::EvaluationData;

    mod proto {
        use super::*;

        /// The record nasbench would write for the README's Inception-like cell.
        pub fn inception_record(epochs: u16) -> Vec<u8> {
            let evaluation = |epoch: f64, accuracy: f64| EvaluationData {
                current_epoch: Some(epoch),
                training_time: Some(epoch * 10.0),
                train_accuracy: Some(accuracy + 0.05),
                validation_accuracy: Some(accuracy),
                test_accuracy: Some(accuracy - 0.01),
            };
            let metrics = ModelMetrics {
                evaluation_data: vec![evaluation(0.0, 0.1), evaluation(54.0, 0.8), evaluation(108.0, 0.9)],
                trainable_parameters: Some(1234),
                total_time: Some(1.0),
            };
            let encoded = base64::engine::general_purpose::STANDARD.encode(metrics.encode_to_vec());
            serde_json::to_vec(&(
                "28cfc7874f6d200472e1a9dcd8650aa0",
                epochs,
                "0111010000000100000010000100000000100000010000000",
                "input,conv1x1-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,conv3x3-bn-relu,maxpool3x3,output",
                encoded,
            ))
            .unwrap()
        }
    }

    #[test]
    fn crc_is_castagnoli() {
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(masked_crc32c(b"123456789"), 0xe306_9283_u32.rotate_right(15).wrapping_add(0xa282_ead8));
    }

    #[test]
    fn round_trip_of_one_framed_record() {
        let record = proto::inception_record(108);
        let bytes = frame(&record);
        let dataset = read_tfrecord(&bytes).unwrap();
        assert_eq!(dataset.len(), 1);
        let r = &dataset.records()[0];
        assert_eq!(r.hash.to_string(), "28cfc7874f6d200472e1a9dcd8650aa0");
        assert_eq!(r.trainable_parameters, Some(1234));
        assert_eq!(r.metrics[&MetricKey::VAL_ACC_108], vec![0.9]);
        assert_eq!(r.metrics[&MetricKey { quantity: Quantity::ValidationAccuracy, budget: 108, epoch: 54 }], vec![0.8]);
    }

    #[test]
    fn corrupt_frames_are_refused() {
        let good = frame(&proto::inception_record(108));
        let mut bad_data_crc = good.clone();
        let last = bad_data_crc.len() - 1;
        bad_data_crc[last] ^= 1;
        assert!(read_tfrecord(&bad_data_crc).unwrap_err().to_string().contains("CRC of the data"));
        let mut bad_length_crc = good.clone();
        bad_length_crc[9] ^= 1;
        assert!(read_tfrecord(&bad_length_crc).unwrap_err().to_string().contains("CRC of the length"));
        let truncated = &good[..good.len() - 10];
        assert!(read_tfrecord(truncated).unwrap_err().to_string().contains("remain"));
        let mut huge = good.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        let crc = masked_crc32c(&huge[..8]).to_le_bytes();
        huge[8..12].copy_from_slice(&crc);
        let error = read_tfrecord(&huge).unwrap_err().to_string();
        assert!(error.contains("declares 18446744073709551615 bytes"), "{error}");
        let mut two = good.clone();
        two.extend_from_slice(&good[..5]);
        assert!(read_tfrecord(&two).unwrap_err().to_string().starts_with("tfrecord record 1"));
        let not_json = frame(b"[\"abc\", 4]");
        assert!(read_tfrecord(&not_json).unwrap_err().to_string().contains("JSON"));
    }
}
