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
pub struct NaValues {
    texts: Vec<String>,
    /// Bit n set: some text is n bytes long (n < 64). A cell of another
    /// length cannot match, which spares most numbers the comparisons.
    lengths: u64,
    /// Some text is 64 bytes or longer.
    long: bool,
}

impl NaValues {
    pub fn new(values: &[String]) -> NaValues {
        let texts: Vec<String> = values.iter().map(|v| v.trim().to_lowercase()).collect();
        let lengths = texts
            .iter()
            .filter(|t| t.len() < 64)
            .fold(0u64, |bits, t| bits | 1 << t.len());
        let long = texts.iter().any(|t| t.len() >= 64);
        NaValues {
            texts,
            lengths,
            long,
        }
    }

    /// Whether the (trimmed) cell is one of the texts, ignoring ASCII case.
    fn is_na(&self, cell: &str) -> bool {
        let n = cell.len();
        let maybe = if n < 64 {
            self.lengths >> n & 1 == 1
        } else {
            self.long
        };
        maybe && self.texts.iter().any(|na| na.eq_ignore_ascii_case(cell))
    }

    /// Empty cells are always missing; a number that parses as NaN too.
    pub fn classify<'a>(&self, cell: &'a str) -> Cell<'a> {
        let cell = trim(cell);
        if cell.is_empty() || self.is_na(cell) {
            return Cell::Missing;
        }
        match parse_number(cell) {
            Ok(v) if v.is_nan() => Cell::Missing,
            Ok(v) => Cell::Number(v),
            Err(_) => Cell::Text(cell),
        }
    }
}

/// `str::trim`, with a shortcut for the usual cell that starts and ends
/// with a printable ASCII character (no whitespace, ASCII or Unicode, can
/// start or end there: a multi-byte character's bytes are all >= 0x80).
#[inline]
pub fn trim(cell: &str) -> &str {
    let printable = |b: u8| b > b' ' && b < 0x80;
    match cell.as_bytes() {
        [first, .., last] if printable(*first) && printable(*last) => cell,
        [only] if printable(*only) => cell,
        _ => cell.trim(),
    }
}

/// A cell's number: the same grammar and the same correctly rounded value
/// as `str::parse::<f64>` (checked in the tests here and in number.rs).
/// The usual decimal cell takes number.rs's fast path; everything else
/// (errors, inf, nan, long mantissas) fast_float2.
#[inline]
pub fn parse_number(cell: &str) -> Result<f64, fast_float2::Error> {
    match super::number::parse_fast(cell.as_bytes()) {
        Some(v) => Ok(v),
        None => fast_float2::parse(cell),
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
        self.increasing &= self.last.is_none_or(|last| v > last);
        self.first.get_or_insert(v);
        self.last = Some(v);
        // After one non-integer neither integer check looks at values again
        // (and fract() is a libm call per cell).
        if !self.all_integer && self.distinct_integers.is_none() {
            return;
        }
        let integer = v.fract() == 0.0 && v.abs() < 9.0e15;
        self.all_integer &= integer;
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

    #[test]
    fn trim_is_str_trim() {
        for cell in [
            "",
            " ",
            "1.5",
            " 1.5",
            "1.5 ",
            "\t7\r",
            "a",
            " a",
            "\u{a0}x",
            "x\u{3000}",
            "\u{1c}5",
            "é",
            " é ",
            "\u{85}",
            "7\u{2028}",
        ] {
            assert_eq!(trim(cell), cell.trim(), "{cell:?}");
        }
    }

    #[test]
    fn numbers_parse_as_std_does() {
        let cells = [
            "1",
            "-1",
            "+1",
            "1.",
            ".1",
            "-.1",
            "+.1",
            ".",
            "-",
            "+",
            "",
            "e1",
            "1e",
            "1e+",
            "1e-5",
            "1E5",
            "1e+5",
            "inf",
            "-inf",
            "+inf",
            "INF",
            "infinity",
            "-Infinity",
            "infin",
            "nan",
            "NaN",
            "-nan",
            "+nan",
            "0x10",
            "1_0",
            " 1",
            "1 ",
            "1.5e308",
            "1e309",
            "-1e309",
            "4.9e-324",
            "1e-400",
            "00012",
            "1..2",
            "1.2.3",
            "--1",
            "+-1",
            "1,5",
            "1e1.5",
            "1d5",
            "123456789012345678901234567890",
            "0.30000000000000004",
            "2.2250738585072011e-308",
            "-1.5883380827464328",
            "0.6860525057920867",
            "9007199254740993",
            "\u{661}",
        ];
        for cell in cells {
            let ours = parse_number(cell).ok().map(f64::to_bits);
            let std = cell.parse::<f64>().ok().map(f64::to_bits);
            let both_nan = parse_number(cell).is_ok_and(f64::is_nan)
                && cell.parse::<f64>().is_ok_and(f64::is_nan);
            assert!(ours == std || both_nan, "{cell:?}: {ours:?} vs {std:?}");
        }
    }

    #[test]
    fn missing_texts_match_at_any_length() {
        let long = "n".repeat(70);
        let na = NaValues::new(&["NA".into(), " -1.#IND ".into(), long.clone()]);
        for cell in ["na", " Na ", "-1.#ind", long.as_str(), ""] {
            assert!(matches!(na.classify(cell), Cell::Missing), "{cell:?}");
        }
        for cell in ["nan1", "-1.#IN", &long[1..]] {
            assert!(matches!(na.classify(cell), Cell::Text(_)), "{cell:?}");
        }
        assert!(matches!(na.classify("12"), Cell::Number(v) if v == 12.0));
    }

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
