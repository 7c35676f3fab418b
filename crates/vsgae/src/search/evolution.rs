//! Regularised evolution (Real et al., 2019) over a labelled pool: tournaments pick a parent
//! from a population that ages out its oldest member, and each child is a mutation of the
//! parent mapped into the pool (the nearest cell not yet queried, by edit distance).

use std::collections::VecDeque;

use nasbench::{Cell, MAX_EDGES, MAX_VERTICES, Op};
use rand::Rng;
use rand::seq::{IndexedRandom, index};

use super::pool::Pool;
use super::trace::Trace;

/// The interior ops a mutation chooses from.
const INTERIOR: [Op; 3] = [Op::Conv1x1, Op::Conv3x3, Op::MaxPool3x3];

/// Tries at a valid mutation before the parent itself is taken (and mapped to its nearest
/// unqueried neighbour).
const MUTATION_TRIES: usize = 100;

/// The population's state between queries.
#[derive(Debug, Clone)]
pub struct Evolution {
    population: VecDeque<usize>,
    size: usize,
    tournament: usize,
}

impl Evolution {
    /// A population of up to `size` cells, with tournaments of `tournament` of them.
    pub fn new(size: usize, tournament: usize) -> Self {
        Self { population: VecDeque::with_capacity(size), size: size.max(1), tournament: tournament.max(1) }
    }

    /// The next cell to query: at random until the population is full, then the mutated winner
    /// of a tournament, mapped into the pool. `None` once every cell is queried.
    pub fn propose(&self, pool: &Pool, trace: &Trace, rng: &mut impl Rng) -> Option<usize> {
        if self.population.len() < self.size {
            return random_unqueried(pool, trace, rng);
        }
        let contenders = index::sample(rng, self.population.len(), self.tournament.min(self.population.len()));
        let parent = contenders
            .iter()
            .map(|k| self.population[k])
            .max_by(|&a, &b| pool.accuracy(a).total_cmp(&pool.accuracy(b)).then(b.cmp(&a)))?;
        let child = mutate(&pool.cells()[parent], rng);
        pool.nearest(&child, |i| !trace.has(i))
    }

    /// Takes the queried cell into the population; the oldest member leaves a full one.
    pub fn add(&mut self, index: usize) {
        self.population.push_back(index);
        if self.population.len() > self.size {
            self.population.pop_front();
        }
    }
}

/// A cell of the pool not queried yet, uniformly at random.
pub fn random_unqueried(pool: &Pool, trace: &Trace, rng: &mut impl Rng) -> Option<usize> {
    if trace.len() >= pool.len() {
        return None;
    }
    // Rejection is fast while few cells are queried; past half the pool, draw from the rest.
    if trace.len() * 2 < pool.len() {
        loop {
            let index = rng.random_range(0..pool.len());
            if !trace.has(index) {
                return Some(index);
            }
        }
    }
    let rest: Vec<usize> = (0..pool.len()).filter(|&i| !trace.has(i)).collect();
    rest.choose(rng).copied()
}

/// NAS-Bench-101's mutation on the 7-vertex spec (the cell padded with unconnected interior
/// vertices of random ops): each upper-triangular edge flips with probability 1/7, and each
/// interior op changes to another with probability 1/5; repeated until the pruned result is a
/// valid cell with at most 9 edges. Where no try is valid, the cell itself.
pub fn mutate(cell: &Cell, rng: &mut impl Rng) -> Cell {
    let n = cell.n_vertices();
    let slot = |v: usize| if v == n - 1 { MAX_VERTICES - 1 } else { v };
    let mut matrix = vec![vec![0u8; MAX_VERTICES]; MAX_VERTICES];
    let mut ops: Vec<Op> = (0..MAX_VERTICES).map(|_| *INTERIOR.choose(rng).unwrap_or(&Op::Conv3x3)).collect();
    ops[0] = Op::Input;
    ops[MAX_VERTICES - 1] = Op::Output;
    for (v, &op) in cell.ops().iter().enumerate() {
        ops[slot(v)] = op;
    }
    for (from, to) in cell.edges() {
        matrix[slot(from)][slot(to)] = 1;
    }
    for _ in 0..MUTATION_TRIES {
        let mut trial_matrix = matrix.clone();
        let mut trial_ops = ops.clone();
        for (from, row) in trial_matrix.iter_mut().enumerate() {
            for entry in row.iter_mut().skip(from + 1) {
                if rng.random_bool(1.0 / MAX_VERTICES as f64) {
                    *entry ^= 1;
                }
            }
        }
        for op in trial_ops.iter_mut().take(MAX_VERTICES - 1).skip(1) {
            if rng.random_bool(1.0 / (MAX_VERTICES - 2) as f64) {
                let others: Vec<Op> = INTERIOR.into_iter().filter(|o| o != op).collect();
                *op = *others.choose(rng).unwrap_or(op);
            }
        }
        if let Ok(child) = Cell::from_spec(&trial_matrix, &trial_ops)
            && child.n_edges() <= MAX_EDGES
            && child != *cell
        {
            return child;
        }
    }
    *cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_valid_nearby_cells() {
        let cell = nasbench::parse_line("0110000,0001000,0001000,0000100,0000010,0000001,0000000 | input,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,conv3x3-bn-relu,conv3x3-bn-relu,output").unwrap();
        let mut rng = nasbench::split::rng(7);
        let (mut changed, mut distances) = (0, 0);
        for _ in 0..200 {
            let child = mutate(&cell, &mut rng);
            assert!(child.n_edges() <= MAX_EDGES && child.n_vertices() <= MAX_VERTICES);
            distances += nasbench::distance::edit_distance(&cell, &child);
            changed += usize::from(child != cell);
        }
        assert!(changed > 190, "almost every mutation gives another cell: {changed}");
        let mean = f64::from(distances) / 200.0;
        assert!((1.0..8.0).contains(&mean), "a mutation changes a few entries on average, not {mean}");
    }
}
