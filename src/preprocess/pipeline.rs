//! The fitted pipeline: per column, an imputed value and a linear scaling
//! (numbers) or the categories seen in training (categories). Learned from
//! training rows only; any rows can then be transformed.

use super::{Encode, Impute, Scale, Settings};
use crate::data::FeatureKind;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

/// What one input column becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ColumnStep {
    /// (value, or `fill` when missing, - center) / scale; still-missing stays NaN.
    Numeric {
        fill: Option<f64>,
        center: f64,
        scale: f64,
    },
    /// One column per category code seen in training (sorted); an unseen
    /// code gives all zeros, a missing one `fill`'s column, or NaN in all.
    Onehot { codes: Vec<f64>, fill: Option<f64> },
    /// The code's position among those seen in training; unseen: -1.
    Ordinal { codes: Vec<f64>, fill: Option<f64> },
    /// For a model that splits categories itself: the code's position among
    /// those seen in training; unseen: NaN (scikit-learn's HistGradientBoosting
    /// treats unknown categories as missing).
    Native { codes: Vec<f64>, fill: Option<f64> },
}

/// Code for a category not seen in training (scikit-learn's
/// OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)).
pub const UNKNOWN_CODE: f64 = -1.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedPipeline {
    pub settings: Settings,
    pub columns: Vec<ColumnStep>,
}

/// Rows ready for a model: the transformed matrix, or the original data
/// when there is nothing to do (no copy).
pub enum Prepared<'a> {
    Original(ArrayView2<'a, f64>),
    Transformed(Array2<f64>),
}

impl Prepared<'_> {
    pub fn view(&self) -> ArrayView2<'_, f64> {
        match self {
            Prepared::Original(x) => x.view(),
            Prepared::Transformed(x) => x.view(),
        }
    }
}

impl FittedPipeline {
    /// Whether these settings change anything on this data; when not, the
    /// model reads the mapped data directly.
    pub fn needed(settings: &Settings, kinds: &[FeatureKind], any_missing: bool) -> bool {
        kinds.iter().any(FeatureKind::is_categorical)
            || settings.scale != Scale::None
            || (settings.impute != Impute::None && any_missing)
    }

    /// Learns every column's step from the training rows; `native`: the
    /// model splits the categorical columns itself (no encoding).
    pub fn fit(
        settings: Settings,
        x: ArrayView2<f64>,
        rows: &[usize],
        kinds: &[FeatureKind],
        native: bool,
    ) -> Result<FittedPipeline, String> {
        let columns = kinds
            .iter()
            .enumerate()
            .map(|(j, kind)| {
                let values: Vec<f64> = rows.iter().map(|&r| x[[r, j]]).collect();
                match kind {
                    FeatureKind::Numeric => finite(j, fit_numeric(&settings, values)),
                    FeatureKind::Categorical { .. } => fit_categorical(&settings, &values, native),
                }
            })
            .collect::<Result<_, String>>()?;
        Ok(FittedPipeline { settings, columns })
    }

    pub fn width(&self) -> usize {
        self.columns
            .iter()
            .map(|c| match c {
                ColumnStep::Onehot { codes, .. } => codes.len(),
                _ => 1,
            })
            .sum()
    }

    /// Which output columns hold category codes for the model to split.
    pub fn native_columns(&self) -> Vec<bool> {
        self.columns
            .iter()
            .flat_map(|c| {
                let native = matches!(c, ColumnStep::Native { .. });
                let width = if let ColumnStep::Onehot { codes, .. } = c {
                    codes.len()
                } else {
                    1
                };
                std::iter::repeat_n(native, width)
            })
            .collect()
    }

    /// The given rows of `x`, transformed.
    pub fn transform(&self, x: ArrayView2<f64>, rows: &[usize]) -> Array2<f64> {
        let mut out = Array2::zeros((rows.len(), self.width()));
        for (i, &r) in rows.iter().enumerate() {
            let mut k = 0;
            for (j, step) in self.columns.iter().enumerate() {
                k += write_cell(step, x[[r, j]], out.row_mut(i).as_slice_mut().unwrap(), k);
            }
        }
        out
    }

    /// Names of the output columns: `name` for a number or ordinal code,
    /// `name=category` for each one-hot column.
    pub fn output_names(&self, names: &[String], kinds: &[FeatureKind]) -> Vec<String> {
        let mut out = Vec::new();
        for ((step, name), kind) in self.columns.iter().zip(names).zip(kinds) {
            match (step, kind) {
                (ColumnStep::Onehot { codes, .. }, FeatureKind::Categorical { categories }) => {
                    for &c in codes {
                        let label = categories.get(c as usize).map_or("?", String::as_str);
                        out.push(format!("{name}={label}"));
                    }
                }
                _ => out.push(name.clone()),
            }
        }
        out
    }
}

/// Writes one input cell's outputs at `row[k..]`; returns how many.
fn write_cell(step: &ColumnStep, v: f64, row: &mut [f64], k: usize) -> usize {
    match step {
        ColumnStep::Numeric {
            fill,
            center,
            scale,
        } => {
            let v = if v.is_nan() { fill.unwrap_or(v) } else { v };
            row[k] = (v - center) / scale;
            1
        }
        ColumnStep::Onehot { codes, fill } => {
            let v = if v.is_nan() { fill.unwrap_or(v) } else { v };
            if v.is_nan() {
                row[k..k + codes.len()].fill(f64::NAN);
            } else if let Some(i) = position(codes, v) {
                row[k + i] = 1.0;
            }
            codes.len()
        }
        ColumnStep::Ordinal { codes, fill } => {
            let v = if v.is_nan() { fill.unwrap_or(v) } else { v };
            row[k] = if v.is_nan() {
                v
            } else {
                position(codes, v).map_or(UNKNOWN_CODE, |i| i as f64)
            };
            1
        }
        ColumnStep::Native { codes, fill } => {
            let v = if v.is_nan() { fill.unwrap_or(v) } else { v };
            row[k] = if v.is_nan() {
                v
            } else {
                position(codes, v).map_or(f64::NAN, |i| i as f64)
            };
            1
        }
    }
}

fn position(sorted: &[f64], v: f64) -> Option<usize> {
    sorted.binary_search_by(|c| c.total_cmp(&v)).ok()
}

/// A mean or spread that overflowed (values near ±1e308) would turn every
/// value into NaN: an error, not a model quietly trained on NaN.
fn finite(column: usize, step: ColumnStep) -> Result<ColumnStep, String> {
    if let ColumnStep::Numeric {
        fill,
        center,
        scale,
    } = &step
    {
        if !(center.is_finite() && scale.is_finite() && fill.is_none_or(f64::is_finite)) {
            return Err(format!(
                "preprocess: feature column {column}: its values are too large to impute or scale (the mean or spread overflows): scale them down first"
            ));
        }
    }
    Ok(step)
}

fn fit_numeric(settings: &Settings, mut values: Vec<f64>) -> ColumnStep {
    let n_missing = values.iter().filter(|v| v.is_nan()).count();
    values.retain(|v| !v.is_nan());
    values.sort_by(f64::total_cmp);
    // A column with no value in these rows: 0, as scikit-learn's
    // keep_empty_features would fill it.
    let fill = match settings.impute {
        Impute::None => None,
        _ if values.is_empty() => Some(0.0),
        Impute::Mean => Some(mean(&values)),
        Impute::Median => Some(percentile(&values, 0.5)),
        Impute::MostFrequent => Some(most_frequent(&values)),
        Impute::Constant => Some(0.0),
    };
    // The scaler sees the imputed column, as in a Pipeline(imputer, scaler).
    if let Some(f) = fill {
        values.extend(std::iter::repeat_n(f, n_missing));
        values.sort_by(f64::total_cmp);
    }
    let (center, scale) = match settings.scale {
        _ if values.is_empty() => (0.0, 1.0),
        Scale::None => (0.0, 1.0),
        Scale::Standard => {
            let m = mean(&values);
            let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64;
            (m, nonzero(var.sqrt(), m))
        }
        Scale::Minmax => {
            let (lo, hi) = (values[0], values[values.len() - 1]);
            (lo, nonzero(hi - lo, hi))
        }
        Scale::Robust => {
            let median = percentile(&values, 0.5);
            let iqr = percentile(&values, 0.75) - percentile(&values, 0.25);
            (median, nonzero(iqr, median))
        }
    };
    ColumnStep::Numeric {
        fill,
        center,
        scale,
    }
}

fn fit_categorical(
    settings: &Settings,
    values: &[f64],
    native: bool,
) -> Result<ColumnStep, String> {
    let mut codes: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    // Missing categories take the most frequent one, whatever the numeric
    // strategy (scikit-learn: SimpleImputer(strategy="most_frequent")).
    let fill = match settings.impute {
        Impute::None => None,
        _ if codes.is_empty() => None,
        _ => {
            codes.sort_by(f64::total_cmp);
            Some(most_frequent(&codes))
        }
    };
    codes.sort_by(f64::total_cmp);
    codes.dedup();
    if native {
        return Ok(ColumnStep::Native { codes, fill });
    }
    match settings.encode {
        Encode::Onehot => Ok(ColumnStep::Onehot { codes, fill }),
        Encode::Ordinal => Ok(ColumnStep::Ordinal { codes, fill }),
        Encode::None => Err("categorical columns need encode = onehot or ordinal".into()),
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// numpy's default (linear) percentile of sorted values, q in [0, 1].
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos.fract());
    match sorted.get(lo + 1) {
        Some(&next) if frac > 0.0 => sorted[lo] + (next - sorted[lo]) * frac,
        _ => sorted[lo],
    }
}

/// The most frequent of sorted values; the smallest on ties (scikit-learn).
fn most_frequent(sorted: &[f64]) -> f64 {
    let (mut best, mut best_count) = (sorted[0], 0);
    let mut i = 0;
    while i < sorted.len() {
        let run = sorted[i..].iter().take_while(|&&v| v == sorted[i]).count();
        if run > best_count {
            (best, best_count) = (sorted[i], run);
        }
        i += run;
    }
    best
}

/// A spread of (nearly) zero divides by 1 instead, as scikit-learn does for
/// constant columns.
fn nonzero(spread: f64, level: f64) -> f64 {
    if spread <= 10.0 * f64::EPSILON * level.abs().max(1.0) {
        1.0
    } else {
        spread
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn settings(impute: Impute, scale: Scale, encode: Encode) -> Settings {
        Settings {
            impute,
            scale,
            encode,
        }
    }

    fn kinds() -> Vec<FeatureKind> {
        vec![
            FeatureKind::Numeric,
            FeatureKind::Categorical {
                categories: vec!["a".into(), "b".into(), "c".into()],
            },
        ]
    }

    #[test]
    fn fitted_on_training_rows_only() {
        let x = array![[1.0, 0.0], [3.0, 1.0], [f64::NAN, 1.0], [100.0, 2.0]];
        let s = settings(Impute::Mean, Scale::Standard, Encode::Onehot);
        let p = FittedPipeline::fit(s, x.view(), &[0, 1, 2], &kinds(), false).unwrap();
        // mean of 1, 3 = 2 fills row 2; std of (1, 3, 2) = sqrt(2/3).
        let t = p.transform(x.view(), &[0, 2, 3]);
        let sd = (2.0f64 / 3.0).sqrt();
        assert!((t[[0, 0]] - (1.0 - 2.0) / sd).abs() < 1e-12);
        assert_eq!(t[[1, 0]], 0.0);
        assert!((t[[2, 0]] - 98.0 / sd).abs() < 1e-9);
        // categories a, b seen in training; c (test only) is all zeros.
        assert_eq!(t.row(0).to_vec()[1..], [1.0, 0.0]);
        assert_eq!(t.row(1).to_vec()[1..], [0.0, 1.0]);
        assert_eq!(t.row(2).to_vec()[1..], [0.0, 0.0]);
        assert_eq!(
            p.output_names(&["n".into(), "cat".into()], &kinds()),
            vec!["n", "cat=a", "cat=b"]
        );
    }

    #[test]
    fn ordinal_unknown_and_missing() {
        let x = array![[1.0, 2.0], [1.0, 0.0], [1.0, 1.0], [1.0, f64::NAN]];
        let s = settings(Impute::None, Scale::None, Encode::Ordinal);
        let p = FittedPipeline::fit(s, x.view(), &[0, 1], &kinds(), false).unwrap();
        let t = p.transform(x.view(), &[0, 1, 2, 3]);
        assert_eq!(t.column(1).to_vec()[..3], [1.0, 0.0, UNKNOWN_CODE]);
        assert!(t[[3, 1]].is_nan());
        let s = settings(Impute::MostFrequent, Scale::None, Encode::Ordinal);
        let p = FittedPipeline::fit(s, x.view(), &[0, 1, 2], &kinds(), false).unwrap();
        // 0, 1, 2 once each: the smallest code (0) fills.
        assert_eq!(p.transform(x.view(), &[3])[[0, 1]], 0.0);
    }

    #[test]
    fn native_codes_unknown_is_missing() {
        let x = array![[1.0, 2.0], [1.0, 0.0], [1.0, 1.0], [1.0, f64::NAN]];
        let s = settings(Impute::None, Scale::None, Encode::Onehot);
        let p = FittedPipeline::fit(s, x.view(), &[0, 1, 3], &kinds(), true).unwrap();
        assert_eq!(p.width(), 2);
        assert_eq!(p.native_columns(), vec![false, true]);
        let t = p.transform(x.view(), &[0, 1, 2, 3]);
        // Codes 0 and 2 seen: positions 0 and 1; code 1 unseen: missing.
        assert_eq!(t.column(1).to_vec()[..2], [1.0, 0.0]);
        assert!(t[[2, 1]].is_nan() && t[[3, 1]].is_nan());
    }

    #[test]
    fn scalers_match_scikit_learn_formulas() {
        let x = array![[1.0], [2.0], [4.0], [10.0], [7.0]];
        let rows = [0, 1, 2, 3, 4];
        let kinds = [FeatureKind::Numeric];
        let fit = |scale| {
            FittedPipeline::fit(
                settings(Impute::None, scale, Encode::Onehot),
                x.view(),
                &rows,
                &kinds,
                false,
            )
            .unwrap()
            .columns[0]
                .clone()
        };
        assert_eq!(
            fit(Scale::Minmax),
            ColumnStep::Numeric {
                fill: None,
                center: 1.0,
                scale: 9.0
            }
        );
        // numpy: median 4, q25 2, q75 7.
        assert_eq!(
            fit(Scale::Robust),
            ColumnStep::Numeric {
                fill: None,
                center: 4.0,
                scale: 5.0
            }
        );
        let constant = array![[3.0], [3.0]];
        let p = FittedPipeline::fit(
            settings(Impute::None, Scale::Standard, Encode::Onehot),
            constant.view(),
            &[0, 1],
            &kinds,
            false,
        )
        .unwrap();
        assert_eq!(
            p.transform(constant.view(), &[0]).row(0).to_vec(),
            vec![0.0]
        );
    }

    #[test]
    fn imputers() {
        let kinds = [FeatureKind::Numeric];
        let x = array![[1.0], [2.0], [2.0], [9.0], [f64::NAN]];
        let fill = |impute| {
            let p = FittedPipeline::fit(
                settings(impute, Scale::None, Encode::Onehot),
                x.view(),
                &[0, 1, 2, 3, 4],
                &kinds,
                false,
            )
            .unwrap();
            p.transform(x.view(), &[4])[[0, 0]]
        };
        assert_eq!(fill(Impute::Mean), 3.5);
        assert_eq!(fill(Impute::Median), 2.0);
        assert_eq!(fill(Impute::MostFrequent), 2.0);
        assert_eq!(fill(Impute::Constant), 0.0);
        assert!(fill(Impute::None).is_nan());
    }

    #[test]
    fn needed_only_when_something_changes() {
        let plain = settings(Impute::Mean, Scale::None, Encode::Onehot);
        assert!(!FittedPipeline::needed(
            &plain,
            &[FeatureKind::Numeric],
            false
        ));
        assert!(FittedPipeline::needed(
            &plain,
            &[FeatureKind::Numeric],
            true
        ));
        assert!(FittedPipeline::needed(&plain, &kinds(), false));
    }
}
