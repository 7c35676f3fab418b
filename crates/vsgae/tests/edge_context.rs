//! The edge head's context ([`EdgeContext::Counts`]): at zero it is the reference's decoder, and
//! teacher forcing and decoding feed it the partial graph each scores.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};
use nasbench::Cell;
use nasbench::space::enumerate_vertices;
use vsgae::config::{EdgeContext, EdgeLoss, EdgePairing};
use vsgae::io::model_files::load_from_bytes;
use vsgae::io::state_dict::NamedTensor;
use vsgae::model::batch::GraphBatch;
use vsgae::model::decoding::DecodeMode;
use vsgae::model::initialization::seeded;
use vsgae::model::vae::Latent;
use vsgae::{EncoderConfig, ReferenceParams, StateDict, VsGae, VsGaeConfig, VsGaeTrainingConfig};

const NODE_DIM: usize = 16;
const GRAPH_DIM: usize = 6;
const CONTEXT: &str = "Decoder.generator.nodes.f_s_context.weight";

fn config(context: EdgeContext) -> VsGaeConfig {
    VsGaeConfig::new(EncoderConfig::new().with_node_dim(NODE_DIM).with_graph_dim(GRAPH_DIM))
        .with_edge_pairing(Some(EdgePairing::PerGraph))
        .with_edge_context(Some(context))
}

fn weights_of(model: &VsGae) -> StateDict {
    let mut weights = StateDict::default();
    model.save(&mut weights, "");
    weights
}

fn cells() -> Vec<Cell> {
    [3, 5, 6, 7]
        .into_iter()
        .flat_map(|n| enumerate_vertices(n).into_iter().step_by(211).take(3))
        .map(|c| c.cell)
        .collect()
}

#[test]
fn a_context_at_zero_is_the_reference_decoder() {
    let device = common::device();
    let reference = seeded(|d| config(EdgeContext::None).init(d), &device, 5).unwrap();
    let mut weights = weights_of(&reference);
    let counts_config = config(EdgeContext::Counts);
    counts_config.add_absent_parameters(&mut weights);
    assert_eq!(weights.tensors[CONTEXT].values, vec![0.0; (NODE_DIM + GRAPH_DIM) * 3]);
    let counts = counts_config.init(&device).load(&mut weights, "", &device).unwrap();
    weights.finish().unwrap();

    let cells = cells();
    let refs: Vec<&Cell> = cells.iter().collect();
    let (batch, targets) = (GraphBatch::new(&refs, &device), VsGae::targets(&refs, &device));
    let per_step = |model: &VsGae, config: &VsGaeConfig| {
        common::values(model.loss(&batch, &targets, Latent::Mean, config).per_step())
    };
    let expected = per_step(&reference, &config(EdgeContext::None));
    assert!(expected.iter().any(|&l| l > 0.0));
    assert_eq!(per_step(&counts, &counts_config), expected, "teacher forcing");

    let c = Tensor::<2>::random([48, GRAPH_DIM], Distribution::Normal(0.0, 1.0), &device);
    let decode = |model: &VsGae| model.decoder.decode(c.clone(), 9, DecodeMode::Greedy, &mut nasbench::split::rng(1));
    let graphs = decode(&reference).unwrap();
    assert!(graphs.iter().any(|g| g.edges.len() > 1), "some decodings have edges to score");
    assert_eq!(decode(&counts).unwrap(), graphs, "decoding");
}

/// Hand-set weights under which an edge's logit reads only the context:
/// `10·has_successor − 20·edges/9 − 5`, and every new node is conv3x3 (type 2), so no decoding
/// ends before `max_nodes`.
fn context_only(device: &burn::tensor::Device) -> VsGae {
    let config = config(EdgeContext::Counts);
    let mut weights = weights_of(&seeded(|d| config.init(d), device, 9).unwrap());
    let hidden = NODE_DIM + GRAPH_DIM;
    let mut set = |name: &str, values: Vec<f32>| {
        let tensor: &mut NamedTensor = weights.tensors.get_mut(&format!("Decoder.generator.{name}")).unwrap();
        assert_eq!(tensor.values.len(), values.len(), "{name}");
        tensor.values = values;
    };
    set("nodes.f_s_1.weight", vec![0.0; hidden * (2 * NODE_DIM + 2 * GRAPH_DIM)]);
    set("nodes.f_s_1.bias", vec![0.0; hidden]);
    // Hidden unit 0 reads the successor flag, unit 1 the edge count.
    let mut context = vec![0.0; hidden * 3];
    context[2] = 1.0;
    context[3] = 1.0;
    set("nodes.f_s_context.weight", context);
    let mut out = vec![0.0; hidden];
    out[..2].copy_from_slice(&[10.0, -20.0]);
    set("nodes.f_s_2.weight", out);
    set("nodes.f_s_2.bias", vec![-5.0]);
    set("nodeAdd.f_an_2.weight", vec![0.0; 5 * GRAPH_DIM]);
    set("nodeAdd.f_an_2.bias", vec![0.0, 0.0, 50.0, 0.0, 0.0]);
    config.init(device).load(&mut weights, "", device).unwrap()
}

/// The hand-set logit of candidate `from` in the graph of `vertices` vertices with `edges`.
fn context_logit(edges: &[(usize, usize)], vertices: usize, from: usize) -> f32 {
    let within: Vec<_> = edges.iter().filter(|&&(f, t)| f < vertices && t < vertices).collect();
    let has_successor = within.iter().any(|&&(f, _)| f == from);
    10.0 * f32::from(u8::from(has_successor)) - 20.0 * within.len() as f32 / 9.0 - 5.0
}

#[test]
fn teacher_forcing_feeds_the_context_of_each_steps_partial_graph() {
    let device = common::device();
    let model = context_only(&device);
    // α = 1 and summed edge losses: step k's loss is twice its edges' cross-entropy.
    let config = config(EdgeContext::Counts).with_alpha(1.0).with_edge_loss(Some(EdgeLoss::Sum));
    let cells = cells();
    let refs: Vec<&Cell> = cells.iter().collect();
    let c = Tensor::<2>::random([cells.len(), GRAPH_DIM], Distribution::Normal(0.0, 1.0), &device);
    let loss = model.decoder.teacher_forced_loss(c, &VsGae::targets(&refs, &device), &config);
    let per_step = common::values(loss.per_step());
    let steps = per_step.len() / cells.len();
    let (mut got, mut expected) = (Vec::new(), Vec::new());
    for (b, cell) in cells.iter().enumerate() {
        let edges: Vec<(usize, usize)> = cell.edges().collect();
        for k in 1..cell.n_vertices() - 1 {
            let new_node = k + 1;
            let cross_entropy: f32 = (0..=k)
                .map(|from| {
                    let x = context_logit(&edges, new_node, from);
                    let y = f32::from(u8::from(edges.contains(&(from, new_node))));
                    x.max(0.0) - x * y + (-x.abs()).exp().ln_1p()
                })
                .sum();
            got.push(per_step[b * steps + k]);
            expected.push(2.0 * cross_entropy);
        }
    }
    assert!(expected.len() > 20);
    common::assert_close("per-step edge loss", &got, &expected);
}

#[test]
fn decoding_feeds_the_context_of_the_graph_decoded_so_far() {
    let device = common::device();
    let model = context_only(&device);
    let c = Tensor::<2>::random([20, GRAPH_DIM], Distribution::Normal(0.0, 1.0), &device);
    let graphs = model.decoder.decode(c, 8, DecodeMode::Greedy, &mut nasbench::split::rng(2)).unwrap();
    for graph in &graphs {
        assert_eq!(graph.types.len(), 8, "every new node is an operation");
        let mut expected = vec![(0, 1)];
        for new_node in 2..8 {
            let kept: Vec<_> = (0..new_node)
                .filter(|&from| context_logit(&expected, new_node, from) > 0.0)
                .map(|f| (f, new_node))
                .collect();
            expected.extend(kept);
        }
        // Worked by hand: node 0 feeds nodes 2 and 3 while the graph has fewer than 3 edges.
        assert_eq!(expected, vec![(0, 1), (0, 2), (0, 3)]);
        assert_eq!(graph.edges, expected);
    }
}

#[test]
fn the_context_map_is_trained() {
    let device = common::device().autodiff();
    let config = config(EdgeContext::Counts);
    let model = seeded(|d| config.init(d), &device, 4).unwrap();
    let cells = cells();
    let refs: Vec<&Cell> = cells.iter().collect();
    let (batch, targets) = (GraphBatch::new(&refs, &device), VsGae::targets(&refs, &device));
    let loss = model.loss(&batch, &targets, Latent::Mean, &config).total;
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let mut gradients = StateDict::default();
    vsgae::io::gradients::gradients_as_module(&model, &grads).save(&mut gradients, "");
    let context = &gradients.tensors[CONTEXT].values;
    assert!(context.iter().all(|g| g.is_finite()) && context.iter().any(|&g| g.abs() > 1e-6), "{context:?}");
}

#[test]
fn weights_and_config_must_agree_on_the_context() {
    let device = common::device();
    let bytes = |context: EdgeContext| {
        let model = seeded(|d| config(context).init(d), &device, 6).unwrap();
        let config = serde_json::to_vec(&VsGaeTrainingConfig::new(config(context))).unwrap();
        (config, weights_of(&model).to_safetensors().unwrap())
    };
    let ((none_config, none_weights), (counts_config, counts_weights)) =
        (bytes(EdgeContext::None), bytes(EdgeContext::Counts));
    let error = load_from_bytes::<VsGae>(&none_config, &counts_weights, "stretch", &device).unwrap_err().to_string();
    assert!(error.contains("stretch/weights.safetensors") && error.contains("f_s_context"), "{error}");
    let error = load_from_bytes::<VsGae>(&counts_config, &none_weights, "stretch", &device).unwrap_err().to_string();
    assert!(error.contains("stretch/weights.safetensors") && error.contains("f_s_context"), "{error}");
    assert!(load_from_bytes::<VsGae>(&counts_config, &counts_weights, "stretch", &device).is_ok());
}
