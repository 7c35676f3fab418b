//! The reference's optimiser: Adam with β = (0.9, 0.999) and ε = 1e-8, as Burn computes it, with
//! each parameter's update fused into one pass on Burn's CPU backend.
//!
//! Burn's Adam makes thirteen element-wise passes over every parameter, each into a new tensor.
//! On the CPU backend, [`ReferenceAdam`] reads the parameter, its gradient and both moments once
//! and writes the three results in the same loop, with the same `f32` operations in the same
//! order, so the values are Burn's bit for bit (tested). Elsewhere (a GPU, other element types)
//! it is Burn's Adam. The state is Burn's own [`AdamState`], so checkpoints are the same files.

use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, ModuleOptimizer, Optimizer};
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::readback::{ReadbackError, floats};

/// Adam's first-moment decay.
const BETA_1: f32 = 0.9;
/// Adam's second-moment decay.
const BETA_2: f32 = 0.999;
/// Added to the second moment's root.
const EPSILON: f32 = 1e-8;
/// The gradient's weight in the first moment, `1 − β₁`.
const KEEP_GRADIENT_1: f32 = 1.0 - BETA_1;
/// The squared gradient's weight in the second moment, `1 − β₂`.
const KEEP_GRADIENT_2: f32 = 1.0 - BETA_2;

/// Adam with the reference's constants; see the module's documentation.
#[derive(Clone)]
pub struct ReferenceAdam {
    /// Burn's Adam with the same constants, for devices other than the CPU.
    burn: Adam,
}

impl std::fmt::Debug for ReferenceAdam {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceAdam")
            .field("beta_1", &BETA_1)
            .field("beta_2", &BETA_2)
            .field("epsilon", &EPSILON)
            .finish()
    }
}

impl ReferenceAdam {
    /// A module optimiser over all parameters.
    pub fn init() -> ModuleOptimizer {
        ModuleOptimizer::from(Self { burn: burn_adam().build() })
    }
}

/// Burn's Adam with the reference's constants.
fn burn_adam() -> AdamConfig {
    AdamConfig::new().with_beta_1(BETA_1).with_beta_2(BETA_2).with_epsilon(EPSILON)
}

impl Optimizer for ReferenceAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        if !fuses(&tensor, &grad, state.as_ref()) {
            return self.burn.step(lr, tensor, grad, state);
        }
        match fused_step(lr, tensor, grad, state) {
            Ok((tensor, state)) => (tensor, Some(state)),
            Err(error) => unreachable!("Burn's CPU backend failed to give an f32 tensor's values: {error}"),
        }
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        Adam::to_device(state, device)
    }
}

/// Whether the step runs fused: on the CPU backend, every tensor in `f32`, no AMSGrad maximum.
fn fuses<const D: usize>(tensor: &Tensor<D>, grad: &Tensor<D>, state: Option<&AdamState<D>>) -> bool {
    let f32s = |tensors: &[&Tensor<D>]| tensors.iter().all(|t| t.dtype() == DType::F32);
    crate::parallel::is_cpu(&tensor.device())
        && f32s(&[tensor, grad])
        && state.is_none_or(|state| {
            let momentum = &state.momentum;
            f32s(&[&momentum.moment_1, &momentum.moment_2]) && momentum.max_moment_2.is_none()
        })
}

/// One Adam step of one parameter in one pass over its four arrays. Each tensor's values are
/// read without a copy where it holds them alone (a readback on the CPU backend, which never fails
/// for `f32` tensors).
fn fused_step<const D: usize>(
    lr: f64,
    tensor: Tensor<D>,
    grad: Tensor<D>,
    state: Option<AdamState<D>>,
) -> Result<(Tensor<D>, AdamState<D>), ReadbackError> {
    let device = tensor.device();
    let shape = tensor.shape();
    let grad = floats(grad)?;
    let (time, mut moment_1, mut moment_2) = match state {
        Some(AdamState { momentum }) => (momentum.time + 1, floats(momentum.moment_1)?, floats(momentum.moment_2)?),
        // Zero moments give Burn's first step: 0 · β + g · (1 − β) is g · (1 − β).
        None => (1, vec![0.0; grad.len()], vec![0.0; grad.len()]),
    };
    let mut parameter = floats(tensor)?;
    Update::at(time, lr).apply(&mut parameter, &grad, &mut moment_1, &mut moment_2);
    let tensor = |values: Vec<f32>| Tensor::from_data(TensorData::new(values, shape.clone()), &device);
    let momentum = AdaptiveMomentumState::new(time, tensor(moment_1), tensor(moment_2));
    Ok((tensor(parameter), AdamState::new(momentum)))
}

/// The scalars of one step that depend on its time, computed as Burn's Adam computes them.
struct Update {
    /// `√(1 − β₂ᵗ) / (1 − β₁ᵗ)`.
    combined_factor: f32,
    /// `ε · √(1 − β₂ᵗ)`.
    epsilon: f32,
    /// The learning rate.
    lr: f32,
}

impl Update {
    /// The step at `time` (1 for the first) with learning rate `lr`.
    fn at(time: usize, lr: f64) -> Self {
        let time = i32::try_from(time).unwrap_or(i32::MAX);
        let bias_correction_2_sqrt = (1.0 - BETA_2.powi(time)).sqrt();
        Self {
            combined_factor: bias_correction_2_sqrt / (1.0 - BETA_1.powi(time)),
            epsilon: EPSILON * bias_correction_2_sqrt,
            lr: lr as f32,
        }
    }

    /// Updates the moments and the parameter in place, element by element.
    fn apply(&self, parameter: &mut [f32], grad: &[f32], moment_1: &mut [f32], moment_2: &mut [f32]) {
        let Self { combined_factor, epsilon, lr } = *self;
        let elements = parameter.iter_mut().zip(grad).zip(moment_1.iter_mut().zip(moment_2.iter_mut()));
        for ((p, &g), (m, v)) in elements {
            *m = *m * BETA_1 + g * KEEP_GRADIENT_1;
            *v = *v * BETA_2 + (g * g) * KEEP_GRADIENT_2;
            let step = (*m * combined_factor) / (v.sqrt() + epsilon);
            *p -= step * lr;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Param;
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::GradientsParams;

    /// A 5 → 3 linear map with fixed, varied weights.
    fn linear(device: &Device) -> Linear {
        let mut model: Linear = LinearConfig::new(5, 3).init(device);
        let weights = (0..15).map(|i| ((i * 5) % 7) as f32 / 7.0 - 0.4).collect();
        model.weight = Param::from_tensor(Tensor::from_data(TensorData::new(weights, [5, 3]), device));
        model.bias = Some(Param::from_tensor(Tensor::from_data(TensorData::from([0.1f32, -0.2, 0.3]), device)));
        model
    }

    /// `steps` steps of `optimizer` on a small linear map with a loss whose gradients change
    /// from step to step; the final weights.
    fn train(mut optimizer: ModuleOptimizer, steps: usize) -> Vec<f32> {
        let device = Device::flex().autodiff();
        let mut model = linear(&device);
        for step in 0..steps {
            let x = Tensor::<2>::from_data(
                TensorData::new((0..20).map(|i| ((i * 7 + step * 3) % 11) as f32 / 5.0 - 1.0).collect(), [4, 5]),
                &device,
            );
            let loss = model.forward(x).powi_scalar(3).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(1e-2 * (1.0 + step as f64), model, grads);
        }
        let weight = floats(model.weight.val()).expect("weights");
        let bias = model.bias.map(|b| floats(b.val()).expect("biases")).unwrap_or_default();
        [weight, bias].concat()
    }

    #[test]
    fn the_fused_step_equals_burns_adam_bit_for_bit() {
        let fused = train(ReferenceAdam::init(), 7);
        let burn = train(burn_adam().init(), 7);
        let untrained = train(burn_adam().init(), 0);
        assert_ne!(fused, untrained, "the steps moved the weights");
        assert_eq!(
            fused.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            burn.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_state_saved_by_burns_adam_continues_fused_as_burns_adam_would() {
        let device = Device::flex().autodiff();
        let model = linear(&device);
        let record = {
            let mut optimizer = burn_adam().init();
            let x = Tensor::<2>::ones([2, 5], &device);
            let grads = GradientsParams::from_grads(model.forward(x).sum().backward(), &model);
            let _ = optimizer.step(1e-2, model.clone(), grads);
            optimizer.into_bytes().expect("the state encodes")
        };
        let fused = ReferenceAdam::init().from_bytes(record.clone()).expect("Burn's record loads");
        let burn = burn_adam().init().from_bytes(record).expect("the record loads");
        let x = Tensor::<2>::ones([2, 5], &device).mul_scalar(0.5);
        let step = |mut optimizer: ModuleOptimizer| {
            let grads = GradientsParams::from_grads(model.forward(x.clone()).powi_scalar(2).sum().backward(), &model);
            let model = optimizer.step(1e-2, model.clone(), grads);
            floats(model.weight.val()).expect("weights")
        };
        assert_eq!(step(fused), step(burn));
    }
}
