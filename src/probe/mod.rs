//! The test probes, left out of the product: the status the browser test and the native
//! measurements read ([`status`]), and scripted runs of the native app ([`automation`]).

#[cfg(not(target_arch = "wasm32"))]
pub mod automation;
pub mod status;
