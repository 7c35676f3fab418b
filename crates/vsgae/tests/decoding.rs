//! Batched decoding: sound graphs, and the same edge scores as the reference for one point.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use burn::tensor::{Distribution, Tensor};
use nasbench::Cell;
use nasbench::space::enumerate_vertices;
use vsgae::evaluation::abilities::test_abilities;
use vsgae::{EncoderConfig, VsGaeConfig};

#[test]
fn per_graph_edge_scores_equal_the_reference_for_a_batch_of_one() {
    let device = common::device();
    let model = VsGaeConfig::new(EncoderConfig::new().with_node_dim(24).with_graph_dim(8)).init(&device);
    let h = Tensor::<3>::random([1, 4, 24], Distribution::Normal(0.0, 1.0), &device);
    let h_v = Tensor::<2>::random([1, 24], Distribution::Normal(0.0, 1.0), &device);
    let h_g = Tensor::<2>::random([1, 8], Distribution::Normal(0.0, 1.0), &device);
    let c = Tensor::<2>::random([1, 8], Distribution::Normal(0.0, 1.0), &device);
    let quirk = model.decoder.edge_logits(h.clone(), h_v.clone(), h_g.clone(), c.clone());
    let per_graph = model.decoder.edge_logits_per_graph(h, h_v, h_g, c);
    common::assert_close("edge logits", &common::values(per_graph), &common::values(quirk));
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
    let shares = [
        report.reconstruction,
        report.reconstruction_isomorphic,
        report.validity,
        report.validity_nasbench,
        report.uniqueness,
        report.uniqueness_isomorphic,
        report.novelty,
        report.novelty_isomorphic,
    ];
    assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)), "{report:?}");
    assert!(report.reconstruction <= report.reconstruction_isomorphic);
    assert!(report.validity_nasbench <= report.validity);
    assert_eq!((report.test_cells, report.prior_points), (10, 20));
}
