//! The estimate as a readable report and as JSON.

use super::cloud::{cheapest, Choice, CloudOptions};
use super::costmodel::ModelError;
use super::lpt::{self, Cores};
use super::prices::PriceTable;
use crate::units::format_duration;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ThisMachine {
    pub workers: usize,
    pub predicted_wall_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PilotSummary {
    pub tasks_timed: usize,
    pub of_tasks: usize,
    pub seconds: f64,
    pub per_task_overhead_seconds: f64,
    pub worker_peak_rss_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub tasks: usize,
    pub total_cpu_seconds: f64,
    pub longest_task_seconds: f64,
    pub deadline_seconds: f64,
    pub cores: Cores,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub this_machine: Option<ThisMachine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_error: Option<ModelError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot: Option<PilotSummary>,
    pub choices: Vec<Choice>,
    pub prices: String,
    pub assumptions: Vec<String>,
}

impl Report {
    pub fn new(
        durations: &[f64],
        deadline: f64,
        overhead: f64,
        cloud: &CloudOptions,
        prices: &PriceTable,
    ) -> Report {
        let total: f64 = durations.iter().sum();
        let longest = durations.iter().copied().fold(0.0, f64::max);
        let mut assumptions = vec![
            "task times from this machine, taken to be the same on one EC2 physical core"
                .to_string(),
            format!(
                "a second hyperthread adds {:.0}% of a core (--smt-gain {})",
                cloud.smt_gain * 100.0,
                cloud.smt_gain
            ),
            format!(
                "{} s from launch to ready per instance, counted in run time and billed",
                cloud.boot_seconds
            ),
            format!(
                "per-second billing with a {} s minimum per instance (Linux)",
                cloud.min_billing_seconds
            ),
            "burstable (t*) types left out: sustained CPU costs surplus credits".to_string(),
            "arm64 types (Graviton c7g...) need an arm64 build of gridrun".to_string(),
        ];
        if overhead > 0.0 {
            assumptions.push(format!(
                "{:.2} ms of worker-pool overhead added to every task (measured)",
                overhead * 1000.0
            ));
        }
        if let Some(rss) = cloud.worker_peak_rss_bytes {
            assumptions.push(format!(
                "each worker needs {} (pilot's peak RSS) + {} GiB for the OS per instance",
                crate::units::format_bytes(rss),
                cloud.os_headroom_gib
            ));
        }
        if let Some(d) = cloud.spot_discount {
            assumptions.push(format!(
                "spot at {:.0}% off on-demand (your figure: spot prices vary by zone and hour)",
                d * 100.0
            ));
        }
        Report {
            tasks: durations.len(),
            total_cpu_seconds: total,
            longest_task_seconds: longest,
            deadline_seconds: deadline,
            cores: lpt::min_cores(durations, deadline),
            this_machine: None,
            model_error: None,
            pilot: None,
            choices: cheapest(durations, deadline, prices, cloud),
            prices: prices.source.clone(),
            assumptions,
        }
    }
}

pub fn render_text(r: &Report) -> String {
    let mut out = Vec::new();
    out.push(format!(
        "{} tasks, {} of CPU time in total, longest task {}",
        r.tasks,
        format_duration(r.total_cpu_seconds),
        format_duration(r.longest_task_seconds)
    ));
    if let Some(p) = &r.pilot {
        let err = r.model_error.map_or(
            "too few pilot tasks to measure its error".to_string(),
            |e| {
                format!(
                    "held-out error median {:.0}%, max {:.0}% over {} tasks",
                    e.median * 100.0,
                    e.max * 100.0,
                    e.held_out
                )
            },
        );
        out.push(format!(
            "pilot: timed {} of {} tasks in {}; cost model {err}",
            p.tasks_timed,
            p.of_tasks,
            format_duration(p.seconds)
        ));
    }
    if let Some(m) = &r.this_machine {
        out.push(format!(
            "this machine, {} workers: about {}",
            m.workers,
            format_duration(m.predicted_wall_seconds)
        ));
    }
    let deadline = format_duration(r.deadline_seconds);
    match &r.cores {
        Cores::Enough { cores, makespan, lower_bound } => out.push(format!(
            "deadline {deadline}: {cores} {} (LPT: {:.0} s <= {:.0} s; lower bound max(total/{cores}, longest) = {:.0} s)",
            if *cores == 1 { "core" } else { "cores" },
            makespan,
            r.deadline_seconds,
            lower_bound
        )),
        Cores::Impossible { longest } => out.push(format!("deadline {deadline}: no number of cores helps: the longest task alone takes {}", format_duration(*longest))),
    }
    if r.choices.is_empty() {
        out.push("no instance type finishes by the deadline".into());
    } else {
        out.push(format!("cheapest ways to get them ({}):", r.prices));
        let spot = r.choices.iter().any(|c| c.spot_cost.is_some());
        out.push(format!(
            "  {:<16} {:>5} {:>8} {:>9} {:>9} {:>9}{}",
            "instance",
            "count",
            "workers",
            "$/h each",
            "run time",
            "total",
            if spot { "      spot" } else { "" }
        ));
        for c in &r.choices {
            let spot = c
                .spot_cost
                .map_or(String::new(), |s| format!(" {:>9}", dollars(s)));
            out.push(format!(
                "  {:<16} {:>5} {:>8} {:>9.4} {:>9} {:>9}{spot}",
                c.instance,
                c.count,
                c.count * c.workers_per_instance,
                c.price_per_hour,
                format_duration(c.run_seconds),
                dollars(c.total_cost)
            ));
        }
    }
    out.push("assumptions:".into());
    out.extend(r.assumptions.iter().map(|a| format!("  - {a}")));
    out.join("\n")
}

/// Cents for everyday sums, more digits for tiny ones.
fn dollars(x: f64) -> String {
    if x < 0.1 {
        format!("${x:.4}")
    } else {
        format!("${x:.2}")
    }
}
