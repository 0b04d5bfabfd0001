//! Client configuration: credentials, environment, base URL and limits, with environment-variable
//! fallbacks.

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// Environment variable holding the client id.
pub const ENV_CLIENT_ID: &str = "SEPAY_EINVOICE_CLIENT_ID";
/// Environment variable holding the client secret.
pub const ENV_CLIENT_SECRET: &str = "SEPAY_EINVOICE_CLIENT_SECRET";
/// Environment variable selecting `sandbox` or `production`.
pub const ENV_ENVIRONMENT: &str = "SEPAY_EINVOICE_ENV";
/// Environment variable overriding the base URL (how tests reach the mock). It wins over
/// [`ENV_ENVIRONMENT`], never over an explicit [`ClientBuilder::environment`] or
/// [`ClientBuilder::base_url`].
pub const ENV_BASE_URL: &str = "SEPAY_EINVOICE_BASE_URL";

/// Which SePay deployment to talk to. Each has its own credentials.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Environment {
    /// `https://einvoice-api-sandbox.sepay.vn`: simulated, nothing reaches the tax authority.
    #[default]
    Sandbox,
    /// `https://einvoice-api.sepay.vn`: real invoices.
    Production,
}

impl Environment {
    /// The environment's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Environment::Sandbox => "https://einvoice-api-sandbox.sepay.vn",
            Environment::Production => "https://einvoice-api.sepay.vn",
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Ok(Environment::Sandbox),
            "production" | "prod" => Ok(Environment::Production),
            other => Err(Error::validation(
                "environment",
                format!("must be \"sandbox\" or \"production\", got {other:?}"),
            )),
        }
    }
}

/// A secret string that never shows in `Debug` or `Display`.
#[derive(Clone, Default)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Default time allowed for one attempt (see [`ClientBuilder::timeout`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed to open a connection (see [`ClientBuilder::connect_timeout`]).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default deadline of one call (see [`ClientBuilder::call_timeout`]).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Default cap on a JSON answer (see [`ClientBuilder::max_response_bytes`]).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// Default cap on a download answer (see [`ClientBuilder::max_download_bytes`]).
pub const DEFAULT_MAX_DOWNLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Settings of a built client.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub base_url: Url,
    /// `base_url` for display: a password in its userinfo replaced by `***`.
    pub display_base_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
    pub call_timeout: Duration,
    pub retry: RetryPolicy,
    pub user_agent: String,
    pub max_response_bytes: usize,
    pub max_download_bytes: usize,
    /// Check requests against the provider account before sending.
    pub account_checks: bool,
    /// How long a provider account read for those checks is reused.
    pub account_cache_ttl: Duration,
    /// Extendable rules' warnings are errors.
    pub strict_rules: bool,
    /// Requests of this client on the wire at once, at most (so at most this many connections).
    pub max_in_flight: usize,
}

/// How long a provider account read for the pre-send checks is reused (5 minutes).
pub const DEFAULT_ACCOUNT_CACHE_TTL: Duration = Duration::from_secs(300);

/// Requests of one client on the wire at once, by default (the pool size of aiohttp and httpx).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 100;

/// Builds a [`crate::Client`]. Unset credentials and settings fall back to the environment
/// variables [`ENV_CLIENT_ID`], [`ENV_CLIENT_SECRET`], [`ENV_ENVIRONMENT`] and [`ENV_BASE_URL`].
///
/// Where requests go: an explicit setting wins over every environment variable, and at the same
/// level a base URL wins over an environment. So the first of [`ClientBuilder::base_url`],
/// [`ClientBuilder::environment`], `SEPAY_EINVOICE_BASE_URL`, `SEPAY_EINVOICE_ENV`, sandbox.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    client_id: Option<String>,
    client_secret: Option<Secret>,
    environment: Option<Environment>,
    base_url: Option<String>,
    attempt_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    retry: RetryPolicy,
    max_response_bytes: Option<usize>,
    max_download_bytes: Option<usize>,
    binding: Option<String>,
    app_info: Option<String>,
    ignore_env: bool,
    no_account_checks: bool,
    account_cache_ttl: Option<Duration>,
    strict_rules: bool,
    max_in_flight: Option<usize>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("environment", &self.environment)
            .field(
                "base_url",
                &self.base_url.as_deref().map(|u| {
                    let mut u = u.to_string();
                    crate::redact::Scrubber::default().apply(&mut u);
                    u
                }),
            )
            .field("attempt_timeout", &self.attempt_timeout)
            .field("call_timeout", &self.call_timeout)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// Whether a create, replace or adjust is first checked against its provider account
    /// (active; the template/series pair is one of its templates; the invoice is not dated before
    /// the tax authority's approval). On by default; the account is read at most once per
    /// [`ClientBuilder::account_cache_ttl`]. When it cannot be read, the request is sent anyway
    /// and the API decides.
    pub fn account_checks(mut self, on: bool) -> Self {
        self.no_account_checks = !on;
        self
    }

    /// At most this many requests of this client are on the wire at once (default
    /// [`DEFAULT_MAX_IN_FLIGHT`]), so it never opens more connections than that, however many
    /// calls and waits run together: the others queue, inside their own deadlines. A call that
    /// finds no free place before its deadline is a [`crate::ErrorKind::Timeout`] that sent
    /// nothing. Zero is a validation error naming `max_in_flight`.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = Some(n);
        self
    }

    /// How long a provider account read for the pre-send checks is reused (default
    /// [`DEFAULT_ACCOUNT_CACHE_TTL`]).
    pub fn account_cache_ttl(mut self, ttl: Duration) -> Self {
        self.account_cache_ttl = Some(ttl);
        self
    }

    /// Strict mode: rules whose legal basis may be extended (the 8 % VAT window) are errors
    /// instead of warnings.
    pub fn strict_rules(mut self, on: bool) -> Self {
        self.strict_rules = on;
        self
    }

    /// The client id issued by SePay.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }
    /// The client secret issued by SePay.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(Secret(secret.into()));
        self
    }
    /// Sandbox (default) or production. Wins over both `SEPAY_EINVOICE_ENV` and
    /// `SEPAY_EINVOICE_BASE_URL`; only an explicit [`ClientBuilder::base_url`] wins over it.
    pub fn environment(mut self, env: Environment) -> Self {
        self.environment = Some(env);
        self
    }
    /// A base URL that wins over the environment, explicit or not (for the mock server, or a
    /// proxy). Must be HTTPS unless it points at a loopback address.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    /// Time allowed for one attempt: connect, send and read the whole body (default 30 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.attempt_timeout = Some(d);
        self
    }
    /// Time allowed to open a connection (default 5 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }
    /// One deadline per call, bounding every attempt, token fetch and backoff sleep (default 120 s).
    pub fn call_timeout(mut self, d: Duration) -> Self {
        self.call_timeout = Some(d);
        self
    }
    /// Retries after the first attempt (default 2; 0 disables retries).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.retry.max_retries = n;
        self
    }
    /// Largest JSON answer the client reads, in bytes (default 8 MiB). A longer body — or an
    /// endless one — ends the attempt with a [`crate::ErrorKind::Decode`] error as soon as the
    /// limit is passed, and its connection is discarded, so memory stays bounded whatever a
    /// server sends.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = Some(n);
        self
    }
    /// Largest download answer (`download_invoice`: base64 of the PDF or XML inside JSON), in
    /// bytes (default 64 MiB).
    pub fn max_download_bytes(mut self, n: usize) -> Self {
        self.max_download_bytes = Some(n);
        self
    }
    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }
    /// Names the language binding in the `User-Agent` (set by the Python and Node packages).
    pub fn binding(mut self, binding: impl Into<String>) -> Self {
        self.binding = Some(binding.into());
        self
    }
    /// Names your application in the `User-Agent` (`"my-shop/1.2"`).
    pub fn app_info(mut self, info: impl Into<String>) -> Self {
        self.app_info = Some(info.into());
        self
    }
    /// Do not read environment variables for unset settings.
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    pub(crate) fn into_config(self) -> Result<Config> {
        self.into_config_with(&|name| std::env::var(name).ok())
    }

    /// [`ClientBuilder::into_config`] reading environment variables through `lookup` (tests pass
    /// their own instead of changing the process's environment).
    fn into_config_with(self, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
        let env = |name: &str| -> Option<String> {
            if self.ignore_env {
                return None;
            }
            lookup(name).filter(|v| !v.trim().is_empty())
        };
        let client_id = self
            .client_id
            .clone()
            .or_else(|| env(ENV_CLIENT_ID))
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                Error::validation(
                    "client_id",
                    format!("is required: pass it or set {ENV_CLIENT_ID}"),
                )
            })?;
        let client_secret = self
            .client_secret
            .clone()
            .or_else(|| env(ENV_CLIENT_SECRET).map(Secret))
            .filter(|s| !s.0.trim().is_empty())
            .ok_or_else(|| {
                Error::validation(
                    "client_secret",
                    format!("is required: pass it or set {ENV_CLIENT_SECRET}"),
                )
            })?;
        // Explicit settings win over environment variables; at the same level a base URL wins
        // over an environment. A malformed SEPAY_EINVOICE_ENV is reported unless an explicit
        // environment replaces it.
        let env_environment = match self.environment {
            Some(_) => None,
            None => env(ENV_ENVIRONMENT)
                .map(|s| s.parse::<Environment>())
                .transpose()?,
        };
        let raw = match (&self.base_url, self.environment) {
            (Some(url), _) => url.clone(),
            (None, Some(e)) => e.base_url().to_string(),
            (None, None) => env(ENV_BASE_URL).unwrap_or_else(|| {
                env_environment
                    .unwrap_or(Environment::Sandbox)
                    .base_url()
                    .to_string()
            }),
        };
        let base_url = parse_base_url(&raw)?;
        for (field, n) in [
            ("max_response_bytes", self.max_response_bytes),
            ("max_download_bytes", self.max_download_bytes),
            ("max_in_flight", self.max_in_flight),
        ] {
            if n == Some(0) {
                return Err(Error::validation(field, "must be greater than zero"));
            }
        }
        for (field, d) in [
            ("timeout", self.attempt_timeout),
            ("connect_timeout", self.connect_timeout),
            ("call_timeout", self.call_timeout),
        ] {
            if d.is_some_and(|d| d.is_zero()) {
                return Err(Error::validation(field, "must be greater than zero"));
            }
        }
        let mut user_agent = format!(
            "sepay-einvoice/{} ({}; {}; {})",
            env!("CARGO_PKG_VERSION"),
            self.binding.as_deref().unwrap_or("rust"),
            std::env::consts::OS,
            std::env::consts::ARCH
        );
        if let Some(app) = &self.app_info {
            user_agent.push(' ');
            user_agent.push_str(app);
        }
        Ok(Config {
            display_base_url: crate::redact::display_url(&base_url),
            base_url,
            client_id,
            client_secret,
            attempt_timeout: self.attempt_timeout.unwrap_or(DEFAULT_TIMEOUT),
            connect_timeout: self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
            call_timeout: self.call_timeout.unwrap_or(DEFAULT_CALL_TIMEOUT),
            retry: self.retry,
            user_agent,
            max_response_bytes: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            max_download_bytes: self
                .max_download_bytes
                .unwrap_or(DEFAULT_MAX_DOWNLOAD_BYTES),
            account_checks: !self.no_account_checks,
            account_cache_ttl: self.account_cache_ttl.unwrap_or(DEFAULT_ACCOUNT_CACHE_TTL),
            strict_rules: self.strict_rules,
            max_in_flight: self.max_in_flight.unwrap_or(DEFAULT_MAX_IN_FLIGHT),
        })
    }
}

/// Parses a base URL, requiring HTTPS except on loopback (the mock server).
fn parse_base_url(raw: &str) -> Result<Url> {
    let url = Url::parse(raw.trim()).map_err(|e| {
        let mut shown = raw.to_string();
        crate::redact::Scrubber::default().apply(&mut shown);
        Error::validation("base_url", format!("is not a URL ({e}): {shown:?}"))
    })?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(Error::validation("base_url", "must use https (plain http is allowed only for loopback addresses such as the mock server)")),
        other => Err(Error::validation("base_url", format!("unsupported scheme {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_required_except_loopback() {
        assert!(parse_base_url("https://einvoice-api.sepay.vn").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:1").is_ok());
        assert!(parse_base_url("http://[::1]:1").is_ok());
        assert_eq!(
            parse_base_url("http://example.com").unwrap_err().field(),
            Some("base_url")
        );
    }

    /// `into_config` with `vars` as the only environment variables.
    fn config_with(b: ClientBuilder, vars: &[(&str, &str)]) -> Result<Config> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        b.client_id("id")
            .client_secret("secret")
            .into_config_with(&move |name| {
                vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            })
    }

    fn base_url_with(b: ClientBuilder, vars: &[(&str, &str)]) -> String {
        config_with(b, vars).unwrap().base_url.to_string()
    }

    const SANDBOX: &str = "https://einvoice-api-sandbox.sepay.vn/";
    const PRODUCTION: &str = "https://einvoice-api.sepay.vn/";
    const MOCK: &str = "http://127.0.0.1:9999/";

    #[test]
    fn explicit_environment_wins_over_the_base_url_variable() {
        let b = ClientBuilder::default().environment(Environment::Production);
        assert_eq!(
            base_url_with(b.clone(), &[(ENV_BASE_URL, MOCK)]),
            PRODUCTION
        );
        // ... and over SEPAY_EINVOICE_ENV, malformed or not.
        let vars = [(ENV_BASE_URL, MOCK), (ENV_ENVIRONMENT, "sandbox")];
        assert_eq!(base_url_with(b.clone(), &vars), PRODUCTION);
        assert_eq!(base_url_with(b, &[(ENV_ENVIRONMENT, "nope")]), PRODUCTION);
        let b = ClientBuilder::default().environment(Environment::Sandbox);
        assert_eq!(base_url_with(b, &[(ENV_BASE_URL, MOCK)]), SANDBOX);
    }

    #[test]
    fn explicit_base_url_wins_over_everything() {
        let b = ClientBuilder::default()
            .base_url("http://localhost:1234")
            .environment(Environment::Production);
        let vars = [(ENV_BASE_URL, MOCK), (ENV_ENVIRONMENT, "production")];
        assert_eq!(base_url_with(b, &vars), "http://localhost:1234/");
    }

    #[test]
    fn base_url_variable_wins_over_environment_variable() {
        let vars = [(ENV_BASE_URL, MOCK), (ENV_ENVIRONMENT, "production")];
        assert_eq!(base_url_with(ClientBuilder::default(), &vars), MOCK);
        let vars = [(ENV_ENVIRONMENT, "production")];
        assert_eq!(base_url_with(ClientBuilder::default(), &vars), PRODUCTION);
        assert_eq!(base_url_with(ClientBuilder::default(), &[]), SANDBOX);
        // An empty variable counts as unset.
        let vars = [(ENV_BASE_URL, " "), (ENV_ENVIRONMENT, "prod")];
        assert_eq!(base_url_with(ClientBuilder::default(), &vars), PRODUCTION);
    }

    #[test]
    fn malformed_environment_variable_is_reported() {
        let vars = [(ENV_ENVIRONMENT, "staging")];
        let e = config_with(ClientBuilder::default(), &vars).unwrap_err();
        assert_eq!(e.field(), Some("environment"));
        // Even when SEPAY_EINVOICE_BASE_URL decides the URL: a typo must not pass silently.
        let vars = [(ENV_ENVIRONMENT, "staging"), (ENV_BASE_URL, MOCK)];
        let e = config_with(ClientBuilder::default(), &vars).unwrap_err();
        assert_eq!(e.field(), Some("environment"));
    }

    #[test]
    fn ignore_env_reads_no_variable() {
        let vars = [(ENV_BASE_URL, MOCK), (ENV_ENVIRONMENT, "staging")];
        assert_eq!(
            base_url_with(ClientBuilder::default().ignore_env(), &vars),
            SANDBOX
        );
    }

    #[test]
    fn missing_credentials_name_the_field() {
        let e = ClientBuilder::default()
            .ignore_env()
            .into_config()
            .unwrap_err();
        assert_eq!(e.field(), Some("client_id"));
        let e = ClientBuilder::default()
            .ignore_env()
            .client_id("x")
            .into_config()
            .unwrap_err();
        assert_eq!(e.field(), Some("client_secret"));
    }
}
