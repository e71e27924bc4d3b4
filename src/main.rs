use clap::Parser;
use gridrun::cli::{Cli, Command};
use gridrun::commands;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Worker) => return ExitCode::from(gridrun::execute::worker::main() as u8),
        None => commands::run(cli.run),
        Some(Command::Run(args)) => commands::run(args),
        Some(Command::Plan { config }) => commands::plan(&config),
        Some(Command::Merge { output }) => commands::merge(&output),
        Some(Command::Slurm(args)) => commands::slurm(&args),
        Some(Command::ExportJob(args)) => commands::export_job(&args),
        Some(Command::Estimate(args)) => commands::estimate(&args),
        Some(Command::Predict(args)) => commands::predict(&args),
        Some(Command::MakeClassification(args)) => commands::make_classification(&args),
        Some(Command::Report(args)) => commands::report(&args),
        Some(Command::Completions { shell }) => commands::completions(shell),
        Some(Command::MakeRegression(args)) => commands::make_regression(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // `gridrun predict ... | head`: the reader left; not an error to report.
        Err(e) if commands::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let text = gridrun::config::one_line(&format!("{e:#}"));
            gridrun::errln!("gridrun: error: {text}");
            ExitCode::from(2)
        }
    }
}
