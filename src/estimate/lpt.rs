//! How many cores a deadline needs, by LPT scheduling ([`crate::lpt`]):
//! longest predicted task first, each onto the least loaded core. Dividing total CPU time by the deadline undercounts cores whenever
//! tasks are coarse (9 tasks of 100 s in 250 s: the division says 4, but 4
//! cores need 3 rounds = 300 s; 5 are needed), so cores are counted by
//! scheduling.

pub use crate::lpt::makespan;

/// The answer to "how many cores to finish by the deadline".
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cores {
    /// `cores` finish in `makespan` seconds; `lower_bound` is
    /// max(total / cores, longest task) for that many cores.
    Enough {
        cores: usize,
        makespan: f64,
        lower_bound: f64,
    },
    /// The longest task alone takes longer than the deadline.
    Impossible { longest: f64 },
}

/// The smallest core count whose LPT schedule meets the deadline. Searches
/// upward from ceil(total / deadline) (no fewer can do), since LPT makespans
/// are not strictly monotone in the core count; at most one core per task.
pub fn min_cores(durations: &[f64], deadline: f64) -> Cores {
    min_cores_rounds(&[durations.to_vec()], deadline)
}

/// When the last task of `rounds` ends on `cores` cores, each round's tasks
/// starting once the round before has ended (successive halving).
pub fn makespan_rounds(rounds: &[Vec<f64>], cores: usize) -> f64 {
    rounds.iter().map(|r| makespan(r, cores)).sum()
}

/// The longest task of each round, one after another: no number of cores
/// finishes `rounds` sooner.
pub fn longest_chain(rounds: &[Vec<f64>]) -> f64 {
    rounds
        .iter()
        .map(|r| r.iter().copied().fold(0.0, f64::max))
        .sum()
}

/// [`min_cores`] of tasks in rounds that run one after another: a core
/// count that meets the deadline with every task at once may not with a
/// barrier after each round.
pub fn min_cores_rounds(rounds: &[Vec<f64>], deadline: f64) -> Cores {
    let longest = longest_chain(rounds);
    if longest > deadline {
        return Cores::Impossible { longest };
    }
    let total: f64 = rounds.iter().flatten().sum();
    let most = rounds.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let start = ((total / deadline).ceil() as usize).clamp(1, most);
    let enough = |cores: usize, makespan: f64| Cores::Enough {
        cores,
        makespan,
        lower_bound: lower_bound_rounds(rounds, cores),
    };
    for cores in start..=most {
        let m = makespan_rounds(rounds, cores);
        if m <= deadline + 1e-9 {
            return enough(cores, m);
        }
    }
    enough(most, longest)
}

pub fn lower_bound(total: f64, longest: f64, cores: usize) -> f64 {
    (total / cores as f64).max(longest)
}

/// [`lower_bound`] of each round, added up.
fn lower_bound_rounds(rounds: &[Vec<f64>], cores: usize) -> f64 {
    rounds
        .iter()
        .map(|r| {
            let longest = r.iter().copied().fold(0.0, f64::max);
            lower_bound(r.iter().sum(), longest, cores)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lunch_example_needs_8_cores() {
        let tasks = vec![70.0; 125];
        assert_eq!(makespan(&tasks, 8), 1120.0);
        assert_eq!(makespan(&tasks, 7), 1260.0);
        match min_cores(&tasks, 1200.0) {
            Cores::Enough {
                cores,
                makespan,
                lower_bound,
            } => {
                assert_eq!((cores, makespan), (8, 1120.0));
                assert!((lower_bound - 125.0 * 70.0 / 8.0).abs() < 1e-9);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn division_undercounts_coarse_tasks() {
        let tasks = vec![100.0; 9];
        // 900 / 250 = 3.6 -> 4 cores by division, but 4 cores need 3 rounds
        assert_eq!(makespan(&tasks, 4), 300.0);
        assert_eq!(
            min_cores(&tasks, 250.0),
            Cores::Enough {
                cores: 5,
                makespan: 200.0,
                lower_bound: 180.0
            }
        );
    }

    #[test]
    fn longest_task_beyond_the_deadline_is_impossible() {
        assert_eq!(
            min_cores(&[10.0, 500.0], 300.0),
            Cores::Impossible { longest: 500.0 }
        );
    }

    #[test]
    fn mixed_lengths_schedule_longest_first() {
        // LPT on 2 cores: 7 | 5, then 4 -> core 2 (9), 3 -> core 1 (10), 1 -> core 2 (10)
        assert_eq!(makespan(&[3.0, 1.0, 7.0, 5.0, 4.0], 2), 10.0);
        assert_eq!(
            min_cores(&[3.0, 1.0, 7.0, 5.0, 4.0], 10.0),
            Cores::Enough {
                cores: 2,
                makespan: 10.0,
                lower_bound: 10.0
            }
        );
    }

    #[test]
    fn identical_tasks_closed_form() {
        for (n, m) in [(10usize, 3usize), (12, 4), (1, 5), (100, 7)] {
            let expected = n.div_ceil(m) as f64 * 2.5;
            assert_eq!(makespan(&vec![2.5; n], m), expected, "{n} tasks on {m}");
        }
    }

    #[test]
    fn more_cores_never_needed_than_tasks() {
        assert_eq!(
            min_cores(&[5.0, 5.0], 5.0),
            Cores::Enough {
                cores: 2,
                makespan: 5.0,
                lower_bound: 5.0
            }
        );
        assert_eq!(
            min_cores(&[], 5.0),
            Cores::Enough {
                cores: 1,
                makespan: 0.0,
                lower_bound: 0.0
            }
        );
    }

    #[test]
    fn rounds_one_after_another_need_more_cores() {
        // Together, 4 tasks of 6 s fit 15 s on 2 cores (12 s); with a
        // barrier after the first 3, 2 cores take 12 + 6 = 18 s: 3 needed.
        assert!(matches!(
            min_cores(&[6.0; 4], 15.0),
            Cores::Enough { cores: 2, .. }
        ));
        let rounds = vec![vec![6.0; 3], vec![6.0]];
        assert_eq!(makespan_rounds(&rounds, 2), 18.0);
        assert_eq!(
            min_cores_rounds(&rounds, 15.0),
            Cores::Enough {
                cores: 3,
                makespan: 12.0,
                lower_bound: 12.0
            }
        );
        // One task per round: rounds add up whatever the cores.
        let chain = vec![vec![10.0], vec![10.0]];
        assert_eq!(
            min_cores(&[10.0, 10.0], 15.0),
            Cores::Enough {
                cores: 2,
                makespan: 10.0,
                lower_bound: 10.0
            }
        );
        assert_eq!(
            min_cores_rounds(&chain, 15.0),
            Cores::Impossible { longest: 20.0 }
        );
    }
}
