//! Readers (and a CSV writer) for every NAS-Bench-101 file the project meets.
//!
//! Each reader takes bytes, so the web build can use it on a dropped file; [`read_file`] is the
//! file convenience. The format is detected from the content, never from the file name.
//! Every reader meets bad input with a [`FormatError`] and bounded memory: declared lengths
//! are checked against what is there before anything is allocated, and decompression is capped.

pub mod archive;
pub mod csv;
pub mod metrics_proto;
pub mod pickle;
pub mod pyg;
pub mod record_error;
pub mod tfrecord;
pub mod torch;

pub use record_error::RecordError;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cell::CellError;
use crate::dataset::Dataset;

/// The most bytes any one zip entry may decompress to (1 GiB); zip bombs stop here.
pub const MAX_ENTRY_BYTES: u64 = 1 << 30;
/// The most bytes all the entries of one zip may decompress to together (4 GiB).
pub const MAX_ARCHIVE_BYTES: u64 = 4 << 30;

/// A file format this crate reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Our CSV (the columns of `nb101_val_20k.csv`).
    Csv,
    /// The official NAS-Bench-101 tfrecord.
    Tfrecord,
    /// A `torch.save` file in the legacy (pre-1.6) format.
    PthLegacy,
    /// A `torch.save` file in the zip format.
    PthZip,
    /// A zip archive of `.pth` files, like the reference's `enc_data.zip`.
    Zip,
}

impl Format {
    /// The name used in `nasbench inspect --json`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Tfrecord => "tfrecord",
            Self::PthLegacy => "pth-legacy",
            Self::PthZip => "pth-zip",
            Self::Zip => "zip",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why bytes could not be read as a dataset.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file has no bytes.
    #[error("empty file")]
    Empty,
    /// The bytes match none of the formats read here.
    #[error("not a format this tool reads (our CSV, the official tfrecord, a torch .pth, or a zip of .pth files)")]
    Unknown,
    /// A CSV line that cannot be read.
    #[error("CSV line {line}: {message}")]
    Csv {
        /// The line, from 1.
        line: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A tfrecord record that cannot be read.
    #[error("tfrecord record {record} at byte {offset}: {message}")]
    Tfrecord {
        /// The record, from 0.
        record: usize,
        /// Its first byte in the file.
        offset: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A pickle that cannot be read.
    #[error("pickle opcode at byte {offset}: {message}")]
    Pickle {
        /// The byte of the opcode that failed.
        offset: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A `torch.save` file whose layout is not what the reference writes: why.
    #[error("torch file: {0}")]
    Torch(String),
    /// A zip archive that cannot be read: why.
    #[error("zip archive: {0}")]
    Zip(String),
    /// A record whose cell is not valid.
    #[error("{context}: {error}")]
    Cell {
        /// Which record.
        context: String,
        /// What is wrong with its cell.
        error: CellError,
    },
    /// An error inside one entry of a zip archive.
    #[error("zip entry {entry:?}: {error}")]
    InEntry {
        /// The entry's name.
        entry: String,
        /// The error in it.
        error: Box<FormatError>,
    },
    /// The file cannot be read.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A [`FormatError`] with the file it came from. Its message names the file and the problem.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", path.display())]
pub struct FileError {
    /// The file that failed.
    pub path: PathBuf,
    /// How it failed.
    pub error: FormatError,
}

/// Guesses the format from the first bytes.
pub fn detect(bytes: &[u8]) -> Result<Format, FormatError> {
    if bytes.is_empty() {
        return Err(FormatError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Ok(if torch::is_torch_zip(bytes) { Format::PthZip } else { Format::Zip });
    }
    if torch::is_legacy(bytes) {
        return Ok(Format::PthLegacy);
    }
    if tfrecord::starts_with_valid_frame(bytes) {
        return Ok(Format::Tfrecord);
    }
    if csv::looks_like_csv(bytes) {
        return Ok(Format::Csv);
    }
    Err(FormatError::Unknown)
}

/// Reads a dataset from bytes in any supported format.
///
/// ```
/// use nasbench::MetricKey;
///
/// let csv = "adjacency_rows,operations,val_acc_108\n\"011,001,000\",input|conv3x3-bn-relu|output,0.91\n";
/// let (format, dataset) = nasbench::formats::read_bytes(csv.as_bytes())?;
/// assert_eq!(format.name(), "csv");
/// let cell = nasbench::parse_line("011,001,000 | input,conv3x3-bn-relu,output").unwrap();
/// assert_eq!(dataset.get(&cell.hash()).and_then(|r| r.mean(MetricKey::VAL_ACC_108)), Some(0.91));
/// # Ok::<(), nasbench::FormatError>(())
/// ```
pub fn read_bytes(bytes: &[u8]) -> Result<(Format, Dataset), FormatError> {
    let format = detect(bytes)?;
    let dataset = match format {
        Format::Csv => csv::read_csv(bytes)?,
        Format::Tfrecord => tfrecord::read_tfrecord(bytes)?,
        Format::PthLegacy | Format::PthZip => pyg::dataset_from_pth(bytes)?,
        Format::Zip => archive::read_archive(bytes)?,
    };
    Ok((format, dataset))
}

/// Reads a dataset from a file in any supported format.
pub fn read_file(path: impl AsRef<Path>) -> Result<(Format, Dataset), FileError> {
    let path = path.as_ref();
    let with_path = |error| FileError { path: path.to_owned(), error };
    let bytes = std::fs::read(path).map_err(|e| with_path(FormatError::Io(e)))?;
    read_bytes(&bytes).map_err(with_path)
}
