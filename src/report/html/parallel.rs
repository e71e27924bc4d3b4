//! Parallel coordinates: one vertical axis per hyperparameter and one for
//! the score, one line per setting coloured by its score (best drawn last,
//! on top). Beyond MAX_LINES settings, the best TOP_LINES and an even
//! stride through the rest are drawn.

use super::axes::ParamAxis;
use super::{Input, Section};
use crate::report::svg::{colour, colour_bar, esc, num_label, ticks};
use std::fmt::Write;

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 400.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 70.0;
const SIDE: f64 = 70.0;
const MAX_LINES: usize = 1000;
const TOP_LINES: usize = 200;

pub fn section(input: &Input, varied: &[ParamAxis], scored: &[usize]) -> Option<Section> {
    if varied.is_empty() || scored.len() < 2 {
        return None;
    }
    let drawn = sample(scored);
    let mut body = chart(input, varied, scored, &drawn);
    if drawn.len() < scored.len() {
        let _ = writeln!(
            body,
            "<p class=\"note\">{} of {} settings drawn: the best {} and every {}th of the rest.</p>",
            drawn.len(),
            scored.len(),
            TOP_LINES,
            stride(scored.len())
        );
    }
    Some(Section {
        id: "parallel",
        title: "Parallel coordinates".into(),
        body,
    })
}

fn stride(n: usize) -> usize {
    (n - TOP_LINES).div_ceil(MAX_LINES - TOP_LINES).max(1)
}

/// Settings to draw (best first): all of them, or a deterministic sample.
fn sample(scored: &[usize]) -> Vec<usize> {
    if scored.len() <= MAX_LINES {
        return scored.to_vec();
    }
    let step = stride(scored.len());
    scored[..TOP_LINES]
        .iter()
        .chain(scored[TOP_LINES..].iter().step_by(step))
        .copied()
        .collect()
}

fn chart(input: &Input, varied: &[ParamAxis], scored: &[usize], drawn: &[usize]) -> String {
    let n_axes = varied.len() + 1;
    let x_of = |a: usize| SIDE + a as f64 * (WIDTH - 2.0 * SIDE) / (n_axes - 1) as f64;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y_of = |pos: f64| TOP + (1.0 - pos) * plot_h;
    let (lo, hi) = scored
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &i| {
            (lo.min(input.mean(i)), hi.max(input.mean(i)))
        });
    let norm = |v: f64| if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
    let opacity = if drawn.len() > 300 { 0.35 } else { 0.7 };
    let mut s = format!(
        r#"<svg class="parallel" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11"><g fill="none" stroke-opacity="{opacity}" stroke-width="1.2">"#
    );
    for &i in drawn.iter().rev() {
        let row = &input.results.rows[i];
        let mut points: Vec<String> = varied
            .iter()
            .enumerate()
            .filter_map(|(a, axis)| {
                let pos = axis.position(row.params.get(&axis.key)?)?;
                Some(format!("{:.1},{:.1}", x_of(a), y_of(pos)))
            })
            .collect();
        points.push(format!(
            "{:.1},{:.1}",
            x_of(n_axes - 1),
            y_of(norm(input.mean(i)))
        ));
        let _ = write!(
            s,
            r#"<polyline class="line" points="{}" stroke="{}"><title>{}: {:.4}</title></polyline>"#,
            points.join(" "),
            colour(norm(input.mean(i))),
            esc(&crate::params::describe(&row.params)),
            input.mean(i)
        );
    }
    s.push_str("</g>");
    for (a, axis) in varied.iter().enumerate() {
        s.push_str(&axis_svg(x_of(a), &axis.key, &axis.ticks(), &y_of));
    }
    let score_ticks: Vec<(f64, String)> = ticks(lo, hi, 5)
        .into_iter()
        .map(|t| (norm(t), num_label(t)))
        .collect();
    s.push_str(&axis_svg(
        x_of(n_axes - 1),
        &input.results.refit,
        &score_ticks,
        &y_of,
    ));
    s.push_str(&colour_bar(
        WIDTH / 2.0 - 100.0,
        HEIGHT - 30.0,
        200.0,
        &format!("{lo:.4}"),
        &format!("{hi:.4}"),
        &format!("mean {}", input.results.refit),
    ));
    s.push_str("</svg>\n");
    s
}

fn axis_svg(x: f64, name: &str, ticks: &[(f64, String)], y_of: &dyn Fn(f64) -> f64) -> String {
    let mut s = format!(
        r##"<g class="axis"><line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#333"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" font-weight="bold" font-size="12">{}</text>"##,
        y_of(1.0),
        y_of(0.0),
        TOP - 14.0,
        esc(name)
    );
    for (pos, label) in ticks {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"#,
            x + 5.0,
            y_of(*pos) + 4.0,
            esc(label)
        );
    }
    s.push_str("</g>");
    s
}
