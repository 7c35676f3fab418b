//! Many seeds of one method, summarised: the regret curve's mean and standard deviation, the
//! regret after given budgets, and the queries each run needed to reach the pool's best cells.

use serde::Serialize;

use super::pool::Pool;
use super::trace::Trace;

/// Mean and standard deviation (n − 1 in the denominator; 0 for one value) over runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSd {
    /// The mean.
    pub mean: f64,
    /// The standard deviation.
    pub sd: f64,
}

impl MeanSd {
    /// Of `values` (`None` for none).
    pub fn of(values: &[f64]) -> Option<Self> {
        let n = values.len();
        if n == 0 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        let sd =
            if n > 1 { (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() } else { 0.0 };
        Some(Self { mean, sd })
    }
}

/// How many queries the runs needed to find a cell among the pool's best `share`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reach {
    /// The share of the pool (0.001 for the top 0.1 %).
    pub share: f64,
    /// Runs that found such a cell within their budget.
    pub reached: usize,
    /// Runs in all.
    pub runs: usize,
    /// Over the runs that found one: queries until they did.
    pub queries: Option<MeanSd>,
    /// The median over all runs, a run that never found one counting as past its budget (`None`
    /// where fewer than half found one).
    pub median: Option<usize>,
}

/// One method over many seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodSummary {
    /// The method's name.
    pub method: String,
    /// Runs (seeds).
    pub runs: usize,
    /// Queries per run.
    pub budget: usize,
    /// The regret (the pool's best accuracy minus the best found) after each query, over runs.
    pub regret: Vec<MeanSd>,
    /// The regret after each of the budgets asked for: `(queries, regret)`.
    pub regret_after: Vec<(usize, MeanSd)>,
    /// Queries to reach the pool's top shares.
    pub reach: Vec<Reach>,
}

/// Summarises `traces` (one run each, all of one budget) of `method` on `pool`, with the regret
/// after each of `budgets` and the queries to reach each of `shares`.
pub fn summarise(method: &str, pool: &Pool, traces: &[Trace], budgets: &[usize], shares: &[f64]) -> MethodSummary {
    let budget = traces.iter().map(Trace::len).min().unwrap_or(0);
    let regret_at = |queries: usize| -> Option<MeanSd> {
        let values: Option<Vec<f64>> = traces.iter().map(|t| t.regret_after(pool, queries)).collect();
        MeanSd::of(&values?)
    };
    let regret = (1..=budget).filter_map(regret_at).collect();
    let regret_after = budgets.iter().filter_map(|&q| Some((q, regret_at(q)?))).collect();
    let reach = shares
        .iter()
        .map(|&share| {
            let threshold = pool.top_threshold(share);
            let found: Vec<Option<usize>> = traces.iter().map(|t| t.queries_to_reach(threshold)).collect();
            let reached: Vec<f64> = found.iter().flatten().map(|&q| q as f64).collect();
            let mut ordered: Vec<usize> = found.iter().map(|q| q.unwrap_or(usize::MAX)).collect();
            ordered.sort_unstable();
            let median = ordered.get(ordered.len().saturating_sub(1) / 2).copied().filter(|&q| q != usize::MAX);
            Reach { share, reached: reached.len(), runs: traces.len(), queries: MeanSd::of(&reached), median }
        })
        .collect();
    MethodSummary { method: method.to_owned(), runs: traces.len(), budget, regret, regret_after, reach }
}
