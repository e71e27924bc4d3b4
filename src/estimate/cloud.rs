//! The cheapest ways to buy the cores: for each instance type, the fewest
//! instances whose LPT schedule (after boot) meets the deadline, billed per
//! second with a 60-second minimum per instance.

use super::lpt;
use super::prices::{Instance, PriceTable};
use serde::Serialize;

/// Spot discount assumed when no per-type figure is known: AWS's own
/// example spot prices for c5 in us-east-1 are 44-62% off on demand.
pub const DEFAULT_SPOT_DISCOUNT: f64 = 0.5;

/// Assumptions of the cost model; every one is printed with the report.
#[derive(Debug, Clone, Serialize)]
pub struct CloudOptions {
    /// Throughput a second hyperthread adds to a core (0.25: two threads of
    /// one core do 1.25 cores' work). A default, not a measurement here.
    pub smt_gain: f64,
    /// Launch to ready, counted in the run time and billed (conservative).
    pub boot_seconds: f64,
    /// Linux per-second billing, with this minimum per instance.
    pub min_billing_seconds: f64,
    /// Share off on-demand for spot where the table has no spot figure for a
    /// type (an assumption: spot prices vary by zone and hour).
    pub spot_discount: f64,
    /// At most this many instances (None: no limit).
    pub max_instances: Option<usize>,
    /// Only types with at least this many physical cores.
    pub min_cores_per_instance: usize,
    /// Only types of this architecture (the one gridrun is built for).
    pub arch: String,
    /// Peak RSS of one worker, measured in the pilot.
    pub worker_peak_rss_bytes: Option<u64>,
    /// Memory left to the OS on each instance.
    pub os_headroom_gib: f64,
    pub top: usize,
}

impl Default for CloudOptions {
    fn default() -> Self {
        CloudOptions {
            smt_gain: 0.25,
            boot_seconds: 25.0,
            min_billing_seconds: 60.0,
            spot_discount: DEFAULT_SPOT_DISCOUNT,
            max_instances: None,
            min_cores_per_instance: 1,
            arch: super::prices::build_arch().to_string(),
            worker_peak_rss_bytes: None,
            os_headroom_gib: 1.0,
            top: 3,
        }
    }
}

/// One way to finish by the deadline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    pub instance: String,
    pub count: usize,
    pub workers_per_instance: usize,
    /// Physical cores per instance.
    pub cores_per_instance: usize,
    pub price_per_hour: f64,
    /// Boot plus the schedule's makespan.
    pub run_seconds: f64,
    pub total_cost: f64,
    pub spot_price_per_hour: f64,
    /// The spot price is the table's dated figure, not the flat discount.
    pub spot_from_table: bool,
    pub spot_cost: f64,
}

/// The `top` cheapest choices; `durations` are task seconds on one core of
/// this machine (with per-task overhead), assumed equal on an EC2 core.
pub fn cheapest(
    durations: &[f64],
    deadline: f64,
    table: &PriceTable,
    opts: &CloudOptions,
) -> Vec<Choice> {
    cheapest_rounds(&[durations.to_vec()], deadline, table, opts)
}

/// [`cheapest`] for tasks in rounds that run one after another (successive
/// halving): each round starts when the round before has ended.
pub fn cheapest_rounds(
    rounds: &[Vec<f64>],
    deadline: f64,
    table: &PriceTable,
    opts: &CloudOptions,
) -> Vec<Choice> {
    let sorted: Vec<Vec<f64>> = rounds
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.sort_by(|a, b| b.total_cmp(a));
            r
        })
        .collect();
    // Metal sizes repeat the largest size's cores at the same price or more.
    let candidates = table.instances.iter().filter(|i| {
        !i.burstable()
            && !i.name.contains("metal")
            && i.arch == opts.arch
            && i.physical_cores >= opts.min_cores_per_instance
    });
    let mut choices: Vec<(String, Choice)> = candidates
        .filter_map(|i| best_for(i, &sorted, deadline, opts).map(|c| (i.family.clone(), c)))
        .collect();
    choices.sort_by(|(_, a), (_, b)| {
        a.total_cost
            .total_cmp(&b.total_cost)
            .then(a.run_seconds.total_cmp(&b.run_seconds))
            .then(a.instance.cmp(&b.instance))
    });
    // The cheapest size of each family: three sizes of one family say little more than one.
    let mut families = std::collections::HashSet::new();
    choices
        .into_iter()
        .filter(|(family, _)| families.insert(family.clone()))
        .map(|(_, c)| c)
        .take(opts.top)
        .collect()
}

/// Workers and their slowdown: one per vCPU (hyperthreads share a core,
/// each at (1 + smt_gain) / 2 speed), or one per physical core at full speed.
fn layouts(i: &Instance, opts: &CloudOptions) -> Vec<(usize, f64)> {
    let mut out = vec![(i.physical_cores, 1.0)];
    if i.hyperthreaded() {
        let threads_per_core = i.vcpus as f64 / i.physical_cores as f64;
        let per_thread_speed = (1.0 + opts.smt_gain) / threads_per_core;
        out.push((i.vcpus, 1.0 / per_thread_speed));
    }
    out
}

/// Workers that fit in memory (None: no limit known).
fn memory_cap(i: &Instance, opts: &CloudOptions) -> Option<usize> {
    let rss = opts.worker_peak_rss_bytes? as f64;
    let usable = (i.memory_gib - opts.os_headroom_gib).max(0.0) * (1u64 << 30) as f64;
    Some((usable / rss).floor() as usize)
}

fn best_for(
    i: &Instance,
    sorted: &[Vec<f64>],
    deadline: f64,
    opts: &CloudOptions,
) -> Option<Choice> {
    layouts(i, opts)
        .into_iter()
        .filter_map(|(workers, slowdown)| {
            let workers = memory_cap(i, opts).map_or(workers, |cap| workers.min(cap));
            (workers > 0)
                .then(|| fewest_instances(i, sorted, workers, slowdown, deadline, opts))
                .flatten()
        })
        .min_by(|a, b| a.total_cost.total_cmp(&b.total_cost))
}

fn fewest_instances(
    i: &Instance,
    sorted: &[Vec<f64>],
    workers: usize,
    slowdown: f64,
    deadline: f64,
    opts: &CloudOptions,
) -> Option<Choice> {
    let budget = deadline - opts.boot_seconds;
    let scaled: Vec<Vec<f64>> = sorted
        .iter()
        .map(|r| r.iter().map(|d| d * slowdown).collect())
        .collect();
    if lpt::longest_chain(&scaled) > budget {
        return None;
    }
    let total: f64 = scaled.iter().flatten().sum();
    let start = ((total / (budget * workers as f64)).ceil() as usize).max(1);
    let largest_round = scaled.iter().map(Vec::len).max().unwrap_or(0);
    let most = largest_round.div_ceil(workers).max(1);
    let most = opts.max_instances.map_or(most, |cap| most.min(cap));
    (start..=most).find_map(|count| {
        let makespan = lpt::makespan_rounds(&scaled, count * workers);
        (makespan <= budget + 1e-9).then(|| {
            let run = opts.boot_seconds + makespan;
            let billed_hours = count as f64 * run.max(opts.min_billing_seconds) / 3600.0;
            let spot_price = i
                .spot_price_per_hour
                .unwrap_or(i.price_per_hour * (1.0 - opts.spot_discount));
            Choice {
                instance: i.name.clone(),
                count,
                workers_per_instance: workers,
                cores_per_instance: i.physical_cores,
                price_per_hour: i.price_per_hour,
                run_seconds: run,
                total_cost: billed_hours * i.price_per_hour,
                spot_price_per_hour: spot_price,
                spot_from_table: i.spot_price_per_hour.is_some(),
                spot_cost: billed_hours * spot_price,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &str) -> PriceTable {
        let text =
            format!("instance_type,vcpus,physical_cores,memory_gib,price_usd_per_hour\n{rows}");
        PriceTable {
            source: "test".into(),
            instances: super::super::prices::parse("t.csv", &text).unwrap(),
        }
    }

    fn opts() -> CloudOptions {
        CloudOptions {
            top: 10,
            ..CloudOptions::default()
        }
    }

    #[test]
    fn sixty_second_minimum_applies_to_short_runs() {
        let t = table("full.4,4,4,16,3.6\n");
        let c = cheapest(&[10.0; 4], 100.0, &t, &opts());
        assert_eq!(c[0].count, 1);
        assert!((c[0].run_seconds - 35.0).abs() < 1e-9);
        assert!((c[0].total_cost - 3.6 / 3600.0 * 60.0).abs() < 1e-12);
    }

    #[test]
    fn boot_time_counts_against_the_deadline() {
        let t = table("full.1,1,1,16,1.0\n");
        // one task of 80 s: fits 100 s only without boot
        assert!(cheapest(&[80.0], 100.0, &t, &opts()).is_empty());
        let no_boot = CloudOptions {
            boot_seconds: 0.0,
            ..opts()
        };
        assert_eq!(cheapest(&[80.0], 100.0, &t, &no_boot)[0].count, 1);
    }

    #[test]
    fn hyperthreads_count_as_partial_cores() {
        // 8 tasks of 100 s, 250 s deadline: a 2-core/4-vCPU box with
        // smt_gain 0.25 runs 4 workers at 0.625 speed (160 s/task): 2 rounds =
        // 320 s > 225 s budget; so 2 boxes (8 workers, 1 round, 160 s).
        let t = table("ht.xl,4,2,16,1.0\n");
        let c = cheapest(&[100.0; 8], 250.0, &t, &opts());
        assert_eq!((c[0].count, c[0].workers_per_instance), (2, 8 / 2));
        assert!((c[0].run_seconds - 185.0).abs() < 1e-9);
        // full cores: 4 cores, 2 rounds of 100 s = 225 s
        let full = table("full.xl,4,4,16,1.0\n");
        assert_eq!(cheapest(&[100.0; 8], 250.0, &full, &opts())[0].count, 1);
    }

    #[test]
    fn memory_must_hold_the_workers() {
        let t = table("small.xl,4,4,2,0.1\nbig.xl,4,4,32,0.2\n");
        let o = CloudOptions {
            worker_peak_rss_bytes: Some(3 << 30),
            ..opts()
        };
        let c = cheapest(&[10.0; 4], 100.0, &t, &o);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].instance, "big.xl");
        assert_eq!(c[0].workers_per_instance, 4);
    }

    #[test]
    fn cheapest_first_and_spot_discount() {
        let t = table("a.x,2,2,8,0.2\nb.x,2,2,8,0.1\n");
        let o = CloudOptions {
            spot_discount: 0.6,
            ..opts()
        };
        let c = cheapest(&[30.0; 2], 100.0, &t, &o);
        assert_eq!(c[0].instance, "b.x");
        assert!((c[0].spot_cost - c[0].total_cost * 0.4).abs() < 1e-12);
        assert!(!c[0].spot_from_table);
        // A dated per-type figure wins over the flat discount.
        let mut t = table("a.x,2,2,8,0.2\n");
        t.instances[0].spot_price_per_hour = Some(0.05);
        let c = cheapest(&[30.0; 2], 100.0, &t, &o);
        assert!((c[0].spot_cost - c[0].total_cost * 0.25).abs() < 1e-12);
        assert!(c[0].spot_from_table);
    }

    #[test]
    fn only_the_build_architecture_is_offered() {
        let t = table("c7g.large,2,2,4,0.01\nc7a.large,2,2,4,0.1\n");
        let x86 = CloudOptions {
            arch: "x86_64".into(),
            ..opts()
        };
        let names: Vec<String> = cheapest(&[10.0], 100.0, &t, &x86)
            .into_iter()
            .map(|c| c.instance)
            .collect();
        assert_eq!(names, ["c7a.large"]);
        let arm = CloudOptions {
            arch: "arm64".into(),
            ..opts()
        };
        assert_eq!(cheapest(&[10.0], 100.0, &t, &arm)[0].instance, "c7g.large");
        // The built-in table's cheapest cores are Graviton: never offered here.
        let all = cheapest(&[70.0; 125], 1200.0, &PriceTable::built_in(), &opts());
        assert!(
            all.iter().all(|c| !c.instance.starts_with("c7g")),
            "{all:?}"
        );
    }

    #[test]
    fn max_instances_prefers_fewer_larger_machines() {
        // 5000 tasks of 70 s by 10 minutes: one-core machines by the hundred,
        // unless capped; with 10 at most, only 48+ core types remain.
        let tasks = vec![70.0; 5000];
        let t = PriceTable::built_in();
        let free = cheapest(&tasks, 600.0, &t, &opts());
        assert!(free[0].count > 100, "{:?}", free[0]);
        let capped = CloudOptions {
            max_instances: Some(10),
            ..opts()
        };
        let c = cheapest(&tasks, 600.0, &t, &capped);
        assert!(!c.is_empty());
        for choice in &c {
            assert!(choice.count <= 10, "{choice:?}");
            assert!(choice.run_seconds <= 600.0);
        }
        let none = CloudOptions {
            max_instances: Some(1),
            ..opts()
        };
        assert!(cheapest(&tasks, 600.0, &t, &none).is_empty());
    }

    #[test]
    fn min_cores_per_instance_leaves_out_small_types() {
        let t = table("a.small,2,2,8,0.1\na.big,16,16,64,0.8\n");
        let o = CloudOptions {
            min_cores_per_instance: 8,
            ..opts()
        };
        let c = cheapest(&[30.0; 4], 100.0, &t, &o);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].instance, "a.big");
    }

    #[test]
    fn burstable_and_impossible_are_left_out() {
        let t = table("t3.large,2,1,8,0.01\nc.x,2,2,8,0.1\n");
        let c = cheapest(&[10.0], 100.0, &t, &opts());
        assert_eq!(c.len(), 1);
        assert!(cheapest(&[1000.0], 100.0, &t, &opts()).is_empty());
    }

    #[test]
    fn lunch_example_on_the_built_in_table() {
        let c = cheapest(
            &[70.0; 125],
            1200.0,
            &PriceTable::built_in(),
            &CloudOptions::default(),
        );
        assert_eq!(c.len(), 3);
        assert!(c.windows(2).all(|w| w[0].total_cost <= w[1].total_cost));
        for choice in &c {
            assert!(choice.run_seconds <= 1200.0);
        }
    }
}
