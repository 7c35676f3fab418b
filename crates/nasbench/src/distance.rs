//! Edit distance between cells of different sizes.
//!
//! Both cells are padded to 7 vertices: vertices `0..n−1` keep their index, the output moves to
//! index 6, and the empty slots carry no op and no edges. The distance is the number of the 7
//! positions whose ops differ (an empty slot differs from any op) plus the number of the 21
//! upper-triangular adjacency entries that differ. This is the reference's definition (differing
//! ops plus differing adjacency entries after padding to 7), with the padding made explicit.

use crate::cell::{Cell, MAX_VERTICES};
use crate::op::Op;

/// A cell padded to 7 vertices: its ops (`None` for empty slots) and its 21 upper-triangular
/// adjacency bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PaddedCell {
    /// The op of each vertex slot (`None` past the cell's vertices).
    pub ops: [Option<Op>; MAX_VERTICES],
    /// The upper-triangular adjacency, one bit per vertex pair.
    pub adjacency: u32,
}

/// The bit of the upper-triangular entry `(from, to)`, `from < to < 7`, in row-major order.
fn entry_bit(from: usize, to: usize) -> u32 {
    let before_row = from * (2 * MAX_VERTICES - from - 1) / 2;
    1 << (before_row + (to - from - 1))
}

impl PaddedCell {
    /// Pads a cell to 7 vertices.
    pub fn new(cell: &Cell) -> Self {
        let n = cell.n_vertices();
        let slot = |v: usize| if v == n - 1 { MAX_VERTICES - 1 } else { v };
        let mut ops = [None; MAX_VERTICES];
        for (v, &op) in cell.ops().iter().enumerate() {
            ops[slot(v)] = Some(op);
        }
        let adjacency = cell.edges().fold(0, |bits, (from, to)| bits | entry_bit(slot(from), slot(to)));
        Self { ops, adjacency }
    }

    /// Whether the upper-triangular entry `(from, to)` is an edge.
    pub fn has_edge(&self, from: usize, to: usize) -> bool {
        from < to && to < MAX_VERTICES && self.adjacency & entry_bit(from, to) != 0
    }
}

/// Differing ops plus differing adjacency entries, after padding both cells to 7 vertices.
pub fn edit_distance(a: &Cell, b: &Cell) -> u32 {
    padded_distance(&PaddedCell::new(a), &PaddedCell::new(b))
}

/// [`edit_distance`] on cells already padded.
pub fn padded_distance(a: &PaddedCell, b: &PaddedCell) -> u32 {
    let ops = a.ops.iter().zip(&b.ops).filter(|(x, y)| x != y).count() as u32;
    ops + (a.adjacency ^ b.adjacency).count_ones()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::{parse_adjacency_rows, parse_operations};

    fn cell(rows: &str, ops: &str) -> Cell {
        Cell::new(&parse_adjacency_rows(rows).unwrap(), &parse_operations(ops).unwrap()).unwrap()
    }

    #[test]
    fn distance_counts_ops_and_edges_after_padding() {
        let small = cell("01,00", "input|output");
        let chain = cell("010,001,000", "input|conv3x3-bn-relu|output");
        // chain vs small: vertex 1 has an op (1), edge 0→6 differs (1), edges 0→1 and 1→6 differ (2).
        assert_eq!(edit_distance(&small, &chain), 4);
        assert_eq!(edit_distance(&chain, &small), 4);
        assert_eq!(edit_distance(&chain, &chain), 0);
        let pool = cell("010,001,000", "input|maxpool3x3|output");
        assert_eq!(edit_distance(&chain, &pool), 1);
        let padded = PaddedCell::new(&chain);
        assert!(padded.has_edge(0, 1) && padded.has_edge(1, 6) && !padded.has_edge(0, 6));
        assert_eq!(padded.ops[6], Some(Op::Output));
        assert_eq!(padded.ops[2], None);
    }

    #[test]
    fn entry_bits_are_distinct() {
        let mut all = 0u32;
        for from in 0..MAX_VERTICES {
            for to in from + 1..MAX_VERTICES {
                let bit = entry_bit(from, to);
                assert_eq!(all & bit, 0);
                all |= bit;
            }
        }
        assert_eq!(all.count_ones(), 21);
    }
}
