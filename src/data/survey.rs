//! The first pass over a CSV: what each feature column holds (numbers,
//! text, missing cells, distinct values), to decide which columns are
//! categorical and which look like row identifiers before anything is
//! written.

use std::collections::HashSet;

/// Most distinct values a categorical column may have (more is an ID or
/// free text, which no encoder helps with).
pub const MAX_CATEGORIES: usize = 10_000;
/// Distinct integers tracked per column for the identifier check.
const MAX_TRACKED_INTEGERS: usize = 10_000_000;

/// What a cell is, after the missing-value check.
pub enum Cell<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
}

/// Missing-value texts: compared after trimming, case-insensitively.
#[derive(Debug, Clone)]
pub struct NaValues(Vec<String>);

impl NaValues {
    pub fn new(values: &[String]) -> NaValues {
        NaValues(values.iter().map(|v| v.trim().to_lowercase()).collect())
    }

    /// Empty cells are always missing; a number that parses as NaN too.
    pub fn classify<'a>(&self, cell: &'a str) -> Cell<'a> {
        let cell = cell.trim();
        if cell.is_empty() || self.0.iter().any(|na| na.eq_ignore_ascii_case(cell)) {
            return Cell::Missing;
        }
        match cell.parse::<f64>() {
            Ok(v) if v.is_nan() => Cell::Missing,
            Ok(v) => Cell::Number(v),
            Err(_) => Cell::Text(cell),
        }
    }
}

/// One feature column's statistics from the first pass.
#[derive(Debug)]
pub struct ColumnSurvey {
    pub missing: usize,
    pub numbers: usize,
    pub texts: usize,
    /// The first non-numeric cell and the byte offset of its record.
    pub first_text: Option<(String, u64)>,
    /// The first infinite number and the byte offset of its record.
    pub first_infinite: Option<(String, u64)>,
    /// Distinct cell texts; None once there are more than MAX_CATEGORIES.
    pub labels: Option<HashSet<String>>,
    /// Whether cells go into `labels` (hashing every number of a numeric
    /// column would cost more than parsing it).
    track_labels: bool,
    /// `labels` holds every non-missing cell: false once an untracked cell
    /// was seen.
    pub labels_complete: bool,
    pub all_integer: bool,
    pub increasing: bool,
    first: Option<f64>,
    last: Option<f64>,
    /// Distinct integer values; None once one repeats (or too many).
    distinct_integers: Option<HashSet<i64>>,
}

impl Default for ColumnSurvey {
    fn default() -> Self {
        ColumnSurvey::new(true)
    }
}

impl ColumnSurvey {
    pub fn new(track_labels: bool) -> Self {
        ColumnSurvey {
            missing: 0,
            numbers: 0,
            texts: 0,
            first_text: None,
            first_infinite: None,
            labels: Some(HashSet::new()),
            track_labels,
            labels_complete: true,
            all_integer: true,
            increasing: true,
            first: None,
            last: None,
            distinct_integers: Some(HashSet::new()),
        }
    }
}

impl ColumnSurvey {
    pub fn observe(&mut self, cell: Cell, raw: &str, offset: u64) {
        match cell {
            Cell::Missing => {
                self.missing += 1;
                return;
            }
            Cell::Number(v) => {
                self.numbers += 1;
                if v.is_infinite() && self.first_infinite.is_none() {
                    self.first_infinite = Some((raw.trim().to_string(), offset));
                }
                self.observe_number(v);
            }
            Cell::Text(t) => {
                self.texts += 1;
                self.all_integer = false;
                self.increasing = false;
                self.distinct_integers = None;
                if self.first_text.is_none() {
                    self.first_text = Some((t.to_string(), offset));
                }
            }
        }
        if !self.track_labels {
            self.labels_complete = false;
        } else if let Some(labels) = &mut self.labels {
            if !labels.contains(raw.trim()) {
                labels.insert(raw.trim().to_string());
                if labels.len() > MAX_CATEGORIES {
                    self.labels = None;
                }
            }
        }
    }

    fn observe_number(&mut self, v: f64) {
        let integer = v.fract() == 0.0 && v.abs() < 9.0e15;
        self.all_integer &= integer;
        self.increasing &= self.last.is_none_or(|last| v > last);
        self.first.get_or_insert(v);
        self.last = Some(v);
        match (&mut self.distinct_integers, integer) {
            (Some(seen), true) if seen.len() < MAX_TRACKED_INTEGERS => {
                if !seen.insert(v as i64) {
                    self.distinct_integers = None;
                }
            }
            _ => self.distinct_integers = None,
        }
    }

    /// Adds the survey of the rows right after these: the same as one
    /// survey of all the rows, in order.
    pub fn merge(&mut self, next: ColumnSurvey) {
        self.missing += next.missing;
        self.numbers += next.numbers;
        self.texts += next.texts;
        if self.first_text.is_none() {
            self.first_text = next.first_text;
        }
        if self.first_infinite.is_none() {
            self.first_infinite = next.first_infinite;
        }
        self.labels_complete &= next.labels_complete;
        self.labels = match (self.labels.take(), next.labels) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                (a.len() <= MAX_CATEGORIES).then_some(a)
            }
            _ => None,
        };
        self.all_integer &= next.all_integer;
        self.increasing = self.increasing
            && next.increasing
            && match (self.last, next.first) {
                (Some(last), Some(first)) => first > last,
                _ => true,
            };
        self.first = self.first.or(next.first);
        self.last = next.last.or(self.last);
        self.distinct_integers = match (self.distinct_integers.take(), next.distinct_integers) {
            (Some(a), Some(b)) => union_if_disjoint(a, b),
            _ => None,
        };
    }

    /// Every cell is a number (or missing).
    pub fn numeric(&self) -> bool {
        self.texts == 0
    }

    /// A value in every row, a different one each time, that is an integer
    /// counting up or all distinct, or a text all distinct: an identifier.
    pub fn looks_like_id(&self, n_rows: usize) -> bool {
        if self.missing > 0 || n_rows < MIN_ROWS_FOR_ID_CHECK {
            return false;
        }
        if self.numeric() {
            self.all_integer && (self.increasing || self.distinct_integers.is_some())
        } else {
            self.labels.as_ref().is_none_or(|l| l.len() == n_rows)
        }
    }
}

/// The union of two sets of distinct integers; None if they share one (or
/// together exceed what is tracked).
fn union_if_disjoint(a: HashSet<i64>, b: HashSet<i64>) -> Option<HashSet<i64>> {
    let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    for v in small {
        if !big.insert(v) {
            return None;
        }
    }
    (big.len() <= MAX_TRACKED_INTEGERS).then_some(big)
}

/// Below this, every column of a tiny file could look unique.
pub const MIN_ROWS_FOR_ID_CHECK: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn survey(cells: &[&str]) -> ColumnSurvey {
        let na = NaValues::new(&["NA".into()]);
        let mut s = ColumnSurvey::default();
        for (i, c) in cells.iter().enumerate() {
            s.observe(na.classify(c), c, i as u64);
        }
        s
    }

    #[test]
    fn missing_cells_and_texts() {
        let s = survey(&["1", "", "na", "NaN", "x", "2.5"]);
        assert_eq!((s.missing, s.numbers, s.texts), (3, 2, 1));
        assert_eq!(s.first_text, Some(("x".into(), 4)));
        assert!(!s.numeric());
    }

    #[test]
    fn identifiers() {
        let ids: Vec<String> = (100..120).map(|i| i.to_string()).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert!(survey(&ids).looks_like_id(20));
        let mut shuffled = ids.clone();
        shuffled.reverse();
        assert!(survey(&shuffled).looks_like_id(20));
        let mut repeated = ids.clone();
        repeated[5] = "100";
        assert!(!survey(&repeated).looks_like_id(20));
        let floats: Vec<String> = (0..20).map(|i| format!("{i}.5")).collect();
        let floats: Vec<&str> = floats.iter().map(String::as_str).collect();
        assert!(!survey(&floats).looks_like_id(20));
        let names: Vec<String> = (0..20).map(|i| format!("name {i}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert!(survey(&names).looks_like_id(20));
        assert!(!survey(&names[..5]).looks_like_id(5));
    }
}
