//! One call on the wire: token, attempts with per-attempt timeouts, retries with backoff inside
//! one call deadline, 401 → refresh and replay once, decoding of the API's envelope.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tokio::time::Instant;
use tracing::Instrument;

use crate::auth::{TokenInfo, TokenResponse};
use crate::client::Inner;
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

/// A request to make: method, path segments (encoded here), query and JSON body.
#[derive(Debug)]
pub(crate) struct Call {
    pub method: Method,
    pub segments: Vec<String>,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<serde_json::Value>,
    pub auth: Auth,
}

impl Call {
    pub(crate) fn get(segments: &[&str]) -> Call {
        Call {
            method: Method::GET,
            segments: segments.iter().map(|s| s.to_string()).collect(),
            query: Vec::new(),
            body: None,
            auth: Auth::Bearer,
        }
    }
    pub(crate) fn post(segments: &[&str], body: Option<serde_json::Value>) -> Call {
        Call {
            method: Method::POST,
            segments: segments.iter().map(|s| s.to_string()).collect(),
            query: Vec::new(),
            body,
            auth: Auth::Bearer,
        }
    }
    pub(crate) fn query(mut self, key: &'static str, value: Option<impl ToString>) -> Call {
        if let Some(v) = value {
            self.query.push((key, v.to_string()));
        }
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

#[derive(Deserialize, Default)]
struct ApiErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    #[serde(default)]
    error: Option<ApiErrorBody>,
    #[serde(default)]
    message: Option<String>,
}

struct RawResponse {
    status: StatusCode,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

fn excerpt(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let mut out: String = s.chars().take(200).collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
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

impl Inner {
    /// Runs `call` until it succeeds, fails for good, or `deadline` passes.
    pub(crate) async fn execute<T: DeserializeOwned>(
        &self,
        call: &Call,
        deadline: Instant,
    ) -> Result<T> {
        let span =
            tracing::debug_span!("sepay_einvoice.call", method = %call.method, path = %call.path());
        self.execute_inner(call, deadline).instrument(span).await
    }

    async fn execute_inner<T: DeserializeOwned>(
        &self,
        call: &Call,
        deadline: Instant,
    ) -> Result<T> {
        let started = Instant::now();
        let path = call.path();
        let method = call.method.as_str().to_string();
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
                .with_call(&method, &path)
                .with_elapsed(started.elapsed())
                .with_history(history));
            }
            let token = match call.auth {
                // A failed token fetch keeps its own method and path (POST /v1/token).
                Auth::Bearer => Some(self.bearer(deadline).await?),
                Auth::Basic => None,
            };
            let budget = self.config.attempt_timeout.min(remaining);
            let attempt_started = Instant::now();
            let outcome = tokio::time::timeout(budget, self.send(call, token.as_deref())).await;
            let failure = match outcome {
                Err(_) => Failure {
                    error: Error::new(
                        ErrorKind::Timeout,
                        format!("no complete answer within {budget:.1?}"),
                    )
                    .with_elapsed(started.elapsed()),
                    retryable: true,
                    ambiguous: true,
                    status: None,
                    request_id: None,
                    retry_after: None,
                },
                Ok(Err(e)) => {
                    // A refused connect never reached the server; anything later might have.
                    let ambiguous = !e.is_connect();
                    let msg = if e.is_connect() {
                        "could not connect"
                    } else {
                        "connection failed"
                    };
                    Failure {
                        error: Error::new(
                            ErrorKind::Connection,
                            format!("{msg}: {}", error_chain(&e)),
                        )
                        .with_source(e),
                        retryable: true,
                        ambiguous,
                        status: None,
                        request_id: None,
                        retry_after: None,
                    }
                }
                Ok(Ok(raw)) => {
                    tracing::debug!(
                        status = raw.status.as_u16(),
                        request_id = raw.request_id.as_deref(),
                        elapsed_ms = attempt_started.elapsed().as_millis() as u64,
                        "response"
                    );
                    if raw.status.is_success() {
                        match decode::<T>(&raw) {
                            Ok(v) => return Ok(v),
                            Err(error) => Failure {
                                error,
                                retryable: true,
                                ambiguous: true,
                                status: Some(raw.status.as_u16()),
                                request_id: raw.request_id,
                                retry_after: None,
                            },
                        }
                    } else {
                        let status = raw.status.as_u16();
                        if status == 401 && !replayed_401 {
                            if let Some(t) = &token {
                                // The token may have expired early or been revoked: drop it, fetch a new one, replay once.
                                self.tokens.invalidate(t);
                                replayed_401 = true;
                                history.push(Attempt {
                                    status: Some(401),
                                    request_id: raw.request_id.clone(),
                                    outcome: "token rejected; refreshing and replaying".into(),
                                    delay: None,
                                    ambiguous: false,
                                });
                                tracing::debug!(
                                    "401 with a cached token: refreshing and replaying once"
                                );
                                continue;
                            }
                        }
                        let error = api_error(&raw);
                        Failure {
                            retryable: retryable_status(status),
                            ambiguous: status >= 500 || status == 408,
                            status: Some(status),
                            request_id: raw.request_id,
                            retry_after: raw.retry_after,
                            error,
                        }
                    }
                }
            };
            history.push(Attempt {
                status: failure.status,
                request_id: failure.request_id.clone(),
                outcome: failure.error.message().to_string(),
                delay: None,
                ambiguous: failure.ambiguous,
            });
            let finish = |e: Error, history: Vec<Attempt>| {
                Err(e
                    .with_call(&method, &path)
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

    /// One HTTP exchange, reading the whole body.
    async fn send(
        &self,
        call: &Call,
        token: Option<&str>,
    ) -> std::result::Result<RawResponse, reqwest::Error> {
        let mut url = self.config.base_url.clone();
        if let Ok(mut segs) = url.path_segments_mut() {
            segs.pop_if_empty();
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
                tracing::trace!(body = %redact_json(body), "request body");
            }
            req = req.json(body);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        let request_id = headers
            .get("x-request-id")
            .or_else(|| headers.get("request-id"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(RawResponse {
            status,
            request_id,
            retry_after: retry_after(&headers),
            body,
        })
    }

    /// The bearer token, fetching one if needed (bounded by the caller's deadline).
    pub(crate) async fn bearer(&self, deadline: Instant) -> Result<Arc<str>> {
        self.token(deadline).await.map(|(t, _)| t)
    }

    pub(crate) async fn token(&self, deadline: Instant) -> Result<(Arc<str>, TokenInfo)> {
        self.tokens.get(|| self.fetch_token(deadline)).await
    }

    // Boxed: the token call goes through `execute`, which itself asks for tokens.
    fn fetch_token(
        &self,
        deadline: Instant,
    ) -> Pin<Box<dyn Future<Output = Result<TokenResponse>> + Send + '_>> {
        Box::pin(async move {
            let call = Call {
                method: Method::POST,
                segments: vec!["v1".into(), "token".into()],
                query: Vec::new(),
                body: None,
                auth: Auth::Basic,
            };
            tracing::debug!("fetching an access token");
            self.execute::<TokenResponse>(&call, deadline).await
        })
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

fn decode<T: DeserializeOwned>(raw: &RawResponse) -> Result<T> {
    let fail = |msg: String| {
        Error::new(ErrorKind::Decode, msg)
            .with_status(raw.status.as_u16())
            .with_excerpt(excerpt(&raw.body))
            .with_request_id(raw.request_id.clone())
    };
    let env: Envelope<T> = serde_json::from_slice(&raw.body)
        .map_err(|e| fail(format!("unreadable response body: {e}")))?;
    if env.success == Some(false) {
        let err = env.error.unwrap_or_default();
        return Err(Error::new(
            ErrorKind::from_status(400, err.code.as_deref()),
            err.message
                .unwrap_or_else(|| "the API reported a failure".into()),
        )
        .with_status(raw.status.as_u16())
        .with_api_code(err.code)
        .with_request_id(raw.request_id.clone()));
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
    let message = message.unwrap_or_else(|| {
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
        .with_retry_after(raw.retry_after);
    if !unreadable {
        return e;
    }
    e = e.with_excerpt(excerpt(&raw.body));
    e
}
