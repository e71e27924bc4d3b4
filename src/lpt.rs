//! LPT scheduling (longest processing time first), the one scheduler of
//! gridrun: `gridrun estimate` counts cores with it and shards split a plan
//! with it.
//!
//! The rule, ties included: jobs are taken longest first, equal lengths in
//! the order given (callers that need the same answer on every machine give
//! them sorted by task id); each goes to the bin with the least load, ties to
//! the bin with fewer jobs, then to the lowest bin index. This keeps the
//! largest load within 4/3 of the optimum.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A bin's load in the heap; the heap pops the least loaded first.
#[derive(PartialEq)]
struct Bin {
    seconds: f64,
    jobs: usize,
    index: usize,
}

impl Eq for Bin {}

impl Ord for Bin {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the minimum.
        other
            .seconds
            .total_cmp(&self.seconds)
            .then(other.jobs.cmp(&self.jobs))
            .then(other.index.cmp(&self.index))
    }
}

impl PartialOrd for Bin {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The bin (`0..bins`) of each job, in input order. `seconds` must be
/// finite; a `bins` of 0 is taken as 1.
pub fn assign(seconds: &[f64], bins: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..seconds.len()).collect();
    // Stable: equal lengths keep the caller's order.
    order.sort_by(|&a, &b| seconds[b].total_cmp(&seconds[a]));
    // Bins past the number of jobs would stay empty: no need to make them.
    let mut heap: BinaryHeap<Bin> = (0..bins.max(1).min(seconds.len()))
        .map(|index| Bin {
            seconds: 0.0,
            jobs: 0,
            index,
        })
        .collect();
    let mut assignment = vec![0; seconds.len()];
    for job in order {
        if let Some(mut bin) = heap.pop() {
            assignment[job] = bin.index;
            bin.seconds += seconds[job];
            bin.jobs += 1;
            heap.push(bin);
        }
    }
    assignment
}

/// The largest bin load of [`assign`]: when the last of `durations` ends
/// on `cores` identical cores (0 for no jobs, infinite for no cores).
pub fn makespan(durations: &[f64], cores: usize) -> f64 {
    if durations.is_empty() {
        return 0.0;
    }
    if cores == 0 {
        return f64::INFINITY;
    }
    let mut loads = vec![0.0; cores.min(durations.len())];
    for (job, bin) in assign(durations, cores).into_iter().enumerate() {
        loads[bin] += durations[job];
    }
    loads.into_iter().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_first_onto_the_least_loaded() {
        // 7 | 5, then 4 -> bin 1 (9), 3 -> bin 0 (10), 1 -> bin 1 (10)
        assert_eq!(assign(&[3.0, 1.0, 7.0, 5.0, 4.0], 2), vec![0, 1, 0, 1, 1]);
        assert_eq!(makespan(&[3.0, 1.0, 7.0, 5.0, 4.0], 2), 10.0);
    }

    #[test]
    fn ties_go_to_fewer_jobs_then_the_lowest_bin() {
        // 3 | 2 + 1: the last 1.0 ties on load (3 and 3); bin 0 has fewer jobs.
        assert_eq!(assign(&[3.0, 2.0, 1.0, 1.0], 2), vec![0, 1, 1, 0]);
        // Equal loads and job counts: the lowest bin.
        assert_eq!(assign(&[2.0, 1.0, 1.0, 2.0], 2), vec![0, 0, 1, 1]);
        // Equal jobs keep the given order.
        assert_eq!(assign(&[1.0, 1.0, 1.0], 3), vec![0, 1, 2]);
        assert_eq!(assign(&[0.0, 0.0, 0.0, 0.0], 2), vec![0, 1, 0, 1]);
    }

    #[test]
    fn edge_cases() {
        assert_eq!(makespan(&[], 3), 0.0);
        assert_eq!(makespan(&[1.0], 0), f64::INFINITY);
        assert_eq!(assign(&[1.0, 2.0], 0), vec![0, 0]);
        assert_eq!(makespan(&[2.5; 10], 3), 10.0);
    }
}
