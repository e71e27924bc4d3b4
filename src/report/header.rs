//! The run header on stderr: what data the models see and what is done to
//! it, and warnings that a person should read before trusting a score.

use crate::config::Config;
use crate::data::CacheHeader;

/// Warnings always; the description unless quiet.
pub fn data_header(config: &Config, header: &CacheHeader, quiet: bool) {
    if !quiet {
        for line in crate::preprocess::describe_run(config, header) {
            crate::errln!("gridrun: {line}");
        }
    }
    for warning in &header.warnings {
        crate::errln!("gridrun: warning: {}", crate::config::one_line(warning));
    }
}
