//! Masking of secrets and buyer personal data for `Debug` output and logs.

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

#[cfg(test)]
mod tests {
    use super::*;

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
