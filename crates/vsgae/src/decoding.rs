//! Decoding latent points into graphs, a batch of points at a time.
//!
//! Each step samples the new node's type from the type logits and each edge from its logit, as
//! the reference's `Generator.inference` does. The reference decodes one point at a time; here a
//! whole batch is decoded at once with each graph's own graph vector and latent in its edge
//! scores, which is what the reference computes for a batch of one. A graph ends when it samples
//! the output type (0); a graph that reaches `max_nodes` nodes without one ends unfinished.

use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Int, Tensor, TensorData};
use rand::Rng;

use crate::decoder::Decoder;

/// The type code that ends a graph.
pub const OUTPUT_TYPE: u8 = 0;

/// One decoded graph in node order: node 0 is the start (input) node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DecodedGraph {
    /// The reference's type codes, node by node.
    pub types: Vec<u8>,
    /// Edges `(from, to)`, `from < to`.
    pub edges: Vec<(usize, usize)>,
    /// Whether the graph sampled the output type before `max_nodes`.
    pub finished: bool,
}

fn host(tensor: Tensor<2>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
}

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
    /// Decodes every latent point once.
    ///
    /// # Shapes
    /// - `c`: `[batch, graph_dim]`
    pub fn decode(&self, c: Tensor<2>, max_nodes: usize, rng: &mut impl Rng) -> Vec<DecodedGraph> {
        let [batch, _] = c.dims();
        let device = c.device();
        let capacity = max_nodes.max(2);
        let mut graphs: Vec<DecodedGraph> =
            (0..batch).map(|_| DecodedGraph { types: vec![1], edges: Vec::new(), finished: false }).collect();
        let mut adjacency = vec![0f32; batch * capacity * capacity];
        let mut h = self.start(c.clone());
        let mut nodes = 1;
        while nodes < capacity && graphs.iter().any(|g| !g.finished) {
            let dense: Vec<f32> = (0..batch)
                .flat_map(|b| {
                    let base = b * capacity * capacity;
                    let adjacency = &adjacency;
                    (0..nodes).flat_map(move |i| (0..nodes).map(move |j| adjacency[base + i * capacity + j]))
                })
                .collect();
            let partial = Tensor::<3>::from_data(TensorData::new(dense, [batch, nodes, nodes]), &device);
            let (updated, h_g, h_g_init) = self.propagate(h, partial);
            let probabilities = host(softmax(self.type_logits(h_g.clone(), c.clone()), 1));
            let types: Vec<u8> =
                probabilities.chunks(probabilities.len() / batch.max(1)).map(|p| sample_categorical(p, rng)).collect();
            let type_tensor = Tensor::<1, Int>::from_data(
                TensorData::new(types.iter().map(|&t| i64::from(t)).collect::<Vec<_>>(), [batch]),
                &device,
            );
            let h_v = self.new_node(h_g_init, type_tensor, c.clone());
            let edge_probabilities = if nodes == 1 {
                vec![1.0; batch]
            } else {
                host(sigmoid(self.edge_logits_per_graph(updated.clone(), h_v.clone(), h_g, c.clone())))
            };
            for (b, graph) in graphs.iter_mut().enumerate() {
                for from in 0..nodes {
                    let p = edge_probabilities[b * nodes + from];
                    if rng.random::<f32>() < p {
                        adjacency[b * capacity * capacity + from * capacity + nodes] = 1.0;
                        if !graph.finished {
                            graph.edges.push((from, nodes));
                        }
                    }
                }
                if !graph.finished {
                    graph.types.push(types[b]);
                    graph.finished = types[b] == OUTPUT_TYPE;
                }
            }
            h = Tensor::cat(vec![updated, h_v.unsqueeze_dim(1)], 1);
            nodes += 1;
        }
        graphs
    }
}
