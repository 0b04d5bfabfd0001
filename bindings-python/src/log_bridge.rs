//! The `log` logger of the module: records from the core (tracing events arrive as `log`
//! records) go to Python `logging` through pyo3-log. The bridge is built on the first record that
//! passes the Rust-side filter, not at import: building it imports `logging` (about 5 ms, a sixth
//! of `import sepay_einvoice` before), which an application that never logs need not pay for, and
//! which one that configures `logging` has already paid.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::prelude::*;

/// The installed logger (its filters).
static LOGGER: OnceLock<LazyBridge> = OnceLock::new();
/// The pyo3-log logger, once built.
static BRIDGE: OnceLock<pyo3_log::Logger> = OnceLock::new();
/// Building failed (Python's `logging` could not be imported): records are dropped, not retried.
static FAILED: AtomicBool = AtomicBool::new(false);

/// The filters: a default level, and a level per target (a target covers its `::` children; the
/// most specific one wins, as in pyo3-log).
pub struct LazyBridge {
    top: LevelFilter,
    targets: Vec<(String, LevelFilter)>,
}

impl LazyBridge {
    pub fn new(top: LevelFilter, targets: Vec<(String, LevelFilter)>) -> Self {
        LazyBridge { top, targets }
    }

    /// Installs it as the process's `log` logger (once; a second module instance keeps the first).
    pub fn install(self) {
        let max = self
            .targets
            .iter()
            .map(|(_, l)| *l)
            .chain([self.top])
            .max()
            .unwrap_or(LevelFilter::Off);
        if LOGGER.set(self).is_err() {
            return;
        }
        if let Some(l) = LOGGER.get() {
            if log::set_logger(l).is_ok() {
                log::set_max_level(max);
            }
        }
    }

    fn filter_for(&self, target: &str) -> LevelFilter {
        let covers = |t: &str| {
            target == t
                || (target.len() > t.len()
                    && target.starts_with(t)
                    && target[t.len()..].starts_with("::"))
        };
        self.targets
            .iter()
            .filter(|(t, _)| covers(t))
            .max_by_key(|(t, _)| t.len())
            .map_or(self.top, |(_, l)| *l)
    }

    fn build(&self, py: Python<'_>) -> PyResult<pyo3_log::Logger> {
        let mut logger =
            pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels)?.filter(self.top);
        for (target, level) in &self.targets {
            logger = logger.filter_target(target.clone(), *level);
        }
        null_handler(py)?;
        Ok(logger)
    }

    /// The bridge, built now if it is not yet.
    fn bridge(&self) -> Option<&'static pyo3_log::Logger> {
        if let Some(b) = BRIDGE.get() {
            return Some(b);
        }
        if FAILED.load(Ordering::Relaxed) {
            return None;
        }
        // Not `get_or_init`: a thread holding the GIL must never wait on one that wants it.
        // Two threads may both build; the second one's bridge is dropped.
        Python::attach(|py| {
            // The record may come while the calling thread has an exception set: building runs
            // Python, so keep that exception aside and put it back (as pyo3-log does).
            let pending = PyErr::take(py);
            match self.build(py) {
                Ok(b) => {
                    let _ = BRIDGE.set(b);
                }
                Err(e) => {
                    // Said once, not silently: the SDK's records are dropped from now on.
                    FAILED.store(true, Ordering::Relaxed);
                    e.write_unraisable(py, None);
                }
            }
            if let Some(e) = pending {
                e.restore(py);
            }
        });
        BRIDGE.get()
    }
}

impl Log for LazyBridge {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        if metadata.level() > self.filter_for(metadata.target()) {
            return false;
        }
        match BRIDGE.get() {
            Some(b) => b.enabled(metadata),
            None => !FAILED.load(Ordering::Relaxed),
        }
    }

    fn log(&self, record: &Record<'_>) {
        if record.level() > self.filter_for(record.target()) {
            return;
        }
        if let Some(b) = self.bridge() {
            b.log(record);
        }
    }

    fn flush(&self) {}
}

/// The library convention: a `NullHandler` on the `sepay_einvoice` logger, so the SDK's warnings
/// are not printed by `logging`'s last-resort handler in an application that configured nothing.
fn null_handler(py: Python<'_>) -> PyResult<()> {
    let logging = py.import("logging")?;
    let null = logging.getattr("NullHandler")?;
    let logger = logging.call_method1("getLogger", ("sepay_einvoice",))?;
    for h in logger.getattr("handlers")?.try_iter()? {
        if h?.is_instance(&null)? {
            return Ok(());
        }
    }
    logger.call_method1("addHandler", (null.call0()?,))?;
    Ok(())
}

/// Builds the bridge now (the package calls it before it logs from Python, so its records find
/// the `NullHandler` too).
#[pyfunction]
pub fn init_log_bridge() {
    if let Some(l) = LOGGER.get() {
        let _ = l.bridge();
    }
}

/// Forgets cached Python logger levels, so `logging` configuration made after the first SDK log
/// event takes effect.
#[pyfunction]
pub fn reset_log_cache() {
    if let Some(b) = BRIDGE.get() {
        b.reset_handle().reset();
    }
}
