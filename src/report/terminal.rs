//! Every line gridrun writes to the terminal goes through here (`outln!` for
//! stdout, `errln!` for stderr). A reader that leaves (`gridrun CONFIG | head
//! -1`, `2>&1 | head`) makes later writes fail with EPIPE; that is not a
//! failure of the run, whose results are in files, so those lines are
//! dropped quietly instead of panicking as `println!` does mid-run.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed for another reason than a reader that
/// left (disk full behind a redirect): said once on stderr, then dropped.
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// One line on stdout (the table, the footer, command results).
pub fn out_line(args: fmt::Arguments) {
    if let Err(e) = write_line(&mut io::stdout().lock(), args) {
        if e.kind() != io::ErrorKind::BrokenPipe && !STDOUT_FAILED.swap(true, Ordering::Relaxed) {
            err_line(format_args!(
                "gridrun: warning: cannot write to stdout: {e}"
            ));
        }
    }
}

/// One line on stderr (progress, status, warnings, errors): best effort.
pub fn err_line(args: fmt::Arguments) {
    let _ = write_line(&mut io::stderr().lock(), args);
}

fn write_line(out: &mut impl Write, args: fmt::Arguments) -> io::Result<()> {
    out.write_fmt(args)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// `println!` that survives a closed stdout.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::report::terminal::out_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that survives a closed stderr.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::report::terminal::err_line(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_reader_is_an_error_value_not_a_panic() {
        let e = write_line(&mut Closed, format_args!("x")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        let mut buf = Vec::new();
        write_line(&mut buf, format_args!("a {}", 1)).unwrap();
        assert_eq!(buf, b"a 1\n");
    }
}
