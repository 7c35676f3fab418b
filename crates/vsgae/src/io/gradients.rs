//! Gradients laid out as the module they belong to, so they can be saved or compared by name.

use burn::module::{Module, ModuleMapper, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

struct GradientMapper<'a> {
    grads: &'a GradientsParams,
}

impl ModuleMapper for GradientMapper<'_> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let value = param.val();
        let grad = self.grads.get::<D>(param.id).unwrap_or_else(|| value.zeros_like());
        Param::from_tensor(grad.inner())
    }
}

/// A copy of `module` whose parameters are their gradients (zeros where a parameter got none).
pub fn gradients_as_module<M: Module>(module: &M, grads: &GradientsParams) -> M {
    module.clone().map(&mut GradientMapper { grads })
}
