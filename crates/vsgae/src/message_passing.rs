//! One round of the reference's message passing, on dense batches.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::gru::GruCell;

/// The reference's `GNNLayer`: every edge `j → i` sends `msg([h_j; h_i])` to `i`, and its
/// reverse sends `msg_rev([h_i; h_j])` to `j`; the summed messages update a GRU cell.
///
/// The per-edge sums are batched matmuls: `Σ_j A[j,i] (W_src h_j + W_dst h_i + b) =
/// (Aᵀ H W_src)_i + deg_in(i) (W_dst h_i + b)`, and likewise with `A` for the reverse messages.
#[derive(Module, Debug)]
pub struct MessagePassing {
    /// `Linear(2·node → 2·node)` on `[h_source; h_target]` of forward edges.
    pub forward_message: Linear,
    /// The same for reversed edges.
    pub reverse_message: Linear,
    pub update: GruCell,
}

impl MessagePassing {
    /// A layer with Burn's default initialisation.
    pub fn init(node_dim: usize, device: &Device) -> Self {
        Self {
            forward_message: LinearConfig::new(2 * node_dim, 2 * node_dim).init(device),
            reverse_message: LinearConfig::new(2 * node_dim, 2 * node_dim).init(device),
            update: GruCell::init(2 * node_dim, node_dim, device),
        }
    }

    /// One round over every graph of a batch.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `adjacency`: `[batch, nodes, nodes]`, `adjacency[b, j, i] = 1` for an edge `j → i`
    /// - output: `[batch, nodes, node_dim]`
    pub fn forward(&self, h: Tensor<3>, adjacency: Tensor<3>) -> Tensor<3> {
        let node_dim = h.dims()[2];
        let incoming = adjacency.clone().swap_dims(1, 2);
        let in_degree = incoming.clone().sum_dim(2);
        let out_degree = adjacency.clone().sum_dim(2);
        let received = Self::messages(&self.forward_message, &h, incoming, in_degree, node_dim)
            + Self::messages(&self.reverse_message, &h, adjacency, out_degree, node_dim);
        self.update.forward(received, h)
    }

    /// `Σ_j M[i,j] · linear([h_j; h_i])` for every node `i`, with `degree[i] = Σ_j M[i,j]`.
    fn messages(linear: &Linear, h: &Tensor<3>, senders: Tensor<3>, degree: Tensor<3>, node_dim: usize) -> Tensor<3> {
        let weight = linear.weight.val();
        let source = weight.clone().narrow(0, 0, node_dim);
        let target = weight.narrow(0, node_dim, node_dim);
        let from_sources = senders.matmul(h.clone().matmul(source.unsqueeze()));
        let mut from_target = h.clone().matmul(target.unsqueeze());
        if let Some(bias) = &linear.bias {
            from_target = from_target + bias.val().unsqueeze();
        }
        from_sources + degree * from_target
    }
}
