//! Floating-point operations per graph, counted from a config: the yardstick of `vsgae bench`.
//!
//! Only matrix products are counted, at 2 FLOPs per multiply-add; the element-wise work
//! (activations, gates, sums) is a few percent of it. With `D` the node width, `G` the graph
//! width, `T` the node types, `L` the rounds of message passing and `n` the nodes of a graph:
//!
//! - **One round of message passing** ([`message_passing`]): the four maps `D → 2D` of the
//!   forward and reverse messages (`8D²` per node), the GRU's `2D → 3D` and `D → 3D` maps
//!   (`9D²` per node), and the product with the message operator (`4n · n · D` per graph):
//!   `2 · (17 n D² + 4 n² D)`.
//! - **The first round of an encoder** ([`first_round`]) works on the embedding table: per node
//!   it only selects from tables, `2 · D · (2(T' + T) + T' + 2T)` with `T' = 4T + 2` columns of
//!   counts and `T` types (the tables themselves cost a fixed amount per batch, left out).
//! - **Gated-sum readout** ([`readout`]): `2 · n · (D G + D)`.
//! - **Predictor** ([`predictor_forward`]): the encoder's rounds, one readout, the head
//!   `G → G/2 → … → 1`.
//! - **VS-GAE** ([`vae_forward`]): the encoder (its rounds and two readouts) and the
//!   teacher-forced decoder on the cell padded to 7 nodes. Its step `k = 0‥5` runs over `m = k + 1`
//!   nodes: `L` rounds and two readouts when `m > 1` (two bare `D → G` maps when `m = 1`), the
//!   type head `2G → G → T`, the new node's init `2G → D + G → D` (its type's part maps the
//!   embedding table, a fixed amount per batch, left out), and for `k ≥ 1` the edge head
//!   `D → D + G → 1` on each of the `m` candidate predecessors. The edge head's parts that repeat
//!   over a step's candidates are mapped once per step (`D + G → D + G`: the new node and the
//!   graph vector) and once per graph (`G → D + G`: the latent), as
//!   [`crate::model::block_linear`] computes them on the CPU. The start node adds
//!   `G → D + G → D`.
//! - **Training** ([`training`]): the forward pass and a backward pass of twice its cost (one
//!   product for the input's gradient, one for the weight's).

use crate::config::{EncoderConfig, PredictorConfig, VsGaeConfig};

/// FLOPs of a dense `[rows, input] × [input, output]` product.
fn product(rows: usize, input: usize, output: usize) -> f64 {
    2.0 * rows as f64 * input as f64 * output as f64
}

/// One round of message passing over a graph of `nodes` nodes.
pub fn message_passing(encoder: &EncoderConfig, nodes: usize) -> f64 {
    let d = encoder.node_dim;
    let messages = 4.0 * product(nodes, d, 2 * d);
    let adjacency = message_operator(encoder, nodes);
    let gru = product(nodes, 2 * d, 3 * d) + product(nodes, d, 3 * d);
    messages + adjacency + gru
}

/// The first round of an encoder on a graph of `nodes` nodes: selections from the embedding
/// table's maps (see [`crate::model::message_passing::MessagePassing::forward_from_embedding`]).
pub fn first_round(encoder: &EncoderConfig, nodes: usize) -> f64 {
    let (d, types) = (encoder.node_dim, encoder.num_node_types);
    let counts = 4 * types + 2;
    // Reset and update gates over counts and types, the new gate's two parts, the state itself.
    let gates = 2.0 * product(nodes, counts + types, d);
    gates + product(nodes, counts, d) + 2.0 * product(nodes, types, d)
}

/// The encoder's rounds on a graph of `nodes` nodes: the first on the embedding table, the rest
/// in full.
pub fn encoder_rounds(encoder: &EncoderConfig, nodes: usize) -> f64 {
    if encoder.num_layers == 0 {
        return 0.0;
    }
    first_round(encoder, nodes) + (encoder.num_layers - 1) as f64 * message_passing(encoder, nodes)
}

/// What the second round on node signatures ([`crate::model::signature_round`], as training
/// computes it on the CPU) saves against the dense round on a graph of `nodes` nodes, with
/// `signatures` distinct signatures per node of its batch: the message maps (`8D²`) and the
/// GRU's state maps (`3D²`) of the nodes beyond their signatures, and the product with the
/// message operator, which becomes a sum of selected rows.
pub fn saved_on_signatures(encoder: &EncoderConfig, nodes: usize, signatures: f64) -> f64 {
    let d = encoder.node_dim as f64;
    let repeated = nodes as f64 * (1.0 - signatures.clamp(0.0, 1.0));
    2.0 * repeated * 11.0 * d * d + message_operator(encoder, nodes)
}

/// The products with a round's message operator: both directions' messages summed per node.
fn message_operator(encoder: &EncoderConfig, nodes: usize) -> f64 {
    2.0 * product(nodes, nodes, 2 * encoder.node_dim)
}

/// One gated-sum readout over `nodes` nodes.
pub fn readout(encoder: &EncoderConfig, nodes: usize) -> f64 {
    product(nodes, encoder.node_dim, encoder.graph_dim) + product(nodes, encoder.node_dim, 1)
}

/// The predictor's forward pass on one graph of `nodes` nodes.
pub fn predictor_forward(config: &PredictorConfig, nodes: usize) -> f64 {
    let encoder = &config.encoder;
    let widths: Vec<usize> =
        (0..config.num_head_layers).map(|k| encoder.graph_dim.checked_shr(k as u32).unwrap_or(0)).chain([1]).collect();
    let head: f64 = widths.windows(2).map(|w| product(1, w[0], w[1])).sum();
    encoder_rounds(encoder, nodes) + readout(encoder, nodes) + head
}

/// The VS-GAE's forward pass (encoder and teacher-forced decoder) on one graph of `nodes` nodes.
pub fn vae_forward(config: &VsGaeConfig, nodes: usize) -> f64 {
    let e = &config.encoder;
    let (d, g, t) = (e.node_dim, e.graph_dim, e.num_node_types);
    let rounds = e.num_layers as f64;
    let encoder = encoder_rounds(e, nodes) + 2.0 * readout(e, nodes);
    let start = product(1, g, d + g) + product(1, d + g, d);
    // The edge head's latent part, once per graph; its new-node and graph-vector parts, once per step.
    let latent = product(1, g, d + g);
    let decoder: f64 = (0..nasbench::MAX_VERTICES - 1)
        .map(|k| {
            let m = k + 1;
            let propagate =
                if m == 1 { 2.0 * product(1, d, g) } else { rounds * message_passing(e, m) + 2.0 * readout(e, m) };
            let types = product(1, 2 * g, g) + product(1, g, t);
            let init = product(1, 2 * g, d + g) + product(1, d + g, d);
            let repeated = product(1, d + g, d + g);
            let edges = if k == 0 { 0.0 } else { product(m, d, d + g) + product(m, d + g, 1) };
            propagate + types + init + repeated + edges
        })
        .sum();
    encoder + start + latent + decoder
}

/// A training step's FLOPs from its forward pass's: forward plus a backward of twice the cost.
pub fn training(forward: f64) -> f64 {
    3.0 * forward
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_of_message_passing_counts_each_product_once() {
        let encoder = EncoderConfig::new().with_node_dim(2);
        // Messages 4·(3·2·4·2) = 192, adjacency 2·(2·3·3·4) = 144, GRU 2·3·4·6 + 2·3·2·6 = 216.
        assert_eq!(message_passing(&encoder, 3), 192.0 + 144.0 + 216.0);
    }

    #[test]
    fn signatures_save_the_maps_of_repeated_nodes_and_the_operator() {
        let encoder = EncoderConfig::new().with_node_dim(2);
        // Half of 4 nodes repeated: 2 · 2 · 11 · 4 = 176, the operator 2 · (2 · 4 · 4 · 4) = 256.
        assert_eq!(saved_on_signatures(&encoder, 4, 0.5), 176.0 + 256.0);
    }

    #[test]
    fn the_reference_predictor_on_a_seven_node_cell() {
        let config = PredictorConfig::new(EncoderConfig::new());
        let flops = predictor_forward(&config, 7);
        // The first round 2·7·250·(2·27 + 22 + 2·5) = 301,000, the second 2·(17·7·250² +
        // 4·49·250) = 14,973,000, the readout 199,500, the head 2·(56·28 + 28·14 + 14·7 + 7) = 4,130.
        assert_eq!(flops, 301_000.0 + 14_973_000.0 + 199_500.0 + 4_130.0);
    }
}
