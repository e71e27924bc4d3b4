use clap::Parser;
use gridrun::cli::{Cli, Command, RunArgs};
use gridrun::config::Config;
use gridrun::plan::Plan;
use gridrun::search::{self, RunOptions};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Worker) => return ExitCode::from(gridrun::execute::worker::main() as u8),
        Some(Command::Run(args)) => run(args),
        None => run(cli.run),
        Some(Command::Plan { config }) => plan(&config),
        Some(Command::Predict(args)) => predict(&args),
        Some(Command::MakeClassification(args)) => make_classification(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("gridrun: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: RunArgs) -> anyhow::Result<u8> {
    let Some(path) = args.config else {
        anyhow::bail!("no config given: gridrun CONFIG.toml (see gridrun --help)");
    };
    let config = Config::load(&path)?;
    let opts = RunOptions {
        jobs: args.jobs,
        backend: args.backend,
        output: args.output,
        quiet: args.quiet,
        retries: args.retries,
        timeout: args.timeout,
        max_memory: args.max_memory,
        fresh: args.fresh,
    };
    let summary = search::run(&config, &opts)?;
    println!("{}", summary.table);
    let mut tail = format!("\n{} tasks, {} failed", summary.total, summary.failed);
    if summary.reused > 0 {
        tail.push_str(&format!(", {} reused from an earlier run", summary.reused));
    }
    if summary.interrupted {
        tail.push_str(&format!(
            ", {} not run (interrupted: run again to resume)",
            summary.not_run
        ));
    }
    println!("{tail}; results in {}", summary.output.display());
    Ok(summary.exit_code())
}

fn plan(path: &std::path::Path) -> anyhow::Result<u8> {
    let config = Config::load(path)?;
    let plan = Plan::build(&config);
    println!(
        "{} ({}, model {})",
        plan.summary(),
        config.name,
        config.model
    );
    for line in plan.setting_lines() {
        println!("{line}");
    }
    Ok(0)
}

fn predict(args: &gridrun::cli::PredictArgs) -> anyhow::Result<u8> {
    let n = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            gridrun::predict::predict(&args.model, &args.data, &mut w)?
        }
        None => gridrun::predict::predict(&args.model, &args.data, &mut std::io::stdout().lock())?,
    };
    eprintln!("gridrun: {n} predictions");
    Ok(0)
}

fn make_classification(_args: &gridrun::cli::MakeClassificationArgs) -> anyhow::Result<u8> {
    anyhow::bail!("pending synth module")
}
