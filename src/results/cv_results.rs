//! Per-setting aggregation in scikit-learn's `cv_results_` layout.

use super::tally::Tally;
use super::TaskRecord;
use crate::config::Config;
use crate::params::{ParamValue, Params};
use crate::plan::Plan;
use anyhow::Result;
use std::collections::BTreeMap;

/// Mean and population standard deviation (numpy's default, as scikit-learn).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeanStd {
    /// NaN as "NaN" (best.json), as in the journal: a JSON null reads back as no number.
    #[serde(serialize_with = "super::float::serialize")]
    pub mean: f64,
    #[serde(serialize_with = "super::float::serialize")]
    pub std: f64,
}

impl MeanStd {
    /// NaN when any value is missing: a failed split fails the setting
    /// (scikit-learn's error_score=nan).
    pub fn of(values: &[Option<f64>]) -> MeanStd {
        if values.is_empty() || values.iter().any(Option::is_none) {
            return MeanStd {
                mean: f64::NAN,
                std: f64::NAN,
            };
        }
        let n = values.len() as f64;
        let mean = values.iter().flatten().sum::<f64>() / n;
        let var = values
            .iter()
            .flatten()
            .map(|v| (v - mean).powi(2))
            .sum::<f64>()
            / n;
        MeanStd {
            mean,
            std: var.sqrt(),
        }
    }
}

/// One setting's row.
#[derive(Debug, Clone)]
pub struct SettingRow {
    pub params: Params,
    /// metric -> score of each split (None: failed or not run).
    pub splits: BTreeMap<String, Vec<Option<f64>>>,
    pub test: BTreeMap<String, MeanStd>,
    pub rank: BTreeMap<String, usize>,
    pub fit_time: MeanStd,
    pub score_time: MeanStd,
    pub failed: usize,
    /// Splits with a finished record (ok or failed); fewer than n_splits
    /// after an interrupt or while a run is going.
    pub finished: usize,
    /// The first failed split's error, for the summary table and the report.
    pub error: Option<String>,
    /// Successive halving: the round (scikit-learn's `iter`) and its resources.
    pub round: Option<(usize, u64)>,
}

impl SettingRow {
    /// What to show instead of a score when the setting has none: "failed",
    /// "not run", or how many splits ran so far.
    pub fn missing_label(&self, n_splits: usize) -> &'static str {
        if self.failed > 0 {
            "failed"
        } else if self.finished == 0 {
            "not run"
        } else if self.finished < n_splits {
            "partial"
        } else {
            // every split ran, but some score is not a number
            "nan"
        }
    }
}

#[derive(Debug, Clone)]
pub struct CvResults {
    pub metrics: Vec<String>,
    pub refit: String,
    pub grid_keys: Vec<String>,
    pub n_splits: usize,
    pub rows: Vec<SettingRow>,
    /// Successive halving: candidates and resources of each round run
    /// (empty for a grid or random search).
    pub rounds: Vec<RoundCount>,
}

/// One round of successive halving as it ran.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RoundCount {
    pub iter: usize,
    pub n_candidates: usize,
    pub n_resources: u64,
}

impl CvResults {
    /// Aggregates records by task id, so records from earlier runs or other
    /// shards of the same plan count wherever their task is in this plan.
    pub fn build(
        plan: &Plan,
        grid_keys: &[String],
        metrics: &[String],
        refit: &str,
        records: &[TaskRecord],
    ) -> CvResults {
        let tally = Tally::of_records(plan, metrics, records);
        CvResults::from_tally(plan, grid_keys, refit, &tally)
    }

    /// The table of a config's plan from records read back (journals),
    /// with the config's grid keys, metrics and refit metric.
    pub fn of_config(config: &Config, plan: &Plan, records: &[TaskRecord]) -> CvResults {
        CvResults::build(
            plan,
            &config.grid_keys,
            &config.metrics,
            &config.refit,
            records,
        )
    }

    /// The table from what the coordinator tallied while the tasks finished.
    pub fn from_tally(plan: &Plan, grid_keys: &[String], refit: &str, tally: &Tally) -> CvResults {
        let metrics = &tally.metrics;
        let n_splits = tally.n_splits;
        let mut rows: Vec<SettingRow> = Vec::with_capacity(plan.settings.len());
        for (s, params) in plan.settings.iter().enumerate() {
            let mut row = empty_row(params, metrics, n_splits);
            let (mut fit, mut score) = (Vec::new(), Vec::new());
            for split in 0..n_splits {
                let slot = tally.slot(s, split);
                row.finished += usize::from(slot.finished);
                if slot.finished && !slot.ok {
                    row.failed += 1;
                }
                if !slot.ok {
                    continue;
                }
                for (k, m) in metrics.iter().enumerate() {
                    let v = slot.scores[k];
                    row.splits.get_mut(m).expect("row has every metric")[split] =
                        (!v.is_nan()).then_some(v);
                }
                fit.push(Some(slot.fit_seconds));
                score.push(Some(slot.score_seconds));
            }
            row.error = tally.error(s).cloned();
            for m in metrics {
                row.test.insert(m.clone(), MeanStd::of(&row.splits[m]));
            }
            row.fit_time = MeanStd::of(&fit);
            row.score_time = MeanStd::of(&score);
            rows.push(row);
        }
        for m in metrics {
            let means: Vec<f64> = rows.iter().map(|r| r.test[m].mean).collect();
            for (row, rank) in rows.iter_mut().zip(rank_min(&means)) {
                row.rank.insert(m.clone(), rank);
            }
        }
        CvResults {
            metrics: metrics.to_vec(),
            refit: refit.to_string(),
            grid_keys: grid_keys.to_vec(),
            n_splits,
            rows,
            rounds: Vec::new(),
        }
    }

    /// Ranks `metric` with the smallest mean first (a loss a command reports
    /// with greater_is_better = false).
    pub fn rank_lower_better(&mut self, metric: &str) {
        let negated: Vec<f64> = self
            .rows
            .iter()
            .map(|r| r.test.get(metric).map_or(f64::NAN, |m| -m.mean))
            .collect();
        for (row, rank) in self.rows.iter_mut().zip(rank_min(&negated)) {
            row.rank.insert(metric.to_string(), rank);
        }
    }

    /// Index of the best setting by the refit metric (first of the ties, as
    /// scikit-learn's argmin of rank), if any setting has a score.
    /// The best setting: rank 1 of the refit metric; for successive
    /// halving the best of the last round (scikit-learn's best_index_).
    pub fn best(&self) -> Option<usize> {
        let last = self.rounds.last().map(|r| r.iter);
        (0..self.rows.len())
            .filter(|&i| last.is_none() || self.rows[i].round.map(|r| r.0) == last)
            .filter(|&i| !self.rows[i].test[&self.refit].mean.is_nan())
            .min_by_key(|&i| (self.rows[i].rank[&self.refit], i))
    }

    /// Settings ordered by rank of the refit metric.
    pub fn ranked(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by_key(|&i| (self.rows[i].rank[&self.refit], i));
        order
    }

    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = [
            "mean_fit_time",
            "std_fit_time",
            "mean_score_time",
            "std_score_time",
        ]
        .map(String::from)
        .to_vec();
        h.extend(self.grid_keys.iter().map(|k| format!("param_{k}")));
        h.push("params".into());
        if self.metrics.len() == 1 {
            // scikit-learn's single-metric names, so code written for its
            // cv_results_ loads this file; the named columns follow.
            h.extend((0..self.n_splits).map(|k| format!("split{k}_test_score")));
            h.extend(["mean_test_score", "std_test_score", "rank_test_score"].map(String::from));
        }
        for m in &self.metrics {
            h.extend((0..self.n_splits).map(|k| format!("split{k}_test_{m}")));
            h.extend([
                format!("mean_test_{m}"),
                format!("std_test_{m}"),
                format!("rank_test_{m}"),
            ]);
        }
        if !self.rounds.is_empty() {
            h.extend(["iter", "n_resources"].map(String::from));
        }
        h
    }

    fn record(&self, row: &SettingRow) -> Vec<String> {
        let mut r: Vec<String> = [
            row.fit_time.mean,
            row.fit_time.std,
            row.score_time.mean,
            row.score_time.std,
        ]
        .map(num)
        .to_vec();
        // scikit-learn leaves a param cell empty (masked) where a sub-grid lacks it.
        r.extend(self.grid_keys.iter().map(|k| {
            row.params
                .get(k)
                .map_or(String::new(), ParamValue::to_string)
        }));
        r.push(python_dict(&row.params));
        if self.metrics.len() == 1 {
            r.extend(self.metric_cells(row, &self.metrics[0]));
        }
        for m in &self.metrics {
            r.extend(self.metric_cells(row, m));
        }
        if let (false, Some((iter, resources))) = (self.rounds.is_empty(), row.round) {
            r.extend([iter.to_string(), resources.to_string()]);
        }
        r
    }

    /// The rounds of successive halving in one table, one row per setting x
    /// round, ranked over all rows as scikit-learn ranks them.
    pub fn concat_rounds(rounds: Vec<CvResults>, counts: Vec<RoundCount>) -> Option<CvResults> {
        let mut it = rounds.into_iter().zip(&counts);
        let (mut all, first) = it.next()?;
        let tag = |rows: &mut Vec<SettingRow>, c: &RoundCount| {
            for row in rows.iter_mut() {
                row.round = Some((c.iter, c.n_resources));
            }
        };
        tag(&mut all.rows, first);
        for (mut next, c) in it {
            tag(&mut next.rows, c);
            all.rows.append(&mut next.rows);
        }
        for m in all.metrics.clone() {
            let means: Vec<f64> = all.rows.iter().map(|r| r.test[&m].mean).collect();
            for (row, rank) in all.rows.iter_mut().zip(rank_min(&means)) {
                row.rank.insert(m.clone(), rank);
            }
        }
        all.rounds = counts;
        Some(all)
    }

    /// split scores, mean, std and rank of one metric.
    fn metric_cells(&self, row: &SettingRow, metric: &str) -> Vec<String> {
        let mut cells: Vec<String> = row.splits[metric]
            .iter()
            .map(|v| v.map_or("nan".to_string(), num))
            .collect();
        cells.extend([
            num(row.test[metric].mean),
            num(row.test[metric].std),
            row.rank[metric].to_string(),
        ]);
        cells
    }

    /// The table as CSV, row by row into `out`.
    pub fn write_csv(&self, out: &mut dyn std::io::Write) -> Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(self.header())?;
        for row in &self.rows {
            w.write_record(self.record(row))?;
        }
        w.flush()?;
        Ok(())
    }
}

fn empty_row(params: &Params, metrics: &[String], n_splits: usize) -> SettingRow {
    SettingRow {
        params: params.clone(),
        splits: metrics
            .iter()
            .map(|m| (m.clone(), vec![None; n_splits]))
            .collect(),
        test: BTreeMap::new(),
        rank: BTreeMap::new(),
        fit_time: MeanStd {
            mean: f64::NAN,
            std: f64::NAN,
        },
        score_time: MeanStd {
            mean: f64::NAN,
            std: f64::NAN,
        },
        failed: 0,
        finished: 0,
        error: None,
        round: None,
    }
}

/// scipy's rankdata(method="min") of negated means; NaN ranks last.
pub fn rank_min(means: &[f64]) -> Vec<usize> {
    // Sorted once (a million settings rank in a second): a value's rank is
    // 1 + how many are greater; NaN after every number.
    let mut sorted: Vec<f64> = means.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let numbers = sorted.len();
    means
        .iter()
        .map(|&m| {
            if m.is_nan() {
                1 + numbers
            } else {
                1 + sorted.partition_point(|&v| v > m)
            }
        })
        .collect()
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else {
        format!("{x}")
    }
}

/// `{'criterion': 'gini', 'max_depth': 4}`, as scikit-learn's params column.
pub fn python_dict(params: &Params) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|(k, v)| match v {
            ParamValue::Str(s) => format!("'{k}': '{s}'"),
            other => format!("'{k}': {other}"),
        })
        .collect();
    format!("{{{}}}", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_like_scipy_min_with_nan_last() {
        assert_eq!(
            rank_min(&[0.9, 0.8, 0.9, f64::NAN, 0.7]),
            vec![1, 3, 1, 5, 4]
        );
    }

    #[test]
    fn mean_std_population() {
        let m = MeanStd::of(&[Some(1.0), Some(3.0)]);
        assert_eq!((m.mean, m.std), (2.0, 1.0));
        assert!(MeanStd::of(&[Some(1.0), None]).mean.is_nan());
    }

    #[test]
    fn python_dict_quotes_strings() {
        let mut p = Params::new();
        p.insert("criterion".into(), ParamValue::Str("gini".into()));
        p.insert("max_depth".into(), ParamValue::None);
        assert_eq!(python_dict(&p), "{'criterion': 'gini', 'max_depth': None}");
    }
}
