//! What the decoder's edge head reads of the partial graph beside the node states
//! ([`crate::config::EdgeContext::Counts`]): for each candidate predecessor `j` of the new node,
//! the partial graph's edge count over the cell's limit of 9, its vertex count over 7, and
//! whether `j` has a successor yet. Teacher forcing and decoding build the rows through the same
//! [`ContextRows::push_graph`], so a model is trained on exactly what it decodes with.

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::{MAX_EDGES, MAX_VERTICES};

/// Features in each row.
pub const WIDTH: usize = 3;

/// The name of the edge context's linear map under the reference's decoder prefix (the
/// reference has none).
pub const PARAMETER: &str = "nodes.f_s_context";

/// Context rows, one per candidate edge, built on the host.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextRows {
    values: Vec<f32>,
}

impl ContextRows {
    /// Room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Self { values: Vec::with_capacity(rows * WIDTH) }
    }

    /// The rows of a partial graph's candidates `0‥vertices`, in order; `edge(from, to)` says
    /// whether the graph has the edge `from → to` (`from < to`).
    pub fn push_graph(&mut self, vertices: usize, edge: impl Fn(usize, usize) -> bool) {
        let edges = (0..vertices).map(|from| (from + 1..vertices).filter(|&to| edge(from, to)).count());
        let out_degrees: Vec<usize> = edges.collect();
        let total = out_degrees.iter().sum();
        for out_degree in out_degrees {
            self.push(total, vertices, out_degree > 0);
        }
    }

    /// The row of a candidate predecessor in a partial graph of `vertices` vertices and `edges`
    /// edges.
    fn push(&mut self, edges: usize, vertices: usize, candidate_has_successor: bool) {
        self.values.extend([
            edges as f32 / MAX_EDGES as f32,
            vertices as f32 / MAX_VERTICES as f32,
            f32::from(u8::from(candidate_has_successor)),
        ]);
    }

    /// Rows pushed so far.
    pub fn len(&self) -> usize {
        self.values.len() / WIDTH
    }

    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The rows on `device`.
    ///
    /// # Shapes
    /// - output: `[rows, WIDTH]`
    pub fn tensor(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(self.values.clone(), [self.len(), WIDTH]), device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_candidate_row_holds_the_graphs_counts_over_the_cells_limits_and_its_successor_flag() {
        // 0 → 1, 0 → 2, 1 → 3 on 5 vertices: 3 edges; 0 and 1 have successors.
        let edges = [(0, 1), (0, 2), (1, 3)];
        let mut rows = ContextRows::with_capacity(5);
        assert!(rows.is_empty());
        rows.push_graph(5, |from, to| edges.contains(&(from, to)));
        assert_eq!(rows.len(), 5);
        let (e, v) = (3.0 / 9.0, 5.0 / 7.0);
        let expected = [[e, v, 1.0], [e, v, 1.0], [e, v, 0.0], [e, v, 0.0], [e, v, 0.0]];
        assert_eq!(rows.values, expected.concat());
        // A full cell's candidates read 1 for both counts.
        let mut full = ContextRows::default();
        full.push_graph(7, |from, to| {
            to == from + 1 || (from, to) == (0, 6) || (from, to) == (0, 2) || (from, to) == (1, 3)
        });
        assert_eq!(&full.values[..2], &[1.0, 1.0]);
    }
}
