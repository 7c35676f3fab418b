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
//!
//! [`EdgeContext::Counts`] departs from the reference: the edge head also reads the partial
//! graph's counts ([`crate::model::edge_context`]) through a linear map added to its hidden
//! layer's pre-activation, initialised at zero.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, relu, sigmoid};
use burn::tensor::{Device, Int, Tensor, TensorData};
use nasbench::Cell;

use crate::config::{EdgeContext, EdgeLoss, EdgePairing, EncoderConfig, VsGaeConfig};
use crate::io::state_dict::{ImportError, NamedTensor, ReferenceParams, StateDict};
use crate::model::block_linear::{BlockProduct, InputBlock, forward_blocks};
use crate::model::edge_context::{self, ContextRows};
use crate::model::gru::GateBiasSums;
use crate::model::message_passing::{MessageOperator, MessagePassing, MessagePassingConfig};
use crate::model::readout::GatedSum;
use crate::node_types::INPUT_TYPE;

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
    /// The type scorer's second layer (`nodeAdd.f_an_2`).
    pub add_out: Linear,
    /// `nodeInit.NodeInits`: node type embedding.
    pub types: Embedding,
    /// `nodeInit.f_init`, `f_init_2`: `[e; h_G_init; c]` → the new node's state.
    pub init_hidden: Linear,
    /// The new node's state, second layer (`nodeInit.f_init_2`).
    pub init_out: Linear,
    /// `nodeInit.f_start`, `f_start_2`: `[e; c]` → the start node's state.
    pub start_hidden: Linear,
    /// The start node's state, second layer (`nodeInit.f_start_2`).
    pub start_out: Linear,
    /// `nodes.f_s_1`, `f_s_2`: `[h_j; h_v; h_G; c]` → edge logit `j → v`.
    pub edge_hidden: Linear,
    /// The edge scorer's second layer (`nodes.f_s_2`).
    pub edge_out: Linear,
    /// [`EdgeContext::Counts`]: the partial graph's counts → a term of `edge_hidden`'s
    /// pre-activation, without bias (`nodes.f_s_context`; the reference has none).
    pub edge_context: Option<Linear>,
}

/// The reconstruction loss of a batch.
#[derive(Debug, Clone)]
pub struct ReconstructionLoss {
    /// `mean_b Σ_k loss[b,k] · mask[b,k]`.
    pub total: Tensor<1>,
    /// Each step's node-type loss (negative log-likelihood), step-major. Shape `[steps·batch]`.
    type_losses: Tensor<1>,
    /// Each candidate edge's loss, step by step (see [`DecoderTargets`]). Shape `[edge rows]`.
    edge_losses: Tensor<1>,
    batch: usize,
    alpha: f64,
    edge_loss: EdgeLoss,
}

impl ReconstructionLoss {
    /// Every step's loss before masking, `2·((1 − α)·type + α·edge)` (the type loss alone, doubled
    /// with weight `1 − α`, at step 0, which has no edges). Computed only when asked for: the
    /// total does not need it.
    ///
    /// # Shapes
    /// - output: `[batch, steps]`
    pub fn per_step(&self) -> Tensor<2> {
        let batch = self.batch;
        let steps = self.type_losses.dims()[0] / batch.max(1);
        let device = self.total.device();
        if steps == 0 {
            return Tensor::zeros([batch, 0], &device);
        }
        let types = self.type_losses.clone().reshape([steps, batch]).transpose();
        let mut edges = vec![Tensor::<2>::zeros([batch, 1], &device)];
        let mut start = 0;
        for k in 1..steps {
            let block = self.edge_losses.clone().narrow(0, start, batch * (k + 1)).reshape([batch, k + 1]);
            start += batch * (k + 1);
            edges.push(match self.edge_loss {
                EdgeLoss::Mean => block.mean_dim(1),
                EdgeLoss::Sum => block.sum_dim(1),
            });
        }
        let edges = Tensor::cat(edges, 1);
        let first = types.clone().narrow(1, 0, 1).mul_scalar(2.0 * (1.0 - self.alpha));
        let rest = (types.narrow(1, 1, steps - 1).mul_scalar(1.0 - self.alpha)
            + edges.narrow(1, 1, steps - 1).mul_scalar(self.alpha))
        .mul_scalar(2.0);
        Tensor::cat(vec![first, rest], 1)
    }
    /// Each cell's worst teacher-forced decision: the largest loss among the node types and
    /// candidate edges of its steps (past its end, none), without autodiff. A decision the
    /// decoder gets wrong has a loss above ln 2 ([`crate::training::replay::WRONG_DECISION_LOSS`]).
    ///
    /// # Shapes
    /// - output: `[batch]`
    pub fn worst_decisions(&self, targets: &DecoderTargets) -> Tensor<1> {
        let batch = self.batch;
        let type_losses = self.type_losses.clone().inner();
        let edge_losses = self.edge_losses.clone().inner();
        let device = type_losses.device();
        let steps = type_losses.dims()[0] / batch.max(1);
        if steps == 0 || steps != targets.steps() {
            return Tensor::zeros([batch], &device);
        }
        // The losses are never negative, so a masked step's 0 leaves each maximum as it is.
        let mask = targets.step_mask(&device);
        let types = type_losses.reshape([steps, batch]).transpose();
        let mut worst = (types * mask.clone()).max_dim(1);
        let mut start = 0;
        for k in 1..steps {
            let block = edge_losses.clone().narrow(0, start, batch * (k + 1)).reshape([batch, k + 1]);
            start += batch * (k + 1);
            worst = worst.max_pair(block.max_dim(1) * mask.clone().narrow(1, k, 1));
        }
        worst.reshape([batch])
    }
}

impl Decoder {
    /// A decoder with Burn's default initialisation; the edge context's map, if any, at zero.
    pub fn init(config: &EncoderConfig, context: EdgeContext, device: &Device) -> Self {
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
            edge_context: match context {
                EdgeContext::None => None,
                EdgeContext::Counts => Some(
                    LinearConfig::new(edge_context::WIDTH, n + g)
                        .with_bias(false)
                        .with_initializer(Initializer::Zeros)
                        .init(device),
                ),
            },
        }
    }

    /// `edge_hidden`'s pre-activation with the edge context's term, where the decoder has one
    /// (`context` is called only then). The rows of `hidden`, flattened, are the context's rows.
    ///
    /// # Shapes
    /// - `hidden`: `[…, node_dim + graph_dim]`, as many rows as the context
    /// - output: as `hidden`
    fn with_edge_context<const D: usize>(&self, hidden: Tensor<D>, context: impl FnOnce() -> ContextRows) -> Tensor<D> {
        match &self.edge_context {
            Some(map) => {
                let shape = hidden.dims();
                let term = map.forward(context().tensor(&hidden.device()));
                hidden + term.reshape(shape)
            }
            None => hidden,
        }
    }

    /// The state of the start (input) node.
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    /// - output: `[batch, 1, node_dim]`
    pub fn start(&self, c: Tensor<2>) -> Tensor<3> {
        let batch = c.dims()[0];
        let device = c.device();
        let input = Tensor::<1, Int>::from_data(TensorData::new(vec![i64::from(INPUT_TYPE); batch], [batch]), &device);
        let features = vec![InputBlock::Selected { table: self.types.weight.val(), rows: input }, InputBlock::Rows(c)];
        let hidden = forward_blocks(&self.start_hidden, features, BlockProduct::for_device(&device));
        self.start_out.forward(relu(hidden)).unsqueeze_dim(1)
    }

    /// Message passing over the partial graph and its two graph vectors; `sums` holds each
    /// layer's GRU bias sums ([`Decoder::gate_bias_sums`]).
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `messages`: the partial graphs' operator, for `batch` graphs of `nodes` nodes
    /// - output: (`h` `[batch, nodes, node_dim]`, `h_G` and `h_G_init` `[batch, graph_dim]`)
    pub fn propagate(
        &self,
        h: Tensor<3>,
        messages: &MessageOperator,
        sums: &[GateBiasSums],
    ) -> (Tensor<3>, Tensor<2>, Tensor<2>) {
        let nodes = h.dims()[1];
        if nodes == 1 {
            let single = h.clone().squeeze_dim(1);
            return (h, self.graph.value.forward(single.clone()), self.graph_init.value.forward(single));
        }
        let h = self.message_rounds(h, messages, sums);
        (h.clone(), self.graph.forward_all(h.clone()), self.graph_init.forward_all(h))
    }

    /// Every round of message passing over the partial graph, without the graph vectors.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - output: `[batch, nodes, node_dim]`
    fn message_rounds(&self, h: Tensor<3>, messages: &MessageOperator, sums: &[GateBiasSums]) -> Tensor<3> {
        self.layers.iter().zip(sums).fold(h, |h, (layer, sums)| layer.forward_with(h, messages, sums))
    }

    /// Each message-passing layer's GRU bias sums, formed once for every step of a decoding.
    pub fn gate_bias_sums(&self) -> Vec<GateBiasSums> {
        self.layers.iter().map(|layer| layer.update.gate_bias_sums()).collect()
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
        let device = c.device();
        let features = vec![
            InputBlock::Selected { table: self.types.weight.val(), rows: types },
            InputBlock::Rows(h_g_init),
            InputBlock::Rows(c),
        ];
        self.init_out.forward(relu(forward_blocks(&self.init_hidden, features, BlockProduct::for_device(&device))))
    }

    /// Edge logits with each graph's own graph vector and latent (the reference's computation
    /// for a batch of one; used for decoding). `context` gives the edge context's rows, row
    /// `b·nodes + j` for candidate `j` of graph `b`; it is called only where the decoder has an
    /// edge context.
    ///
    /// # Shapes
    /// - `h`: `[batch, nodes, node_dim]`
    /// - `h_v`: `[batch, node_dim]`
    /// - `h_g`, `c`: `[batch, graph_dim]`
    /// - output: `[batch, nodes]`
    pub fn edge_logits_per_graph(
        &self,
        h: Tensor<3>,
        h_v: Tensor<2>,
        h_g: Tensor<2>,
        c: Tensor<2>,
        context: impl FnOnce() -> ContextRows,
    ) -> Tensor<2> {
        let [batch, nodes, _] = h.dims();
        let repeat = |x: Tensor<2>| x.unsqueeze_dim::<3>(1).repeat_dim(1, nodes);
        let features = Tensor::cat(vec![h, repeat(h_v), repeat(h_g), repeat(c)], 2);
        let hidden = self.with_edge_context(self.edge_hidden.forward(features), context);
        self.edge_out.forward(relu(hidden)).reshape([batch, nodes])
    }

    /// The teacher-forced reconstruction loss of the reference.
    ///
    /// Step `k` predicts node `k + 1` of each target from the partial graph on nodes `0‥k`. The
    /// steps run one after the other only as far as they feed each other (message passing, the
    /// graph vectors and the new node's state); the node-type and edge heads, which feed nothing
    /// back, then run once over every step's rows together, and their losses are summed with
    /// host-made weights (the masks, `α` and the edge losses' mean or sum). The same sums as the
    /// reference's step-by-step loss, in another order.
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    pub fn teacher_forced_loss(
        &self,
        c: Tensor<2>,
        targets: &DecoderTargets,
        config: &VsGaeConfig,
    ) -> ReconstructionLoss {
        let batch = targets.batch;
        let steps = targets.partial.len();
        let device = c.device();
        let (alpha, edge_loss) = (config.alpha, config.edge_loss());
        if steps == 0 {
            let zero = Tensor::<1>::zeros([1], &device);
            let empty = Tensor::<1>::zeros([0], &device);
            return ReconstructionLoss {
                total: zero,
                type_losses: empty.clone(),
                edge_losses: empty,
                batch,
                alpha,
                edge_loss,
            };
        }
        let sums = self.gate_bias_sums();
        let mut h = self.start(c.clone());
        let (mut first_graph_vector, mut new_nodes, mut candidates) = (None, Vec::new(), Vec::new());
        for (k, partial) in targets.partial.iter().enumerate() {
            // The graph vector for the heads is read out below, over every step at once.
            let (updated, h_g_init) = if k == 0 {
                let (updated, h_g, h_g_init) = self.propagate(h, partial, &sums);
                first_graph_vector = Some(h_g);
                (updated, h_g_init)
            } else {
                let updated = self.message_rounds(h, partial, &sums);
                let h_g_init = self.graph_init.forward_all(updated.clone());
                candidates.push(updated.clone().reshape([batch * (k + 1), self.node_dim()]));
                (updated, h_g_init)
            };
            let types = targets.step_types.clone().narrow(0, k * batch, batch).squeeze_dim(1);
            let h_v = self.new_node(h_g_init, types, c.clone());
            new_nodes.push(h_v.clone());
            h = Tensor::cat(vec![updated, h_v.unsqueeze_dim(1)], 1);
        }
        let candidates = (!candidates.is_empty()).then(|| Tensor::cat(candidates, 0));
        // The graph vectors of steps k ≥ 1: every candidate row gated at once, then summed over
        // each step's graphs (rows `b·(k + 1) + j` of step k's block).
        let mut graph_vectors: Vec<Tensor<2>> = first_graph_vector.into_iter().collect();
        if let Some(candidates) = &candidates {
            let gated =
                self.graph.value.forward(candidates.clone()) * sigmoid(self.graph.gate.forward(candidates.clone()));
            let width = gated.dims()[1];
            let mut start = 0;
            for k in 1..steps {
                let rows = batch * (k + 1);
                let block = gated.clone().narrow(0, start, rows).reshape([batch, k + 1, width]);
                graph_vectors.push(block.sum_dim(1).reshape([batch, width]));
                start += rows;
            }
        }
        // Node types: every step's rows `k·batch + b` at once.
        let graph_vectors = Tensor::cat(graph_vectors, 0);
        let latents = c.clone().repeat_dim(0, steps);
        let log_probabilities = log_softmax(self.type_logits(graph_vectors.clone(), latents), 1);
        let type_losses = log_probabilities.gather(1, targets.step_types.clone()).squeeze_dim::<1>(1).neg();
        let type_weights = targets.type_weights(alpha, &device);
        let mut total = (type_losses.clone() * type_weights).sum();
        // Edges: every candidate of every step at once (step k ≥ 1 has k + 1 candidates).
        let edge_losses = if let Some(candidates) = candidates {
            let rows = targets.edge_rows.of(config.edge_pairing(), &device);
            // Each step's new node, graph vector and latent repeat over its candidates.
            let features = vec![
                InputBlock::Rows(candidates),
                InputBlock::Selected { table: Tensor::cat(new_nodes, 0), rows: rows.new_node },
                InputBlock::Selected { table: graph_vectors, rows: rows.graph },
                InputBlock::Selected { table: c, rows: rows.latent },
            ];
            let hidden = forward_blocks(&self.edge_hidden, features, BlockProduct::for_device(&device));
            let hidden = self.with_edge_context(hidden, || targets.edge_context.clone());
            let logits = self.edge_out.forward(relu(hidden)).squeeze_dim::<1>(1);
            let losses = binary_cross_entropy_with_logits_1d(logits, targets.edge_labels.clone());
            total = total + (losses.clone() * targets.edge_weights(alpha, edge_loss, &device)).sum();
            losses
        } else {
            Tensor::zeros([0], &device)
        };
        ReconstructionLoss { total, type_losses, edge_losses, batch, alpha, edge_loss }
    }

    /// Adds the edge context's map at zero to `weights` (the reference's names under `prefix`)
    /// where `context` has one and `weights`, a decoder trained without it, lacks it: the decoder
    /// then computes what the one without it did.
    pub fn add_absent_context(weights: &mut StateDict, prefix: &str, config: &EncoderConfig, context: EdgeContext) {
        if context == EdgeContext::None {
            return;
        }
        let rows = config.node_dim + config.graph_dim;
        let name = format!("{prefix}generator.{}.weight", edge_context::PARAMETER);
        weights.tensors.entry(name).or_insert_with(|| NamedTensor {
            shape: vec![rows, edge_context::WIDTH],
            values: vec![0.0; rows * edge_context::WIDTH],
        });
    }

    /// Width of the node states.
    fn node_dim(&self) -> usize {
        self.init_out.weight.dims()[1]
    }
}

/// What teacher forcing needs of a batch of cells, built once on the host.
///
/// The edge head scores, at step `k ≥ 1`, an edge from each node `j ≤ k` of the partial graph of
/// each cell `b` to the new node `k + 1`: the *edge rows*, step by step, and in step `k` in the
/// order `b·(k + 1) + j` (the reference's flattening of `[batch, k + 1]`).
#[derive(Debug, Clone)]
pub struct DecoderTargets {
    /// Cells in the batch.
    batch: usize,
    /// Step `k`'s partial graphs on nodes `0‥k` (see [`DecoderTargets::new`]).
    partial: Vec<MessageOperator>,
    /// The type of node `k + 1` of cell `b` at row `k·batch + b` (the padding type past the
    /// cell's end). Shape `[steps·batch, 1]`.
    step_types: Tensor<2, Int>,
    /// Whether each edge row's edge is in the cell. Shape `[edge rows]`.
    edge_labels: Tensor<1>,
    /// Which rows of the stacked step tensors each edge row reads.
    edge_rows: EdgeRows,
    /// Each edge row's context ([`crate::model::edge_context`]): its step's partial graph's
    /// counts and whether its candidate has a successor there.
    edge_context: ContextRows,
    /// 1 where step `k` predicts a node of cell `b` (at `b·steps + k`), 0 past its end.
    mask: Vec<f32>,
}

/// For each edge row (see [`DecoderTargets`]), the row it reads of each stacked input.
#[derive(Debug, Clone, Default)]
struct EdgeRows {
    /// Of the new nodes (and of the graph vectors, pairing each graph with its own), stacked
    /// step by step: `k·batch + b` at step `k`.
    new_node: Vec<i64>,
    /// Of the latents: `b`.
    latent: Vec<i64>,
    /// Of the graph vectors with the reference's pairing: `k·batch + (b·(k + 1) + j) mod batch`.
    reference_graph: Vec<i64>,
    /// Of the latents with the reference's pairing: `(b·(k + 1) + j) mod batch`.
    reference_latent: Vec<i64>,
}

/// The rows the edge head reads, for one pairing, on a device.
struct PairedRows {
    new_node: Tensor<1, Int>,
    graph: Tensor<1, Int>,
    latent: Tensor<1, Int>,
}

impl EdgeRows {
    /// The rows of `pairing` (uploaded).
    fn of(&self, pairing: EdgePairing, device: &Device) -> PairedRows {
        let upload = |rows: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(rows.to_vec(), [rows.len()]), device);
        let new_node = upload(&self.new_node);
        match pairing {
            EdgePairing::Reference => {
                PairedRows { graph: upload(&self.reference_graph), latent: upload(&self.reference_latent), new_node }
            }
            EdgePairing::PerGraph => PairedRows { graph: new_node.clone(), latent: upload(&self.latent), new_node },
        }
    }
}

impl DecoderTargets {
    /// The targets of `cells`, each padded to `nodes` nodes of `padding_type` (the reference pads
    /// with the input's type) without edges, with the partial graphs as the reference prepares
    /// them: each cell's induced subgraph while the cell has that many nodes, only the edge
    /// `0 → 1` once it has fewer.
    pub fn new(cells: &[&Cell], nodes: usize, padding_type: i64, device: &Device) -> Self {
        let (batch, steps) = (cells.len(), nodes.saturating_sub(1));
        let sizes: Vec<usize> = cells.iter().map(|c| c.n_vertices()).collect();
        let mut adjacency = vec![false; batch * nodes * nodes];
        let mut types = vec![padding_type; batch * nodes];
        for (b, cell) in cells.iter().enumerate() {
            for (v, code) in cell.node_atts().into_iter().enumerate().take(nodes) {
                types[b * nodes + v] = i64::from(code);
            }
            for (from, to) in cell.edges().filter(|&(f, t)| f < nodes && t < nodes) {
                adjacency[(b * nodes + from) * nodes + to] = true;
            }
        }
        let has_edge = |b: usize, from: usize, to: usize| adjacency[(b * nodes + from) * nodes + to];
        // The partial graph of `size` nodes of cell `b`.
        let partial_edge = |size: usize, b: usize, from: usize, to: usize| {
            if size > sizes[b] { (from, to) == (0, 1) } else { has_edge(b, from, to) }
        };
        let partial = (1..=steps)
            .map(|size| MessageOperator::new(batch, size, |b, from, to| partial_edge(size, b, from, to), device))
            .collect();
        let mask: Vec<f32> =
            sizes.iter().flat_map(|&n| (0..steps).map(move |k| if k + 1 < n { 1.0 } else { 0.0 })).collect();
        let step_types: Vec<i64> =
            (0..steps).flat_map(|k| (0..batch).map(move |b| b * nodes + k + 1)).map(|i| types[i]).collect();
        let (mut labels, mut rows, mut context) = (Vec::new(), EdgeRows::default(), ContextRows::default());
        for k in 1..steps {
            // Step k's partial graph has nodes 0‥k.
            let size = k + 1;
            for b in 0..batch {
                context.push_graph(size, |from, to| partial_edge(size, b, from, to));
                for j in 0..=k {
                    let row = b * (k + 1) + j;
                    labels.push(f32::from(u8::from(has_edge(b, j, k + 1))));
                    rows.new_node.push((k * batch + b) as i64);
                    rows.latent.push(b as i64);
                    rows.reference_graph.push((k * batch + row % batch) as i64);
                    rows.reference_latent.push((row % batch) as i64);
                }
            }
        }
        let edge_rows = labels.len();
        Self {
            batch,
            partial,
            step_types: Tensor::from_data(TensorData::new(step_types, [steps * batch, 1]), device),
            edge_labels: Tensor::from_data(TensorData::new(labels, [edge_rows]), device),
            edge_rows: rows,
            edge_context: context,
            mask,
        }
    }

    /// Steps of teacher forcing.
    fn steps(&self) -> usize {
        self.partial.len()
    }

    /// 1 where step `k` predicts a node of cell `b`, 0 past its end.
    ///
    /// # Shapes
    /// - output: `[batch, steps]`
    fn step_mask(&self, device: &Device) -> Tensor<2> {
        Tensor::from_data(TensorData::new(self.mask.clone(), [self.batch, self.steps()]), device)
    }

    /// The weight of each node-type loss in the batch's loss, step-major: `mean_b` of the
    /// masked steps, `2·(1 − α)`. Shape `[steps·batch]`.
    fn type_weights(&self, alpha: f64, device: &Device) -> Tensor<1> {
        let (batch, steps) = (self.batch, self.steps());
        let scale = 2.0 * (1.0 - alpha) / batch.max(1) as f64;
        let weights: Vec<f32> = (0..steps)
            .flat_map(|k| (0..batch).map(move |b| (k, b)))
            .map(|(k, b)| (f64::from(self.mask[b * steps + k]) * scale) as f32)
            .collect();
        Tensor::from_data(TensorData::new(weights, [steps * batch]), device)
    }

    /// The weight of each edge row's loss in the batch's loss: `mean_b` of the masked steps,
    /// `2·α`, over the step's candidates where their mean is taken. Shape `[edge rows]`.
    fn edge_weights(&self, alpha: f64, edge_loss: EdgeLoss, device: &Device) -> Tensor<1> {
        let (batch, steps) = (self.batch, self.steps());
        let scale = 2.0 * alpha / batch.max(1) as f64;
        let mut weights = Vec::new();
        for k in 1..steps {
            let per_candidate = match edge_loss {
                EdgeLoss::Mean => scale / (k + 1) as f64,
                EdgeLoss::Sum => scale,
            };
            for b in 0..batch {
                let weight = (f64::from(self.mask[b * steps + k]) * per_candidate) as f32;
                weights.extend(std::iter::repeat_n(weight, k + 1));
            }
        }
        let rows = weights.len();
        Tensor::from_data(TensorData::new(weights, [rows]), device)
    }
}

/// `max(x, 0) − x·y + log(1 + e^{−|x|})`, element-wise (`BCEWithLogitsLoss(reduction='none')`).
///
/// # Shapes
/// - `logits`, `targets`, output: `[rows]`
pub fn binary_cross_entropy_with_logits_1d(logits: Tensor<1>, targets: Tensor<1>) -> Tensor<1> {
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
            edge_context: match self.edge_context {
                Some(map) => Some(map.load(weights, &p(edge_context::PARAMETER), device)?),
                None => None,
            },
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
        if let Some(map) = &self.edge_context {
            map.save(weights, &p(edge_context::PARAMETER));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::config::{EncoderConfig, VsGaeConfig};
    use crate::model::vae::VsGae;
    use crate::readback::floats;

    /// Each cell's worst decision, found on the host from every decision's loss.
    #[test]
    fn the_worst_decision_is_each_cells_largest_loss_within_its_steps() {
        let device = Device::flex().autodiff();
        let config = VsGaeConfig::new(EncoderConfig::new().with_node_dim(16).with_graph_dim(6));
        let model = crate::model::initialization::seeded(|d| config.init(d), &device, 3).unwrap();
        // Cells of 2 to 7 vertices: their steps end at different places.
        let cells: Vec<Cell> = [2, 3, 5, 7]
            .into_iter()
            .flat_map(|n| nasbench::space::enumerate_vertices(n).into_iter().step_by(97).take(2))
            .map(|c| c.cell)
            .collect();
        let refs: Vec<&Cell> = cells.iter().collect();
        let batch = crate::model::batch::GraphBatch::at_least(&refs, 7, &device);
        let targets = VsGae::targets(&refs, &device);
        let loss = model.loss(&batch, &targets, crate::model::vae::Latent::Mean, &config);
        let worst = floats(loss.reconstruction.worst_decisions(&targets)).unwrap();
        let types = floats(loss.reconstruction.type_losses.clone()).unwrap();
        let edges = floats(loss.reconstruction.edge_losses.clone()).unwrap();
        let (n, steps) = (cells.len(), targets.steps());
        let mut start = 0;
        let mut expected = vec![0.0f32; n];
        for k in 0..steps {
            for (b, cell) in cells.iter().enumerate() {
                if k + 1 < cell.n_vertices() {
                    expected[b] = expected[b].max(types[k * n + b]);
                    if k > 0 {
                        let row = start + b * (k + 1);
                        expected[b] = edges[row..row + k + 1].iter().fold(expected[b], |m, &l| m.max(l));
                    }
                }
            }
            if k > 0 {
                start += n * (k + 1);
            }
        }
        assert_eq!(worst.len(), n);
        for (b, (got, want)) in worst.iter().zip(&expected).enumerate() {
            assert!(*want > 0.0 && (got - want).abs() < 1e-6, "cell {b}: {got} against {want}");
        }
    }
}
