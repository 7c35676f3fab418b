//! The VS-GAE decoder: builds a graph one node at a time from a latent vector.
//!
//! Each step runs message passing over the partial graph, reads out two graph vectors, scores
//! the new node's type, initialises the new node, and scores an edge from every existing node
//! to it. Teacher-forced training runs all graphs of a batch step by step on dense tensors.
//!
//! Quirks of the reference, reproduced so that its numbers come out:
//! - With a single node (step 0) there is no message passing and the readouts are the plain
//!   linear maps `f_m(h)`, without the sigmoid gate.
//! - The readouts of partial graphs sum over every node, padding nodes included (they only
//!   matter in steps past a graph's end, which the loss masks out).
//! - Once a graph is complete, the reference's prepared batches give its later partial graphs
//!   a single edge `0 → 1` instead of the graph's edges; those partial graphs are used here too.
//! - Edge scores pair row `b·n + j` of the node states with row `(b·n + j) mod B` of the graph
//!   vector and the latent (`h_G.repeat(n, 1)` in the reference), so graphs in a batch see each
//!   other's graph vectors. Batched and one-at-a-time decoding therefore differ, as in the
//!   reference. [`crate::config::EdgePairing::PerGraph`] pairs each graph with its own vectors
//!   instead, as decoding does.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Int, Tensor, TensorData, s};

use crate::config::{EdgeLoss, EdgePairing, EncoderConfig, VsGaeConfig};
use crate::io::state_dict::{ImportError, ReferenceParams, StateDict};
use crate::model::batch::GraphBatch;
use crate::model::message_passing::{MessageOperator, MessagePassing, MessagePassingConfig};
use crate::model::readout::GatedSum;

/// The type code of the input node, which every generated graph starts from.
pub const INPUT_TYPE: i64 = 1;

/// The reference's `Generator` (inside `GNNDecoder`).
#[derive(Module, Debug)]
pub struct Decoder {
    /// Message passing over the partial graph (`prop.NodeEmb.GNNLayers`).
    pub layers: Vec<MessagePassing>,
    /// Graph vector for scoring (`prop.GraphEmb`).
    pub graph: GatedSum,
    /// Graph vector for initialising the new node (`prop.GraphEmb_init`).
    pub graph_init: GatedSum,
    /// `nodeAdd.f_an`, `nodeAdd.f_an_2`: `[h_G; c]` → node type logits.
    pub add_hidden: Linear,
    pub add_out: Linear,
    /// `nodeInit.NodeInits`: node type embedding.
    pub types: Embedding,
    /// `nodeInit.f_init`, `f_init_2`: `[e; h_G_init; c]` → the new node's state.
    pub init_hidden: Linear,
    pub init_out: Linear,
    /// `nodeInit.f_start`, `f_start_2`: `[e; c]` → the start node's state.
    pub start_hidden: Linear,
    pub start_out: Linear,
    /// `nodes.f_s_1`, `f_s_2`: `[h_j; h_v; h_G; c]` → edge logit `j → v`.
    pub edge_hidden: Linear,
    pub edge_out: Linear,
}

/// The reconstruction loss of a batch.
#[derive(Debug, Clone)]
pub struct ReconstructionLoss {
    /// `mean_b Σ_k loss[b,k] · mask[b,k]`.
    pub total: Tensor<1>,
    /// Every step's loss before masking. Shape `[batch, steps]`.
    pub per_step: Tensor<2>,
}

impl Decoder {
    /// A decoder with Burn's default initialisation.
    pub fn init(config: &EncoderConfig, device: &Device) -> Self {
        let (n, g, t) = (config.node_dim, config.graph_dim, config.num_node_types);
        Self {
            layers: (0..config.num_layers).map(|_| MessagePassingConfig::new(n).init(device)).collect(),
            graph: GatedSum::init(n, g, device),
            graph_init: GatedSum::init(n, g, device),
            add_hidden: LinearConfig::new(2 * g, g).init(device),
            add_out: LinearConfig::new(g, t).init(device),
            types: EmbeddingConfig::new(t, n).init(device),
            init_hidden: LinearConfig::new(n + 2 * g, n + g).init(device),
            init_out: LinearConfig::new(n + g, n).init(device),
            start_hidden: LinearConfig::new(n + g, n + g).init(device),
            start_out: LinearConfig::new(n + g, n).init(device),
            edge_hidden: LinearConfig::new(2 * n + 2 * g, n + g).init(device),
            edge_out: LinearConfig::new(n + g, 1).init(device),
        }
    }

    /// The state of the start (input) node.
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    /// - output: `[batch, 1, node_dim]`
    pub fn start(&self, c: Tensor<2>) -> Tensor<3> {
        let batch = c.dims()[0];
        let input = Tensor::<1, Int>::from_data(TensorData::new(vec![INPUT_TYPE; batch], [batch]), &c.device());
        let e = self.types.forward(input.unsqueeze_dim(1)).squeeze_dim(1);
        self.start_out.forward(relu(self.start_hidden.forward(Tensor::cat(vec![e, c], 1)))).unsqueeze_dim(1)
    }

    /// Message passing over the partial graph and its two graph vectors.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `messages`: the partial graphs' operator, for `batch` graphs of `nodes` nodes
    /// - output: (`h` `[batch, nodes, node_dim]`, `h_G` and `h_G_init` `[batch, graph_dim]`)
    pub fn propagate(&self, h: Tensor<3>, messages: &MessageOperator) -> (Tensor<3>, Tensor<2>, Tensor<2>) {
        let [batch, nodes, _] = h.dims();
        if nodes == 1 {
            let single = h.clone().squeeze_dim(1);
            return (h, self.graph.value.forward(single.clone()), self.graph_init.value.forward(single));
        }
        let h = self.layers.iter().fold(h, |h, layer| layer.forward(h, messages));
        let all = Tensor::ones([batch, nodes, 1], &h.device());
        (h.clone(), self.graph.forward(h.clone(), all.clone()), self.graph_init.forward(h, all))
    }

    /// Node type logits.
    ///
    /// # Shapes
    /// - `h_g`, `c`: `[batch, graph_dim]`
    /// - output: `[batch, num_node_types]`
    pub fn type_logits(&self, h_g: Tensor<2>, c: Tensor<2>) -> Tensor<2> {
        self.add_out.forward(relu(self.add_hidden.forward(Tensor::cat(vec![h_g, c], 1))))
    }

    /// The new node's initial state.
    ///
    /// # Shapes
    /// - `h_g_init`, `c`: `[batch, graph_dim]`
    /// - `types`: `[batch]`
    /// - output: `[batch, node_dim]`
    pub fn new_node(&self, h_g_init: Tensor<2>, types: Tensor<1, Int>, c: Tensor<2>) -> Tensor<2> {
        let e = self.types.forward(types.unsqueeze_dim(1)).squeeze_dim(1);
        self.init_out.forward(relu(self.init_hidden.forward(Tensor::cat(vec![e, h_g_init, c], 1))))
    }

    /// Logits of an edge from every existing node to the new one, with the reference's pairing
    /// of rows (see the module docs).
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `h_v`: `[batch, node_dim]`
    /// - `h_g`, `c`: `[batch, graph_dim]`
    /// - output: `[batch, nodes]`
    pub fn edge_logits(&self, h: Tensor<3>, h_v: Tensor<2>, h_g: Tensor<2>, c: Tensor<2>) -> Tensor<2> {
        let [batch, nodes, node_dim] = h.dims();
        let device = h.device();
        let rows: Vec<i64> = (0..batch * nodes).map(|r| (r % batch) as i64).collect();
        let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [batch * nodes]), &device);
        let flat_h = h.reshape([batch * nodes, node_dim]);
        let flat_v = h_v.unsqueeze_dim::<3>(1).repeat_dim(1, nodes).reshape([batch * nodes, node_dim]);
        let features = Tensor::cat(vec![flat_h, flat_v, h_g.select(0, rows.clone()), c.select(0, rows)], 1);
        self.edge_out.forward(relu(self.edge_hidden.forward(features))).reshape([batch, nodes])
    }

    /// Edge logits with each graph's own graph vector and latent (the reference's computation
    /// for a batch of one; used for decoding).
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `h_v`: `[batch, node_dim]`
    /// - `h_g`, `c`: `[batch, graph_dim]`
    /// - output: `[batch, nodes]`
    pub fn edge_logits_per_graph(&self, h: Tensor<3>, h_v: Tensor<2>, h_g: Tensor<2>, c: Tensor<2>) -> Tensor<2> {
        let [batch, nodes, _] = h.dims();
        let repeat = |x: Tensor<2>| x.unsqueeze_dim::<3>(1).repeat_dim(1, nodes);
        let features = Tensor::cat(vec![h, repeat(h_v), repeat(h_g), repeat(c)], 2);
        self.edge_out.forward(relu(self.edge_hidden.forward(features))).reshape([batch, nodes])
    }

    /// The teacher-forced reconstruction loss of the reference.
    ///
    /// Step `k` predicts node `k + 1` of each target from the partial graph on nodes `0‥k`.
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    pub fn teacher_forced_loss(
        &self,
        c: Tensor<2>,
        targets: &DecoderTargets,
        config: &VsGaeConfig,
    ) -> ReconstructionLoss {
        let alpha = config.alpha;
        let cells = &targets.cells;
        let [batch, nodes] = cells.ops.dims();
        let device = c.device();
        let mut h = self.start(c.clone());
        let mut steps = Vec::with_capacity(nodes.saturating_sub(1));
        for (k, partial) in targets.partial.iter().enumerate() {
            let (updated, h_g, h_g_init) = self.propagate(h, partial);
            let types = cells.ops.clone().slice(s![.., k + 1..k + 2]);
            let log_probabilities = log_softmax(self.type_logits(h_g.clone(), c.clone()), 1);
            let type_loss = log_probabilities.gather(1, types.clone()).squeeze_dim::<1>(1).neg();
            let h_v = self.new_node(h_g_init, types.squeeze_dim(1), c.clone());
            let step_loss = if k == 0 {
                type_loss.mul_scalar(2.0 * (1.0 - alpha))
            } else {
                let logits = match config.edge_pairing() {
                    EdgePairing::Reference => self.edge_logits(updated.clone(), h_v.clone(), h_g, c.clone()),
                    EdgePairing::PerGraph => self.edge_logits_per_graph(updated.clone(), h_v.clone(), h_g, c.clone()),
                };
                let edges = cells.adjacency.clone().slice(s![.., 0..k + 1, k + 1..k + 2]).squeeze_dim::<2>(2);
                let losses = binary_cross_entropy_with_logits(logits, edges);
                let edge_loss = match config.edge_loss() {
                    EdgeLoss::Mean => losses.mean_dim(1),
                    EdgeLoss::Sum => losses.sum_dim(1),
                }
                .squeeze_dim::<1>(1);
                (type_loss.mul_scalar(1.0 - alpha) + edge_loss.mul_scalar(alpha)).mul_scalar(2.0)
            };
            steps.push(step_loss.unsqueeze_dim(1));
            h = Tensor::cat(vec![updated, h_v.unsqueeze_dim(1)], 1);
        }
        let per_step = if steps.is_empty() { Tensor::zeros([batch, 0], &device) } else { Tensor::cat(steps, 1) };
        let total = (per_step.clone() * targets.mask.clone()).sum_dim(1).mean();
        ReconstructionLoss { total, per_step }
    }
}

/// What teacher forcing needs of a batch of cells, built once on the host.
#[derive(Debug, Clone)]
pub struct DecoderTargets {
    /// The cells padded to the same node count with type 1 (the reference's padding) and no
    /// edges.
    pub cells: GraphBatch,
    /// Step `k`'s partial graphs on nodes `0‥k` (see [`DecoderTargets::new`]).
    pub partial: Vec<MessageOperator>,
    /// 1 where step `k` predicts a node of the cell, 0 past its end. Shape `[batch, steps]`.
    pub mask: Tensor<2>,
}

impl DecoderTargets {
    /// The targets of `cells`, with the partial graphs as the reference prepares them: each
    /// cell's induced subgraph while the cell has that many nodes, only the edge `0 → 1` once it
    /// has fewer.
    pub fn new(cells: GraphBatch) -> Self {
        let device = cells.adjacency.device();
        let (batch, steps) = (cells.len(), cells.nodes().saturating_sub(1));
        let partial = (1..=steps)
            .map(|size| {
                let edge = |b: usize, from: usize, to: usize| {
                    if size > cells.sizes[b] { (from, to) == (0, 1) } else { cells.has_edge(b, from, to) }
                };
                MessageOperator::new(batch, size, edge, &device)
            })
            .collect();
        let mask: Vec<f32> =
            cells.sizes.iter().flat_map(|&n| (0..steps).map(move |k| if k + 1 < n { 1.0 } else { 0.0 })).collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [batch, steps]), &device);
        Self { cells, partial, mask }
    }
}

/// `max(x, 0) − x·y + log(1 + e^{−|x|})`, element-wise (`BCEWithLogitsLoss(reduction='none')`).
///
/// # Shapes
/// - `logits`, `targets`: `[batch, n]`
/// - output: `[batch, n]`
pub fn binary_cross_entropy_with_logits(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<2> {
    relu(logits.clone()) - logits.clone() * targets + logits.abs().neg().exp().log1p()
}

/// The reference's `GNNDecoder.generator` names.
impl ReferenceParams for Decoder {
    fn load(self, weights: &mut StateDict, prefix: &str, device: &Device) -> Result<Self, ImportError> {
        let p = |name: &str| format!("{prefix}generator.{name}.");
        Ok(Self {
            layers: self
                .layers
                .into_iter()
                .enumerate()
                .map(|(k, layer)| layer.load(weights, &p(&format!("prop.NodeEmb.GNNLayers.{k}")), device))
                .collect::<Result<_, _>>()?,
            graph: self.graph.load(weights, &p("prop.GraphEmb"), device)?,
            graph_init: self.graph_init.load(weights, &p("prop.GraphEmb_init"), device)?,
            add_hidden: self.add_hidden.load(weights, &p("nodeAdd.f_an"), device)?,
            add_out: self.add_out.load(weights, &p("nodeAdd.f_an_2"), device)?,
            types: self.types.load(weights, &p("nodeInit.NodeInits"), device)?,
            init_hidden: self.init_hidden.load(weights, &p("nodeInit.f_init"), device)?,
            init_out: self.init_out.load(weights, &p("nodeInit.f_init_2"), device)?,
            start_hidden: self.start_hidden.load(weights, &p("nodeInit.f_start"), device)?,
            start_out: self.start_out.load(weights, &p("nodeInit.f_start_2"), device)?,
            edge_hidden: self.edge_hidden.load(weights, &p("nodes.f_s_1"), device)?,
            edge_out: self.edge_out.load(weights, &p("nodes.f_s_2"), device)?,
        })
    }

    fn save(&self, weights: &mut StateDict, prefix: &str) {
        let p = |name: &str| format!("{prefix}generator.{name}.");
        for (k, layer) in self.layers.iter().enumerate() {
            layer.save(weights, &p(&format!("prop.NodeEmb.GNNLayers.{k}")));
        }
        self.graph.save(weights, &p("prop.GraphEmb"));
        self.graph_init.save(weights, &p("prop.GraphEmb_init"));
        self.add_hidden.save(weights, &p("nodeAdd.f_an"));
        self.add_out.save(weights, &p("nodeAdd.f_an_2"));
        self.types.save(weights, &p("nodeInit.NodeInits"));
        self.init_hidden.save(weights, &p("nodeInit.f_init"));
        self.init_out.save(weights, &p("nodeInit.f_init_2"));
        self.start_hidden.save(weights, &p("nodeInit.f_start"));
        self.start_out.save(weights, &p("nodeInit.f_start_2"));
        self.edge_hidden.save(weights, &p("nodes.f_s_1"));
        self.edge_out.save(weights, &p("nodes.f_s_2"));
    }
}
