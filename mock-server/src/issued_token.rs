//! What the mock remembers of each token it issues (for `GET /_mock/tokens`), and how a token
//! is written.

/// A token as remembered for `GET /_mock/tokens`: its random bytes, not its text, to stay small.
#[derive(Debug, Clone, Copy)]
pub struct IssuedToken {
    raw: [u8; 24],
    /// When it was issued, in Unix milliseconds.
    pub issued_at_ms: u64,
}

impl IssuedToken {
    /// A token issued at `issued_at_ms` (Unix milliseconds).
    pub fn new(raw: [u8; 24], issued_at_ms: u64) -> Self {
        IssuedToken { raw, issued_at_ms }
    }

    /// The token as the client got it.
    pub fn text(&self) -> String {
        token_text(&self.raw)
    }
}

/// An opaque token: the 24 random bytes as 48 hex characters behind a recognisable prefix.
pub fn token_text(raw: &[u8; 24]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(51);
    s.push_str("mk_");
    for b in raw {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}
