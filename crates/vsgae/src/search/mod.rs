//! Finding the best cells of a labelled pool with few queries. A search reveals one cell's
//! accuracy per query and records the best found ([`Trace`]); it is reproducible from its seed,
//! bit for bit on the CPU backend.
//!
//! - [`SearchMethod::Random`]: cells in a seeded random order.
//! - [`SearchMethod::Evolution`]: regularised evolution, mutations mapped into the pool
//!   ([`evolution`]).
//! - [`SearchMethod::PredictorGuided`]: BANANAS-style, an ensemble of MLPs on the VS-GAE's
//!   latent means refitted as labels arrive, candidates ranked by an [`Acquisition`]
//!   ([`ensemble`]).
//! - [`SearchMethod::LatentBo`]: Bayesian optimisation with a Gaussian process in the
//!   VS-GAE's latent space, arch2vec-style ([`gp`]).
//!
//! ```
//! use vsgae::search::{Pool, Search, SearchConfig, SearchMethod};
//!
//! let cells: Vec<nasbench::Cell> =
//!     nasbench::space::enumerate_vertices(4).into_iter().map(|c| c.cell).take(40).collect();
//! let accuracy: Vec<f64> = (0..cells.len()).map(|k| 0.9 + k as f64 * 1e-4).collect();
//! let pool = std::sync::Arc::new(Pool::new(cells, accuracy)?);
//! let config = SearchConfig { budget: 10, ..SearchConfig::new(SearchMethod::Evolution, 3) };
//! let device = burn::tensor::Device::flex();
//! let trace = Search::new(pool, None, config, &device)?.run()?;
//! assert_eq!(trace.len(), 10);
//! assert_eq!(trace.best.last(), trace.accuracy.iter().copied().reduce(f64::max).as_ref());
//! # Ok::<(), vsgae::search::SearchError>(())
//! ```

pub mod acquisition;
pub mod ensemble;
pub mod evolution;
pub mod features;
pub mod gp;
pub mod pool;
pub mod summary;
pub mod trace;

use std::sync::Arc;

use burn::tensor::Device;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use acquisition::Acquisition;
pub use ensemble::EnsembleConfig;
pub use features::Features;
pub use pool::Pool;
pub use summary::{MethodSummary, summarise};
pub use trace::Trace;

/// Why a search cannot start or go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// The pool cannot be built: why.
    #[error("the pool: {0}")]
    Pool(String),
    /// The features cannot be used: why.
    #[error("the latent features: {0}")]
    Features(String),
    /// A setting is out of range: which and why.
    #[error("{0}")]
    Config(String),
    /// The method's model failed: why.
    #[error("the search's model: {0}")]
    Model(String),
}

/// How the next cells are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "kebab-case")]
pub enum SearchMethod {
    /// Uniformly at random.
    Random,
    /// Regularised evolution.
    Evolution,
    /// An ensemble of MLPs on latent means, with an acquisition function (BANANAS-style).
    PredictorGuided,
    /// A Gaussian process on latent means, with an acquisition function (arch2vec-style).
    LatentBo,
}

impl SearchMethod {
    /// Every method.
    pub const ALL: [Self; 4] = [Self::Random, Self::Evolution, Self::PredictorGuided, Self::LatentBo];

    /// The method's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Evolution => "evolution",
            Self::PredictorGuided => "predictor-guided",
            Self::LatentBo => "latent-bo",
        }
    }

    /// Whether it needs the pool's latent features.
    pub fn needs_features(self) -> bool {
        matches!(self, Self::PredictorGuided | Self::LatentBo)
    }
}

/// One search's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchConfig {
    /// How cells are chosen.
    pub method: SearchMethod,
    /// Queries in all.
    pub budget: usize,
    /// Seeds every random choice.
    pub seed: u64,
    /// How a model-based method ranks candidates.
    pub acquisition: Acquisition,
    /// Random queries before a model is first fitted.
    pub initial: usize,
    /// Queries per model fit.
    pub batch: usize,
    /// Regularised evolution's population.
    pub population: usize,
    /// Regularised evolution's tournament size.
    pub tournament: usize,
    /// The predictor-guided method's ensemble.
    pub ensemble: EnsembleConfig,
}

impl SearchConfig {
    /// The defaults for `method`: 150 queries; BANANAS' 10 random queries before the first
    /// fit, 10 queries per fit and Thompson sampling for the ensemble; 5 per fit and expected
    /// improvement for the GP; a population of 30 with tournaments of 10 for evolution.
    pub fn new(method: SearchMethod, seed: u64) -> Self {
        let gp = method == SearchMethod::LatentBo;
        Self {
            method,
            budget: 150,
            seed,
            acquisition: if gp { Acquisition::Ei } else { Acquisition::Thompson },
            initial: 10,
            batch: if gp { 5 } else { 10 },
            population: 30,
            tournament: 10,
            ensemble: EnsembleConfig::default(),
        }
    }

    /// Checks the settings against a pool of `pool_len` cells.
    pub fn validate(&self, pool_len: usize) -> Result<(), SearchError> {
        let bad = |message: String| Err(SearchError::Config(message));
        if self.budget == 0 || self.budget > pool_len {
            return bad(format!("the budget must be 1 to the pool's {pool_len} cells, not {}", self.budget));
        }
        if self.batch == 0 || self.initial < 2 {
            return bad(format!(
                "a model-based search needs at least 2 initial queries and 1 per fit, not {} and {}",
                self.initial, self.batch
            ));
        }
        if self.population < 2 || self.tournament == 0 || self.tournament > self.population {
            return bad(format!(
                "evolution needs a population of at least 2 and a tournament of 1 to its size, not {} and {}",
                self.population, self.tournament
            ));
        }
        let ensemble = &self.ensemble;
        if ensemble.members < 2 || ensemble.steps == 0 || ensemble.layers == 0 || ensemble.learning_rate <= 0.0 {
            return bad(format!(
                "the ensemble needs at least 2 members, 1 step, 1 layer and a positive learning rate: {ensemble:?}"
            ));
        }
        Ok(())
    }
}

/// A cell a search queried, with what its model believed of the cell when choosing it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query {
    /// The cell's index in the pool.
    pub index: usize,
    /// Its accuracy, revealed by the query.
    pub accuracy: f64,
    /// The model's belief about it (model-based methods, once their model is fitted).
    pub belief: Option<Belief>,
}

/// A model's predicted accuracy for a cell and its standard deviation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Belief {
    /// The predicted accuracy.
    pub mean: f64,
    /// Its standard deviation.
    pub sd: f64,
}

/// A cell chosen for a query, with the model's belief about it.
type Choice = (usize, Option<Belief>);

/// A search under way over a pool: [`Search::step`] makes the next queries.
#[derive(Debug)]
pub struct Search {
    pool: Arc<Pool>,
    features: Option<Arc<Features>>,
    config: SearchConfig,
    trace: Trace,
    rng: ChaCha8Rng,
    evolution: evolution::Evolution,
    device: Device,
}

impl Search {
    /// A search of `pool` under `config`; the model-based methods need the pool's `features`
    /// (one row per cell). Models run on `device`.
    pub fn new(
        pool: Arc<Pool>,
        features: Option<Arc<Features>>,
        config: SearchConfig,
        device: &Device,
    ) -> Result<Self, SearchError> {
        config.validate(pool.len())?;
        if config.method.needs_features() {
            match &features {
                None => {
                    return Err(SearchError::Features(format!("{} needs the pool's latents", config.method.name())));
                }
                Some(f) if f.len() != pool.len() => {
                    return Err(SearchError::Features(format!("{} rows for a pool of {} cells", f.len(), pool.len())));
                }
                Some(_) => {}
            }
        }
        Ok(Self {
            trace: Trace::new(pool.len()),
            pool,
            features,
            rng: nasbench::split::rng(config.seed),
            evolution: evolution::Evolution::new(config.population, config.tournament),
            config,
            device: device.clone(),
        })
    }

    /// The queries so far.
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// The pool searched.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The settings.
    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// Whether the budget is spent.
    pub fn done(&self) -> bool {
        self.trace.len() >= self.config.budget
    }

    /// Makes the next queries (one, or a batch for the model-based methods) and returns them;
    /// none once the budget is spent.
    pub fn step(&mut self) -> Result<Vec<Query>, SearchError> {
        if self.done() {
            return Ok(Vec::new());
        }
        let left = self.config.budget - self.trace.len();
        let unbelieved = |index: Option<usize>| index.map(|index| (index, None)).into_iter().collect::<Vec<_>>();
        let chosen: Vec<Choice> = match self.config.method {
            SearchMethod::Random => unbelieved(evolution::random_unqueried(&self.pool, &self.trace, &mut self.rng)),
            SearchMethod::Evolution => {
                let next = self.evolution.propose(&self.pool, &self.trace, &mut self.rng);
                next.iter().for_each(|&i| self.evolution.add(i));
                unbelieved(next)
            }
            SearchMethod::PredictorGuided | SearchMethod::LatentBo if self.trace.len() < self.config.initial => {
                unbelieved(evolution::random_unqueried(&self.pool, &self.trace, &mut self.rng))
            }
            SearchMethod::PredictorGuided | SearchMethod::LatentBo => self.model_batch(left)?,
        };
        let queried: Vec<Query> = chosen
            .into_iter()
            .filter(|&(index, _)| self.trace.query(&self.pool, index))
            .map(|(index, belief)| Query { index, accuracy: self.pool.accuracy(index), belief })
            .collect();
        if queried.is_empty() {
            return Err(SearchError::Model("no cell left to query".to_owned()));
        }
        Ok(queried)
    }

    /// Runs to the end of the budget.
    pub fn run(mut self) -> Result<Trace, SearchError> {
        while !self.done() {
            self.step()?;
        }
        Ok(self.trace)
    }

    /// Fits the method's model to the labels so far and picks the best `left` (at most a batch)
    /// unqueried cells by the acquisition, each with the model's belief in accuracy units.
    fn model_batch(&mut self, left: usize) -> Result<Vec<Choice>, SearchError> {
        let features = self.features.as_deref().ok_or_else(|| SearchError::Features("no latents".to_owned()))?;
        let labelled = self.trace.queried.clone();
        let (centre, scale) = features::standardisation(&self.trace.accuracy);
        let targets: Vec<f64> = self.trace.accuracy.iter().map(|a| (a - centre) / scale).collect();
        let candidates: Vec<usize> = (0..self.pool.len()).filter(|&i| !self.trace.has(i)).collect();
        let (mean, sd) = match self.config.method {
            SearchMethod::LatentBo => {
                gp::GaussianProcess::fit(features, &labelled, &targets)?.predict(features, &candidates)
            }
            _ => {
                let seed = self.rng.random::<u64>();
                ensemble::fit_and_predict(&self.config.ensemble, features, &labelled, &targets, seed, &self.device)?
            }
        };
        let incumbent = targets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let candidate_mean: Vec<f64> = candidates.iter().map(|&i| mean[i]).collect();
        let candidate_sd: Vec<f64> = candidates.iter().map(|&i| sd[i]).collect();
        let scores = self.config.acquisition.scores(&candidate_mean, &candidate_sd, incumbent, &mut self.rng);
        let chosen = acquisition::top(&scores, self.config.batch.min(left)).into_iter().map(|k| candidates[k]);
        Ok(chosen.map(|i| (i, Some(Belief { mean: centre + scale * mean[i], sd: scale * sd[i] }))).collect())
    }
}
