//! Ctrl-C and SIGTERM: the first stops dispatching and lets running tasks
//! finish; the second stops the workers at once. Executors poll the count.
//! [`halt`] is the same stop from inside: results can no longer be saved.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

static COUNT: std::sync::OnceLock<Arc<AtomicUsize>> = std::sync::OnceLock::new();
static HALTED: AtomicBool = AtomicBool::new(false);

/// Stops dispatching and running tasks now, as a second Ctrl-C would (used
/// when a result cannot be written: running on would only lose work).
pub fn halt() {
    HALTED.store(true, Ordering::SeqCst);
}

/// True after [`halt`].
pub fn halted() -> bool {
    HALTED.load(Ordering::SeqCst)
}

/// Installs the handlers (once). Without this call nothing is counted.
pub fn install() -> std::io::Result<()> {
    let count = COUNT.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let count = count.clone();
        // SAFETY: the handler only does an atomic increment, which is
        // async-signal-safe.
        unsafe {
            signal_hook::low_level::register(signal, move || {
                count.fetch_add(1, Ordering::SeqCst);
            })
        }?;
    }
    Ok(())
}

/// How many interrupts arrived so far.
pub fn count() -> usize {
    COUNT.get().map_or(0, |c| c.load(Ordering::SeqCst))
}

/// True once the user asked to stop dispatching.
pub fn draining() -> bool {
    count() >= 1 || halted()
}

/// True once the user asked to stop now.
pub fn stop_now() -> bool {
    count() >= 2 || halted()
}
