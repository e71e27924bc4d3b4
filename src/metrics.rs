//! Scoring functions with scikit-learn's names and conventions (greater is
//! better; losses are negated, as `neg_mean_squared_error`).

use crate::models::{Prediction, TargetKind};

pub const NAMES: &[&str] = &[
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "f1_weighted",
    "precision_macro",
    "recall_macro",
    "neg_log_loss",
    "roc_auc",
    "roc_auc_ovr",
    "r2",
    "neg_mean_squared_error",
    "neg_mean_absolute_error",
];

pub fn is_known(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Whether the metric needs class probabilities.
pub fn needs_proba(name: &str) -> bool {
    matches!(name, "neg_log_loss" | "roc_auc" | "roc_auc_ovr")
}

fn is_regression_metric(name: &str) -> bool {
    matches!(
        name,
        "r2" | "neg_mean_squared_error" | "neg_mean_absolute_error"
    )
}

/// Err when the metric does not apply to the target.
pub fn check_target(name: &str, target: TargetKind) -> Result<(), String> {
    match (target, is_regression_metric(name)) {
        (TargetKind::Regression, false) => Err(format!("{name} is a classification metric but the target is numeric (regression); use r2, neg_mean_squared_error or neg_mean_absolute_error, or set dataset.task = \"classification\"")),
        (TargetKind::Classification { .. }, true) => Err(format!("{name} is a regression metric but the target holds classes")),
        _ => Ok(()),
    }
}

/// Scores predictions against the truth.
pub fn score(
    name: &str,
    y_true: &[f64],
    pred: &Prediction,
    target: TargetKind,
) -> Result<f64, String> {
    let y_pred = &pred.values;
    if y_true.len() != y_pred.len() || y_true.is_empty() {
        return Err(format!(
            "{name}: {} predictions for {} rows",
            y_pred.len(),
            y_true.len()
        ));
    }
    let n_classes = target.n_classes().unwrap_or(0);
    let value = match name {
        "accuracy" => accuracy(y_true, y_pred),
        "balanced_accuracy" => Confusion::new(y_true, y_pred, n_classes).balanced_accuracy(),
        "f1_macro" => Confusion::new(y_true, y_pred, n_classes).f1(false),
        "f1_weighted" => Confusion::new(y_true, y_pred, n_classes).f1(true),
        "precision_macro" => Confusion::new(y_true, y_pred, n_classes).precision_macro(),
        "recall_macro" => Confusion::new(y_true, y_pred, n_classes).recall_macro(),
        "neg_log_loss" => -log_loss(y_true, proba(name, pred)?),
        "roc_auc" | "roc_auc_ovr" => roc_auc_ovr(y_true, proba(name, pred)?)?,
        "r2" => r2(y_true, y_pred),
        "neg_mean_squared_error" => -mean(y_true.iter().zip(y_pred).map(|(t, p)| (t - p).powi(2))),
        "neg_mean_absolute_error" => -mean(y_true.iter().zip(y_pred).map(|(t, p)| (t - p).abs())),
        other => return Err(format!("unknown metric {other}")),
    };
    // scikit-learn's convention: a score that is not a number is recorded as
    // NaN (the setting then ranks last), never an error.
    Ok(if value.is_finite() { value } else { f64::NAN })
}

fn proba<'a>(name: &str, pred: &'a Prediction) -> Result<&'a ndarray::Array2<f64>, String> {
    pred.proba
        .as_ref()
        .ok_or_else(|| format!("{name} needs class probabilities, which this model does not give"))
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n.max(1) as f64
}

fn accuracy(y_true: &[f64], y_pred: &[f64]) -> f64 {
    mean(
        y_true
            .iter()
            .zip(y_pred)
            .map(|(t, p)| f64::from(u8::from(t == p))),
    )
}

fn r2(y_true: &[f64], y_pred: &[f64]) -> f64 {
    let m = mean(y_true.iter().copied());
    let ss_res: f64 = y_true
        .iter()
        .zip(y_pred)
        .map(|(t, p)| (t - p).powi(2))
        .sum();
    let ss_tot: f64 = y_true.iter().map(|t| (t - m).powi(2)).sum();
    if ss_tot == 0.0 {
        // scikit-learn: 1 for a perfect fit of a constant, else 0.
        return if ss_res == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ss_res / ss_tot
}

fn log_loss(y_true: &[f64], proba: &ndarray::Array2<f64>) -> f64 {
    let eps = f64::EPSILON;
    mean(y_true.iter().enumerate().map(|(i, &t)| {
        let row = proba.row(i);
        let total: f64 = row.sum();
        let p =
            (row.get(t as usize).copied().unwrap_or(0.0) / total.max(eps)).clamp(eps, 1.0 - eps);
        -p.ln()
    }))
}

/// Binary ROC AUC, or one-vs-rest macro average over the classes present.
fn roc_auc_ovr(y_true: &[f64], proba: &ndarray::Array2<f64>) -> Result<f64, String> {
    let classes = present_labels(y_true, &[]);
    if classes.len() < 2 {
        return Err("roc_auc is undefined when the test fold holds one class".into());
    }
    if proba.ncols() == 2 {
        return Ok(auc(
            y_true.iter().map(|&t| t == 1.0),
            proba.column(1).iter().copied(),
        ));
    }
    let aucs: Vec<f64> = classes
        .iter()
        .map(|&c| {
            auc(
                y_true.iter().map(|&t| t as usize == c),
                proba.column(c).iter().copied(),
            )
        })
        .collect();
    Ok(aucs.iter().sum::<f64>() / aucs.len() as f64)
}

/// Mann-Whitney AUC with average ranks for ties.
fn auc(is_positive: impl Iterator<Item = bool>, scores: impl Iterator<Item = f64>) -> f64 {
    let mut pairs: Vec<(f64, bool)> = scores.zip(is_positive).collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut n_pos, mut i) = (0.0, 0usize, 0);
    while i < pairs.len() {
        let mut j = i;
        while j < pairs.len() && pairs[j].0 == pairs[i].0 {
            j += 1;
        }
        let avg_rank = (i + j + 1) as f64 / 2.0;
        for p in &pairs[i..j] {
            if p.1 {
                rank_sum += avg_rank;
                n_pos += 1;
            }
        }
        i = j;
    }
    let n_neg = pairs.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    (rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0) / (n_pos * n_neg) as f64
}

/// Labels in y_true or y_pred, sorted (scikit-learn's unique_labels).
fn present_labels(y_true: &[f64], y_pred: &[f64]) -> Vec<usize> {
    let mut labels: Vec<usize> = y_true.iter().chain(y_pred).map(|&v| v as usize).collect();
    labels.sort_unstable();
    labels.dedup();
    labels
}

/// Per-class true positives, predicted and actual counts.
struct Confusion {
    labels: Vec<usize>,
    tp: Vec<f64>,
    predicted: Vec<f64>,
    actual: Vec<f64>,
}

impl Confusion {
    fn new(y_true: &[f64], y_pred: &[f64], n_classes: usize) -> Self {
        let size = n_classes.max(present_labels(y_true, y_pred).last().map_or(0, |l| l + 1));
        let (mut tp, mut predicted, mut actual) =
            (vec![0.0; size], vec![0.0; size], vec![0.0; size]);
        for (&t, &p) in y_true.iter().zip(y_pred) {
            actual[t as usize] += 1.0;
            predicted[p as usize] += 1.0;
            if t == p {
                tp[t as usize] += 1.0;
            }
        }
        Confusion {
            labels: present_labels(y_true, y_pred),
            tp,
            predicted,
            actual,
        }
    }

    fn ratio(a: f64, b: f64) -> f64 {
        if b == 0.0 {
            0.0
        } else {
            a / b
        }
    }

    fn precision(&self, c: usize) -> f64 {
        Self::ratio(self.tp[c], self.predicted[c])
    }

    fn recall(&self, c: usize) -> f64 {
        Self::ratio(self.tp[c], self.actual[c])
    }

    fn macro_of(&self, f: impl Fn(usize) -> f64) -> f64 {
        self.labels.iter().map(|&c| f(c)).sum::<f64>() / self.labels.len() as f64
    }

    fn precision_macro(&self) -> f64 {
        self.macro_of(|c| self.precision(c))
    }

    fn recall_macro(&self) -> f64 {
        self.macro_of(|c| self.recall(c))
    }

    fn f1_class(&self, c: usize) -> f64 {
        Self::ratio(2.0 * self.tp[c], self.predicted[c] + self.actual[c])
    }

    fn f1(&self, weighted: bool) -> f64 {
        if !weighted {
            return self.macro_of(|c| self.f1_class(c));
        }
        let total: f64 = self.labels.iter().map(|&c| self.actual[c]).sum();
        self.labels
            .iter()
            .map(|&c| self.f1_class(c) * self.actual[c])
            .sum::<f64>()
            / total
    }

    /// Mean recall over the classes present in y_true (scikit-learn's definition).
    fn balanced_accuracy(&self) -> f64 {
        let present: Vec<usize> = self
            .labels
            .iter()
            .copied()
            .filter(|&c| self.actual[c] > 0.0)
            .collect();
        present.iter().map(|&c| self.recall(c)).sum::<f64>() / present.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn pred(values: &[f64]) -> Prediction {
        Prediction {
            values: values.to_vec(),
            proba: None,
        }
    }

    const CLS3: TargetKind = TargetKind::Classification { n_classes: 3 };

    #[test]
    fn classification_metrics_match_sklearn() {
        // sklearn: y_true=[0,1,2,2,1,0], y_pred=[0,2,1,2,1,0]
        let t = [0.0, 1.0, 2.0, 2.0, 1.0, 0.0];
        let p = pred(&[0.0, 2.0, 1.0, 2.0, 1.0, 0.0]);
        let s = |m| score(m, &t, &p, CLS3).unwrap();
        assert!((s("accuracy") - 4.0 / 6.0).abs() < 1e-12);
        assert!((s("f1_macro") - 0.6666666666666666).abs() < 1e-12);
        assert!((s("balanced_accuracy") - 0.6666666666666666).abs() < 1e-12);
        assert!((s("precision_macro") - 0.6666666666666666).abs() < 1e-12);
    }

    #[test]
    fn f1_weighted_and_macro_on_imbalance() {
        // sklearn f1_score([0,0,0,1], [0,0,1,1], average=...) macro=0.7333.., weighted=0.7666..
        let t = [0.0, 0.0, 0.0, 1.0];
        let p = pred(&[0.0, 0.0, 1.0, 1.0]);
        let k = TargetKind::Classification { n_classes: 2 };
        assert!((score("f1_macro", &t, &p, k).unwrap() - 0.7333333333333334).abs() < 1e-12);
        assert!((score("f1_weighted", &t, &p, k).unwrap() - 0.7666666666666667).abs() < 1e-12);
    }

    #[test]
    fn regression_metrics() {
        let t = [3.0, -0.5, 2.0, 7.0];
        let p = pred(&[2.5, 0.0, 2.0, 8.0]);
        let r = TargetKind::Regression;
        // sklearn r2_score example: 0.948...
        assert!((score("r2", &t, &p, r).unwrap() - 0.9486081370449679).abs() < 1e-12);
        assert!((score("neg_mean_squared_error", &t, &p, r).unwrap() + 0.375).abs() < 1e-12);
        assert!((score("neg_mean_absolute_error", &t, &p, r).unwrap() + 0.5).abs() < 1e-12);
    }

    #[test]
    fn auc_and_log_loss() {
        // sklearn roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75
        let t = [0.0, 0.0, 1.0, 1.0];
        let proba = array![[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];
        let p = Prediction {
            values: vec![0.0, 0.0, 0.0, 1.0],
            proba: Some(proba),
        };
        let k = TargetKind::Classification { n_classes: 2 };
        assert!((score("roc_auc", &t, &p, k).unwrap() - 0.75).abs() < 1e-12);
        // sklearn log_loss = 0.4722...: mean(-ln [0.9,0.6,0.35,0.8])
        let want = -[0.9f64, 0.6, 0.35, 0.8]
            .iter()
            .map(|p| -p.ln())
            .sum::<f64>()
            / 4.0;
        assert!((score("neg_log_loss", &t, &p, k).unwrap() - want).abs() < 1e-12);
    }

    #[test]
    fn metric_target_mismatch_is_reported() {
        assert!(check_target("accuracy", TargetKind::Regression).is_err());
        assert!(check_target("r2", CLS3).is_err());
        assert!(check_target("r2", TargetKind::Regression).is_ok());
    }

    #[test]
    fn non_finite_scores_are_nan() {
        let r = TargetKind::Regression;
        let t = [1.5e308, -1.5e308];
        let v = score("neg_mean_squared_error", &t, &pred(&[-1.5e308, 1.5e308]), r).unwrap();
        assert!(v.is_nan());
        assert!(score("r2", &t, &pred(&[f64::INFINITY, 0.0]), r)
            .unwrap()
            .is_nan());
    }

    #[test]
    fn missing_proba_is_an_error() {
        let e = score("neg_log_loss", &[0.0], &pred(&[0.0]), CLS3).unwrap_err();
        assert!(e.contains("probabilities"));
    }
}
