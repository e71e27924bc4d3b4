//! Mean score over the two most influential hyperparameters. Influence is
//! the spread (max - min) of a hyperparameter's marginal means: the mean
//! score of the settings with each of its values.

use super::axes::ParamAxis;
use super::{Input, Section};
use crate::params::ParamValue;
use crate::report::svg::{colour, colour_bar, esc, num_label};
use std::fmt::Write;

const WIDTH: f64 = 760.0;
const LEFT: f64 = 130.0;
const TOP: f64 = 40.0;
const MAX_CELLS: usize = 30;

/// Spread of marginal means per varied hyperparameter, largest first.
pub fn influence(input: &Input, varied: &[ParamAxis], scored: &[usize]) -> Vec<(usize, f64)> {
    let mut out: Vec<(usize, f64)> = varied
        .iter()
        .enumerate()
        .map(|(a, axis)| {
            let mut sums = vec![(0.0, 0usize); axis.values.len()];
            for &i in scored {
                if let Some(k) = value_index(input, i, axis) {
                    sums[k].0 += input.mean(i);
                    sums[k].1 += 1;
                }
            }
            let means = sums.iter().filter(|s| s.1 > 0).map(|s| s.0 / s.1 as f64);
            let (lo, hi) = means.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
                (lo.min(m), hi.max(m))
            });
            (a, if hi >= lo { hi - lo } else { 0.0 })
        })
        .collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    out
}

/// Index of setting i's value among the axis's values.
fn value_index(input: &Input, i: usize, axis: &ParamAxis) -> Option<usize> {
    let v = input.results.rows[i].params.get(&axis.key)?;
    axis.index_of(v)
}

pub fn section(input: &Input, varied: &[ParamAxis], scored: &[usize]) -> Option<Section> {
    if scored.is_empty() || varied.is_empty() {
        return None;
    }
    let ranking = influence(input, varied, scored);
    let mut html = String::from("<p class=\"note\">Influence (spread of marginal means): ");
    html.push_str(
        &ranking
            .iter()
            .map(|(a, s)| format!("{} {}", esc(&varied[*a].key), num_label(*s)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    html.push_str("</p>\n");
    if ranking.len() >= 2 {
        let (x_axis, y_axis) = (&varied[ranking[0].0], &varied[ranking[1].0]);
        html.push_str(&chart(input, scored, x_axis, y_axis));
        html.push_str("<p class=\"note\">Each cell: mean over the settings with those two values (other hyperparameters averaged). Hover for the count and the best.</p>\n");
    }
    Some(Section {
        id: "heatmap",
        title: "Most influential hyperparameters".into(),
        body: html,
    })
}

/// Values pooled into at most MAX_CELLS groups, with a label each.
fn pooled(axis: &ParamAxis) -> Vec<(String, &[ParamValue])> {
    let per = group_size(axis);
    axis.values
        .chunks(per)
        .map(|c| {
            let label = if c.len() == 1 {
                c[0].to_string()
            } else {
                format!("{}..{}", c[0], c[c.len() - 1])
            };
            (label, c)
        })
        .collect()
}

fn group_size(axis: &ParamAxis) -> usize {
    axis.values.len().div_ceil(MAX_CELLS).max(1)
}

fn chart(input: &Input, scored: &[usize], xa: &ParamAxis, ya: &ParamAxis) -> String {
    let (xs, ys) = (pooled(xa), pooled(ya));
    let cell_w = ((WIDTH - LEFT - 20.0) / xs.len() as f64).min(90.0);
    let cell_h = (26.0f64).min(420.0 / ys.len() as f64).max(10.0);
    let cells = cell_stats(input, scored, (xa, xs.len()), (ya, ys.len()));
    let all: Vec<f64> = cells.iter().flatten().flatten().map(|c| c.0).collect();
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let norm = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let grid_h = cell_h * ys.len() as f64;
    let height = TOP + grid_h + 80.0;
    let width = LEFT + cell_w * xs.len() as f64 + 20.0;
    let show_text = cell_w >= 44.0 && cell_h >= 16.0;
    let mut s = format!(
        r#"<svg class="heatmap" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" font-family="sans-serif" font-size="11">"#
    );
    for (r, row) in cells.iter().enumerate() {
        let y = TOP + r as f64 * cell_h;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + cell_h / 2.0 + 4.0,
            esc(&ys[r].0)
        );
        for (c, cell) in row.iter().enumerate() {
            let Some((mean, best, n)) = cell else {
                continue;
            };
            let x = LEFT + c as f64 * cell_w;
            let t = norm(*mean);
            let _ = write!(
                s,
                r#"<rect class="cell" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}" stroke="white"><title>{}={}, {}={}: mean {:.4} over {n} settings, best {:.4}</title></rect>"#,
                cell_w,
                cell_h,
                colour(t),
                esc(&xa.key),
                esc(&xs[c].0),
                esc(&ya.key),
                esc(&ys[r].0),
                mean,
                best
            );
            if show_text {
                let _ = write!(
                    s,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" style="fill:{}" pointer-events="none">{:.3}</text>"#,
                    x + cell_w / 2.0,
                    y + cell_h / 2.0 + 4.0,
                    if t > 0.6 { "#222" } else { "#fff" },
                    mean
                );
            }
        }
    }
    let step = xs.len().div_ceil(12).max(1);
    for (c, (label, _)) in xs.iter().enumerate().step_by(step) {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            LEFT + (c as f64 + 0.5) * cell_w,
            TOP + grid_h + 15.0,
            esc(label)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-weight="bold">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end" font-weight="bold">{}</text>"#,
        LEFT + cell_w * xs.len() as f64 / 2.0,
        TOP + grid_h + 32.0,
        esc(&xa.key),
        LEFT - 6.0,
        TOP - 10.0,
        esc(&ya.key)
    );
    s.push_str(&colour_bar(
        LEFT,
        TOP + grid_h + 50.0,
        200.0,
        &format!("{lo:.4}"),
        &format!("{hi:.4}"),
        &format!("mean {}", input.results.refit),
    ));
    s.push_str("</svg>\n");
    s
}

type Cell = Option<(f64, f64, usize)>;

/// (mean, best, count) of the settings' means per cell, rows by y group.
fn cell_stats(
    input: &Input,
    scored: &[usize],
    (xa, nx): (&ParamAxis, usize),
    (ya, ny): (&ParamAxis, usize),
) -> Vec<Vec<Cell>> {
    let mut acc = vec![vec![(0.0, f64::NEG_INFINITY, 0usize); nx]; ny];
    for &i in scored {
        let (Some(x), Some(y)) = (value_index(input, i, xa), value_index(input, i, ya)) else {
            continue;
        };
        let cell = &mut acc[y / group_size(ya)][x / group_size(xa)];
        let m = input.mean(i);
        cell.0 += m;
        cell.1 = cell.1.max(m);
        cell.2 += 1;
    }
    acc.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|(sum, best, n)| (n > 0).then(|| (sum / n as f64, best, n)))
                .collect()
        })
        .collect()
}
