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
    // As the CLI: memory the package's computations free is kept for their reuse, not handed
    // back to the kernel (predicting the whole space, 1.08× faster here). mimalloc's own
    // MIMALLOC_PURGE_DELAY, where set, decides instead.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        vsgae::host_allocator::keep_freed_memory();
    }
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
