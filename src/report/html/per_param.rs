//! Per hyperparameter: the ranking metric's split scores against the
//! hyperparameter's values, as box plots (quartiles, whiskers at min and
//! max) with the mean of the settings' means (dot) and the best setting at
//! each value (orange line). Log axis for log-spaced grids.

use super::axes::ParamAxis;
use super::{Input, Section};
use crate::params::ParamValue;
use crate::report::svg::{esc, num_label, padded_range, ticks};
use std::fmt::Write;

const W: f64 = 350.0;
const H: f64 = 240.0;
const L: f64 = 52.0;
const R: f64 = 14.0;
const T: f64 = 26.0;
const B: f64 = 46.0;
/// More distinct values than this are pooled into this many groups.
const MAX_BOXES: usize = 40;

pub fn section(input: &Input, varied: &[ParamAxis], scored: &[usize]) -> Option<Section> {
    if varied.is_empty() || scored.is_empty() {
        return None;
    }
    let (lo, hi) = score_range(input, scored);
    let mut html = String::from("<div class=\"charts\">");
    for axis in varied {
        html.push_str(&chart(input, axis, scored, lo, hi));
    }
    html.push_str("</div>\n<p class=\"note\">Boxes: split scores of every setting with that value (quartiles; whiskers at min and max). Dot: mean of those settings' means. Orange: the best setting at each value. Hover for numbers.</p>\n");
    Some(Section {
        id: "params",
        title: format!("{} against each hyperparameter", input.results.refit),
        body: html,
    })
}

/// Lowest and highest split score of the scored settings, padded a little.
fn score_range(input: &Input, scored: &[usize]) -> (f64, f64) {
    let r = input.results;
    padded_range(
        scored
            .iter()
            .flat_map(|&i| r.rows[i].splits[&r.refit].iter().flatten().copied()),
    )
}

/// One box: settings whose value is in `values`, drawn at `x` in [0, 1].
struct Group {
    label: String,
    x: f64,
    splits: Vec<f64>,
    means: Vec<f64>,
}

fn groups(input: &Input, axis: &ParamAxis, scored: &[usize]) -> Vec<Group> {
    let r = input.results;
    let per = axis.values.len().div_ceil(MAX_BOXES).max(1);
    let chunks: Vec<&[ParamValue]> = axis.values.chunks(per).collect();
    let mut out: Vec<Group> = chunks
        .iter()
        .map(|c| Group {
            label: if c.len() == 1 {
                c[0].to_string()
            } else {
                format!("{}..{}", c[0], c[c.len() - 1])
            },
            x: axis.position(&c[c.len() / 2]).unwrap_or(0.5),
            splits: Vec::new(),
            means: Vec::new(),
        })
        .collect();
    for &i in scored {
        let Some(v) = r.rows[i].params.get(&axis.key) else {
            continue;
        };
        let Some(k) = axis.index_of(v) else {
            continue;
        };
        let g = &mut out[k / per];
        g.splits.extend(r.rows[i].splits[&r.refit].iter().flatten());
        g.means.push(input.mean(i));
    }
    out.retain(|g| !g.means.is_empty());
    out
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + (next - sorted[i]) * f
}

fn chart(input: &Input, axis: &ParamAxis, scored: &[usize], lo: f64, hi: f64) -> String {
    let groups = groups(input, axis, scored);
    let plot_w = W - L - R;
    let px = |x: f64| L + 14.0 + x * (plot_w - 28.0);
    let py = |y: f64| T + (hi - y) / (hi - lo) * (H - T - B);
    let box_w = (plot_w / groups.len().max(1) as f64 * 0.55).clamp(2.0, 26.0);
    let mut s = format!(
        r#"<svg class="param-chart" data-param="{}" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="11"><text x="{:.0}" y="15" font-size="13" text-anchor="middle" font-weight="bold">{}{}</text>"#,
        esc(&axis.key),
        W / 2.0,
        esc(&axis.key),
        if axis.is_log() { " (log axis)" } else { "" }
    );
    for t in ticks(lo, hi, 5) {
        let y = py(t);
        let _ = write!(
            s,
            r##"<line x1="{L}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - R,
            L - 4.0,
            y + 4.0,
            num_label(t),
        );
    }
    let _ = write!(
        s,
        r##"<line x1="{L}" x2="{L}" y1="{T}" y2="{:.1}" stroke="#999"/><line x1="{L}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#999"/>"##,
        H - B,
        W - R,
        H - B,
        H - B
    );
    let labels: Vec<(f64, String)> = if groups.len() <= 12 || axis.values.len() > MAX_BOXES {
        groups.iter().map(|g| (g.x, g.label.clone())).collect()
    } else {
        axis.ticks()
    };
    let step = labels.len().div_ceil(10).max(1);
    for (x, label) in labels.iter().step_by(step) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            px(*x),
            H - B + 15.0,
            esc(&shorten(label, 10))
        );
    }
    let mut best_line = Vec::new();
    for g in &groups {
        let mut v = g.splits.clone();
        v.sort_by(f64::total_cmp);
        let (q1, med, q3) = (quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75));
        let mean = g.means.iter().sum::<f64>() / g.means.len() as f64;
        let best = g.means.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let x = px(g.x);
        best_line.push(format!("{x:.1},{:.1}", py(best)));
        let _ = write!(
            s,
            r##"<g class="box"><title>{}={}: {} settings, {} split scores
median {:.4}, quartiles {:.4} to {:.4}, range {:.4} to {:.4}
mean of means {:.4}, best {:.4}</title><line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#557"/><rect x="{:.1}" y="{:.1}" width="{box_w:.1}" height="{:.1}" fill="#9ec3ea" stroke="#557"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#223" stroke-width="2"/><circle cx="{x:.1}" cy="{:.1}" r="3" fill="#223"/></g>"##,
            esc(&axis.key),
            esc(&g.label),
            g.means.len(),
            v.len(),
            med,
            q1,
            q3,
            v[0],
            v[v.len() - 1],
            mean,
            best,
            py(v[0]),
            py(v[v.len() - 1]),
            x - box_w / 2.0,
            py(q3),
            (py(q1) - py(q3)).max(1.0),
            x - box_w / 2.0,
            x + box_w / 2.0,
            py(med),
            py(med),
            py(mean)
        );
    }
    let _ = write!(
        s,
        r##"<polyline class="best" points="{}" fill="none" stroke="#f28e2b" stroke-width="2"/>"##,
        best_line.join(" ")
    );
    s.push_str("</svg>");
    s
}

fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        label.chars().take(max - 1).collect::<String>() + "…"
    }
}
