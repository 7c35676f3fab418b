//! One round of the reference's message passing, on dense batches.
//!
//! The reference (PyTorch Geometric) applies a linear map to every edge and sums the messages at
//! each receiving node. Both maps are linear, so the sum of the messages is the map of the summed
//! inputs. For a node `v`, with `W` the forward map and `W'` the reverse map:
//!
//! ```text
//! Σ_{j→v} W [h_j; h_v] + b  +  Σ_{v→i} W' [h_i; h_v] + b'
//!   = [Σ_{j→v} h_j, deg_in(v) h_v, Σ_{v→i} h_i, deg_out(v) h_v] · [W; W'] + deg_in(v) b + deg_out(v) b'
//! ```
//!
//! The four sums are one small batched product of a [`MessageOperator`] (built once per batch
//! on the host) with the node states; the maps are then one large product for the whole batch.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::module::linear;
use burn::tensor::{Device, Tensor, TensorData};

use crate::io::state_dict::{ImportError, ReferenceParams, StateDict, lazy_dims, transposed};
use crate::model::gru::{GateBiasSums, GruCell, GruCellConfig};

/// The reference's `GNNLayer`: every edge `j → i` sends `msg([h_j; h_i])` to `i`, and its
/// reverse sends `msg_rev([h_i; h_j])` to `j`; the summed messages update a GRU cell.
#[derive(Module, Debug)]
pub struct MessagePassing {
    /// `[W; W']` in Burn's `[input, output]` layout: rows `0‥2D` are `msg` (the sender's part,
    /// then the receiver's), rows `2D‥4D` are `msg_rev`. Shape `[4·node, 2·node]`.
    pub messages: Param<Tensor<2>>,
    /// `[b; b']`, the biases of `msg` and `msg_rev`. Shape `[2, 2·node]`.
    pub message_bias: Param<Tensor<2>>,
    /// Takes the summed messages into each node's state.
    pub update: GruCell,
}

/// The sizes of a [`MessagePassing`] round.
#[derive(Config, Debug)]
pub struct MessagePassingConfig {
    /// Width of the node states.
    pub node_dim: usize,
}

impl MessagePassingConfig {
    /// A round with PyTorch's initialisation of `Linear(2·node → 2·node)` for both message maps.
    pub fn init(&self, device: &Device) -> MessagePassing {
        let d = self.node_dim;
        let bound = 1.0 / ((2 * d).max(1) as f64).sqrt();
        let uniform = Initializer::Uniform { min: -bound, max: bound };
        MessagePassing {
            messages: uniform.init([4 * d, 2 * d], device),
            message_bias: uniform.init([2, 2 * d], device),
            update: GruCellConfig::new(2 * d, d).init(device),
        }
    }
}

/// For each node of a batch, which node states its messages sum: the dense form of a batch's
/// edges that [`MessagePassing::forward`] needs.
#[derive(Debug, Clone)]
pub struct MessageOperator {
    /// Row `4v + k` of graph `b` selects the states summed into part `k` of node `v`'s input:
    /// its senders (`k = 0`), itself `deg_in(v)` times (`1`), its receivers (`2`), itself
    /// `deg_out(v)` times (`3`). Shape `[batch, 4·nodes, nodes]`.
    pub gather: Tensor<3>,
    /// In- and out-degree of every node, graph-major. Shape `[batch·nodes, 2]`.
    pub degrees: Tensor<2>,
}

impl MessageOperator {
    /// The operator of `batch` graphs of `nodes` nodes each, where `edge(b, from, to)` says
    /// whether graph `b` has the edge `from → to`.
    pub fn new(batch: usize, nodes: usize, edge: impl Fn(usize, usize, usize) -> bool, device: &Device) -> Self {
        let mut gather = vec![0f32; batch * 4 * nodes * nodes];
        let mut degrees = vec![0f32; batch * nodes * 2];
        for b in 0..batch {
            for from in 0..nodes {
                for to in 0..nodes {
                    if !edge(b, from, to) {
                        continue;
                    }
                    let row = |v: usize, part: usize| ((b * nodes + v) * 4 + part) * nodes;
                    gather[row(to, 0) + from] += 1.0;
                    gather[row(to, 1) + to] += 1.0;
                    gather[row(from, 2) + to] += 1.0;
                    gather[row(from, 3) + from] += 1.0;
                    degrees[(b * nodes + to) * 2] += 1.0;
                    degrees[(b * nodes + from) * 2 + 1] += 1.0;
                }
            }
        }
        Self {
            gather: Tensor::from_data(TensorData::new(gather, [batch, 4 * nodes, nodes]), device),
            degrees: Tensor::from_data(TensorData::new(degrees, [batch * nodes, 2]), device),
        }
    }
}

/// For the first round of message passing, each node's inputs counted by node type: the sums
/// of [`MessageOperator`] taken over one-hot types, so that a round on embedded types needs
/// only the embedding table ([`MessagePassing::forward_from_embedding`]).
#[derive(Debug, Clone)]
pub struct TypeSelection {
    /// Row `v`: how many nodes of each type part `k` of node `v`'s input sums (column
    /// `k·types + t`), then its in- and out-degree. Shape `[batch·nodes, 4·types + 2]`.
    pub parts: Tensor<2>,
    /// Row `v`: the one-hot type of node `v`. Shape `[batch·nodes, types]`.
    pub types: Tensor<2>,
    /// `[batch, nodes]`.
    pub shape: [usize; 2],
}

impl TypeSelection {
    /// The selection of `batch` graphs of `nodes` nodes with node types `types[b·nodes + v]`
    /// (each below `type_count`) and edges `edge(b, from, to)`.
    pub fn new(
        batch: usize,
        nodes: usize,
        type_count: usize,
        types: &[usize],
        edge: impl Fn(usize, usize, usize) -> bool,
        device: &Device,
    ) -> Self {
        let (parts, one_hot) = Self::host_rows(batch, nodes, type_count, types, edge);
        Self::from_rows(parts, one_hot, type_count, [batch, nodes], device)
    }

    /// The rows of [`TypeSelection::parts`] and [`TypeSelection::types`] on the host, for
    /// [`TypeSelection::new`]'s arguments.
    pub(crate) fn host_rows(
        batch: usize,
        nodes: usize,
        type_count: usize,
        types: &[usize],
        edge: impl Fn(usize, usize, usize) -> bool,
    ) -> (Vec<f32>, Vec<f32>) {
        let width = Self::width(type_count);
        let mut parts = vec![0f32; batch * nodes * width];
        let mut one_hot = vec![0f32; batch * nodes * type_count];
        for b in 0..batch {
            let node = |v: usize| b * nodes + v;
            for v in 0..nodes {
                one_hot[node(v) * type_count + types[node(v)]] = 1.0;
            }
            for from in 0..nodes {
                for to in (0..nodes).filter(|&to| edge(b, from, to)) {
                    let mut count = |v: usize, part: usize, of: usize| {
                        parts[node(v) * width + part * type_count + types[node(of)]] += 1.0;
                    };
                    count(to, 0, from);
                    count(to, 1, to);
                    count(from, 2, to);
                    count(from, 3, from);
                    parts[node(to) * width + 4 * type_count] += 1.0;
                    parts[node(from) * width + 4 * type_count + 1] += 1.0;
                }
            }
        }
        (parts, one_hot)
    }

    /// A selection of rows made on the host: `parts` and `types` row-major, `shape` `[batch, nodes]`.
    pub(crate) fn from_rows(
        parts: Vec<f32>,
        types: Vec<f32>,
        type_count: usize,
        shape: [usize; 2],
        device: &Device,
    ) -> Self {
        let rows = shape[0] * shape[1];
        Self {
            parts: Tensor::from_data(TensorData::new(parts, [rows, Self::width(type_count)]), device),
            types: Tensor::from_data(TensorData::new(types, [rows, type_count]), device),
            shape,
        }
    }

    /// Columns of [`TypeSelection::parts`] for `type_count` types.
    pub(crate) fn width(type_count: usize) -> usize {
        4 * type_count + 2
    }
}

impl MessagePassing {
    /// Width of the node states.
    pub fn node_dim(&self) -> usize {
        self.update.hidden_dim()
    }

    /// The first round, whose states are the embeddings of the node types: every map is applied
    /// to the embedding table (one row per type) and the batch's [`TypeSelection`] picks the
    /// rows, so no product of the batch's size is needed. Equal to
    /// [`MessagePassing::forward`] on the embedded states, up to rounding.
    ///
    /// # Shapes
    /// - `embedding`: `[types, node_dim]`
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward_from_embedding(&self, embedding: Tensor<2>, selection: &TypeSelection) -> Tensor<3> {
        let [types, d] = embedding.dims();
        let per_part = embedding.clone().unsqueeze::<3>().matmul(self.messages.val().reshape([4, d, 2 * d]));
        let inputs = Tensor::cat(vec![per_part.reshape([4 * types, 2 * d]), self.message_bias.val()], 0);
        let [batch, nodes] = selection.shape;
        self.update
            .forward_selected(selection.parts.clone(), inputs, selection.types.clone(), embedding)
            .reshape([batch, nodes, d])
    }

    /// One round over every graph of a batch.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `operator`: built for `batch` graphs of `nodes` nodes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward(&self, h: Tensor<3>, operator: &MessageOperator) -> Tensor<3> {
        self.forward_with(h, operator, &self.update.gate_bias_sums())
    }

    /// [`MessagePassing::forward`] with the GRU's bias sums formed once for many rounds
    /// ([`GruCell::gate_bias_sums`]).
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `operator`: built for `batch` graphs of `nodes` nodes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward_with(&self, h: Tensor<3>, operator: &MessageOperator, sums: &GateBiasSums) -> Tensor<3> {
        let [batch, nodes, d] = h.dims();
        let inputs = operator.gather.clone().matmul(h.clone()).reshape([batch * nodes, 4 * d]);
        let received =
            linear(inputs, self.messages.val(), None) + operator.degrees.clone().matmul(self.message_bias.val());
        self.update.forward_with(received, h.reshape([batch * nodes, d]), sums).reshape([batch, nodes, d])
    }
}

/// The reference's `GNNLayer` names: `msg`, `msg_rev` (each `Linear(2D → 2D)`), `upd`.
impl ReferenceParams for MessagePassing {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let [_, width] = lazy_dims(&self.message_bias);
        let mut stacked = Vec::with_capacity(2 * width * width);
        let mut biases = Vec::with_capacity(2 * width);
        for name in ["msg", "msg_rev"] {
            let weight = weights.take(&format!("{prefix}{name}.weight"), &[width, width])?;
            stacked.extend(transposed(&weight.values, width, width));
            biases.extend(weights.take(&format!("{prefix}{name}.bias"), &[width])?.values);
        }
        Ok(MessagePassing {
            messages: Param::from_tensor(Tensor::from_data(TensorData::new(stacked, [2 * width, width]), device)),
            message_bias: Param::from_tensor(Tensor::from_data(TensorData::new(biases, [2, width]), device)),
            update: self.update.load(weights, &format!("{prefix}upd."), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let width = self.message_bias.dims()[1];
        for (k, name) in ["msg", "msg_rev"].into_iter().enumerate() {
            weights.put(format!("{prefix}{name}.weight"), self.messages.val().narrow(0, k * width, width).transpose());
            weights.put(format!("{prefix}{name}.bias"), self.message_bias.val().narrow(0, k, 1).reshape([width]));
        }
        self.update.save(weights, &format!("{prefix}upd."));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_round_on_the_embedding_table_equals_the_round_on_embedded_states() {
        let device = Device::flex();
        let layer = MessagePassingConfig::new(6).init(&device);
        let embedding = burn::nn::EmbeddingConfig::new(crate::node_types::NODE_TYPES, 6).init(&device);
        let cells: Vec<nasbench::Cell> =
            nasbench::space::enumerate_vertices(5).into_iter().map(|c| c.cell).take(9).collect();
        let refs: Vec<&nasbench::Cell> = cells.iter().collect();
        let batch = crate::model::batch::GraphBatch::new(&refs, &device);
        let direct = layer.forward(embedding.forward(batch.ops.clone()), &batch.messages);
        let tabled = layer.forward_from_embedding(embedding.weight.val(), &batch.selection);
        let (direct, tabled) =
            (crate::readback::floats(direct).expect("read"), crate::readback::floats(tabled).expect("read"));
        assert_eq!(direct.len(), 9 * 5 * 6);
        for (a, b) in direct.iter().zip(&tabled) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn the_operator_sums_senders_receivers_and_counts_degrees() {
        let device = Device::flex();
        // One graph 0 → 1, 0 → 2, 1 → 2.
        let edges = [(0, 1), (0, 2), (1, 2)];
        let operator = MessageOperator::new(1, 3, |_, f, t| edges.contains(&(f, t)), &device);
        let h = Tensor::<3>::from_data(TensorData::new(vec![1f32, 10.0, 100.0], [1, 3, 1]), &device);
        let parts = crate::readback::floats(operator.gather.matmul(h)).expect("read back");
        // Node 0: no senders, receivers 1 and 2, out-degree 2.
        // Node 1: sender 0, itself once; receiver 2, itself once.
        // Node 2: senders 0 and 1, itself twice; no receivers.
        assert_eq!(parts, vec![0.0, 0.0, 110.0, 2.0, 1.0, 10.0, 100.0, 10.0, 11.0, 200.0, 0.0, 0.0]);
        let degrees = crate::readback::floats(operator.degrees).expect("read back");
        assert_eq!(degrees, vec![0.0, 2.0, 1.0, 1.0, 2.0, 0.0]);
    }
}
