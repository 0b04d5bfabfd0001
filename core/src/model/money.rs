//! Serde helpers for money. The API writes amounts as JSON numbers in requests and totals, and as
//! strings ("100000.00") in invoice lines; the SDK holds them as `Decimal` and never as a float.
//!
//! Two readers: a lenient one for what the API answers (numbers, strings, blanks as absent) and
//! a strict one for what callers send (a blank string is an error, not "no amount"). Neither
//! puts the value in its error message: amounts sit next to buyer data in the same payloads.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::{Serialize, Serializer};

struct DecimalVisitor;

impl Visitor<'_> for DecimalVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number (JSON number or string)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom("NaN and infinity are not amounts"));
        }
        if v.abs() >= 1e28 {
            // Beyond what a decimal holds, and far beyond any amount.
            return Err(E::custom("is too large to be an amount"));
        }
        // A float is read through its shortest round-trip text, so 0.1 stays 0.1.
        parse_decimal(&v.to_string()).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).map_err(E::custom)
    }
}

/// Parses a decimal from text, accepting plain and scientific notation. The error does not
/// repeat the text.
pub(crate) fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("expected a decimal number, got an empty string".into());
    }
    if t.len() > 64 {
        return Err("expected a decimal number, got a string of more than 64 characters".into());
    }
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map(|d| d.normalize())
        .map_err(|_| {
            if t.eq_ignore_ascii_case("nan") || t.to_ascii_lowercase().contains("inf") {
                "NaN and infinity are not amounts".to_string()
            } else {
                "expected a decimal number such as \"100000\" or \"1.5\"".to_string()
            }
        })
}

/// Deserializes a required decimal from a number or a string.
pub(crate) fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// An optional decimal; `strict` refuses a blank string instead of reading it as absent.
struct OptVisitor {
    strict: bool,
}

impl<'de> Visitor<'de> for OptVisitor {
    type Value = Option<Decimal>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
        d.deserialize_any(self)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        DecimalVisitor.visit_i64(v).map(Some)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        DecimalVisitor.visit_u64(v).map(Some)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        DecimalVisitor.visit_f64(v).map(Some)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if v.trim().is_empty() && !self.strict {
            return Ok(None);
        }
        DecimalVisitor.visit_str(v).map(Some)
    }
}

/// Deserializes an optional decimal the API sent: a number, a string, null or a blank string.
pub(crate) fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_any(OptVisitor { strict: false })
}

/// Deserializes an optional decimal a caller sent: a number, a numeric string or null. A blank
/// string is an error: reading it as "no amount" would silently change the invoice.
pub(crate) fn de_opt_decimal_strict<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_any(OptVisitor { strict: true })
}

std::thread_local! {
    /// Set while a request body is written for the wire (see [`wire_json`]).
    static WIRE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Serialises `value` as the JSON of a request body: amounts go out as JSON numbers with the
/// decimal's own digits (`999999999999999.99` exactly, never through a float).
pub(crate) fn wire_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            WIRE.with(|w| w.set(false));
        }
    }
    WIRE.with(|w| w.set(true));
    let _reset = Reset;
    serde_json::to_vec(value)
}

/// Writes a decimal amount. On the wire ([`wire_json`]): a JSON number with the decimal's own
/// digits. Anywhere else — `serde_json::to_value`, or another format (bincode, MessagePack) —
/// a portable form that round-trips through this crate's `Deserialize`: a number when the value
/// is exactly representable as one, else the decimal as a string.
pub(crate) fn ser_number<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let n = v.normalize();
    if WIRE.with(|w| w.get()) {
        // `Decimal`'s text is plain digits (no exponent), which is a valid JSON number.
        let raw = serde_json::value::RawValue::from_string(n.to_string())
            .map_err(serde::ser::Error::custom)?;
        return raw.serialize(s);
    }
    if n.fract().is_zero() {
        if let Some(i) = n.to_i64() {
            return s.serialize_i64(i);
        }
    }
    // A float only when its shortest text reads back as the same decimal.
    match n
        .to_f64()
        .filter(|f| parse_decimal(&f.to_string()).ok() == Some(n))
    {
        Some(f) => s.serialize_f64(f),
        None => s.serialize_str(&n.to_string()),
    }
}

/// [`ser_number`] for optional fields (skipped when `None` by the field attribute).
pub(crate) fn ser_opt_number<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(d) => ser_number(d, s),
        None => s.serialize_none(),
    }
}

/// Deserializes a count written as a number or a string (`quota_remaining` is a string).
pub(crate) fn de_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = de_decimal(d)?;
    if v.is_sign_negative() || !v.fract().is_zero() {
        return Err(de::Error::custom("expected a whole count of 0 or more"));
    }
    v.to_u64()
        .ok_or_else(|| de::Error::custom("count out of range"))
}

/// [`de_u64_lenient`] for an optional count (null or absent → `None`).
pub(crate) fn de_opt_u64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match de_opt_decimal(d)? {
        None => Ok(None),
        Some(v) if v.is_sign_negative() || !v.fract().is_zero() => {
            Err(de::Error::custom("expected a whole count of 0 or more"))
        }
        Some(v) => v
            .to_u64()
            .map(Some)
            .ok_or_else(|| de::Error::custom("count out of range")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Amount {
        #[serde(serialize_with = "ser_number")]
        v: Decimal,
    }

    #[test]
    fn every_digit_goes_out_on_the_wire() {
        for text in [
            "999999999999999.99",
            "0.1",
            "100000",
            "-5",
            "123456789012345.678901",
        ] {
            let d: Decimal = text.parse().unwrap();
            let json = String::from_utf8(wire_json(&Amount { v: d }).unwrap()).unwrap();
            assert_eq!(json, format!("{{\"v\":{text}}}"));
        }
        let d: Decimal = "100000.000".parse().unwrap();
        assert_eq!(wire_json(&Amount { v: d }).unwrap(), b"{\"v\":100000}");
    }

    #[test]
    fn elsewhere_amounts_are_portable_and_exact() {
        let v = |t: &str| {
            serde_json::to_value(Amount {
                v: t.parse().unwrap(),
            })
            .unwrap()["v"]
                .clone()
        };
        assert_eq!(v("0.1"), serde_json::json!(0.1));
        assert_eq!(v("100000"), serde_json::json!(100000));
        // Too many digits for a float: a string, never a rounded number.
        assert_eq!(
            v("999999999999999.99"),
            serde_json::json!("999999999999999.99")
        );
    }

    #[test]
    fn messages_do_not_repeat_the_input() {
        let e = parse_decimal("0909123456x").unwrap_err();
        assert!(!e.contains("0909123456"), "{e}");
        assert!(parse_decimal("  ").is_err());
        assert!(parse_decimal("NaN").unwrap_err().contains("NaN"));
    }
}
