//! Decoding latent points into graphs, a batch of points at a time.
//!
//! Each step samples the new node's type from the type logits and each edge from its logit, as
//! the reference's `Generator.inference` does. The reference decodes one point at a time; here a
//! whole batch is decoded at once with each graph's own graph vector and latent in its edge
//! scores, which is what the reference computes for a batch of one. A graph ends when it samples
//! the output type (0) and then leaves the batch, so the work shrinks as graphs finish; a graph
//! that reaches `max_nodes` nodes without one ends unfinished.
//!
//! [`Decoding::masked`] decodes under NAS-Bench-101's rules ([`CellRules`]): the choices that
//! would break them are masked, so every graph is a valid cell. The unmasked decoder is the
//! reference's, and it is what measures the model.

use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Int, Tensor, TensorData};
use nasbench::{Cell, CellError};
use rand::Rng;

use crate::model::cell_rules::CellRules;
use crate::model::decoder::Decoder;
use crate::model::edge_context::ContextRows;
use crate::model::message_passing::MessageOperator;
use crate::node_types::{INPUT_TYPE, OUTPUT_TYPE};
use crate::readback::{ReadbackError, block_on, floats_async};

/// One decoded graph in node order: node 0 is the start (input) node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct DecodedGraph {
    /// The reference's type codes, node by node.
    pub types: Vec<u8>,
    /// Edges `(from, to)`, `from < to`.
    pub edges: Vec<(usize, usize)>,
    /// Whether the graph sampled the output type before `max_nodes`.
    pub finished: bool,
}

impl DecodedGraph {
    /// The reference's `is_valid_DAG(START_TYPE=1, END_TYPE=0)` on a finished graph.
    pub fn is_valid(&self) -> bool {
        let n = self.types.len();
        let inputs = self.types.iter().filter(|&&t| t == INPUT_TYPE).count();
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
            && (0..n)
                .all(|v| (has_in[v] || self.types[v] == INPUT_TYPE) && (has_out[v] || self.types[v] == OUTPUT_TYPE))
    }

    /// The graph as a NAS-Bench-101 cell, or the first of the cell's rules it breaks (an
    /// unfinished graph ends in an operation, so it breaks the output's place or the vertex
    /// count).
    pub fn cell(&self) -> Result<Cell, CellError> {
        let atts: Vec<i64> = self.types.iter().map(|&t| i64::from(t)).collect();
        let edges: Vec<(i64, i64)> = self.edges.iter().map(|&(f, t)| (f as i64, t as i64)).collect();
        Cell::from_node_atts(&atts, &edges)
    }

    /// The graph as a NAS-Bench-101 cell, where it is one.
    pub fn to_cell(&self) -> Option<Cell> {
        self.cell().ok()
    }

    /// Whether this is exactly `cell` in node order (types and predecessor sets).
    pub fn same_as(&self, cell: &Cell) -> bool {
        let mut edges = self.edges.clone();
        edges.sort_unstable();
        self.types == cell.node_atts() && edges == cell.edges().collect::<Vec<_>>()
    }
}

/// How a decoding step picks the new node's type and its edges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DecodeMode {
    /// Draw both from their probabilities (the reference's `Generator.inference`).
    #[default]
    Sample,
    /// The most likely: the type of highest probability, every edge of probability above ½.
    Greedy,
}

impl DecodeMode {
    fn pick_type(self, probabilities: &[f32], rng: &mut impl Rng) -> u8 {
        match self {
            Self::Sample => sample_categorical(probabilities, rng),
            Self::Greedy => {
                probabilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i as u8)
            }
        }
    }

    fn keep_edge(self, probability: f32, rng: &mut impl Rng) -> bool {
        match self {
            Self::Sample => rng.random::<f32>() < probability,
            Self::Greedy => probability > 0.5,
        }
    }
}

/// How to decode: the choice at each step, and whether NAS-Bench-101's rules mask it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Decoding {
    /// How each type and edge is picked.
    pub mode: DecodeMode,
    /// Whether choices that would break NAS-Bench-101's rules are masked ([`CellRules`]).
    pub masked: bool,
}

impl Decoding {
    /// `mode` under NAS-Bench-101's rules.
    pub fn masked(mode: DecodeMode) -> Self {
        Self { mode, masked: true }
    }
}

impl From<DecodeMode> for Decoding {
    fn from(mode: DecodeMode) -> Self {
        Self { mode, masked: false }
    }
}

/// Latent points below which decoding stays on one thread.
const ROWS_PER_THREAD: usize = 16;

fn sample_categorical(probabilities: &[f32], rng: &mut impl Rng) -> u8 {
    let draw: f32 = rng.random();
    let mut total = 0.0;
    for (i, p) in probabilities.iter().enumerate() {
        total += p;
        if draw < total {
            return i as u8;
        }
    }
    (probabilities.len().saturating_sub(1)) as u8
}

impl Decoder {
    /// Decodes every latent point once, blocking on each readback. On Burn's CPU backend the
    /// points are split over the cores, each part drawing from its own generator seeded from
    /// `rng` (so sampled graphs depend on the thread count; greedy ones do not).
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    pub fn decode(
        &self,
        c: Tensor<2>,
        max_nodes: usize,
        decoding: impl Into<Decoding>,
        rng: &mut impl Rng,
    ) -> Result<Vec<DecodedGraph>, ReadbackError> {
        let decoding = decoding.into();
        let rows = c.dims()[0];
        let threads = crate::parallel::host_threads(&c.device()).min(rows / ROWS_PER_THREAD).max(1);
        if threads == 1 {
            return block_on(self.decode_async(c, max_nodes, decoding, rng));
        }
        // Contiguous shards by the one shard rule; every shard starts inside `rows`.
        let shard = crate::parallel::shard_len(rows, threads);
        let jobs: Vec<_> = (0..rows)
            .step_by(shard)
            .map(|start| (c.clone().narrow(0, start, shard.min(rows - start)), self.clone(), rng.random::<u64>()))
            .collect();
        let parts = crate::parallel::on_threads(
            jobs,
            |(part, decoder, seed)| {
                block_on(decoder.decode_async(part, max_nodes, decoding, &mut nasbench::split::rng(seed)))
            },
            |panic| ReadbackError(format!("a decoding thread panicked: {panic}")),
        );
        let mut graphs = Vec::with_capacity(rows);
        for part in parts {
            graphs.extend(part?);
        }
        Ok(graphs)
    }

    /// [`Decoder::decode`] with asynchronous readback (the form a browser needs).
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    pub async fn decode_async(
        &self,
        c: Tensor<2>,
        max_nodes: usize,
        decoding: impl Into<Decoding>,
        rng: &mut impl Rng,
    ) -> Result<Vec<DecodedGraph>, ReadbackError> {
        let Decoding { mode, masked } = decoding.into();
        let [batch, _] = c.dims();
        let device = c.device();
        let capacity = max_nodes.max(2);
        let mut graphs: Vec<DecodedGraph> =
            (0..batch).map(|_| DecodedGraph { types: vec![1], edges: Vec::new(), finished: false }).collect();
        let mut adjacency = vec![false; batch * capacity * capacity];
        let mut rules: Vec<CellRules> = if masked { vec![CellRules::new(); batch] } else { Vec::new() };
        let mut c = c;
        let sums = self.gate_bias_sums();
        let mut h = self.start(c.clone());
        // The graphs still growing, one row each; finished graphs leave the batch.
        let mut active: Vec<usize> = (0..batch).collect();
        let mut nodes = 1;
        while nodes < capacity && !active.is_empty() {
            let rows = active.len();
            let edge = |row: usize, from: usize, to: usize| {
                adjacency[active[row] * capacity * capacity + from * capacity + to]
            };
            let partial = MessageOperator::new(rows, nodes, edge, &device);
            let (updated, h_g, h_g_init) = self.propagate(h, &partial, &sums);
            let mut probabilities = floats_async(softmax(self.type_logits(h_g.clone(), c.clone()), 1)).await?;
            let per_row = probabilities.len() / rows;
            if masked {
                for (row, p) in probabilities.chunks_mut(per_row).enumerate() {
                    rules[active[row]].mask_types(p);
                }
            }
            let types: Vec<u8> = probabilities.chunks(per_row).map(|p| mode.pick_type(p, rng)).collect();
            let type_tensor = Tensor::<1, Int>::from_data(
                TensorData::new(types.iter().map(|&t| i64::from(t)).collect::<Vec<_>>(), [rows]),
                &device,
            );
            let h_v = self.new_node(h_g_init, type_tensor, c.clone());
            let edge_probabilities = if nodes == 1 {
                vec![1.0; rows]
            } else {
                let context = || {
                    let mut context = ContextRows::with_capacity(rows * nodes);
                    for &g in &active {
                        context.push_graph(nodes, |from, to| adjacency[g * capacity * capacity + from * capacity + to]);
                    }
                    context
                };
                let logits = self.edge_logits_per_graph(updated.clone(), h_v.clone(), h_g, c.clone(), context);
                floats_async(sigmoid(logits)).await?
            };
            for (row, &g) in active.iter().enumerate() {
                let candidates = &edge_probabilities[row * nodes..(row + 1) * nodes];
                let wanted: Vec<bool> = candidates.iter().map(|&p| mode.keep_edge(p, rng)).collect();
                let predecessors: Vec<usize> = if masked {
                    rules[g].predecessors(types[row], &wanted, candidates)
                } else {
                    (0..nodes).filter(|&from| wanted[from]).collect()
                };
                for from in predecessors {
                    adjacency[g * capacity * capacity + from * capacity + nodes] = true;
                    graphs[g].edges.push((from, nodes));
                }
                graphs[g].types.push(types[row]);
                graphs[g].finished = types[row] == OUTPUT_TYPE;
            }
            h = Tensor::cat(vec![updated, h_v.unsqueeze_dim(1)], 1);
            let kept: Vec<usize> = (0..rows).filter(|&row| !graphs[active[row]].finished).collect();
            if kept.is_empty() {
                break;
            }
            if kept.len() < rows {
                let index = Tensor::<1, Int>::from_data(
                    TensorData::new(kept.iter().map(|&r| r as i64).collect::<Vec<_>>(), [kept.len()]),
                    &device,
                );
                h = h.select(0, index.clone());
                c = c.select(0, index);
                active = kept.iter().map(|&row| active[row]).collect();
            }
            nodes += 1;
        }
        Ok(graphs)
    }
}
