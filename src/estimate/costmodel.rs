//! Predicts a task's seconds from its hyperparameters: a ridge-regularised
//! log-linear fit on the pilot tasks, ln(seconds) = b0 + Σ b_j·g(x_j), with
//! g = ln for positive numbers spanning a wide range (n_estimators, C...),
//! the number itself otherwise, and 0/1 columns for strings and "none".

use crate::params::{ParamValue, Params};
use serde::Serialize;
use std::collections::BTreeMap;

/// Ridge strength (the intercept is not penalised): keeps the fit defined
/// when there are fewer pilot tasks than columns.
const LAMBDA: f64 = 1e-3;

#[derive(Debug, Clone, Serialize)]
pub struct CostModel {
    columns: Vec<Column>,
    coefficients: Vec<f64>,
    /// Leave-one-out relative error over the pilot tasks.
    pub error: Option<ModelError>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ModelError {
    pub median: f64,
    pub max: f64,
    pub held_out: usize,
    /// 90% upper bound of actual / predicted over the held-out tasks (the
    /// nearest-rank 90th percentile): task times x this cover nine in ten.
    pub upper_90: f64,
}

impl ModelError {
    /// The safety margin this error calls for: 0.15 = 15% more time.
    pub fn margin(&self) -> f64 {
        (self.upper_90 - 1.0).max(0.0)
    }
}

/// One input of the regression.
#[derive(Debug, Clone, Serialize)]
enum Column {
    Log(String),
    Linear(String),
    /// 1 when the parameter equals this value (a string, or none).
    Is(String, String),
}

impl Column {
    fn value(&self, p: &Params) -> f64 {
        match self {
            Column::Log(k) => p
                .get(k)
                .and_then(ParamValue::as_f64)
                .filter(|v| *v > 0.0)
                .map_or(0.0, f64::ln),
            Column::Linear(k) => p.get(k).and_then(ParamValue::as_f64).unwrap_or(0.0),
            Column::Is(k, v) => f64::from(u8::from(p.get(k).is_some_and(|x| x.to_string() == *v))),
        }
    }
}

impl CostModel {
    /// Fits on (params, seconds) of the pilot tasks, choosing columns from
    /// the values of every setting of the grid.
    pub fn fit(settings: &[Params], pilot: &[(Params, f64)]) -> CostModel {
        let columns = columns(settings);
        let coefficients = solve(&columns, pilot);
        let error = leave_one_out(&columns, pilot);
        CostModel {
            columns,
            coefficients,
            error,
        }
    }

    pub fn predict(&self, p: &Params) -> f64 {
        let x = row(&self.columns, p);
        x.iter()
            .zip(&self.coefficients)
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .exp()
    }
}

fn columns(settings: &[Params]) -> Vec<Column> {
    let mut by_key: BTreeMap<&str, Vec<&ParamValue>> = BTreeMap::new();
    for s in settings {
        for (k, v) in s {
            by_key.entry(k).or_default().push(v);
        }
    }
    let mut out = Vec::new();
    for (key, values) in by_key {
        let numbers: Vec<f64> = values.iter().filter_map(|v| v.as_f64()).collect();
        let (lo, hi) = numbers
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        if hi > lo {
            out.push(if lo > 0.0 && hi / lo >= 4.0 {
                Column::Log(key.into())
            } else {
                Column::Linear(key.into())
            });
        }
        let mut labels: Vec<String> = values
            .iter()
            .filter(|v| v.as_f64().is_none())
            .map(|v| v.to_string())
            .collect();
        labels.sort();
        labels.dedup();
        // One label is the baseline unless numbers are the baseline.
        let skip = usize::from(numbers.is_empty());
        out.extend(
            labels
                .into_iter()
                .skip(skip)
                .map(|l| Column::Is(key.into(), l)),
        );
    }
    out
}

fn row(columns: &[Column], p: &Params) -> Vec<f64> {
    std::iter::once(1.0)
        .chain(columns.iter().map(|c| c.value(p)))
        .collect()
}

/// Ridge least squares on ln(seconds) through the normal equations.
fn solve(columns: &[Column], data: &[(Params, f64)]) -> Vec<f64> {
    let k = columns.len() + 1;
    let mut a = vec![vec![0.0; k]; k];
    let mut b = vec![0.0; k];
    for (p, seconds) in data {
        let x = row(columns, p);
        let y = seconds.max(1e-6).ln();
        for i in 0..k {
            b[i] += x[i] * y;
            for j in 0..k {
                a[i][j] += x[i] * x[j];
            }
        }
    }
    for (i, r) in a.iter_mut().enumerate().skip(1) {
        r[i] += LAMBDA * data.len().max(1) as f64;
    }
    if data.is_empty() {
        return vec![0.0; k];
    }
    a[0][0] += 1e-12;
    gauss(a, b)
}

/// Gaussian elimination with partial pivoting (a small dense system).
fn gauss(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        if a[col][col].abs() < 1e-300 {
            continue;
        }
        for r in col + 1..n {
            let f = a[r][col] / a[col][col];
            let (top, rest) = a.split_at_mut(r);
            for (x, y) in rest[0][col..].iter_mut().zip(&top[col][col..]) {
                *x -= f * y;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|j| a[i][j] * x[j]).sum();
        x[i] = if a[i][i].abs() < 1e-300 {
            0.0
        } else {
            (b[i] - s) / a[i][i]
        };
    }
    x
}

fn leave_one_out(columns: &[Column], data: &[(Params, f64)]) -> Option<ModelError> {
    if data.len() < 3 {
        return None;
    }
    let mut ratios: Vec<f64> = (0..data.len())
        .map(|i| {
            let rest: Vec<(Params, f64)> = data
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, d)| d.clone())
                .collect();
            let model = CostModel {
                columns: columns.to_vec(),
                coefficients: solve(columns, &rest),
                error: None,
            };
            let (p, actual) = &data[i];
            actual / model.predict(p).max(1e-9)
        })
        .collect();
    // |predicted - actual| / actual, as reported before.
    let mut errors: Vec<f64> = ratios.iter().map(|r| (1.0 - 1.0 / r).abs()).collect();
    errors.sort_by(f64::total_cmp);
    ratios.sort_by(f64::total_cmp);
    Some(ModelError {
        median: errors[errors.len() / 2],
        max: *errors.last().unwrap_or(&0.0),
        held_out: errors.len(),
        upper_90: ratios[nearest_rank(ratios.len(), 0.9)],
    })
}

/// Index of the nearest-rank `q` quantile among `n` sorted values.
fn nearest_rank(n: usize, q: f64) -> usize {
    ((q * n as f64).ceil() as usize).clamp(1, n) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, ParamValue)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn recovers_a_power_law() {
        let mut settings = Vec::new();
        let mut pilot = Vec::new();
        for n in [10, 30, 100, 300] {
            for d in [2, 4, 8, 16] {
                let s = p(&[
                    ("n_estimators", ParamValue::Int(n)),
                    ("max_depth", ParamValue::Int(d)),
                ]);
                pilot.push((s.clone(), 0.01 * n as f64 * (d as f64).sqrt()));
                settings.push(s);
            }
        }
        let m = CostModel::fit(&settings, &pilot);
        let probe = p(&[
            ("n_estimators", ParamValue::Int(200)),
            ("max_depth", ParamValue::Int(6)),
        ]);
        let want = 0.01 * 200.0 * 6f64.sqrt();
        assert!(
            (m.predict(&probe) - want).abs() / want < 0.03,
            "{} vs {want}",
            m.predict(&probe)
        );
        assert!(m.error.unwrap().max < 0.05);
        assert!(m.error.unwrap().margin() < 0.05);
    }

    #[test]
    fn margin_is_the_90_percent_upper_bound_of_held_out_ratios() {
        // Ten pilot tasks of one setting: each held-out prediction is the
        // geometric mean of the other nine, so the slowest runs show the
        // under-prediction a margin must cover.
        let s = p(&[("a", ParamValue::Int(1))]);
        let times = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0];
        let pilot: Vec<(Params, f64)> = times.iter().map(|&t| (s.clone(), t)).collect();
        let e = CostModel::fit(std::slice::from_ref(&s), &pilot)
            .error
            .unwrap();
        // 90th percentile (9th of 10 sorted): the 2 s task against the mean
        // of the rest in log space, exp((ln 4) / 9).
        let expected = 2.0 / (4f64.ln() / 9.0).exp();
        assert!((e.upper_90 - expected).abs() < 1e-6, "{}", e.upper_90);
        assert!((e.margin() - (expected - 1.0)).abs() < 1e-6);
        assert_eq!(nearest_rank(10, 0.9), 8);
        assert_eq!(nearest_rank(3, 0.9), 2);
        assert_eq!(nearest_rank(1, 0.9), 0);
    }

    #[test]
    fn categories_and_none_get_their_own_columns() {
        let fast = p(&[
            ("max_depth", ParamValue::Int(4)),
            ("criterion", ParamValue::Str("gini".into())),
        ]);
        let slow = p(&[
            ("max_depth", ParamValue::None),
            ("criterion", ParamValue::Str("entropy".into())),
        ]);
        let settings = vec![fast.clone(), slow.clone()];
        let pilot = vec![
            (fast.clone(), 1.0),
            (fast.clone(), 1.0),
            (slow.clone(), 8.0),
            (slow.clone(), 8.0),
        ];
        let m = CostModel::fit(&settings, &pilot);
        assert!(m.predict(&slow) > 4.0 * m.predict(&fast));
    }

    #[test]
    fn degenerate_inputs_stay_finite() {
        let s = p(&[("a", ParamValue::Int(1))]);
        let m = CostModel::fit(std::slice::from_ref(&s), &[(s.clone(), 2.0)]);
        assert!((m.predict(&s) - 2.0).abs() < 1e-6);
        assert!(m.error.is_none());
        let empty = CostModel::fit(&[], &[]);
        assert!(empty.predict(&Params::new()).is_finite());
    }
}
