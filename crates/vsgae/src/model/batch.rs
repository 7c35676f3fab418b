//! Dense batches of cells: ops `[B, N]`, adjacency `[B, N, N]`, a node mask, and the operator
//! message passing needs, all built once per batch.

use burn::tensor::{Device, Int, Tensor, TensorData};
use nasbench::Cell;

use crate::model::message_passing::{MessageOperator, TypeSelection};
use crate::model::signature_round::NodeSignatures;
use crate::node_types::NODE_TYPES;

/// A batch of cells padded to the largest cell in it.
#[derive(Debug, Clone)]
pub struct GraphBatch {
    /// The reference's `node_atts` codes; padding nodes carry `padding_type`.
    ///
    /// Shape `[batch, nodes]`.
    pub ops: Tensor<2, Int>,
    /// `adjacency[b, j, i] = 1` for an edge `j → i`. Shape `[batch, nodes, nodes]`.
    pub adjacency: Tensor<3>,
    /// 1 for real nodes, 0 for padding. Shape `[batch, nodes, 1]`.
    pub node_mask: Tensor<3>,
    /// The sums of message passing over the cells' edges.
    pub messages: MessageOperator,
    /// The same sums counted by node type, for the first round.
    pub selection: TypeSelection,
    /// The vertex count of each cell.
    pub sizes: Vec<usize>,
    /// Nodes per cell after padding.
    nodes: usize,
    /// The adjacency on the host, for operators of partial graphs ([`GraphBatch::has_edge`]).
    host_adjacency: Vec<bool>,
    /// Every node's type (padding included) on the host, graph-major.
    host_types: Vec<usize>,
}

impl GraphBatch {
    /// Pads the cells to the largest of them; padding nodes get `node_atts` code 0 and no edges.
    pub fn new(cells: &[&Cell], device: &Device) -> Self {
        let nodes = cells.iter().map(|c| c.n_vertices()).max().unwrap_or(1);
        Self::padded(cells, nodes, 0, device)
    }

    /// Pads every cell to at least `nodes` nodes (a run's largest training cell), so that every
    /// batch of one size in a run has the same shapes and a GPU compiles its kernels once.
    /// Padding nodes have no edges and are masked out of the readout, so the results equal
    /// [`GraphBatch::new`]'s.
    pub fn at_least(cells: &[&Cell], nodes: usize, device: &Device) -> Self {
        let largest = cells.iter().map(|c| c.n_vertices()).max().unwrap_or(1);
        Self::padded(cells, largest.max(nodes), 0, device)
    }

    /// Pads every cell to `nodes` nodes of type `padding_type`.
    pub fn padded(cells: &[&Cell], nodes: usize, padding_type: i64, device: &Device) -> Self {
        let batch = cells.len();
        let mut ops = vec![padding_type; batch * nodes];
        let mut host_adjacency = vec![false; batch * nodes * nodes];
        let mut mask = vec![0f32; batch * nodes];
        for (b, cell) in cells.iter().enumerate() {
            for (v, code) in cell.node_atts().into_iter().enumerate().take(nodes) {
                ops[b * nodes + v] = i64::from(code);
                mask[b * nodes + v] = 1.0;
            }
            for (from, to) in cell.edges().filter(|&(f, t)| f < nodes && t < nodes) {
                host_adjacency[(b * nodes + from) * nodes + to] = true;
            }
        }
        let adjacency: Vec<f32> = host_adjacency.iter().map(|&e| f32::from(u8::from(e))).collect();
        let edge = |b: usize, from: usize, to: usize| host_adjacency[(b * nodes + from) * nodes + to];
        let messages = MessageOperator::new(batch, nodes, edge, device);
        let types: Vec<usize> =
            ops.iter().map(|&code| usize::try_from(code).unwrap_or(0).min(NODE_TYPES - 1)).collect();
        let selection = TypeSelection::new(batch, nodes, NODE_TYPES, &types, edge, device);
        Self {
            ops: Tensor::from_data(TensorData::new(ops, [batch, nodes]), device),
            adjacency: Tensor::from_data(TensorData::new(adjacency, [batch, nodes, nodes]), device),
            node_mask: Tensor::from_data(TensorData::new(mask, [batch, nodes, 1]), device),
            messages,
            selection,
            sizes: cells.iter().map(|c| c.n_vertices()).collect(),
            nodes,
            host_adjacency,
            host_types: types,
        }
    }

    /// The nodes' signatures, for the second round of message passing on them (prediction's, and
    /// training's on the CPU).
    pub fn signatures(&self, device: &Device) -> NodeSignatures {
        NodeSignatures::new(
            self.len(),
            self.nodes,
            NODE_TYPES,
            &self.host_types,
            |b, from, to| self.has_edge(b, from, to),
            device,
        )
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.sizes.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.sizes.is_empty()
    }

    /// Nodes per cell after padding.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The type code of node `v` of cell `b` (padding nodes carry the padding type).
    pub fn node_type(&self, b: usize, v: usize) -> i64 {
        self.host_types[b * self.nodes + v] as i64
    }

    /// Whether cell `b` has the edge `from → to` (both below [`GraphBatch::nodes`]).
    pub fn has_edge(&self, b: usize, from: usize, to: usize) -> bool {
        self.host_adjacency[(b * self.nodes + from) * self.nodes + to]
    }
}
