//! The second round of message passing for prediction, worked on node signatures.
//!
//! After the first round a node's state depends only on its *signature*: its own type and how
//! many of its senders and of its receivers have each type (the first round reads nothing
//! else; see [`TypeSelection`]). The whole search space has 1,863 signatures and a chunk of 512
//! of its cells about 200, against 3,584 nodes. The second round is linear in the states up to
//! the GRU's gates, so every map applies to the batch's distinct signatures once:
//!
//! ```text
//! x_v · W_x = Σ_{j→v} h_j W_0 W_x + deg_in(v) h_v W_1 W_x + Σ_{v→i} h_i W_2 W_x + deg_out(v) h_v W_3 W_x + …
//! ```
//!
//! with `W_k` the message map's part `k` and `W_x` the GRU's input maps. Per node only rows of
//! three tables are summed: its own (the self parts, the degrees' biases, the state's maps), one
//! per sender and one per receiver. That is about a tenth of the dense round's products for a
//! chunk of cells; the values equal [`MessagePassing::forward`]'s up to rounding (the maps are
//! applied in another order), which the tests bound.

use std::collections::HashMap;

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::model::message_passing::{MessagePassing, TypeSelection};

/// The distinct node signatures of a batch and, for every node, the table rows its second
/// round sums.
#[derive(Debug, Clone)]
pub struct NodeSignatures {
    /// One row per distinct signature, as the first round reads it. Shape `[1, signatures]`.
    pub unique: TypeSelection,
    /// Node `v`'s rows of the table `[own; as sender; as receiver; zero]`: its own signature's,
    /// one per sender and one per receiver, then the zero row up to `slots`.
    /// Shape `[batch·nodes·slots]`.
    pub rows: Tensor<1, Int>,
    /// The signature of every node, graph-major. Shape `[batch·nodes]`.
    pub of_node: Tensor<1, Int>,
    /// Rows summed per node: one more than the largest degree in the batch.
    pub slots: usize,
    /// `[batch, nodes]`.
    pub shape: [usize; 2],
}

impl NodeSignatures {
    /// The signatures of `batch` graphs of `nodes` nodes with node types `types[b·nodes + v]`
    /// (each below `type_count`) and edges `edge(b, from, to)`.
    pub fn new(
        batch: usize,
        nodes: usize,
        type_count: usize,
        types: &[usize],
        edge: impl Fn(usize, usize, usize) -> bool,
        device: &Device,
    ) -> Self {
        let total = batch * nodes;
        let (parts, one_hot) = TypeSelection::host_rows(batch, nodes, type_count, types, &edge);
        let width = TypeSelection::width(type_count);
        // A node's signature is its row of the first round's selection and its type.
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let (mut unique_parts, mut unique_types) = (Vec::new(), Vec::new());
        let of_node: Vec<usize> = (0..total)
            .map(|v| {
                let row = &parts[v * width..(v + 1) * width];
                let mut key: Vec<u8> = row.iter().map(|&count| count as u8).collect();
                key.push(types[v] as u8);
                let next = index.len();
                *index.entry(key).or_insert_with(|| {
                    unique_parts.extend_from_slice(row);
                    unique_types.extend_from_slice(&one_hot[v * type_count..(v + 1) * type_count]);
                    next
                })
            })
            .collect();
        let count = index.len();
        // Each node's rows: its own, one per sender (`j → v`) and one per receiver (`v → i`).
        let mut node_rows: Vec<Vec<i64>> = of_node.iter().map(|&own| vec![own as i64]).collect();
        for b in 0..batch {
            for from in 0..nodes {
                for to in (0..nodes).filter(|&to| edge(b, from, to)) {
                    let (from, to) = (b * nodes + from, b * nodes + to);
                    node_rows[to].push((count + of_node[from]) as i64);
                    node_rows[from].push((2 * count + of_node[to]) as i64);
                }
            }
        }
        let slots = node_rows.iter().map(Vec::len).max().unwrap_or(1);
        let zero_row = (3 * count) as i64;
        let rows: Vec<i64> = node_rows
            .into_iter()
            .flat_map(|mut row| {
                row.resize(slots, zero_row);
                row
            })
            .collect();
        let of_node: Vec<i64> = of_node.into_iter().map(|s| s as i64).collect();
        Self {
            unique: TypeSelection::from_rows(unique_parts, unique_types, type_count, [1, count], device),
            rows: Tensor::from_data(TensorData::new(rows, [total * slots]), device),
            of_node: Tensor::from_data(TensorData::new(of_node, [total]), device),
            slots,
            shape: [batch, nodes],
        }
    }

    /// The number of distinct signatures.
    pub fn len(&self) -> usize {
        self.unique.shape[1]
    }

    /// Whether there are none (an empty batch).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MessagePassing {
    /// The second round, after `first` on the embedding table, on every node of a batch of
    /// [`NodeSignatures`]. Equal to `first` then `self` in [`MessagePassing::forward`], up to
    /// rounding.
    ///
    /// # Shapes
    /// - `embedding`: `[types, node_dim]`
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward_on_signatures(
        &self,
        first: &MessagePassing,
        embedding: Tensor<2>,
        signatures: &NodeSignatures,
    ) -> Tensor<3> {
        let [batch, nodes] = signatures.shape;
        let d = self.node_dim();
        let count = signatures.len();
        let device = embedding.device();
        // The first round's states of the distinct signatures.
        let states = first.forward_from_embedding(embedding, &signatures.unique).reshape([count, d]);
        let (input_maps, hidden_maps) = self.update.gate_maps();
        let gates = 3 * d;
        // Each signature's state through each part of the message map, then the GRU's input maps.
        let parts = states
            .clone()
            .unsqueeze::<3>()
            .matmul(self.messages.val().reshape([4, d, 2 * d]))
            .matmul(input_maps.clone().unsqueeze::<3>());
        let part = |k: usize| parts.clone().narrow(0, k, 1).reshape([count, gates]);
        let (input_bias, hidden_bias) = self.update.biases();
        let hidden = states.clone().matmul(hidden_maps) + hidden_bias.unsqueeze::<2>();
        let degrees = signatures.unique.parts.clone().narrow(1, signatures.unique.parts.dims()[1] - 2, 2);
        let (in_degree, out_degree) = (degrees.clone().narrow(1, 0, 1), degrees.clone().narrow(1, 1, 1));
        // A node's own row: its self parts, the messages' biases by degree, the GRU's input bias,
        // and the reset and update gates' part of its state's map (the new gate's stays apart).
        let hidden_gates = Tensor::cat(vec![hidden.clone().narrow(1, 0, 2 * d), Tensor::zeros([count, d], &device)], 1);
        let own = part(1) * in_degree
            + part(3) * out_degree
            + degrees.matmul(self.message_bias.val().matmul(input_maps))
            + input_bias.unsqueeze::<2>()
            + hidden_gates;
        let table = Tensor::cat(vec![own, part(0), part(2), Tensor::zeros([1, gates], &device)], 0);
        let total = batch * nodes;
        let summed = table
            .select(0, signatures.rows.clone())
            .reshape([total, signatures.slots, gates])
            .sum_dim(1)
            .reshape([total, gates]);
        let node_tables =
            Tensor::cat(vec![hidden.narrow(1, 2 * d, d), states], 1).select(0, signatures.of_node.clone());
        let (new_hidden, state) = (node_tables.clone().narrow(1, 0, d), node_tables.narrow(1, d, d));
        self.update.step_from_gates(summed, new_hidden, state).reshape([batch, nodes, d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::batch::GraphBatch;
    use crate::model::node_embedding::NodeEmbedding;

    #[test]
    fn signatures_count_distinct_neighbourhoods_and_list_each_nodes_rows() {
        let device = Device::flex();
        // Two copies of 0 → 1 → 2 (types 1, 2, 0) and a padded third graph of one node.
        let edges = [(0, 1), (1, 2)];
        let types = [1, 2, 0, 1, 2, 0, 1, 0, 0];
        let signatures = NodeSignatures::new(3, 3, 5, &types, |b, f, t| b < 2 && edges.contains(&(f, t)), &device);
        // Input, middle, output of the chain; the lone node of type 1; padding of type 0.
        assert_eq!(signatures.len(), 5);
        assert_eq!(signatures.slots, 3);
        let ints =
            |t: Tensor<1, Int>| -> Vec<i64> { t.into_data().convert::<i64>().try_to_vec::<i64>().expect("ints") };
        assert_eq!(ints(signatures.of_node.clone()), vec![0, 1, 2, 0, 1, 2, 3, 4, 4]);
        let rows = ints(signatures.rows.clone());
        let zero = 15;
        // The middle node: its own row, its sender 0 (rows 5‥9), its receiver 2 (rows 10‥14).
        assert_eq!(&rows[3..6], &[1, 5, 12]);
        assert_eq!(&rows[0..3], &[0, 11, zero]);
        assert_eq!(&rows[6..9], &[2, 6, zero]);
        assert_eq!(&rows[18..27], &[3, zero, zero, 4, zero, zero, 4, zero, zero]);
    }

    #[test]
    fn the_round_on_signatures_equals_two_dense_rounds() {
        let device = Device::flex();
        let nodes = NodeEmbedding::init(crate::model::batch::NODE_TYPES, 8, 3, &device);
        // Cells of 2 to 7 vertices in one padded batch.
        let cells: Vec<nasbench::Cell> = (2..=7)
            .flat_map(|n| nasbench::space::enumerate_vertices(n).into_iter().step_by(997).take(12))
            .map(|c| c.cell)
            .collect();
        let refs: Vec<&nasbench::Cell> = cells.iter().collect();
        let batch = GraphBatch::new(&refs, &device);
        let signatures = batch.signatures(&device);
        assert!(signatures.len() < cells.len() * 7, "{} signatures", signatures.len());
        let dense = crate::readback::floats(nodes.forward(&batch)).expect("read");
        let tabled = crate::readback::floats(nodes.forward_on_signatures(&batch, &signatures)).expect("read");
        assert_eq!(dense.len(), cells.len() * 7 * 8);
        for (a, b) in dense.iter().zip(&tabled) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
        }
    }
}
