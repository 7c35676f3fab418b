//! Decoding latent points into graphs, a batch of points at a time.
//!
//! Each step samples the new node's type from the type logits and each edge from its logit, as
//! the reference's `Generator.inference` does. The reference decodes one point at a time; here a
//! whole batch is decoded at once with each graph's own graph vector and latent in its edge
//! scores, which is what the reference computes for a batch of one. A graph ends when it samples
//! the output type (0) and then leaves the batch, so the work shrinks as graphs finish; a graph
//! that reaches `max_nodes` nodes without one ends unfinished.

use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Int, Tensor, TensorData};
use rand::Rng;

use crate::model::decoder::Decoder;
use crate::model::message_passing::MessageOperator;
use crate::readback::{ReadbackError, block_on, floats_async};

/// The type code that ends a graph.
pub const OUTPUT_TYPE: u8 = 0;

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
        mode: DecodeMode,
        rng: &mut impl Rng,
    ) -> Result<Vec<DecodedGraph>, ReadbackError> {
        let rows = c.dims()[0];
        let threads = crate::parallel::host_threads(&c.device()).min(rows / ROWS_PER_THREAD).max(1);
        if threads == 1 {
            return block_on(self.decode_async(c, max_nodes, mode, rng));
        }
        let per_thread = rows.div_ceil(threads);
        let seeds: Vec<u64> = (0..threads).map(|_| rng.random()).collect();
        let jobs: Vec<_> = seeds
            .iter()
            .enumerate()
            .map(|(k, &seed)| {
                let start = k * per_thread;
                (c.clone().narrow(0, start, per_thread.min(rows - start)), self.clone(), seed)
            })
            .collect();
        let parts = crate::parallel::on_threads(
            jobs,
            |(part, decoder, seed)| {
                block_on(decoder.decode_async(part, max_nodes, mode, &mut nasbench::split::rng(seed)))
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
        mode: DecodeMode,
        rng: &mut impl Rng,
    ) -> Result<Vec<DecodedGraph>, ReadbackError> {
        let [batch, _] = c.dims();
        let device = c.device();
        let capacity = max_nodes.max(2);
        let mut graphs: Vec<DecodedGraph> =
            (0..batch).map(|_| DecodedGraph { types: vec![1], edges: Vec::new(), finished: false }).collect();
        let mut adjacency = vec![false; batch * capacity * capacity];
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
            let probabilities = floats_async(softmax(self.type_logits(h_g.clone(), c.clone()), 1)).await?;
            let types: Vec<u8> =
                probabilities.chunks(probabilities.len() / rows).map(|p| mode.pick_type(p, rng)).collect();
            let type_tensor = Tensor::<1, Int>::from_data(
                TensorData::new(types.iter().map(|&t| i64::from(t)).collect::<Vec<_>>(), [rows]),
                &device,
            );
            let h_v = self.new_node(h_g_init, type_tensor, c.clone());
            let edge_probabilities = if nodes == 1 {
                vec![1.0; rows]
            } else {
                floats_async(sigmoid(self.edge_logits_per_graph(updated.clone(), h_v.clone(), h_g, c.clone()))).await?
            };
            for (row, &g) in active.iter().enumerate() {
                for from in 0..nodes {
                    if mode.keep_edge(edge_probabilities[row * nodes + from], rng) {
                        adjacency[g * capacity * capacity + from * capacity + nodes] = true;
                        graphs[g].edges.push((from, nodes));
                    }
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
