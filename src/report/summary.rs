//! The table of best settings printed on stdout at the end of a run.

use crate::params::describe;
use crate::results::cv_results::CvResults;

/// The `top` best settings by rank, with mean ± std of every metric.
pub fn table(results: &CvResults, top: usize) -> String {
    let mut lines = Vec::new();
    let mut header = format!("{:>4}", "rank");
    for m in &results.metrics {
        header.push_str(&format!("  {:>20}", m));
    }
    header.push_str(&format!("  {:>8}  params", "fit s"));
    lines.push(header);
    for &i in results.ranked().iter().take(top) {
        let row = &results.rows[i];
        let mut line = format!("{:>4}", row.rank[&results.refit]);
        for m in &results.metrics {
            let s = row.test[m];
            let cell = if s.mean.is_nan() && row.failed > 0 {
                "failed".to_string()
            } else if s.mean.is_nan() {
                // every split ran, but some score is not a number
                "nan".to_string()
            } else {
                format!("{:.4} ± {:.4}", s.mean, s.std)
            };
            line.push_str(&format!("  {cell:>20}"));
        }
        let fit = if row.fit_time.mean.is_nan() {
            "-".into()
        } else {
            format!("{:.4}", row.fit_time.mean)
        };
        let params = if row.params.is_empty() {
            "(model defaults)".to_string()
        } else {
            describe(&row.params)
        };
        line.push_str(&format!("  {fit:>8}  {params}"));
        lines.push(line);
    }
    lines.join("\n")
}
