//! How a hyperparameter's values map onto a plot axis: numbers on a linear
//! or (for log-spaced grids) logarithmic scale, anything else as evenly
//! spaced categories in grid order.

use crate::params::{ParamValue, Params};
use crate::report::svg::{log_ticks, num_label, ticks};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    Categories,
    Linear { lo: f64, hi: f64 },
    Log { lo: f64, hi: f64 },
}

#[derive(Debug, Clone)]
pub struct ParamAxis {
    pub key: String,
    /// Distinct values: numbers ascending, then the rest in first-seen order.
    pub values: Vec<ParamValue>,
    pub scale: Scale,
    /// Where each value is in `values`: 10,000 settings may have 10,000
    /// values, so no linear search per setting.
    index: HashMap<ValueKey, usize>,
}

/// A hashable stand-in for a value (floats by their bits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(String),
    None,
}

impl ValueKey {
    fn of(v: &ParamValue) -> ValueKey {
        match v {
            ParamValue::Bool(b) => ValueKey::Bool(*b),
            ParamValue::Int(i) => ValueKey::Int(*i),
            // 0.0 and -0.0 are one value, as ParamValue's == says
            ParamValue::Float(f) => ValueKey::Float(if *f == 0.0 { 0 } else { f.to_bits() }),
            ParamValue::Str(s) => ValueKey::Str(s.clone()),
            ParamValue::None => ValueKey::None,
        }
    }
}

impl ParamAxis {
    /// The axis of `key` over the settings that have it.
    pub fn of<'a>(key: &str, settings: impl Iterator<Item = &'a Params>) -> ParamAxis {
        let mut values: Vec<ParamValue> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for p in settings {
            if let Some(v) = p.get(key) {
                if seen.insert(ValueKey::of(v)) {
                    values.push(v.clone());
                }
            }
        }
        // Stable: numbers ascending first, other values keep grid order.
        values.sort_by(|a, b| match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        });
        let numbers: Vec<f64> = values.iter().filter_map(ParamValue::as_f64).collect();
        let scale = scale_of(&numbers, values.len());
        let index = values
            .iter()
            .enumerate()
            .map(|(i, v)| (ValueKey::of(v), i))
            .collect();
        ParamAxis {
            key: key.to_string(),
            values,
            scale,
            index,
        }
    }

    /// Where `v` is in `values`.
    pub fn index_of(&self, v: &ParamValue) -> Option<usize> {
        self.index.get(&ValueKey::of(v)).copied()
    }

    /// Position in [0, 1] of a value on this axis.
    pub fn position(&self, v: &ParamValue) -> Option<f64> {
        match (&self.scale, v.as_f64()) {
            (Scale::Linear { lo, hi }, Some(x)) => Some((x - lo) / (hi - lo)),
            (Scale::Log { lo, hi }, Some(x)) => Some((x / lo).ln() / (hi / lo).ln()),
            _ => {
                let i = self.index_of(v)?;
                Some(category_position(i, self.values.len()))
            }
        }
    }

    /// Labelled positions: round numbers, powers of ten, or (at most ~12)
    /// category names.
    pub fn ticks(&self) -> Vec<(f64, String)> {
        if self.values.len() <= 12 {
            // A grid's few values are the most useful labels.
            return self
                .values
                .iter()
                .filter_map(|v| Some((self.position(v)?, v.to_string())))
                .collect();
        }
        match &self.scale {
            Scale::Linear { lo, hi } => ticks(*lo, *hi, 5)
                .into_iter()
                .map(|t| ((t - lo) / (hi - lo), num_label(t)))
                .collect(),
            Scale::Log { lo, hi } => log_ticks(*lo, *hi)
                .into_iter()
                .map(|t| ((t / lo).ln() / (hi / lo).ln(), num_label(t)))
                .collect(),
            Scale::Categories => {
                let n = self.values.len();
                let every = n.div_ceil(12).max(1);
                (0..n)
                    .step_by(every)
                    .map(|i| (category_position(i, n), self.values[i].to_string()))
                    .collect()
            }
        }
    }

    pub fn is_log(&self) -> bool {
        matches!(self.scale, Scale::Log { .. })
    }
}

fn category_position(i: usize, n: usize) -> f64 {
    if n <= 1 {
        0.5
    } else {
        i as f64 / (n - 1) as f64
    }
}

/// Numbers only (at least three distinct) get a numeric scale; a log scale
/// when they are positive, span at least a factor 8 and their gaps are
/// more even in log than in linear terms (numpy's logspace, powers of 2).
fn scale_of(numbers: &[f64], n_values: usize) -> Scale {
    if numbers.len() != n_values || n_values < 3 {
        return Scale::Categories;
    }
    let mut sorted = numbers.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    let (lo, hi) = (sorted[0], sorted[sorted.len() - 1]);
    if lo > 0.0 && hi / lo >= 8.0 {
        let logs: Vec<f64> = sorted.iter().map(|x| x.ln()).collect();
        if spread_of_gaps(&logs) < spread_of_gaps(&sorted) {
            return Scale::Log { lo, hi };
        }
    }
    Scale::Linear { lo, hi }
}

/// Coefficient of variation of the gaps between sorted values.
fn spread_of_gaps(sorted: &[f64]) -> f64 {
    let gaps: Vec<f64> = sorted.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
    var.sqrt() / mean
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(values: &[ParamValue]) -> ParamAxis {
        let settings: Vec<Params> = values
            .iter()
            .map(|v| Params::from([("p".to_string(), v.clone())]))
            .collect();
        ParamAxis::of("p", settings.iter())
    }

    #[test]
    fn logspace_gets_a_log_axis_and_range_a_linear_one() {
        let log: Vec<ParamValue> = (-3..=3).map(|e| ParamValue::Float(10f64.powi(e))).collect();
        assert!(axis(&log).is_log());
        let powers: Vec<ParamValue> = [1, 2, 4, 8, 16].map(ParamValue::Int).to_vec();
        assert!(axis(&powers).is_log());
        let lin: Vec<ParamValue> = (1..=9).map(ParamValue::Int).collect();
        assert_eq!(axis(&lin).scale, Scale::Linear { lo: 1.0, hi: 9.0 });
        let a = axis(&log);
        assert!((a.position(&ParamValue::Float(1.0)).unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn none_among_numbers_makes_categories() {
        let a = axis(&[ParamValue::Int(4), ParamValue::None, ParamValue::Int(2)]);
        assert_eq!(a.scale, Scale::Categories);
        assert_eq!(a.position(&ParamValue::None), Some(1.0));
    }
}
