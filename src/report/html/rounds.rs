//! Successive halving: how many candidates each round ran, on how many
//! resources, and which of them went on. One column per round, a dot per
//! candidate at its mean score; a line joins a setting's dots from round to
//! round, so the path of the survivors (and the best) is visible at once.
//! A round with more than MAX_DOTS candidates is sampled: every candidate
//! that went on, the best TOP_DOTS and an even stride through the rest.

use super::{Input, Section};
use crate::params::describe;
use crate::report::svg::{esc, padded_range, score_grid};
use crate::results::cv_results::RoundCount;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;

const W: f64 = 1000.0;
const H: f64 = 340.0;
const L: f64 = 60.0;
const R: f64 = 20.0;
const T: f64 = 50.0;
const B: f64 = 30.0;
const MAX_DOTS: usize = 400;
const TOP_DOTS: usize = 100;

pub fn section(input: &Input) -> Option<Section> {
    let rounds = &input.results.rounds;
    if rounds.is_empty() {
        return None;
    }
    let dots = dots(input);
    let mut body = table(input, rounds, &dots);
    if !dots.is_empty() {
        let drawn = sample(&dots);
        body.push_str(&chart(rounds, &drawn));
        if drawn.len() < dots.len() {
            let _ = writeln!(
                body,
                "<p class=\"note\">{} of {} candidates drawn: in rounds of more than {MAX_DOTS}, every one that went on, the best {TOP_DOTS} and an even stride through the rest.</p>",
                drawn.len(),
                dots.len()
            );
        }
    }
    Some(Section {
        id: "rounds",
        title: "Candidates per round (successive halving)".into(),
        body,
    })
}

/// One scored row of cv_results: its round, setting and mean score, and
/// whether the setting ran again in the next round.
struct Dot {
    iter: usize,
    setting: String,
    mean: f64,
    went_on: bool,
}

fn dots(input: &Input) -> Vec<Dot> {
    let scored: Vec<(usize, String, f64)> = input
        .scored()
        .into_iter()
        .filter_map(|i| {
            let row = &input.results.rows[i];
            Some((row.round?.0, describe(&row.params), input.mean(i)))
        })
        .collect();
    let ran: HashSet<(usize, &str)> = scored.iter().map(|(r, s, _)| (*r, s.as_str())).collect();
    let went_on: Vec<bool> = scored
        .iter()
        .map(|(r, s, _)| ran.contains(&(r + 1, s.as_str())))
        .collect();
    scored
        .into_iter()
        .zip(went_on)
        .map(|((iter, setting, mean), went_on)| Dot {
            iter,
            setting,
            mean,
            went_on,
        })
        .collect()
}

/// The dots to draw: every dot of a small round; of a big one, the best
/// TOP_DOTS, an even stride through the rest, and every setting drawn in
/// the next round (rounds are sampled from the last back, so each drawn
/// path is whole and a round draws at most 2 x MAX_DOTS).
fn sample(dots: &[Dot]) -> Vec<&Dot> {
    let mut by_round: Vec<Vec<&Dot>> = Vec::new();
    for d in dots {
        if by_round.len() <= d.iter {
            by_round.resize_with(d.iter + 1, Vec::new);
        }
        by_round[d.iter].push(d);
    }
    let mut drawn_rounds: Vec<Vec<&Dot>> = Vec::new();
    let mut next: HashSet<&str> = HashSet::new();
    for mut round in by_round.into_iter().rev() {
        if round.len() > MAX_DOTS {
            round.sort_by(|a, b| b.mean.total_cmp(&a.mean));
            let stride = (round.len() - TOP_DOTS)
                .div_ceil(MAX_DOTS - TOP_DOTS)
                .max(1);
            round = round
                .into_iter()
                .enumerate()
                .filter(|(rank, d)| {
                    *rank < TOP_DOTS
                        || (rank - TOP_DOTS).is_multiple_of(stride)
                        || next.contains(d.setting.as_str())
                })
                .map(|(_, d)| d)
                .collect();
        }
        next = round.iter().map(|d| d.setting.as_str()).collect();
        drawn_rounds.push(round);
    }
    drawn_rounds.into_iter().rev().flatten().collect()
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
        let on = in_round.iter().filter(|d| d.went_on).count();
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

fn chart(rounds: &[RoundCount], dots: &[&Dot]) -> String {
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
        let on = d.went_on;
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
fn paths(dots: &[&Dot], px: &dyn Fn(usize) -> f64, py: &dyn Fn(f64) -> f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(iter: usize, i: usize, went_on: bool) -> Dot {
        Dot {
            iter,
            setting: format!("s{i}"),
            mean: i as f64 / 10_000.0,
            went_on,
        }
    }

    #[test]
    fn big_rounds_keep_survivors_the_best_and_a_stride() {
        // Round 0: 10,000 candidates, the worst 3,000 went on (a drawn path
        // must not lose its start); round 1: those 3,000, sampled too.
        let mut dots: Vec<Dot> = (0..10_000).map(|i| dot(0, i, i < 3_000)).collect();
        dots.extend((0..3_000).map(|i| dot(1, i, false)));
        let drawn = sample(&dots);
        let round = |r: usize| -> Vec<&str> {
            drawn
                .iter()
                .filter(|d| d.iter == r)
                .map(|d| d.setting.as_str())
                .collect()
        };
        let (first, second) = (round(0), round(1));
        assert!(
            (MAX_DOTS / 2..=MAX_DOTS).contains(&second.len()),
            "{}",
            second.len()
        );
        assert!(first.len() <= 2 * MAX_DOTS, "{} drawn", first.len());
        assert!(
            second.iter().all(|s| first.contains(s)),
            "every drawn path is whole"
        );
        assert!((9_900..10_000).all(|i| first.contains(&format!("s{i}").as_str())));
    }

    #[test]
    fn small_rounds_are_drawn_whole() {
        let dots: Vec<Dot> = (0..MAX_DOTS).map(|i| dot(0, i, false)).collect();
        assert_eq!(sample(&dots).len(), MAX_DOTS);
    }
}
