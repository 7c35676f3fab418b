//! The operations a NAS-Bench-101 vertex can carry.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The label of one vertex of a cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// The cell's input, always vertex 0.
    Input,
    /// `conv1x1-bn-relu`.
    Conv1x1,
    /// `conv3x3-bn-relu`.
    Conv3x3,
    /// `maxpool3x3`.
    MaxPool3x3,
    /// The cell's output, always the last vertex.
    Output,
}

/// The three operations an inner vertex can carry, in nasbench's `available_ops` order
/// (`conv3x3-bn-relu`, `conv1x1-bn-relu`, `maxpool3x3`): the order of the search-space
/// enumeration and of the official hash labels 0, 1, 2.
pub const INNER_OPS: [Op; 3] = [Op::Conv3x3, Op::Conv1x1, Op::MaxPool3x3];

/// Every op, in the order of the reference's `node_atts` coding (output 0, input 1, then the three ops).
pub const ALL_OPS: [Op; 5] = [Op::Output, Op::Input, Op::Conv1x1, Op::Conv3x3, Op::MaxPool3x3];

/// An operation name that NAS-Bench-101 does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation {0:?} (expected input, conv1x1-bn-relu, conv3x3-bn-relu, maxpool3x3 or output)")]
pub struct UnknownOp(pub String);

impl Op {
    /// The name used in the official files and in our CSV.
    pub fn name(self) -> &'static str {
        match self {
            Self::Input => "input",
            Self::Conv1x1 => "conv1x1-bn-relu",
            Self::Conv3x3 => "conv3x3-bn-relu",
            Self::MaxPool3x3 => "maxpool3x3",
            Self::Output => "output",
        }
    }

    /// A short name for tables and drawings.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Input => "in",
            Self::Conv1x1 => "1x1",
            Self::Conv3x3 => "3x3",
            Self::MaxPool3x3 => "mp",
            Self::Output => "out",
        }
    }

    /// The label nasbench's `hash_module` uses: input −1, output −2, conv3x3 0, conv1x1 1, maxpool 2.
    pub fn hash_label(self) -> i8 {
        match self {
            Self::Input => -1,
            Self::Output => -2,
            Self::Conv3x3 => 0,
            Self::Conv1x1 => 1,
            Self::MaxPool3x3 => 2,
        }
    }

    /// The reference's `node_atts` code: output 0, input 1, conv1x1 2, conv3x3 3, maxpool 4.
    pub fn node_att(self) -> u8 {
        match self {
            Self::Output => 0,
            Self::Input => 1,
            Self::Conv1x1 => 2,
            Self::Conv3x3 => 3,
            Self::MaxPool3x3 => 4,
        }
    }

    /// The op of a `node_atts` code, if the code is one of 0..=4.
    pub fn from_node_att(code: i64) -> Option<Self> {
        usize::try_from(code).ok().and_then(|i| ALL_OPS.get(i).copied())
    }

    /// Whether this op may stand between input and output.
    pub fn is_inner(self) -> bool {
        !matches!(self, Self::Input | Self::Output)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = UnknownOp;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "input" => Ok(Self::Input),
            "conv1x1-bn-relu" => Ok(Self::Conv1x1),
            "conv3x3-bn-relu" => Ok(Self::Conv3x3),
            "maxpool3x3" => Ok(Self::MaxPool3x3),
            "output" => Ok(Self::Output),
            other => Err(UnknownOp(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_att_codes_round_trip() {
        for op in ALL_OPS {
            assert_eq!(Op::from_node_att(i64::from(op.node_att())), Some(op));
        }
        assert_eq!(Op::from_node_att(5), None);
        assert_eq!(Op::from_node_att(-1), None);
    }

    #[test]
    fn names_round_trip() {
        for op in ALL_OPS {
            assert_eq!(op.name().parse::<Op>(), Ok(op));
        }
        assert!("conv5x5".parse::<Op>().is_err());
    }
}
