//! The whole search space: nasbench's counts, unique hashes, and the same representatives as
//! the cells of the real dataset.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};

use nasbench::space::{UNIQUE_CELLS, UNIQUE_CELLS_BY_VERTICES, enumerate_space};

#[test]
fn the_space_has_nasbench_counts_and_representatives() {
    let space = enumerate_space();
    assert_eq!(space.len(), UNIQUE_CELLS);
    let mut by_vertices: BTreeMap<usize, usize> = BTreeMap::new();
    for c in &space {
        *by_vertices.entry(c.cell.n_vertices()).or_default() += 1;
    }
    assert_eq!(by_vertices, UNIQUE_CELLS_BY_VERTICES.into_iter().collect());
    let hashes: HashSet<_> = space.iter().map(|c| c.hash).collect();
    assert_eq!(hashes.len(), UNIQUE_CELLS, "every cell has its own hash");
    assert!(space.iter().all(|c| c.cell.n_edges() <= 9));

    // The 20k real cells were restored by enumerating the space the nasbench way: each must be
    // exactly our representative of its hash, adjacency and op order included.
    let Some(bytes) = test_support::read_shared("data/nb101_val_20k.csv") else { return };
    let dataset = nasbench::formats::csv::read_csv(&bytes).unwrap();
    let index: HashMap<_, _> = space.iter().map(|c| (c.hash, c.cell)).collect();
    for record in dataset.records() {
        assert_eq!(index.get(&record.hash), Some(&record.cell), "{}", record.hash);
    }
}
