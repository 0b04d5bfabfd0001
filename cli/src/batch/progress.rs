//! Progress on stderr: a bar with the rate and ETA when stderr is a terminal, else one plain
//! line per finished row (for logs and CI).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use sepay_einvoice_batch::{Progress, ProgressCallback, RowResult};

use super::results::outcome_name;
use crate::output::clip;

/// Reports a batch's progress.
pub struct Reporter {
    /// `None`: plain log lines.
    bar: Option<ProgressBar>,
    started: Mutex<Instant>,
    first: AtomicBool,
    /// Rows finished in this run.
    worked: AtomicUsize,
}

fn style() -> ProgressStyle {
    let rate = |s: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{:.1} rows/s", s.per_sec());
    };
    ProgressStyle::with_template("{spinner} {wide_bar} {pos}/{len} rows · {rate} · ETA {eta} {msg}")
        .map(|s| s.with_key("rate", rate).progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// What a finished row says in a log line or above the bar.
pub fn describe(r: &RowResult) -> String {
    let outcome = outcome_name(r);
    match (&r.invoice_number, &r.error) {
        (_, Some(e)) => format!("{} {outcome} {}: {}", r.key, e.kind, clip(&e.message, 200)),
        (Some(n), None) => format!(
            "{} {outcome} invoice {n} ({})",
            r.key,
            r.invoice_status.as_deref().unwrap_or("?")
        ),
        (None, None) => format!("{} {outcome}", r.key),
    }
}

impl Reporter {
    /// A bar when stderr shows one (a terminal whose `TERM` is not `dumb`), else log lines.
    pub fn new() -> Arc<Reporter> {
        let bar = ProgressBar::new(0);
        let bar = if bar.is_hidden() {
            None
        } else {
            bar.set_style(style());
            bar.enable_steady_tick(Duration::from_millis(200));
            Some(bar)
        };
        Arc::new(Reporter {
            bar,
            started: Mutex::new(Instant::now()),
            first: AtomicBool::new(true),
            worked: AtomicUsize::new(0),
        })
    }

    /// The callback for `BatchOptions::on_progress`.
    pub fn callback(self: &Arc<Self>) -> ProgressCallback {
        let me = self.clone();
        Arc::new(move |p: &Progress| me.on(p))
    }

    fn on(&self, p: &Progress) {
        let finished = (p.done + p.failed + p.uncertain) as u64;
        let first = self.first.swap(false, Ordering::SeqCst);
        if p.row.is_some() {
            self.worked.fetch_add(1, Ordering::SeqCst);
        }
        if first {
            if let Ok(mut s) = self.started.lock() {
                *s = Instant::now();
            }
        }
        // Short, so the bar keeps one line on an 80-column terminal.
        let mut counts = format!("· {} busy", p.in_flight);
        for (n, what) in [(p.failed, "failed"), (p.uncertain, "uncertain")] {
            if n > 0 {
                counts.push_str(&format!(", {n} {what}"));
            }
        }
        match &self.bar {
            Some(bar) => {
                bar.set_length(p.total as u64);
                bar.set_position(finished);
                if first {
                    // Rows done by an earlier run are not this run's rate.
                    bar.reset_eta();
                }
                if let Some(r) = p.row.as_ref().filter(|r| r.error.is_some()) {
                    bar.println(describe(r));
                }
                bar.set_message(counts);
            }
            None => match &p.row {
                None => eprintln!(
                    "{} rows: {} done and {} failed before this run",
                    p.total, p.done, p.failed
                ),
                Some(r) => eprintln!("[{finished}/{}] {}", p.total, describe(r)),
            },
        }
    }

    /// Rows finished in this run.
    pub fn worked(&self) -> usize {
        self.worked.load(Ordering::SeqCst)
    }

    /// Time since the batch started working.
    pub fn elapsed(&self) -> Duration {
        self.started.lock().map(|s| s.elapsed()).unwrap_or_default()
    }

    /// Ends the bar, leaving its last state on screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
            // The bar leaves the cursor at its end.
            eprintln!();
        }
    }

    /// Ends the bar where it stands (interrupted).
    pub fn abandon(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
            eprintln!();
        }
    }
}
