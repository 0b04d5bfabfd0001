//! Reading caller JSON into typed requests: type errors name the field path and the expected
//! type, never the value (values are often buyer data); unknown keys are refused with the
//! nearest known name.

use serde::de::{DeserializeOwned, Visitor};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{Buyer, CreateInvoice, Job, LineItem};

impl CreateInvoice {
    /// Reads a request from JSON with the API's field names (what the bindings pass in). A field of
    /// the wrong type, or a key the request does not have (`tax_rates`), is a
    /// [`crate::ErrorKind::Validation`] error naming its path.
    pub fn from_json(value: serde_json::Value) -> crate::Result<Self> {
        check_create_keys(&value)?;
        from_json(value, "")
    }
}

impl Job {
    /// Reads a job stored with `serde_json::to_value(&job)` (or the bindings' `to_dict`). A bad
    /// field is a [`crate::ErrorKind::Validation`] error naming it under `job` (`job.kind`).
    pub fn from_json(value: serde_json::Value) -> crate::Result<Self> {
        check_job_keys(&value)?;
        from_json(value, "job")
    }
}

/// Reads JSON into a typed value; a mismatch becomes a validation error naming the field path,
/// under `prefix` (`"job"` names `job.kind`; `""` names fields from the root).
pub(crate) fn from_json<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let inner = e.inner();
        // `missing field `x`` is reported at the parent: name the missing field itself.
        if let Some(name) = backticked(&inner.to_string()).filter(|_| is_missing(inner)) {
            return Error::validation(join(&join(prefix, &path), &name), "is required");
        }
        let field = join(prefix, &path);
        let field = if field.is_empty() {
            "(root)".to_string()
        } else {
            field
        };
        Error::validation(field, describe_serde_error(inner))
    })
}

fn is_missing(e: &serde_json::Error) -> bool {
    e.to_string().starts_with("missing field")
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else if child.is_empty() {
        parent.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// The first `…` quoted name in a serde message.
fn backticked(text: &str) -> Option<String> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(text[start..start + len].to_string())
}

/// A serde error as a message without the offending value: `invalid type: integer
/// `909123456`, expected a string` → `expected a string, got a number`.
pub fn describe_serde_error(e: &serde_json::Error) -> String {
    let full = e.to_string();
    // Text input adds " at line L column C"; the field path says where already.
    let text = match full.rfind(" at line ") {
        Some(i) => &full[..i],
        None => full.as_str(),
    };
    if let Some(rest) = text.strip_prefix("invalid type: ") {
        let (got, expected) = split_expected(rest);
        return format!(
            "expected {}, got {}",
            expected_words(expected),
            got_words(got)
        );
    }
    if let Some(rest) = text.strip_prefix("invalid value: ") {
        let (got, expected) = split_expected(rest);
        return format!(
            "expected {}, got an unsuitable {}",
            expected_words(expected),
            got_words(got)
                .trim_start_matches("a ")
                .trim_start_matches("an ")
        );
    }
    if text.starts_with("invalid length") {
        let (_, expected) = split_expected(text);
        return format!("has the wrong number of elements (expected {expected})");
    }
    if text.starts_with("recursion limit exceeded") {
        return "is nested too deeply".into();
    }
    // Our own messages and serde's structural ones carry no values; drop any quoted value anyway.
    strip_quoted(text)
}

fn split_expected(rest: &str) -> (&str, &str) {
    match rest.split_once(", expected ") {
        Some((got, expected)) => (got, expected),
        None => (rest, "another type"),
    }
}

fn got_words(got: &str) -> &'static str {
    let word = got.split([' ', '`']).next().unwrap_or("");
    match word {
        "integer" | "floating" => "a number",
        "string" | "character" => "a string",
        "boolean" => "a boolean",
        "map" => "an object",
        "sequence" => "an array",
        "null" | "unit" => "null",
        _ => "another type",
    }
}

fn expected_words(expected: &str) -> String {
    let e = expected.trim();
    match e {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "a whole number".into()
        }
        "f32" | "f64" => "a number".into(),
        "a sequence" => "an array".into(),
        "a map" => "an object".into(),
        _ if e.starts_with("struct ") => "an object".into(),
        _ => strip_quoted(e),
    }
}

/// Removes the `…`-quoted parts from a serde message: serde quotes the values it reports that
/// way. The SDK's own messages never use backticks and pass through unchanged.
fn strip_quoted(text: &str) -> String {
    if !text.contains('`') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        match (inside, c) {
            (_, '`') => inside = !inside,
            (false, c) => out.push(c),
            (true, _) => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---- unknown keys ------------------------------------------------------------------------------

/// The field names serde reads for a struct, asked from its derived `Deserialize` (so they never
/// drift from the model).
fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct Capture(Option<&'static [&'static str]>);
    impl<'de> serde::Deserializer<'de> for &mut Capture {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(
            self,
            _: V,
        ) -> std::result::Result<V::Value, Self::Error> {
            Err(serde::de::Error::custom("fields captured"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> std::result::Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(serde::de::Error::custom("fields captured"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut c = Capture(None);
    let _ = T::deserialize(&mut c);
    c.0.unwrap_or(&[])
}

/// JSON's name for a value's type, as errors say it.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An object where one is expected. Serde would also read a struct from an array, by position:
/// `["company", "ABC"]` as a buyer is a mistake, never a way to write one.
fn object<'a>(v: &'a Value, field: &str) -> Result<&'a serde_json::Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        other => Err(Error::validation(
            field,
            format!("expected an object, got {}", type_name(other)),
        )),
    }
}

/// Checks the shape of a create request before it is read: objects where objects belong, no
/// unknown keys (naming the path and the nearest known field: `items[0].tax_rates` → "did you
/// mean `tax_rate`?"), the buyer's type given once.
pub(crate) fn check_create_keys(value: &Value) -> Result<()> {
    let root = object(value, "request")?;
    known_keys(
        root,
        "",
        fields_of::<CreateInvoice>(),
        &[],
        "a create request",
    )?;
    if let Some(buyer) = root.get("buyer").filter(|b| !b.is_null()) {
        let buyer = object(buyer, "buyer")?;
        // serde aliases are not listed among a struct's fields.
        known_keys(
            buyer,
            "buyer.",
            fields_of::<Buyer>(),
            &["buyer_type"],
            "the buyer",
        )?;
        if buyer.contains_key("type") && buyer.contains_key("buyer_type") {
            return Err(Error::validation(
                "buyer.type",
                "is given twice (as type and as buyer_type); give one",
            ));
        }
    }
    if let Some(Value::Array(items)) = root.get("items") {
        for (i, item) in items.iter().enumerate() {
            if !item.is_null() {
                object(item, &format!("items[{i}]"))?;
            }
            if let Value::Object(m) = item {
                known_keys(
                    m,
                    &format!("items[{i}]."),
                    fields_of::<LineItem>(),
                    &[],
                    "a line",
                )?;
            }
        }
    }
    Ok(())
}

/// Checks the shape of a stored job: an object without unknown keys.
pub(crate) fn check_job_keys(value: &Value) -> Result<()> {
    let job = object(value, "job")?;
    known_keys(job, "job.", fields_of::<crate::model::Job>(), &[], "a job")
}

fn known_keys(
    map: &serde_json::Map<String, Value>,
    prefix: &str,
    known: &[&str],
    aliases: &[&str],
    what: &str,
) -> Result<()> {
    for key in map.keys() {
        if known.contains(&key.as_str()) || aliases.contains(&key.as_str()) {
            continue;
        }
        let shown: String = key.chars().take(64).collect();
        let message = match nearest(key, known) {
            Some(n) => format!("is not a field of {what}; did you mean `{n}`?"),
            None => format!("is not a field of {what} (fields: {})", known.join(", ")),
        };
        return Err(Error::validation(format!("{prefix}{shown}"), message));
    }
    Ok(())
}

fn nearest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    let k = key.to_ascii_lowercase().replace(['-', ' '], "_");
    known
        .iter()
        .map(|n| {
            // Ignore case and separators first: `unitprice` is `unit_price`.
            let squash = |s: &str| s.replace('_', "");
            let score = if squash(&k) == squash(n) {
                1.0
            } else {
                strsim::jaro_winkler(&k, n)
            };
            (score, *n)
        })
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_errors_name_path_and_type_not_value() {
        let v = json!({"buyer": {"phone": 909123456}});
        let e = from_json::<CreateInvoice>(v, "").unwrap_err();
        assert_eq!(e.field(), Some("buyer.phone"));
        assert!(!e.to_string().contains("909123456"), "{e}");
        assert!(
            e.message().contains("expected a string, got a number"),
            "{e}"
        );
        let e =
            from_json::<CreateInvoice>(json!({"items": [{"quantity": "abc"}]}), "").unwrap_err();
        assert_eq!(e.field(), Some("items[0].quantity"));
        assert!(!e.to_string().contains("abc"), "{e}");
    }

    #[test]
    fn unknown_keys_get_the_near_name() {
        let cases = [
            (
                json!({"items": [{"item_name": "A", "tax_rates": 10}]}),
                "items[0].tax_rates",
                Some("tax_rate"),
            ),
            (
                json!({"items": [{"unitprice": 1}]}),
                "items[0].unitprice",
                Some("unit_price"),
            ),
            (
                json!({"buyer": {"emial": "a@b.c"}}),
                "buyer.emial",
                Some("email"),
            ),
            (json!({"isdraft": true}), "isdraft", Some("is_draft")),
            (json!({"zzz": 1}), "zzz", None),
        ];
        for (v, field, near) in cases {
            let e = check_create_keys(&v).unwrap_err();
            assert_eq!(e.field(), Some(field));
            if let Some(n) = near {
                assert!(e.message().contains(&format!("`{n}`")), "{e}");
            }
        }
        assert!(check_create_keys(&json!({"buyer": {"buyer_type": "company"}})).is_ok());
        // The alias belongs to the buyer only.
        assert_eq!(
            check_create_keys(&json!({"buyer_type": "company"}))
                .unwrap_err()
                .field(),
            Some("buyer_type")
        );
        let both = json!({"buyer": {"type": "company", "buyer_type": "company"}});
        assert_eq!(
            check_create_keys(&both).unwrap_err().field(),
            Some("buyer.type")
        );
        for (v, field) in [
            (json!([]), "request"),
            (json!({"buyer": ["company", "ABC"]}), "buyer"),
            (json!({"items": [[1, 1, "SP001"]]}), "items[0]"),
        ] {
            assert_eq!(check_create_keys(&v).unwrap_err().field(), Some(field));
        }
        assert!(fields_of::<LineItem>().contains(&"unit_price"));
        assert!(!fields_of::<CreateInvoice>().contains(&"sent_reference"));
    }
}
