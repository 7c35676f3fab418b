//! The VS-GAE's abilities as the reference tests them (`train_gae.py --test`), in its exact-order
//! form and in an isomorphism-aware form by the official hash.
//!
//! - **Reconstruction**: each test cell is encoded (the mean, as the reference in eval mode
//!   does for each of its 10 encodings) and decoded 10 × 10 times; a match has the same types in
//!   node order and the same predecessors of every node. The isomorphism-aware form counts a
//!   decoding that is a valid NAS-Bench-101 cell with the test cell's hash.
//! - **Validity**: latent points `z ~ N(mean, std)` of the training latents, each decoded 10
//!   times; valid means one input, one output, every other node with predecessors and
//!   successors (the reference's `is_valid_DAG`). Also reported as a NAS-Bench-101 cell: at most
//!   7 vertices and 9 edges, input first, output last.
//! - **Uniqueness**: distinct valid decodings among the valid ones.
//! - **Novelty**: 1 − the share of valid decodings found in the training cells.

use std::collections::HashSet;

use burn::tensor::{Device, Tensor, TensorData};
use nasbench::{Cell, ModuleHash};
use rand::Rng;
use serde::Serialize;

use crate::config::VsGaeConfig;
use crate::model::batch::GraphBatch;
use crate::model::decoding::{DecodeMode, DecodedGraph, OUTPUT_TYPE};
use crate::model::vae::{Latent, VsGae};
use crate::readback::ReadbackError;

/// How many times each latent point is decoded, and each test cell encoded.
pub const DECODINGS: usize = 10;
/// How many times each test cell is encoded (sampled latents) in the reference's reconstruction test.
pub const ENCODINGS: usize = 10;

/// A decoded graph in node order: types and sorted edges.
type GraphKey = (Vec<u8>, Vec<(usize, usize)>);

/// The results of the ability tests; every share is in `[0, 1]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Abilities {
    /// Share of test cells decoded back to the same graph, node for node.
    pub reconstruction: f64,
    /// Share of test cells decoded back to a graph with the same hash.
    pub reconstruction_isomorphic: f64,
    /// Share of prior samples that decode to a valid DAG (one input, one output).
    pub validity: f64,
    /// Share of prior samples that decode to a valid NAS-Bench-101 cell.
    pub validity_nasbench: f64,
    /// Distinct graphs among the valid samples, as a share of them.
    pub uniqueness: f64,
    /// Distinct hashes among the valid samples, as a share of them.
    pub uniqueness_isomorphic: f64,
    /// Valid samples whose graph is not among the training cells, as a share of them.
    pub novelty: f64,
    /// Valid samples whose hash is not among the training cells, as a share of them.
    pub novelty_isomorphic: f64,
    /// Distinct cells (by hash) among the valid NAS-Bench-101 cells that the prior's points
    /// decode to, one decoding per point. The reference's uniqueness counts every one of a
    /// point's 10 decodings, so a decoder that decodes a point the same way each time (as
    /// faithful reconstruction needs) scores at most 1 in 10 there.
    pub uniqueness_of_points: f64,
    /// Where the prior's points came from.
    pub prior: PriorKind,
    /// The mean β-VAE loss of the test cells at their latent means (deterministic).
    pub test_loss: f64,
    /// Test cells encoded and decoded.
    pub test_cells: usize,
    /// Latent points drawn from the prior.
    pub prior_points: usize,
}

impl DecodedGraph {
    /// The reference's `is_valid_DAG(START_TYPE=1, END_TYPE=0)` on a finished graph.
    pub fn is_valid(&self) -> bool {
        let n = self.types.len();
        let inputs = self.types.iter().filter(|&&t| t == 1).count();
        let outputs = self.types.iter().filter(|&&t| t == OUTPUT_TYPE).count();
        let mut has_in = vec![false; n];
        let mut has_out = vec![false; n];
        for &(from, to) in &self.edges {
            has_out[from] = true;
            has_in[to] = true;
        }
        self.finished
            && inputs == 1
            && outputs == 1
            && (0..n).all(|v| (has_in[v] || self.types[v] == 1) && (has_out[v] || self.types[v] == OUTPUT_TYPE))
    }

    /// The graph as a NAS-Bench-101 cell, where it is one.
    pub fn to_cell(&self) -> Option<Cell> {
        if !self.finished {
            return None;
        }
        let atts: Vec<i64> = self.types.iter().map(|&t| i64::from(t)).collect();
        let edges: Vec<(i64, i64)> = self.edges.iter().map(|&(f, t)| (f as i64, t as i64)).collect();
        Cell::from_node_atts(&atts, &edges).ok()
    }

    /// Whether this is exactly `cell` in node order (types and predecessor sets).
    pub fn same_as(&self, cell: &Cell) -> bool {
        let mut edges = self.edges.clone();
        edges.sort_unstable();
        self.types == cell.node_atts() && edges == cell.edges().collect::<Vec<_>>()
    }

    fn key(&self) -> GraphKey {
        let mut edges = self.edges.clone();
        edges.sort_unstable();
        (self.types.clone(), edges)
    }
}

/// The encoder's means of many cells, in batches.
///
/// # Shapes
/// - output: `[cells, graph_dim]`
pub fn encode_means(model: &VsGae, cells: &[Cell], device: &Device, chunk: usize) -> Tensor<2> {
    encode_posteriors(model, cells, device, chunk).0
}

/// How reconstruction decodes each cell's mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconstructionProtocol {
    /// Decodings of each mean.
    pub repeats: usize,
    /// Whether each decoding samples or takes the most likely choice.
    pub mode: DecodeMode,
}

impl ReconstructionProtocol {
    /// The reference's: [`ENCODINGS`] × [`DECODINGS`] sampled decodings of the mean.
    pub const REFERENCE: Self = Self { repeats: ENCODINGS * DECODINGS, mode: DecodeMode::Sample };
}

/// Reconstruction of `test` under `protocol`: the shares of exact and of isomorphic (same
/// hash) decodings.
pub fn reconstruction(
    model: &VsGae,
    test: &[Cell],
    protocol: ReconstructionProtocol,
    device: &Device,
    rng: &mut impl Rng,
) -> Result<(f64, f64), ReadbackError> {
    let (mut exact, mut isomorphic) = (0usize, 0usize);
    let repeats = protocol.repeats.max(1);
    // About 1,600 points per decoding call: enough to keep every core busy.
    for part in test.chunks((1600 / repeats).max(1)) {
        let means = encode_means(model, part, device, part.len());
        let [rows, dim] = means.dims();
        let repeated = means.unsqueeze_dim::<3>(1).repeat_dim(1, repeats).reshape([rows * repeats, dim]);
        let decoded = model.decode(repeated, protocol.mode, rng)?;
        for (k, graph) in decoded.iter().enumerate() {
            let target = &part[k / repeats];
            exact += usize::from(graph.same_as(target));
            isomorphic += usize::from(graph.to_cell().is_some_and(|c| c.hash() == target.hash()));
        }
    }
    let total = (test.len() * repeats).max(1) as f64;
    Ok((exact as f64 / total, isomorphic as f64 / total))
}

/// The mean β-VAE loss of `cells` at their latent means, in batches of 512.
pub fn mean_loss(model: &VsGae, cells: &[Cell], config: &VsGaeConfig, device: &Device) -> Result<f64, ReadbackError> {
    let mut total = 0.0;
    for part in cells.chunks(512) {
        let refs: Vec<&Cell> = part.iter().collect();
        let loss = model.loss(&GraphBatch::new(&refs, device), &VsGae::targets(&refs, device), Latent::Mean, config);
        let value = crate::readback::floats(loss.total)?.first().copied().map_or(f64::NAN, f64::from);
        total += value * part.len() as f64;
    }
    Ok(total / cells.len().max(1) as f64)
}

/// Where prior samples for validity, uniqueness and novelty come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum PriorKind {
    /// The reference's: `N(mean, std)` of the training cells' latent means, per dimension.
    #[default]
    Fitted,
    /// The VAE's own prior, `N(0, I)`.
    StandardNormal,
    /// The aggregate posterior: a training cell drawn at random, then a point from its posterior
    /// as training samples it, `N(μ, (noise_scale · σ)²)` (a mixture with one component per
    /// training cell; the reference scales the reparameterisation's noise by `noise_scale`, 0.01,
    /// so the decoder never sees points a full `σ` away).
    AggregatePosterior,
}

/// A distribution of latent points to decode ([`PriorKind`]).
#[derive(Debug, Clone, PartialEq)]
pub struct LatentPrior {
    /// Which distribution this is.
    pub kind: PriorKind,
    /// Per dimension: the fitted mean (zeros for the standard normal).
    pub mean: Vec<f64>,
    /// Per dimension: the fitted standard deviation (ones for the standard normal).
    pub std: Vec<f64>,
    /// For the aggregate posterior: every training cell's posterior mean and standard deviation,
    /// row by row.
    posteriors: Option<(Vec<f32>, Vec<f32>)>,
}

impl LatentPrior {
    /// The reference's prior of the latent means of `cells` ([`PriorKind::Fitted`]).
    pub fn of(model: &VsGae, cells: &[Cell], device: &Device) -> Result<Self, ReadbackError> {
        Self::of_kind(PriorKind::Fitted, model, cells, 1.0, device)
    }

    /// The prior `kind`, fitted to the posteriors of `cells` where it is fitted; `noise_scale`
    /// (the model's [`VsGaeConfig::noise_scale`]) scales the posteriors' deviations of
    /// [`PriorKind::AggregatePosterior`].
    pub fn of_kind(
        kind: PriorKind,
        model: &VsGae,
        cells: &[Cell],
        noise_scale: f64,
        device: &Device,
    ) -> Result<Self, ReadbackError> {
        let dim = model.latent_dim();
        if kind == PriorKind::StandardNormal {
            return Ok(Self { kind, mean: vec![0.0; dim], std: vec![1.0; dim], posteriors: None });
        }
        let (means, log_vars) = encode_posteriors(model, cells, device, 2048);
        let values = crate::readback::floats(means)?;
        let fitted = Self::fitted(&values, dim);
        if kind == PriorKind::AggregatePosterior {
            let stds = crate::readback::floats(log_vars.mul_scalar(0.5).exp().mul_scalar(noise_scale))?;
            return Ok(Self { kind, posteriors: Some((values, stds)), ..fitted });
        }
        Ok(fitted)
    }

    /// The reference's prior ([`PriorKind::Fitted`]) of latent means read back already, as rows
    /// of `dim` values.
    pub fn fitted(means: &[f32], dim: usize) -> Self {
        let count = (means.len() / dim.max(1)).max(1) as f64;
        let mut mean = vec![0f64; dim];
        let mut variance = vec![0f64; dim];
        for row in means.chunks(dim.max(1)) {
            row.iter().enumerate().for_each(|(d, &v)| mean[d] += f64::from(v) / count);
        }
        for row in means.chunks(dim.max(1)) {
            row.iter().enumerate().for_each(|(d, &v)| variance[d] += (f64::from(v) - mean[d]).powi(2) / count);
        }
        Self { kind: PriorKind::Fitted, mean, std: variance.into_iter().map(f64::sqrt).collect(), posteriors: None }
    }

    /// `points` draws, each repeated `repeats` times in a row.
    ///
    /// # Shapes
    /// - output: `[points · repeats, dim]`
    pub fn sample(&self, points: usize, repeats: usize, device: &Device, rng: &mut impl Rng) -> Tensor<2> {
        let dim = self.mean.len();
        let normal = |rng: &mut _| f64::from(crate::model::initialization::standard_normal(rng));
        let values: Vec<f32> = (0..points)
            .flat_map(|_| {
                let z: Vec<f32> = match &self.posteriors {
                    Some((means, stds)) if !means.is_empty() => {
                        let cell = rng.random_range(0..means.len() / dim.max(1));
                        let row = cell * dim..(cell + 1) * dim;
                        means[row.clone()]
                            .iter()
                            .zip(&stds[row])
                            .map(|(&m, &s)| (f64::from(m) + normal(rng) * f64::from(s)) as f32)
                            .collect()
                    }
                    _ => (0..dim).map(|d| (normal(rng) * self.std[d] + self.mean[d]) as f32).collect(),
                };
                std::iter::repeat_n(z, repeats).flatten()
            })
            .collect();
        Tensor::<2>::from_data(TensorData::new(values, [points * repeats, dim]), device)
    }
}

/// The encoder's means and log-variances of many cells, in batches.
///
/// # Shapes
/// - output: (`mean`, `log_var`), each `[cells, graph_dim]`
pub fn encode_posteriors(model: &VsGae, cells: &[Cell], device: &Device, chunk: usize) -> (Tensor<2>, Tensor<2>) {
    let (means, log_vars): (Vec<Tensor<2>>, Vec<Tensor<2>>) = cells
        .chunks(chunk.max(1))
        .map(|part| {
            let refs: Vec<&Cell> = part.iter().collect();
            model.encoder.forward(&GraphBatch::new(&refs, device))
        })
        .unzip();
    (Tensor::cat(means, 0), Tensor::cat(log_vars, 0))
}

/// The shares of valid decodings: by the reference's rule, and as NAS-Bench-101 cells.
pub fn validity(decoded: &[DecodedGraph]) -> (f64, f64) {
    let total = decoded.len().max(1) as f64;
    let valid = decoded.iter().filter(|g| g.is_valid()).count();
    let cells = decoded.iter().filter(|g| g.to_cell().is_some()).count();
    (valid as f64 / total, cells as f64 / total)
}

/// Shares of decodings that are the cell itself, in node order and by hash.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct Shares {
    /// Decoded to the same graph, node for node.
    pub exact: f64,
    /// Decoded to a graph with the same hash.
    pub by_hash: f64,
}

/// One point of a learning curve: a model's abilities on a fixed, small held-out set, cheap
/// enough to measure every few hundred steps.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CurvePoint {
    /// The mean β-VAE loss of the held-out cells at their means.
    pub held_out_loss: f64,
    /// Reconstruction under the reference's sampled decoding, `samples` draws per cell.
    pub sampled: Shares,
    /// Reconstruction by the most likely graph of each mean.
    pub greedy: Shares,
    /// Validity of `prior_points` sampled prior points, by the reference's rule and as
    /// NAS-Bench-101 cells.
    pub validity: f64,
    /// Share of prior samples that decode to a valid NAS-Bench-101 cell.
    pub validity_nasbench: f64,
    /// Held-out cells the point measures on.
    pub held_out_cells: usize,
    /// Sampled decodings per held-out cell.
    pub samples: usize,
    /// Latent points drawn from the prior.
    pub prior_points: usize,
}

/// The fixed cells a learning curve measures on.
#[derive(Debug, Clone)]
pub struct CurveProbe {
    /// Held-out cells to reconstruct.
    pub held_out: Vec<Cell>,
    /// Training cells whose latent means set the prior for validity.
    pub prior_cells: Vec<Cell>,
    /// Sampled decodings of each held-out mean.
    pub samples: usize,
    /// Prior points decoded once each for validity.
    pub prior_points: usize,
}

impl CurveProbe {
    /// Measures a [`CurvePoint`] of `model`: the held-out cells reconstructed (`samples` sampled
    /// decodings each, and one greedy), and the prior points decoded once.
    pub fn measure(
        &self,
        model: &VsGae,
        config: &VsGaeConfig,
        device: &Device,
        rng: &mut impl Rng,
    ) -> Result<CurvePoint, ReadbackError> {
        let held_out_loss = mean_loss(model, &self.held_out, config, device)?;
        let shares = |(exact, by_hash): (f64, f64)| Shares { exact, by_hash };
        let samples = self.samples.max(1);
        let protocol = ReconstructionProtocol { repeats: samples, mode: DecodeMode::Sample };
        let sampled = shares(reconstruction(model, &self.held_out, protocol, device, rng)?);
        let protocol = ReconstructionProtocol { repeats: 1, mode: DecodeMode::Greedy };
        let greedy = shares(reconstruction(model, &self.held_out, protocol, device, rng)?);
        let (validity, validity_nasbench) = if self.prior_points == 0 {
            (0.0, 0.0)
        } else {
            let z = LatentPrior::of(model, &self.prior_cells, device)?.sample(self.prior_points, 1, device, rng);
            validity(&model.decode(z, DecodeMode::Sample, rng)?)
        };
        Ok(CurvePoint {
            held_out_loss,
            sampled,
            greedy,
            validity,
            validity_nasbench,
            held_out_cells: self.held_out.len(),
            samples,
            prior_points: self.prior_points,
        })
    }
}

/// Runs every test. `prior_points` latent points are drawn for validity (the reference uses
/// 1,000); with none, only reconstruction runs and the prior's shares are 0.
pub fn test_abilities(
    model: &VsGae,
    train: &[Cell],
    test: &[Cell],
    prior_points: usize,
    config: &VsGaeConfig,
    device: &Device,
    rng: &mut impl Rng,
) -> Result<Abilities, ReadbackError> {
    let draws = PriorDraws { points: prior_points, kind: PriorKind::Fitted };
    test_abilities_with(model, train, test, draws, config, device, rng)
}

/// How many prior points the tests decode, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorDraws {
    /// Latent points to draw.
    pub points: usize,
    /// The distribution to draw them from.
    pub kind: PriorKind,
}

/// [`test_abilities`] with the prior points `draws` says.
pub fn test_abilities_with(
    model: &VsGae,
    train: &[Cell],
    test: &[Cell],
    draws: PriorDraws,
    config: &VsGaeConfig,
    device: &Device,
    rng: &mut impl Rng,
) -> Result<Abilities, ReadbackError> {
    let PriorDraws { points: prior_points, kind: prior } = draws;
    let test_loss = mean_loss(model, test, config, device)?;
    let (reconstruction, reconstruction_isomorphic) =
        reconstruction(model, test, ReconstructionProtocol::REFERENCE, device, rng)?;
    if prior_points == 0 {
        return Ok(Abilities {
            test_loss,
            reconstruction,
            reconstruction_isomorphic,
            validity: 0.0,
            validity_nasbench: 0.0,
            uniqueness: 0.0,
            uniqueness_isomorphic: 0.0,
            novelty: 0.0,
            novelty_isomorphic: 0.0,
            uniqueness_of_points: 0.0,
            prior,
            test_cells: test.len(),
            prior_points,
        });
    }
    let z = LatentPrior::of_kind(prior, model, train, config.noise_scale, device)?.sample(
        prior_points,
        DECODINGS,
        device,
        rng,
    );
    let decoded = model.decode(z, DecodeMode::Sample, rng)?;
    let decoded_cells: Vec<Option<Cell>> = decoded.iter().map(DecodedGraph::to_cell).collect();
    let first_cells: Vec<Cell> = decoded_cells.iter().step_by(DECODINGS).flatten().copied().collect();
    let distinct_points: HashSet<ModuleHash> = first_cells.iter().map(Cell::hash).collect();

    let train_keys: HashSet<GraphKey> = train.iter().map(|c| (c.node_atts(), c.edges().collect::<Vec<_>>())).collect();
    let train_hashes: HashSet<ModuleHash> = train.iter().map(Cell::hash).collect();
    let valid: Vec<&DecodedGraph> = decoded.iter().filter(|g| g.is_valid()).collect();
    let cells: Vec<Cell> = decoded_cells.into_iter().flatten().collect();
    let unique: HashSet<_> = valid.iter().map(|g| g.key()).collect();
    let unique_hashes: HashSet<ModuleHash> = cells.iter().map(Cell::hash).collect();
    let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
    let (validity, validity_nasbench) = validity(&decoded);
    Ok(Abilities {
        reconstruction,
        reconstruction_isomorphic,
        validity,
        validity_nasbench,
        uniqueness: share(unique.len(), valid.len()),
        uniqueness_isomorphic: share(unique_hashes.len(), cells.len()),
        novelty: 1.0 - share(valid.iter().filter(|g| train_keys.contains(&g.key())).count(), valid.len()),
        novelty_isomorphic: 1.0 - share(cells.iter().filter(|c| train_hashes.contains(&c.hash())).count(), cells.len()),
        uniqueness_of_points: share(distinct_points.len(), first_cells.len()),
        prior,
        test_loss,
        test_cells: test.len(),
        prior_points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(types: &[u8], edges: &[(usize, usize)]) -> DecodedGraph {
        DecodedGraph { types: types.to_vec(), edges: edges.to_vec(), finished: types.last() == Some(&OUTPUT_TYPE) }
    }

    #[test]
    fn validity_follows_the_reference_rules() {
        assert!(graph(&[1, 3, 0], &[(0, 1), (1, 2)]).is_valid());
        assert!(graph(&[1, 0], &[(0, 1)]).is_valid());
        // A node without successors, a node without predecessors, two outputs, unfinished.
        assert!(!graph(&[1, 3, 2, 0], &[(0, 1), (0, 2), (1, 3)]).is_valid());
        assert!(!graph(&[1, 3, 2, 0], &[(0, 1), (1, 3), (2, 3)]).is_valid());
        assert!(!graph(&[1, 0, 0], &[(0, 1), (0, 2)]).is_valid());
        assert!(!DecodedGraph { types: vec![1, 3], edges: vec![(0, 1)], finished: false }.is_valid());
    }

    #[test]
    fn nasbench_cells_need_at_most_seven_vertices_and_nine_edges() {
        let chain = graph(&[1, 2, 3, 4, 0], &[(0, 1), (1, 2), (2, 3), (3, 4)]);
        let cell = chain.to_cell().unwrap();
        assert!(chain.same_as(&cell));
        let long = graph(&[1, 2, 2, 2, 2, 2, 2, 0], &(0..7).map(|v| (v, v + 1)).collect::<Vec<_>>());
        assert!(long.is_valid() && long.to_cell().is_none());
        let mut dense_edges: Vec<(usize, usize)> = (1..6).map(|v| (0, v)).collect();
        dense_edges.extend((1..6).map(|v| (v, 6)));
        let dense = graph(&[1, 2, 2, 2, 2, 2, 0], &dense_edges);
        assert!(dense.is_valid() && dense.to_cell().is_none(), "ten edges are too many");
    }
}
