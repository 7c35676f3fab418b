//! NAS-Bench-101 without any machine learning.
//!
//! - [`Cell`]: a validated, pruned cell, with conversions to the reference's `node_atts` coding.
//! - [`ModuleHash`]: nasbench's official graph hash.
//! - [`space`]: the enumeration of all 423,624 unique cells.
//! - [`formats`]: readers for our CSV, the official tfrecord, the reference's `.pth` files and zips.
//! - [`Dataset`]: records merged by hash, with every metric kept.
//! - [`split`] and [`sampling`]: the reference's splits and training-set sampling methods.
//!
//! A cell from its adjacency rows and ops, and its official hash:
//!
//! ```
//! let cell = nasbench::parse_line("011,001,000 | input,conv3x3-bn-relu,output")?;
//! assert_eq!(cell.ops().len(), 3);
//! assert_eq!(cell.hash().to_string(), "d32d0b26d534203b48d866facd98cc3e");
//! # Ok::<(), nasbench::draft::LineError>(())
//! ```

#![warn(missing_docs)]

pub mod cell;
pub mod dataset;
pub mod distance;
pub mod draft;
pub mod embedding;
pub mod formats;
pub mod hash;
pub mod metrics;
pub mod op;
pub mod pca;
pub mod sampling;
pub mod space;
pub mod split;

pub use cell::{Cell, CellError, MAX_EDGES, MAX_VERTICES};
pub use dataset::{Dataset, DatasetSummary, Record};
pub use draft::{CellDraft, parse_line};
pub use formats::{Format, FormatError};
pub use hash::ModuleHash;
pub use metrics::{MetricKey, Quantity};
pub use op::Op;
