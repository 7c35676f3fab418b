//! A GRU cell with PyTorch's formula, laid out for few, large matrix products.

use crate::io::state_dict::{ImportError, ReferenceParams, StateDict, lazy_dims, transposed};
use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::activation::{sigmoid, tanh};
use burn::tensor::module::linear;
use burn::tensor::{Device, Int, Tensor, TensorData};

/// `torch.nn.GRUCell`: gates in the order reset, update, new.
///
/// `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
///
/// The reset and update gates each read `[x; h]` through one stacked weight, so the sum of the
/// input and hidden maps happens inside one product; the new gate keeps its two maps apart, as the
/// formula needs. Neither an activation nor a parameter is sliced, so the backward pass never
/// zero-fills a gradient (each bias is a parameter of its own: slicing PyTorch's stacked biases
/// cost a copy forward and a zero-fill and a copy backward, per call, on a GPU). PyTorch's
/// `weight_ih`/`weight_hh`/`bias_ih`/`bias_hh` are split and joined on import and export
/// (`state_dict.rs`).
#[derive(Module, Debug)]
pub struct GruCell {
    /// `[W_ir; W_hr]`, shape `[input + hidden, hidden]`.
    pub reset: Param<Tensor<2>>,
    /// `[W_iz; W_hz]`, shape `[input + hidden, hidden]`.
    pub update: Param<Tensor<2>>,
    /// `W_in`, shape `[input, hidden]`.
    pub new_input: Param<Tensor<2>>,
    /// `W_hn`, shape `[hidden, hidden]`.
    pub new_hidden: Param<Tensor<2>>,
    /// `b_ih = [b_ir, b_iz, b_in]`, one `[hidden]` vector per gate.
    pub input_bias: GateBiases,
    /// `b_hh = [b_hr, b_hz, b_hn]`, one `[hidden]` vector per gate.
    pub hidden_bias: GateBiases,
}

/// The sums of a [`GruCell`]'s input and hidden biases of the reset and update gates, each of
/// shape `[hidden]` ([`GruCell::gate_bias_sums`]).
#[derive(Debug, Clone)]
pub struct GateBiasSums {
    /// The reset gate's input and hidden biases, summed.
    pub reset: Tensor<1>,
    /// The update gate's input and hidden biases, summed.
    pub update: Tensor<1>,
}

/// One bias vector per gate of a [`GruCell`], each of shape `[hidden]`.
#[derive(Module, Debug)]
pub struct GateBiases {
    /// The reset gate's bias.
    pub reset: Param<Tensor<1>>,
    /// The update gate's bias.
    pub update: Param<Tensor<1>>,
    /// The candidate state's bias.
    pub new: Param<Tensor<1>>,
}

impl GateBiases {
    /// Three biases drawn from `initializer`.
    fn init(initializer: &Initializer, hidden: usize, device: &Device) -> Self {
        Self {
            reset: initializer.init([hidden], device),
            update: initializer.init([hidden], device),
            new: initializer.init([hidden], device),
        }
    }

    /// The three biases side by side, `[3·hidden]` (PyTorch's layout).
    pub fn stacked(&self) -> Tensor<1> {
        Tensor::cat(vec![self.reset.val(), self.update.val(), self.new.val()], 0)
    }

    /// Three biases from PyTorch's stacked `[3·hidden]` values.
    fn from_stacked(values: Vec<f32>, hidden: usize, device: &Device) -> Self {
        let gate = |k: usize| {
            let part = values[k * hidden..(k + 1) * hidden].to_vec();
            Param::from_tensor(Tensor::from_data(TensorData::new(part, [hidden]), device))
        };
        Self { reset: gate(0), update: gate(1), new: gate(2) }
    }
}

/// The sizes of a [`GruCell`].
#[derive(Config, Debug)]
pub struct GruCellConfig {
    /// Width of the input `x`.
    pub input: usize,
    /// Width of the state `h`.
    pub hidden: usize,
}

impl GruCellConfig {
    /// A cell with PyTorch's initialisation: every parameter `U(−1/√hidden, 1/√hidden)`.
    pub fn init(&self, device: &Device) -> GruCell {
        let (input, hidden) = (self.input, self.hidden);
        let bound = 1.0 / (hidden.max(1) as f64).sqrt();
        let uniform = Initializer::Uniform { min: -bound, max: bound };
        GruCell {
            reset: uniform.init([input + hidden, hidden], device),
            update: uniform.init([input + hidden, hidden], device),
            new_input: uniform.init([input, hidden], device),
            new_hidden: uniform.init([hidden, hidden], device),
            input_bias: GateBiases::init(&uniform, hidden, device),
            hidden_bias: GateBiases::init(&uniform, hidden, device),
        }
    }
}

impl GruCell {
    /// Width of the state.
    pub fn hidden_dim(&self) -> usize {
        self.new_hidden.dims()[0]
    }

    /// One step for rows whose input and state are selections of small tables:
    /// `x = x_rows · x_table` and `h = h_rows · h_table`. Neither is formed: every map is applied
    /// to the tables, and the rows only select from the results. This is the first round of
    /// message passing, whose states are node-type embeddings (a handful of distinct rows).
    ///
    /// # Shapes
    /// - `x_rows`: `[rows, a]`, `x_table`: `[a, input]`
    /// - `h_rows`: `[rows, b]`, `h_table`: `[b, hidden]`
    /// - output: `[rows, hidden]`
    pub fn forward_selected(
        &self,
        x_rows: Tensor<2>,
        x_table: Tensor<2>,
        h_rows: Tensor<2>,
        h_table: Tensor<2>,
    ) -> Tensor<2> {
        let hidden = self.hidden_dim();
        let input = x_table.dims()[1];
        // `[x; h] · W` of a stacked gate weight, as rows of `[x_rows | h_rows]` times the tables' maps.
        let stacked_gate = |weight: Tensor<2>| {
            Tensor::cat(
                vec![
                    x_table.clone().matmul(weight.clone().narrow(0, 0, input)),
                    h_table.clone().matmul(weight.narrow(0, input, hidden)),
                ],
                0,
            )
        };
        let selection = Tensor::cat(vec![x_rows.clone(), h_rows.clone()], 1);
        let r = sigmoid(linear(selection.clone(), stacked_gate(self.reset.val()), Some(self.reset_bias())));
        let z = sigmoid(linear(selection, stacked_gate(self.update.val()), Some(self.update_bias())));
        let new_input = x_table.matmul(self.new_input.val());
        let new_hidden = h_table.clone().matmul(self.new_hidden.val());
        let from_input = linear(x_rows, new_input, Some(self.input_bias.new.val()));
        let from_hidden = linear(h_rows.clone(), new_hidden, Some(self.hidden_bias.new.val()));
        combine(r, z, from_input, from_hidden, h_rows.matmul(h_table))
    }

    /// One step for every row.
    ///
    /// # Shapes
    /// - `x`: `[rows, input]`
    /// - `h`: `[rows, hidden]`
    /// - output: `[rows, hidden]`
    pub fn forward(&self, x: Tensor<2>, h: Tensor<2>) -> Tensor<2> {
        self.forward_with(x, h, &self.gate_bias_sums())
    }

    /// [`GruCell::forward`] with the gates' bias sums formed once for many steps (a decoder
    /// runs its cells once per node).
    ///
    /// # Shapes
    /// - `x`: `[rows, input]`
    /// - `h`: `[rows, hidden]`
    /// - output: `[rows, hidden]`
    pub fn forward_with(&self, x: Tensor<2>, h: Tensor<2>, sums: &GateBiasSums) -> Tensor<2> {
        let xh = Tensor::cat(vec![x.clone(), h.clone()], 1);
        let r = sigmoid(linear(xh.clone(), self.reset.val(), Some(sums.reset.clone())));
        let z = sigmoid(linear(xh, self.update.val(), Some(sums.update.clone())));
        let from_input = linear(x, self.new_input.val(), Some(self.input_bias.new.val()));
        let from_hidden = linear(h.clone(), self.new_hidden.val(), Some(self.hidden_bias.new.val()));
        combine(r, z, from_input, from_hidden, h)
    }

    /// One step for rows whose states are rows of a small table: row `i`'s state is
    /// `states[of_row[i]]`. The state's maps apply to the table and the rows select from the
    /// results; the input's maps apply to every row, as in [`GruCell::forward`]. Equal to
    /// [`GruCell::forward`] on the selected states up to rounding.
    ///
    /// # Shapes
    /// - `x`: `[rows, input]`
    /// - `states`: `[table, hidden]`
    /// - `of_row`: `[rows]`, each below `table`
    /// - output: `[rows, hidden]`
    pub fn forward_on_state_table(&self, x: Tensor<2>, states: Tensor<2>, of_row: Tensor<1, Int>) -> Tensor<2> {
        let hidden = self.hidden_dim();
        let input = x.dims()[1];
        let pick = |table: Tensor<2>| table.select(0, of_row.clone());
        // A stacked gate's argument: its input rows' map per row, its state rows' map per table row.
        let gate = |weight: Tensor<2>, bias: Tensor<1>| {
            let from_state = states.clone().matmul(weight.clone().narrow(0, input, hidden));
            linear(x.clone(), weight.narrow(0, 0, input), Some(bias)) + pick(from_state)
        };
        let r = sigmoid(gate(self.reset.val(), self.reset_bias()));
        let z = sigmoid(gate(self.update.val(), self.update_bias()));
        let from_input = linear(x, self.new_input.val(), Some(self.input_bias.new.val()));
        let from_hidden = pick(linear(states.clone(), self.new_hidden.val(), Some(self.hidden_bias.new.val())));
        combine(r, z, from_input, from_hidden, pick(states))
    }

    /// The reset and update gates' bias sums `b_ir + b_hr` and `b_iz + b_hz`.
    pub fn gate_bias_sums(&self) -> GateBiasSums {
        GateBiasSums { reset: self.reset_bias(), update: self.update_bias() }
    }

    /// `b_ir + b_hr`, shape `[hidden]`.
    fn reset_bias(&self) -> Tensor<1> {
        self.input_bias.reset.val() + self.hidden_bias.reset.val()
    }

    /// `b_iz + b_hz`, shape `[hidden]`.
    fn update_bias(&self) -> Tensor<1> {
        self.input_bias.update.val() + self.hidden_bias.update.val()
    }

    /// The gates' maps side by side: of the input `[W_ir | W_iz | W_in]` (`[input, 3·hidden]`)
    /// and of the state `[W_hr | W_hz | W_hn]` (`[hidden, 3·hidden]`).
    pub fn gate_maps(&self) -> (Tensor<2>, Tensor<2>) {
        let [stacked, hidden] = self.reset.dims();
        let input = stacked - hidden;
        let (reset, update) = (self.reset.val(), self.update.val());
        let of_input = Tensor::cat(
            vec![reset.clone().narrow(0, 0, input), update.clone().narrow(0, 0, input), self.new_input.val()],
            1,
        );
        let of_state = Tensor::cat(
            vec![reset.narrow(0, input, hidden), update.narrow(0, input, hidden), self.new_hidden.val()],
            1,
        );
        (of_input, of_state)
    }

    /// `b_ih` and `b_hh`, each `[3·hidden]`.
    pub fn biases(&self) -> (Tensor<1>, Tensor<1>) {
        (self.input_bias.stacked(), self.hidden_bias.stacked())
    }

    /// One step from sums already formed: `gates` holds the reset and update gates' arguments
    /// (both maps and biases) and the new gate's input part `W_in x + b_in`; `new_hidden` is
    /// `W_hn h + b_hn`.
    ///
    /// # Shapes
    /// - `gates`: `[rows, 3·hidden]`
    /// - `new_hidden`, `h`, output: `[rows, hidden]`
    pub fn step_from_gates(&self, gates: Tensor<2>, new_hidden: Tensor<2>, h: Tensor<2>) -> Tensor<2> {
        let hidden = self.hidden_dim();
        let r = sigmoid(gates.clone().narrow(1, 0, hidden));
        let z = sigmoid(gates.clone().narrow(1, hidden, hidden));
        combine(r, z, gates.narrow(1, 2 * hidden, hidden), new_hidden, h)
    }
}

/// The GRU's new state from its gates: `n = tanh(from_input + r ⊙ from_hidden)`,
/// `h' = (1 − z) ⊙ n + z ⊙ h`.
fn combine(r: Tensor<2>, z: Tensor<2>, from_input: Tensor<2>, from_hidden: Tensor<2>, h: Tensor<2>) -> Tensor<2> {
    let n = saturating_tanh(from_input + r * from_hidden);
    n.clone() + z * (h - n)
}

/// Where `tanh` has saturated: from `|x| ≈ 9.01` on, `tanh(x)` rounds to `±1` in f32.
const TANH_SATURATION: f32 = 10.0;

/// `tanh(x)` with `x` held to `±TANH_SATURATION` first: the same f32 values and gradients as
/// `tanh` (both are `±1` and `0` beyond the bound), and finite where a WebGPU implementation's
/// `tanh` overflows to NaN for large arguments: in Chromium (SwiftShader) WGSL's `tanh` is NaN
/// from `|x| ≈ 89` on, where its exponentials overflow, and cubecl guards it only on macOS. The
/// VS-GAE's GRU meets such arguments, so every browser latent came back NaN.
///
/// On Burn's CPU backend, whose `tanh` saturates exactly, the bound is left out: the same
/// values (tested) and gradients (`0` beyond it either way), without the clamp's two passes and
/// its masked backward.
///
/// # Shapes
/// - `x`, output: `[rows, hidden]`
fn saturating_tanh(x: Tensor<2>) -> Tensor<2> {
    if crate::parallel::is_cpu(&x.device()) { tanh(x) } else { bounded_tanh(x) }
}

/// `tanh` of `x` held to `±TANH_SATURATION`.
///
/// # Shapes
/// - `x`, output: `[rows, hidden]`
fn bounded_tanh(x: Tensor<2>) -> Tensor<2> {
    tanh(x.clamp(-TANH_SATURATION, TANH_SATURATION))
}

/// PyTorch's `GRUCell` names: `weight_ih` `[3H, I]`, `weight_hh` `[3H, H]`, `bias_ih`, `bias_hh`
/// (gates reset, update, new), split into the cell's stacked gate weights and joined again.
impl ReferenceParams for GruCell {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let [stacked, hidden] = lazy_dims(&self.reset);
        let input = stacked - hidden;
        let weight_ih =
            transposed(&weights.take(&format!("{prefix}weight_ih"), &[3 * hidden, input])?.values, 3 * hidden, input);
        let weight_hh =
            transposed(&weights.take(&format!("{prefix}weight_hh"), &[3 * hidden, hidden])?.values, 3 * hidden, hidden);
        // Column block `gate` of a transposed `[in, 3H]` weight.
        let gate = |w: &[f32], rows: usize, gate: usize| -> Vec<f32> {
            w.chunks_exact(3 * hidden)
                .take(rows)
                .flat_map(|row| row[gate * hidden..(gate + 1) * hidden].to_vec())
                .collect()
        };
        let stack = |gate_index: usize| {
            let mut values = gate(&weight_ih, input, gate_index);
            values.extend(gate(&weight_hh, hidden, gate_index));
            Param::from_tensor(Tensor::from_data(TensorData::new(values, [stacked, hidden]), device))
        };
        let bias = |weights: &mut StateDict, name: &str| -> Result<GateBiases, ImportError> {
            let values = weights.take(&format!("{prefix}{name}"), &[3 * hidden])?.values;
            Ok(GateBiases::from_stacked(values, hidden, device))
        };
        Ok(GruCell {
            reset: stack(0),
            update: stack(1),
            new_input: Param::from_tensor(Tensor::from_data(
                TensorData::new(gate(&weight_ih, input, 2), [input, hidden]),
                device,
            )),
            new_hidden: Param::from_tensor(Tensor::from_data(
                TensorData::new(gate(&weight_hh, hidden, 2), [hidden, hidden]),
                device,
            )),
            input_bias: bias(weights, "bias_ih")?,
            hidden_bias: bias(weights, "bias_hh")?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let [stacked, hidden] = self.reset.dims();
        let input = stacked - hidden;
        let (reset, update) = (self.reset.val(), self.update.val());
        let part = |w: &Tensor<2>, start: usize, len: usize| w.clone().narrow(0, start, len).transpose();
        let weight_ih =
            Tensor::cat(vec![part(&reset, 0, input), part(&update, 0, input), self.new_input.val().transpose()], 0);
        let weight_hh = Tensor::cat(
            vec![part(&reset, input, hidden), part(&update, input, hidden), self.new_hidden.val().transpose()],
            0,
        );
        weights.put(format!("{prefix}weight_ih"), weight_ih);
        weights.put(format!("{prefix}weight_hh"), weight_hh);
        weights.put(format!("{prefix}bias_ih"), self.input_bias.stacked());
        weights.put(format!("{prefix}bias_hh"), self.hidden_bias.stacked());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holding the argument changes no value: Burn's CPU `tanh` is already exactly ±1 at and
    /// beyond the bound, and equal to `bounded_tanh` bit for bit everywhere on a fine grid (so
    /// `saturating_tanh` may leave the bound out on the CPU).
    #[test]
    fn bounded_tanh_equals_tanh_in_f32() {
        let device = Device::flex();
        let grid: Vec<f32> = (-6000..=6000).map(|k| k as f32 * 0.01).chain([1e3, -1e3, 1e30, -1e30]).collect();
        let n = grid.len();
        let x = Tensor::<2>::from_data(TensorData::new(grid.clone(), [1, n]), &device);
        let plain = crate::readback::floats(tanh(x.clone())).unwrap();
        let saturating = crate::readback::floats(bounded_tanh(x)).unwrap();
        for ((&x, &plain), &saturating) in grid.iter().zip(&plain).zip(&saturating) {
            assert_eq!(plain.to_bits(), saturating.to_bits(), "tanh({x})");
            if x.abs() >= TANH_SATURATION {
                assert_eq!(plain, x.signum(), "tanh({x}) has saturated");
            }
        }
    }
}
