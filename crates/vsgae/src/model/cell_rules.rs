//! NAS-Bench-101's rules as masks on the decoder's choices, so that masked decoding writes only
//! valid cells: at most [`MAX_VERTICES`] vertices and [`MAX_EDGES`] edges, one input first and
//! one output last, and every vertex on a path from the input to the output.
//!
//! The decoder adds a node, then its edges from earlier nodes. Masking keeps two invariants:
//! - every node has a predecessor (so every node is reachable from the input);
//! - the edges so far plus the nodes without a successor (the *sinks*) never exceed
//!   [`MAX_EDGES`], because the output needs an edge from every sink, which is the cheapest way
//!   to finish.
//!
//! An edge from a sink leaves the sum unchanged (one edge more, one sink less), so it is always
//! allowed; an edge from any other node spends one edge of the budget. When the budget or the
//! vertex count leaves no room for another operation, the next node is the output, and the output
//! takes an edge from every sink.

use nasbench::{MAX_EDGES, MAX_VERTICES};

use crate::node_types::{INPUT_TYPE, OUTPUT_TYPE};

/// What the rules know of one graph being decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellRules {
    edges: usize,
    /// Per node so far: whether it has a successor.
    has_successor: Vec<bool>,
}

impl Default for CellRules {
    fn default() -> Self {
        Self::new()
    }
}

impl CellRules {
    /// A graph holding only its input node.
    pub fn new() -> Self {
        Self { edges: 0, has_successor: vec![false] }
    }

    fn sinks(&self) -> usize {
        self.has_successor.iter().filter(|&&has| !has).count()
    }

    /// Whether the next node must be the output: a seventh vertex, or no edge left for another
    /// operation's predecessor beyond the edges the sinks need.
    pub fn must_end(&self) -> bool {
        self.has_successor.len() + 1 >= MAX_VERTICES || self.edges + self.sinks() >= MAX_EDGES
    }

    /// Sets the probabilities of the types the next node may not take to zero (the input type
    /// always; every operation where [`CellRules::must_end`]) and renormalises the rest.
    pub fn mask_types(&self, probabilities: &mut [f32]) {
        let must_end = self.must_end();
        for (code, p) in probabilities.iter_mut().enumerate() {
            let allowed = code == usize::from(OUTPUT_TYPE) || (code != usize::from(INPUT_TYPE) && !must_end);
            if !allowed {
                *p = 0.0;
            }
        }
        let total: f32 = probabilities.iter().sum();
        if total > 0.0 && total.is_finite() {
            probabilities.iter_mut().for_each(|p| *p /= total);
        } else {
            probabilities.iter_mut().enumerate().for_each(|(code, p)| *p = f32::from(code == usize::from(OUTPUT_TYPE)));
        }
    }

    /// The predecessors of the new node of type `node_type` (ascending), chosen from `wanted`
    /// (the unmasked choice of each earlier node) under the rules, and records them:
    /// - the output takes every sink, and the wanted edges from other nodes the budget allows;
    /// - an operation takes its wanted edges from sinks, and those from other nodes the budget
    ///   allows, the most probable first;
    /// - an operation with none takes the most probable edge allowed.
    ///
    /// `wanted` and `probabilities` have one entry per earlier node.
    pub fn predecessors(&mut self, node_type: u8, wanted: &[bool], probabilities: &[f32]) -> Vec<usize> {
        let nodes = self.has_successor.len();
        let is_output = node_type == OUTPUT_TYPE;
        let budget = MAX_EDGES.saturating_sub(self.edges + self.sinks() + usize::from(!is_output));
        let is_sink = |v: usize| !self.has_successor[v];
        let wants = |v: usize| wanted.get(v).copied().unwrap_or(false);
        let probability = |v: usize| probabilities.get(v).copied().unwrap_or(0.0);
        let by_probability = |a: &usize, b: &usize| probability(*b).total_cmp(&probability(*a));
        let mut chosen: Vec<usize> = (0..nodes).filter(|&v| is_sink(v) && (is_output || wants(v))).collect();
        let mut others: Vec<usize> = (0..nodes).filter(|&v| !is_sink(v) && wants(v)).collect();
        others.sort_by(by_probability);
        others.truncate(budget);
        chosen.extend(others);
        if chosen.is_empty() {
            let allowed = (0..nodes).filter(|&v| budget > 0 || is_sink(v));
            chosen.extend(allowed.min_by(by_probability));
        }
        chosen.sort_unstable();
        for &v in &chosen {
            self.has_successor[v] = true;
        }
        self.edges += chosen.len();
        self.has_successor.push(false);
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: u8 = 3;

    #[test]
    fn the_output_takes_every_sink_and_the_budget_holds() {
        let mut rules = CellRules::new();
        // input → 1, input → 2: two sinks (1, 2), two edges.
        assert_eq!(rules.predecessors(OP, &[true], &[0.9]), vec![0]);
        assert_eq!(rules.predecessors(OP, &[true, false], &[0.9, 0.1]), vec![0]);
        // The output wants nothing, but needs both sinks.
        assert_eq!(rules.predecessors(OUTPUT_TYPE, &[false, false, false], &[0.1, 0.1, 0.1]), vec![1, 2]);
        assert_eq!(rules.edges, 4);
    }

    #[test]
    fn an_operation_always_gets_a_predecessor() {
        let mut rules = CellRules::new();
        assert_eq!(rules.predecessors(OP, &[false], &[0.2]), vec![0]);
        assert_eq!(rules.predecessors(OP, &[false, false], &[0.3, 0.4]), vec![1]);
    }

    #[test]
    fn wanted_edges_beyond_the_budget_are_dropped_most_probable_first() {
        let mut rules = CellRules::new();
        // A chain input → 1 → … → 5: six vertices, five edges, one sink (5).
        for v in 0..5 {
            let wanted: Vec<bool> = (0..=v).map(|u| u == v).collect();
            rules.predecessors(OP, &wanted, &vec![0.5; v + 1]);
        }
        assert!(rules.must_end(), "a seventh vertex must be the output");
        let chosen = rules.predecessors(OUTPUT_TYPE, &[true; 6], &[0.9, 0.2, 0.8, 0.7, 0.1, 0.3]);
        // The sink 5, then the two most probable others within 9 − 5 − 1 = 3: 0, 2, 3.
        assert_eq!(chosen, vec![0, 2, 3, 5]);
        assert_eq!(rules.edges, 9);
    }

    #[test]
    fn types_are_masked_and_renormalised() {
        let mut rules = CellRules::new();
        let mut p = [0.1, 0.4, 0.2, 0.2, 0.1];
        rules.mask_types(&mut p);
        assert_eq!(p[1], 0.0, "the input type never comes again");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        // Input → 1 … → 5 fills six vertices: only the output may come.
        for v in 0..5 {
            let wanted: Vec<bool> = (0..=v).map(|u| u == v).collect();
            rules.predecessors(OP, &wanted, &vec![0.5; v + 1]);
        }
        let mut p = [0.0, 0.1, 0.3, 0.3, 0.3];
        rules.mask_types(&mut p);
        assert_eq!(p, [1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn nine_edges_end_the_graph() {
        let mut rules = CellRules::new();
        // input → 1, then 2 from {0, 1}, 3 from {0, 1, 2}: 1 + 2 + 3 = 6 edges, one sink (3).
        rules.predecessors(OP, &[true], &[0.9]);
        rules.predecessors(OP, &[true, true], &[0.9, 0.9]);
        rules.predecessors(OP, &[true, true, true], &[0.9, 0.9, 0.9]);
        assert_eq!((rules.edges, rules.sinks()), (6, 1));
        assert!(!rules.must_end());
        // 4 may take its sink 3 for free and 9 − 6 − 1 − 1 = 1 edge from the others.
        assert_eq!(rules.predecessors(OP, &[true; 4], &[0.5, 0.9, 0.6, 0.1]), vec![1, 3]);
        assert_eq!((rules.edges, rules.sinks()), (8, 1));
        assert!(rules.must_end());
    }
}
