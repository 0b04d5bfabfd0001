//! The settings every command shares (flags or `SEPAY_EINVOICE_*` variables) and the client
//! built from them.

use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;
use sepay_einvoice::{Client, Environment};

use crate::exit::Failure;

/// Global settings. Each flag may come from its environment variable instead; the secret's value
/// is never shown (`--help` hides it), so prefer the variable to the flag.
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// API base URL (wins over --env). Without either flag: SEPAY_EINVOICE_BASE_URL, then
    /// SEPAY_EINVOICE_ENV (read by the SDK, so a flag always wins over both variables).
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// sandbox or production (wins over SEPAY_EINVOICE_BASE_URL and SEPAY_EINVOICE_ENV).
    #[arg(long = "env", global = true, value_name = "sandbox|production")]
    pub environment: Option<Environment>,
    /// Client id issued by SePay.
    #[arg(
        long,
        global = true,
        env = "SEPAY_EINVOICE_CLIENT_ID",
        value_name = "ID"
    )]
    pub client_id: Option<String>,
    /// Client secret issued by SePay (prefer the variable: a flag shows in `ps`).
    #[arg(
        long,
        global = true,
        env = "SEPAY_EINVOICE_CLIENT_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub client_secret: Option<String>,
    /// Per-attempt timeout in seconds (default 30).
    #[arg(
        long,
        global = true,
        env = "SEPAY_EINVOICE_TIMEOUT",
        value_name = "SECS"
    )]
    pub timeout: Option<f64>,
    /// Retries after a failed attempt (default 2; 0 disables them).
    #[arg(
        long,
        global = true,
        env = "SEPAY_EINVOICE_MAX_RETRIES",
        value_name = "N"
    )]
    pub max_retries: Option<u32>,
    /// Strict rules: the rules whose legal basis may be extended (the 8 % VAT window) are
    /// errors, not warnings.
    #[arg(long, global = true, env = "SEPAY_EINVOICE_STRICT", value_parser = clap::builder::FalseyValueParser::new())]
    pub strict: bool,
    /// Print JSON (what a pipe or a file always gets) instead of fields and tables on a
    /// terminal; batch: the report as JSON instead of the summary.
    #[arg(long, global = true, env = "SEPAY_EINVOICE_JSON", value_parser = clap::builder::FalseyValueParser::new())]
    pub json: bool,
}

/// The longest duration a flag may give: 30 days.
const MAX_SECONDS: f64 = 30.0 * 86_400.0;

/// Seconds from a flag as a duration: more than zero and at most 30 days, else invalid input
/// naming the flag.
pub fn seconds(flag: &str, v: f64) -> Result<Duration, Failure> {
    if v.is_nan() || v <= 0.0 || v > MAX_SECONDS {
        return Err(Failure::invalid(format!(
            "--{flag}: must be a number of seconds greater than zero and at most {MAX_SECONDS} (30 days), got {v}"
        )));
    }
    Duration::try_from_secs_f64(v)
        .map_err(|_| Failure::invalid(format!("--{flag}: {v} seconds is out of range")))
}

impl GlobalArgs {
    /// Whether answers are shown for people: stdout is a terminal and `--json` is not given.
    pub fn human(&self) -> bool {
        !self.json && std::io::stdout().is_terminal()
    }

    /// The client these settings describe.
    pub fn client(&self) -> Result<Client, Failure> {
        let mut b = Client::builder().binding("cli");
        if let Some(u) = &self.base_url {
            b = b.base_url(u.clone());
        }
        if let Some(e) = self.environment {
            b = b.environment(e);
        }
        if let Some(id) = &self.client_id {
            b = b.client_id(id.clone());
        }
        if let Some(s) = &self.client_secret {
            b = b.client_secret(s.clone());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(seconds("timeout", t)?);
        }
        if let Some(n) = self.max_retries {
            b = b.max_retries(n);
        }
        Ok(b.strict_rules(self.strict).build()?)
    }
}
