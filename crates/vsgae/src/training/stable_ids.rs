//! Deterministic parameter ids, so optimizer state saved with a checkpoint finds its
//! parameters again in a model rebuilt from the checkpoint's weights.

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::Tensor;

struct Renumber {
    next: u64,
}

impl ModuleMapper for Renumber {
    fn map_float<const D: usize>(&mut self, mut param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.id = ParamId::from(self.next);
        self.next += 1;
        param
    }
}

/// Numbers the module's parameters 1, 2, 3, … in module order.
pub fn with_stable_ids<M: Module>(module: M) -> M {
    module.map(&mut Renumber { next: 1 })
}
