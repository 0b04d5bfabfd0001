//! `SEPAY_EINVOICE_LOG` in Python, with the syntax the Node package and the CLI accept (tracing's
//! `EnvFilter` directives, without span filters): comma-separated `level` (the SDK's own
//! targets), `target=level` or a bare `target` (every level). A Rust target `a::b` is the Python
//! logger `a.b` (pyo3-log's mapping), and, as `EnvFilter` matches targets by prefix, a directive
//! for `sepay_einvoice` also covers the SDK's other crates (`sepay_einvoice_batch`, ...).
//!
//! Two halves use the parsed directives: the `log` bridge (`lib.rs`), which must let those
//! records through from Rust, and the package's `__init__.py`, which sets the Python loggers'
//! levels and adds a stderr handler (`log_directives`).

use log::LevelFilter;
use pyo3::prelude::*;

/// The environment variable.
pub const ENV_LOG: &str = "SEPAY_EINVOICE_LOG";

/// The Rust crates (log targets) of the SDK inside this module.
pub const SDK_TARGETS: &[&str] = &[
    "sepay_einvoice",
    "sepay_einvoice_batch",
    "sepay_einvoice_native",
];

/// One directive: a Rust log target and its level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub target: String,
    pub level: LevelFilter,
}

/// Parses a level the way tracing's `LevelFilter` does: a name in any case, or 0 (off) to 5
/// (trace).
fn level(s: &str) -> Option<LevelFilter> {
    Some(match s.trim().to_ascii_lowercase().as_str() {
        "off" | "0" => LevelFilter::Off,
        "error" | "1" => LevelFilter::Error,
        "warn" | "2" => LevelFilter::Warn,
        "info" | "3" => LevelFilter::Info,
        "debug" | "4" => LevelFilter::Debug,
        "trace" | "5" => LevelFilter::Trace,
        _ => return None,
    })
}

fn valid_target(t: &str) -> bool {
    !t.is_empty()
        && t.split("::").all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
}

/// Parses `spec` into directives (a directive for an SDK crate's prefix expanded to every SDK
/// crate it prefixes) and the pieces it could not use.
pub fn parse(spec: &str) -> (Vec<Directive>, Vec<String>) {
    let mut out = Vec::new();
    let mut ignored = Vec::new();
    for raw in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let parsed = if raw.contains('[') || raw.contains('{') {
            None // span filters: not supported by Python logging
        } else if let Some((target, lvl)) = raw.rsplit_once('=') {
            let target = target.trim();
            level(lvl)
                .filter(|_| valid_target(target))
                .map(|l| (Some(target), l))
        } else if let Some(l) = level(raw) {
            Some((None, l))
        } else if valid_target(raw) {
            Some((Some(raw), LevelFilter::Trace))
        } else {
            None
        };
        match parsed {
            // A bare level is the SDK's level (as in the Node package).
            Some((None, level)) => out.extend(SDK_TARGETS.iter().map(|t| Directive {
                target: (*t).to_string(),
                level,
            })),
            Some((Some(target), level)) => {
                out.push(Directive {
                    target: target.to_string(),
                    level,
                });
                // `EnvFilter` matches a target by prefix: `sepay_einvoice` covers
                // `sepay_einvoice_batch`. Python loggers match by dotted path, so spell it out.
                out.extend(
                    SDK_TARGETS
                        .iter()
                        .filter(|t| t.len() > target.len() && t.starts_with(target))
                        .map(|t| Directive {
                            target: (*t).to_string(),
                            level,
                        }),
                );
            }
            None => ignored.push(raw.to_string()),
        }
    }
    (out, ignored)
}

/// The directives of `SEPAY_EINVOICE_LOG` (none when unset).
pub fn from_env() -> Vec<Directive> {
    std::env::var(ENV_LOG)
        .map(|s| parse(&s).0)
        .unwrap_or_default()
}

/// The Python `logging` level of a filter (pyo3-log sends TRACE records as level 5; `off` is
/// above CRITICAL).
fn python_level(level: LevelFilter) -> u32 {
    match level {
        LevelFilter::Off => 60,
        LevelFilter::Error => 40,
        LevelFilter::Warn => 30,
        LevelFilter::Info => 20,
        LevelFilter::Debug => 10,
        LevelFilter::Trace => 5,
    }
}

/// Parses a `SEPAY_EINVOICE_LOG` value (`spec`, else the variable's current value) for the
/// package's `__init__`: `([(python_logger_name, level), ...], [ignored_piece, ...])`.
#[pyfunction]
#[pyo3(signature = (spec=None))]
pub fn log_directives(spec: Option<String>) -> (Vec<(String, u32)>, Vec<String>) {
    let spec = spec
        .or_else(|| std::env::var(ENV_LOG).ok())
        .unwrap_or_default();
    let (directives, ignored) = parse(&spec);
    let directives = directives
        .into_iter()
        .map(|d| (d.target.replace("::", "."), python_level(d.level)))
        .collect();
    (directives, ignored)
}
