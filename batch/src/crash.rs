//! Crash points for the tests that kill a batch midway: `SEPAY_EINVOICE_BATCH_CRASH_AT=<point>:<n>`
//! aborts the process (no cleanup, like `kill -9`) the `n`-th time a row reaches `<point>`:
//! `sending` (recorded "sending", before the create is sent), `sent` (the API accepted the
//! create, before that is recorded), `accepted` (recorded, before waiting) or `done` (the
//! invoice recorded as made). Unset, the check costs one atomic load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The variable naming the crash point.
pub const CRASH_VAR: &str = "SEPAY_EINVOICE_BATCH_CRASH_AT";

static PLAN: OnceLock<Option<(String, u64)>> = OnceLock::new();
static SEEN: AtomicU64 = AtomicU64::new(0);

fn plan() -> &'static Option<(String, u64)> {
    PLAN.get_or_init(|| {
        let v = std::env::var(CRASH_VAR).ok()?;
        let (point, n) = v.split_once(':')?;
        Some((point.to_string(), n.parse().ok()?))
    })
}

/// Aborts the process when `point` is the planned crash point and this is its `n`-th visit.
pub(crate) fn point(point: &str) {
    if let Some((p, n)) = plan() {
        if p == point && SEEN.fetch_add(1, Ordering::SeqCst) + 1 == *n {
            eprintln!("{CRASH_VAR}: aborting at {point} #{n}");
            std::process::abort();
        }
    }
}
