//! Why decoded graphs are not NAS-Bench-101 cells: each decoding that is not one counted under
//! the first of the cell's rules it breaks, in the order [`nasbench::Cell`] checks them (vertex
//! count, edge count, input and output in their places, every vertex on a path).

use nasbench::{Cell, CellError};
use serde::Serialize;

/// Shares of decodings, of all of them, by the first NAS-Bench-101 rule each breaks; they add up
/// to 1 − the share that are cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BrokenRules {
    /// Fewer than 2 or more than 7 vertices (a graph that never decoded its output has
    /// `max_nodes`).
    pub vertices: f64,
    /// More than 9 edges.
    pub edges: f64,
    /// An input or output anywhere but first and last.
    pub input_or_output: f64,
    /// A vertex on no path from the input to the output: one without a predecessor or without a
    /// successor.
    pub off_path: f64,
    /// Any other rule (a malformed graph, which the decoder does not write).
    pub other: f64,
}

impl BrokenRules {
    /// The shares of `checked` (decodings checked as cells by
    /// [`crate::model::decoding::DecodedGraph::cell`]) that break each rule first.
    pub fn of(checked: &[Result<Cell, CellError>]) -> Self {
        let mut counts = Self::default();
        for result in checked {
            let Err(error) = result else { continue };
            let count = match error {
                CellError::TooFewVertices(_) | CellError::TooManyVertices(_) => &mut counts.vertices,
                CellError::TooManyEdges(_) => &mut counts.edges,
                CellError::InputNotFirst(_)
                | CellError::OutputNotLast(_)
                | CellError::MisplacedInputOrOutput { .. } => &mut counts.input_or_output,
                CellError::NotOnPath(_) | CellError::Disconnected => &mut counts.off_path,
                _ => &mut counts.other,
            };
            *count += 1.0;
        }
        let total = checked.len().max(1) as f64;
        Self {
            vertices: counts.vertices / total,
            edges: counts.edges / total,
            input_or_output: counts.input_or_output / total,
            off_path: counts.off_path / total,
            other: counts.other / total,
        }
    }

    /// The share that breaks some rule.
    pub fn total(&self) -> f64 {
        self.vertices + self.edges + self.input_or_output + self.off_path + self.other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decoding::DecodedGraph;
    use crate::node_types::OUTPUT_TYPE;

    fn graph(types: &[u8], edges: &[(usize, usize)]) -> DecodedGraph {
        DecodedGraph { types: types.to_vec(), edges: edges.to_vec(), finished: types.last() == Some(&OUTPUT_TYPE) }
    }

    /// A chain input → `ops` → output.
    fn chain(ops: usize) -> DecodedGraph {
        let mut types = vec![1];
        types.extend(std::iter::repeat_n(2, ops));
        types.push(OUTPUT_TYPE);
        graph(&types, &(0..=ops).map(|v| (v, v + 1)).collect::<Vec<_>>())
    }

    #[test]
    fn each_graph_counts_under_the_first_rule_it_breaks() {
        let mut dense = chain(5);
        dense.edges.extend([(0, 2), (0, 3), (0, 4), (0, 5)]);
        let mut no_predecessor = chain(2);
        no_predecessor.edges.retain(|&edge| edge != (1, 2));
        let mut also_dense = dense.clone();
        also_dense.edges.retain(|&edge| edge != (0, 3) && edge != (2, 3));
        also_dense.edges.extend([(1, 6), (2, 6)]);
        let decoded = [
            chain(5),
            chain(6),
            dense,
            no_predecessor,
            graph(&[1, 2, 1, 0], &[(0, 1), (1, 2), (2, 3)]),
            also_dense,
            graph(&[1, 2, 3], &[(0, 1), (1, 2)]),
            chain(1),
        ];
        let checked: Vec<_> = decoded.iter().map(DecodedGraph::cell).collect();
        let broken = BrokenRules::of(&checked);
        let share = |n: f64| n / 8.0;
        assert_eq!(broken.vertices, share(1.0), "chain(6) has 8 vertices");
        assert_eq!(broken.edges, share(2.0), "10 edges, the second also with vertex 3 off every path");
        assert_eq!(broken.input_or_output, share(2.0), "an input inside, and a graph ending in an op");
        assert_eq!(broken.off_path, share(1.0));
        assert_eq!(broken.other, 0.0);
        let cells = decoded.iter().filter(|g| g.to_cell().is_some()).count();
        assert_eq!(cells, 2);
        assert!((broken.total() - (1.0 - share(2.0))).abs() < 1e-12);
    }

    #[test]
    fn nothing_decoded_breaks_nothing() {
        assert_eq!(BrokenRules::of(&[]), BrokenRules::default());
    }
}
