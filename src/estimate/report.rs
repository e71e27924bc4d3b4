//! The estimate for people: the decision first ("finishes here by 12:30" or
//! "rent this, run that"), then the table of choices, then the figures
//! behind it and only the assumptions that apply; and the same as JSON.

use super::cloud::{cheapest_rounds, Choice, CloudOptions};
use super::costmodel::ModelError;
use super::deadline::Deadline;
use super::lpt::{self, Cores};
use super::prices::PriceTable;
use crate::units::format_duration;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ThisMachine {
    pub workers: usize,
    /// The model's prediction as is (compared with the run afterwards).
    pub predicted_wall_seconds: f64,
    /// With the safety margin: what the decision uses.
    pub with_margin_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PilotSummary {
    pub tasks_timed: usize,
    pub of_tasks: usize,
    pub seconds: f64,
    pub per_task_overhead_seconds: f64,
    pub worker_peak_rss_bytes: u64,
}

/// Where the safety margin comes from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginSource {
    /// `--margin` on the command line.
    Given,
    /// The cost model's measured 90% upper bound.
    Model,
    /// Arithmetic mode without `--margin`, or too few pilot tasks.
    None,
}

/// What the report is about, beyond the task durations.
#[derive(Debug, Clone)]
pub struct Context {
    /// The config as typed, for the commands to run; None in arithmetic mode.
    pub config: Option<String>,
    /// Per-task worker-pool overhead included in the durations (pilot).
    pub overhead: f64,
    /// Workers here and their start-up seconds (pilot), for "this machine".
    pub workers_here: usize,
    pub startup_seconds: f64,
    /// `--task-seconds` in arithmetic mode.
    pub task_seconds: Option<f64>,
    pub margin: f64,
    pub margin_source: MarginSource,
    pub model_error: Option<ModelError>,
    /// Successive halving: rounds one after another, no shards up front.
    pub halving: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The first line: what to do.
    pub decision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_command: Option<String>,
    pub tasks: usize,
    pub total_cpu_seconds: f64,
    pub longest_task_seconds: f64,
    pub deadline_seconds: f64,
    /// The deadline as a local wall-clock time.
    pub deadline_at: String,
    pub margin: f64,
    pub margin_source: MarginSource,
    /// Cores for the deadline, task times including the margin.
    pub cores: Cores,
    pub this_machine: ThisMachine,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_error: Option<ModelError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot: Option<PilotSummary>,
    /// Successive halving: each round as estimated (the rounds run one
    /// after another; every figure above counts that).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rounds: Option<Vec<super::rounds::RoundEstimate>>,
    pub choices: Vec<Choice>,
    pub prices: String,
    pub assumptions: Vec<String>,
}

impl Report {
    /// `batches`: the task seconds of each batch of the search, run one
    /// after another (one batch for grid and random search, one per round
    /// for successive halving).
    pub fn new(
        batches: &[Vec<f64>],
        deadline: &Deadline,
        cloud: &CloudOptions,
        prices: &PriceTable,
        ctx: &Context,
    ) -> Report {
        let padded: Vec<Vec<f64>> = batches
            .iter()
            .map(|b| b.iter().map(|d| d * (1.0 + ctx.margin)).collect())
            .collect();
        let predicted = lpt::makespan_rounds(batches, ctx.workers_here) + ctx.startup_seconds;
        let this_machine = ThisMachine {
            workers: ctx.workers_here,
            predicted_wall_seconds: predicted,
            with_margin_seconds: lpt::makespan_rounds(&padded, ctx.workers_here)
                + ctx.startup_seconds,
        };
        let choices = cheapest_rounds(&padded, deadline.seconds, prices, cloud);
        let cores = lpt::min_cores_rounds(&padded, deadline.seconds);
        let durations = batches.iter().flatten();
        let mut report = Report {
            decision: String::new(),
            run_command: None,
            tasks: durations.clone().count(),
            total_cpu_seconds: durations.clone().sum(),
            longest_task_seconds: durations.copied().fold(0.0, f64::max),
            deadline_seconds: deadline.seconds,
            deadline_at: deadline.at(),
            margin: ctx.margin,
            margin_source: ctx.margin_source,
            cores,
            this_machine,
            model_error: ctx.model_error,
            pilot: None,
            rounds: None,
            assumptions: assumptions(&choices, cloud, prices, ctx),
            choices,
            prices: prices.source.clone(),
        };
        let (decision, command) = decide(&report, deadline, cloud, ctx);
        report.decision = decision;
        report.run_command = command;
        report
    }
}

/// The first line, and the command it tells to run.
fn decide(
    r: &Report,
    deadline: &Deadline,
    cloud: &CloudOptions,
    ctx: &Context,
) -> (String, Option<String>) {
    let config = ctx.config.as_deref().unwrap_or("CONFIG");
    let by = &r.deadline_at;
    let here = &r.this_machine;
    if here.with_margin_seconds <= r.deadline_seconds {
        let command = format!("gridrun run {config} --jobs {}", here.workers);
        return (
            format!(
                "Finishes by {by} on this machine with {} workers: about {}{}, done around {}; run: {command}",
                here.workers,
                format_duration(here.with_margin_seconds),
                margin_note(r.margin),
                deadline.clock(here.with_margin_seconds),
            ),
            Some(command),
        );
    }
    let cores = match r.cores {
        Cores::Impossible { longest } => {
            return (
                format!(
                    "Cannot finish by {by}: {} {}{}, so no number of cores helps; \
                     choose a later deadline",
                    longest_words(ctx.halving),
                    format_duration(longest),
                    margin_note(r.margin)
                ),
                None,
            )
        }
        Cores::Enough { cores, .. } => cores,
    };
    let Some(best) = r.choices.first() else {
        let cap = cloud
            .max_instances
            .map_or(String::new(), |n| format!(" with at most {n} instances"));
        return (
            format!(
                "Needs {cores} cores, but no {} instance type in the price table finishes by {by}{cap} \
                 (instances take {} s to boot); choose a later deadline{}",
                cloud.arch,
                cloud.boot_seconds,
                if cap.is_empty() { "" } else { " or more instances" }
            ),
            None,
        );
    };
    let command = run_command(config, best, ctx.halving);
    (
        format!(
            "Needs {cores} cores: rent {} x {} ({} cores{}) for ~{}, ~{} on demand / ~{} spot; run: {command}",
            best.count,
            best.instance,
            best.cores_per_instance,
            if best.count > 1 { " each" } else { "" },
            format_duration(best.run_seconds),
            dollars(best.total_cost),
            dollars(best.spot_cost),
        ),
        Some(command),
    )
}

fn margin_note(margin: f64) -> String {
    if margin > 0.0 {
        format!(" with the {:.0}% margin", margin * 100.0)
    } else {
        String::new()
    }
}

/// "the longest task alone takes" (or, rounds one after another, the
/// longest of each round).
fn longest_words(halving: bool) -> &'static str {
    if halving {
        "the longest task of each round, one round after another, take"
    } else {
        "the longest task alone takes"
    }
}

/// What to type on the rented machine(s). Halving cannot be split into
/// shards up front: on several machines, one Slurm array per round.
fn run_command(config: &str, c: &Choice, halving: bool) -> String {
    if c.count == 1 {
        format!("gridrun run {config} --jobs {}", c.workers_per_instance)
    } else if halving {
        format!(
            "gridrun slurm {config} --shards {} --cpus-per-task {} --submit on a Slurm cluster of them",
            c.count, c.workers_per_instance
        )
    } else {
        format!(
            "gridrun run {config} --shard I/{n} --jobs {w} -o SHARED on instance I = 0..{last}, \
             then gridrun merge SHARED",
            n = c.count,
            w = c.workers_per_instance,
            last = c.count - 1
        )
    }
}

/// Only the assumptions that the figures shown rest on.
fn assumptions(
    choices: &[Choice],
    cloud: &CloudOptions,
    prices: &PriceTable,
    ctx: &Context,
) -> Vec<String> {
    let mut out = Vec::new();
    match ctx.task_seconds {
        Some(s) => out.push(format!(
            "every task takes {} on one physical core, here or on EC2 (--task-seconds)",
            format_duration(s)
        )),
        None => out.push(
            "task times measured on this machine, taken to be the same on one EC2 physical core"
                .into(),
        ),
    }
    out.push(match (ctx.margin_source, ctx.model_error) {
        (MarginSource::Model, Some(e)) => format!(
            "safety margin +{:.0}%: nine in ten of {} held-out pilot tasks ran at most {:.2}x their \
             prediction (cost model error: median {:.0}%, max {:.0}%); --margin sets another",
            ctx.margin * 100.0,
            e.held_out,
            e.upper_90,
            e.median * 100.0,
            e.max * 100.0
        ),
        (MarginSource::Given, _) => format!("safety margin +{:.0}% (--margin)", ctx.margin * 100.0),
        (_, None) if ctx.task_seconds.is_none() => {
            "no safety margin: too few pilot tasks to measure the model's error (--margin sets one)"
                .into()
        }
        _ => String::new(),
    });
    if ctx.overhead > 0.0 {
        out.push(format!(
            "{:.2} ms of worker-pool overhead added to every task (measured)",
            ctx.overhead * 1000.0
        ));
    }
    if let Some(rss) = cloud.worker_peak_rss_bytes {
        out.push(format!(
            "each worker needs {} (pilot's peak RSS) + {} GiB for the OS per instance",
            crate::units::format_bytes(rss),
            cloud.os_headroom_gib
        ));
    }
    if !choices.is_empty() {
        out.extend(cloud_assumptions(choices, cloud));
    }
    let other_arch: Vec<&str> = families(prices, |i| i.arch != cloud.arch);
    if !other_arch.is_empty() {
        out.push(format!(
            "{} types only: gridrun ships no other build, so {} ({}) are left out",
            cloud.arch,
            other_arch.join(", "),
            if cloud.arch == "x86_64" {
                "arm64, Graviton"
            } else {
                "x86_64"
            }
        ));
    }
    let burstable = families(prices, |i| i.burstable());
    if !burstable.is_empty() {
        out.push(format!(
            "burstable {} left out: sustained CPU costs surplus credits",
            burstable.join(", ")
        ));
    }
    if let Some(n) = cloud.max_instances {
        out.push(format!("at most {n} instances (--max-instances)"));
    }
    if cloud.min_cores_per_instance > 1 {
        out.push(format!(
            "types with at least {} physical cores (--min-cores-per-instance)",
            cloud.min_cores_per_instance
        ));
    }
    out.retain(|a| !a.is_empty());
    out
}

fn cloud_assumptions(choices: &[Choice], cloud: &CloudOptions) -> Vec<String> {
    let mut out = Vec::new();
    if choices
        .iter()
        .any(|c| c.workers_per_instance > c.cores_per_instance)
    {
        out.push(format!(
            "a second hyperthread adds {:.0}% of a core (--smt-gain {})",
            cloud.smt_gain * 100.0,
            cloud.smt_gain
        ));
    }
    out.push(format!(
        "{} s from launch to ready per instance, counted in run time and billed",
        cloud.boot_seconds
    ));
    out.push(format!(
        "per-second billing with a {} s minimum per instance (Linux)",
        cloud.min_billing_seconds
    ));
    if choices.iter().any(|c| !c.spot_from_table) {
        out.push(format!(
            "spot at {:.0}% off on demand (--spot-discount {}): no dated spot price for these types; \
             AWS's example spot prices for c5 in us-east-1 were 44-62% off; today's: \
             aws ec2 describe-spot-price-history --product-descriptions Linux/UNIX --instance-types {}",
            cloud.spot_discount * 100.0,
            cloud.spot_discount,
            choices[0].instance
        ));
    }
    out.push(
        "spot instances can be taken back at 2 minutes' notice: a shard that dies is run again"
            .into(),
    );
    out
}

/// Families of the table matching `pick`, in table order, once each.
fn families(prices: &PriceTable, pick: impl Fn(&super::prices::Instance) -> bool) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for i in prices.instances.iter().filter(|i| pick(i)) {
        if !out.contains(&i.family.as_str()) {
            out.push(&i.family);
        }
    }
    out
}

pub fn render_text(r: &Report) -> String {
    let mut out = vec![r.decision.clone()];
    if !r.choices.is_empty() {
        out.push(String::new());
        out.extend(choice_table(&r.choices));
        out.push(format!("  prices: {}", r.prices));
    }
    out.push(String::new());
    out.push(format!(
        "{} tasks, {} of CPU time in total, longest task {}",
        r.tasks,
        format_duration(r.total_cpu_seconds),
        format_duration(r.longest_task_seconds)
    ));
    if let Some(rounds) = &r.rounds {
        out.extend(super::rounds::lines(rounds));
    }
    if let Some(p) = &r.pilot {
        out.push(format!(
            "pilot: timed {} of {} tasks in {}",
            p.tasks_timed,
            p.of_tasks,
            format_duration(p.seconds)
        ));
    }
    let with_margin = if r.margin > 0.0 {
        format!(
            " ({} with the margin)",
            format_duration(r.this_machine.with_margin_seconds)
        )
    } else {
        String::new()
    };
    out.push(format!(
        "this machine, {} workers: about {}{with_margin}",
        r.this_machine.workers,
        format_duration(r.this_machine.predicted_wall_seconds),
    ));
    let deadline = format!(
        "deadline {} ({} from now)",
        r.deadline_at,
        format_duration(r.deadline_seconds)
    );
    out.push(match &r.cores {
        Cores::Enough { cores, makespan, lower_bound } => format!(
            "{deadline}: {cores} {} (longest-first schedule {:.0} s; lower bound max(total/{cores}, longest) = {:.0} s)",
            if *cores == 1 { "core" } else { "cores" },
            makespan,
            lower_bound
        ),
        Cores::Impossible { longest } => format!(
            "{deadline}: no number of cores helps: {} {}",
            longest_words(r.rounds.is_some()),
            format_duration(*longest)
        ),
    });
    out.push("assumptions:".into());
    out.extend(r.assumptions.iter().map(|a| format!("  - {a}")));
    out.join("\n")
}

fn choice_table(choices: &[Choice]) -> Vec<String> {
    let mut out = vec![format!(
        "  {:<14} {:>5} {:>6} {:>7} {:>9} {:>9} {:>9} {:>10} {:>9}",
        "instance",
        "count",
        "cores",
        "workers",
        "$/h each",
        "spot $/h",
        "run time",
        "on demand",
        "spot"
    )];
    for c in choices {
        out.push(format!(
            "  {:<14} {:>5} {:>6} {:>7} {:>9.4} {:>9.4} {:>9} {:>10} {:>9}",
            c.instance,
            c.count,
            c.count * c.cores_per_instance,
            c.count * c.workers_per_instance,
            c.price_per_hour,
            c.spot_price_per_hour,
            format_duration(c.run_seconds),
            dollars(c.total_cost),
            dollars(c.spot_cost)
        ));
    }
    out
}

/// Cents for everyday sums, more digits for tiny ones.
fn dollars(x: f64) -> String {
    if x < 0.1 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}
