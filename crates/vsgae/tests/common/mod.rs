//! The reference fixtures' helpers (the shared data folder itself: the `test-support` crate).

#![allow(dead_code)]

use burn::tensor::Tensor;
use nasbench::Cell;
use serde_json::Value;

pub use test_support::read_shared;

pub fn json(name: &str) -> Option<Value> {
    Some(serde_json::from_slice(&read_shared(&format!("fixtures/{name}"))?).unwrap())
}

pub fn floats(value: &Value) -> Vec<f32> {
    match value {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("not a number: {other}"),
    }
}

pub fn cells_of(fixture: &Value) -> (Vec<Cell>, Vec<f32>) {
    let cells = fixture["cells"].as_array().unwrap();
    let parsed = cells
        .iter()
        .map(|cell| {
            let atts: Vec<i64> = cell["node_atts"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
            let index = cell["edge_index"].as_array().unwrap();
            let edges: Vec<(i64, i64)> = index[0]
                .as_array()
                .unwrap()
                .iter()
                .zip(index[1].as_array().unwrap())
                .map(|(s, t)| (s.as_i64().unwrap(), t.as_i64().unwrap()))
                .collect();
            Cell::from_node_atts(&atts, &edges).unwrap()
        })
        .collect();
    (parsed, cells.iter().map(|c| c["acc"].as_f64().unwrap() as f32).collect())
}

/// Equal to 1e-5 relative, or 1e-6 absolute near zero.
pub fn assert_close(what: &str, got: &[f32], expected: &[f32]) {
    assert_close_to(what, got, expected, 1e-5);
}

/// Equal to `relative`, or `relative / 10` absolute near zero.
pub fn assert_close_to(what: &str, got: &[f32], expected: &[f32], relative: f32) {
    assert_eq!(got.len(), expected.len(), "{what}: lengths");
    let mut worst = (0.0f32, 0usize);
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        let error = (g - e).abs();
        let allowed = (relative * e.abs()).max(relative / 10.0);
        if error / allowed > worst.0 {
            worst = (error / allowed, i);
        }
    }
    let i = worst.1;
    assert!(
        worst.0 <= 1.0,
        "{what}: element {i} is {} but the reference has {} ({}× the tolerance)",
        got[i],
        expected[i],
        worst.0
    );
}

pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    vsgae::readback::floats(tensor).unwrap()
}

/// The device the tests run on: Burn's CPU backend, or the GPU backend `VSGAE_TEST_BACKEND`
/// names (`wgpu` or `cuda`) where the crate was built with that feature.
pub fn device() -> burn::tensor::Device {
    match std::env::var("VSGAE_TEST_BACKEND").as_deref() {
        #[cfg(feature = "wgpu")]
        Ok("wgpu") => burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        #[cfg(not(feature = "wgpu"))]
        Ok("wgpu") => panic!("VSGAE_TEST_BACKEND=wgpu needs the wgpu feature"),
        #[cfg(feature = "cuda")]
        Ok("cuda") => burn::tensor::Device::cuda(0usize),
        #[cfg(not(feature = "cuda"))]
        Ok("cuda") => panic!("VSGAE_TEST_BACKEND=cuda needs the cuda feature"),
        Ok(other) if !other.is_empty() && other != "cpu" => panic!("VSGAE_TEST_BACKEND={other}: cpu, wgpu or cuda"),
        _ => burn::tensor::Device::flex(),
    }
}

/// Every gradient, by the reference's parameter names, equals the reference's gradients file
/// (1e-5 relative), and no parameter is missing or extra.
pub fn assert_gradients_match<M>(model: &M, grads: &burn::optim::GradientsParams, fixture: &str)
where
    M: burn::module::Module + vsgae::ReferenceParams,
{
    let bytes = read_shared(&format!("fixtures/{fixture}")).unwrap();
    let mut reference = vsgae::StateDict::from_bytes(&bytes).unwrap();
    let mut ours = vsgae::StateDict::default();
    vsgae::io::gradients::gradients_as_module(model, grads).save(&mut ours, "");
    assert_eq!(ours.tensors.keys().collect::<Vec<_>>(), reference.tensors.keys().collect::<Vec<_>>());
    for (name, tensor) in &ours.tensors {
        assert_close(&format!("gradient of {name}"), &tensor.values, &reference.tensors.remove(name).unwrap().values);
    }
}
