//! One call on the wire: token, attempts with per-attempt timeouts, retries with backoff inside
//! one call deadline, 401 → refresh and replay once, bounded body reads, decoding of the API's
//! envelope, and scrubbing of every error before it leaves.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{TokenCache, TokenInfo, TokenResponse};
use crate::body::{human_bytes, read_capped, BodyError};
use crate::config::Config;
use crate::error::{Attempt, Error, ErrorKind, Result};
use crate::redact::redact_json;
use crate::retry::{retry_after, retryable_status};

/// How a call authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// HTTP Basic with the client id and secret (the token endpoint).
    Basic,
    /// The cached bearer token.
    Bearer,
}

/// Which size cap applies to the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyLimit {
    /// An ordinary JSON answer (`max_response_bytes`).
    Json,
    /// A file download (`max_download_bytes`).
    Download,
}

/// A request to make: method, path segments (encoded here), query and a JSON body serialised
/// once, then shared by every attempt.
#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    pub segments: Vec<String>,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
    pub auth: Auth,
    pub limit: BodyLimit,
    /// The buyer data this call sends: masked wherever a server echoes it into an error.
    pub pii: Vec<String>,
}

impl Call {
    fn new(method: Method, segments: &[&str]) -> Call {
        Call {
            method,
            segments: segments.iter().map(|s| s.to_string()).collect(),
            query: Vec::new(),
            body: None,
            auth: Auth::Bearer,
            limit: BodyLimit::Json,
            pii: Vec::new(),
        }
    }
    pub(crate) fn get(segments: &[&str]) -> Call {
        Call::new(Method::GET, segments)
    }
    pub(crate) fn post(segments: &[&str]) -> Call {
        Call::new(Method::POST, segments)
    }
    pub(crate) fn query(mut self, key: &'static str, value: Option<impl ToString>) -> Call {
        if let Some(v) = value {
            self.query.push((key, v.to_string()));
        }
        self
    }
    /// Serialises `body` as the JSON request body (amounts keep every digit: see `money.rs`).
    pub(crate) fn json<T: Serialize>(mut self, body: &T) -> Result<Call> {
        let bytes = crate::model::money::wire_json(body)
            .map_err(|e| Error::validation("(root)", format!("cannot be written as JSON: {e}")))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }
    /// Declares the buyer's personal data sent with this call, so an error never repeats it.
    pub(crate) fn personal_data(mut self, buyer: &crate::model::Buyer) -> Call {
        self.pii.extend(
            [
                &buyer.tax_code,
                &buyer.email,
                &buyer.phone,
                &buyer.national_id,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        );
        self
    }
    pub(crate) fn download(mut self) -> Call {
        self.limit = BodyLimit::Download;
        self
    }
    fn path(&self) -> String {
        format!("/{}", self.segments.join("/"))
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(default)]
    success: Option<bool>,
    data: Option<T>,
    #[serde(default)]
    error: Option<ApiErrorBody>,
}

/// The envelope's outcome fields only: read first, so an answer with `success: false` is judged
/// by its error code whatever shape its `data` has.
#[derive(Deserialize)]
struct EnvelopeHead {
    #[serde(default)]
    success: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<ApiErrorBody>,
}

/// The envelope's `error`: an object with `code` and `message`, or (from some servers) a bare
/// message string.
#[derive(Default)]
struct ApiErrorBody {
    code: Option<String>,
    message: Option<String>,
}

impl<'de> Deserialize<'de> for ApiErrorBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(m) => ApiErrorBody {
                code: None,
                message: Some(m),
            },
            serde_json::Value::Object(o) => ApiErrorBody {
                code: text(o.get("code")),
                message: text(o.get("message")),
            },
            _ => ApiErrorBody::default(),
        })
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    error: Option<ApiErrorBody>,
    #[serde(default, deserialize_with = "lenient_string")]
    message: Option<String>,
}

/// A string, or `None` for any other JSON value (a server's error text must not fail decoding).
fn lenient_string<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

struct RawResponse {
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    location: Option<String>,
    body: Vec<u8>,
}

/// Why one exchange produced no response to judge.
enum SendError {
    Transport(reqwest::Error),
    Body(BodyError),
}

/// The start of an unreadable body, for the error. Kept long here and cut to 200 characters
/// only after scrubbing (see `Error::scrubbed`), so a secret cut in two is still recognised.
fn excerpt(body: &[u8]) -> String {
    let mut s = String::from_utf8_lossy(&body[..body.len().min(4096)]).into_owned();
    if body.len() > 4096 {
        s.push('…');
    }
    s
}

/// The outcome of one attempt that did not produce a value.
struct Failure {
    error: Error,
    retryable: bool,
    /// The server may have acted without us learning the result.
    ambiguous: bool,
    status: Option<u16>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
}

impl Failure {
    fn new(error: Error, retryable: bool, ambiguous: bool) -> Failure {
        Failure {
            error,
            retryable,
            ambiguous,
            status: None,
            request_id: None,
            retry_after: None,
        }
    }
    fn from(mut self, raw: &RawResponse) -> Failure {
        self.status = Some(raw.status.as_u16());
        self.request_id = raw.request_id.clone();
        self
    }
}

/// What one attempt produced.
enum Step<T> {
    Done(T),
    /// The cached token was rejected: refresh it and replay (once per call).
    ReplayAfter401(Attempt),
    Failed(Failure),
}

/// What a client is made of: its settings, its connection pool and its token cache. Shared (one
/// `Arc`) by every clone of a [`crate::Client`].
pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    pub(crate) tokens: TokenCache,
    pub(crate) accounts: crate::account::AccountCache,
    /// One permit per request on the wire ([`crate::ClientBuilder::max_in_flight`]).
    slots: tokio::sync::Semaphore,
    /// One permit per submission or wait poll at work, as many as `slots`: taken before the
    /// call builds its state (the checked request, its body, the exchange), so calls started
    /// far beyond `max_in_flight` queue holding little more than their request. Calls made
    /// within an admitted one (a token, an account read, a reconciliation) take only a slot.
    admitted: tokio::sync::Semaphore,
    /// How long this client's jobs stay pending, learned by its waits.
    pub(crate) job_timing: Arc<crate::job_timing::JobTiming>,
    /// When the API last answered 429: no request of this client starts before this instant,
    /// so concurrent calls back off together instead of each spending its own retries.
    calm_until: std::sync::Mutex<Option<Instant>>,
}

/// The client's TLS settings: rustls with the *ring* provider and the platform's certificate
/// verifier (the OS trust store), handed to reqwest ready-made. Nothing process-wide is read or
/// installed: a client works whether or not the application installed a default
/// `CryptoProvider`, and the application's own `CryptoProvider::install_default()` still succeeds
/// after clients were built.
fn tls_config() -> std::result::Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // What reqwest offers itself when built without HTTP/2.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

impl Inner {
    /// Sets up the connection pool for `config`.
    pub(crate) fn new(config: Config) -> Result<Inner> {
        let tls = tls_config().map_err(|e| {
            Error::new(ErrorKind::Connection, format!("could not set up TLS: {e}")).with_source(e)
        })?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(config.max_in_flight)
            .tcp_nodelay(true)
            // The API never redirects; a redirect is reported, never followed (it would carry
            // the token and the request body to another host).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Connection, format!("could not set up HTTP: {e}"))
                    .with_source(e)
            })?;
        let slots = tokio::sync::Semaphore::new(config.max_in_flight);
        let admitted = tokio::sync::Semaphore::new(config.max_in_flight);
        Ok(Inner {
            config,
            http,
            tokens: TokenCache::default(),
            accounts: crate::account::AccountCache::default(),
            job_timing: Arc::default(),
            slots,
            admitted,
            calm_until: std::sync::Mutex::new(None),
        })
    }

    /// Waits, inside `deadline`, until this client admits one more submission or wait poll
    /// (see `admitted`); the permit is held until dropped.
    pub(crate) async fn admit(
        &self,
        deadline: Instant,
    ) -> Result<tokio::sync::SemaphorePermit<'_>> {
        let permit = match self.admitted.try_acquire() {
            Ok(p) => Ok(Ok(p)),
            Err(_) => tokio::time::timeout_at(deadline, self.admitted.acquire()).await,
        };
        match permit {
            Ok(Ok(p)) => Ok(p),
            _ => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "not started within the call deadline: this client's {} places (max_in_flight) stayed taken; nothing was sent",
                    self.config.max_in_flight
                ),
            )),
        }
    }

    /// Runs `call` until it succeeds, fails for good, or `deadline` passes. Every error that
    /// leaves is scrubbed of secrets.
    pub(crate) async fn execute<T: DeserializeOwned>(
        self: &Arc<Self>,
        call: &Call,
        deadline: Instant,
    ) -> Result<T> {
        let span =
            tracing::debug_span!("sepay_einvoice.call", method = %call.method, path = %call.path());
        self.execute_inner(call, deadline)
            .instrument(span)
            .await
            .map_err(|e| e.scrubbed(&self.scrubber_for(call)))
    }

    async fn execute_inner<T: DeserializeOwned>(
        self: &Arc<Self>,
        call: &Call,
        deadline: Instant,
    ) -> Result<T> {
        let started = Instant::now();
        let mut history: Vec<Attempt> = Vec::new();
        let mut replayed_401 = false;
        let mut retry = 0u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("call deadline passed after {:.1?}", started.elapsed()),
                )
                .with_call(call.method.as_str(), &call.path())
                .with_elapsed(started.elapsed())
                .with_history(history));
            }
            // A 429 to any call of this client pauses every call until its back-off has passed.
            let calm = *self.calm_until.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(until) = calm.filter(|u| *u > Instant::now()) {
                tracing::debug!(wait = ?until.saturating_duration_since(Instant::now()), "the API asked this client to slow down: waiting");
                tokio::time::sleep_until(until.min(deadline)).await;
                continue;
            }
            let token = match call.auth {
                // A failed token fetch keeps its own method and path (POST /v1/token).
                Auth::Bearer => Some(self.bearer(deadline).await.map_err(|e| {
                    // No token, so this attempt sent nothing; an earlier one may have acted.
                    let earlier = history.iter().any(|a| a.ambiguous);
                    e.with_ambiguous(earlier)
                })?),
                Auth::Basic => None,
            };
            // A place on the wire, waited for inside the call's deadline; held for this
            // attempt only (not across back-offs). A free one is taken without a timer.
            let slot = match self.slots.try_acquire() {
                Ok(p) => Ok(Ok(p)),
                Err(_) => tokio::time::timeout_at(deadline, self.slots.acquire()).await,
            };
            let Ok(Ok(slot)) = slot else {
                let earlier = history.iter().any(|a| a.ambiguous);
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "no request slot free within the call deadline ({} requests of this client in flight)",
                        self.config.max_in_flight
                    ),
                )
                .with_ambiguous(earlier)
                .with_call(call.method.as_str(), &call.path())
                .with_elapsed(started.elapsed())
                .with_history(history));
            };
            let remaining = deadline.saturating_duration_since(Instant::now());
            let budget = self.config.attempt_timeout.min(remaining);
            let attempt_started = Instant::now();
            // Boxed: the exchange's room is taken once on the wire, so a call queued for a slot
            // (thousands, when callers start more than `max_in_flight`) stays small.
            let outcome =
                tokio::time::timeout(budget, Box::pin(self.send(call, token.as_deref()))).await;
            // Off the wire: the slot is free before any back-off below.
            drop(slot);
            let step = match outcome {
                Err(_) => Step::Failed(Failure::new(
                    Error::new(
                        ErrorKind::Timeout,
                        format!("no complete answer within {budget:.1?}"),
                    )
                    .with_elapsed(started.elapsed()),
                    true,
                    true,
                )),
                Ok(Err(e)) => Step::Failed(self.send_failure(e)),
                Ok(Ok(raw)) => {
                    tracing::debug!(
                        status = raw.status.as_u16(),
                        // Server-controlled: scrubbed like every other text it sends.
                        request_id = raw
                            .request_id
                            .as_deref()
                            .map(|r| self.scrubber_for(call).scrub(r)),
                        elapsed_ms = attempt_started.elapsed().as_millis() as u64,
                        "response"
                    );
                    self.judge(&raw, token.as_deref(), replayed_401)
                }
            };
            let failure = match step {
                Step::Done(v) => return Ok(v),
                Step::ReplayAfter401(attempt) => {
                    replayed_401 = true;
                    history.push(attempt);
                    tracing::debug!("401 with a cached token: refreshing and replaying once");
                    continue;
                }
                Step::Failed(f) => f,
            };
            let failure = Failure {
                error: failure.error.scrubbed(&self.scrubber_for(call)),
                ..failure
            };
            history.push(Attempt {
                status: failure.status,
                request_id: failure.request_id.clone(),
                outcome: failure.error.message().to_string(),
                delay: None,
                ambiguous: failure.ambiguous,
            });
            if failure.status == Some(429) {
                // Every call of this client waits out the API's back-off, retried or not.
                let pause = failure
                    .retry_after
                    .unwrap_or_else(|| self.config.retry.backoff(retry))
                    .min(self.config.retry.max_retry_after);
                let until = crate::clock::after(Instant::now(), pause);
                let mut calm = self.calm_until.lock().unwrap_or_else(|e| e.into_inner());
                *calm = Some(calm.map_or(until, |c| c.max(until)));
            }
            let finish = |e: Error, history: Vec<Attempt>| {
                Err(e
                    .with_call(call.method.as_str(), &call.path())
                    .with_request_id(failure.request_id.clone())
                    .with_history(history))
            };
            if !failure.retryable || retry >= self.config.retry.max_retries {
                return finish(failure.error, history);
            }
            let Some(delay) = self.config.retry.delay(retry, failure.retry_after) else {
                tracing::debug!(?failure.retry_after, "Retry-After longer than the SDK waits; giving up");
                return finish(failure.error, history);
            };
            if crate::clock::after(Instant::now(), delay) >= deadline {
                tracing::debug!(
                    ?delay,
                    "no time left in the call deadline for another attempt"
                );
                return finish(failure.error, history);
            }
            if let Some(last) = history.last_mut() {
                last.delay = Some(delay);
            }

            tracing::info!(
                attempt = history.len(),
                ?delay,
                reason = failure.error.message(),
                "retrying"
            );
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    /// Classifies a transport or body-read failure.
    fn send_failure(&self, e: SendError) -> Failure {
        match e {
            SendError::Transport(e) => {
                // A refused connect never reached the server; anything later might have.
                let e = e.without_url();
                let (msg, ambiguous) = if e.is_connect() {
                    ("could not connect", false)
                } else {
                    ("connection failed", true)
                };
                Failure::new(
                    Error::new(ErrorKind::Connection, format!("{msg}: {}", error_chain(&e)))
                        .with_source(e),
                    true,
                    ambiguous,
                )
            }
            SendError::Body(BodyError::Transport(e)) => {
                let e = e.without_url();
                Failure::new(
                    Error::new(
                        ErrorKind::Connection,
                        format!(
                            "connection failed while reading the answer: {}",
                            error_chain(&e)
                        ),
                    )
                    .with_source(e),
                    true,
                    true,
                )
            }
            SendError::Body(BodyError::TooLarge { limit, declared }) => {
                let setting = "max_response_bytes / max_download_bytes";
                let said = declared.map_or(String::new(), |n| format!(" (it announced {n} bytes)"));
                // Too large is unreadable: retried like a garbled answer, and just as ambiguous.
                Failure::new(
                    Error::new(
                        ErrorKind::Decode,
                        format!(
                            "response body is larger than the {} limit{said}; the connection was discarded (raise {setting} if the answer is legitimate)",
                            human_bytes(limit as u64)
                        ),
                    ),
                    true,
                    true,
                )
            }
        }
    }

    /// Judges a response: a value, a 401 to replay, or a failure.
    fn judge<T: DeserializeOwned>(
        &self,
        raw: &RawResponse,
        token: Option<&str>,
        replayed_401: bool,
    ) -> Step<T> {
        let status = raw.status.as_u16();
        if raw.status.is_success() {
            return match decode::<T>(raw) {
                Ok(v) => Step::Done(v),
                Err(Decoded::Refused(error)) => {
                    // `success: false`: the API answered; its code decides.
                    let kind = error.kind();
                    Step::Failed(
                        Failure::new(
                            error,
                            matches!(kind, ErrorKind::Server | ErrorKind::RateLimited),
                            kind == ErrorKind::Server,
                        )
                        .from(raw),
                    )
                }
                Err(Decoded::Unreadable(error)) => {
                    Step::Failed(Failure::new(error, true, true).from(raw))
                }
            };
        }
        if raw.status.is_redirection() {
            // The API never redirects; following one would send the body (buyer data) and the
            // token to wherever the answer points.
            let target = raw
                .location
                .as_deref()
                .map(|l| format!(" to {:?}", crate::redact::Scrubber::default().scrub(l)))
                .unwrap_or_default();
            let error = Error::new(
                ErrorKind::Decode,
                format!(
                    "unexpected redirect: HTTP {status}{target}; the SePay API does not redirect, so the SDK does not follow it (check base_url)"
                ),
            )
            .with_status(status);
            return Step::Failed(Failure::new(error, false, true).from(raw));
        }
        if status == 401 && !replayed_401 {
            if let Some(t) = token {
                // The token may have expired early or been revoked: drop it, fetch a new one,
                // replay once.
                self.tokens.invalidate(t);
                return Step::ReplayAfter401(Attempt {
                    status: Some(401),
                    request_id: raw.request_id.clone(),
                    outcome: "token rejected; refreshing and replaying".into(),
                    delay: None,
                    ambiguous: false,
                });
            }
        }
        let error = api_error(raw);
        let mut f = Failure::new(
            error,
            retryable_status(status),
            status >= 500 || status == 408,
        )
        .from(raw);
        f.retry_after = raw.retry_after;
        Step::Failed(f)
    }

    /// One HTTP exchange, reading the whole body within its size cap.
    async fn send(
        &self,
        call: &Call,
        token: Option<&str>,
    ) -> std::result::Result<RawResponse, SendError> {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty();
            // `push` percent-encodes each segment; validation already refused `.`/`..`.
            for s in &call.segments {
                segs.push(s);
            }
        }
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut req = self
            .http
            .request(call.method.clone(), url)
            .header(reqwest::header::ACCEPT, "application/json");
        req = match (call.auth, token) {
            (Auth::Basic, _) => {
                req.basic_auth(&self.config.client_id, Some(&self.config.client_secret.0))
            }
            (Auth::Bearer, Some(t)) => req.bearer_auth(t),
            (Auth::Bearer, None) => req,
        };
        if let Some(body) = &call.body {
            if tracing::enabled!(tracing::Level::TRACE) {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
                    tracing::trace!(body = %redact_json(&v), "request body");
                }
            }
            req = req
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let resp = req.send().await.map_err(SendError::Transport)?;
        let status = resp.status();
        let headers = resp.headers();
        let request_id = headers
            .get("x-request-id")
            .or_else(|| headers.get("request-id"))
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(128).collect());
        let retry_after = retry_after(headers);
        let location = headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        let limit = match call.limit {
            BodyLimit::Json => self.config.max_response_bytes,
            BodyLimit::Download => self.config.max_download_bytes,
        };
        let body = read_capped(resp, limit).await.map_err(SendError::Body)?;
        Ok(RawResponse {
            status,
            request_id,
            retry_after,
            location,
            body,
        })
    }

    /// The bearer token, fetching one if needed (bounded by the caller's deadline).
    pub(crate) async fn bearer(self: &Arc<Self>, deadline: Instant) -> Result<Arc<str>> {
        self.token(deadline).await.map(|(t, _)| t)
    }

    /// A valid token: the cached one, or the result of the one fetch in flight (started here
    /// when none is). The fetch runs on its own task with its own deadline, so a caller whose
    /// deadline is shorter gives up waiting at its deadline without cancelling it for others.
    pub(crate) async fn token(
        self: &Arc<Self>,
        deadline: Instant,
    ) -> Result<(Arc<str>, TokenInfo)> {
        let inner = self.clone();
        self.tokens
            .get(deadline, move || {
                Box::pin(async move {
                    let fetch_deadline =
                        crate::clock::after(Instant::now(), inner.config.call_timeout);
                    inner.fetch_token(fetch_deadline).await
                })
            })
            .await
            .map_err(|e| e.scrubbed(&self.scrubber()))
    }

    // Boxed: the token call goes through `execute`, which itself asks for tokens.
    fn fetch_token(
        self: Arc<Self>,
        deadline: Instant,
    ) -> Pin<Box<dyn Future<Output = Result<TokenResponse>> + Send>> {
        Box::pin(async move {
            let mut call = Call::post(&["v1", "token"]);
            call.auth = Auth::Basic;
            tracing::debug!("fetching an access token");
            let resp = self.execute::<TokenResponse>(&call, deadline).await?;
            resp.check().map_err(|e| e.with_call("POST", "/v1/token"))?;
            Ok(resp)
        })
    }

    /// [`Inner::scrubber`] plus the buyer data `call` sends.
    pub(crate) fn scrubber_for(&self, call: &Call) -> crate::redact::Scrubber {
        self.scrubber().with_personal_data(call.pii.iter().cloned())
    }

    /// A scrubber for this client's secrets: client secret, Basic credentials, URL password
    /// and the tokens it has held.
    pub(crate) fn scrubber(&self) -> crate::redact::Scrubber {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.config.client_id, self.config.client_secret.0
        ));
        let mut secrets = vec![self.config.client_secret.0.clone(), basic];
        if let Some(p) = self.config.base_url.password() {
            secrets.push(p.to_string());
        }
        secrets.extend(self.tokens.recent().iter().map(|t| t.to_string()));
        crate::redact::Scrubber::new(secrets)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// A server's message, cut to a length an error can carry (a hostile server could send
/// megabytes of it).
fn server_text(s: Option<String>) -> Option<String> {
    s.map(|m| crate::redact::shorten(&m, 1000))
}

/// Why a 2xx answer gave no value.
enum Decoded {
    /// `success: false`: the API refused, with its code.
    Refused(Error),
    /// The body could not be read as the expected envelope.
    Unreadable(Error),
}

fn decode<T: DeserializeOwned>(raw: &RawResponse) -> std::result::Result<T, Decoded> {
    let fail = |msg: String| {
        Decoded::Unreadable(
            Error::new(ErrorKind::Decode, msg)
                .with_status(raw.status.as_u16())
                .with_excerpt(excerpt(&raw.body))
                .with_request_id(raw.request_id.clone()),
        )
    };
    // The usual answer, read once: `success` not false and `data` of the expected shape.
    if let Ok(Envelope {
        success: None | Some(true),
        data: Some(data),
        ..
    }) = serde_json::from_slice::<Envelope<T>>(&raw.body)
    {
        return Ok(data);
    }
    // Anything else is read with care. The outcome first: a refusal is judged by its code,
    // whatever shape `data` has.
    if let Ok(head) = serde_json::from_slice::<EnvelopeHead>(&raw.body) {
        if head.success == Some(serde_json::Value::Bool(false)) {
            let err = head.error.unwrap_or_default();
            let kind = err
                .code
                .as_deref()
                .and_then(ErrorKind::from_api_code)
                .unwrap_or(ErrorKind::BadRequest);
            return Err(Decoded::Refused(
                Error::new(
                    kind,
                    server_text(err.message).unwrap_or_else(|| "the API reported a failure".into()),
                )
                .with_status(raw.status.as_u16())
                .with_api_code(err.code)
                .with_request_id(raw.request_id.clone())
                .with_catalogue_advice(),
            ));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(&raw.body);
    let env: Envelope<T> = match serde_path_to_error::deserialize(&mut de) {
        Ok(env) => env,
        Err(e) => {
            let at = e.path().to_string();
            let what = crate::validate::describe_serde_error(e.inner());
            return Err(fail(if at == "." {
                format!("unreadable response body: {what}")
            } else {
                format!("unreadable response body at {at}: {what}")
            }));
        }
    };
    if env.success == Some(false) {
        // Unreachable in practice (handled above); kept so a refusal is never read as data.
        let err = env.error.unwrap_or_default();
        return Err(Decoded::Refused(
            Error::new(
                ErrorKind::BadRequest,
                err.message
                    .unwrap_or_else(|| "the API reported a failure".into()),
            )
            .with_status(raw.status.as_u16())
            .with_api_code(err.code),
        ));
    }
    env.data
        .ok_or_else(|| fail("response has no \"data\"".into()))
}

fn api_error(raw: &RawResponse) -> Error {
    let status = raw.status.as_u16();
    let parsed: Option<ErrorEnvelope> = serde_json::from_slice(&raw.body).ok();
    let unreadable = parsed.is_none();
    let (code, message) = match parsed {
        Some(ErrorEnvelope { error: Some(e), .. }) => (e.code, e.message),
        Some(ErrorEnvelope {
            error: None,
            message,
        }) => (None, message),
        None => (None, None),
    };
    let message = server_text(message).unwrap_or_else(|| {
        format!(
            "HTTP {status} {}",
            raw.status.canonical_reason().unwrap_or("")
        )
        .trim()
        .to_string()
    });
    let mut e = Error::new(ErrorKind::from_status(status, code.as_deref()), message)
        .with_status(status)
        .with_api_code(code)
        .with_request_id(raw.request_id.clone())
        .with_retry_after(raw.retry_after)
        .with_catalogue_advice();
    if unreadable {
        e = e.with_excerpt(excerpt(&raw.body));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn admission_queues_within_the_deadline_and_names_the_limit() {
        let config = crate::Client::builder()
            .ignore_env()
            .base_url("http://127.0.0.1:9")
            .client_id("a")
            .client_secret("b")
            .max_in_flight(1)
            .into_config()
            .unwrap();
        let inner = Inner::new(config).unwrap();
        let held = inner
            .admit(Instant::now())
            .await
            .expect("a free place is taken at once");
        let soon = Instant::now() + Duration::from_millis(50);
        let e = inner
            .admit(soon)
            .await
            .expect_err("no place within the deadline");
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(!e.is_ambiguous(), "{e}");
        assert!(
            e.to_string().contains("1 places (max_in_flight)")
                && e.to_string().contains("nothing was sent"),
            "{e}"
        );
        drop(held);
        let later = Instant::now() + Duration::from_millis(50);
        let _again = inner.admit(later).await.expect("the place is free again");
    }

    fn raw(status: u16, body: &str) -> RawResponse {
        RawResponse {
            status: StatusCode::from_u16(status).unwrap(),
            request_id: None,
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_refusal_in_a_200_is_mapped_by_its_code() {
        let r = raw(
            200,
            r#"{"success":false,"error":{"code":"QUOTA_EXCEEDED","message":"hết hạn ngạch"}}"#,
        );
        match decode::<serde_json::Value>(&r) {
            Err(Decoded::Refused(e)) => {
                assert_eq!(e.kind(), ErrorKind::QuotaExceeded);
                assert_eq!(e.api_code(), Some("QUOTA_EXCEEDED"));
            }
            _ => panic!("expected a refusal"),
        }
        let r = raw(
            200,
            r#"{"success":false,"data":[1,2],"error":{"code":"X"}}"#,
        );
        assert!(matches!(
            decode::<String>(&r),
            Err(Decoded::Refused(e)) if e.kind() == ErrorKind::BadRequest
        ));
    }

    #[test]
    fn unreadable_answers_name_the_place_not_the_value() {
        let r = raw(200, r#"{"success":true,"data":{"access_token":12345678}}"#);
        match decode::<TokenResponse>(&r) {
            Err(Decoded::Unreadable(e)) => {
                assert!(e.message().contains("data.access_token"), "{}", e.message());
                assert!(!e.message().contains("12345678"), "{}", e.message());
            }
            _ => panic!("expected an unreadable answer"),
        }
    }

    #[test]
    fn excerpts_are_short_once_scrubbed() {
        let big = "x".repeat(10_000);
        let e = Error::new(ErrorKind::Decode, "x").with_excerpt(excerpt(big.as_bytes()));
        let e = e.scrubbed(&crate::redact::Scrubber::default());
        assert!(e.body_excerpt().unwrap().chars().count() <= 201);
    }
}
