//! Credentials: HTTP Basic for `POST /v1/token`, Bearer tokens for everything else.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::Rng;

use crate::envelope::ApiError;
use crate::issued_token::{token_text, IssuedToken};
use crate::state::{lock, Shared, Store};

/// Reads `Authorization: Basic base64(id:secret)`. `None` when missing or malformed.
pub fn basic_credentials(header: Option<&str>) -> Option<(String, String)> {
    let h = header?.trim();
    let (scheme, rest) = h.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = STANDARD.decode(rest.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Tokens `GET /_mock/tokens` remembers; past this, tokens are only counted, so a benchmark
/// hammering `/v1/token` cannot grow the log without bound (32 MB at the cap).
pub const TOKEN_LOG_CAP: usize = 1_000_000;

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

impl Store {
    /// Registers a new token valid for the current TTL and returns it.
    pub fn issue_token(&mut self, now: Instant) -> String {
        // Keep the map bounded when a benchmark hammers /v1/token.
        if self.tokens.len() >= 10_000 {
            self.tokens.retain(|_, exp| *exp > now);
        }
        let raw: [u8; 24] = rand::rng().random();
        let token = token_text(&raw);
        if self.token_log.len() < TOKEN_LOG_CAP {
            self.token_log.push(IssuedToken::new(raw, unix_ms()));
        }
        // A huge TTL from /_mock/config must not overflow `Instant`: cap it at ~100 years.
        let expiry = now
            .checked_add(self.cfg.token_ttl)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
        self.tokens.insert(token.clone(), expiry);
        self.tokens_issued += 1;
        token
    }

    /// Whether `token` was issued here and has not expired.
    pub fn token_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens.get(token).is_some_and(|exp| now < *exp)
    }

    /// Expires every token issued so far.
    pub fn expire_tokens(&mut self, now: Instant) {
        for exp in self.tokens.values_mut() {
            *exp = now;
        }
    }
}

/// Extractor proving the request carried a valid Bearer token.
pub struct Authed;

impl FromRequestParts<Arc<Shared>> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Shared>,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let token = header
            .and_then(|h| h.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t.trim())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Thiếu token xác thực. Gửi header Authorization: Bearer <token>.",
                )
            })?;
        if lock(&state.store).token_valid(token, Instant::now()) {
            Ok(Authed)
        } else {
            Err(ApiError::unauthorized(
                "Token không hợp lệ hoặc đã hết hạn. Vui lòng lấy token mới qua POST /v1/token.",
            ))
        }
    }
}
