//! Seeded initialisation with PyTorch's default distributions, independent of any global
//! generator, so the same seed gives the same model on every backend and in parallel tests.
//!
//! - Linear layers: weight and bias `U(−1/√fan_in, 1/√fan_in)`.
//! - GRU cells: every weight and bias `U(−1/√hidden, 1/√hidden)`.
//! - Embeddings: `N(0, 1)`.

use rand::Rng;

use crate::io::state_dict::StateDict;

/// The model `build` makes, with every parameter drawn afresh from `seed` (through its
/// reference names), on `device`. The parameter names and shapes are read from a copy built on
/// the host, so no device is read back (WebGPU in a browser cannot be read synchronously).
pub fn seeded<M: crate::io::state_dict::ReferenceParams>(
    build: impl Fn(&burn::tensor::Device) -> M,
    device: &burn::tensor::Device,
    seed: u64,
) -> Result<M, crate::io::state_dict::ImportError> {
    #[cfg(feature = "flex")]
    let host = burn::tensor::Device::flex();
    #[cfg(not(feature = "flex"))]
    let host = device.clone();
    let mut weights = crate::io::state_dict::StateDict::default();
    build(&host).save(&mut weights, "");
    randomize(&mut weights, seed);
    build(device).load(&mut weights, "", device)
}

/// Replaces every tensor of `weights` (named as in the reference) with seeded random values.
pub fn randomize(weights: &mut StateDict, seed: u64) {
    let mut rng = nasbench::split::rng(seed);
    let fan_in_of: std::collections::HashMap<String, usize> = weights
        .tensors
        .iter()
        .filter(|(name, t)| name.ends_with(".weight") && t.shape.len() == 2)
        .map(|(name, t)| (name.trim_end_matches("weight").to_owned(), t.shape[1]))
        .collect();
    for (name, tensor) in weights.tensors.iter_mut() {
        let prefix = name.rsplit_once('.').map_or("", |(p, _)| p);
        let last = name.rsplit('.').next().unwrap_or_default();
        if prefix.ends_with("NodeInit") || prefix.ends_with("NodeInits") {
            tensor.values.iter_mut().for_each(|v| *v = standard_normal(&mut rng));
            continue;
        }
        let bound = if last.ends_with("_ih") || last.ends_with("_hh") {
            1.0 / ((tensor.shape[0] / 3).max(1) as f32).sqrt()
        } else {
            let fan_in = fan_in_of.get(&format!("{prefix}.")).copied().unwrap_or(1);
            1.0 / (fan_in.max(1) as f32).sqrt()
        };
        tensor.values.iter_mut().for_each(|v| *v = rng.random_range(-bound..bound));
    }
}

/// One draw of N(0, 1).
pub fn standard_normal(rng: &mut impl Rng) -> f32 {
    // Box–Muller.
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
}
