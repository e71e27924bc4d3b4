//! Several models: every scored setting as a dot, best on the left, its
//! height the mean score, its colour its model (a legend names them).

use super::{Input, Section};
use crate::models::KIND_PARAM;
use crate::params::ParamValue;
use crate::report::svg::{esc, padded_range, score_grid};
use std::fmt::Write;

const W: f64 = 1000.0;
const H: f64 = 300.0;
const L: f64 = 60.0;
const R: f64 = 20.0;
const T: f64 = 40.0;
const B: f64 = 40.0;
/// One colour per model (Tableau 10), repeating after ten models.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

pub fn section(input: &Input, scored: &[usize]) -> Option<Section> {
    let kinds = kinds(input);
    if kinds.len() < 2 || scored.is_empty() {
        return None;
    }
    Some(Section {
        id: "models",
        title: format!("{} of every setting, by model", input.results.refit),
        body: chart(input, scored, &kinds),
    })
}

/// The models' kinds in the order their first setting appears.
fn kinds(input: &Input) -> Vec<String> {
    let mut kinds: Vec<String> = Vec::new();
    for p in input.settings() {
        if let Some(ParamValue::Str(kind)) = p.get(KIND_PARAM) {
            if !kinds.contains(kind) {
                kinds.push(kind.clone());
            }
        }
    }
    kinds
}

fn chart(input: &Input, scored: &[usize], kinds: &[String]) -> String {
    let (lo, hi) = padded_range(scored.iter().map(|&i| input.mean(i)));
    let px = |rank: usize| L + (rank as f64 + 0.5) / scored.len() as f64 * (W - L - R);
    let py = |y: f64| T + (hi - y) / (hi - lo) * (H - T - B);
    let mut s = format!(
        r#"<svg class="models" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="11">"#
    );
    s.push_str(&score_grid(lo, hi, L, W - R, &py));
    let _ = write!(
        s,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="middle">settings, best first</text>"#,
        (L + W - R) / 2.0,
        H - 12.0
    );
    for (rank, &i) in scored.iter().enumerate() {
        let params = &input.results.rows[i].params;
        let kind = crate::models::kind_of(params).unwrap_or_default();
        let k = kinds.iter().position(|m| m == kind).unwrap_or(0);
        let _ = write!(
            s,
            r#"<circle class="model-dot" data-model="{}" cx="{:.1}" cy="{:.1}" r="4" fill="{}"><title>{}: {:.4}</title></circle>"#,
            esc(kind),
            px(rank),
            py(input.mean(i)),
            PALETTE[k % PALETTE.len()],
            esc(&crate::params::describe(params)),
            input.mean(i)
        );
    }
    s.push_str(&legend(kinds));
    s.push_str("</svg>\n");
    s
}

fn legend(kinds: &[String]) -> String {
    let mut s = String::from(r#"<g class="legend">"#);
    let mut x = L;
    for (k, kind) in kinds.iter().enumerate() {
        let _ = write!(
            s,
            r#"<circle cx="{:.1}" cy="18" r="5" fill="{}"/><text class="legend-model" x="{:.1}" y="22">{}</text>"#,
            x,
            PALETTE[k % PALETTE.len()],
            x + 9.0,
            esc(kind)
        );
        x += 20.0 + 7.0 * kind.chars().count() as f64;
    }
    s.push_str("</g>");
    s
}
