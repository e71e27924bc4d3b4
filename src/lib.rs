//! gridrun: config -> plan (tasks) -> execute (workers, events) -> results / report.

pub mod batch;
pub mod cli;
pub mod command;
pub mod commands;
pub mod config;
pub mod data;
pub mod estimate;
pub mod estimators;
pub mod execute;
pub mod folds;
pub mod grid;
pub mod lpt;
pub mod metrics;
pub mod models;
pub mod output_dir;
pub mod params;
pub mod plan;
pub mod predict;
pub mod preprocess;
pub mod report;
pub mod results;
pub mod search;
pub mod session;
pub mod strategy;
pub mod synth;
pub mod units;
