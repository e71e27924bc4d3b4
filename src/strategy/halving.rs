//! Successive halving: the schedule of rounds (candidates and resources per
//! round) and the rule that keeps the best candidates of a round, with the
//! semantics of scikit-learn's HalvingGridSearchCV / HalvingRandomSearchCV
//! (`sklearn/model_selection/_search_successive_halving.py`).
//!
//! Pure functions: the caller runs each round and feeds its scores back.
//! The arithmetic follows Python's on purpose (float `//`, `math.log(x, b)`
//! as ln x / ln b, `int()` truncation), so the rounds equal scikit-learn's
//! even where floating point rounds (`log(243, 3)` is 4.999..., so 243
//! candidates need 5 rounds at factor 3, not 6). Checked against scikit-learn
//! on the cases in tests/reference/halving_schedules.json.

use serde::{Deserialize, Serialize};

/// What grows from round to round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// Training rows of each fold (subsampled).
    NSamples,
    /// An integer hyperparameter of the model, e.g. n_estimators.
    Param(String),
}

/// The first round's resources.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MinResources {
    /// As large as lets the last round use (close to) max_resources.
    Exhaust,
    /// n_samples: 2 x n_splits (x n_classes for a classifier); a parameter: 1.
    Smallest,
    Count(u64),
}

/// The most resources a round may use.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxResources {
    /// n_samples: every row of the dataset (n_samples only).
    Auto,
    Count(u64),
}

/// How many candidates a random halving search draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NCandidates {
    /// max_resources // min_resources: the last round can use all resources.
    Exhaust,
    Count(usize),
}

/// The `[search]` halving keys, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HalvingSpec {
    /// Each round keeps ceil(1 / factor) of the candidates and multiplies
    /// the resources by factor. Greater than 1.
    pub factor: f64,
    pub resource: Resource,
    pub min_resources: MinResources,
    pub max_resources: MaxResources,
    /// Start with min resources for as many rounds as it takes to bring the
    /// candidates down to the last round's count.
    pub aggressive_elimination: bool,
    /// Some: candidates drawn at random (HalvingRandomSearchCV); None: the grid.
    pub n_candidates: Option<NCandidates>,
}

/// What the schedule needs from the data and the CV.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataFacts {
    pub n_samples: u64,
    /// Train/test splits per candidate (folds x repeats).
    pub n_splits: usize,
    /// None for regression.
    pub n_classes: Option<usize>,
}

/// One round: how many candidates, each evaluated with how many resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round {
    pub n_candidates: usize,
    pub n_resources: u64,
}

/// The whole schedule, with scikit-learn's fitted attribute names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// `min_resources_`: a float only with a fractional factor and "exhaust".
    pub min_resources: f64,
    pub max_resources: u64,
    pub n_required_iterations: usize,
    pub n_possible_iterations: usize,
    pub n_iterations: usize,
    pub rounds: Vec<Round>,
}

impl HalvingSpec {
    /// `(min_resources_, max_resources_)` before the candidates are known
    /// ("exhaust" starts from "smallest" and may grow in [`Self::schedule`]).
    pub fn resource_bounds(&self, data: &DataFacts) -> Result<(u64, u64), String> {
        let min = match (self.min_resources, &self.resource) {
            (MinResources::Count(n), _) => n,
            (_, Resource::NSamples) => {
                // scikit-learn's "magic factor" 2: two samples per split and class.
                let per_class = data.n_splits as u64 * 2;
                per_class * data.n_classes.unwrap_or(1) as u64
            }
            (_, Resource::Param(_)) => 1,
        };
        let max = match (self.max_resources, &self.resource) {
            (MaxResources::Count(n), _) => n,
            (MaxResources::Auto, Resource::NSamples) => data.n_samples,
            (MaxResources::Auto, Resource::Param(name)) => {
                return Err(format!(
                    "max_resources is required with resource = \"{name}\" (\"auto\" means every row: n_samples only)"
                ))
            }
        };
        if min > max {
            return Err(format!(
                "min_resources {min} is greater than max_resources {max}"
            ));
        }
        if min == 0 {
            return Err("min_resources is 0: is the dataset empty?".into());
        }
        Ok((min, max))
    }

    /// How many candidates a random halving search draws (None: the grid).
    pub fn candidates_to_draw(&self, data: &DataFacts) -> Result<Option<usize>, String> {
        match self.n_candidates {
            None => Ok(None),
            Some(NCandidates::Count(n)) => Ok(Some(n)),
            Some(NCandidates::Exhaust) if self.min_resources == MinResources::Exhaust => {
                Err("n_candidates and min_resources cannot both be \"exhaust\"".into())
            }
            Some(NCandidates::Exhaust) => {
                let (min, max) = self.resource_bounds(data)?;
                Ok(Some((max / min) as usize))
            }
        }
    }

    /// The rounds for `n_candidates` first-round candidates (scikit-learn's
    /// `_run_search`).
    pub fn schedule(&self, n_candidates: usize, data: &DataFacts) -> Result<Schedule, String> {
        if n_candidates == 0 {
            return Err("no candidates to halve".into());
        }
        let (smallest, max) = self.resource_bounds(data)?;
        let factor = self.factor;
        let max_f = max as f64;
        let n_required = 1 + floor_log(n_candidates as f64, factor);
        let mut min = smallest as f64;
        if self.min_resources == MinResources::Exhaust {
            let last = (n_required - 1) as f64;
            min = min.max(py_floordiv(max_f, factor.powf(last)));
        }
        let n_possible = 1 + floor_log(py_floordiv(max_f, min), factor);
        let n_iterations = if self.aggressive_elimination {
            n_required
        } else {
            n_possible.min(n_required)
        };
        let mut rounds = Vec::with_capacity(n_iterations);
        let mut candidates = n_candidates;
        for itr in 0..n_iterations {
            let power = if self.aggressive_elimination {
                // Stay at the first round's resources until the candidates
                // have come down enough, then grow as usual.
                (itr + n_possible).saturating_sub(n_required)
            } else {
                itr
            };
            // Python's int(): truncation.
            let resources = (factor.powf(power as f64) * min).trunc() as u64;
            rounds.push(Round {
                n_candidates: candidates,
                n_resources: resources.min(max),
            });
            candidates = keep_count(candidates, factor);
        }
        Ok(Schedule {
            min_resources: min,
            max_resources: max,
            n_required_iterations: n_required,
            n_possible_iterations: n_possible,
            n_iterations,
            rounds,
        })
    }
}

/// Candidates a round of `n` passes on: ceil(n / factor).
pub fn keep_count(n: usize, factor: f64) -> usize {
    ((n as f64 / factor).ceil() as usize).min(n)
}

/// The `k` best candidates of a round by mean score, in scikit-learn's
/// order for the next round: ascending score, failed (NaN) ones lowest.
/// Equal scores keep their order in the round, so of equal candidates the
/// later one ranks higher: what scikit-learn's `_top_k` gives with a stable
/// sort. (numpy's default argsort is not stable for more than three
/// elements on every CPU, so scikit-learn's own choice between equal
/// scores at the cut depends on the machine.)
pub fn top_k(scores: &[f64], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| (!scores[i].is_nan(), scores[i]);
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    order.split_off(order.len() - k.min(order.len()))
}

/// The best candidate of the last round: the first with the highest
/// score, ignoring failed ones; the first candidate if all failed.
pub fn best_of_round(scores: &[f64]) -> usize {
    let mut best: Option<usize> = None;
    for (i, s) in scores.iter().enumerate() {
        if !s.is_nan() && best.is_none_or(|b| *s > scores[b]) {
            best = Some(i);
        }
    }
    best.unwrap_or(0)
}

/// Python's `floor(math.log(x, base))`: ln x / ln base, floored.
fn floor_log(x: f64, base: f64) -> usize {
    (x.ln() / base.ln()).floor().max(0.0) as usize
}

/// Python's float `//` (floor division through fmod, as CPython does it).
fn py_floordiv(a: f64, b: f64) -> f64 {
    let rem = a % b;
    let mut div = (a - rem) / b;
    if rem != 0.0 && ((b < 0.0) != (rem < 0.0)) {
        div -= 1.0;
    }
    if div == 0.0 {
        return 0.0;
    }
    let floor = div.floor();
    if div - floor > 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

#[cfg(test)]
mod tests;
