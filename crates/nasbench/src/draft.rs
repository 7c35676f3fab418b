//! Cells being edited: a list of ops and edges that may not be a valid cell yet, with the edits
//! a cell editor offers, and the one-line text form of a cell (`rows | ops`).

use serde::{Deserialize, Serialize};

use crate::cell::{Cell, CellError, parse_adjacency_rows, parse_operations};
use crate::op::Op;

/// A cell being edited; it may be invalid ([`CellDraft::to_cell`] says why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellDraft {
    /// The op of each vertex, input first and output last.
    pub ops: Vec<Op>,
    /// `(from, to)` with `from < to`, sorted.
    pub edges: Vec<(usize, usize)>,
}

impl Default for CellDraft {
    /// NAS-Bench-101's Inception-like example cell.
    fn default() -> Self {
        Self {
            ops: vec![Op::Input, Op::Conv1x1, Op::Conv3x3, Op::Conv3x3, Op::Conv3x3, Op::MaxPool3x3, Op::Output],
            edges: vec![(0, 1), (0, 2), (0, 3), (0, 5), (1, 6), (2, 6), (3, 4), (4, 6), (5, 6)],
        }
    }
}

impl CellDraft {
    /// The draft of an existing cell, to edit.
    pub fn from_cell(cell: &Cell) -> Self {
        Self { ops: cell.ops().to_vec(), edges: cell.edges().collect() }
    }

    /// The draft as a cell, or why it is not one.
    pub fn to_cell(&self) -> Result<Cell, CellError> {
        let n = self.ops.len();
        let mut adjacency = vec![vec![0u8; n]; n];
        for &(from, to) in &self.edges {
            if from < n && to < n {
                adjacency[from][to] = 1;
            }
        }
        Cell::new(&adjacency, &self.ops)
    }

    /// Whether the draft has the edge `from → to`.
    pub fn has_edge(&self, from: usize, to: usize) -> bool {
        self.edges.contains(&(from, to))
    }

    /// Adds (`on`) or removes the edge `from → to`.
    pub fn set_edge(&mut self, from: usize, to: usize, on: bool) {
        self.edges.retain(|&e| e != (from, to));
        if on {
            self.edges.push((from, to));
            self.edges.sort_unstable();
        }
    }

    /// Adds a vertex just before the output, with no edges.
    pub fn add_vertex(&mut self, op: Op) {
        let output = self.ops.len().saturating_sub(1);
        self.ops.insert(output, op);
        for edge in &mut self.edges {
            if edge.1 >= output {
                edge.1 += 1;
            }
            if edge.0 >= output {
                edge.0 += 1;
            }
        }
    }

    /// Removes an inner vertex and its edges; the input and the output stay.
    pub fn remove_vertex(&mut self, vertex: usize) {
        if vertex == 0 || vertex + 1 >= self.ops.len() {
            return;
        }
        self.ops.remove(vertex);
        self.edges.retain(|&(f, t)| f != vertex && t != vertex);
        for edge in &mut self.edges {
            if edge.0 > vertex {
                edge.0 -= 1;
            }
            if edge.1 > vertex {
                edge.1 -= 1;
            }
        }
    }
}

/// Why a line is not a cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The text is not `adjacency rows | ops`.
    #[error("expected `adjacency rows | ops`")]
    Shape,
    /// The adjacency part cannot be read: why.
    #[error("{0}")]
    Adjacency(String),
    /// The ops part cannot be read: why.
    #[error("{0}")]
    Ops(String),
    /// The parts read, but they are not a valid cell.
    #[error(transparent)]
    Cell(#[from] CellError),
}

/// Parses one line `rows | ops` (the CSV's adjacency and ops columns; `;` also separates) into
/// a cell, e.g. `011,001,000 | input,conv3x3-bn-relu,output`.
pub fn parse_line(line: &str) -> Result<Cell, LineError> {
    let (rows, ops) = line.split_once(['|', ';']).ok_or(LineError::Shape)?;
    let adjacency = parse_adjacency_rows(rows.trim()).map_err(|e| LineError::Adjacency(e.to_string()))?;
    let ops = parse_operations(&ops.trim().replace(' ', "")).map_err(|e| LineError::Ops(e.to_string()))?;
    Ok(Cell::new(&adjacency, &ops)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_draft_is_the_inception_like_cell() {
        let cell = CellDraft::default().to_cell().expect("a cell");
        assert_eq!(cell.hash().to_string(), "28cfc7874f6d200472e1a9dcd8650aa0");
    }

    #[test]
    fn adding_and_removing_vertices_keeps_edges_attached() {
        let mut draft = CellDraft::default();
        draft.add_vertex(Op::MaxPool3x3);
        assert_eq!(draft.ops.len(), 8);
        assert_eq!(draft.ops[6], Op::MaxPool3x3);
        assert!(draft.edges.contains(&(5, 7)) && !draft.edges.iter().any(|&(_, t)| t == 6));
        assert!(matches!(draft.to_cell(), Err(CellError::TooManyVertices(8))));
        draft.remove_vertex(6);
        assert_eq!(draft, CellDraft::default());
        draft.remove_vertex(3);
        assert_eq!(draft.ops.len(), 6);
        // Vertex 3 fed vertex 4 (now 3), which now has no input.
        assert!(matches!(draft.to_cell(), Err(CellError::NotOnPath(_))));
        draft.set_edge(0, 3, true);
        assert!(draft.to_cell().is_ok());
    }

    #[test]
    fn lines_parse_to_cells_or_say_why_not() {
        let cell = parse_line("011,001,000 | input, conv3x3-bn-relu, output").expect("a cell");
        assert_eq!((cell.n_vertices(), cell.n_edges()), (3, 3));
        assert_eq!(parse_line("011,001,000"), Err(LineError::Shape));
        assert!(matches!(parse_line("01,00 ; input,output,output"), Err(LineError::Cell(_))));
        let Err(LineError::Ops(message)) = parse_line("01,00 | input,softmax") else { panic!("softmax is no op") };
        assert!(message.contains("softmax"), "{message}");
    }
}
