//! The Python package `vsgae` (its compiled part, `vsgae._vsgae`): NAS-Bench-101 cells, the
//! accuracy predictor, the VS-GAE and search, with the trained models of `data/` built in.
//!
//! A thin layer over the `nasbench` and `vsgae` crates: every call takes a whole batch, crosses
//! into Rust once and releases the GIL while it computes (`errors::detached`). Errors become
//! Python exceptions in one place (`errors`).

mod cells;
mod errors;
mod latent_space;
mod model_folder;
mod predictor;
mod search;
mod training_progress;

use pyo3::prelude::*;

/// See `vsgae::host_allocator`: the CLI's allocator, so that the package computes as fast.
#[global_allocator]
static ALLOCATOR: vsgae::host_allocator::HostAllocator = vsgae::host_allocator::HostAllocator;

#[pymodule]
fn _vsgae(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("OPS", cells::OPS.map(|op| op.name()).to_vec())?;
    module.add_class::<cells::PyCell>()?;
    module.add_class::<cells::PyCells>()?;
    module.add_class::<predictor::PyPredictor>()?;
    module.add_class::<latent_space::PyVsGae>()?;
    module.add_class::<search::PySearchResult>()?;
    module.add_function(wrap_pyfunction!(cells::read_cells, module)?)?;
    module.add_function(wrap_pyfunction!(cells::space, module)?)?;
    module.add_function(wrap_pyfunction!(search::search, module)?)?;
    Ok(())
}
