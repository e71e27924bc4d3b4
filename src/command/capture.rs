//! A command's stdout and stderr: each into its log file, capped so that a
//! flood cannot fill the disk (the first bytes are dropped, the tail kept),
//! and for stdout the last line that is a JSON object (the metrics).

use super::metrics::parse_object;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Bytes kept per log file: the last MiB.
pub const LOG_CAP: usize = 1 << 20;
/// Longer stdout lines are not considered as metrics.
const LINE_CAP: usize = 1 << 20;

/// What reading one stream found.
#[derive(Default)]
pub struct Captured {
    /// The stream's last `LOG_CAP` bytes.
    pub tail: Vec<u8>,
    /// Bytes the stream had in all.
    #[cfg_attr(not(test), allow(dead_code))]
    pub total: u64,
    /// stdout only: the last line that is a JSON object.
    pub metrics: Option<Map<String, Value>>,
}

impl Captured {
    /// The last `n` non-empty lines, for error messages.
    pub fn last_lines(&self, n: usize) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.tail);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(n)..]
            .iter()
            .map(|l| {
                let l = l.trim_end();
                match l.char_indices().nth(300) {
                    Some((cut, _)) => format!("{}...", &l[..cut]),
                    None => l.to_string(),
                }
            })
            .collect()
    }
}

/// Reads `stream` to its end into `log` (capped); looks for metrics lines
/// when `metrics` is set.
pub fn capture(mut stream: impl Read, log: &Path, metrics: bool) -> Captured {
    let mut file = File::create(log).ok();
    let mut tail: VecDeque<u8> = VecDeque::new();
    let mut line: Vec<u8> = Vec::new();
    let mut line_too_long = false;
    let mut found = None;
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        if total < LOG_CAP as u64 {
            let room = (LOG_CAP as u64 - total).min(n as u64) as usize;
            if let Some(f) = file.as_mut() {
                let _ = f.write_all(&chunk[..room]);
            }
        }
        total += n as u64;
        tail.extend(chunk);
        if tail.len() > LOG_CAP {
            tail.drain(..tail.len() - LOG_CAP);
        }
        if metrics {
            for piece in chunk.split_inclusive(|&b| b == b'\n') {
                let (body, ends) = match piece.strip_suffix(b"\n") {
                    Some(body) => (body, true),
                    None => (piece, false),
                };
                // Only a line that starts like a JSON object is kept.
                if line.is_empty() && !line_too_long {
                    let first = body.iter().find(|b| !b.is_ascii_whitespace());
                    line_too_long = first.is_some_and(|&b| b != b'{');
                }
                if !line_too_long {
                    if line.len() + body.len() > LINE_CAP {
                        line_too_long = true;
                        line.clear();
                    } else {
                        line.extend_from_slice(body);
                    }
                }
                if ends {
                    take_metrics(&mut line, &mut line_too_long, &mut found);
                }
            }
        }
    }
    if metrics {
        take_metrics(&mut line, &mut line_too_long, &mut found);
    }
    let tail: Vec<u8> = tail.into();
    if total > LOG_CAP as u64 {
        rewrite_with_tail(log, &tail, total);
    }
    Captured {
        tail,
        total,
        metrics: found,
    }
}

fn take_metrics(line: &mut Vec<u8>, too_long: &mut bool, found: &mut Option<Map<String, Value>>) {
    if !*too_long
        && line
            .first()
            .is_some_and(|&b| b == b'{' || b == b' ' || b == b'\t')
    {
        if let Some(map) = std::str::from_utf8(line).ok().and_then(parse_object) {
            *found = Some(map);
        }
    }
    line.clear();
    *too_long = false;
}

/// The log of a stream longer than the cap: a note, then its last bytes.
fn rewrite_with_tail(log: &Path, tail: &[u8], total: u64) {
    let tmp: PathBuf = log.with_extension("tmp");
    let note = format!(
        "[gridrun: the first {} bytes of {} were dropped; the last {} follow]\n",
        total - tail.len() as u64,
        total,
        tail.len()
    );
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(note.as_bytes())?;
        f.write_all(tail)
    });
    if written.is_ok() {
        let _ = std::fs::rename(&tmp, log);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_json_line_wins_and_logs_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("t.out");
        let mut text = String::from("{\"a\": 1}\nnoise\n");
        text.push_str(&"x".repeat(3 * LOG_CAP));
        text.push_str("\n{\"a\": 2}\ntrailing words\n");
        let c = capture(text.as_bytes(), &log, true);
        assert_eq!(c.metrics.as_ref().unwrap()["a"], 2);
        assert_eq!(c.total, text.len() as u64);
        let written = std::fs::read(&log).unwrap();
        assert!(written.len() < LOG_CAP + 200);
        assert!(written.starts_with(b"[gridrun: the first "));
        assert!(written.ends_with(b"{\"a\": 2}\ntrailing words\n"));
        assert_eq!(c.last_lines(1), vec!["trailing words"]);
    }

    #[test]
    fn a_last_line_without_newline_counts() {
        let dir = tempfile::tempdir().unwrap();
        let c = capture(&b"x\n{\"m\": 0.5}"[..], &dir.path().join("o"), true);
        assert_eq!(c.metrics.unwrap()["m"], 0.5);
    }
}
