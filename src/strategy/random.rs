//! Random search: the space (per hyperparameter a list of values or a
//! distribution) and scikit-learn's ParameterSampler semantics.
//!
//! When every hyperparameter of every sub-grid is a list, the grid is
//! enumerated and `n_iter` distinct points are drawn without replacement
//! (all of them, in random order, when the grid is smaller). Otherwise each
//! draw picks a sub-grid uniformly, then each hyperparameter in name order:
//! a list uniformly, a distribution by its law. Draws depend on the seed
//! only, so every worker, shard and resumed run sees the same settings, and
//! the first k draws do not depend on n_iter.

use crate::grid::{self, Axis};
use crate::params::{canonical_json, ParamValue, Params};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// A distribution to draw one hyperparameter from (bounds inclusive).
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Uniform over the integers `low..=high`; `log`: P(value in [a, b)) is
    /// proportional to ln(b / a).
    Int { low: i64, high: i64, log: bool },
    /// Uniform over `[low, high]`; `log`: log-uniform (scipy's loguniform).
    Float { low: f64, high: f64, log: bool },
}

/// The values one hyperparameter may take.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    List(Vec<ParamValue>),
    Dist(Distribution),
}

/// One hyperparameter of a sub-grid and its domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub name: String,
    pub domain: Domain,
}

/// How a random search drew its settings: what `gridrun plan` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawReport {
    pub n_iter: usize,
    pub seed: u64,
    /// Every hyperparameter was a list: distinct grid points were drawn.
    pub without_replacement: bool,
    /// Points in the enumerated grid (without replacement only).
    pub grid_size: Option<usize>,
    /// Draws (with replacement) that repeated an earlier setting: the same
    /// setting gives the same tasks, so it is evaluated once.
    pub repeats_dropped: usize,
}

impl DrawReport {
    /// One line for `gridrun plan`.
    pub fn summary(&self) -> String {
        let how = match self.grid_size {
            Some(size) if self.without_replacement => {
                format!("without replacement from a grid of {size} settings")
            }
            _ => "with replacement".to_string(),
        };
        let mut line = format!(
            "random search: n_iter = {}, seed = {}, {how}",
            self.n_iter, self.seed
        );
        if self.repeats_dropped > 0 {
            let (n, s) = match self.repeats_dropped {
                1 => (1, " repeated"),
                n => (n, "s repeated"),
            };
            line.push_str(&format!(
                "; {n} draw{s} an earlier setting (evaluated once)"
            ));
        }
        line
    }

    /// scikit-learn warns when n_iter exceeds the grid; so does gridrun.
    pub fn warning(&self) -> Option<String> {
        match self.grid_size {
            Some(size) if size < self.n_iter => Some(format!(
                "the grid has only {size} settings, fewer than n_iter = {}: running all of them",
                self.n_iter
            )),
            _ => None,
        }
    }
}

/// The settings a random search evaluates, in draw order.
pub struct Draws {
    pub settings: Vec<Params>,
    pub report: DrawReport,
}

impl Distribution {
    /// Reads `{ int = [lo, hi] }`, `{ float = [lo, hi], log = true }`, ...;
    /// None when the table is not a distribution (e.g. a range table).
    pub fn parse(value: &toml::Value) -> Option<Result<Distribution, String>> {
        let table = value.as_table()?;
        let kind = ["int", "float"]
            .into_iter()
            .find(|k| table.contains_key(*k))?;
        Some(Self::parse_table(table, kind))
    }

    fn parse_table(table: &toml::Table, kind: &str) -> Result<Distribution, String> {
        if let Some(extra) = table.keys().find(|k| *k != kind && *k != "log") {
            return Err(format!(
                "unknown key `{extra}` in an {kind} distribution (allowed: {kind}, log)"
            ));
        }
        let log = match table.get("log") {
            None => false,
            Some(toml::Value::Boolean(b)) => *b,
            Some(_) => return Err("log must be true or false".into()),
        };
        let bounds = table[kind].as_array().map(Vec::as_slice);
        let dist = match (kind, bounds) {
            ("int", Some([toml::Value::Integer(low), toml::Value::Integer(high)])) => {
                Distribution::Int {
                    low: *low,
                    high: *high,
                    log,
                }
            }
            ("int", _) => return Err("int takes two integers: [low, high]".into()),
            (_, Some([low, high])) => match (finite(low), finite(high)) {
                (Some(low), Some(high)) => Distribution::Float { low, high, log },
                _ => return Err("float takes two finite numbers: [low, high]".into()),
            },
            _ => return Err("float takes two numbers: [low, high]".into()),
        };
        dist.check()?;
        Ok(dist)
    }

    fn check(&self) -> Result<(), String> {
        match *self {
            Distribution::Int { low, high, .. } if low > high => {
                Err(format!("low {low} is above high {high}"))
            }
            Distribution::Float { low, high, .. } if low > high => {
                Err(format!("low {low} is above high {high}"))
            }
            Distribution::Int { low, log: true, .. } if low < 1 => {
                Err("a log-uniform int distribution needs low >= 1".into())
            }
            Distribution::Float { low, log: true, .. } if low <= 0.0 => {
                Err("a log-uniform float distribution needs low > 0".into())
            }
            _ => Ok(()),
        }
    }

    /// The two bounds as values, to check them against the model's ranges
    /// (every draw lies between them).
    pub fn bounds(&self) -> [ParamValue; 2] {
        match *self {
            Distribution::Int { low, high, .. } => [ParamValue::Int(low), ParamValue::Int(high)],
            Distribution::Float { low, high, .. } => {
                [ParamValue::Float(low), ParamValue::Float(high)]
            }
        }
    }

    pub fn draw(&self, rng: &mut impl Rng) -> ParamValue {
        match *self {
            Distribution::Int {
                low,
                high,
                log: false,
            } => ParamValue::Int(rng.random_range(low..=high)),
            Distribution::Int {
                low,
                high,
                log: true,
            } => {
                // Uniform in log space over [low, high + 1), floored: each
                // integer k gets the log-width of [k, k + 1).
                let x = rng
                    .random_range((low as f64).ln()..((high as f64) + 1.0).ln())
                    .exp()
                    .floor();
                ParamValue::Int((x as i64).clamp(low, high))
            }
            Distribution::Float {
                low,
                high,
                log: false,
            } => ParamValue::Float(rng.random_range(low..=high)),
            Distribution::Float {
                low,
                high,
                log: true,
            } => {
                let x = rng.random_range(low.ln()..=high.ln()).exp();
                // exp(ln(x)) can miss the bound by an ulp.
                ParamValue::Float(x.clamp(low, high))
            }
        }
    }
}

fn finite(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) if f.is_finite() => Some(*f),
        _ => None,
    }
}

impl Domain {
    /// Points the domain contributes to a grid's size (a distribution: 1).
    pub fn len(&self) -> usize {
        match self {
            Domain::List(values) => values.len(),
            Domain::Dist(_) => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The sub-grids as grid axes, or None when a hyperparameter is a distribution.
pub fn as_axes(subgrids: &[Vec<Dimension>]) -> Option<Vec<Vec<Axis>>> {
    subgrids
        .iter()
        .map(|dims| {
            dims.iter()
                .map(|d| match &d.domain {
                    Domain::List(values) => Some(Axis {
                        name: d.name.clone(),
                        values: values.clone(),
                    }),
                    Domain::Dist(_) => None,
                })
                .collect()
        })
        .collect()
}

/// Draws `n_iter` settings from the sub-grids (ParameterSampler's semantics,
/// see the module doc). Sub-grid dimensions must be sorted by name.
pub fn sample(subgrids: &[Vec<Dimension>], n_iter: usize, seed: u64) -> Draws {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let report = DrawReport {
        n_iter,
        seed,
        without_replacement: false,
        grid_size: None,
        repeats_dropped: 0,
    };
    if let Some(axes) = as_axes(subgrids) {
        return sample_grid(&axes, n_iter, &mut rng, report);
    }
    let mut seen = std::collections::HashSet::new();
    let mut settings = Vec::with_capacity(n_iter);
    for _ in 0..n_iter {
        let dims = &subgrids[rng.random_range(0..subgrids.len())];
        let setting: Params = dims
            .iter()
            .map(|d| (d.name.clone(), draw_one(&d.domain, &mut rng)))
            .collect();
        if seen.insert(canonical_json(&setting)) {
            settings.push(setting);
        }
    }
    let repeats_dropped = n_iter - settings.len();
    Draws {
        settings,
        report: DrawReport {
            repeats_dropped,
            ..report
        },
    }
}

fn draw_one(domain: &Domain, rng: &mut impl Rng) -> ParamValue {
    match domain {
        Domain::List(values) => values[rng.random_range(0..values.len())].clone(),
        Domain::Dist(dist) => dist.draw(rng),
    }
}

/// Every key a list: distinct grid points, drawn without replacement.
fn sample_grid(axes: &[Vec<Axis>], n_iter: usize, rng: &mut impl Rng, report: DrawReport) -> Draws {
    let grid = grid::expand(axes);
    let take = n_iter.min(grid.len());
    // A partial Fisher-Yates shuffle: the first k draws do not depend on
    // n_iter, so raising n_iter keeps every earlier draw (and its results).
    let mut order: Vec<usize> = (0..grid.len()).collect();
    for i in 0..take {
        order.swap(i, rng.random_range(i..grid.len()));
    }
    let settings = order[..take].iter().map(|&i| grid[i].clone()).collect();
    Draws {
        settings,
        report: DrawReport {
            without_replacement: true,
            grid_size: Some(grid.len()),
            ..report
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(src: &str) -> Result<Distribution, String> {
        let t: toml::Table = toml::from_str(&format!("v = {src}")).unwrap();
        Distribution::parse(&t["v"]).expect("a distribution table")
    }

    fn list(name: &str, values: &[i64]) -> Dimension {
        Dimension {
            name: name.into(),
            domain: Domain::List(values.iter().map(|v| ParamValue::Int(*v)).collect()),
        }
    }

    fn dim(name: &str, src: &str) -> Dimension {
        Dimension {
            name: name.into(),
            domain: Domain::Dist(dist(src).unwrap()),
        }
    }

    fn keys(settings: &[Params]) -> Vec<String> {
        settings.iter().map(canonical_json).collect()
    }

    #[test]
    fn parses_the_four_forms() {
        assert_eq!(
            dist("{ int = [2, 32] }").unwrap(),
            Distribution::Int {
                low: 2,
                high: 32,
                log: false
            }
        );
        assert_eq!(
            dist("{ int = [1, 64], log = true }").unwrap(),
            Distribution::Int {
                low: 1,
                high: 64,
                log: true
            }
        );
        assert_eq!(
            dist("{ float = [0, 1.0] }").unwrap(),
            Distribution::Float {
                low: 0.0,
                high: 1.0,
                log: false
            }
        );
        assert!(dist("{ float = [1e-4, 1e4], log = true }").is_ok());
    }

    #[test]
    fn bad_distributions_say_why() {
        assert!(dist("{ int = [5, 2] }").unwrap_err().contains("above"));
        assert!(dist("{ int = [0, 9], log = true }")
            .unwrap_err()
            .contains("low >= 1"));
        assert!(dist("{ float = [0.0, 1.0], log = true }")
            .unwrap_err()
            .contains("low > 0"));
        assert!(dist("{ int = [1.5, 3] }").unwrap_err().contains("integers"));
        assert!(dist("{ float = [1] }").unwrap_err().contains("two"));
        assert!(dist("{ int = [1, 3], step = 1 }")
            .unwrap_err()
            .contains("unknown key `step`"));
        assert!(dist("{ int = [1, 3], log = 1 }")
            .unwrap_err()
            .contains("true or false"));
        let t: toml::Table = toml::from_str("v = { range = [1, 3] }").unwrap();
        assert!(Distribution::parse(&t["v"]).is_none(), "a range is a list");
    }

    #[test]
    fn draws_stay_within_inclusive_bounds_and_reach_both_ends() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for src in ["{ int = [2, 5] }", "{ int = [1, 4], log = true }"] {
            let d = dist(src).unwrap();
            let mut seen = std::collections::BTreeSet::new();
            for _ in 0..2000 {
                match d.draw(&mut rng) {
                    ParamValue::Int(i) => seen.insert(i),
                    other => panic!("{other:?}"),
                };
            }
            let [ParamValue::Int(low), ParamValue::Int(high)] = d.bounds() else {
                unreachable!()
            };
            assert_eq!(seen, (low..=high).collect(), "{src}");
        }
        let d = dist("{ float = [1e-4, 1e4], log = true }").unwrap();
        let xs: Vec<f64> = (0..4000)
            .map(|_| d.draw(&mut rng).as_f64().unwrap())
            .collect();
        assert!(xs.iter().all(|x| (1e-4..=1e4).contains(x)));
        // Log-uniform: half the draws below the geometric middle (1.0).
        let below = xs.iter().filter(|x| **x < 1.0).count() as f64 / xs.len() as f64;
        assert!((below - 0.5).abs() < 0.05, "{below}");
        let d = dist("{ float = [0.5, 0.5] }").unwrap();
        assert_eq!(d.draw(&mut rng), ParamValue::Float(0.5));
    }

    #[test]
    fn log_int_favours_small_values_as_ln_ratio() {
        // P(1) = ln 2 / ln 9 = 0.315 for [1, 8]; uniform would be 0.125.
        let d = dist("{ int = [1, 8], log = true }").unwrap();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let ones = (0..10_000)
            .filter(|_| d.draw(&mut rng) == ParamValue::Int(1))
            .count() as f64
            / 10_000.0;
        assert!((ones - 2f64.ln() / 9f64.ln()).abs() < 0.02, "{ones}");
    }

    #[test]
    fn all_lists_sample_distinct_grid_points() {
        let space = vec![vec![list("a", &[1, 2, 3, 4, 5]), list("b", &[1, 2, 3, 4])]];
        let draws = sample(&space, 12, 7);
        assert!(draws.report.without_replacement);
        assert_eq!(draws.report.grid_size, Some(20));
        assert_eq!(draws.settings.len(), 12);
        let mut k = keys(&draws.settings);
        k.sort();
        k.dedup();
        assert_eq!(k.len(), 12, "no setting twice");
        assert!(draws.report.warning().is_none());
    }

    #[test]
    fn n_iter_over_the_grid_gives_all_points_and_a_warning() {
        let space = vec![vec![list("a", &[1, 2, 3])], vec![list("a", &[3, 4])]];
        let draws = sample(&space, 10, 0);
        // sub-grids concatenated, the shared point once: 4 points
        assert_eq!(draws.settings.len(), 4);
        let mut k = keys(&draws.settings);
        k.sort();
        assert_eq!(
            k,
            vec![r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":3}"#, r#"{"a":4}"#]
        );
        let warning = draws.report.warning().unwrap();
        assert!(warning.contains("only 4 settings"), "{warning}");
    }

    #[test]
    fn same_seed_same_draws_other_seed_other_draws() {
        let space = vec![vec![
            list("a", &[1, 2, 3]),
            dim("b", "{ float = [0.0, 1.0] }"),
            dim("c", "{ int = [1, 1000], log = true }"),
        ]];
        let one = keys(&sample(&space, 25, 42).settings);
        assert_eq!(one, keys(&sample(&space, 25, 42).settings));
        assert_ne!(one, keys(&sample(&space, 25, 43).settings));
    }

    #[test]
    fn raising_n_iter_keeps_the_earlier_draws() {
        let lists = vec![vec![list("a", &[1, 2, 3, 4, 5, 6]), list("b", &[1, 2, 3])]];
        let mixed = vec![vec![
            list("a", &[1, 2, 3]),
            dim("x", "{ float = [0.0, 1.0] }"),
        ]];
        for space in [lists, mixed] {
            let few = keys(&sample(&space, 5, 1).settings);
            let more = keys(&sample(&space, 12, 1).settings);
            assert_eq!(few[..], more[..5]);
        }
    }

    #[test]
    fn with_replacement_runs_a_repeated_setting_once() {
        // 2 x 2 = 4 possible settings, 50 draws: repeats are certain.
        let space = vec![vec![list("a", &[1, 2]), dim("b", "{ int = [1, 2] }")]];
        let draws = sample(&space, 50, 5);
        assert!(!draws.report.without_replacement);
        assert_eq!(draws.settings.len(), 4);
        assert_eq!(draws.report.repeats_dropped, 46);
        assert!(draws
            .report
            .summary()
            .ends_with("; 46 draws repeated an earlier setting (evaluated once)"));
    }

    #[test]
    fn each_draw_picks_a_sub_grid() {
        let space = vec![
            vec![list("a", &[1]), dim("x", "{ float = [0.0, 1.0] }")],
            vec![list("b", &[2]), dim("x", "{ float = [0.0, 1.0] }")],
        ];
        let draws = sample(&space, 200, 11);
        let with_a = draws
            .settings
            .iter()
            .filter(|s| s.contains_key("a"))
            .count();
        assert!((60..140).contains(&with_a), "{with_a}");
        assert!(draws
            .settings
            .iter()
            .all(|s| s.contains_key("a") != s.contains_key("b")));
    }
}
