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
    let mut sorted = durations.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let longest = sorted.first().copied().unwrap_or(0.0);
    if longest > deadline {
        return Cores::Impossible { longest };
    }
    let total: f64 = sorted.iter().sum();
    let start = ((total / deadline).ceil() as usize).max(1);
    for cores in start..=sorted.len().max(1) {
        let m = makespan(&sorted, cores);
        if m <= deadline + 1e-9 {
            return Cores::Enough {
                cores,
                makespan: m,
                lower_bound: lower_bound(total, longest, cores),
            };
        }
    }
    let cores = sorted.len().max(1);
    Cores::Enough {
        cores,
        makespan: longest,
        lower_bound: lower_bound(total, longest, cores),
    }
}

pub fn lower_bound(total: f64, longest: f64, cores: usize) -> f64 {
    (total / cores as f64).max(longest)
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
}
