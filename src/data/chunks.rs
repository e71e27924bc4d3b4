//! A CSV's data rows cut into chunks at line ends outside quotes, every
//! chunk parsed on its own (in parallel): cells classified, feature columns
//! surveyed, values converted, the target read. A chunk's result depends
//! only on its bytes, and results are merged in file order, so the cache is
//! the same whatever the chunk size or the number of threads.
//!
//! A cut is only a guess (it counts quotes from the chunk's start); it is
//! checked afterwards: a chunk parsed from a true record start that ends
//! inside a record means the cut fell inside a quoted field, and the chunk
//! is parsed again together with the next one.

use super::survey::{parse_number, Cell, ColumnSurvey, NaValues};
use csv_core::ReadRecordResult;
use rayon::prelude::*;
use std::collections::HashMap;

/// Category codes per feature (None: numeric), once the survey has decided.
pub type Codes = [Option<HashMap<String, f64>>];

/// What every chunk needs to know about the columns.
pub struct ChunkPlan<'a> {
    pub n_columns: usize,
    pub features: &'a [usize],
    pub target: usize,
    pub na: &'a NaValues,
    /// Per feature: collect distinct cell texts (the column could be
    /// categorical). Numbers are only hashed where this is set.
    pub track_labels: &'a [bool],
    /// Set on the second pass over a file with categorical columns: write
    /// codes, survey nothing.
    pub codes: Option<&'a Codes>,
}

/// One chunk's rows, converted, and what was seen in them.
pub struct ChunkOut {
    /// Row-major feature values (NaN for missing; text cells stand in as NaN
    /// until the codes pass).
    pub x: Vec<f64>,
    pub rows: usize,
    pub surveys: Vec<ColumnSurvey>,
    pub target: TargetChunk,
    /// The first malformed record: its byte offset in the file and what is wrong.
    pub csv_error: Option<(u64, String)>,
    /// False when the last record ran into the chunk's end without a line end.
    clean_end: bool,
}

/// The target column of one chunk.
pub struct TargetChunk {
    /// Per row: index into `labels` (first appearance in this chunk).
    pub codes: Vec<u32>,
    /// Per row: the number, NaN if none.
    pub values: Vec<f64>,
    /// Distinct labels in order of first appearance, with their record's offset.
    pub labels: Vec<(String, u64)>,
    pub all_numeric: bool,
    pub all_integer: bool,
    pub first_text: Option<(String, u64)>,
    pub first_missing: Option<u64>,
}

impl TargetChunk {
    fn new() -> TargetChunk {
        TargetChunk {
            codes: Vec::new(),
            values: Vec::new(),
            labels: Vec::new(),
            all_numeric: true,
            all_integer: true,
            first_text: None,
            first_missing: None,
        }
    }

    fn observe(&mut self, cell: &str, offset: u64, index: &mut HashMap<String, u32>) {
        if cell.is_empty() {
            self.first_missing.get_or_insert(offset);
            self.codes.push(u32::MAX);
            self.values.push(f64::NAN);
            return;
        }
        let value = parse_number(cell).ok().filter(|v| v.is_finite());
        match value {
            Some(v) => self.all_integer &= v.fract() == 0.0,
            None => {
                self.all_numeric = false;
                self.all_integer = false;
                if self.first_text.is_none() {
                    self.first_text = Some((cell.to_string(), offset));
                }
            }
        }
        let code = match index.get(cell) {
            Some(&code) => code,
            None => {
                let code = self.labels.len() as u32;
                index.insert(cell.to_string(), code);
                self.labels.push((cell.to_string(), offset));
                code
            }
        };
        self.codes.push(code);
        self.values.push(value.unwrap_or(f64::NAN));
    }
}

/// Parses the complete chunks of `buf` (file bytes from offset `base`) in
/// parallel. Returns them in file order and how many bytes of `buf` they
/// cover; the rest (an incomplete line, or a quoted field still open) is
/// carried into the next window. At the end of the file (`eof`) everything
/// is consumed.
pub fn parse_window(
    buf: &[u8],
    base: u64,
    eof: bool,
    chunk_bytes: usize,
    plan: &ChunkPlan,
) -> (Vec<ChunkOut>, usize) {
    // One search of the window: one with no quote and no CR (most numeric
    // files) needs no quote counting for its cuts and no search per chunk.
    let plain = memchr::memchr2(b'"', b'\r', buf).is_none();
    let ends = cut_points(buf, chunk_bytes, eof, plain);
    let ranges: Vec<(usize, usize)> = ends
        .iter()
        .scan(0, |start, &end| Some((std::mem::replace(start, end), end)))
        .collect();
    let mut parsed: Vec<Option<ChunkOut>> = ranges
        .par_iter()
        .map(|&(start, end)| {
            let bytes = &buf[start..end];
            Some(parse_chunk(bytes, base + start as u64, plan, plain))
        })
        .collect();
    let mut done = Vec::with_capacity(ranges.len());
    let mut i = 0;
    while i < ranges.len() {
        let start = ranges[i].0;
        let mut chunk = parsed[i].take().expect("each chunk is taken once");
        // A cut inside a quoted field: parse again with the next chunk.
        while !chunk.clean_end && i + 1 < ranges.len() {
            i += 1;
            let bytes = &buf[start..ranges[i].1];
            chunk = parse_chunk(bytes, base + start as u64, plan, plain);
        }
        if !chunk.clean_end && !eof {
            return (done, start);
        }
        done.push(chunk);
        i += 1;
    }
    (done, ends.last().copied().unwrap_or(0))
}

/// Chunk ends: just after a `\n` at least `chunk_bytes` into the chunk, with
/// an even number of quotes since the chunk's start. At the end of the file
/// the last chunk runs to the end; otherwise to the last such `\n`, and the
/// bytes after it are left over. `plain`: `buf` holds no quote (nothing to count).
fn cut_points(buf: &[u8], chunk_bytes: usize, eof: bool, plain: bool) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut start = 0;
    let odd_quotes = |bytes: &[u8]| !plain && memchr::memchr_iter(b'"', bytes).count() % 2 == 1;
    while start + chunk_bytes < buf.len() {
        let from = start + chunk_bytes;
        let mut inside = odd_quotes(&buf[start..from]);
        let mut scanned = from;
        let cut = memchr::memchr_iter(b'\n', &buf[from..]).find(|&k| {
            inside ^= odd_quotes(&buf[scanned..from + k]);
            scanned = from + k;
            !inside
        });
        match cut {
            Some(k) => {
                start = from + k + 1;
                ends.push(start);
            }
            None => break,
        }
    }
    if eof && start < buf.len() {
        ends.push(buf.len());
    } else if start < buf.len() {
        // The rest up to its last line end is a chunk too: the next window
        // then takes only a part record (a carry longer than the room
        // before a window costs a copy of the whole window).
        let last = memchr::memrchr(b'\n', &buf[start..]);
        if let Some(k) = last.filter(|&k| !odd_quotes(&buf[start..start + k])) {
            ends.push(start + k + 1);
        }
    }
    ends
}

/// Parses one chunk; when a column turns out to hold text that was not
/// tracked, parses it again tracking that column's labels (they decide the
/// categories, and the numbers before the text count too).
/// `plain`: the window holds no quote and no CR (else the chunk checks).
fn parse_chunk(bytes: &[u8], base: u64, plan: &ChunkPlan, plain: bool) -> ChunkOut {
    let out = parse_once(bytes, base, plan, plan.track_labels, plain);
    if plan.codes.is_some() {
        return out;
    }
    let track: Vec<bool> = plan
        .track_labels
        .iter()
        .zip(&out.surveys)
        .map(|(&t, s)| t || s.texts > 0)
        .collect();
    if track == plan.track_labels {
        return out;
    }
    parse_once(bytes, base, plan, &track, plain)
}

fn parse_once(bytes: &[u8], base: u64, plan: &ChunkPlan, track: &[bool], plain: bool) -> ChunkOut {
    let surveying = plan.codes.is_none();
    let mut records = match plain {
        true => Records::known(bytes, true),
        false => Records::new(bytes),
    };
    let mut out = ChunkOut {
        // About right for numbers of a dozen or more digits; grows otherwise.
        x: Vec::with_capacity(bytes.len() / 16),
        rows: 0,
        surveys: track.iter().map(|&t| ColumnSurvey::new(t)).collect(),
        target: TargetChunk::new(),
        csv_error: None,
        clean_end: true,
    };
    let mut target_index = HashMap::new();
    while let Some(start) = records.next() {
        let offset = base + start as u64;
        out.clean_end = !records.unterminated;
        let fields = match records.fields(plan.n_columns) {
            Ok(fields) => fields,
            Err(message) => {
                out.csv_error = Some((offset, message));
                break;
            }
        };
        for (j, &c) in plan.features.iter().enumerate() {
            let raw = fields.get(c);
            let cell = plan.na.classify(raw);
            let codes = plan.codes.and_then(|codes| codes[j].as_ref());
            let value = match (&cell, codes) {
                (Cell::Missing, _) => f64::NAN,
                (_, Some(codes)) => codes
                    .get(super::survey::trim(raw))
                    .copied()
                    .unwrap_or(f64::NAN),
                (Cell::Number(v), None) => *v,
                // The column is categorical: the codes pass writes this cell.
                (Cell::Text(_), None) => f64::NAN,
            };
            out.x.push(value);
            if surveying {
                out.surveys[j].observe(cell, raw, offset);
            }
        }
        if surveying {
            let cell = super::survey::trim(fields.get(plan.target));
            out.target.observe(cell, offset, &mut target_index);
        }
        out.rows += 1;
    }
    out
}

/// csv_core over a chunk's bytes (same dialect as the csv crate's default
/// reader: commas, double quotes, any line end, empty lines skipped). A
/// chunk without quotes or carriage returns (most numeric files) is split
/// at `\n` and `,` directly, the same records at a fraction of the cost.
struct Records<'a> {
    /// Built on the first record of a chunk that is not plain (building
    /// its DFA costs more than splitting a plain chunk's first lines).
    core: Option<csv_core::Reader>,
    /// No `"` and no `\r` in the input: lines and commas are the records.
    plain: bool,
    input: &'a [u8],
    pos: usize,
    output: Vec<u8>,
    ends: Vec<usize>,
    n_fields: usize,
    /// The last record ended at the end of the input, not at a line end.
    unterminated: bool,
    /// Plain chunks: where the current record's line starts in the input.
    line_start: usize,
}

/// One record's fields, valid UTF-8: field i ends at `ends[i]` in `text`,
/// the next starts `gap` bytes later (1 where the commas are still there).
struct Fields<'r> {
    text: &'r str,
    ends: &'r [usize],
    gap: usize,
}

impl Fields<'_> {
    fn get(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        &self.text[start..self.ends[i]]
    }
}

impl<'a> Records<'a> {
    fn new(input: &'a [u8]) -> Records<'a> {
        let plain = memchr::memchr2(b'"', b'\r', input).is_none();
        Records::known(input, plain)
    }

    /// `plain`: `input` is known to hold no quote and no CR.
    fn known(input: &'a [u8], plain: bool) -> Records<'a> {
        Records {
            core: None,
            plain,
            input,
            pos: 0,
            output: vec![0; 4096],
            ends: vec![0; 64],
            n_fields: 0,
            unterminated: false,
            line_start: 0,
        }
    }

    /// Reads the next record; returns where it starts in the input (possibly
    /// on the line end before it, as the csv crate reports positions).
    fn next(&mut self) -> Option<usize> {
        if self.plain {
            return self.next_line();
        }
        let start = self.pos;
        let (mut n_out, mut n_ends) = (0, 0);
        let core = self.core.get_or_insert_with(csv_core::Reader::new);
        loop {
            // csv_core strips a UTF-8 BOM from the first input it is given,
            // as at a file's start; a chunk starts mid-file, where a BOM is
            // data (as the csv crate keeps it), so its first byte goes alone.
            let first = if self.pos == 0 { 1 } else { usize::MAX };
            let input = &self.input[self.pos..];
            let input = &input[..input.len().min(first)];
            let (result, n_in, o, e) =
                core.read_record(input, &mut self.output[n_out..], &mut self.ends[n_ends..]);
            self.pos += n_in;
            n_out += o;
            n_ends += e;
            match result {
                ReadRecordResult::InputEmpty if input.is_empty() => return None,
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.output.resize(self.output.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    self.n_fields = n_ends;
                    self.unterminated = input.is_empty();
                    return Some(start);
                }
                ReadRecordResult::End => return None,
            }
        }
    }

    /// The current record's fields, or the one-line error the csv crate's
    /// reader would give (field count first, then UTF-8).
    fn fields(&self, n_columns: usize) -> Result<Fields<'_>, String> {
        if self.n_fields != n_columns {
            return Err(format!(
                "row has {} fields, the header has {n_columns}",
                self.n_fields
            ));
        }
        let ends = &self.ends[..self.n_fields];
        let len = ends.last().copied().unwrap_or(0);
        let (bytes, gap) = match self.plain {
            true => (&self.input[self.line_start..self.line_start + len], 1),
            false => (&self.output[..len], 0),
        };
        let text = std::str::from_utf8(bytes).map_err(|_| "not valid UTF-8".to_string())?;
        Ok(Fields { text, ends, gap })
    }

    /// `next` on a plain chunk: as csv_core, empty lines are skipped and the
    /// record's position is where the call started (on a skipped line).
    fn next_line(&mut self) -> Option<usize> {
        let start = self.pos;
        let rest = &self.input[start..];
        let skipped = rest.iter().take_while(|&&b| b == b'\n').count();
        if skipped == rest.len() {
            self.pos = self.input.len();
            return None;
        }
        self.line_start = start + skipped;
        let line = &self.input[self.line_start..];
        self.ends.clear();
        let len = split_line(line, &mut self.ends);
        self.unterminated = len == line.len();
        self.pos = (self.line_start + len + 1).min(self.input.len());
        self.ends.push(len);
        self.n_fields = self.ends.len();
        Some(start)
    }
}

/// Appends where the commas of `line`'s first line are (before its first
/// `\n`) to `ends`; returns that line's length (all of `line` without a
/// `\n`). One pass: on x86_64, 16 bytes at a time, their commas and line
/// ends found as bit masks (SSE2, which every x86_64 CPU has); a comma
/// every few bytes makes a search per comma cost more than the bytes.
fn split_line(line: &[u8], ends: &mut Vec<usize>) -> usize {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE2 is part of every x86_64 CPU.
    let i = match unsafe { split_blocks(line, ends) } {
        Ok(len) => return len,
        Err(scanned) => scanned,
    };
    #[cfg(not(target_arch = "x86_64"))]
    let i = 0;
    for (j, &b) in line.iter().enumerate().skip(i) {
        match b {
            b'\n' => return j,
            b',' => ends.push(j),
            _ => {}
        }
    }
    line.len()
}

/// `split_line` over whole blocks of 16 bytes: Ok(the line's length) once
/// a block holds a `\n`, else Err(how many bytes were scanned).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn split_blocks(line: &[u8], ends: &mut Vec<usize>) -> Result<usize, usize> {
    use std::arch::x86_64::*;
    let (comma, newline) = (_mm_set1_epi8(b',' as i8), _mm_set1_epi8(b'\n' as i8));
    let mut i = 0;
    while i + 16 <= line.len() {
        // SAFETY: the 16 bytes from i are inside `line`.
        let v = unsafe { _mm_loadu_si128(line.as_ptr().add(i).cast()) };
        let mut commas = _mm_movemask_epi8(_mm_cmpeq_epi8(v, comma)) as u32;
        let end = (_mm_movemask_epi8(_mm_cmpeq_epi8(v, newline)) as u32).trailing_zeros();
        if end < 16 {
            commas &= (1 << end) - 1;
        }
        while commas != 0 {
            ends.push(i + commas.trailing_zeros() as usize);
            commas &= commas - 1;
        }
        if end < 16 {
            return Ok(i + end as usize);
        }
        i += 16;
    }
    Err(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_fall_after_line_ends_outside_quotes() {
        let buf = b"1,2\n\"a\nb\",3\n4,5\n";
        assert_eq!(cut_points(buf, 1, true, false), vec![4, 12, 16]);
        assert_eq!(cut_points(buf, 5, false, false), vec![12, 16]);
        assert_eq!(cut_points(&buf[..14], 5, false, false), vec![12]);
        assert_eq!(cut_points(&buf[..10], 2, false, false), vec![4]);
        assert_eq!(cut_points(b"1,2\n3,4", 2, true, false), vec![4, 7]);
        assert_eq!(cut_points(b"1,2\n3,4", 2, true, true), vec![4, 7]);
    }

    #[test]
    fn records_report_unterminated_ends() {
        let mut r = Records::new(b"a,b\r\n\"x\ny\",c");
        assert_eq!(r.next(), Some(0));
        assert!(!r.unterminated);
        assert_eq!(r.next(), Some(4));
        assert!(r.unterminated);
        assert_eq!(r.fields(2).unwrap().get(0), "x\ny");
        assert_eq!(r.next(), None);
        let mut r = Records::new(b"a,\"b\nc");
        assert_eq!(r.next(), Some(0));
        assert!(r.unterminated);
    }

    /// Every record as (position, unterminated, fields or error).
    fn all_records(input: &[u8], plain: bool) -> Vec<(usize, bool, Result<Vec<String>, String>)> {
        let mut r = Records::new(input);
        assert!(r.plain || !plain, "{input:?} is not plain");
        r.plain = plain;
        let mut out = Vec::new();
        while let Some(start) = r.next() {
            let n = r.n_fields;
            let fields = r
                .fields(3)
                .map(|f| (0..n).map(|i| f.get(i).to_string()).collect());
            out.push((start, r.unterminated, fields));
        }
        out
    }

    #[test]
    fn plain_chunks_split_as_csv_core_does() {
        let inputs: [&[u8]; 10] = [
            b"1,2,3\n4,5,6\n",
            b"1,2,3\n4,5,6",
            b"\n\n1,2,3\n\n\n4,5,6\n\n",
            b"1,2\n,,\n a , b ,c\n1,2,3,4\n",
            b"1,2,3",
            b"\n",
            b"",
            b"x,\xff,z\n1,2,3\n",
            b"\xef\xbb\xbf1,2,3\n",
            b"NA,nan,-inf\n\t,\x00,3\n",
        ];
        for input in inputs {
            assert_eq!(
                all_records(input, true),
                all_records(input, false),
                "{input:?}"
            );
        }
        assert!(!Records::new(b"1,\"2\",3\n").plain);
        assert!(!Records::new(b"1,2,3\r\n").plain);
    }

    #[test]
    fn long_plain_lines_split_as_csv_core_does() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let alphabet = b"a1,,\n.";
        for _ in 0..2000 {
            let len = rng.random_range(0..120);
            let input: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            assert_eq!(
                all_records(&input, true),
                all_records(&input, false),
                "{:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn a_bom_starting_a_chunk_is_data() {
        let mut r = Records::new(b"\xef\xbb\xbfa,b\nc,d\n");
        assert_eq!(r.next(), Some(0));
        assert_eq!(r.fields(2).unwrap().get(0), "\u{feff}a");
        assert_eq!(r.next(), Some(7));
        assert_eq!(r.fields(2).unwrap().get(1), "d");
        let mut r = Records::new(b"x");
        assert_eq!(r.next(), Some(0));
        assert!(r.unterminated);
        assert_eq!(r.fields(1).unwrap().get(0), "x");
    }
}
