//! Masking of secrets and buyer personal data for `Debug` output, logs and errors.

use serde_json::Value;

/// Keys whose values are secrets and are replaced entirely.
const SECRET_KEYS: &[&str] = &["access_token", "client_secret", "authorization", "token"];
/// Keys whose values are personal data and are partly masked.
const PII_KEYS: &[&str] = &[
    "tax_code",
    "email",
    "phone",
    "national_id",
    "taxCode",
    "nationalId",
];

/// Masks a personal value, keeping just enough to recognise it: `0101234567` → `*******567`,
/// `buyer@example.com` → `b****@example.com`.
pub fn mask(value: &str) -> String {
    if let Some((local, domain)) = value.split_once('@') {
        let first = local.chars().next().map(String::from).unwrap_or_default();
        return format!("{first}****@{domain}");
    }
    let n = value.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let keep: String = value.chars().skip(n - 3).collect();
    format!("{}{keep}", "*".repeat(n - 3))
}

/// Masks an optional personal value for `Debug` output.
pub(crate) fn mask_opt(value: &Option<String>) -> Option<String> {
    value.as_deref().map(mask)
}

/// Returns a copy of a JSON document with secrets removed and personal data masked, for logging.
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if SECRET_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k)) {
                        Value::String("[redacted]".into())
                    } else if PII_KEYS.contains(&k.as_str()) {
                        match v {
                            Value::String(s) => Value::String(mask(s)),
                            other => redact_json(other),
                        }
                    } else {
                        redact_json(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        other => other.clone(),
    }
}

/// Keys whose values are scrubbed from free text (error messages, body excerpts), matched
/// case-insensitively wherever they appear as `key: value`, `"key":"value"` or `key=value`
/// (camelCase spellings included: matching ignores case).
const SECRET_TEXT_KEYS: &[&str] = &[
    "access_token",
    "accesstoken",
    "refresh_token",
    "refreshtoken",
    "id_token",
    "idtoken",
    "client_secret",
    "clientsecret",
    "authorization",
    "password",
    "api_key",
    "apikey",
    "x-api-key",
    "secret",
    "token",
    "jwt",
];

/// Keys whose values are a buyer's personal data: masked (`*******567`) in free text.
const PII_TEXT_KEYS: &[&str] = &[
    "tax_code",
    "taxcode",
    "email",
    "phone",
    "national_id",
    "nationalid",
];

const REDACTED: &str = "[redacted]";

/// Removes secrets and personal data from text a server or a transport produced, before it
/// reaches an error or a log: the client's known secrets verbatim (client secret, tokens,
/// Basic credentials; also JSON-escaped), the buyer data of the request being sent (masked),
/// any `Bearer …`/`Basic …` credential, the value after a secret-looking key, a masked value
/// after a personal-data key, and the password of a URL's userinfo. Idempotent.
#[derive(Default)]
pub struct Scrubber {
    /// (text to find, replacement), longest first.
    literals: Vec<(String, String)>,
}

impl std::fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Scrubber({} values)", self.literals.len())
    }
}

impl Scrubber {
    /// A scrubber that also removes each of `secrets` verbatim (values shorter than 4
    /// characters are ignored: they would mangle ordinary text).
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut s = Scrubber::default();
        for secret in secrets {
            s.add(secret.into(), REDACTED.to_string());
        }
        s
    }

    /// Also masks each of `values` (a buyer's tax code, e-mail, phone, id) wherever it appears.
    pub fn with_personal_data<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for v in values {
            let v = v.into();
            let masked = mask(&v);
            self.add(v, masked);
        }
        self
    }

    fn add(&mut self, value: String, replacement: String) {
        if value.chars().count() < 4 || self.literals.iter().any(|(v, _)| *v == value) {
            return;
        }
        // A server may write the value JSON-escaped (`/` as `\/`).
        let escaped = value.replace('/', "\\/");
        if escaped != value {
            self.literals.push((escaped, replacement.clone()));
        }
        self.literals.push((value, replacement));
        // Longest first, so a value that contains another is replaced whole.
        self.literals
            .sort_by_key(|(v, _)| std::cmp::Reverse(v.len()));
    }

    /// Scrubs `text` in place.
    pub fn apply(&self, text: &mut String) {
        let scrubbed = self.scrub(text);
        if scrubbed != *text {
            *text = scrubbed;
        }
    }

    /// A scrubbed copy of `text`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (value, replacement) in &self.literals {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), replacement);
            }
        }
        out = scrub_schemes(&out);
        out = scrub_keys(&out, SECRET_TEXT_KEYS, |_| REDACTED.to_string());
        out = scrub_keys(&out, PII_TEXT_KEYS, mask);
        scrub_userinfo(&out)
    }
}

fn is_value_byte(b: u8) -> bool {
    !(b.is_ascii_whitespace()
        || matches!(b, b'"' | b'\'' | b',' | b';' | b'&' | b'}' | b']' | b')'))
}

/// Whether a word after `Bearer`/`Basic` looks like a credential rather than prose
/// ("Basic information"): long enough, and not just lower-case letters.
fn looks_like_credential(word: &str) -> bool {
    word.len() >= 8
        && word
            .bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || b"=+/._-~".contains(&b))
}

/// `Bearer abc…` / `Basic abc…` → `Bearer [redacted]`.
fn scrub_schemes(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &lower[i..];
        let scheme = ["bearer ", "basic "]
            .into_iter()
            .find(|s| rest.starts_with(s));
        let word_start = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if let (Some(s), true) = (scheme, word_start) {
            let mut j = i + s.len();
            while j < bytes.len() && bytes[j] == b' ' {
                j += 1;
            }
            let start = j;
            while j < bytes.len() && is_value_byte(bytes[j]) {
                j += 1;
            }
            if !text[start..].starts_with(REDACTED) && looks_like_credential(&text[start..j]) {
                out.push_str(&text[i..start]);
                out.push_str(REDACTED);
                i = j;
                continue;
            }
        }
        // Advance by one character (not byte) to stay on UTF-8 boundaries.
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// `"access_token":"abc"`, `token=abc`, `client_secret: abc`, and the same inside escaped
/// JSON (`\"token\":\"abc\"`) or with line breaks around the colon → the value replaced by
/// `replace(value)`.
fn scrub_keys(text: &str, keys: &[&str], replace: fn(&str) -> String) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        for key in keys {
            if !lower[i..].starts_with(key) {
                continue;
            }
            let before_ok = i == 0 || !(bytes[i - 1].is_ascii_alphanumeric());
            let after = i + key.len();
            // `token` inside `token_type` is another key; a key must end here.
            if !before_ok
                || (after < bytes.len()
                    && (bytes[after].is_ascii_alphanumeric() || bytes[after] == b'_'))
            {
                continue;
            }
            if let Some((start, end, quoted)) = secret_value(bytes, after) {
                let value = &text[start..end];
                let replacement = replace(value);
                // Already scrubbed, or too short to be a secret unquoted ("password: must…").
                if value.starts_with(REDACTED)
                    || value == replacement
                    || value.contains('*')
                    || (!quoted && value.len() < 6)
                {
                    continue;
                }
                out.push_str(&text[i..start]);
                out.push_str(&replacement);
                i = end;
                continue 'outer;
            }
        }
        let ch_len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + ch_len]);
        i += ch_len;
    }
    out
}

/// The byte range of the value after a key ending at `j`, and whether it was quoted: past the
/// key's closing quote (maybe escaped), whitespace, `:` or `=`, whitespace and an opening quote
/// (maybe escaped). `None` when no value follows, or it is an object, array, `null` or boolean.
fn secret_value(bytes: &[u8], mut j: usize) -> Option<(usize, usize, bool)> {
    let skip = |j: &mut usize, also: &[u8]| {
        while *j < bytes.len() && (bytes[*j].is_ascii_whitespace() || also.contains(&bytes[*j])) {
            *j += 1;
        }
    };
    skip(&mut j, b"\"\\");
    if j >= bytes.len() || !(bytes[j] == b':' || bytes[j] == b'=') {
        return None;
    }
    j += 1;
    skip(&mut j, b"");
    let escaped_quote = bytes.get(j) == Some(&b'\\') && bytes.get(j + 1) == Some(&b'"');
    let quoted = escaped_quote || bytes.get(j) == Some(&b'"');
    let start = if escaped_quote {
        j + 2
    } else if quoted {
        j + 1
    } else {
        j
    };
    let mut end = start;
    if quoted {
        while end < bytes.len() {
            match bytes[end] {
                b'"' => break,
                b'\\' if escaped_quote && bytes.get(end + 1) == Some(&b'"') => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        end = end.min(bytes.len());
    } else {
        // An unquoted value may be a scheme word followed by the credential.
        while end < bytes.len() && is_value_byte(bytes[end]) {
            end += 1;
        }
        let word = &bytes[start..end];
        if matches!(bytes.get(start), Some(b'{') | Some(b'['))
            || [&b"null"[..], b"true", b"false"].contains(&word)
        {
            return None;
        }
    }
    // Keep the slice on character boundaries (a cut escape could end mid-character).
    while end > start && !is_char_boundary(bytes, end) {
        end -= 1;
    }
    (end > start).then_some((start, end, quoted))
}

fn is_char_boundary(bytes: &[u8], i: usize) -> bool {
    i >= bytes.len() || (bytes[i] as i8) >= -0x40
}

/// `scheme://user:password@host` → `scheme://user:***@host`.
fn scrub_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let auth_end = tail
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"')
            .unwrap_or(tail.len());
        let authority = &tail[..auth_end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[auth_end..];
    }
    out.push_str(rest);
    out
}

/// The first `max` characters of `text`, with `…` when something was cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A URL for display: the password of its userinfo replaced by `***`.
pub fn display_url(url: &url::Url) -> String {
    if url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    if shown.set_password(Some("***")).is_err() {
        return scrub_userinfo(url.as_str());
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubber_removes_known_and_shaped_secrets() {
        let s = Scrubber::new(["s3cr3t-value", "tok_123456"]);
        let cases = [
            (r#"{"access_token":"abc.def","expires_in":60}"#, "abc.def"),
            (r#"{"data":{"token": "zzz-9"}}"#, "zzz-9"),
            (
                "header was Authorization: Bearer eyJhbGciOi.x_y-z",
                "eyJhbGciOi",
            ),
            (
                "got basic bW9ja19jbGllbnRfaWQ6c2VjcmV0",
                "bW9ja19jbGllbnRfaWQ6c2VjcmV0",
            ),
            ("client_secret=s3cr3t-value&x=1", "s3cr3t-value"),
            ("echo tok_123456 back", "tok_123456"),
            ("url http://user:hunter22@127.0.0.1:9/v1", "hunter22"),
            (r#"{"access_token":"unterminated"#, "unterminated"),
            ("{\"access_token\":\n\t\"tok-nl-1234\"}", "tok-nl-1234"),
            (r#"{\"access_token\":\"tok-esc-1234\"}"#, "tok-esc-1234"),
            (r#"token=98765432"#, "98765432"),
            (r#"{"accessToken":"tok-camel-99"}"#, "tok-camel-99"),
            (r#"{"jwt":"eyJ0eXAiOiJKV1Qi"}"#, "eyJ0eXAiOiJKV1Qi"),
            ("got s3cr3t\\/value? no: s3cr3t-value", "s3cr3t-value"),
        ];
        for (text, secret) in cases {
            let out = s.scrub(text);
            assert!(!out.contains(secret), "{text:?} -> {out:?}");
        }
        // Ordinary text survives; scrubbing twice changes nothing more.
        for plain in [
            "Thông tin người mua không hợp lệ: expires_in 60, tokens_issued 2",
            "Basic information missing",
            "password: must be 8 characters",
            "Bearer token valid for 86400 s",
        ] {
            assert_eq!(s.scrub(plain), plain);
        }
        let once = s.scrub("Authorization: Bearer tok-123456789 [x]");
        assert_eq!(s.scrub(&once), once);
        assert_eq!(
            s.scrub(r#"{"expires_in":60,"token_type":"Bearer"}"#),
            r#"{"expires_in":60,"token_type":"Bearer"}"#
        );
    }

    #[test]
    fn personal_data_is_masked_by_key_and_by_value() {
        let s = Scrubber::default().with_personal_data(["0101234567", "buyer@example.com"]);
        let out = s.scrub(r#"{"buyer":{"tax_code":"0314409058","phone":"0909123456"}} mã 0101234567, buyer@example.com"#);
        for raw in [
            "0314409058",
            "0909123456",
            "0101234567",
            "buyer@example.com",
        ] {
            assert!(!out.contains(raw), "{out}");
        }
        assert!(
            out.contains("*******567") && out.contains("b****@example.com"),
            "{out}"
        );
        assert_eq!(s.scrub(&out), out);
    }

    #[test]
    fn display_url_hides_the_password() {
        let u = url::Url::parse("https://me:pw@proxy.example/x").unwrap();
        assert_eq!(display_url(&u), "https://me:***@proxy.example/x");
    }

    #[test]
    fn masks_keep_only_a_tail() {
        assert_eq!(mask("0101234567"), "*******567");
        assert_eq!(mask("buyer@example.com"), "b****@example.com");
        assert_eq!(mask("123"), "***");
    }

    #[test]
    fn json_redaction_reaches_nested_values() {
        let v = serde_json::json!({"access_token": "abc", "buyer": {"tax_code": "0101234567", "name": "ABC"},
            "items": [{"email": "a@b.c"}]});
        let r = redact_json(&v).to_string();
        assert!(!r.contains("abc\""), "{r}");
        assert!(!r.contains("0101234567"));
        assert!(r.contains("*******567"));
        assert!(r.contains("\"ABC\""));
    }
}
