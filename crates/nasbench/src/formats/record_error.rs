//! Why one record of a file (a CSV row, a tfrecord record, a PyG `Data`) cannot be read. The
//! readers wrap it with where the record is ([`super::FormatError`]).

use crate::cell::CellError;
use crate::hash::{BadHash, ModuleHash};
use crate::op::UnknownOp;

/// What is wrong with one record.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The cell the record describes is not a valid cell.
    #[error(transparent)]
    Cell(#[from] CellError),
    /// An operation name that is not NAS-Bench-101's.
    #[error(transparent)]
    Op(#[from] UnknownOp),
    /// A hash that is not 32 hex digits.
    #[error(transparent)]
    Hash(#[from] BadHash),
    /// The record states a hash its cell does not have.
    #[error("the record says hash {stated} but its cell hashes to {actual}")]
    HashMismatch {
        /// The hash the record states.
        stated: ModuleHash,
        /// The official hash of its cell.
        actual: ModuleHash,
    },
    /// The record states a vertex count its cell does not have.
    #[error("n_vertices is {stated:?} but the cell has {actual} vertices")]
    VertexCount {
        /// The count as written.
        stated: String,
        /// The cell's vertices.
        actual: usize,
    },
    /// A field that should hold a number.
    #[error("{field} {text:?} is not {expected}")]
    NotANumber {
        /// The field's name.
        field: String,
        /// Its text.
        text: String,
        /// What it should be ("a number", "a whole number").
        expected: &'static str,
    },
    /// nasbench's raw adjacency: a bit string whose length is no square.
    #[error("an adjacency of {0} bits is not a square of at most 8×8")]
    AdjacencyLength(usize),
    /// nasbench's raw adjacency: a character that is not a bit.
    #[error("adjacency bit {0:?} is not 0 or 1")]
    AdjacencyBit(char),
    /// A tfrecord record whose data is not the JSON list nasbench writes.
    #[error("not the JSON list nasbench writes: {0}")]
    Json(#[from] serde_json::Error),
    /// A tfrecord record whose metrics are not base64.
    #[error("the metrics are not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// A tfrecord record whose metrics are not a `ModelMetrics` protobuf.
    #[error("bad ModelMetrics protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// A pickled object that is not a PyTorch Geometric `Data` as the reference saves it.
    #[error("{0}")]
    NotPygData(&'static str),
    /// A PyG field that is missing, or not of the type or shape it must have.
    #[error("{field} {problem}")]
    PygField {
        /// The field's name.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A tensor of the file that cannot be read.
    #[error("{field}: {error}")]
    Tensor {
        /// The field holding it.
        field: String,
        /// Why it cannot be read.
        error: Box<super::FormatError>,
    },
}
