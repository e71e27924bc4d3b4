//! `[cv]`, the cross-validation plan, and `[dataset] groups`, the column the
//! group kinds split by.

use super::raw::{self, RawTarget};
use super::{ConfigError, CvKind, CvSpec, DatasetSpec, GroupsColumn, Resolver, TargetColumn};
use std::path::Path;
use toml::Spanned;

/// Most folds and repeats a CV plan may have (a plan is held in memory).
pub(super) const MAX_FOLDS: usize = 100_000;
pub(super) const MAX_REPEATS: usize = 10_000;

impl Resolver<'_> {
    /// `[dataset] groups`; the target column cannot double as the groups.
    pub(super) fn groups(
        &self,
        raw: Option<Spanned<RawTarget>>,
        target: &TargetColumn,
    ) -> Result<Option<GroupsColumn>, ConfigError> {
        let Some(raw) = raw else { return Ok(None) };
        let span = raw.span();
        let groups = match raw.into_inner() {
            RawTarget::Name(n) => GroupsColumn::Name(n),
            RawTarget::Index(i) if i >= 0 => GroupsColumn::Index(i as usize),
            RawTarget::Index(i) => {
                return Err(self.loc.at(
                    span,
                    "dataset.groups",
                    format!("{i} is not a column: give a column name or a 0-based column index"),
                ))
            }
            RawTarget::Other(v) => {
                return Err(self.loc.at(
                    span,
                    "dataset.groups",
                    format!("{v} is not a column: give a column name or a 0-based column index"),
                ))
            }
        };
        let is_target = match (&groups, target) {
            (GroupsColumn::Name(g), TargetColumn::Name(t)) => g == t,
            (GroupsColumn::Index(g), TargetColumn::Index(t)) => g == t,
            _ => false,
        };
        if is_target {
            return Err(self.loc.at(
                span,
                "dataset.groups",
                format!("{groups} is the target column; the groups must be another column"),
            ));
        }
        Ok(Some(groups))
    }

    pub(super) fn cv(&self, c: raw::RawCv, dataset: &DatasetSpec) -> Result<CvSpec, ConfigError> {
        let kind = c
            .kind
            .as_ref()
            .map_or(CvKind::StratifiedKfold, |k| *k.get_ref());
        if let (Some(k), true) = (&c.kind, kind.uses_groups() && dataset.groups.is_none()) {
            return Err(self.loc.at(
                k.span(),
                "cv.kind",
                format!(
                    "{} needs `groups = \"COLUMN\"` in [dataset]: the column holding each row's group",
                    kind.name()
                ),
            ));
        }
        let repeated = matches!(
            kind,
            CvKind::RepeatedKfold | CvKind::RepeatedStratifiedKfold
        );
        let folds = match &c.folds {
            Some(f) if kind == CvKind::LeaveOneGroupOut => {
                return Err(self.loc.at(
                    f.span(),
                    "cv.folds",
                    "leave_one_group_out makes one fold per group: leave `folds` out",
                ))
            }
            Some(f) if *f.get_ref() < 2 || *f.get_ref() > MAX_FOLDS => {
                return Err(self.loc.at(
                    f.span(),
                    "cv.folds",
                    format!("must be from 2 to {MAX_FOLDS}"),
                ))
            }
            Some(f) => *f.get_ref(),
            None => 5,
        };
        let repeats = match &c.repeats {
            Some(r) if !repeated => {
                return Err(self.loc.at(
                    r.span(),
                    "cv.repeats",
                    "only repeated_kfold and repeated_stratified_kfold repeat",
                ))
            }
            Some(r) if *r.get_ref() < 1 || *r.get_ref() > MAX_REPEATS => {
                return Err(self.loc.at(
                    r.span(),
                    "cv.repeats",
                    format!("must be from 1 to {MAX_REPEATS}"),
                ))
            }
            Some(r) => *r.get_ref(),
            None if repeated => 10,
            None => 1,
        };
        let (test_size, test_rows) = self.test_size(kind, c.test_size.as_ref())?;
        let (gap, max_train_size) = self.time_series_limits(kind, &c)?;
        let folds_file = c
            .folds_file
            .as_ref()
            .map(|f| super::tidy(self.base.join(f.get_ref())));
        if kind == CvKind::Predefined && folds_file.is_none() {
            return Err(self.loc.whole(
                Some("cv.folds_file"),
                "predefined folds need `folds_file` (one test-fold index per row)",
            ));
        }
        let folds = match (kind, &folds_file) {
            (CvKind::Holdout, _) => 1,
            (CvKind::Predefined, Some(file)) => self.predefined_folds(file)?,
            (CvKind::LeaveOneGroupOut, _) => self.count_groups(dataset)?,
            _ => folds,
        };
        let repeats = if matches!(kind, CvKind::Holdout | CvKind::Predefined) {
            1
        } else {
            repeats
        };
        let shuffle = self.shuffle(kind, c.shuffle, repeated)?;
        let seed = c.seed.unwrap_or(0);
        if shuffle && kind.uses_groups() && seed > u64::from(u32::MAX) {
            return Err(self.loc.whole(
                Some("cv.seed"),
                "must be below 2^32 for shuffled group folds (numpy's RandomState seeds, as scikit-learn uses)",
            ));
        }
        Ok(CvSpec {
            kind,
            folds,
            repeats,
            shuffle,
            seed,
            test_size,
            folds_file,
            test_rows,
            gap,
            max_train_size,
        })
    }

    /// Repeats only differ when shuffled, so repeated kinds always shuffle;
    /// the group kinds default to scikit-learn's shuffle = false; a time
    /// series and leave-one-group-out have a fixed order.
    fn shuffle(
        &self,
        kind: CvKind,
        asked: Option<bool>,
        repeated: bool,
    ) -> Result<bool, ConfigError> {
        let ordered = matches!(kind, CvKind::TimeSeriesSplit | CvKind::LeaveOneGroupOut);
        if ordered && asked == Some(true) {
            return Err(self.loc.whole(
                Some("cv.shuffle"),
                format!("{} has a fixed order: it cannot shuffle", kind.name()),
            ));
        }
        let default = !(ordered || kind.uses_groups());
        Ok(asked.unwrap_or(default) || repeated)
    }

    /// `test_size`: a share of the rows for holdout, a number of rows for a
    /// time series (as scikit-learn's TimeSeriesSplit takes it).
    fn test_size(
        &self,
        kind: CvKind,
        raw: Option<&Spanned<f64>>,
    ) -> Result<(f64, Option<usize>), ConfigError> {
        match raw {
            Some(t) if kind == CvKind::TimeSeriesSplit => {
                let v = *t.get_ref();
                if v < 1.0 || v.fract() != 0.0 || v > MAX_ROWS {
                    return Err(self.loc.at(
                        t.span(),
                        "cv.test_size",
                        "time_series_split takes a number of rows: an integer >= 1",
                    ));
                }
                Ok((0.25, Some(v as usize)))
            }
            Some(t) if !(*t.get_ref() > 0.0 && *t.get_ref() < 1.0) => {
                Err(self
                    .loc
                    .at(t.span(), "cv.test_size", "must be between 0 and 1"))
            }
            Some(t) => Ok((*t.get_ref(), None)),
            None => Ok((0.25, None)),
        }
    }

    /// `gap` and `max_train_size`, which only a time series has.
    fn time_series_limits(
        &self,
        kind: CvKind,
        c: &raw::RawCv,
    ) -> Result<(usize, Option<usize>), ConfigError> {
        for (key, value) in [("gap", &c.gap), ("max_train_size", &c.max_train_size)] {
            if let (Some(v), false) = (value, kind == CvKind::TimeSeriesSplit) {
                return Err(self.loc.at(
                    v.span(),
                    &format!("cv.{key}"),
                    "only time_series_split has it",
                ));
            }
        }
        if let Some(m) = c.max_train_size.as_ref().filter(|m| *m.get_ref() == 0) {
            return Err(self
                .loc
                .at(m.span(), "cv.max_train_size", "must be at least 1"));
        }
        Ok((
            c.gap.as_ref().map_or(0, |g| *g.get_ref()),
            c.max_train_size.as_ref().map(|m| *m.get_ref()),
        ))
    }

    fn predefined_folds(&self, file: &Path) -> Result<usize, ConfigError> {
        match crate::folds::count_predefined(file) {
            Ok(0) => Err(self.loc.whole(Some("cv.folds_file"), "names no test fold")),
            Ok(n) => Ok(n),
            Err(e) => Err(self.loc.whole(Some("cv.folds_file"), format!("{e:#}"))),
        }
    }

    /// leave_one_group_out has one fold per group, so the plan needs their
    /// number: the group column is read here (as a folds file is).
    fn count_groups(&self, dataset: &DatasetSpec) -> Result<usize, ConfigError> {
        let groups = crate::data::read_groups(dataset)
            .map_err(|e| self.loc.whole(Some("dataset.groups"), format!("{e:#}")))?;
        match groups.labels.len() {
            n if n < 2 => Err(self.loc.whole(
                Some("dataset.groups"),
                format!(
                    "leave_one_group_out needs at least 2 groups; column `{}` has {n}",
                    groups.column
                ),
            )),
            n if n > MAX_FOLDS => Err(self.loc.whole(
                Some("dataset.groups"),
                format!("{n} groups: leave_one_group_out makes at most {MAX_FOLDS} folds"),
            )),
            n => Ok(n),
        }
    }
}

/// A row count a config may name (f64 holds every integer up to 2^53).
const MAX_ROWS: f64 = 1e15;

#[cfg(test)]
mod tests {
    use super::super::Config;
    use super::*;

    fn parse(dataset: &str, cv: &str) -> Result<Config, ConfigError> {
        let src = format!(
            "[dataset]\npath = \"../datasets/wine_batches.csv\"\n{dataset}\n[model]\nkind = \"debug\"\n[cv]\n{cv}\n"
        );
        Config::parse(Path::new("configs/x.toml"), &src)
    }

    fn err(dataset: &str, cv: &str) -> String {
        parse(dataset, cv).unwrap_err().to_string()
    }

    #[test]
    fn group_kinds_need_groups_and_default_to_no_shuffle() {
        let e = err("", "kind = \"stratified_group_kfold\"");
        assert_eq!(e, "configs/x.toml:7:8: cv.kind: stratified_group_kfold needs `groups = \"COLUMN\"` in [dataset]: the column holding each row's group");
        let c = parse("groups = \"batch\"", "kind = \"group_kfold\"").unwrap();
        assert_eq!(
            c.dataset.as_ref().unwrap().groups,
            Some(GroupsColumn::Name("batch".into()))
        );
        assert!(!c.cv.shuffle);
        let e = err(
            "groups = 0",
            "kind = \"group_kfold\"\nshuffle = true\nseed = 4294967296",
        );
        assert!(e.contains("cv.seed: must be below 2^32"), "{e}");
    }

    #[test]
    fn groups_cannot_be_the_target() {
        let e = err("target = \"class\"\ngroups = \"class\"", "");
        assert_eq!(e, "configs/x.toml:4:10: dataset.groups: `class` is the target column; the groups must be another column");
        let e = err("target = 3\ngroups = 3", "");
        assert!(
            e.contains("dataset.groups: index 3 is the target column"),
            "{e}"
        );
    }

    #[test]
    fn leave_one_group_out_counts_the_groups() {
        let c = parse("groups = \"batch\"", "kind = \"leave_one_group_out\"").unwrap();
        assert_eq!((c.cv.folds, c.cv.shuffle), (24, false));
        let e = err(
            "groups = \"batch\"",
            "kind = \"leave_one_group_out\"\nfolds = 3",
        );
        assert!(
            e.contains("cv.folds: leave_one_group_out makes one fold per group"),
            "{e}"
        );
        let e = err("groups = \"lot\"", "kind = \"leave_one_group_out\"");
        assert!(e.contains("dataset.groups: no column named `lot`"), "{e}");
    }

    #[test]
    fn time_series_keys() {
        let c = parse(
            "",
            "kind = \"time_series_split\"\nfolds = 3\ntest_size = 20\ngap = 2\nmax_train_size = 50",
        )
        .unwrap();
        assert_eq!(
            (c.cv.test_rows, c.cv.gap, c.cv.max_train_size, c.cv.shuffle),
            (Some(20), 2, Some(50), false)
        );
        let e = err("", "kind = \"time_series_split\"\ntest_size = 0.2");
        assert!(
            e.contains("cv.test_size: time_series_split takes a number of rows"),
            "{e}"
        );
        let e = err("", "kind = \"time_series_split\"\nshuffle = true");
        assert!(
            e.contains("cv.shuffle: time_series_split has a fixed order"),
            "{e}"
        );
        let e = err("", "kind = \"kfold\"\ngap = 2");
        assert!(
            e.contains(":8:7: cv.gap: only time_series_split has it"),
            "{e}"
        );
        let e = err("", "kind = \"time_series_split\"\nmax_train_size = 0");
        assert!(e.contains("cv.max_train_size: must be at least 1"), "{e}");
    }

    #[test]
    fn identity_of_plans_without_groups_is_unchanged() {
        // The key task ids were made of before group and time-series folds.
        let c = parse("", "kind = \"kfold\"\nfolds = 3\nseed = 7").unwrap();
        assert_eq!(
            c.cv.identity(None),
            r#"{"folds":3,"folds_file":null,"kind":"kfold","seed":7,"shuffle":true,"test_size":0.25}"#
        );
        let groups = GroupsColumn::Name("batch".into());
        assert_ne!(c.cv.identity(Some(&groups)), c.cv.identity(None));
    }
}
