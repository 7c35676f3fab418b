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

use crate::gru::{GruCell, GruCellConfig};

/// The reference's `GNNLayer`: every edge `j → i` sends `msg([h_j; h_i])` to `i`, and its
/// reverse sends `msg_rev([h_i; h_j])` to `j`; the summed messages update a GRU cell.
#[derive(Module, Debug)]
pub struct MessagePassing {
    /// `[W; W']` in Burn's `[input, output]` layout: rows `0‥2D` are `msg` (the sender's part,
    /// then the receiver's), rows `2D‥4D` are `msg_rev`. Shape `[4·node, 2·node]`.
    pub messages: Param<Tensor<2>>,
    /// `[b; b']`, the biases of `msg` and `msg_rev`. Shape `[2, 2·node]`.
    pub message_bias: Param<Tensor<2>>,
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

impl MessagePassing {
    /// Width of the node states.
    pub fn node_dim(&self) -> usize {
        self.update.hidden_dim()
    }

    /// One round over every graph of a batch.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `operator`: built for `batch` graphs of `nodes` nodes
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward(&self, h: Tensor<3>, operator: &MessageOperator) -> Tensor<3> {
        let [batch, nodes, d] = h.dims();
        let inputs = operator.gather.clone().matmul(h.clone()).reshape([batch * nodes, 4 * d]);
        let received =
            linear(inputs, self.messages.val(), None) + operator.degrees.clone().matmul(self.message_bias.val());
        self.update.forward(received, h.reshape([batch * nodes, d])).reshape([batch, nodes, d])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_sums_senders_receivers_and_counts_degrees() {
        let device = Device::flex();
        // One graph 0 → 1, 0 → 2, 1 → 2.
        let edges = [(0, 1), (0, 2), (1, 2)];
        let operator = MessageOperator::new(1, 3, |_, f, t| edges.contains(&(f, t)), &device);
        let h = Tensor::<3>::from_data(TensorData::new(vec![1f32, 10.0, 100.0], [1, 3, 1]), &device);
        let parts = crate::readback::try_floats(operator.gather.matmul(h)).expect("read back");
        // Node 0: no senders, receivers 1 and 2, out-degree 2.
        // Node 1: sender 0, itself once; receiver 2, itself once.
        // Node 2: senders 0 and 1, itself twice; no receivers.
        assert_eq!(parts, vec![0.0, 0.0, 110.0, 2.0, 1.0, 10.0, 100.0, 10.0, 11.0, 200.0, 0.0, 0.0]);
        let degrees = crate::readback::try_floats(operator.degrees).expect("read back");
        assert_eq!(degrees, vec![0.0, 2.0, 1.0, 1.0, 2.0, 0.0]);
    }
}
