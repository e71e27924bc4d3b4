//! Handing back the pages of the mapped dataset that a pass over its rows has
//! finished with.
//!
//! Why: a page of a mapped file counts in a process's RSS and PSS while it
//! is mapped in that process's page tables, and it stays mapped after the
//! read until the process unmaps it. A worker that has binned its training
//! rows into codes would otherwise keep its whole share of the raw matrix
//! resident next to the codes. `madvise(MADV_DONTNEED)` on a read-only file
//! mapping only drops the process's mapping of those pages: the data stays
//! in the kernel's page cache (shared, reclaimable) and a later read maps it
//! again (a minor fault), with the same bytes.
//!
//! The same call on anonymous memory would zero it, so only ranges inside a
//! registered file mapping (the dataset cache, see [`register`]) are ever
//! advised; anything else (an in-memory matrix) is left alone.

use ndarray::ArrayView2;
use std::ops::Range;
use std::sync::Mutex;

/// Address ranges of the read-only file mappings whose pages may be dropped.
static MAPPED: Mutex<Vec<Range<usize>>> = Mutex::new(Vec::new());

/// A registered mapping; dropping it unregisters the range (drop it before
/// unmapping).
pub struct Registered(Range<usize>);

/// Allows [`release_rows`] to drop pages of `bytes`, which must be a
/// read-only mapping of a file that nothing modifies while it is mapped.
pub fn register(bytes: &[u8]) -> Registered {
    let range = bytes.as_ptr() as usize..bytes.as_ptr() as usize + bytes.len();
    lock().push(range.clone());
    Registered(range)
}

impl Drop for Registered {
    fn drop(&mut self) {
        let mut mapped = lock();
        if let Some(i) = mapped.iter().position(|r| *r == self.0) {
            mapped.swap_remove(i);
        }
    }
}

fn lock() -> std::sync::MutexGuard<'static, Vec<Range<usize>>> {
    MAPPED.lock().unwrap_or_else(|p| p.into_inner())
}

/// Drops this process's mapping of the pages holding rows `rows` of `x`
/// (from the lowest to the highest of them) when `x` is a row-major view of
/// a registered mapping; does nothing otherwise. The values read the same
/// afterwards.
pub fn release_rows(x: ArrayView2<f64>, rows: &[usize]) {
    let (Some(&lo), Some(&hi)) = (rows.iter().min(), rows.iter().max()) else {
        return;
    };
    let strides = x.strides();
    if x.ncols() == 0 || hi >= x.nrows() || strides[1] != 1 || strides[0] < x.ncols() as isize {
        return;
    }
    let row_bytes = strides[0] as usize * 8;
    let base = x.as_ptr() as usize;
    let start = base + lo * row_bytes;
    let end = base + hi * row_bytes + x.ncols() * 8;
    release(start..end);
}

/// Drops the pages overlapping `range` that lie inside a registered mapping.
fn release(range: Range<usize>) {
    let page = page_size();
    let mapped = lock();
    for m in mapped.iter() {
        let start = range.start.max(m.start) / page * page;
        let start = start.max(m.start);
        let end = range.end.min(m.end);
        if start < end {
            advise_dont_need(start, end - start);
        }
    }
}

fn page_size() -> usize {
    #[cfg(unix)]
    {
        // SAFETY: sysconf only reads a system constant.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 {
            return size as usize;
        }
    }
    4096
}

#[cfg(target_os = "linux")]
fn advise_dont_need(start: usize, len: usize) {
    // SAFETY: the range lies inside a registered read-only file mapping that
    // is still mapped (unregistering takes the same lock first); dropping
    // such pages keeps their contents, which the next read maps again. A
    // failure only leaves the pages mapped.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_dont_need(_start: usize, _len: usize) {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::Write;

    /// Resident KiB of the mapping that starts at `start` (/proc/self/smaps).
    fn resident_kib(start: usize) -> usize {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let head = format!("{start:x}-");
        let mut lines = smaps.lines().skip_while(|l| !l.starts_with(&head)).skip(1);
        let rss = lines.find(|l| l.starts_with("Rss:")).unwrap();
        rss.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    fn mapped_file(values: &[f64]) -> (tempfile::NamedTempFile, memmap2::Mmap) {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        for v in values {
            file.write_all(&v.to_le_bytes()).unwrap();
        }
        file.flush().unwrap();
        // SAFETY: the temporary file is not modified while mapped.
        let map = unsafe { memmap2::Mmap::map(file.as_file()) }.unwrap();
        (file, map)
    }

    fn view(map: &memmap2::Mmap, n_cols: usize) -> ArrayView2<'_, f64> {
        // SAFETY: a fresh mapping is page-aligned; the file holds f64s.
        let floats =
            unsafe { std::slice::from_raw_parts(map.as_ptr().cast::<f64>(), map.len() / 8) };
        ArrayView2::from_shape((floats.len() / n_cols, n_cols), floats).unwrap()
    }

    #[test]
    fn released_rows_leave_the_resident_set_and_read_the_same() {
        let values: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5 - 7.0).collect();
        let (_file, map) = mapped_file(&values);
        let _registered = register(&map);
        let x = view(&map, 10);
        let sum: f64 = x.iter().sum();
        assert!(resident_kib(map.as_ptr() as usize) >= 700);
        let rows: Vec<usize> = (0..x.nrows()).collect();
        release_rows(x, &rows[..5000]);
        let after_half = resident_kib(map.as_ptr() as usize);
        assert!((350..=500).contains(&after_half), "{after_half} KiB");
        release_rows(x, &rows);
        assert_eq!(resident_kib(map.as_ptr() as usize), 0);
        assert_eq!(x.iter().sum::<f64>(), sum);
        assert_eq!(x.as_slice().unwrap(), &values[..]);
    }

    #[test]
    fn memory_that_is_not_a_registered_mapping_is_left_alone() {
        let owned = ndarray::Array2::from_shape_fn((4096, 8), |(r, c)| (r * 8 + c) as f64);
        let rows: Vec<usize> = (0..4096).collect();
        release_rows(owned.view(), &rows);
        assert!(owned.iter().enumerate().all(|(i, &v)| v == i as f64));
        let values: Vec<f64> = (0..8192).map(f64::from).collect();
        let (_file, map) = mapped_file(&values);
        {
            let _registered = register(&map);
        }
        let x = view(&map, 8);
        // black_box: an unused sum may be optimised away, leaving the pages unread.
        std::hint::black_box(x.sum());
        release_rows(x, &rows[..1024]);
        assert_eq!(resident_kib(map.as_ptr() as usize), 64);
    }
}
