//! A GRU cell with PyTorch's layout and formula.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::{Device, Tensor};

/// `torch.nn.GRUCell`: gates in the order reset, update, new.
///
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
#[derive(Module, Debug)]
pub struct GruCell {
    /// `[input, 3·hidden]`.
    pub input: Linear,
    /// `[hidden, 3·hidden]`.
    pub hidden: Linear,
}

impl GruCell {
    /// A cell with Burn's default initialisation.
    pub fn init(input_dim: usize, hidden_dim: usize, device: &Device) -> Self {
        Self {
            input: LinearConfig::new(input_dim, 3 * hidden_dim).init(device),
            hidden: LinearConfig::new(hidden_dim, 3 * hidden_dim).init(device),
        }
    }

    /// One step.
    ///
    /// # Shapes
    /// - `x`: `[..., input]`
    /// - `h`: `[..., hidden]`
    /// - output: `[..., hidden]`
    pub fn forward<const D: usize>(&self, x: Tensor<D>, h: Tensor<D>) -> Tensor<D> {
        let hidden_dim = h.dims()[D - 1];
        let gates_x = self.input.forward(x).chunk(3, D - 1);
        let gates_h = self.hidden.forward(h.clone()).chunk(3, D - 1);
        let [x_r, x_z, x_n]: [Tensor<D>; 3] = take3(gates_x);
        let [h_r, h_z, h_n]: [Tensor<D>; 3] = take3(gates_h);
        let r = sigmoid(x_r + h_r);
        let z = sigmoid(x_z + h_z);
        let n = tanh(x_n + r * h_n);
        debug_assert_eq!(n.dims()[D - 1], hidden_dim);
        n.clone() + z * (h - n)
    }
}

fn take3<const D: usize>(chunks: Vec<Tensor<D>>) -> [Tensor<D>; 3] {
    let mut it = chunks.into_iter();
    match (it.next(), it.next(), it.next()) {
        (Some(a), Some(b), Some(c)) => [a, b, c],
        // chunk(3, ..) of a dimension that is a multiple of 3 always gives three parts.
        _ => unreachable!("a GRU needs three gates"),
    }
}
