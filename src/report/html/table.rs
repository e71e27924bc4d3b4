//! The best settings as a sortable table: rank, mean ± std per metric, mean
//! fit time, one column per hyperparameter.

use super::{Input, Section};
use crate::report::svg::esc;
use crate::results::cv_results::SettingRow;
use std::fmt::Write;

/// Rows in the table; the rest are in cv_results.csv.
pub const TOP: usize = 50;

pub fn section(input: &Input) -> Section {
    let r = input.results;
    let ranked = r.ranked();
    let best = r.best();
    let mut html =
        String::from("<div class=\"scroll\"><table class=\"settings\"><thead><tr><th>rank</th>");
    for m in &r.metrics {
        let _ = write!(html, "<th>{}</th>", esc(m));
    }
    html.push_str("<th>fit s</th>");
    for k in &r.grid_keys {
        let _ = write!(html, "<th class=\"p\">{}</th>", esc(k));
    }
    html.push_str("<th class=\"p\">note</th></tr></thead><tbody>\n");
    for &i in ranked.iter().take(TOP) {
        html.push_str(&row_html(input, &r.rows[i], Some(i) == best));
    }
    html.push_str("</tbody></table></div>\n");
    if ranked.len() > TOP {
        let _ = writeln!(
            html,
            "<p class=\"note\">{} more settings in cv_results.csv</p>",
            ranked.len() - TOP
        );
    }
    html.push_str("<p class=\"note\">Click a column to sort. Scores are mean &plusmn; std over the splits.</p>\n");
    Section {
        id: "table",
        title: format!(
            "Top settings ({} of {})",
            ranked.len().min(TOP),
            ranked.len()
        ),
        body: html,
    }
}

fn row_html(input: &Input, row: &SettingRow, best: bool) -> String {
    let r = input.results;
    let mut html = format!(
        "<tr class=\"setting{}\"><td data-v=\"{}\">{}</td>",
        if best { " best" } else { "" },
        row.rank[&r.refit],
        row.rank[&r.refit]
    );
    for m in &r.metrics {
        let s = row.test[m];
        if s.mean.is_nan() {
            let label = row.missing_label(r.n_splits);
            let class = if row.failed > 0 { "failed" } else { "notrun" };
            let _ = write!(html, "<td class=\"{class}\" data-v=\"-1e300\">{label}</td>");
        } else {
            let _ = write!(
                html,
                "<td data-v=\"{}\">{:.4} &plusmn; {:.4}</td>",
                s.mean, s.mean, s.std
            );
        }
    }
    let fit = row.fit_time.mean;
    if fit.is_nan() {
        html.push_str("<td data-v=\"-1\">-</td>");
    } else {
        let _ = write!(html, "<td data-v=\"{fit}\">{fit:.3}</td>");
    }
    for k in &r.grid_keys {
        let value = row.params.get(k).map_or(String::new(), |v| v.to_string());
        let sort = row
            .params
            .get(k)
            .and_then(|v| v.as_f64())
            .map_or(esc(&value), |x| x.to_string());
        let _ = write!(
            html,
            "<td class=\"p\" data-v=\"{sort}\">{}</td>",
            esc(&value)
        );
    }
    let note = row.error.as_deref().map_or(String::new(), |e| {
        crate::report::summary::last_line(e).to_string()
    });
    let _ = writeln!(html, "<td class=\"p\">{}</td></tr>", esc(&note));
    html
}
