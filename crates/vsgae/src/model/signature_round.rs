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

    /// Whether the batch repeats enough signatures for training to work on them: at most four
    /// for every five nodes. Training's batches of 7-vertex cells have about 0.87 signatures per
    /// node in 8 cells, 0.78 in 16, 0.49 in 64 and 0.35 in 128 (NAS-Bench-101's cells). On such
    /// cells `vsgae bench` at one thread, four alternating rounds, put the round on signatures
    /// behind at 8 cells (predictor training 0.87×: the rows each node gathers and sums cost more
    /// than the maps saved), level or ahead at 16 (1.01×, VS-GAE 1.10×) and ahead from 32.
    pub fn repeat_enough(&self) -> bool {
        let nodes = self.shape[0] * self.shape[1];
        5 * self.len() <= 4 * nodes
    }

    /// Whether there are none (an empty batch).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where [`MessagePassing::forward_on_signatures`] applies the GRU's input maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateInputs {
    /// Composed with the message maps and applied to the signature table, so that a node only
    /// sums table rows: the fewest products for prediction. Composing costs a weight-sized
    /// product per map (and two more for a gradient), which a large batch repays.
    Composed,
    /// Applied to each node's summed messages, as the dense round does: for training, where the
    /// composition's gradient would cost more than the per-node maps it saves.
    PerNode,
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
        gate_inputs: GateInputs,
    ) -> Tensor<3> {
        let [batch, nodes] = signatures.shape;
        let d = self.node_dim();
        let count = signatures.len();
        // The first round's states of the distinct signatures.
        let states = first.forward_from_embedding(embedding, &signatures.unique).reshape([count, d]);
        let states_out = match gate_inputs {
            GateInputs::Composed => self.composed_round(states, signatures),
            GateInputs::PerNode => self.per_node_round(states, signatures),
        };
        states_out.reshape([batch, nodes, d])
    }

    /// Each signature's in- and out-degree, each `[signatures, 1]`.
    fn signature_degrees(signatures: &NodeSignatures) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let columns = signatures.unique.parts.dims()[1];
        let degrees = signatures.unique.parts.clone().narrow(1, columns - 2, 2);
        (degrees.clone(), degrees.clone().narrow(1, 0, 1), degrees.narrow(1, 1, 1))
    }

    /// Every node's sum of the rows of `[own; as sender; as receiver; zero]` it lists.
    ///
    /// # Shapes
    /// - `own`, `as_sender`, `as_receiver`: `[signatures, width]`
    /// - output: `[batch·nodes, width]`
    fn sum_rows(
        signatures: &NodeSignatures,
        own: Tensor<2>,
        as_sender: Tensor<2>,
        as_receiver: Tensor<2>,
    ) -> Tensor<2> {
        let width = own.dims()[1];
        let zero = Tensor::zeros([1, width], &own.device());
        let total = signatures.shape[0] * signatures.shape[1];
        Tensor::cat(vec![own, as_sender, as_receiver, zero], 0)
            .select(0, signatures.rows.clone())
            .reshape([total, signatures.slots, width])
            .sum_dim(1)
            .reshape([total, width])
    }

    /// [`GateInputs::Composed`]: the message maps and the GRU's input maps applied to the
    /// signatures' states together; a node sums rows of the gates' arguments.
    ///
    /// # Shapes
    /// - `states`: `[signatures, node_dim]`
    /// - output: `[batch·nodes, node_dim]`
    fn composed_round(&self, states: Tensor<2>, signatures: &NodeSignatures) -> Tensor<2> {
        let d = self.node_dim();
        let count = signatures.len();
        let device = states.device();
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
        let (degrees, in_degree, out_degree) = Self::signature_degrees(signatures);
        // A node's own row: its self parts, the messages' biases by degree, the GRU's input bias,
        // and the reset and update gates' part of its state's map (the new gate's stays apart).
        let hidden_gates = Tensor::cat(vec![hidden.clone().narrow(1, 0, 2 * d), Tensor::zeros([count, d], &device)], 1);
        let own = part(1) * in_degree
            + part(3) * out_degree
            + degrees.matmul(self.message_bias.val().matmul(input_maps))
            + input_bias.unsqueeze::<2>()
            + hidden_gates;
        let summed = Self::sum_rows(signatures, own, part(0), part(2));
        let node_tables =
            Tensor::cat(vec![hidden.narrow(1, 2 * d, d), states], 1).select(0, signatures.of_node.clone());
        let (new_hidden, state) = (node_tables.clone().narrow(1, 0, d), node_tables.narrow(1, d, d));
        self.update.step_from_gates(summed, new_hidden, state)
    }

    /// [`GateInputs::PerNode`]: the message maps applied to the signatures' states, a node's
    /// messages summed from their rows, then the GRU on every node with its state's maps on the
    /// signatures ([`GruCell::forward_on_state_table`](crate::model::gru::GruCell::forward_on_state_table)).
    ///
    /// # Shapes
    /// - `states`: `[signatures, node_dim]`
    /// - output: `[batch·nodes, node_dim]`
    fn per_node_round(&self, states: Tensor<2>, signatures: &NodeSignatures) -> Tensor<2> {
        let d = self.node_dim();
        let count = signatures.len();
        let parts = states.clone().unsqueeze::<3>().matmul(self.messages.val().reshape([4, d, 2 * d]));
        let part = |k: usize| parts.clone().narrow(0, k, 1).reshape([count, 2 * d]);
        let (degrees, in_degree, out_degree) = Self::signature_degrees(signatures);
        let own = part(1) * in_degree + part(3) * out_degree + degrees.matmul(self.message_bias.val());
        let received = Self::sum_rows(signatures, own, part(0), part(2));
        self.update.forward_on_state_table(received, states, signatures.of_node.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::batch::GraphBatch;
    use crate::model::node_embedding::NodeEmbedding;
    use burn::module::Param;
    use burn::tensor::{Distribution, Gradients};

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
        let ints = |t: Tensor<1, Int>| crate::readback::ints(t).expect("ints");
        assert_eq!(ints(signatures.of_node.clone()), vec![0, 1, 2, 0, 1, 2, 3, 4, 4]);
        let rows = ints(signatures.rows.clone());
        let zero = 15;
        // The middle node: its own row, its sender 0 (rows 5‥9), its receiver 2 (rows 10‥14).
        assert_eq!(&rows[3..6], &[1, 5, 12]);
        assert_eq!(&rows[0..3], &[0, 11, zero]);
        assert_eq!(&rows[6..9], &[2, 6, zero]);
        assert_eq!(&rows[18..27], &[3, zero, zero, 4, zero, zero, 4, zero, zero]);
    }

    /// Cells of 2 to 7 vertices in one padded batch, and its signatures (fewer than its nodes).
    fn mixed_batch(device: &Device) -> (GraphBatch, NodeSignatures) {
        let cells: Vec<nasbench::Cell> = (2..=7)
            .flat_map(|n| nasbench::space::enumerate_vertices(n).into_iter().step_by(997).take(12))
            .map(|c| c.cell)
            .collect();
        let refs: Vec<&nasbench::Cell> = cells.iter().collect();
        let batch = GraphBatch::new(&refs, device);
        let signatures = batch.signatures(device);
        assert!(signatures.len() < cells.len() * 7, "{} signatures", signatures.len());
        (batch, signatures)
    }

    /// Two rounds of `nodes`: dense over every node, or on the signatures.
    fn two_rounds(
        nodes: &NodeEmbedding,
        batch: &GraphBatch,
        signatures: &NodeSignatures,
        on_signatures: Option<GateInputs>,
    ) -> Tensor<3> {
        let [first, second] = nodes.layers.as_slice() else { panic!("two rounds") };
        match on_signatures {
            None => {
                second.forward(first.forward(nodes.types.forward(batch.ops.clone()), &batch.messages), &batch.messages)
            }
            Some(how) => second.forward_on_signatures(first, nodes.types.weight.val(), signatures, how),
        }
    }

    #[test]
    fn the_round_on_signatures_equals_two_dense_rounds() {
        let device = Device::flex();
        let nodes = NodeEmbedding::init(crate::node_types::NODE_TYPES, 8, 2, &device);
        let (batch, signatures) = mixed_batch(&device);
        let dense = crate::readback::floats(two_rounds(&nodes, &batch, &signatures, None)).expect("read");
        assert_eq!(dense.len(), batch.len() * 7 * 8);
        for how in [GateInputs::Composed, GateInputs::PerNode] {
            let tabled = crate::readback::floats(two_rounds(&nodes, &batch, &signatures, Some(how))).expect("read");
            assert_eq!(tabled.len(), dense.len());
            for (a, b) in dense.iter().zip(&tabled) {
                assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{how:?}: {a} vs {b}");
            }
        }
    }

    /// Training's round on signatures gives every parameter the dense rounds' gradient.
    #[test]
    fn the_round_on_signatures_has_the_dense_rounds_gradients() {
        let device = Device::flex().autodiff();
        let nodes = NodeEmbedding::init(crate::node_types::NODE_TYPES, 8, 2, &device);
        let (batch, signatures) = mixed_batch(&device);
        // Weigh the states unevenly, so that every gradient depends on which rows are summed.
        let weights = Tensor::<3>::random([batch.len(), 7, 8], Distribution::Normal(0.0, 1.0), &device);
        let loss = |how| (two_rounds(&nodes, &batch, &signatures, how) * weights.clone()).sum().backward();
        let (dense, tabled) = (loss(None), loss(Some(GateInputs::PerNode)));
        let mut checked = 0;
        let mut compare = |name: &str, of: &dyn Fn(&Gradients) -> Option<Vec<f32>>| {
            let (a, b) = (of(&dense).expect("a dense gradient"), of(&tabled).expect("a gradient"));
            assert_eq!(a.len(), b.len(), "{name}");
            for (a, b) in a.iter().zip(&b) {
                assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{name}: {a} vs {b}");
                checked += 1;
            }
        };
        let read2 =
            |p: &Param<Tensor<2>>, g: &Gradients| p.val().grad(g).map(|t| crate::readback::floats(t).expect("read"));
        let read1 =
            |p: &Param<Tensor<1>>, g: &Gradients| p.val().grad(g).map(|t| crate::readback::floats(t).expect("read"));
        compare("embedding", &|g| read2(&nodes.types.weight, g));
        for (k, layer) in nodes.layers.iter().enumerate() {
            let gru = &layer.update;
            compare(&format!("{k}.messages"), &|g| read2(&layer.messages, g));
            compare(&format!("{k}.message_bias"), &|g| read2(&layer.message_bias, g));
            for (name, weight) in [
                ("reset", &gru.reset),
                ("update", &gru.update),
                ("new_input", &gru.new_input),
                ("new_hidden", &gru.new_hidden),
            ] {
                compare(&format!("{k}.{name}"), &|g| read2(weight, g));
            }
            for (name, biases) in [("input", &gru.input_bias), ("hidden", &gru.hidden_bias)] {
                for bias in [&biases.reset, &biases.update, &biases.new] {
                    compare(&format!("{k}.{name}_bias"), &|g| read1(bias, g));
                }
            }
        }
        // The embedding, then per layer: messages, their biases, four GRU weights, six biases.
        assert_eq!(checked, 5 * 8 + 2 * (4 * 8 * 16 + 2 * 16 + 2 * 24 * 8 + 16 * 8 + 8 * 8 + 6 * 8));
    }
}
