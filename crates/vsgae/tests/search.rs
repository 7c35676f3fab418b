//! The search methods on a small synthetic pool: distinct queries, reproducible from the seed,
//! and the model-based ones finding good cells faster than random search where the accuracy is
//! a smooth function of the features.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use rand::Rng;
use vsgae::search::{EnsembleConfig, Features, Pool, Search, SearchConfig, SearchMethod, Trace};

/// 300 cells with 16 random features each; the accuracy peaks at one point of feature space.
fn smooth_pool() -> (Arc<Pool>, Arc<Features>) {
    let cells: Vec<nasbench::Cell> =
        (2..=5).flat_map(nasbench::space::enumerate_vertices).map(|c| c.cell).take(300).collect();
    assert_eq!(cells.len(), 300);
    let mut rng = nasbench::split::rng(11);
    let values: Vec<f32> = (0..cells.len() * 16).map(|_| rng.random_range(-2.0..2.0)).collect();
    let accuracy =
        values.chunks(16).map(|f| 0.95 - 0.01 * f.iter().map(|&v| (f64::from(v) - 0.5).powi(2)).sum::<f64>()).collect();
    (Arc::new(Pool::new(cells, accuracy).unwrap()), Arc::new(Features::new(values, 16).unwrap()))
}

fn run(pool: &Arc<Pool>, features: &Arc<Features>, method: SearchMethod, seed: u64) -> Trace {
    let config = SearchConfig {
        budget: 40,
        ensemble: EnsembleConfig { steps: 100, ..EnsembleConfig::default() },
        population: 10,
        tournament: 3,
        ..SearchConfig::new(method, seed)
    };
    Search::new(pool.clone(), Some(features.clone()), config, &burn::tensor::Device::flex()).unwrap().run().unwrap()
}

#[test]
fn every_method_queries_distinct_cells_and_repeats_itself_from_the_seed() {
    let (pool, features) = smooth_pool();
    for method in SearchMethod::ALL {
        let trace = run(&pool, &features, method, 5);
        assert_eq!(trace.len(), 40, "{method:?}");
        let mut distinct = trace.queried.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 40, "{method:?} queried a cell twice");
        for (k, best) in trace.best.iter().enumerate() {
            let running = trace.accuracy[..=k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(*best, running, "{method:?}: the best after query {}", k + 1);
        }
        assert_eq!(run(&pool, &features, method, 5), trace, "{method:?} is not reproducible from its seed");
        assert_ne!(run(&pool, &features, method, 6).queried, trace.queried, "{method:?} ignores its seed");
    }
}

#[test]
fn model_based_methods_beat_random_search_on_a_smooth_pool() {
    let (pool, features) = smooth_pool();
    let mean_regret = |method: SearchMethod| -> f64 {
        (0..4).map(|seed| run(&pool, &features, method, seed).regret_after(&pool, 40).unwrap()).sum::<f64>() / 4.0
    };
    let random = mean_regret(SearchMethod::Random);
    for method in [SearchMethod::PredictorGuided, SearchMethod::LatentBo] {
        let regret = mean_regret(method);
        assert!(regret < 0.5 * random, "{method:?}: regret {regret:.5} against random search's {random:.5}");
    }
}

#[test]
fn bad_settings_and_missing_latents_are_refused() {
    let (pool, features) = smooth_pool();
    let device = burn::tensor::Device::flex();
    let config = |method| SearchConfig::new(method, 0);
    let error = Search::new(pool.clone(), None, config(SearchMethod::LatentBo), &device).unwrap_err();
    assert!(error.to_string().contains("needs the pool's latents"), "{error}");
    let too_long = SearchConfig { budget: 301, ..config(SearchMethod::Random) };
    assert!(Search::new(pool.clone(), Some(features.clone()), too_long, &device).is_err());
    let bad_tournament = SearchConfig { tournament: 31, ..config(SearchMethod::Evolution) };
    assert!(Search::new(pool.clone(), Some(features.clone()), bad_tournament, &device).is_err());
    let short = Arc::new(Features::new(vec![0.0; 32], 16).unwrap());
    assert!(Search::new(pool, Some(short), config(SearchMethod::PredictorGuided), &device).is_err());
}
