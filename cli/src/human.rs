//! The single calls' answers for people: what `--json` prints, shown as aligned `field  value`
//! lines and tables. Used only when stdout is a terminal and `--json` is not given; scripts (a
//! pipe, a file, `--json`) get the JSON unchanged.
//!
//! One generic renderer works from the JSON: an object's scalar fields become `field  value`
//! lines (nested objects as `buyer.name`, arrays of scalars joined with ", ", null fields left
//! out, amounts as given), and each array of objects in it becomes a table after them. A
//! [`View`] only picks a table's columns, or a one-line or list form.

use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::exit::Failure;
use crate::output::{self, clip};

/// How an answer is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Fields, then a table per array of objects (every column).
    Object,
    /// An invoice: its fields, then its lines (`items`) with the useful columns.
    Invoice,
    /// A provider account: its fields, then its templates.
    Account,
    /// A page of invoices (`{items, paging}`) or every invoice (an array): a table and a count.
    Invoices,
    /// A page of provider accounts: a table and a count.
    Accounts,
    /// `download`: the file written, its size and type.
    Download,
    /// One line of `field: value` pairs (`usage`).
    Line,
}

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    /// Amounts, quantities, line numbers: their last digits line up.
    Right,
    /// Right when every cell is a number (the columns nobody chose).
    Numbers,
}

/// A table column: its header, the field it shows (a dotted path such as `buyer.name`), and
/// how its cells line up.
type Column = (&'static str, &'static str, Align);

use Align::{Left, Right};

const INVOICE_COLUMNS: &[Column] = &[
    ("REFERENCE CODE", "reference_code", Left),
    ("NUMBER", "invoice_number", Right),
    ("ISSUED DATE", "issued_date", Left),
    ("STATUS", "status", Left),
    ("BUYER", "buyer.name", Left),
    ("TOTAL AMOUNT", "total_amount", Right),
];

const ACCOUNT_COLUMNS: &[Column] = &[
    ("ID", "id", Left),
    ("PROVIDER", "provider", Left),
    ("ACTIVE", "active", Left),
    (
        "TAX AUTHORITY APPROVED",
        "tax_authority_approved_date",
        Left,
    ),
];

const TEMPLATE_COLUMNS: &[Column] = &[
    ("TEMPLATE CODE", "template_code", Left),
    ("INVOICE SERIES", "invoice_series", Left),
    ("INVOICE LABEL", "invoice_label", Left),
];

const LINE_COLUMNS: &[Column] = &[
    ("LINE", "line_number", Right),
    ("ITEM NAME", "item_name", Left),
    ("QUANTITY", "quantity", Right),
    ("UNIT PRICE", "unit_price", Right),
    ("TAX RATE", "tax_rate", Right),
    ("TOTAL AMOUNT", "total_amount", Right),
];

/// Table cells longer than this are cut (field lines never are).
const CELL: usize = 60;

/// Prints `v`: the human view when `human`, else the JSON printed for scripts.
pub fn print<T: Serialize>(human: bool, view: View, v: &T) -> Result<(), Failure> {
    if !human {
        return output::json(v);
    }
    let value = serde_json::to_string(v)
        .and_then(|s| serde_json::from_str::<Json>(&s))
        .map_err(|e| Failure::could_not_run(format!("cannot show the answer: {e}")))?;
    output::line(&render(view, &value));
    Ok(())
}

/// The human view of `v`.
pub fn render(view: View, v: &Json) -> String {
    match view {
        View::Object => object(v, &[]),
        View::Invoice => object(v, &[("items", "lines", LINE_COLUMNS)]),
        View::Account => object(v, &[("templates", "templates", TEMPLATE_COLUMNS)]),
        View::Invoices => list(v, INVOICE_COLUMNS, "invoice"),
        View::Accounts => list(v, ACCOUNT_COLUMNS, "account"),
        View::Download => download(v),
        View::Line => one_line(v),
    }
}

/// JSON with every object's fields in the order they were written (`serde_json::Value` sorts
/// them): scalars as the text JSON writes (strings unquoted), null apart.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Text(String),
    List(Vec<Json>),
    Fields(Vec<(String, Json)>),
}

impl Json {
    /// The field `k` of an object.
    fn get(&self, k: &str) -> Option<&Json> {
        match self {
            Json::Fields(f) => f.iter().find(|(n, _)| n == k).map(|(_, v)| v),
            _ => None,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Json::Text(t) => Some(t),
            _ => None,
        }
    }

    fn is_object(&self) -> bool {
        matches!(self, Json::Fields(_))
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
                Json::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Text(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Text(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Text(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Json::Text(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Text(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(x) = a.next_element()? {
                    items.push(x);
                }
                Ok(Json::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Json, A::Error> {
                let mut fields = Vec::new();
                while let Some(kv) = a.next_entry::<String, Json>()? {
                    fields.push(kv);
                }
                Ok(Json::Fields(fields))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar's text (null: empty).
fn scalar(v: &Json) -> String {
    v.text().unwrap_or_default().to_string()
}

/// An object's fields and its arrays of objects, nested objects flattened with dotted names.
#[derive(Default)]
struct Flat<'a> {
    fields: Vec<(String, String)>,
    tables: Vec<(String, &'a [Json])>,
}

fn flatten_into<'a>(prefix: &str, fields: &'a [(String, Json)], flat: &mut Flat<'a>) {
    for (k, v) in fields {
        let name = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Json::Null => {}
            Json::Text(t) => flat.fields.push((name, t.clone())),
            Json::Fields(f) => flatten_into(&name, f, flat),
            Json::List(a) if a.is_empty() => flat.fields.push((name, "(none)".into())),
            Json::List(a) if a.iter().all(Json::is_object) => flat.tables.push((name, a)),
            Json::List(a) => flat.fields.push((name, joined(a))),
        }
    }
}

fn flatten(v: &Json) -> Flat<'_> {
    let mut flat = Flat::default();
    match v {
        Json::Fields(f) => flatten_into("", f, &mut flat),
        Json::List(a) => flat.tables.push((String::new(), a)),
        Json::Null => {}
        Json::Text(t) => flat.fields.push((String::new(), t.clone())),
    }
    flat
}

/// An array's items joined with ", " (nulls left out); arrays and objects in it as compact JSON.
fn joined(items: &[Json]) -> String {
    items
        .iter()
        .filter(|x| **x != Json::Null)
        .map(|x| match x {
            Json::Text(t) => t.clone(),
            other => compact(other),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as one line of JSON-like text (only for the odd nested array).
fn compact(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::Text(t) => t.clone(),
        Json::List(a) => format!("[{}]", a.iter().map(compact).collect::<Vec<_>>().join(", ")),
        Json::Fields(f) => format!(
            "{{{}}}",
            f.iter()
                .map(|(k, v)| format!("{k}: {}", compact(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `field  value` lines, the values in one column; a multi-line value keeps that column.
fn field_lines(fields: &[(String, String)]) -> String {
    let width = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(width + 2);
    fields
        .iter()
        .map(|(k, v)| {
            let value = v.lines().collect::<Vec<_>>().join(&format!("\n{indent}"));
            format!("{k:<width$}  {value}").trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The field at a dotted path of an object (`buyer.name`), if there.
fn at<'a>(v: &'a Json, path: &str) -> Option<&'a Json> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

/// A cell: a scalar, an array's items joined, an object as compact text; cut to one line.
fn cell(v: Option<&Json>) -> String {
    let text = match v {
        None | Some(Json::Null) => String::new(),
        Some(Json::Text(t)) => t.clone(),
        Some(Json::List(a)) => joined(a),
        Some(other) => compact(other),
    };
    clip(&text, CELL)
}

/// The columns of rows nobody chose columns for: every field some row has a value in, in the
/// order first seen, nested objects flattened; headers from the names.
fn every_column(rows: &[Json]) -> Vec<Col> {
    let mut paths: Vec<String> = Vec::new();
    for r in rows {
        let mut flat = Flat::default();
        if let Json::Fields(f) = r {
            flatten_into("", f, &mut flat);
        }
        let names = flat
            .fields
            .into_iter()
            .map(|(k, _)| k)
            .chain(flat.tables.into_iter().map(|(k, _)| k));
        for k in names {
            if !paths.contains(&k) {
                paths.push(k);
            }
        }
    }
    paths
        .into_iter()
        .map(|p| Col {
            header: p.to_uppercase().replace(['_', '.'], " "),
            path: p,
            align: Align::Numbers,
        })
        .collect()
}

/// A plain decimal number (`3354000`, `-1.5`).
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    digits.chars().any(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1
}

/// A column of a table being drawn.
struct Col {
    header: String,
    path: String,
    align: Align,
}

/// A table of `rows` (objects) with these columns.
fn table(columns: &[Col], rows: &[Json]) -> String {
    let mut headers: Vec<String> = columns.iter().map(|c| c.header.clone()).collect();
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|c| cell(at(r, &c.path))).collect())
        .collect();
    // A right-aligned column is padded on the left to its widest cell, header included: the
    // plain table then lines up its last characters.
    for (i, (header, col)) in headers.iter_mut().zip(columns).enumerate() {
        let column = || cells.iter().filter_map(|r| r.get(i));
        let right = match col.align {
            Align::Left => false,
            Align::Right => true,
            Align::Numbers => {
                column().any(|c| !c.is_empty()) && column().all(|c| c.is_empty() || is_number(c))
            }
        };
        if !right {
            continue;
        }
        let width = column()
            .map(|c| c.chars().count())
            .chain([header.chars().count()])
            .max()
            .unwrap_or(0);
        *header = format!("{header:>width$}");
        for r in &mut cells {
            if let Some(c) = r.get_mut(i) {
                *c = format!("{c:>width$}");
            }
        }
    }
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    output::table(&headers, &cells)
}

fn chosen(columns: &[Column]) -> Vec<Col> {
    columns
        .iter()
        .map(|&(header, path, align)| Col {
            header: header.into(),
            path: path.into(),
            align,
        })
        .collect()
}

/// An object's fields, then each of its arrays of objects as a table: with the columns chosen
/// for it in `choices` (`(field, title, columns)`), else every column.
fn object(v: &Json, choices: &[(&str, &str, &[Column])]) -> String {
    let flat = flatten(v);
    let mut parts = Vec::new();
    if !flat.fields.is_empty() {
        parts.push(field_lines(&flat.fields));
    }
    for (name, rows) in &flat.tables {
        let (title, columns) = match choices.iter().find(|(f, _, _)| f == name) {
            Some((_, title, cols)) => (title.to_string(), chosen(cols)),
            None if name.is_empty() => ("rows".to_string(), every_column(rows)),
            None => (name.clone(), every_column(rows)),
        };
        parts.push(format!(
            "{title} ({})\n{}",
            rows.len(),
            table(&columns, rows)
        ));
    }
    parts.join("\n\n")
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A list: a page (`{items, paging}`) or a whole array, as a table and a count line.
fn list(v: &Json, columns: &[Column], noun: &str) -> String {
    let rows: &[Json] = match v {
        Json::List(a) => a,
        _ => match v.get("items") {
            Some(Json::List(a)) => a,
            _ => &[],
        },
    };
    let n = rows.len() as u64;
    let paging = |k: &str| {
        at(v, &format!("paging.{k}"))
            .and_then(Json::text)
            .map(str::to_string)
    };
    let num = |k: &str| paging(k).and_then(|t| t.parse::<u64>().ok());
    let count = match (num("total"), num("current_page"), num("page_count")) {
        (Some(total), Some(page), Some(pages)) if pages > 1 || total != n => {
            let more = paging("has_more").map_or(page < pages, |m| m == "true");
            let next = if more {
                format!("; next: --page {}", page + 1)
            } else {
                String::new()
            };
            format!(
                "{n} of {}, page {page} of {pages}{next}",
                plural(total, noun)
            )
        }
        _ => plural(n, noun),
    };
    if rows.is_empty() {
        return count;
    }
    format!("{}\n{count}", table(&chosen(columns), rows))
}

/// `download`: `wrote PATH (N bytes, TYPE)`.
fn download(v: &Json) -> String {
    let get = |k: &str| v.get(k).map(scalar).unwrap_or_default();
    format!(
        "wrote {} ({} bytes, {})",
        get("file"),
        get("bytes"),
        get("file_type")
    )
}

/// Every field on one line: `quota remaining: 1000`.
fn one_line(v: &Json) -> String {
    flatten(v)
        .fields
        .iter()
        .map(|(k, v)| format!("{}: {v}", k.replace(['_', '.'], " ")))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(view: View, text: &str) -> String {
        render(view, &serde_json::from_str(text).expect("JSON"))
    }

    #[test]
    fn objects_flatten_in_order_and_leave_nulls_out() {
        let v = r#"{
            "reference_code": "R-1", "xml_url": null,
            "buyer": {"name": "Công ty ABC", "tax_code": "0101", "email": null},
            "emails": ["a@x.vn", null, "b@x.vn"], "tags": [],
            "total_amount": "3354000", "document_type": 2, "draft": false,
            "notes": "first\nsecond"
        }"#;
        assert_eq!(
            show(View::Object, v),
            "\
reference_code  R-1
buyer.name      Công ty ABC
buyer.tax_code  0101
emails          a@x.vn, b@x.vn
tags            (none)
total_amount    3354000
document_type   2
draft           false
notes           first
                second"
        );
    }

    #[test]
    fn arrays_of_objects_become_tables_with_aligned_columns() {
        let v = r#"{"id": "A", "items": [
            {"line_number": 1, "line_type": 1, "item_code": null, "item_name": "Dịch vụ tư vấn",
             "quantity": "2", "unit_price": "1500000", "total_amount": "3000000", "tax_rate": "10"},
            {"line_number": 2, "line_type": 1, "item_code": null, "item_name": "Phí",
             "quantity": "1.5", "unit_price": "50000", "total_amount": "75000", "tax_rate": "-1"}
        ]}"#;
        assert_eq!(
            show(View::Invoice, v),
            "\
id  A

lines (2)
LINE  ITEM NAME       QUANTITY  UNIT PRICE  TAX RATE  TOTAL AMOUNT
   1  Dịch vụ tư vấn         2     1500000        10       3000000
   2  Phí                  1.5       50000        -1         75000"
        );
        // Without a choice of columns: every column that has a value (item_code has none).
        assert_eq!(
            show(
                View::Object,
                r#"[{"a_b": "x", "n": null, "c": {"d": 1}}, {"a_b": "yy", "e": [1, 2]}]"#
            ),
            "\
rows (2)
A B  C D  E
x      1
yy        1, 2"
        );
    }

    #[test]
    fn lists_have_their_columns_and_a_count() {
        let inv = |n: &str, name: &str| {
            format!(
                r#"{{"reference_code": "R-{n}", "status": "issued", "invoice_number": "{n}",
                    "issued_date": "2026-01-26", "pdf_url": "x", "buyer": {{"name": "{name}"}},
                    "total_amount": "1000"}}"#
            )
        };
        let page = format!(
            r#"{{"items": [{}, {}], "paging": {{"per_page": 2, "total": 3, "has_more": true,
                 "current_page": 1, "page_count": 2}}}}"#,
            inv("1", "ABC"),
            inv("12", "Minh Anh")
        );
        assert_eq!(
            show(View::Invoices, &page),
            "\
REFERENCE CODE  NUMBER  ISSUED DATE  STATUS  BUYER     TOTAL AMOUNT
R-1                  1  2026-01-26   issued  ABC               1000
R-12                12  2026-01-26   issued  Minh Anh          1000
2 of 3 invoices, page 1 of 2; next: --page 2"
        );
        assert!(show(View::Invoices, &format!("[{}]", inv("1", "A"))).ends_with("\n1 invoice"));
        let accounts = r#"{"items": [
            {"id": "a1", "provider": "matbao", "active": true, "tax_authority_approved_date": null},
            {"id": "b2", "provider": "bkav", "active": false, "tax_authority_approved_date": "2026-04-20"}
        ], "paging": {"per_page": 20, "total": 2, "has_more": false, "current_page": 1, "page_count": 1}}"#;
        assert_eq!(
            show(View::Accounts, accounts),
            "\
ID  PROVIDER  ACTIVE  TAX AUTHORITY APPROVED
a1  matbao    true
b2  bkav      false   2026-04-20
2 accounts"
        );
        assert_eq!(show(View::Accounts, r#"{"items": []}"#), "0 accounts");
    }

    #[test]
    fn one_liners() {
        assert_eq!(
            show(View::Line, r#"{"quota_remaining": 1000}"#),
            "quota remaining: 1000"
        );
        assert_eq!(
            show(
                View::Download,
                r#"{"bytes": 1326, "file": "HD_1.pdf", "file_type": "pdf"}"#
            ),
            "wrote HD_1.pdf (1326 bytes, pdf)"
        );
    }
}
