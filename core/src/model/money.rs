//! Serde helpers for money. The API writes amounts as JSON numbers in requests and totals, and as
//! strings ("100000.00") in invoice lines; the SDK holds them as `Decimal` and never as a float.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};
use serde::Serializer;

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
        // A float is read through its shortest round-trip text, so 0.1 stays 0.1.
        parse_decimal(&v.to_string()).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).map_err(E::custom)
    }
}

/// Parses a decimal from text, accepting plain and scientific notation.
pub(crate) fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    Decimal::from_str(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map(|d| d.normalize())
        .map_err(|_| format!("not a decimal number: {s:?}"))
}

/// Deserializes a required decimal from a number or a string.
pub(crate) fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

/// Deserializes an optional decimal from a number, a string or null.
pub(crate) fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    struct OptVisitor;
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
            de_decimal(d).map(Some)
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
            if v.trim().is_empty() {
                return Ok(None);
            }
            DecimalVisitor.visit_str(v).map(Some)
        }
    }
    d.deserialize_any(OptVisitor)
}

/// Writes a decimal as a JSON number, the way the API wants amounts in requests. Whole values are
/// written as integers; others through `f64`, which keeps up to 15 significant digits exact.
pub(crate) fn ser_number<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    let n = v.normalize();
    if n.fract().is_zero() {
        if let Some(i) = n.to_i64() {
            return s.serialize_i64(i);
        }
    }
    match n.to_f64() {
        Some(f) => s.serialize_f64(f),
        None => Err(serde::ser::Error::custom("amount out of range")),
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
        return Err(de::Error::custom(format!(
            "expected a whole count, got {v}"
        )));
    }
    v.to_u64()
        .ok_or_else(|| de::Error::custom("count out of range"))
}
