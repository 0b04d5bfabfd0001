//! Access tokens: fetched with HTTP Basic, cached until shortly before they expire, refreshed by
//! one caller while the others wait (single flight), and dropped when the API answers 401.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::Result;

/// What `POST /v1/token` returns. The token itself never leaves the client.
#[derive(Clone, Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// Facts about the client's current token, without the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfo {
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the token was valid for when issued.
    pub expires_in: u64,
}

#[derive(Clone)]
struct Cached {
    token: Arc<str>,
    refresh_at: Instant,
    info: TokenInfo,
}

/// The token cache of one client.
#[derive(Default)]
pub(crate) struct TokenCache {
    current: Mutex<Option<Cached>>,
    // Held by the one caller that refreshes; the others wait on it and then read the cache.
    refresh: tokio::sync::Mutex<()>,
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

impl TokenCache {
    fn fresh(&self) -> Option<Cached> {
        let guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
        guard
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
            .cloned()
    }

    /// A valid token, fetching one with `fetch` if needed; concurrent callers share one fetch.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<(Arc<str>, TokenInfo)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenResponse>>,
    {
        if let Some(c) = self.fresh() {
            return Ok((c.token, c.info));
        }
        let _flight = self.refresh.lock().await;
        if let Some(c) = self.fresh() {
            return Ok((c.token, c.info));
        }
        let resp = fetch().await?;
        let expires_in = resp.expires_in.unwrap_or(3600);
        let lifetime = Duration::from_secs(expires_in);
        let info = TokenInfo {
            token_type: resp.token_type.unwrap_or_else(|| "Bearer".into()),
            expires_in,
        };
        let cached = Cached {
            token: Arc::from(resp.access_token),
            refresh_at: crate::clock::after(Instant::now(), lifetime - margin(lifetime)),
            info: info.clone(),
        };
        let token = cached.token.clone();
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) = Some(cached);
        Ok((token, info))
    }

    /// Forgets `used` after the API rejected it; a newer token fetched meanwhile is kept.
    pub(crate) fn invalidate(&self, used: &str) {
        let mut guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|c| &*c.token == used) {
            *guard = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn token(n: u32) -> TokenResponse {
        TokenResponse {
            access_token: format!("t{n}"),
            token_type: Some("Bearer".into()),
            expires_in: Some(86400),
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
                    .get(|| async move {
                        let n = fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(token(n))
                    })
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
    async fn refreshes_before_expiry_and_after_invalidation() {
        let cache = TokenCache::default();
        let n = AtomicU32::new(0);
        let get = || cache.get(|| async { Ok(token(n.fetch_add(1, Ordering::SeqCst))) });
        assert_eq!(&*get().await.unwrap().0, "t0");
        assert_eq!(&*get().await.unwrap().0, "t0");
        cache.invalidate("t0");
        assert_eq!(&*get().await.unwrap().0, "t1");
        cache.invalidate("stale"); // not the current token: kept
        assert_eq!(&*get().await.unwrap().0, "t1");
        tokio::time::advance(Duration::from_secs(86400 - 59)).await;
        assert_eq!(&*get().await.unwrap().0, "t2");
    }
}
