//! Batched decoding: sound graphs, and the same edge scores as the reference for one point.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use burn::tensor::{Distribution, Tensor};
use nasbench::Cell;
use nasbench::space::enumerate_vertices;
use vsgae::config::EdgePairing;
use vsgae::evaluation::abilities::test_abilities;
use vsgae::{EncoderConfig, VsGae, VsGaeConfig};

#[test]
fn both_edge_pairings_give_the_same_loss_for_a_batch_of_one() {
    let device = common::device();
    let config = VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8));
    let model = config.init(&device);
    let cell = enumerate_vertices(6).into_iter().nth(4321).unwrap().cell;
    let c = Tensor::<2>::random([1, 8], Distribution::Normal(0.0, 1.0), &device);
    let targets = VsGae::targets(&[&cell], &device);
    let loss = |pairing: EdgePairing| {
        let config = config.clone().with_edge_pairing(Some(pairing));
        common::values(model.decoder.teacher_forced_loss(c.clone(), &targets, &config).total)
    };
    let (reference, per_graph) = (loss(EdgePairing::Reference), loss(EdgePairing::PerGraph));
    assert!(reference[0] > 0.0, "{reference:?}");
    common::assert_close("loss", &per_graph, &reference);
}

#[test]
fn the_pairings_differ_for_a_batch_of_two() {
    let device = common::device();
    let config = VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8));
    let model = config.init(&device);
    let cells: Vec<Cell> = enumerate_vertices(6).into_iter().skip(100).take(2).map(|c| c.cell).collect();
    let c = Tensor::<2>::random([2, 8], Distribution::Normal(0.0, 1.0), &device);
    let targets = VsGae::targets(&[&cells[0], &cells[1]], &device);
    let loss = |pairing: EdgePairing| {
        let config = config.clone().with_edge_pairing(Some(pairing));
        common::values(model.decoder.teacher_forced_loss(c.clone(), &targets, &config).total)[0]
    };
    let (reference, per_graph) = (loss(EdgePairing::Reference), loss(EdgePairing::PerGraph));
    assert!((reference - per_graph).abs() > 1e-6, "{reference} {per_graph}");
}

#[test]
fn decoded_graphs_are_well_formed() {
    let device = common::device();
    let model = VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8)).init(&device);
    let c = Tensor::<2>::random([64, 8], Distribution::Normal(0.0, 1.0), &device);
    let mut rng = nasbench::split::rng(3);
    let graphs = model.decoder.decode(c, 12, vsgae::model::decoding::DecodeMode::Sample, &mut rng).unwrap();
    assert_eq!(graphs.len(), 64);
    for g in &graphs {
        assert_eq!(g.types[0], 1, "every graph starts at the input");
        assert!(g.types.len() <= 12);
        assert!(g.edges.iter().all(|&(f, t)| f < t && t < g.types.len()));
        assert_eq!(g.finished, g.types.last() == Some(&0));
        assert!(g.types[..g.types.len() - 1].iter().all(|&t| t != 0), "the output ends a graph");
        assert!(g.types.len() < 2 || g.edges.contains(&(0, 1)), "the first node always hangs off the input");
    }
}

#[test]
fn ability_shares_are_fractions() {
    let device = common::device();
    let config = VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8));
    let model = config.init(&device);
    let cells: Vec<Cell> = (2..=4).flat_map(enumerate_vertices).map(|c| c.cell).collect();
    let mut rng = nasbench::split::rng(1);
    let report = test_abilities(&model, &cells[..60], &cells[60..70], 20, &config, &device, &mut rng).unwrap();
    assert!(report.test_loss.is_finite() && report.test_loss > 0.0, "{}", report.test_loss);
    let mut shares = vec![report.reconstruction, report.reconstruction_isomorphic];
    for s in [&report.samples, &report.masked] {
        shares.extend([
            s.validity,
            s.validity_nasbench,
            s.uniqueness,
            s.uniqueness_isomorphic,
            s.novelty,
            s.uniqueness_of_points,
            s.novelty_isomorphic,
        ]);
        assert!(s.validity_nasbench <= s.validity);
    }
    assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)), "{report:?}");
    assert!(report.reconstruction <= report.reconstruction_isomorphic);
    // An untrained decoder seldom writes a cell unmasked; masked, it writes nothing else.
    assert_eq!(report.masked.validity_nasbench, 1.0, "{report:?}");
    assert_eq!((report.test_cells, report.prior_points), (10, 20));
}

#[test]
fn each_prior_draws_where_it_says() {
    use vsgae::latent::encode_posteriors;
    use vsgae::latent::fit::PriorFit;
    use vsgae::latent::prior::{LatentPrior, PriorKind};
    let device = common::device();
    let config = VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8));
    let model = config.init(&device);
    let cells: Vec<Cell> = (2..=5).flat_map(enumerate_vertices).map(|c| c.cell).take(300).collect();
    let mut rng = nasbench::split::rng(9);

    let fit = |kind| PriorFit { kind, ..PriorFit::default() };
    let normal = LatentPrior::fit(&fit(PriorKind::StandardNormal), &model, &cells, 1.0, &device, &mut rng).unwrap();
    let z = common::values(normal.sample(2000, 1, &device, &mut rng));
    let mean = z.iter().sum::<f32>() / z.len() as f32;
    let std = (z.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / z.len() as f32).sqrt();
    assert!(mean.abs() < 0.05 && (std - 1.0).abs() < 0.05, "N(0, 1) drew mean {mean}, std {std}");

    let fitted = LatentPrior::fit(&fit(PriorKind::Fitted), &model, &cells, 1.0, &device, &mut rng).unwrap();
    let repeated = common::values(fitted.sample(3, 2, &device, &mut rng));
    assert_eq!(repeated.len(), 3 * 2 * 8);
    assert_eq!(repeated[..8], repeated[8..16], "each point repeated in a row");

    let (means, log_vars) = encode_posteriors(&model, &cells, &device, 128);
    let (means, stds) = (common::values(means), common::values(log_vars.mul_scalar(0.5).exp()));
    // With the training's noise scale: within 6 scaled deviations of a training cell's mean, so
    // points from the unscaled posterior (a full σ away) fail the check.
    let noise_scale = config.noise_scale as f32;
    let aggregate =
        LatentPrior::fit(&fit(PriorKind::AggregatePosterior), &model, &cells, config.noise_scale, &device, &mut rng)
            .unwrap();
    let points = common::values(aggregate.sample(50, 1, &device, &mut rng));
    for point in points.chunks(8) {
        let near = means
            .chunks(8)
            .zip(stds.chunks(8))
            .any(|(m, s)| point.iter().zip(m).zip(s).all(|((p, m), s)| (p - m).abs() <= 6.0 * noise_scale * s + 1e-6));
        assert!(near, "{point:?} is far from every training posterior");
    }
}

/// The shipped VS-GAE, whose decodings are mostly cells (an untrained one's seldom are).
fn shipped_vsgae(device: &burn::tensor::Device) -> VsGae {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/vsgae");
    vsgae::io::model_files::load_from_dir::<VsGae>(&dir, device).unwrap().1
}

#[test]
fn masked_decoding_writes_only_valid_cells() {
    use vsgae::model::decoding::{DecodeMode, Decoding};
    let device = common::device();
    let model = shipped_vsgae(&device);
    // N(0, I) lies outside the region the latents fill: unmasked, most of it decodes to no cell.
    let c = Tensor::<2>::random([200, model.latent_dim()], Distribution::Normal(0.0, 1.0), &device);
    for mode in [DecodeMode::Sample, DecodeMode::Greedy] {
        let unmasked = model.decode(c.clone(), mode, &mut nasbench::split::rng(5)).unwrap();
        let masked = model.decode(c.clone(), Decoding::masked(mode), &mut nasbench::split::rng(5)).unwrap();
        let cells =
            |graphs: &[vsgae::model::decoding::DecodedGraph]| graphs.iter().filter(|g| g.to_cell().is_some()).count();
        assert!(cells(&unmasked) < 150, "{mode:?}: {} of 200 unmasked decodings are cells", cells(&unmasked));
        for graph in &masked {
            assert!(graph.is_valid() && graph.to_cell().is_some(), "{mode:?}: {graph:?} is no cell");
        }
    }
}

#[test]
fn masking_leaves_greedy_decodings_that_are_cells_unchanged() {
    use vsgae::model::decoding::{DecodeMode, Decoding};
    let device = common::device();
    let model = shipped_vsgae(&device);
    let cells: Vec<Cell> = enumerate_vertices(7).into_iter().step_by(997).map(|c| c.cell).take(120).collect();
    let means = vsgae::latent::encode_means(&model, &cells, &device, 64);
    let unmasked = model.decode(means.clone(), DecodeMode::Greedy, &mut nasbench::split::rng(0)).unwrap();
    let masked = model.decode(means, Decoding::masked(DecodeMode::Greedy), &mut nasbench::split::rng(0)).unwrap();
    let mut compared = 0;
    for (plain, held) in unmasked.iter().zip(&masked) {
        if plain.to_cell().is_some() {
            assert_eq!(plain, held, "a valid greedy decoding breaks no rule, so masking must not change it");
            compared += 1;
        }
    }
    assert!(compared >= 60, "only {compared} of 120 greedy decodings were cells");
}
