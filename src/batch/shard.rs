//! Shards: which part of the plan this machine runs.
//!
//! A shard is `I/N` (0-based `I`, like `SLURM_ARRAY_TASK_ID` with
//! `--array=0-(N-1)`). It comes from `--shard I/N` or from the variables a
//! scheduler sets in each array task ([`shard_from_env`]). The tasks are split
//! by [`assign`], which every machine computes alike from the task ids and
//! predicted durations alone.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Slurm: the array task id, and the array's shape (`--array=MIN-MAX:STEP`).
pub const SLURM_ARRAY_TASK_ID: &str = "SLURM_ARRAY_TASK_ID";
pub const SLURM_ARRAY_TASK_COUNT: &str = "SLURM_ARRAY_TASK_COUNT";
pub const SLURM_ARRAY_TASK_MIN: &str = "SLURM_ARRAY_TASK_MIN";
pub const SLURM_ARRAY_TASK_MAX: &str = "SLURM_ARRAY_TASK_MAX";
pub const SLURM_ARRAY_TASK_STEP: &str = "SLURM_ARRAY_TASK_STEP";
/// AWS Batch array jobs: 0-based child index.
pub const AWS_BATCH_JOB_ARRAY_INDEX: &str = "AWS_BATCH_JOB_ARRAY_INDEX";
/// Kubernetes Indexed Jobs: 0-based completion index.
pub const JOB_COMPLETION_INDEX: &str = "JOB_COMPLETION_INDEX";

/// One shard of `count`: this machine runs the tasks assigned to `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ShardSpec {
    pub index: usize,
    pub count: usize,
}

/// Why a shard spec or the scheduler's variables do not name a valid shard.
/// Each message is one line naming the offending input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("{input}: expected I/N, e.g. 0/4")]
    Syntax { input: String },
    #[error("{input}: not a number")]
    NotANumber { input: String },
    #[error("{input}: shard count must be at least 1")]
    ZeroCount { input: String },
    #[error("{input}: shard index must be < count")]
    IndexOutOfRange { input: String },
    #[error("--shards 0: shard count must be at least 1")]
    ZeroShards,
    #[error("{var}={value}: not a number")]
    EnvNotANumber { var: &'static str, value: String },
    #[error("{var} is set but --shards N is missing")]
    MissingShards { var: &'static str },
    #[error("{var}={index} but --shards {shards}")]
    EnvIndexOutOfRange {
        var: &'static str,
        index: usize,
        shards: usize,
    },
    #[error("SLURM_ARRAY_TASK_COUNT={count} but --shards {shards}")]
    CountMismatch { count: usize, shards: usize },
    #[error("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards N")]
    SlurmCountMissing,
    #[error(
        "SLURM_ARRAY_TASK_ID={id} is not one of {count} evenly spaced tasks from \
         SLURM_ARRAY_TASK_MIN={min}: submit with --array=0-{last} or pass --shards N",
        last = .count.saturating_sub(1)
    )]
    SlurmUnmapped { id: usize, min: usize, count: usize },
}

impl ShardSpec {
    /// A checked spec: `count >= 1` and `index < count`.
    pub fn new(index: usize, count: usize) -> Result<Self, ShardError> {
        let input = || format!("{index}/{count}");
        if count == 0 {
            return Err(ShardError::ZeroCount { input: input() });
        }
        if index >= count {
            return Err(ShardError::IndexOutOfRange { input: input() });
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = ShardError;

    /// Parses `I/N`, e.g. `0/4`; spaces around the numbers are allowed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let input = s.trim().to_string();
        let Some((i, n)) = input.split_once('/') else {
            return Err(ShardError::Syntax { input });
        };
        match (parse_number(i), parse_number(n)) {
            (Some(index), Some(count)) => {
                ShardSpec::new(index, count).map_err(|e| with_input(e, input))
            }
            _ => Err(ShardError::NotANumber { input }),
        }
    }
}

/// Keeps the user's spelling (e.g. `03/2`) in the error message.
fn with_input(err: ShardError, input: String) -> ShardError {
    match err {
        ShardError::ZeroCount { .. } => ShardError::ZeroCount { input },
        ShardError::IndexOutOfRange { .. } => ShardError::IndexOutOfRange { input },
        other => other,
    }
}

/// Plain decimal digits only: `usize::from_str` would also take `+3`.
fn parse_number(s: &str) -> Option<usize> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The shard this process runs, from the scheduler's variables, or `None`
/// when none of them is set (an ordinary, unsharded run).
///
/// `env` looks a variable up (`|k| std::env::var(k).ok()` in gridrun; a map in
/// tests); empty values count as unset. `shards_flag` is `--shards N`.
///
/// - Slurm: `SLURM_ARRAY_TASK_ID`. Without `--shards`, the count is
///   `SLURM_ARRAY_TASK_COUNT` and the index is the task's position in the
///   array (`(ID - MIN) / STEP`), so `--array=1-4` works too. With `--shards N`
///   an array of exactly N tasks maps the same way; a smaller array is a
///   re-run of some shards (e.g. `sbatch --array=3`), whose task ids are the
///   shard indexes themselves; a larger one is an error.
/// - AWS Batch: `AWS_BATCH_JOB_ARRAY_INDEX`, needs `--shards N`.
/// - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX`, needs `--shards N`.
///
/// They are looked up in this order and the first one set wins.
pub fn shard_from_env(
    env: &dyn Fn(&str) -> Option<String>,
    shards_flag: Option<usize>,
) -> Result<Option<ShardSpec>, ShardError> {
    if shards_flag == Some(0) {
        return Err(ShardError::ZeroShards);
    }
    let get = |var: &str| {
        env(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    if let Some(id) = get(SLURM_ARRAY_TASK_ID) {
        return slurm_shard(&get, &id, shards_flag).map(Some);
    }
    for var in [AWS_BATCH_JOB_ARRAY_INDEX, JOB_COMPLETION_INDEX] {
        if let Some(value) = get(var) {
            return indexed_shard(var, &value, shards_flag).map(Some);
        }
    }
    Ok(None)
}

fn env_number(var: &'static str, value: &str) -> Result<usize, ShardError> {
    parse_number(value).ok_or_else(|| ShardError::EnvNotANumber {
        var,
        value: value.to_string(),
    })
}

/// AWS Batch and Kubernetes: the variable is the 0-based index; the count
/// is not in the environment, so `--shards N` must say it.
fn indexed_shard(
    var: &'static str,
    value: &str,
    shards: Option<usize>,
) -> Result<ShardSpec, ShardError> {
    let shards = shards.ok_or(ShardError::MissingShards { var })?;
    let index = env_number(var, value)?;
    checked_index(var, index, shards)
}

fn checked_index(var: &'static str, index: usize, shards: usize) -> Result<ShardSpec, ShardError> {
    if index >= shards {
        return Err(ShardError::EnvIndexOutOfRange { var, index, shards });
    }
    Ok(ShardSpec {
        index,
        count: shards,
    })
}

/// The shape of a Slurm array as its tasks see it.
struct SlurmArray {
    count: usize,
    min: usize,
    max: Option<usize>,
    step: usize,
}

impl SlurmArray {
    fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>, ShardError> {
        let number = |var: &'static str| get(var).map(|v| env_number(var, &v)).transpose();
        let Some(count) = number(SLURM_ARRAY_TASK_COUNT)? else {
            return Ok(None);
        };
        Ok(Some(SlurmArray {
            count,
            min: number(SLURM_ARRAY_TASK_MIN)?.unwrap_or(0),
            max: number(SLURM_ARRAY_TASK_MAX)?,
            step: number(SLURM_ARRAY_TASK_STEP)?.unwrap_or(1),
        }))
    }

    /// The task's 0-based position, when the array is an evenly spaced range
    /// (`--array=1,5,6` is not: MIN=1, MAX=6, COUNT=3).
    fn index_of(&self, id: usize) -> Option<usize> {
        let offset = id.checked_sub(self.min)?;
        if self.step == 0 || offset % self.step != 0 {
            return None;
        }
        let evenly_spaced = self.max.is_none_or(|max| {
            max.checked_sub(self.min)
                .is_some_and(|span| span / self.step + 1 == self.count)
        });
        let index = offset / self.step;
        (evenly_spaced && index < self.count).then_some(index)
    }
}

fn slurm_shard(
    get: &dyn Fn(&str) -> Option<String>,
    id: &str,
    shards: Option<usize>,
) -> Result<ShardSpec, ShardError> {
    let id = env_number(SLURM_ARRAY_TASK_ID, id)?;
    let array = SlurmArray::from_env(get)?;
    match (shards, array) {
        (Some(n), Some(array)) if array.count > n => Err(ShardError::CountMismatch {
            count: array.count,
            shards: n,
        }),
        (Some(n), Some(array)) if array.count == n => match array.index_of(id) {
            Some(index) => Ok(ShardSpec { index, count: n }),
            None => checked_index(SLURM_ARRAY_TASK_ID, id, n),
        },
        // A partial array (a re-run of some shards): ids are shard indexes.
        (Some(n), _) => checked_index(SLURM_ARRAY_TASK_ID, id, n),
        (None, None) => Err(ShardError::SlurmCountMissing),
        (None, Some(array)) => match array.index_of(id) {
            Some(index) => Ok(ShardSpec {
                index,
                count: array.count,
            }),
            None => Err(ShardError::SlurmUnmapped {
                id,
                min: array.min,
                count: array.count,
            }),
        },
    }
}

/// The shard (`0..count`) of each task, in input order.
///
/// When every task has a usable prediction (finite, >= 0 seconds): LPT bin
/// packing ([`crate::lpt`], equal predictions taken in id order), which keeps
/// the slowest shard within 4/3 of the optimum. Otherwise round-robin over the tasks sorted by id.
///
/// Only ids and predictions matter, not input order, so every machine
/// computes the same assignment. A `count` of 0 is taken as 1.
pub fn assign(tasks: &[(String, Option<f64>)], count: usize) -> Vec<usize> {
    let count = count.max(1);
    let predictions: Option<Vec<f64>> = tasks
        .iter()
        .map(|(_, p)| p.filter(|s| s.is_finite() && *s >= 0.0))
        .collect();
    match predictions {
        Some(seconds) if !tasks.is_empty() => lpt(tasks, &seconds, count),
        _ => round_robin(tasks, count),
    }
}

fn round_robin(tasks: &[(String, Option<f64>)], count: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| tasks[a].0.cmp(&tasks[b].0));
    let mut shards = vec![0; tasks.len()];
    for (position, &task) in order.iter().enumerate() {
        shards[task] = position % count;
    }
    shards
}

/// LPT over the tasks in id order, so equal predictions are taken by id.
fn lpt(tasks: &[(String, Option<f64>)], seconds: &[f64], count: usize) -> Vec<usize> {
    let mut by_id: Vec<usize> = (0..tasks.len()).collect();
    by_id.sort_by(|&a, &b| tasks[a].0.cmp(&tasks[b].0));
    let sorted: Vec<f64> = by_id.iter().map(|&t| seconds[t]).collect();
    let mut shards = vec![0; tasks.len()];
    for (position, shard) in crate::lpt::assign(&sorted, count).into_iter().enumerate() {
        shards[by_id[position]] = shard;
    }
    shards
}

/// How evenly an assignment spreads the predicted work.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Balance {
    /// Slowest shard over the mean shard: 1.0 is perfect; the run takes
    /// about this factor longer than a perfect split. 1.0 when nothing is
    /// predicted.
    pub max_over_mean: f64,
    /// Predicted seconds per shard (tasks without a prediction count 0).
    pub per_shard_seconds: Vec<f64>,
    /// Tasks per shard.
    pub per_shard_tasks: Vec<usize>,
}

/// The balance of `assignment` (from [`assign`]) over `count` shards, given
/// each task's prediction in the same order. Shard numbers `>= count`
/// (not from [`assign`]) are left out.
pub fn balance(assignment: &[usize], predictions: &[Option<f64>], count: usize) -> Balance {
    let shards = count.max(1);
    let mut per_shard_seconds = vec![0.0; shards];
    let mut per_shard_tasks = vec![0; shards];
    for (i, &shard) in assignment.iter().enumerate() {
        if shard >= shards {
            continue;
        }
        per_shard_tasks[shard] += 1;
        let seconds = predictions.get(i).copied().flatten().unwrap_or(0.0);
        if seconds.is_finite() && seconds > 0.0 {
            per_shard_seconds[shard] += seconds;
        }
    }
    let total: f64 = per_shard_seconds.iter().sum();
    let max = per_shard_seconds.iter().copied().fold(0.0, f64::max);
    let max_over_mean = if total > 0.0 {
        max / (total / shards as f64)
    } else {
        1.0
    };
    Balance {
        max_over_mean,
        per_shard_seconds,
        per_shard_tasks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn spec(s: &str) -> Result<ShardSpec, String> {
        s.parse::<ShardSpec>().map_err(|e| e.to_string())
    }

    #[test]
    fn parses_and_displays_specs() {
        assert_eq!(spec("0/4"), Ok(ShardSpec { index: 0, count: 4 }));
        assert_eq!(spec(" 3 / 4 "), Ok(ShardSpec { index: 3, count: 4 }));
        assert_eq!(spec("0/1").unwrap().to_string(), "0/1");
    }

    #[test]
    fn rejects_bad_specs_with_clear_messages() {
        let err = |s: &str| spec(s).unwrap_err();
        assert_eq!(err("3/2"), "3/2: shard index must be < count");
        assert_eq!(err("2/2"), "2/2: shard index must be < count");
        assert_eq!(err("x/2"), "x/2: not a number");
        assert_eq!(err("1/y"), "1/y: not a number");
        assert_eq!(err("-1/2"), "-1/2: not a number");
        assert_eq!(err("+1/2"), "+1/2: not a number");
        assert_eq!(err("/2"), "/2: not a number");
        assert_eq!(err("0/0"), "0/0: shard count must be at least 1");
        assert_eq!(err("3"), "3: expected I/N, e.g. 0/4");
        assert_eq!(err(""), ": expected I/N, e.g. 0/4");
        assert_eq!(err("1/2/3"), "1/2/3: not a number");
        assert_eq!(
            err("99999999999999999999999/2"),
            "99999999999999999999999/2: not a number"
        );
    }

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        move |k| map.get(k).map(|v| v.to_string())
    }

    fn detect(vars: &[(&str, &str)], shards: Option<usize>) -> Result<Option<String>, String> {
        shard_from_env(&env_of(vars), shards)
            .map(|s| s.map(|s| s.to_string()))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn no_scheduler_variable_means_no_shard() {
        assert_eq!(detect(&[], None), Ok(None));
        assert_eq!(detect(&[], Some(4)), Ok(None));
        assert_eq!(detect(&[("JOB_COMPLETION_INDEX", " ")], Some(4)), Ok(None));
    }

    #[test]
    fn slurm_array_from_zero() {
        let vars = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ];
        assert_eq!(detect(&vars, None), Ok(Some("2/4".into())));
        assert_eq!(detect(&vars, Some(4)), Ok(Some("2/4".into())));
    }

    #[test]
    fn slurm_array_from_one_and_with_step_map_to_zero_based() {
        let from_one = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "4"),
        ];
        assert_eq!(detect(&from_one, None), Ok(Some("3/4".into())));
        assert_eq!(detect(&from_one, Some(4)), Ok(Some("3/4".into())));
        // Captured from `sbatch --array=1-7:3` on Slurm 22.05.
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "7"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "7"),
            ("SLURM_ARRAY_TASK_STEP", "3"),
        ];
        assert_eq!(detect(&stepped, None), Ok(Some("2/3".into())));
    }

    #[test]
    fn slurm_partial_array_reruns_named_shards() {
        // `sbatch --array=3` re-running shard 3 of 8.
        let rerun = [
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "1"),
            ("SLURM_ARRAY_TASK_MIN", "3"),
            ("SLURM_ARRAY_TASK_MAX", "3"),
        ];
        assert_eq!(detect(&rerun, Some(8)), Ok(Some("3/8".into())));
        assert_eq!(
            detect(&[("SLURM_ARRAY_TASK_ID", "9")], Some(8)),
            Err("SLURM_ARRAY_TASK_ID=9 but --shards 8".into())
        );
    }

    #[test]
    fn slurm_errors_name_the_variables() {
        let count8 = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ];
        assert_eq!(
            detect(&count8, Some(4)),
            Err("SLURM_ARRAY_TASK_COUNT=8 but --shards 4".into())
        );
        assert_eq!(
            detect(&[("SLURM_ARRAY_TASK_ID", "1")], None),
            Err(
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shards N"
                    .into()
            )
        );
        assert_eq!(
            detect(&[("SLURM_ARRAY_TASK_ID", "one")], Some(2)),
            Err("SLURM_ARRAY_TASK_ID=one: not a number".into())
        );
        let bad_count = [
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4x"),
        ];
        assert_eq!(
            detect(&bad_count, None),
            Err("SLURM_ARRAY_TASK_COUNT=4x: not a number".into())
        );
        // Captured from `sbatch --array=1,5,6`: not evenly spaced.
        let list = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "6"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ];
        assert_eq!(
            detect(&list, None),
            Err(
                "SLURM_ARRAY_TASK_ID=5 is not one of 3 evenly spaced tasks from \
                 SLURM_ARRAY_TASK_MIN=1: submit with --array=0-2 or pass --shards N"
                    .into()
            )
        );
    }

    #[test]
    fn aws_batch_and_kubernetes_need_shards() {
        for var in ["AWS_BATCH_JOB_ARRAY_INDEX", "JOB_COMPLETION_INDEX"] {
            assert_eq!(detect(&[(var, "3")], Some(4)), Ok(Some("3/4".into())));
            assert_eq!(detect(&[(var, "0")], Some(1)), Ok(Some("0/1".into())));
            assert_eq!(
                detect(&[(var, "7")], Some(4)),
                Err(format!("{var}=7 but --shards 4"))
            );
            assert_eq!(
                detect(&[(var, "3")], None),
                Err(format!("{var} is set but --shards N is missing"))
            );
            assert_eq!(
                detect(&[(var, "-1")], Some(4)),
                Err(format!("{var}=-1: not a number"))
            );
        }
        assert_eq!(
            detect(&[("JOB_COMPLETION_INDEX", "0")], Some(0)),
            Err("--shards 0: shard count must be at least 1".into())
        );
    }

    fn make_tasks(n: usize, seconds: impl Fn(usize) -> Option<f64>) -> Vec<(String, Option<f64>)> {
        (0..n)
            .map(|i| {
                (
                    format!("{:016x}", (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
                    seconds(i),
                )
            })
            .collect()
    }

    fn skewed(i: usize) -> Option<f64> {
        Some(if i.is_multiple_of(10) {
            60.0
        } else {
            1.0 + (i % 7) as f64
        })
    }

    #[test]
    fn every_task_lands_in_exactly_one_valid_shard() {
        for count in 1..=16 {
            for n in [0, 1, 3, 7, 16, 17, 50, 101] {
                for predicted in [false, true] {
                    let tasks = make_tasks(n, |i| if predicted { skewed(i) } else { None });
                    let shards = assign(&tasks, count);
                    assert_eq!(shards.len(), n);
                    assert!(shards.iter().all(|&s| s < count), "count {count} n {n}");
                    let sizes = balance(&shards, &vec![None; n], count).per_shard_tasks;
                    assert_eq!(sizes.iter().sum::<usize>(), n);
                    if n >= count {
                        assert!(sizes.iter().all(|&s| s > 0), "empty shard: {sizes:?}");
                    }
                    if !predicted {
                        let (lo, hi) = (sizes.iter().min(), sizes.iter().max());
                        assert!(hi.unwrap() - lo.unwrap() <= 1, "{sizes:?}");
                    }
                }
            }
        }
    }

    /// A fixed shuffle (no rand dependency).
    fn permuted<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
        let mut keyed: Vec<(u64, T)> = items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                (
                    (i as u64 + seed).wrapping_mul(0xbf58_476d_1ce4_e5b9) >> 7,
                    t.clone(),
                )
            })
            .collect();
        keyed.sort_by_key(|(k, _)| *k);
        keyed.into_iter().map(|(_, t)| t).collect()
    }

    fn by_id(tasks: &[(String, Option<f64>)], shards: &[usize]) -> HashMap<String, usize> {
        tasks
            .iter()
            .map(|t| t.0.clone())
            .zip(shards.iter().copied())
            .collect()
    }

    #[test]
    fn assignment_ignores_input_order() {
        // Equal predictions exercise the id tie-break.
        let equal_and_skewed = |i: usize| {
            if i.is_multiple_of(3) {
                Some(5.0)
            } else {
                skewed(i)
            }
        };
        for seconds in [
            Box::new(|_| None) as Box<dyn Fn(usize) -> Option<f64>>,
            Box::new(equal_and_skewed),
        ] {
            let tasks = make_tasks(97, seconds);
            let expected = by_id(&tasks, &assign(&tasks, 6));
            for seed in 1..5 {
                let shuffled = permuted(&tasks, seed);
                assert_ne!(shuffled, tasks);
                assert_eq!(by_id(&shuffled, &assign(&shuffled, 6)), expected);
            }
        }
    }

    #[test]
    fn lpt_follows_the_textbook_order() {
        let tasks: Vec<_> = [("a", 5.0), ("b", 4.0), ("c", 3.0), ("d", 3.0), ("e", 3.0)]
            .iter()
            .map(|(id, s)| (id.to_string(), Some(*s)))
            .collect();
        // 5->0, 4->1, 3(c)->1 (7), 3(d)->0 (8), 3(e)->1 (10).
        assert_eq!(assign(&tasks, 2), vec![0, 1, 1, 0, 1]);
    }

    #[test]
    fn lpt_balances_skewed_durations_better_than_round_robin() {
        let tasks = make_tasks(200, skewed);
        let predictions: Vec<_> = tasks.iter().map(|t| t.1).collect();
        let count = 8;
        let lpt = balance(&assign(&tasks, count), &predictions, count);
        let rr = balance(&round_robin(&tasks, count), &predictions, count);
        assert!(lpt.max_over_mean < 1.05, "{lpt:?}");
        assert!(lpt.max_over_mean < rr.max_over_mean, "{lpt:?} vs {rr:?}");
        let total: f64 = predictions.iter().flatten().sum();
        assert!((lpt.per_shard_seconds.iter().sum::<f64>() - total).abs() < 1e-9);
    }

    #[test]
    fn missing_or_unusable_predictions_fall_back_to_round_robin() {
        let mut tasks = make_tasks(10, skewed);
        tasks[4].1 = Some(f64::NAN);
        assert_eq!(assign(&tasks, 3), round_robin(&tasks, 3));
        tasks[4].1 = None;
        assert_eq!(assign(&tasks, 3), round_robin(&tasks, 3));
        // All-zero predictions still spread the tasks.
        let zeros = make_tasks(9, |_| Some(0.0));
        let sizes = balance(&assign(&zeros, 3), &[], 3).per_shard_tasks;
        assert_eq!(sizes, vec![3, 3, 3]);
    }

    #[test]
    fn balance_handles_edge_cases() {
        assert_eq!(assign(&make_tasks(3, skewed), 0), vec![0, 0, 0]);
        let mut huge = assign(&make_tasks(3, skewed), usize::MAX);
        huge.sort();
        assert_eq!(huge, vec![0, 1, 2]);
        let empty = balance(&[], &[], 4);
        assert_eq!(empty.max_over_mean, 1.0);
        assert_eq!(empty.per_shard_seconds, vec![0.0; 4]);
        let b = balance(&[0, 1, 1], &[Some(2.0), Some(1.0), Some(3.0)], 2);
        assert_eq!(b.per_shard_seconds, vec![2.0, 4.0]);
        assert!((b.max_over_mean - 4.0 / 3.0).abs() < 1e-12);
        // Out-of-range shard numbers are left out instead of panicking.
        let odd = balance(&[5, usize::MAX, 1], &[Some(1.0), Some(1.0), Some(2.0)], 2);
        assert_eq!(odd.per_shard_tasks, vec![0, 1]);
        assert_eq!(odd.per_shard_seconds, vec![0.0, 2.0]);
    }
}
