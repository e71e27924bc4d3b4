//! Small helpers for the hand-written SVG charts: escaping, axis ticks,
//! number labels and a colour scale. The charts need per-element tooltips
//! (<title>), classes and data attributes for the report's script and tests,
//! which a drawing backend does not emit; see the report module's docs.

use std::fmt::Write;

/// Escapes text for XML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Nice" tick positions (1, 2 or 5 times a power of ten) covering [lo, hi],
/// about `target` of them.
pub fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * power);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Powers of ten within [lo, hi] (both > 0), for a log axis.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (a..=b)
        .map(|e| 10f64.powi(e))
        .filter(|v| *v >= lo * 0.999 && *v <= hi * 1.001)
        .collect()
}

/// A short label: 0.25, 12, 1e-05, 3.5k.
pub fn num_label(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.0e}")
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Seconds as "45 s", "2m30s", "1h05m".
pub fn duration_label(seconds: f64) -> String {
    let s = seconds.round() as i64;
    if seconds < 60.0 {
        num_label(seconds) + " s"
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    }
}

/// Viridis-like colour for t in [0, 1] (dark purple = low, yellow = high):
/// readable by colour-blind viewers and in greyscale.
pub fn colour(t: f64) -> String {
    const STOPS: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(a.0, b.0),
        mix(a.1, b.1),
        mix(a.2, b.2)
    )
}

/// A horizontal colour bar with its low and high labels (a legend).
pub fn colour_bar(x: f64, y: f64, width: f64, low: &str, high: &str, title: &str) -> String {
    let mut s = String::new();
    let n = 20;
    for k in 0..n {
        let _ = write!(
            s,
            r#"<rect x="{:.1}" y="{y:.1}" width="{:.1}" height="10" fill="{}"/>"#,
            x + width * k as f64 / n as f64,
            width / n as f64 + 0.5,
            colour(k as f64 / (n - 1) as f64)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{x:.1}" y="{:.1}" font-size="11">{}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end">{}</text><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
        y + 22.0,
        esc(low),
        x + width,
        y + 22.0,
        esc(high),
        x + width / 2.0,
        y - 3.0,
        esc(title)
    );
    s
}

/// The range of scores with 5% room above and below (at least 1e-6, so a
/// single value still has a range).
pub fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let pad = ((hi - lo) * 0.05).max(1e-6);
    (lo - pad, hi + pad)
}

/// Light horizontal lines at the ticks of [lo, hi] from x `left` to
/// `right`, labelled left of `left`; `py` maps a score to its y.
pub fn score_grid(lo: f64, hi: f64, left: f64, right: f64, py: &dyn Fn(f64) -> f64) -> String {
    let mut s = String::new();
    for t in ticks(lo, hi, 5) {
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{right:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            left - 4.0,
            py(t) + 4.0,
            num_label(t),
            y = py(t),
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_inside_the_range() {
        assert_eq!(ticks(0.0, 47.0, 6), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        let t = ticks(0.61, 0.65, 4);
        assert_eq!(t.len(), 5);
        assert!((t[0] - 0.61).abs() < 1e-12 && (t[4] - 0.65).abs() < 1e-12);
        assert_eq!(log_ticks(0.001, 1000.0).len(), 7);
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(num_label(0.25), "0.25");
        assert_eq!(num_label(1e-5), "1e-5");
        assert_eq!(duration_label(150.0), "2m30s");
        assert_eq!(esc("a<b & 'c'"), "a&lt;b &amp; &#39;c&#39;");
    }
}
