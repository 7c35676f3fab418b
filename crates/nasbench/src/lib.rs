//! NAS-Bench-101 without any machine learning.
//!
//! - [`Cell`]: a validated, pruned cell, with conversions to the reference's `node_atts` coding.
//! - [`ModuleHash`]: nasbench's official graph hash.
//! - [`space`]: the enumeration of all 423,624 unique cells.
//! - [`formats`]: readers for our CSV, the official tfrecord, the reference's `.pth` files and zips.
//! - [`Dataset`]: records merged by hash, with every metric kept.
//! - [`split`] and [`sampling`]: the reference's splits and training-set sampling methods.

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
