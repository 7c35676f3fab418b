//! The VS-GAE's abilities as the reference tests them (`train_gae.py --test`), in its exact-order
//! form and in an isomorphism-aware form by the official hash.
//!
//! - **Reconstruction**: each test cell is encoded (the mean, as the reference in eval mode
//!   does for each of its 10 encodings) and decoded 10 × 10 times; a match has the same types in
//!   node order and the same predecessors of every node. The isomorphism-aware form counts a
//!   decoding that is a valid NAS-Bench-101 cell with the test cell's hash.
//! - **Validity**: latent points of a prior (the reference's: `z ~ N(mean, std)` of the training
//!   latents; see [`crate::latent::prior`]), each decoded 10 times, as the reference decodes and
//!   again under NAS-Bench-101's rules ([`Decoding::masked`]); valid means one input, one
//!   output, every other node with predecessors and successors (the reference's
//!   `is_valid_DAG`). Also reported as a NAS-Bench-101 cell: at most 7 vertices and 9 edges,
//!   input first, output last.
//! - **Uniqueness**: distinct valid decodings among the valid ones.
//! - **Novelty**: 1 − the share of valid decodings found in the training cells.

use std::collections::HashSet;

use burn::tensor::Device;
use nasbench::{Cell, CellError, ModuleHash};
use rand::Rng;
use serde::Serialize;

use crate::config::VsGaeConfig;
use crate::evaluation::broken_rules::BrokenRules;
use crate::latent::encode_means;
use crate::latent::fit::PriorFit;
use crate::latent::prior::{LatentPrior, PriorError, PriorKind};
use crate::model::batch::GraphBatch;
use crate::model::decoding::{DecodeMode, DecodedGraph, Decoding};
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
    /// The prior's points as the reference decodes them (unmasked): what measures the model.
    #[serde(flatten)]
    pub samples: SampleShares,
    /// The same points decoded under NAS-Bench-101's rules ([`Decoding::masked`]).
    pub masked: SampleShares,
    /// Which prior the points came from.
    pub prior: PriorKind,
    /// Its components.
    pub prior_components: usize,
    /// Its temperature.
    pub prior_temperature: f64,
    /// The mean β-VAE loss of the test cells at their latent means (deterministic).
    pub test_loss: f64,
    /// Test cells encoded and decoded.
    pub test_cells: usize,
    /// Latent points drawn from the prior.
    pub prior_points: usize,
}

/// What the prior's points decode to ([`DECODINGS`] decodings of each point); every share is in
/// `[0, 1]`, and 0 where there is nothing to share.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SampleShares {
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
    /// Distinct cells (by hash) that the prior's points decode to, one decoding per point, as a
    /// share of all the points (a point that decodes to no cell counts against it).
    pub distinct_cells_per_point: f64,
    /// The decodings that are not NAS-Bench-101 cells, by the first rule each breaks.
    pub broken_rules: BrokenRules,
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
            let means = crate::readback::floats(encode_means(model, &self.prior_cells, device, 2048))?;
            let z = LatentPrior::fitted(&means, model.latent_dim()).sample(self.prior_points, 1, device, rng);
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

/// Runs every test, the prior points drawn from the reference's prior fitted to `train`'s
/// latents. `prior_points` latent points are drawn for validity (the reference uses 1,000); with
/// none, only reconstruction runs and the prior's shares are 0.
pub fn test_abilities(
    model: &VsGae,
    train: &[Cell],
    test: &[Cell],
    prior_points: usize,
    config: &VsGaeConfig,
    device: &Device,
    rng: &mut impl Rng,
) -> Result<Abilities, PriorError> {
    let prior = LatentPrior::fit(&PriorFit::default(), model, train, config.noise_scale, device, rng)?;
    let draws = PriorDraws { points: prior_points, prior: &prior };
    Ok(test_abilities_with(model, train, test, draws, config, device, rng)?)
}

/// How many prior points the tests decode, and from which prior.
#[derive(Debug, Clone, Copy)]
pub struct PriorDraws<'a> {
    /// Latent points to draw.
    pub points: usize,
    /// The distribution to draw them from.
    pub prior: &'a LatentPrior,
}

/// [`test_abilities`] with the prior points `draws` says, each decoded [`DECODINGS`] times as
/// the reference does, and again under NAS-Bench-101's rules.
pub fn test_abilities_with(
    model: &VsGae,
    train: &[Cell],
    test: &[Cell],
    draws: PriorDraws<'_>,
    config: &VsGaeConfig,
    device: &Device,
    rng: &mut impl Rng,
) -> Result<Abilities, ReadbackError> {
    let test_loss = mean_loss(model, test, config, device)?;
    let (reconstruction, reconstruction_isomorphic) =
        reconstruction(model, test, ReconstructionProtocol::REFERENCE, device, rng)?;
    let (samples, masked) = if draws.points == 0 {
        (SampleShares::default(), SampleShares::default())
    } else {
        let z = draws.prior.sample(draws.points, DECODINGS, device, rng);
        let training = TrainingCells::new(train);
        let unmasked = model.decode(z.clone(), DecodeMode::Sample, rng)?;
        let masked = model.decode(z, Decoding::masked(DecodeMode::Sample), rng)?;
        (training.shares(&unmasked), training.shares(&masked))
    };
    Ok(Abilities {
        reconstruction,
        reconstruction_isomorphic,
        samples,
        masked,
        prior: draws.prior.kind,
        prior_components: draws.prior.components(),
        prior_temperature: draws.prior.temperature,
        test_loss,
        test_cells: test.len(),
        prior_points: draws.points,
    })
}

/// The training cells, as novelty looks them up.
struct TrainingCells {
    graphs: HashSet<GraphKey>,
    hashes: HashSet<ModuleHash>,
}

impl TrainingCells {
    fn new(train: &[Cell]) -> Self {
        Self {
            graphs: train.iter().map(|c| (c.node_atts(), c.edges().collect::<Vec<_>>())).collect(),
            hashes: train.iter().map(Cell::hash).collect(),
        }
    }

    /// The shares of `decoded`: [`DECODINGS`] decodings of each point in a row.
    fn shares(&self, decoded: &[DecodedGraph]) -> SampleShares {
        let checked: Vec<Result<Cell, CellError>> = decoded.iter().map(DecodedGraph::cell).collect();
        let decoded_cells: Vec<Option<Cell>> = checked.iter().map(|c| c.as_ref().ok().copied()).collect();
        let first_cells: Vec<Cell> = decoded_cells.iter().step_by(DECODINGS).flatten().copied().collect();
        let distinct_points: HashSet<ModuleHash> = first_cells.iter().map(Cell::hash).collect();
        let valid: Vec<&DecodedGraph> = decoded.iter().filter(|g| g.is_valid()).collect();
        let cells: Vec<Cell> = decoded_cells.into_iter().flatten().collect();
        let unique: HashSet<GraphKey> = valid.iter().map(|g| graph_key(g)).collect();
        let unique_hashes: HashSet<ModuleHash> = cells.iter().map(Cell::hash).collect();
        let share = |part: usize, whole: usize| if whole == 0 { 0.0 } else { part as f64 / whole as f64 };
        let known_graphs = valid.iter().filter(|g| self.graphs.contains(&graph_key(g))).count();
        let known_cells = cells.iter().filter(|c| self.hashes.contains(&c.hash())).count();
        SampleShares {
            validity: share(valid.len(), decoded.len()),
            validity_nasbench: share(cells.len(), decoded.len()),
            uniqueness: share(unique.len(), valid.len()),
            uniqueness_isomorphic: share(unique_hashes.len(), cells.len()),
            novelty: 1.0 - share(known_graphs, valid.len()),
            novelty_isomorphic: 1.0 - share(known_cells, cells.len()),
            uniqueness_of_points: share(distinct_points.len(), first_cells.len()),
            distinct_cells_per_point: share(distinct_points.len(), decoded.len().div_ceil(DECODINGS)),
            broken_rules: BrokenRules::of(&checked),
        }
    }
}

fn graph_key(graph: &DecodedGraph) -> GraphKey {
    let mut edges = graph.edges.clone();
    edges.sort_unstable();
    (graph.types.clone(), edges)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node_types::OUTPUT_TYPE;

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
