//! Choosing a training subset of 1–100 % of the training split, three ways, seeded.
//!
//! - **Random**: stratified by vertex count, so every size keeps its share.
//! - **Edit**: stratified by edit distance ([`crate::distance`]) to a reference cell.
//! - **Even**: spread evenly over a 4-D PCA embedding ([`crate::embedding`]): a grid of `k`
//!   buckets per axis over the candidates' range, the smallest `k` whose non-empty buckets are
//!   at least as many as wanted, then the cell nearest each bucket centre; if there are more
//!   buckets than wanted, a seeded choice of them.
//!
//! Every method returns exactly `round(percent · candidates / 100)` indices (at least one),
//! sorted, and the same ones for the same seed.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::cell::Cell;
use crate::distance::{PaddedCell, padded_distance};
use crate::embedding::Pca;
use crate::split::rng;

/// How a training subset is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sampling {
    /// At random, stratified by vertex count.
    #[default]
    Random,
    /// Spread evenly over a 4-D PCA embedding of the cells.
    Even,
    /// Stratified by edit distance to a reference cell.
    Edit,
}

/// The dimensions of the embedding even sampling spreads over.
pub const EVEN_DIMS: usize = 4;

/// Why a subset could not be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamplingError {
    /// A training size outside 1–100 %.
    #[error("training size must be 1–100 %, got {0}")]
    BadPercent(u8),
    /// A sampling method name other than random, even or edit.
    #[error("unknown sampling method {0:?} (expected random, even or edit)")]
    UnknownMethod(String),
}

impl Sampling {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Even => "even",
            Self::Edit => "edit",
        }
    }
}

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Sampling {
    type Err = SamplingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Random, Self::Even, Self::Edit]
            .into_iter()
            .find(|m| m.name() == s.trim())
            .ok_or_else(|| SamplingError::UnknownMethod(s.to_owned()))
    }
}

/// The number of cells a training size keeps.
pub fn target_count(candidates: usize, percent: u8) -> usize {
    if candidates == 0 {
        return 0;
    }
    ((candidates as f64 * f64::from(percent) / 100.0).round() as usize).clamp(1, candidates)
}

/// Chooses `percent` % of `candidates` (indices into `cells`).
///
/// For [`Sampling::Edit`], `reference` is the index of the reference cell; `None` uses the
/// first candidate.
pub fn sample(
    cells: &[Cell],
    candidates: &[usize],
    percent: u8,
    method: Sampling,
    seed: u64,
    reference: Option<usize>,
) -> Result<Vec<usize>, SamplingError> {
    if !(1..=100).contains(&percent) {
        return Err(SamplingError::BadPercent(percent));
    }
    Ok(sample_count(cells, candidates, target_count(candidates.len(), percent), method, seed, reference))
}

/// Chooses `count` of `candidates` (all of them where `count` is at least their number), as
/// [`sample`] does.
pub fn sample_count(
    cells: &[Cell],
    candidates: &[usize],
    count: usize,
    method: Sampling,
    seed: u64,
    reference: Option<usize>,
) -> Vec<usize> {
    let target = count.min(candidates.len());
    let mut chosen = if target == candidates.len() {
        candidates.to_vec()
    } else {
        match method {
            Sampling::Random => stratified(candidates, |i| cells[i].n_vertices() as u32, target, seed),
            Sampling::Edit => {
                let reference = PaddedCell::new(&cells[reference.or(candidates.first().copied()).unwrap_or(0)]);
                stratified(candidates, |i| padded_distance(&PaddedCell::new(&cells[i]), &reference), target, seed)
            }
            Sampling::Even => even(cells, candidates, target, seed),
        }
    };
    chosen.sort_unstable();
    chosen
}

/// Proportional allocation over strata (largest remainder), a seeded shuffle within each.
fn stratified(candidates: &[usize], stratum: impl Fn(usize) -> u32, target: usize, seed: u64) -> Vec<usize> {
    let mut strata: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for &i in candidates {
        strata.entry(stratum(i)).or_default().push(i);
    }
    let total = candidates.len() as f64;
    let mut quotas: Vec<(u32, usize, f64)> = strata
        .iter()
        .map(|(&key, members)| {
            let exact = members.len() as f64 * target as f64 / total;
            (key, exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let assigned: usize = quotas.iter().map(|q| q.1).sum();
    let mut by_remainder: Vec<usize> = (0..quotas.len()).collect();
    by_remainder.sort_by(|&a, &b| quotas[b].2.total_cmp(&quotas[a].2).then(a.cmp(&b)));
    for &q in by_remainder.iter().take(target - assigned) {
        quotas[q].1 += 1;
    }
    let mut rng = rng(seed);
    let mut chosen = Vec::with_capacity(target);
    for (key, quota, _) in quotas {
        let mut members = strata.remove(&key).unwrap_or_default();
        members.shuffle(&mut rng);
        chosen.extend(members.into_iter().take(quota));
    }
    chosen
}

fn even(cells: &[Cell], candidates: &[usize], target: usize, seed: u64) -> Vec<usize> {
    let pca = Pca::fit(candidates.iter().map(|&i| &cells[i]), EVEN_DIMS);
    let points: Vec<Vec<f64>> = candidates.iter().map(|&i| pca.project(&cells[i])).collect();
    let dims = pca.dims();
    let (low, high): (Vec<f64>, Vec<f64>) =
        (0..dims).map(|d| points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| (lo.min(p[d]), hi.max(p[d])))).unzip();
    let unit = |p: &[f64], d: usize| if high[d] > low[d] { (p[d] - low[d]) / (high[d] - low[d]) } else { 0.5 };

    // The nearest point to each non-empty bucket centre of a k-per-axis grid.
    let buckets = |k: u64| -> Vec<usize> {
        let mut best: HashMap<u64, (f64, usize)> = HashMap::new();
        for (position, p) in points.iter().enumerate() {
            let mut key = 0u64;
            let mut distance = 0.0;
            for d in 0..dims {
                let x = unit(p, d) * k as f64;
                let bucket = (x.floor() as u64).min(k - 1);
                key = key * k + bucket;
                distance += (x - (bucket as f64 + 0.5)).powi(2);
            }
            let entry = best.entry(key).or_insert((f64::MAX, usize::MAX));
            if (distance, position) < *entry {
                *entry = (distance, position);
            }
        }
        let mut chosen: Vec<usize> = best.into_values().map(|(_, position)| position).collect();
        chosen.sort_unstable();
        chosen
    };

    // The smallest k (up to 2^15 per axis) with enough non-empty buckets.
    const MAX_K: u64 = 1 << 15;
    let mut high_k = 1u64;
    while high_k < MAX_K && buckets(high_k).len() < target {
        high_k *= 2;
    }
    let mut low_k = high_k / 2;
    while low_k + 1 < high_k {
        let mid = (low_k + high_k) / 2;
        if buckets(mid).len() >= target { high_k = mid } else { low_k = mid }
    }
    let mut chosen = buckets(high_k);
    let mut rng = rng(seed);
    if chosen.len() > target {
        chosen.shuffle(&mut rng);
        chosen.truncate(target);
    } else if chosen.len() < target {
        // Points that share their coordinates: fill up at random from the rest.
        let taken: std::collections::HashSet<usize> = chosen.iter().copied().collect();
        let mut rest: Vec<usize> = (0..points.len()).filter(|p| !taken.contains(p)).collect();
        rest.shuffle(&mut rng);
        chosen.extend(rest.into_iter().take(target - taken.len()));
    }
    chosen.into_iter().map(|position| candidates[position]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::edit_distance;
    use crate::space::enumerate_vertices;

    fn small_space() -> Vec<Cell> {
        (2..=5).flat_map(enumerate_vertices).map(|c| c.cell).collect()
    }

    #[test]
    fn every_method_returns_the_exact_count_reproducibly() {
        let cells = small_space();
        let candidates: Vec<usize> = (0..cells.len()).collect();
        for method in [Sampling::Random, Sampling::Even, Sampling::Edit] {
            for percent in [1u8, 10, 55, 100] {
                let chosen = sample(&cells, &candidates, percent, method, 3, None).unwrap();
                assert_eq!(chosen.len(), target_count(cells.len(), percent), "{method} {percent}%");
                let unique: std::collections::HashSet<_> = chosen.iter().collect();
                assert_eq!(unique.len(), chosen.len());
                assert_eq!(sample(&cells, &candidates, percent, method, 3, None).unwrap(), chosen);
            }
            // Even sampling draws among the grid's buckets when there are more than it needs.
            let a = sample(&cells, &candidates, 10, method, 1, None).unwrap();
            let b = sample(&cells, &candidates, 10, method, 2, None).unwrap();
            assert_ne!(a, b, "{method}: seeds 1 and 2 gave the same subset");
        }
        assert_eq!(sample(&cells, &candidates, 0, Sampling::Random, 0, None), Err(SamplingError::BadPercent(0)));
    }

    #[test]
    fn random_keeps_each_vertex_count_share() {
        let cells = small_space();
        let candidates: Vec<usize> = (0..cells.len()).collect();
        let chosen = sample(&cells, &candidates, 20, Sampling::Random, 0, None).unwrap();
        for n in 2..=5 {
            let all = candidates.iter().filter(|&&i| cells[i].n_vertices() == n).count() as f64;
            let got = chosen.iter().filter(|&&i| cells[i].n_vertices() == n).count() as f64;
            assert!((got - all * 0.2).abs() <= 1.0, "{n} vertices: {got} of {all}");
        }
    }

    #[test]
    fn edit_keeps_each_distance_share() {
        let cells = small_space();
        let candidates: Vec<usize> = (0..cells.len()).collect();
        let reference = 100;
        let chosen = sample(&cells, &candidates, 30, Sampling::Edit, 0, Some(reference)).unwrap();
        let mut all: BTreeMap<u32, f64> = BTreeMap::new();
        let mut got: BTreeMap<u32, f64> = BTreeMap::new();
        for &i in &candidates {
            *all.entry(edit_distance(&cells[i], &cells[reference])).or_default() += 1.0;
        }
        for &i in &chosen {
            *got.entry(edit_distance(&cells[i], &cells[reference])).or_default() += 1.0;
        }
        for (d, n) in all {
            let g = got.get(&d).copied().unwrap_or(0.0);
            assert!((g - n * 0.3).abs() <= 1.0, "distance {d}: {g} of {n}");
        }
    }

    #[test]
    fn even_spreads_more_than_random() {
        // Even sampling covers the embedding: its chosen points are further apart on average.
        let cells = small_space();
        let candidates: Vec<usize> = (0..cells.len()).collect();
        let pca = Pca::fit(&cells, EVEN_DIMS);
        let spread = |chosen: &[usize]| {
            let points: Vec<Vec<f64>> = chosen.iter().map(|&i| pca.project(&cells[i])).collect();
            let mut total = 0.0;
            for p in &points {
                let nearest = points
                    .iter()
                    .filter(|q| !std::ptr::eq(*q, p))
                    .map(|q| p.iter().zip(q).map(|(a, b)| (a - b).powi(2)).sum::<f64>())
                    .fold(f64::MAX, f64::min);
                total += nearest.sqrt();
            }
            total / points.len() as f64
        };
        let even = sample(&cells, &candidates, 5, Sampling::Even, 0, None).unwrap();
        let random = sample(&cells, &candidates, 5, Sampling::Random, 0, None).unwrap();
        assert!(spread(&even) > spread(&random), "even {} random {}", spread(&even), spread(&random));
    }
}
