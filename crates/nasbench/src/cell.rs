//! A NAS-Bench-101 cell: a small labelled DAG in topological order.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::op::{Op, UnknownOp};

/// The most vertices a NAS-Bench-101 cell may have.
pub const MAX_VERTICES: usize = 7;
/// The most edges a NAS-Bench-101 cell may have.
pub const MAX_EDGES: usize = 9;

/// Why a graph is not a valid NAS-Bench-101 cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellError {
    /// Fewer than two vertices: the count found.
    #[error("a cell needs at least 2 vertices (input and output), found {0}")]
    TooFewVertices(usize),
    /// More than [`MAX_VERTICES`] vertices: the count found.
    #[error("a cell has at most {MAX_VERTICES} vertices, found {0}")]
    TooManyVertices(usize),
    /// More than [`MAX_EDGES`] edges: the count found.
    #[error("a cell has at most {MAX_EDGES} edges, found {0}")]
    TooManyEdges(usize),
    /// A row of the adjacency matrix has the wrong length.
    #[error("the adjacency matrix must be square: row {row} has {len} entries, expected {expected}")]
    NotSquare {
        /// The row, from 0.
        row: usize,
        /// Its entries.
        len: usize,
        /// The vertex count.
        expected: usize,
    },
    /// An adjacency entry other than 0 or 1.
    #[error("adjacency entry ({row}, {col}) is {value:?}, expected 0 or 1")]
    BadEntry {
        /// The entry's row.
        row: usize,
        /// The entry's column.
        col: usize,
        /// The entry as written.
        value: String,
    },
    /// The operation list and the matrix disagree on the vertex count.
    #[error("{ops} operations given for {vertices} vertices")]
    OpsLengthMismatch {
        /// Operations given.
        ops: usize,
        /// Vertices of the matrix.
        vertices: usize,
    },
    #[error(
        "edge {from}→{to} does not go forward: the adjacency must be strictly upper-triangular (acyclic in topological order)"
    )]
    /// An edge that goes backwards (the matrix must be upper triangular).
    NotUpperTriangular {
        /// The edge's source.
        from: usize,
        /// The edge's target.
        to: usize,
    },
    /// Vertex 0 is not the input: the op found there.
    #[error("vertex 0 must be the input, found {0}")]
    InputNotFirst(Op),
    /// The last vertex is not the output: the op found there.
    #[error("the last vertex must be the output, found {0}")]
    OutputNotLast(Op),
    /// An input or output op between the first and last vertex.
    #[error("vertex {vertex} is {op}, but only the first vertex may be input and only the last output")]
    MisplacedInputOrOutput {
        /// Where it is.
        vertex: usize,
        /// The op found there.
        op: Op,
    },
    /// A vertex on no path from input to output (the official pruning removes such vertices).
    #[error("vertex {0} is not on a path from input to output")]
    NotOnPath(usize),
    /// No path from input to output.
    #[error("the input is not connected to the output")]
    Disconnected,
    /// An edge list names a vertex that the cell does not have.
    #[error("edge {from}→{to} names a vertex outside 0..{vertices}")]
    VertexOutOfRange {
        /// The edge's source.
        from: i64,
        /// The edge's target.
        to: i64,
        /// The cell's vertex count.
        vertices: usize,
    },
    /// An op name that is not one of NAS-Bench-101's.
    #[error(transparent)]
    UnknownOp(#[from] UnknownOp),
}

/// A valid, pruned NAS-Bench-101 cell.
///
/// Vertex 0 is the input, the last vertex the output, every edge goes from a lower to a higher
/// vertex, and every vertex lies on a path from input to output. The adjacency is stored as one
/// bitmask per row: bit `j` of `rows[i]` is the edge `i → j`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Cell {
    n_vertices: u8,
    rows: [u8; MAX_VERTICES],
    ops: [Op; MAX_VERTICES],
}

impl Cell {
    /// Builds a cell from adjacency rows (`rows[i][j] != 0` is the edge `i → j`) and ops,
    /// checking every rule and rejecting dangling vertices.
    pub fn new(adjacency: &[Vec<u8>], ops: &[Op]) -> Result<Self, CellError> {
        let rows = rows_from_matrix(adjacency)?;
        Self::from_rows(&rows[..adjacency.len()], ops)
    }

    /// Builds a cell from per-row bitmasks and ops, checking every rule.
    pub fn from_rows(rows: &[u8], ops: &[Op]) -> Result<Self, CellError> {
        let n = rows.len();
        check_shape(n, ops.len())?;
        let mut cell = Self::from_parts_unchecked(rows, ops);
        cell.check_edges()?;
        cell.check_ops()?;
        if let Some(vertex) = cell.off_path_vertices().into_iter().next() {
            return Err(if vertex == 0 || vertex == n - 1 {
                CellError::Disconnected
            } else {
                CellError::NotOnPath(vertex)
            });
        }
        cell.n_vertices = n as u8;
        Ok(cell)
    }

    /// Builds a cell the way nasbench's `ModelSpec` does: vertices that are not on an
    /// input→output path are pruned first, then the rules are checked on what is left.
    pub fn from_spec(adjacency: &[Vec<u8>], ops: &[Op]) -> Result<Self, CellError> {
        let rows = rows_from_matrix(adjacency)?;
        let n = adjacency.len();
        if n < 2 {
            return Err(CellError::TooFewVertices(n));
        }
        if n > MAX_VERTICES {
            return Err(CellError::TooManyVertices(n));
        }
        if ops.len() != n {
            return Err(CellError::OpsLengthMismatch { ops: ops.len(), vertices: n });
        }
        let raw = Self::from_parts_unchecked(&rows[..n], ops);
        raw.check_upper_triangular()?;
        let extraneous = raw.off_path_vertices();
        if extraneous.len() > n - 2 {
            return Err(CellError::Disconnected);
        }
        let kept: Vec<usize> = (0..n).filter(|v| !extraneous.contains(v)).collect();
        let mut pruned_rows = Vec::with_capacity(kept.len());
        for &from in &kept {
            let mut row = 0u8;
            for (new_to, &to) in kept.iter().enumerate() {
                if raw.has_edge(from, to) {
                    row |= 1 << new_to;
                }
            }
            pruned_rows.push(row);
        }
        let pruned_ops: Vec<Op> = kept.iter().map(|&v| ops[v]).collect();
        Self::from_rows(&pruned_rows, &pruned_ops)
    }

    /// Builds a cell from the reference's coding: `node_atts` (output 0, input 1, conv1x1 2,
    /// conv3x3 3, maxpool 4) and directed edges `(source, target)`.
    pub fn from_node_atts(node_atts: &[i64], edges: &[(i64, i64)]) -> Result<Self, CellError> {
        let n = node_atts.len();
        check_shape(n, n)?;
        let ops = node_atts
            .iter()
            .map(|&code| Op::from_node_att(code).ok_or_else(|| UnknownOp(format!("node_atts code {code}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows = [0u8; MAX_VERTICES];
        for &(from, to) in edges {
            let vertex = |v: i64| usize::try_from(v).ok().filter(|&v| v < n);
            let (Some(from), Some(to)) = (vertex(from), vertex(to)) else {
                return Err(CellError::VertexOutOfRange { from, to, vertices: n });
            };
            if from >= to {
                return Err(CellError::NotUpperTriangular { from, to });
            }
            rows[from] |= 1 << to;
        }
        Self::from_rows(&rows[..n], &ops)
    }

    /// Assembles a cell without checking it; for callers that built a valid one by construction.
    pub(crate) fn from_parts_unchecked(rows: &[u8], ops: &[Op]) -> Self {
        let mut cell = Self {
            n_vertices: rows.len().min(MAX_VERTICES) as u8,
            rows: [0; MAX_VERTICES],
            ops: [Op::Output; MAX_VERTICES],
        };
        let n = cell.n_vertices as usize;
        cell.rows[..n].copy_from_slice(&rows[..n]);
        cell.ops[..n].copy_from_slice(&ops[..n]);
        cell
    }

    /// The number of vertices, input and output included.
    pub fn n_vertices(&self) -> usize {
        self.n_vertices as usize
    }

    /// The ops, vertex by vertex.
    pub fn ops(&self) -> &[Op] {
        &self.ops[..self.n_vertices()]
    }

    /// The adjacency as one bitmask per row (bit `j` of row `i` is the edge `i → j`).
    pub fn rows(&self) -> &[u8] {
        &self.rows[..self.n_vertices()]
    }

    /// Whether the edge `from → to` exists.
    pub fn has_edge(&self, from: usize, to: usize) -> bool {
        from < MAX_VERTICES && to < 8 && self.rows[from] & (1 << to) != 0
    }

    /// The number of edges.
    pub fn n_edges(&self) -> usize {
        self.rows().iter().map(|row| row.count_ones() as usize).sum()
    }

    /// The edges `(source, target)` in row-major order.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let n = self.n_vertices();
        (0..n).flat_map(move |from| (0..n).filter(move |&to| self.has_edge(from, to)).map(move |to| (from, to)))
    }

    /// The in-degree of every vertex.
    pub fn in_degrees(&self) -> [u8; MAX_VERTICES] {
        let mut degrees = [0u8; MAX_VERTICES];
        for (_, to) in self.edges() {
            degrees[to] += 1;
        }
        degrees
    }

    /// The reference's `node_atts` coding of the ops.
    pub fn node_atts(&self) -> Vec<u8> {
        self.ops().iter().map(|op| op.node_att()).collect()
    }

    /// The adjacency as `0`/`1` strings, one per row, joined by commas (`0110000,0001000,…`).
    pub fn adjacency_rows_string(&self) -> String {
        let n = self.n_vertices();
        let mut out = String::with_capacity(n * (n + 1));
        for from in 0..n {
            if from > 0 {
                out.push(',');
            }
            for to in 0..n {
                out.push(if self.has_edge(from, to) { '1' } else { '0' });
            }
        }
        out
    }

    /// The ops joined by `sep`.
    pub fn operations_string(&self, sep: &str) -> String {
        self.ops().iter().map(|op| op.name()).collect::<Vec<_>>().join(sep)
    }

    fn check_edges(&self) -> Result<(), CellError> {
        self.check_upper_triangular()?;
        let edges = self.n_edges();
        if edges > MAX_EDGES {
            return Err(CellError::TooManyEdges(edges));
        }
        Ok(())
    }

    fn check_upper_triangular(&self) -> Result<(), CellError> {
        let n = self.n_vertices();
        for from in 0..n {
            let row = self.rows[from];
            if let Some(to) = (0..8).find(|&to| row & (1 << to) != 0 && (to <= from || to >= n)) {
                return Err(CellError::NotUpperTriangular { from, to });
            }
        }
        Ok(())
    }

    fn check_ops(&self) -> Result<(), CellError> {
        let ops = self.ops();
        let last = ops.len() - 1;
        if ops[0] != Op::Input {
            return Err(CellError::InputNotFirst(ops[0]));
        }
        if ops[last] != Op::Output {
            return Err(CellError::OutputNotLast(ops[last]));
        }
        if let Some(vertex) = (1..last).find(|&v| !ops[v].is_inner()) {
            return Err(CellError::MisplacedInputOrOutput { vertex, op: ops[vertex] });
        }
        Ok(())
    }

    /// Vertices not reachable from the input or not reaching the output, in increasing order.
    fn off_path_vertices(&self) -> Vec<usize> {
        let n = self.n_vertices();
        let mut from_input = 1u8;
        for from in 0..n {
            if from_input & (1 << from) != 0 {
                from_input |= self.rows[from];
            }
        }
        let mut to_output = 1u8 << (n - 1);
        for from in (0..n).rev() {
            if self.rows[from] & to_output != 0 {
                to_output |= 1 << from;
            }
        }
        let on_path = from_input & to_output;
        (0..n).filter(|&v| on_path & (1 << v) == 0).collect()
    }
}

fn check_shape(vertices: usize, ops: usize) -> Result<(), CellError> {
    if vertices < 2 {
        return Err(CellError::TooFewVertices(vertices));
    }
    if vertices > MAX_VERTICES {
        return Err(CellError::TooManyVertices(vertices));
    }
    if ops != vertices {
        return Err(CellError::OpsLengthMismatch { ops, vertices });
    }
    Ok(())
}

fn rows_from_matrix(adjacency: &[Vec<u8>]) -> Result<[u8; MAX_VERTICES], CellError> {
    let n = adjacency.len();
    if n > MAX_VERTICES {
        return Err(CellError::TooManyVertices(n));
    }
    let mut rows = [0u8; MAX_VERTICES];
    for (row, entries) in adjacency.iter().enumerate() {
        if entries.len() != n {
            return Err(CellError::NotSquare { row, len: entries.len(), expected: n });
        }
        for (col, &value) in entries.iter().enumerate() {
            match value {
                0 => {}
                1 => rows[row] |= 1 << col,
                other => return Err(CellError::BadEntry { row, col, value: other.to_string() }),
            }
        }
    }
    Ok(rows)
}

/// Parses `0110000,0001000,…` (rows of `0`/`1`, comma separated) into a matrix.
pub fn parse_adjacency_rows(text: &str) -> Result<Vec<Vec<u8>>, CellError> {
    text.split(',')
        .enumerate()
        .map(|(row, line)| {
            line.trim()
                .chars()
                .enumerate()
                .map(|(col, c)| match c {
                    '0' => Ok(0),
                    '1' => Ok(1),
                    other => Err(CellError::BadEntry { row, col, value: other.to_string() }),
                })
                .collect()
        })
        .collect()
}

/// Parses ops separated by `|` or `,`.
pub fn parse_operations(text: &str) -> Result<Vec<Op>, UnknownOp> {
    text.split(['|', ',']).map(str::parse).collect()
}

impl fmt::Debug for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cell[{} | {}]", self.adjacency_rows_string(), self.operations_string(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(rows: &str) -> Vec<Vec<u8>> {
        parse_adjacency_rows(rows).unwrap()
    }

    fn ops(text: &str) -> Vec<Op> {
        parse_operations(text).unwrap()
    }

    #[test]
    fn valid_cell_round_trips_through_strings_and_node_atts() {
        let cell = Cell::new(
            &matrix("01100,00010,00010,00001,00000"),
            &ops("input|conv1x1-bn-relu|maxpool3x3|conv3x3-bn-relu|output"),
        )
        .unwrap();
        assert_eq!(cell.n_vertices(), 5);
        assert_eq!(cell.n_edges(), 5);
        assert_eq!(cell.adjacency_rows_string(), "01100,00010,00010,00001,00000");
        assert_eq!(cell.node_atts(), vec![1, 2, 4, 3, 0]);
        let edges: Vec<(i64, i64)> = cell.edges().map(|(a, b)| (a as i64, b as i64)).collect();
        let atts: Vec<i64> = cell.node_atts().into_iter().map(i64::from).collect();
        assert_eq!(Cell::from_node_atts(&atts, &edges).unwrap(), cell);
    }

    #[test]
    fn each_rule_has_its_own_error() {
        let io = ops("input|output");
        assert_eq!(Cell::new(&matrix("1"), &ops("input")), Err(CellError::TooFewVertices(1)));
        assert_eq!(
            Cell::new(&matrix("01,00"), &ops("input|conv1x1-bn-relu|output")),
            Err(CellError::OpsLengthMismatch { ops: 3, vertices: 2 })
        );
        assert_eq!(Cell::new(&matrix("00,10"), &io), Err(CellError::NotUpperTriangular { from: 1, to: 0 }));
        assert_eq!(Cell::new(&matrix("11,00"), &io), Err(CellError::NotUpperTriangular { from: 0, to: 0 }));
        assert_eq!(Cell::new(&matrix("01,00"), &ops("output|input")), Err(CellError::InputNotFirst(Op::Output)));
        assert_eq!(
            Cell::new(&matrix("01,00"), &ops("input|maxpool3x3")),
            Err(CellError::OutputNotLast(Op::MaxPool3x3))
        );
        assert_eq!(
            Cell::new(&matrix("010,001,000"), &ops("input|input|output")),
            Err(CellError::MisplacedInputOrOutput { vertex: 1, op: Op::Input })
        );
        assert_eq!(Cell::new(&matrix("00,00"), &io), Err(CellError::Disconnected));
        assert_eq!(Cell::new(&matrix("011,000,000"), &ops("input|maxpool3x3|output")), Err(CellError::NotOnPath(1)));
        assert!(matches!(Cell::new(&matrix("01,0"), &io), Err(CellError::NotSquare { row: 1, .. })));
        assert_eq!(
            Cell::from_node_atts(&[1, 0], &[(0, 2)]),
            Err(CellError::VertexOutOfRange { from: 0, to: 2, vertices: 2 })
        );
        assert!(matches!(parse_adjacency_rows("01,0x"), Err(CellError::BadEntry { row: 1, col: 1, .. })));
        let eight = vec![vec![0u8; 8]; 8];
        assert_eq!(Cell::new(&eight, &[Op::Input; 8]), Err(CellError::TooManyVertices(8)));
    }

    #[test]
    fn ten_edges_are_too_many() {
        let rows10 = [0b000_0110u8, 0b000_1000, 0b001_1000, 0b011_0000, 0b110_0000, 0b100_0000, 0];
        assert_eq!(rows10.iter().map(|r| r.count_ones()).sum::<u32>(), 10);
        let ops = ops("input|conv1x1-bn-relu|conv1x1-bn-relu|conv1x1-bn-relu|conv1x1-bn-relu|conv1x1-bn-relu|output");
        assert_eq!(Cell::from_rows(&rows10, &ops), Err(CellError::TooManyEdges(10)));
    }

    #[test]
    fn spec_pruning_removes_dangling_vertices_like_nasbench() {
        // Vertex 2 has no outgoing edge, so it is pruned.
        let spec = matrix("0110,0001,0000,0000");
        let raw_ops = ops("input|conv3x3-bn-relu|maxpool3x3|output");
        let pruned = Cell::from_spec(&spec, &raw_ops).unwrap();
        assert_eq!(pruned.adjacency_rows_string(), "010,001,000");
        assert_eq!(pruned.operations_string("|"), "input|conv3x3-bn-relu|output");
        assert_eq!(Cell::from_spec(&matrix("010,001,000"), &raw_ops[1..]), Err(CellError::InputNotFirst(Op::Conv3x3)));
        assert_eq!(
            Cell::from_spec(&matrix("000,000,000"), &ops("input|maxpool3x3|output")),
            Err(CellError::Disconnected)
        );
    }
}
