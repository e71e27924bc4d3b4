//! The table of best settings printed on stdout at the end of a run: compact
//! metric columns, parameters wrapped at spaces to the terminal's width.

use crate::params::describe;
use crate::results::cv_results::{CvResults, SettingRow};

/// Width used when stdout is not a terminal and $COLUMNS is unset.
const DEFAULT_WIDTH: usize = 100;
/// Below this the params column would be unreadable: lines may run over.
const MIN_PARAMS_WIDTH: usize = 16;

/// The `top` best settings by rank, fitted to the terminal's width.
pub fn table(results: &CvResults, top: usize) -> String {
    table_with_width(results, top, terminal_width())
}

/// Columns of the terminal on stdout, else $COLUMNS, else 100.
pub fn terminal_width() -> usize {
    if let Some((_, cols)) = console::Term::stdout().size_checked() {
        return cols as usize;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|&c: &usize| c >= 20)
        .unwrap_or(DEFAULT_WIDTH)
}

pub fn table_with_width(results: &CvResults, top: usize, width: usize) -> String {
    let columns = Columns::new(results);
    let mut lines = vec![columns.header(results)];
    let params_width = width
        .saturating_sub(columns.params_start())
        .max(MIN_PARAMS_WIDTH);
    let ranked = results.ranked();
    for &i in ranked.iter().take(top) {
        let row = &results.rows[i];
        let cells = columns.cells(results, row);
        let mut text = params_text(row);
        if let Some(error) = &row.error {
            text.push_str(&format!(" | error: {}", last_line(error)));
        }
        let wrapped = wrap_words(&text, params_width);
        for (k, part) in wrapped.iter().enumerate() {
            let lead = if k == 0 {
                cells.clone()
            } else {
                " ".repeat(columns.params_start())
            };
            lines.push(format!("{lead}{part}").trim_end().to_string());
        }
    }
    if ranked.len() > top {
        lines.push(format!(
            "{} more settings in cv_results.csv",
            ranked.len() - top
        ));
    }
    lines.join("\n")
}

/// Column widths: rank, one per metric, mean fit seconds.
struct Columns {
    metric_widths: Vec<usize>,
}

const RANK: usize = 4;
const FIT: usize = 7;
const GAP: usize = 2;
const CELL: usize = 13; // "0.9438 ±0.021"

impl Columns {
    fn new(results: &CvResults) -> Columns {
        Columns {
            metric_widths: results
                .metrics
                .iter()
                .map(|m| short_metric(m).chars().count().max(CELL))
                .collect(),
        }
    }

    fn params_start(&self) -> usize {
        RANK + self.metric_widths.iter().map(|w| w + GAP).sum::<usize>() + GAP + FIT + GAP
    }

    fn header(&self, results: &CvResults) -> String {
        let mut h = format!("{:>RANK$}", "rank");
        for (m, w) in results.metrics.iter().zip(&self.metric_widths) {
            h.push_str(&format!("{:GAP$}{:>w$}", "", short_metric(m)));
        }
        h.push_str(&format!("{:GAP$}{:>FIT$}{:GAP$}params", "", "fit s", ""));
        h
    }

    /// Everything left of the params column for one setting.
    fn cells(&self, results: &CvResults, row: &SettingRow) -> String {
        let mut line = format!("{:>RANK$}", row.rank[&results.refit]);
        for (m, w) in results.metrics.iter().zip(&self.metric_widths) {
            let s = row.test[m];
            let cell = if s.mean.is_nan() {
                row.missing_label(results.n_splits).to_string()
            } else {
                format!("{:.4} ±{:.3}", s.mean, s.std)
            };
            line.push_str(&format!("{:GAP$}{cell:>w$}", ""));
        }
        let fit = match row.fit_time.mean {
            f if f.is_nan() => "-".to_string(),
            f if f >= 100.0 => format!("{f:.0}"),
            f if f >= 10.0 => format!("{f:.1}"),
            f => format!("{f:.3}"),
        };
        line.push_str(&format!("{:GAP$}{fit:>FIT$}{:GAP$}", "", ""));
        line
    }
}

fn params_text(row: &SettingRow) -> String {
    if row.params.is_empty() {
        "(model defaults)".to_string()
    } else {
        describe(&row.params)
    }
}

/// A metric's name in a header no wider than a score cell.
pub fn short_metric(metric: &str) -> &str {
    match metric {
        "balanced_accuracy" => "bal_accuracy",
        "precision_macro" => "prec_macro",
        "neg_mean_squared_error" => "neg_mse",
        "neg_mean_absolute_error" => "neg_mae",
        other => other,
    }
}

/// The last non-empty line of an error: the cause, for one table line.
pub fn last_line(error: &str) -> &str {
    error
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Splits text into lines of at most `width` characters at spaces; a word
/// longer than the width is cut with an ellipsis rather than split.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let word = ellipsize(word, width);
        let needed =
            current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

fn ellipsize(word: &str, width: usize) -> String {
    if word.chars().count() <= width {
        return word.to_string();
    }
    let kept: String = word.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_never_inside_a_word() {
        let lines = wrap_words("max_depth=None criterion=entropy min_samples_leaf=5", 20);
        assert_eq!(
            lines,
            vec!["max_depth=None", "criterion=entropy", "min_samples_leaf=5"]
        );
        assert_eq!(wrap_words("abcdefghij", 5), vec!["abcd…"]);
    }

    #[test]
    fn last_line_is_the_cause() {
        assert_eq!(last_line("worker died\n  stderr: oops\n\n"), "stderr: oops");
    }
}
