//! Access tokens: fetched with HTTP Basic, cached until shortly before they expire, refreshed by
//! one fetch at a time however many calls wait for it (single flight), and dropped when the
//! API answers 401.
//!
//! The fetch runs on its own task with its own deadline. Each waiting call is bounded by its
//! *own* deadline: giving up does not cancel the fetch for the others, and every call that
//! waited on a fetch uses its token, even one whose lifetime is already over (`expires_in: 0`),
//! so a useless lifetime cannot turn one refresh into one per caller.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::{FutureExt, Shared};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::{Error, ErrorKind, Result};

/// What `POST /v1/token` returns. The token itself never leaves the client.
#[derive(Clone, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default, deserialize_with = "crate::model::money::de_opt_u64_lenient")]
    pub expires_in: Option<u64>,
}

/// Longest token the SDK accepts (the API's are a few hundred bytes).
const MAX_TOKEN_LEN: usize = 8 * 1024;

impl TokenResponse {
    /// Refuses a token that cannot be sent in an `Authorization` header, before it is cached.
    /// The error never contains the token.
    pub(crate) fn check(&self) -> Result<()> {
        let t = &self.access_token;
        let bad = if t.is_empty() {
            Some("is empty")
        } else if t.len() > MAX_TOKEN_LEN {
            Some("is longer than 8 KiB")
        } else if !t.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            Some("holds characters that cannot be sent in an HTTP header")
        } else {
            None
        };
        match bad {
            Some(why) => Err(Error::new(
                ErrorKind::Decode,
                format!("the token answer's access_token {why}; it was not used"),
            )),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Facts about the client's current token, without the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TokenInfo {
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the token was valid for when issued.
    pub expires_in: u64,
}

#[derive(Clone)]
pub(crate) struct Cached {
    token: Arc<str>,
    refresh_at: Instant,
    info: TokenInfo,
}

type FetchFuture = Pin<Box<dyn Future<Output = Result<TokenResponse>> + Send>>;
type Flight = Shared<Pin<Box<dyn Future<Output = Result<Cached>> + Send>>>;

/// Tokens kept for scrubbing errors after they were replaced.
const RECENT_TOKENS: usize = 8;

#[derive(Default)]
struct State {
    current: Option<Cached>,
    /// The fetch in flight, and its number (so a finished fetch only clears itself).
    flight: Option<(u64, Flight)>,
    flights: u64,
    recent: VecDeque<Arc<str>>,
}

/// The token cache of one client.
#[derive(Default)]
pub(crate) struct TokenCache {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache([redacted])")
    }
}

/// Refresh this long before expiry (a tenth of the lifetime, at most a minute), so a token never
/// expires between being read and reaching the server.
fn margin(expires_in: Duration) -> Duration {
    (expires_in / 10).min(Duration::from_secs(60))
}

fn lock(m: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl TokenCache {
    /// A valid token, fetching one with `fetch` when none is cached and none is in flight.
    /// Waits at most until `deadline`; the fetch itself goes on for other callers.
    pub(crate) async fn get(
        &self,
        deadline: Instant,
        fetch: impl FnOnce() -> FetchFuture,
    ) -> Result<(Arc<str>, TokenInfo)> {
        let flight = {
            let mut s = lock(&self.state);
            if let Some(c) = s.current.as_ref().filter(|c| Instant::now() < c.refresh_at) {
                return Ok((c.token.clone(), c.info.clone()));
            }
            match &s.flight {
                Some((_, f)) => f.clone(),
                None => {
                    s.flights += 1;
                    let id = s.flights;
                    let f = self.start(id, fetch());
                    s.flight = Some((id, f.clone()));
                    f
                }
            }
        };
        match tokio::time::timeout_at(deadline, flight).await {
            Ok(Ok(c)) => Ok((c.token, c.info)),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                "no access token before the call deadline (the token request is still running)",
            )
            .with_call("POST", "/v1/token")),
        }
    }

    /// Spawns fetch number `id`; its result is cached (or its error shared) and the flight
    /// cleared, whether or not anyone still waits.
    fn start(&self, id: u64, fetch: FetchFuture) -> Flight {
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let result = fetch.await.map(|resp| {
                let expires_in = resp.expires_in.unwrap_or(3600);
                let lifetime = Duration::from_secs(expires_in);
                if expires_in == 0 {
                    tracing::warn!("the API issued a token with expires_in 0; it is used only by the calls that waited for it");
                }
                Cached {
                    token: Arc::from(resp.access_token),
                    refresh_at: crate::clock::after(Instant::now(), lifetime - margin(lifetime)),
                    info: TokenInfo {
                        token_type: resp.token_type.unwrap_or_else(|| "Bearer".into()),
                        expires_in,
                    },
                }
            });
            finish(&state, id, &result);
            result
        });
        let state = self.state.clone();
        let joined: Pin<Box<dyn Future<Output = Result<Cached>> + Send>> = Box::pin(async move {
            match task.await {
                Ok(r) => r,
                Err(e) => {
                    // Cancelled (runtime shutting down) or panicked: clear the flight so the
                    // next call starts a fresh one.
                    let err = Error::new(
                        ErrorKind::Connection,
                        format!("the token request stopped before finishing: {e}"),
                    )
                    .with_call("POST", "/v1/token");
                    let r = Err(err);
                    finish(&state, id, &r);
                    r
                }
            }
        });
        joined.shared()
    }

    /// Forgets `used` after the API rejected it; a newer token fetched meanwhile is kept.
    pub(crate) fn invalidate(&self, used: &str) {
        let mut s = lock(&self.state);
        if s.current.as_ref().is_some_and(|c| &*c.token == used) {
            s.current = None;
        }
    }

    /// The tokens this cache has held lately (to scrub them from errors).
    pub(crate) fn recent(&self) -> Vec<Arc<str>> {
        lock(&self.state).recent.iter().cloned().collect()
    }
}

fn finish(state: &Mutex<State>, id: u64, result: &Result<Cached>) {
    let mut s = lock(state);
    if s.flight.as_ref().is_some_and(|(f, _)| *f == id) {
        s.flight = None;
    }
    if let Ok(c) = result {
        if !s.recent.iter().any(|t| *t == c.token) {
            if s.recent.len() == RECENT_TOKENS {
                s.recent.pop_front();
            }
            s.recent.push_back(c.token.clone());
        }
        s.current = Some(c.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn token(n: u32, expires_in: u64) -> TokenResponse {
        TokenResponse {
            access_token: format!("t{n}"),
            token_type: Some("Bearer".into()),
            expires_in: Some(expires_in),
        }
    }

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    fn counting(
        fetches: &Arc<AtomicU32>,
        delay: Duration,
        expires_in: u64,
    ) -> impl FnOnce() -> FetchFuture {
        let fetches = fetches.clone();
        move || {
            Box::pin(async move {
                let n = fetches.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                Ok(token(n, expires_in))
            })
        }
    }

    #[tokio::test]
    async fn hundred_concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(far(), counting(&fetches, Duration::from_millis(20), 86400))
                    .await
                    .map(|(t, _)| t.to_string())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "t0");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_zero_lifetime_still_gives_one_fetch_per_wave_of_callers() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(far(), counting(&fetches, Duration::from_millis(50), 0))
                    .await
                    .map(|(t, _)| t.to_string())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "t0");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn each_waiter_keeps_its_own_deadline() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let started = Instant::now();
        let slow = {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tokio::spawn(async move {
                cache
                    .get(far(), counting(&fetches, Duration::from_secs(7), 86400))
                    .await
                    .map(|(t, _)| t.to_string())
            })
        };
        tokio::task::yield_now().await;
        let short = cache
            .get(
                Instant::now() + Duration::from_secs(1),
                counting(&fetches, Duration::ZERO, 86400),
            )
            .await;
        let e = short.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        // The fetch went on for the caller with the longer deadline.
        assert_eq!(slow.await.unwrap().unwrap(), "t0");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_before_expiry_and_after_invalidation() {
        let cache = TokenCache::default();
        let n = Arc::new(AtomicU32::new(0));
        let get = || cache.get(far(), counting(&n, Duration::ZERO, 86400));
        assert_eq!(&*get().await.unwrap().0, "t0");
        assert_eq!(&*get().await.unwrap().0, "t0");
        cache.invalidate("t0");
        assert_eq!(&*get().await.unwrap().0, "t1");
        cache.invalidate("stale"); // not the current token: kept
        assert_eq!(&*get().await.unwrap().0, "t1");
        tokio::time::advance(Duration::from_secs(86400 - 59)).await;
        assert_eq!(&*get().await.unwrap().0, "t2");
        assert_eq!(cache.recent().len(), 3);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_shared_then_forgotten() {
        let cache = Arc::new(TokenCache::default());
        let calls = Arc::new(AtomicU32::new(0));
        let failing = |calls: Arc<AtomicU32>| {
            move || -> FetchFuture {
                Box::pin(async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Err(Error::new(ErrorKind::Authentication, "bad credentials"))
                })
            }
        };
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(far(), failing(calls))
                    .await
                    .err()
                    .map(|e| e.kind())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Some(ErrorKind::Authentication));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // The next call tries again.
        let fetches = Arc::new(AtomicU32::new(0));
        assert!(cache
            .get(far(), counting(&fetches, Duration::ZERO, 60))
            .await
            .is_ok());
    }

    #[test]
    fn unusable_tokens_are_refused_without_echoing_them() {
        for bad in ["", "a b", "tok\r\nX-Evil: 1", "ünïcode"] {
            let r = TokenResponse {
                access_token: bad.into(),
                token_type: None,
                expires_in: None,
            };
            let e = r.check().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode);
            if !bad.is_empty() {
                assert!(!e.message().contains(bad));
            }
        }
        assert!(token(1, 60).check().is_ok());
    }
}
