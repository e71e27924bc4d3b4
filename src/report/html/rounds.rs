//! Successive halving: how many candidates each round ran, on how many
//! resources, and which of them went on. One column per round, a dot per
//! candidate at its mean score; a line joins a setting's dots from round to
//! round, so the path of the survivors (and the best) is visible at once.

use super::{Input, Section};
use crate::params::describe;
use crate::report::svg::{esc, padded_range, score_grid};
use crate::results::cv_results::RoundCount;
use std::collections::HashMap;
use std::fmt::Write;

const W: f64 = 1000.0;
const H: f64 = 340.0;
const L: f64 = 60.0;
const R: f64 = 20.0;
const T: f64 = 50.0;
const B: f64 = 30.0;

pub fn section(input: &Input) -> Option<Section> {
    let rounds = &input.results.rounds;
    if rounds.is_empty() {
        return None;
    }
    let dots = dots(input);
    let mut body = table(input, rounds, &dots);
    if !dots.is_empty() {
        body.push_str(&chart(rounds, &dots));
    }
    Some(Section {
        id: "rounds",
        title: "Candidates per round (successive halving)".into(),
        body,
    })
}

/// One scored row of cv_results: its round, setting and mean score.
struct Dot {
    iter: usize,
    setting: String,
    mean: f64,
}

fn dots(input: &Input) -> Vec<Dot> {
    input
        .scored()
        .into_iter()
        .filter_map(|i| {
            let row = &input.results.rows[i];
            Some(Dot {
                iter: row.round?.0,
                setting: describe(&row.params),
                mean: input.mean(i),
            })
        })
        .collect()
}

/// Whether a setting of round `iter` ran again in the next round.
fn went_on(dots: &[Dot], dot: &Dot) -> bool {
    dots.iter()
        .any(|d| d.iter == dot.iter + 1 && d.setting == dot.setting)
}

fn table(input: &Input, rounds: &[RoundCount], dots: &[Dot]) -> String {
    let mut s = String::from(
        "<table class=\"settings rounds\"><tr><th>round</th><th>candidates</th><th>n_resources</th><th>went on</th>",
    );
    let _ = write!(s, "<th>best mean {}</th></tr>", esc(&input.results.refit));
    for r in rounds {
        let in_round: Vec<&Dot> = dots.iter().filter(|d| d.iter == r.iter).collect();
        let best = in_round
            .iter()
            .map(|d| d.mean)
            .max_by(f64::total_cmp)
            .map_or("-".to_string(), |m| format!("{m:.4}"));
        let on = in_round.iter().filter(|d| went_on(dots, d)).count();
        let _ = write!(
            s,
            "<tr class=\"round\"><td>{} (iter {})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.iter + 1,
            r.iter,
            r.n_candidates, r.n_resources, on, best
        );
    }
    s.push_str("</table>\n");
    s
}

fn chart(rounds: &[RoundCount], dots: &[Dot]) -> String {
    let (lo, hi) = padded_range(dots.iter().map(|d| d.mean));
    let column = W.min(L + R + 200.0 * rounds.len() as f64);
    let px = |iter: usize| L + (iter as f64 + 0.5) / rounds.len() as f64 * (column - L - R);
    let py = |y: f64| T + (hi - y) / (hi - lo) * (H - T - B);
    let mut s = format!(
        r#"<svg class="rounds" viewBox="0 0 {column} {H}" width="{column}" height="{H}" font-family="sans-serif" font-size="11">"#
    );
    s.push_str(&score_grid(lo, hi, L, column - R, &py));
    for r in rounds {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="18" text-anchor="middle">round {}</text><text x="{:.1}" y="34" text-anchor="middle" fill="#555">{} x {}</text>"##,
            px(r.iter),
            r.iter + 1,
            px(r.iter),
            r.n_candidates,
            r.n_resources
        );
    }
    s.push_str(&paths(dots, &px, &py));
    for d in dots {
        let on = went_on(dots, d);
        let _ = write!(
            s,
            r##"<circle class="round-dot" data-iter="{}" cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>round {}: {}: {:.4}{}</title></circle>"##,
            d.iter,
            px(d.iter),
            py(d.mean),
            if on { "#4e79a7" } else { "#bab0ac" },
            d.iter,
            esc(&d.setting),
            d.mean,
            if on { " (went on)" } else { "" }
        );
    }
    s.push_str("</svg>\n");
    s
}

/// A line from each setting's dot in one round to its dot in the next.
fn paths(dots: &[Dot], px: &dyn Fn(usize) -> f64, py: &dyn Fn(f64) -> f64) -> String {
    let at: HashMap<(usize, &str), f64> = dots
        .iter()
        .map(|d| ((d.iter, d.setting.as_str()), d.mean))
        .collect();
    let mut s = String::new();
    for d in dots {
        if let Some(&next) = at.get(&(d.iter + 1, d.setting.as_str())) {
            let _ = write!(
                s,
                r##"<line class="round-path" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#4e79a7" stroke-opacity="0.5"/>"##,
                px(d.iter),
                py(d.mean),
                px(d.iter + 1),
                py(next)
            );
        }
    }
    s
}
