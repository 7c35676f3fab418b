//! Masked-midpoint distillation ([`MaskedMidpoints`]): a shard's points between the latent means of
//! two of its cells, decoded under NAS-Bench-101's rules, and the teacher-forced loss of those
//! cells at those points.
//!
//! The points depend on the shard's cells, so they follow the split of a batch over threads.
//! Decoding blocks on its readbacks, which a browser cannot do; the option is for native runs.

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use nasbench::Cell;
use rand::Rng;

use crate::config::{MaskedMidpoints, MidpointDecoding, VsGaeConfig};
use crate::model::decoding::{DecodeMode, Decoding};
use crate::model::vae::VsGae;
use crate::readback::{ReadbackError, block_on};

/// The midpoints' part of a shard's loss: `weight · share_of_batch` times the teacher-forced
/// reconstruction loss (a mean over the points) of what masked decoding writes at them; `None`
/// where the shard has fewer than two cells. `rng` draws the pairs, the positions between them
/// and the decodings.
///
/// # Shapes
/// - `means`: `[shard cells, graph_dim]`, the shard's posterior means
pub(super) fn midpoint_loss(
    model: &VsGae,
    means: Tensor<2>,
    midpoints: MaskedMidpoints,
    config: &VsGaeConfig,
    share_of_batch: f64,
    rng: &mut impl Rng,
) -> Result<Option<Tensor<1>>, ReadbackError> {
    let cells = means.dims()[0];
    if cells < 2 {
        return Ok(None);
    }
    let device = means.device();
    let points = ((midpoints.share * cells as f64).ceil() as usize).clamp(1, cells);
    // Point i lies between cell i and another cell of the shard.
    let partners: Vec<i64> = (0..points)
        .map(|i| {
            let other = rng.random_range(0..cells - 1);
            (if other >= i { other + 1 } else { other }) as i64
        })
        .collect();
    let positions: Vec<f32> = (0..points).map(|_| rng.random::<f32>()).collect();
    let means = means.detach();
    let first = means.clone().narrow(0, 0, points);
    let second = means.select(0, rows(partners, &device));
    let position = Tensor::<2>::from_data(TensorData::new(positions, [points, 1]), &device);
    let between = (first.clone() + (second - first) * position).detach();

    let mode = match midpoints.decoding.unwrap_or_default() {
        MidpointDecoding::Sample => DecodeMode::Sample,
        MidpointDecoding::Greedy => DecodeMode::Greedy,
    };
    let decoded = block_on(model.valid().decoder.decode_async(
        between.clone().inner(),
        model.max_nodes,
        Decoding::masked(mode),
        rng,
    ))?;
    let (kept, cells): (Vec<i64>, Vec<Cell>) =
        decoded.iter().enumerate().filter_map(|(i, graph)| Some((i as i64, graph.to_cell()?))).unzip();
    if cells.is_empty() {
        return Ok(None);
    }
    let refs: Vec<&Cell> = cells.iter().collect();
    let between = between.select(0, rows(kept, &device));
    let loss = model.decoder.teacher_forced_loss(between, &VsGae::targets(&refs, &device), config).total;
    Ok(Some(loss.mul_scalar(midpoints.weight * share_of_batch)))
}

fn rows(indices: Vec<i64>, device: &Device) -> Tensor<1, Int> {
    let len = indices.len();
    Tensor::from_data(TensorData::new(indices, [len]), device)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use burn::optim::GradientsParams;

    use super::*;
    use crate::config::EncoderConfig;
    use crate::io::state_dict::{ReferenceParams, StateDict};
    use crate::model::batch::GraphBatch;

    /// The term trains the decoder only: the points are fixed inputs, so the encoder that placed
    /// the means gets no gradient from it.
    #[test]
    fn the_midpoint_loss_trains_the_decoder_and_not_the_encoder() {
        let device = Device::flex().autodiff();
        let config = VsGaeConfig::new(EncoderConfig::new().with_node_dim(16).with_graph_dim(6));
        let model = crate::model::initialization::seeded(|d| config.init(d), &device, 2).unwrap();
        let cells: Vec<Cell> =
            nasbench::space::enumerate_vertices(5).into_iter().step_by(13).take(6).map(|c| c.cell).collect();
        let refs: Vec<&Cell> = cells.iter().collect();
        let (means, _) = model.encoder.forward(&GraphBatch::new(&refs, &device));
        let loss = |decoding: MidpointDecoding| {
            let midpoints = MaskedMidpoints::new(0.5, 2.0).with_decoding(Some(decoding));
            let rng = &mut nasbench::split::rng(1);
            midpoint_loss(&model, means.clone(), midpoints, &config, 1.0, rng).unwrap().unwrap()
        };
        let value = |loss: Tensor<1>| crate::readback::floats(loss).unwrap()[0];
        let (sampled, greedy) = (loss(MidpointDecoding::Sample), loss(MidpointDecoding::Greedy));
        assert!(value(greedy.clone()).is_finite() && value(greedy.clone()) > 0.0);
        // An untrained decoder's draws are not its most likely cells.
        assert_ne!(value(sampled.clone()), value(greedy));
        let grads = GradientsParams::from_grads(sampled.backward(), &model);
        let mut gradients = StateDict::default();
        crate::io::gradients::gradients_as_module(&model, &grads).save(&mut gradients, "");
        let largest = |prefix: &str| {
            gradients
                .tensors
                .iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .flat_map(|(_, t)| t.values.iter().map(|g| g.abs()))
                .fold(0.0f32, f32::max)
        };
        assert_eq!(largest("Encoder."), 0.0);
        assert!(largest("Decoder.") > 1e-4);
    }
}
