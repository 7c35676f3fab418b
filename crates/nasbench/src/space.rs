//! The NAS-Bench-101 search space: every unique cell, as nasbench's `generate_graphs.py` finds it.
//!
//! nasbench walks vertex counts 2..=7, then every adjacency bitmask in increasing order (bit
//! `y(y−1)/2 + x` is the edge `x → y`), keeps the "full" DAGs with at most 9 edges, then walks
//! every labelling of the inner vertices in `itertools.product` order, and keeps the first cell
//! met for each hash. That takes about 24 minutes in Python.
//!
//! Here the same representatives are found without hashing every labelled graph. Isomorphic
//! graphs share a hash, so the first cell met of each class sits on the first adjacency bitmask
//! of its unlabelled isomorphism class, with the labelling that is smallest in product order
//! among those that the bitmask's automorphisms map onto each other. So: group the bitmasks by
//! an exact canonical form (the smallest encoding over all permutations of the inner vertices),
//! keep the first of each group, and keep each labelling that is the smallest of its orbit
//! under that graph's automorphisms. Hashing then runs once per unique cell. The counts match
//! nasbench's exactly, which also shows that its hash has no collisions in this space.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::cell::{Cell, MAX_EDGES, MAX_VERTICES};
use crate::hash::ModuleHash;
use crate::op::{INNER_OPS, Op};

/// The number of unique cells for 2..=7 vertices, as published with NAS-Bench-101.
pub const UNIQUE_CELLS_BY_VERTICES: [(usize, usize); 6] =
    [(2, 1), (3, 6), (4, 84), (5, 2_441), (6, 62_010), (7, 359_082)];

/// The number of unique cells in the whole space.
pub const UNIQUE_CELLS: usize = 423_624;

/// One cell of the search space with its official hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceCell {
    /// The official module hash.
    pub hash: ModuleHash,
    /// The cell, pruned.
    pub cell: Cell,
}

impl SpaceCell {
    /// A record without measurements, keeping the hash the enumeration computed.
    pub fn record(&self) -> crate::dataset::Record {
        crate::dataset::Record {
            hash: self.hash,
            cell: self.cell,
            trainable_parameters: None,
            metrics: std::collections::BTreeMap::new(),
        }
    }
}

/// Every unique cell of the space, in nasbench's enumeration order, with its hash.
pub fn enumerate_space() -> Vec<SpaceCell> {
    (2..=MAX_VERTICES).flat_map(enumerate_vertices).collect()
}

/// The unique cells with exactly `n_vertices` vertices, in nasbench's enumeration order.
pub fn enumerate_vertices(n_vertices: usize) -> Vec<SpaceCell> {
    let cells: Vec<Cell> = unlabelled_representatives(n_vertices)
        .into_par_iter()
        .flat_map_iter(|graph| labelled_representatives(n_vertices, graph))
        .collect();
    cells.into_par_iter().map(|cell| SpaceCell { hash: cell.hash(), cell }).collect()
}

/// A full DAG of nasbench's enumeration, with the permutations of its inner vertices that map
/// it onto itself.
struct UnlabelledGraph {
    rows: [u8; MAX_VERTICES],
    automorphisms: Vec<Permutation>,
}

type Permutation = [u8; MAX_VERTICES];

/// The first bitmask of every isomorphism class of full DAGs with `n` vertices and at most
/// 9 edges, in increasing bitmask order.
fn unlabelled_representatives(n: usize) -> Vec<UnlabelledGraph> {
    let permutations = inner_permutations(n);
    let n_bits = n * (n - 1) / 2;
    let keyed: Vec<(u64, [u8; MAX_VERTICES])> = (0..1u32 << n_bits)
        .into_par_iter()
        .filter_map(|bits| {
            let rows = rows_of_bits(n, bits);
            is_full_dag(n, &rows).then(|| (canonical_key(n, &rows, &permutations), rows))
        })
        .collect();

    let mut seen: HashMap<u64, ()> = HashMap::with_capacity(keyed.len() / 4);
    keyed
        .into_iter()
        .filter(|(key, _)| seen.insert(*key, ()).is_none())
        .map(|(_, rows)| UnlabelledGraph {
            rows,
            automorphisms: permutations.iter().filter(|perm| permute_rows(n, &rows, perm) == rows).copied().collect(),
        })
        .collect()
}

/// The labellings of `graph` that nasbench keeps: the first of each orbit under its automorphisms.
fn labelled_representatives(n: usize, graph: UnlabelledGraph) -> impl Iterator<Item = Cell> {
    let inner = n - 2;
    let n_labellings = 3usize.pow(inner as u32);
    (0..n_labellings).filter_map(move |code| {
        let labels = labels_of_code(inner, code);
        let is_first = graph.automorphisms.iter().all(|perm| {
            let mut permuted = [0u8; MAX_VERTICES];
            for v in 1..=inner {
                permuted[perm[v] as usize] = labels[v];
            }
            code_of_labels(inner, &permuted) >= code
        });
        is_first.then(|| {
            let mut ops = [Op::Output; MAX_VERTICES];
            ops[0] = Op::Input;
            for v in 1..=inner {
                ops[v] = INNER_OPS[labels[v] as usize];
            }
            ops[n - 1] = Op::Output;
            Cell::from_parts_unchecked(&graph.rows[..n], &ops[..n])
        })
    })
}

/// Inner-vertex labels (indices into [`INNER_OPS`]) at positions 1..=inner; the first inner
/// vertex is the most significant digit, as in `itertools.product`.
fn labels_of_code(inner: usize, mut code: usize) -> [u8; MAX_VERTICES] {
    let mut labels = [0u8; MAX_VERTICES];
    for v in (1..=inner).rev() {
        labels[v] = (code % 3) as u8;
        code /= 3;
    }
    labels
}

fn code_of_labels(inner: usize, labels: &[u8; MAX_VERTICES]) -> usize {
    (1..=inner).fold(0, |code, v| code * 3 + labels[v] as usize)
}

fn rows_of_bits(n: usize, bits: u32) -> [u8; MAX_VERTICES] {
    let mut rows = [0u8; MAX_VERTICES];
    for y in 1..n {
        for (x, row) in rows.iter_mut().enumerate().take(y) {
            if bits >> (y * (y - 1) / 2 + x) & 1 == 1 {
                *row |= 1 << y;
            }
        }
    }
    rows
}

/// nasbench's `is_full_dag` plus the edge limit: every vertex but the last has an outgoing
/// edge, every vertex but the first an incoming one.
fn is_full_dag(n: usize, rows: &[u8; MAX_VERTICES]) -> bool {
    let edges: u32 = rows.iter().map(|r| r.count_ones()).sum();
    let has_in = rows.iter().fold(0u8, |acc, r| acc | r);
    let all_but_first = ((1u16 << n) - 2) as u8;
    edges as usize <= MAX_EDGES && rows[..n - 1].iter().all(|&r| r != 0) && has_in & all_but_first == all_but_first
}

/// Every permutation of the inner vertices 1..n−1 (input and output stay in place).
fn inner_permutations(n: usize) -> Vec<Permutation> {
    let mut inner: Vec<u8> = (1..n.saturating_sub(1) as u8).collect();
    let mut out = Vec::new();
    for_each_permutation(&mut inner, 0, &mut |order| {
        let mut perm: Permutation = [0, 1, 2, 3, 4, 5, 6];
        perm[n - 1] = (n - 1) as u8;
        for (i, &v) in order.iter().enumerate() {
            perm[i + 1] = v;
        }
        out.push(perm);
    });
    out
}

fn for_each_permutation(items: &mut [u8], start: usize, visit: &mut impl FnMut(&[u8])) {
    if start + 1 >= items.len() {
        visit(items);
        return;
    }
    for i in start..items.len() {
        items.swap(start, i);
        for_each_permutation(items, start + 1, visit);
        items.swap(start, i);
    }
}

/// The graph with vertex `v` renamed `perm[v]`.
fn permute_rows(n: usize, rows: &[u8; MAX_VERTICES], perm: &Permutation) -> [u8; MAX_VERTICES] {
    let mut out = [0u8; MAX_VERTICES];
    for from in 0..n {
        for to in 0..n {
            if rows[from] & (1 << to) != 0 {
                out[perm[from] as usize] |= 1 << perm[to];
            }
        }
    }
    out
}

/// An exact canonical form: the smallest 49-bit encoding of the graph over all inner permutations.
fn canonical_key(n: usize, rows: &[u8; MAX_VERTICES], permutations: &[Permutation]) -> u64 {
    let mut edges = [(0u8, 0u8); MAX_EDGES];
    let mut count = 0;
    for (from, row) in rows.iter().enumerate().take(n) {
        for to in 0..n {
            if row & (1 << to) != 0 {
                edges[count] = (from as u8, to as u8);
                count += 1;
            }
        }
    }
    permutations
        .iter()
        .map(|perm| {
            edges[..count]
                .iter()
                .fold(0u64, |key, &(from, to)| key | 1 << (perm[from as usize] as u64 * 7 + perm[to as usize] as u64))
        })
        .min()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn small_vertex_counts_match_nasbench() {
        for &(n, expected) in &UNIQUE_CELLS_BY_VERTICES[..4] {
            let cells = enumerate_vertices(n);
            assert_eq!(cells.len(), expected, "{n} vertices");
            let hashes: HashSet<_> = cells.iter().map(|c| c.hash).collect();
            assert_eq!(hashes.len(), expected, "hashes of {n}-vertex cells are unique");
            for c in &cells {
                let rebuilt = Cell::from_rows(c.cell.rows(), c.cell.ops()).unwrap();
                assert_eq!(rebuilt, c.cell);
            }
        }
    }

    #[test]
    fn brute_force_hashing_finds_the_same_first_representatives() {
        // nasbench's own loop for 5 vertices: hash every labelled full DAG, keep the first per hash.
        let n = 5;
        let mut first: Vec<(ModuleHash, Cell)> = Vec::new();
        let mut seen = HashSet::new();
        for bits in 0..1u32 << (n * (n - 1) / 2) {
            let rows = rows_of_bits(n, bits);
            if !is_full_dag(n, &rows) {
                continue;
            }
            for code in 0..27 {
                let labels = labels_of_code(n - 2, code);
                let mut ops = vec![Op::Input];
                ops.extend((1..n - 1).map(|v| INNER_OPS[labels[v] as usize]));
                ops.push(Op::Output);
                let cell = Cell::from_rows(&rows[..n], &ops).unwrap();
                if seen.insert(cell.hash()) {
                    first.push((cell.hash(), cell));
                }
            }
        }
        let fast: Vec<(ModuleHash, Cell)> = enumerate_vertices(n).into_iter().map(|c| (c.hash, c.cell)).collect();
        assert_eq!(fast, first);
    }

    #[test]
    fn product_order_puts_the_first_inner_vertex_first() {
        assert_eq!(labels_of_code(3, 1)[1..4], [0, 0, 1]);
        assert_eq!(labels_of_code(3, 9)[1..4], [1, 0, 0]);
        assert_eq!(code_of_labels(3, &labels_of_code(3, 17)), 17);
        assert_eq!(inner_permutations(7).len(), 120);
        assert_eq!(inner_permutations(2).len(), 1);
    }
}
