//! One function per subcommand: read the arguments, call the library, print.
//! Each returns the process exit code (errors become exit code 2 in main).

use crate::batch::{shard, slurm};
use crate::cli::{
    EstimateArgs, ExportArgs, MakeClassificationArgs, MakeRegressionArgs, PredictArgs, ReportArgs,
    RunArgs, SlurmArgs,
};
use crate::config::Config;
use crate::plan::Plan;
use crate::search::{self, RunOptions};
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub fn run(args: RunArgs) -> Result<u8> {
    let Some(path) = args.config else {
        bail!("no config given: gridrun CONFIG.toml (see gridrun --help)");
    };
    let mut config = Config::load(&path)?;
    // --no-refit: as `[scoring] refit = false` (the snapshot says so for merge).
    config.refit_best &= !args.no_refit;
    if !args.quiet {
        warn_about_draws(&config);
    }
    let shard = match args.shard {
        Some(s) => Some(s),
        None => shard::shard_from_env(&|k| std::env::var(k).ok(), args.shards)?,
    };
    match args.round {
        Some(iter) => crate::batch::rounds::check_worker(&config, shard, iter)?,
        None if shard.is_some() || args.shards.is_some_and(|n| n > 1) => {
            crate::strategy::halving_run::refuse_split(&config, "--shard")?
        }
        None => {}
    }
    if let (None, Some(n)) = (shard, args.shards) {
        if n > 1 {
            bail!("--shards {n}: no shard index found in SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX (or give --shard I/N)");
        }
    }
    let opts = RunOptions {
        jobs: args.jobs,
        backend: args.backend,
        output: args.output,
        quiet: args.quiet,
        retries: args.retries,
        timeout: args.timeout,
        max_memory: args.max_memory,
        fresh: args.fresh,
        shard,
        only_missing: args.only_missing,
        round: args.round,
    };
    let summary = search::run(&config, &opts)?;
    if let Some(table) = &summary.table {
        crate::outln!("{table}\n");
    }
    let scope = summary.shard.map_or(String::new(), |s| {
        format!("shard {s}: {} of ", summary.assigned)
    });
    let mut tail = format!("{scope}{} tasks, {} failed", summary.total, summary.failed);
    if summary.warned > 0 {
        tail.push_str(&format!(
            ", {} with warnings (`warnings` in results.jsonl)",
            summary.warned
        ));
    }
    if summary.reused > 0 {
        tail.push_str(&format!(", {} reused from an earlier run", summary.reused));
    }
    if summary.rerun > 0 {
        tail.push_str(&format!(
            ", {} re-run (their earlier result failed, was on other data or lacked a metric)",
            summary.rerun
        ));
    }
    if summary.interrupted {
        tail.push_str(&format!(
            ", {} not run (interrupted: run again to resume)",
            summary.not_run
        ));
    } else if summary.not_run > 0 {
        tail.push_str(&format!(", {} not run", summary.not_run));
    }
    if summary.refit_error.is_some() {
        tail.push_str(", the refit failed (no best_model.bin)");
    } else if !config.refit_best && summary.table.is_some() {
        tail.push_str(", best setting not refit (refit = false): no model written");
    }
    crate::outln!("{tail}; results in {}", summary.output.display());
    if let Some(predicted) = crate::estimate::saved_prediction(&summary.output, summary.workers) {
        let actual = summary.wall_seconds;
        crate::outln!(
            "wall time {:.1} s; gridrun estimate predicted {:.1} s ({:+.0}%)",
            actual,
            predicted,
            (predicted - actual) / actual * 100.0
        );
    }
    Ok(summary.exit_code())
}

pub fn plan(path: &Path) -> Result<u8> {
    let config = Config::load(path)?;
    let plan = Plan::build(&config);
    // writeln, not println: `gridrun plan ... | head` must not panic.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    use std::io::Write;
    writeln!(
        out,
        "{} ({}, model{} {})",
        plan.summary(),
        config.name,
        if config.models.is_empty() { "" } else { "s" },
        config.model
    )?;
    if let Some(models) = plan.models_line(&config) {
        writeln!(out, "{models}")?;
    }
    if let Some(draws) = &config.search.draws {
        writeln!(out, "{}", draws.summary())?;
    }
    for line in crate::strategy::halving_run::plan_lines(&config)? {
        writeln!(out, "{line}")?;
    }
    warn_about_draws(&config);
    for line in plan.setting_lines() {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(0)
}

/// scikit-learn warns when n_iter exceeds the grid: so does gridrun.
fn warn_about_draws(config: &Config) {
    if let Some(warning) = config.search.draws.as_ref().and_then(|d| d.warning()) {
        crate::errln!("gridrun: warning: {}: {warning}", config.path.display());
    }
}

pub fn merge(output: &Path) -> Result<u8> {
    let summary = search::merge(output, false)?;
    crate::outln!("{}\n", summary.table);
    crate::outln!(
        "merged {} of {} tasks ({} failed); results in {}",
        summary.finished,
        summary.total,
        summary.failed,
        output.display()
    );
    if summary.missing.is_empty() {
        let failed = summary.failed > 0 || summary.refit_error.is_some();
        return Ok(u8::from(failed));
    }
    crate::errln!(
        "gridrun: {} tasks missing (run `gridrun run CONFIG --only-missing -o {}` to fill them):",
        summary.missing.len(),
        output.display()
    );
    for task in &summary.missing {
        crate::errln!("  {task}");
    }
    Ok(1)
}

pub fn slurm(args: &SlurmArgs) -> Result<u8> {
    let config = Config::load(&args.config)?;
    let halving = config.search.method == crate::config::Method::Halving;
    if halving && !args.submit {
        bail!("{}: gridrun slurm without --submit: successive halving cannot be written as one job array: each round's candidates are known only when the round before ends; `gridrun slurm --submit` submits one array per round and merges between rounds", args.config.display());
    }
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| config.run.output.clone());
    std::fs::create_dir_all(&output)
        .with_context(|| format!("{}: cannot create", output.display()))?;
    let options = slurm::SlurmOptions {
        shards: args.shards,
        cpus_per_task: args.cpus_per_task,
        time: args.time.clone(),
        partition: args.partition.clone(),
        mem: args.mem.clone(),
        job_name: format!("gridrun-{}", config.name),
        output_dir: absolute(&output)?,
        gridrun_exe: std::env::current_exe()?,
        config: absolute(&args.config)?,
        extra_args: vec!["--quiet".into()],
    };
    if halving {
        let arrays = crate::batch::rounds::RoundArrays {
            config: &config,
            out: crate::output_dir::OutputDir::new(&output),
            template: options,
        };
        return match crate::batch::rounds::submit(&arrays)? {
            true => merge(&output),
            false => Ok(1),
        };
    }
    let (_, balance) = search::shard_assignment(
        &crate::plan::Plan::build(&config),
        args.shards,
        &crate::output_dir::OutputDir::new(&output),
    );
    crate::outln!("{}", describe_balance(&balance));
    let script = crate::output_dir::OutputDir::new(&output).sbatch_script();
    crate::results::atomic::write_text(&script, &slurm::sbatch_script(&options))?;
    crate::outln!("wrote {}", script.display());
    if !args.submit {
        crate::outln!(
            "submit with: sbatch {}   then: gridrun merge {}",
            script.display(),
            output.display()
        );
        return Ok(0);
    }
    let job = slurm::submit(&script)?;
    crate::errln!(
        "gridrun: submitted job array {} ({} shards)",
        job.0,
        args.shards
    );
    let state = slurm::follow(job, Duration::from_millis(500), |s| {
        crate::errln!("gridrun: {s}")
    })?;
    if !state.all_succeeded() {
        crate::errln!(
            "gridrun: array tasks failed: {:?} (logs: {}/slurm-{}_*.out)",
            state.failed_tasks(),
            output.display(),
            job.0
        );
    }
    merge(&output)
}

pub fn export_job(args: &ExportArgs) -> Result<u8> {
    crate::batch::export_job::export_job(args)
}

pub fn estimate(args: &EstimateArgs) -> Result<u8> {
    use crate::estimate::{self, prices::PriceTable, CloudOptions, Deadline, EstimateOptions};
    if !(0.0..=1.0).contains(&args.smt_gain) {
        bail!("--smt-gain must be between 0 and 1, got {}", args.smt_gain);
    }
    if !(0.0..1.0).contains(&args.spot_discount) {
        bail!(
            "--spot-discount must be at least 0 and below 1, got {}",
            args.spot_discount
        );
    }
    if let Some(m) = args.margin.filter(|m| !(0.0..=10.0).contains(m)) {
        bail!("--margin must be between 0 and 10 (0.2 = 20% longer), got {m}");
    }
    if args.max_instances == Some(0) {
        bail!("--max-instances must be at least 1");
    }
    let prices = match &args.prices {
        Some(path) => PriceTable::load(path)?,
        None => PriceTable::built_in(),
    };
    let opts = EstimateOptions {
        deadline: Deadline::parse(&args.deadline)?,
        margin: args.margin,
        pilot_seconds: args.pilot_seconds,
        jobs: args.jobs,
        output: args.output.clone(),
        cloud: CloudOptions {
            smt_gain: args.smt_gain,
            boot_seconds: args.boot_seconds,
            spot_discount: args.spot_discount,
            max_instances: args.max_instances,
            min_cores_per_instance: args.min_cores_per_instance,
            top: args.top,
            ..CloudOptions::default()
        },
    };
    let report = match (&args.config, args.tasks, args.task_seconds) {
        (None, Some(tasks), Some(seconds)) => {
            estimate::from_counts(tasks, seconds, &opts, &prices)?
        }
        (Some(path), _, _) => {
            let config = Config::load(path)?;
            estimate::from_config(&config, &opts, &prices)?
        }
        _ => bail!("give a config, or --tasks N --task-seconds S (see gridrun estimate --help)"),
    };
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        crate::outln!("{}", estimate::render_text(&report));
    }
    Ok(0)
}

pub fn predict(args: &PredictArgs) -> Result<u8> {
    let options = crate::predict::PredictOptions {
        proba: args.proba,
        keep: args.keep.clone(),
    };
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| anyhow!("{}: cannot create: {e}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let n = crate::predict::predict(&args.model, &args.data, &options, &mut out)?;
    out.flush()?;
    crate::errln!("gridrun: {n} predictions");
    Ok(0)
}

pub fn report(args: &ReportArgs) -> Result<u8> {
    let to = args
        .to
        .clone()
        .unwrap_or_else(|| crate::output_dir::OutputDir::new(&args.output).report());
    let (finished, total) = crate::report::html::load::write_from_output(&args.output, &to)?;
    crate::outln!(
        "wrote {} ({finished} of {total} tasks finished)",
        to.display()
    );
    Ok(0)
}

pub fn completions(shell: clap_complete::Shell) -> Result<u8> {
    use clap::CommandFactory;
    let mut command = crate::cli::Cli::command();
    // Into memory first: clap_complete panics on a write error (`| head`).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "gridrun", &mut script);
    std::io::Write::write_all(&mut std::io::stdout().lock(), &script)?;
    Ok(0)
}

/// Whether an error is stdout closed by its reader (`gridrun ... | head`).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let broken = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(broken)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if broken(io)))
    })
}

pub fn make_classification(args: &MakeClassificationArgs) -> Result<u8> {
    let spec = crate::synth::ClassificationSpec {
        n_samples: args.samples,
        n_features: args.features,
        n_informative: args.informative,
        n_redundant: args.redundant,
        n_repeated: args.repeated,
        n_classes: args.classes,
        n_clusters_per_class: args.clusters_per_class,
        flip_y: args.flip_y,
        class_sep: args.class_sep,
        seed: args.seed,
        ..Default::default()
    };
    spec.validate()
        .map_err(|e| anyhow!("make-classification: {e}"))?;
    let (x, y) = crate::synth::make_classification(&spec);
    write_synthetic(args.output.as_deref(), x.dim(), |w| {
        crate::synth::write_csv(x.view(), &y, w)
    })?;
    Ok(0)
}

pub fn make_regression(args: &MakeRegressionArgs) -> Result<u8> {
    let spec = crate::synth::RegressionSpec {
        n_samples: args.samples,
        n_features: args.features,
        n_informative: args.informative,
        bias: args.bias,
        noise: args.noise,
        seed: args.seed,
        ..Default::default()
    };
    spec.validate()
        .map_err(|e| anyhow!("make-regression: {e}"))?;
    let (x, y, _) = crate::synth::make_regression(&spec);
    write_synthetic(args.output.as_deref(), x.dim(), |w| {
        crate::synth::write_regression_csv(x.view(), &y, w)
    })?;
    Ok(0)
}

/// One line on how evenly the shards share the work.
fn describe_balance(b: &shard::Balance) -> String {
    let tasks = b
        .per_shard_tasks
        .iter()
        .map(|t| t.to_string())
        .collect::<Vec<_>>()
        .join("/");
    if b.per_shard_seconds.iter().all(|&s| s == 0.0) {
        return format!("shards: {tasks} tasks (round-robin; run `gridrun estimate` first to balance by predicted time)");
    }
    let seconds = b
        .per_shard_seconds
        .iter()
        .map(|s| format!("{s:.0}"))
        .collect::<Vec<_>>()
        .join("/");
    format!("shards: {tasks} tasks, {seconds} predicted seconds (LPT on gridrun estimate's predictions); max/mean {:.3}", b.max_over_mean)
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("{}: cannot resolve", path.display()))
}

/// A generated data set to `output` (saying where it went) or to stdout.
fn write_synthetic(
    output: Option<&Path>,
    (rows, features): (usize, usize),
    write: impl Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    let Some(path) = output else {
        return Ok(write(&mut std::io::stdout().lock())?);
    };
    let mut file = std::fs::File::create(path)
        .with_context(|| format!("{}: cannot create", path.display()))?;
    write(&mut file).with_context(|| format!("{}: cannot write", path.display()))?;
    crate::errln!(
        "gridrun: wrote {rows} rows x {features} features to {}",
        path.display()
    );
    Ok(())
}
