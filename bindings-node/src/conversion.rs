//! JavaScript values in, results out: keys are turned from camelCase into the API's snake_case
//! (and back for results), options objects into the core's settings, with the field's name in
//! every error. Requests and stored jobs are read (and checked) by the core itself.

use std::sync::Arc;
use std::time::Duration;

use napi::threadsafe_function::{
    ThreadsafeFunction, ThreadsafeFunctionCallMode, UnknownReturnValue,
};
use napi::Status;
use sepay_einvoice as sdk;
use serde_json::{Map, Value};

use crate::client::SentReference;
use crate::errors::validation;

/// The `onStatus` callback: called (never waited on) with each status, camelCased. Weak, so it
/// never keeps the event loop alive on its own.
pub type StatusFn = ThreadsafeFunction<Value, UnknownReturnValue, Value, Status, false, true>;

fn camel_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut up = false;
    for c in s.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn map_keys(v: Value, f: fn(&str) -> String) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (f(&k), map_keys(v, f)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| map_keys(v, f)).collect()),
        other => other,
    }
}

/// Canonical JSON (snake_case) → what JavaScript sees (camelCase).
pub fn camelize(v: Value) -> Value {
    map_keys(v, camel_key)
}

/// JavaScript input (camelCase, or already snake_case) → the API's names.
pub fn snakeize(v: Value) -> Value {
    map_keys(v, snake_key)
}

/// A result as camelCased JSON text, made on a runtime thread and turned into a JavaScript
/// value by V8's own `JSON.parse` on the main thread: one string crosses instead of one N-API
/// call per property (which cost most of the main thread's time per call).
pub struct Json(String);

impl napi::bindgen_prelude::ToNapiValue for Json {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        use napi::sys;
        let mut global = std::ptr::null_mut();
        let mut json = std::ptr::null_mut();
        let mut parse = std::ptr::null_mut();
        let mut text = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        // SAFETY: called by napi on the main thread with a live `env`; every out-pointer is a
        // local that N-API fills, and `val.0` outlives the string's creation (V8 copies it).
        unsafe {
            napi::check_status!(sys::napi_get_global(env, &mut global))?;
            napi::check_status!(sys::napi_get_named_property(
                env,
                global,
                c"JSON".as_ptr(),
                &mut json
            ))?;
            napi::check_status!(sys::napi_get_named_property(
                env,
                json,
                c"parse".as_ptr(),
                &mut parse
            ))?;
            // ASCII (see `json_out`): copied, not decoded. Checked all the same, so text that
            // is not (a raw JSON fragment, say) is decoded rather than corrupted.
            let create = if val.0.is_ascii() {
                sys::napi_create_string_latin1
            } else {
                sys::napi_create_string_utf8
            };
            napi::check_status!(create(
                env,
                val.0.as_ptr().cast(),
                val.0.len() as isize,
                &mut text
            ))?;
            napi::check_status!(sys::napi_call_function(
                env, json, parse, 1, &text, &mut out
            ))?;
        }
        Ok(out)
    }
}

impl Json {
    /// JavaScript's `null`.
    pub fn null() -> Json {
        Json("null".into())
    }
}

/// [`out`] as JSON text for [`Json`], written in one pass: keys camelCased as they are written
/// (no intermediate JSON value), and ASCII only, so the main thread copies it into a one-byte
/// V8 string instead of decoding UTF-8, and `JSON.parse` reads one byte per character.
pub fn json_out<T: serde::Serialize>(v: &T) -> sdk::Result<Json> {
    let mut text = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::with_formatter(&mut text, ForJs::default());
    v.serialize(&mut ser)
        .map_err(|e| sdk::Error::new(sdk::ErrorKind::Decode, e.to_string()))?;
    // Only ASCII was written (every other character is escaped).
    String::from_utf8(text)
        .map(Json)
        .map_err(|e| sdk::Error::new(sdk::ErrorKind::Decode, e.to_string()))
}

/// Compact JSON with object keys camelCased and every non-ASCII character escaped (`\uXXXX`,
/// as UTF-16 like JSON wants): what [`json_out`] hands to JavaScript.
#[derive(Default)]
struct ForJs {
    in_key: bool,
    /// The next key character follows an underscore: upper-cased.
    up: bool,
}

impl serde_json::ser::Formatter for ForJs {
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        (self.in_key, self.up) = (true, false);
        if first {
            Ok(())
        } else {
            w.write_all(b",")
        }
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.in_key = false;
        Ok(())
    }

    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        use serde_json::ser::CharEscape;
        // In a key, an escaped character after `_` takes the upper-casing (`camel_key` upper-cases
        // it, which leaves it as it is).
        self.up = false;
        let text: &[u8] = match escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => return write!(w, "\\u{byte:04x}"),
        };
        w.write_all(text)
    }

    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let plain_key = !self.up && !fragment.contains('_');
        if fragment.is_ascii() && (!self.in_key || plain_key) {
            // The usual case, as is.
            return w.write_all(fragment.as_bytes());
        }
        if self.in_key {
            // As `camel_key`: `_` dropped, the character after it upper-cased.
            for c in fragment.chars() {
                if c == '_' {
                    self.up = true;
                } else if std::mem::take(&mut self.up) {
                    for u in c.to_uppercase() {
                        write_char(w, u)?;
                    }
                } else {
                    write_char(w, c)?;
                }
            }
            return Ok(());
        }
        let mut plain = 0;
        for (i, c) in fragment.char_indices() {
            if !c.is_ascii() {
                w.write_all(&fragment.as_bytes()[plain..i])?;
                write_char(w, c)?;
                plain = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[plain..])
    }
}

/// One character of a string's text: itself when ASCII, else its UTF-16 escapes.
fn write_char<W: ?Sized + std::io::Write>(w: &mut W, c: char) -> std::io::Result<()> {
    if c.is_ascii() {
        return w.write_all(&[c as u8]);
    }
    let mut units = [0u16; 2];
    for u in c.encode_utf16(&mut units) {
        write!(w, "\\u{u:04x}")?;
    }
    Ok(())
}

pub fn out<T: serde::Serialize>(v: &T) -> sdk::Result<Value> {
    serde_json::to_value(v)
        .map(camelize)
        .map_err(|e| sdk::Error::new(sdk::ErrorKind::Decode, e.to_string()))
}

/// A job status for JavaScript: `{ state, message, referenceCode, invoice }` (the canonical JSON
/// calls the state `status`; DESIGN.md's `JobStatus` calls it `state`).
pub fn status_out(s: &sdk::JobStatus) -> Value {
    let mut v = serde_json::to_value(s).map(camelize).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        if let Some(state) = m.remove("status") {
            m.insert("state".into(), state);
        }
    }
    v
}

pub fn opt_object(v: Option<Value>, what: &str) -> sdk::Result<Map<String, Value>> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m),
        Some(_) => Err(validation(what, "must be an object")),
    }
}

pub fn opt_u32(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<u32>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| validation(field, "must be a whole number")),
    }
}

pub fn opt_bytes(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<usize>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f <= 9.0e15)
                    .map(|f| f as u64)
            })
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| validation(field, "must be a positive whole number of bytes")),
    }
}

pub fn opt_duration(
    m: &Map<String, Value>,
    key: &str,
    field: &str,
) -> sdk::Result<Option<Duration>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v
            .as_f64()
            .and_then(|f| Duration::try_from_secs_f64(f / 1000.0).ok())
        {
            Some(d) => Ok(Some(d)),
            None => Err(validation(field, "must be a number of milliseconds")),
        },
    }
}

pub fn opt_string(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<String>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(validation(field, "must be a string")),
    }
}

pub fn list_params(v: Option<Value>) -> sdk::Result<sdk::ListParams> {
    let m = opt_object(v, "params")?;
    Ok(sdk::ListParams {
        page: opt_u32(&m, "page", "page")?,
        per_page: opt_u32(&m, "perPage", "per_page")?.or(opt_u32(&m, "per_page", "per_page")?),
    })
}

pub fn list_invoices_params(v: Option<Value>) -> sdk::Result<sdk::ListInvoicesParams> {
    let m = opt_object(v, "params")?;
    Ok(sdk::ListInvoicesParams {
        page: opt_u32(&m, "page", "page")?,
        per_page: opt_u32(&m, "perPage", "per_page")?.or(opt_u32(&m, "per_page", "per_page")?),
        source: opt_string(&m, "source", "source")?.map(|s| sdk::Source::parse(&s)),
    })
}

/// The `onStatus` callback of one wait, kept so the wait can flush it before settling.
pub type StatusSink = Option<Arc<StatusFn>>;

/// Waits until every status already sent to `onStatus` has been delivered: calls on one
/// threadsafe function run in order, so a last (ignored) `null` call that returns proves the
/// earlier ones ran. Without it the promise could settle before the last status is seen.
pub async fn flush(sink: &StatusSink) {
    if let Some(f) = sink {
        let _ = f.call_async_catch(Value::Null).await;
    }
}

pub fn wait_options(
    v: Option<Value>,
    on_status: Option<StatusFn>,
) -> sdk::Result<(sdk::WaitOptions, StatusSink)> {
    let m = opt_object(v, "options")?;
    // Defaults and the longest-interval rule are the core's.
    let mut o = sdk::WaitOptions::from_parts(
        opt_duration(&m, "timeoutMs", "timeout")?,
        opt_duration(&m, "pollIntervalMs", "poll_interval")?,
        opt_duration(&m, "maxPollIntervalMs", "max_poll_interval")?,
    )?;
    let sink = on_status.map(Arc::new);
    if let Some(f) = sink.clone() {
        o.on_status = Some(Arc::new(move |s: &sdk::JobStatus| {
            f.call(status_out(s), ThreadsafeFunctionCallMode::NonBlocking);
        }));
    }
    Ok((o, sink))
}

pub fn create_request(v: Option<Value>) -> sdk::Result<sdk::CreateInvoice> {
    let v = v.unwrap_or(Value::Null);
    if !v.is_object() {
        return Err(validation("request", "must be an object"));
    }
    sdk::CreateInvoice::from_json(snakeize(v))
}

/// The create request, sharing the memory of the JavaScript request object's reference code
/// (so sending the same object again reuses it, even after an aborted call).
pub fn create_request_sent(
    v: Option<Value>,
    sent: Option<&SentReference>,
) -> sdk::Result<sdk::CreateInvoice> {
    let mut req = create_request(v)?;
    if let Some(s) = sent {
        req.sent_reference = s.inner.shared();
    }
    Ok(req)
}

/// A replacement of `original` by the request, sharing the request object's reference-code memory.
pub fn replacement_sent(
    original: String,
    v: Option<Value>,
    sent: Option<&SentReference>,
) -> sdk::Result<sdk::ReplaceInvoice> {
    Ok(sdk::ReplaceInvoice::new(
        original,
        create_request_sent(v, sent)?,
    ))
}

/// An adjustment of `original` (the core refuses an unknown `adjustment_type`, naming it).
pub fn adjustment_sent(
    original: String,
    adjustment_type: &str,
    v: Option<Value>,
    sent: Option<&SentReference>,
) -> sdk::Result<sdk::AdjustInvoice> {
    Ok(sdk::AdjustInvoice::new(
        original,
        sdk::AdjustmentType::parse(adjustment_type),
        create_request_sent(v, sent)?,
    ))
}

pub fn opt_bool(m: &Map<String, Value>, key: &str, field: &str) -> sdk::Result<Option<bool>> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(validation(field, "must be true or false")),
    }
}

pub fn job_input(v: Option<Value>) -> sdk::Result<sdk::Job> {
    // The core names a bad stored job's fields `job.*`, for every language.
    sdk::Job::from_json(snakeize(v.unwrap_or(Value::Null)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_for_javascript_are_ascii_and_read_back_as_the_camelized_value() {
        let v = serde_json::json!({
            "reference_code": "Công ty 😀 \"q\" \\ / \n\t \u{2028} \u{1} 𝔸",
            "items": [{"unit_price": "1.5", "x_\"y": 1, "a_\nb": 2, "trailing_": 3, "_lead": 4, "ß_ß": 5}],
            "nested_map": {"some_key": null, "đ_ă": [true, 1.25, -0.0]},
        });
        let text = json_out(&v).expect("written").0;
        assert!(text.is_ascii(), "{text}");
        let back: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back, camelize(v));
    }
}
