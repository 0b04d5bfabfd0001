//! The core's `tracing` events on stderr, when `SEPAY_EINVOICE_LOG` asks for them.

use std::sync::Once;

/// Sends the core's `tracing` events (already masked) to stderr when `SEPAY_EINVOICE_LOG` is set:
/// a level (`debug`) applies to the SDK; anything else is an `EnvFilter` directive.
pub fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(raw) = std::env::var("SEPAY_EINVOICE_LOG") else {
            return;
        };
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("off") {
            return;
        }
        let level = ["trace", "debug", "info", "warn", "error"]
            .iter()
            .find(|l| raw.eq_ignore_ascii_case(l));
        let directive = match level {
            Some(l) => format!("sepay_einvoice={l},sepay_einvoice_node={l}"),
            None => raw.to_string(),
        };
        let filter = tracing_subscriber::EnvFilter::try_new(&directive)
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("sepay_einvoice=debug"));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
    });
}
