//! `issued_date`: the forms accepted and their conversion to the API's Vietnam-time text.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};

use crate::clock::vietnam;

use crate::error::{Error, Result};

/// The current date-time in Vietnam.
pub(crate) fn now_in_vietnam() -> NaiveDateTime {
    Utc::now().with_timezone(&vietnam()).naive_local()
}

/// The API's request format for `issued_date`.
pub const ISSUED_DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Earliest year accepted: e-invoices in this form did not exist before, and a year such as
/// `0000` is a typo, not a date.
const MIN_YEAR: i32 = 2000;

/// Formats a date-time for `issued_date`.
pub fn format_issued_date(dt: NaiveDateTime) -> String {
    dt.format(ISSUED_DATE_FORMAT).to_string()
}

fn bad(_s: &str) -> Error {
    Error::validation(
        "issued_date",
        "must look like \"2026-01-26 08:00:00\" (Vietnam time), \"2026-01-26\", or ISO 8601 with an offset (\"2026-01-26T01:00:00Z\")",
    )
}

/// Checks the text's shape before any parser sees it: `YYYY-MM-DD`, then optionally a space or
/// `T`, `HH:MM`, `:SS`, `.fraction`, and `Z` or `±HH:MM`. Chrono alone accepts more (`+002026`,
/// a leap second `:60`).
fn shape_ok(t: &str) -> bool {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if !(digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10))
    {
        return false;
    }
    let mut i = 10;
    if i == b.len() {
        return true;
    }
    if !matches!(b[i], b' ' | b'T') {
        return false;
    }
    i += 1;
    if !(digits(i..i + 2) && b.get(i + 2) == Some(&b':') && digits(i + 3..i + 5)) {
        return false;
    }
    i += 5;
    if b.get(i) == Some(&b':') {
        if !digits(i + 1..i + 3) || &t[i + 1..i + 3] > "59" {
            return false;
        }
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            i = start;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start || i - start > 9 {
                return false;
            }
        }
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        // ±HH:MM or ±HHMM
        Some(b'+') | Some(b'-') => {
            (i + 6 == b.len() && digits(i + 1..i + 3) && b[i + 3] == b':' && digits(i + 4..i + 6))
                || (i + 5 == b.len() && digits(i + 1..i + 5))
        }
        _ => false,
    }
}

/// Reads `issued_date` in any accepted form and returns it as Vietnam local time.
pub(crate) fn parse_issued_date(s: &str) -> Result<NaiveDateTime> {
    let t = s.trim();
    if t.is_empty() {
        return Err(Error::validation("issued_date", "is required"));
    }
    if t.len() > 40 || !shape_ok(t) {
        return Err(bad(s));
    }
    // A trailing `Z` is the zero offset; chrono's `%z` wants it written out.
    let zoned = t.strip_suffix('Z').map(|x| format!("{x}+00:00"));
    let with_offset = zoned.as_deref().unwrap_or(t);
    let offset_forms = [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M%z",
    ];
    let parsed = if let Some(dt) = DateTime::parse_from_rfc3339(t).ok().or_else(|| {
        offset_forms
            .iter()
            .find_map(|f| DateTime::parse_from_str(with_offset, f).ok())
    }) {
        Some(dt.with_timezone(&vietnam()).naive_local())
    } else {
        [
            ISSUED_DATE_FORMAT,
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(t, fmt).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
    };
    let dt = parsed.ok_or_else(|| bad(s))?;
    use chrono::Datelike;
    if dt.year() < MIN_YEAR {
        return Err(Error::validation(
            "issued_date",
            format!("year must be {MIN_YEAR} or later"),
        ));
    }
    Ok(dt.with_nanosecond(0).unwrap_or(dt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        for (input, out) in [
            ("2026-01-26 08:00:00", "2026-01-26 08:00:00"),
            ("2026-01-26T08:00:00", "2026-01-26 08:00:00"),
            ("2026-01-26 08:00:00.123", "2026-01-26 08:00:00"),
            ("2026-01-26 08:00", "2026-01-26 08:00:00"),
            ("2026-01-26", "2026-01-26 00:00:00"),
            ("2026-01-26T01:00:00Z", "2026-01-26 08:00:00"),
            ("2026-01-26T08:00:00+07:00", "2026-01-26 08:00:00"),
            ("2026-01-26T08:00:00+0700", "2026-01-26 08:00:00"),
            ("2026-01-26T08:00+07:00", "2026-01-26 08:00:00"),
            ("2026-01-26T01:00Z", "2026-01-26 08:00:00"),
            ("2026-01-26T01:00:00.000Z", "2026-01-26 08:00:00"),
        ] {
            assert_eq!(
                format_issued_date(parse_issued_date(input).unwrap()),
                out,
                "{input}"
            );
        }
    }

    #[test]
    fn refused_forms() {
        for input in [
            "0000-01-01 00:00:00",
            "1999-12-31",
            "2026-01-26 23:59:60",
            "+002026-01-26T00:00:00Z",
            "2026-1-26",
            "2026-02-30",
            "2026-01-26 25:00:00",
            "26/01/2026",
            "2026-01-26x",
            "2026-01-26T08:00:00+7",
            "2026-01-26T08:00:00+07",
        ] {
            assert!(parse_issued_date(input).is_err(), "{input} was accepted");
        }
    }
}
