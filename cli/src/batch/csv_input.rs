//! CSV input: one row per line item, grouped into invoices by the order column. The invoice
//! columns come from an order's first row; a later row may leave them empty or repeat them, but
//! not give another value. Empty cells are absent fields. Unknown columns are refused (a
//! misspelt column would otherwise vanish from every invoice).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::input::{BadRow, Defaults, Input, Location, Row};
use crate::exit::Failure;

/// Invoice columns (taken from an order's first row) and where each goes in the request.
pub const INVOICE_COLUMNS: &[(&str, &str)] = &[
    ("provider_account_id", "provider_account_id"),
    ("template_code", "template_code"),
    ("invoice_series", "invoice_series"),
    ("issued_date", "issued_date"),
    ("currency", "currency"),
    ("payment_method", "payment_method"),
    ("is_draft", "is_draft"),
    ("notes", "notes"),
    ("reference_code", "reference_code"),
    ("total_amount", "total_amount"),
    ("buyer_type", "buyer.type"),
    ("buyer_name", "buyer.name"),
    ("buyer_legal_name", "buyer.legal_name"),
    ("buyer_tax_code", "buyer.tax_code"),
    ("buyer_address", "buyer.address"),
    ("buyer_email", "buyer.email"),
    ("buyer_phone", "buyer.phone"),
    ("buyer_code", "buyer.buyer_code"),
    ("buyer_national_id", "buyer.national_id"),
];

/// Line columns (one line item per CSV row), named as the request's `items[]` fields.
pub const LINE_COLUMNS: &[&str] = &[
    "item_name",
    "item_code",
    "unit",
    "quantity",
    "unit_price",
    "tax_rate",
    "discount_tax",
    "discount_amount",
    "line_type",
    "before_discount_and_tax_amount",
];

/// Where a request field is in a CSV order: the line and the column.
pub fn locate(first_line: usize, item_lines: &[usize], field: &str) -> Location {
    let at = |line: usize, column: Option<&str>| Location {
        line,
        column: column.map(str::to_string),
        field: Some(field.to_string()),
    };
    if let Some(rest) = field.strip_prefix("items[") {
        if let Some((index, tail)) = rest.split_once(']') {
            let line = index
                .parse::<usize>()
                .ok()
                .and_then(|i| item_lines.get(i).copied())
                .unwrap_or(first_line);
            let column = tail.strip_prefix('.').filter(|c| LINE_COLUMNS.contains(c));
            return at(line, column);
        }
        return at(first_line, None);
    }
    let column = INVOICE_COLUMNS
        .iter()
        .find(|(_, f)| *f == field || (field == "buyer.buyer_type" && *f == "buyer.type"))
        .map(|(c, _)| *c);
    at(first_line, column)
}

/// The known column nearest to an unknown one (case, separators and small typos forgiven).
fn nearest(name: &str, order_column: &str) -> Option<String> {
    let squash = |s: &str| {
        s.to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    };
    let n = squash(name);
    let known = INVOICE_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(LINE_COLUMNS.iter().copied())
        .chain(std::iter::once(order_column));
    known
        .map(|k| {
            let score = if squash(k) == n {
                1.0
            } else {
                strsim::jaro_winkler(&name.to_ascii_lowercase(), k)
            };
            (score, k)
        })
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_string())
}

enum Column {
    Order,
    Invoice(&'static str),
    Line(&'static str),
}

/// One order while it is read.
struct Group {
    key: String,
    first_line: usize,
    /// Invoice columns of the first row (non-empty cells only).
    invoice: HashMap<&'static str, String>,
    items: Vec<(usize, Map<String, Value>)>,
    bad: bool,
}

/// Reads a CSV input (see the module docs).
pub fn read(
    path: &Path,
    text: &str,
    order_column: &str,
    defaults: &Defaults,
) -> Result<Input, Failure> {
    let file = path.display();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| Failure::invalid(format!("{file}:1: cannot read the CSV header: {e}")))?
        .clone();
    let mut columns = Vec::with_capacity(headers.len());
    let mut seen = HashMap::new();
    let mut unknown = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            return Err(Failure::invalid(format!(
                "{file}:1: column {} has no name",
                i + 1
            )));
        }
        if let Some(j) = seen.insert(h.to_string(), i) {
            return Err(Failure::invalid(format!(
                "{file}:1: column {h:?} appears twice (columns {} and {})",
                j + 1,
                i + 1
            )));
        }
        let col = if h == order_column {
            Column::Order
        } else if let Some((c, _)) = INVOICE_COLUMNS.iter().find(|(c, _)| *c == h) {
            Column::Invoice(c)
        } else if let Some(c) = LINE_COLUMNS.iter().find(|c| **c == h) {
            Column::Line(c)
        } else {
            unknown.push(h);
            continue;
        };
        columns.push(col);
    }
    if !columns.iter().any(|c| matches!(c, Column::Order)) {
        let hint = match unknown.first() {
            Some(u) => format!(" (is it {u:?}? then pass --order-column {u})"),
            None => String::new(),
        };
        return Err(Failure::invalid(format!(
            "{file}:1: no {order_column:?} column: each row needs the order it belongs to; name the column with --order-column{hint}"
        )));
    }
    if let Some(h) = unknown.first() {
        let hint = match nearest(h, order_column) {
            Some(n) => format!("did you mean {n:?}?"),
            None => "see `sepay-einvoice batch issue --help` for the columns".to_string(),
        };
        return Err(Failure::invalid(format!(
            "{file}:1: unknown column {h:?}; {hint}"
        )));
    }

    let mut input = Input {
        path: path.to_path_buf(),
        records: 0,
        rows: Vec::new(),
        bad: Vec::new(),
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
            Failure::invalid(format!("{file}:{line}: cannot read the CSV row: {e}"))
        })?;
        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
        input.records += 1;
        let order = columns
            .iter()
            .zip(record.iter())
            .find(|(c, _)| matches!(c, Column::Order))
            .map(|(_, v)| v)
            .unwrap_or("");
        if order.is_empty() {
            input.bad.push(BadRow {
                at: Location {
                    line,
                    column: Some(order_column.to_string()),
                    field: None,
                },
                key: None,
                message: "is empty: every row needs the order it belongs to".into(),
            });
            continue;
        }
        let index = *by_key.entry(order.to_string()).or_insert_with(|| {
            groups.push(Group {
                key: order.to_string(),
                first_line: line,
                invoice: HashMap::new(),
                items: Vec::new(),
                bad: false,
            });
            groups.len() - 1
        });
        let group = &mut groups[index];
        let first = group.first_line == line;
        let mut item = Map::new();
        for (col, value) in columns.iter().zip(record.iter()) {
            match col {
                Column::Order => {}
                Column::Line(c) => {
                    if !value.is_empty() {
                        item.insert(c.to_string(), Value::String(value.to_string()));
                    }
                }
                Column::Invoice(c) if first => {
                    if !value.is_empty() {
                        group.invoice.insert(c, value.to_string());
                    }
                }
                Column::Invoice(c) => {
                    if value.is_empty() {
                        continue;
                    }
                    let message = match group.invoice.get(c) {
                        Some(v) if v == value => continue,
                        Some(_) => format!(
                            "differs from the order's first row (line {}): an order's invoice columns must agree on each of its rows (or be left empty after the first)",
                            group.first_line
                        ),
                        None => format!(
                            "is empty on the order's first row (line {}) but given here: put an order's invoice columns on its first row",
                            group.first_line
                        ),
                    };
                    group.bad = true;
                    input.bad.push(BadRow {
                        at: Location {
                            line,
                            column: Some(c.to_string()),
                            field: None,
                        },
                        key: Some(group.key.clone()),
                        message,
                    });
                }
            }
        }
        group.items.push((line, item));
    }

    for g in groups {
        if g.bad {
            continue;
        }
        let item_lines: Vec<usize> = g.items.iter().map(|(l, _)| *l).collect();
        let obj = invoice_json(&g);
        match defaults.request(obj) {
            Ok(request) => input.rows.push(Row {
                key: g.key,
                line: g.first_line,
                item_lines,
                request,
            }),
            Err(e) => {
                let field = e.field().unwrap_or("(root)");
                input.bad.push(BadRow {
                    at: locate(g.first_line, &item_lines, field),
                    key: Some(g.key),
                    message: e.message().to_string(),
                });
            }
        }
    }
    Ok(input)
}

/// A spreadsheet's spellings of a boolean; anything else is left as text for the SDK to refuse.
fn boolean(s: &str) -> Value {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Value::Bool(true),
        "false" | "0" | "no" | "n" => Value::Bool(false),
        _ => Value::String(s.to_string()),
    }
}

/// The request JSON of an order, with the API's field names.
fn invoice_json(g: &Group) -> Map<String, Value> {
    let mut obj = Map::new();
    let mut buyer = Map::new();
    for (column, field) in INVOICE_COLUMNS {
        let Some(v) = g.invoice.get(column) else {
            continue;
        };
        let value = if *column == "is_draft" {
            boolean(v)
        } else {
            Value::String(v.clone())
        };
        match field.strip_prefix("buyer.") {
            Some(b) => {
                buyer.insert(b.to_string(), value);
            }
            None => {
                obj.insert(field.to_string(), value);
            }
        }
    }
    if !buyer.is_empty() {
        obj.insert("buyer".into(), Value::Object(buyer));
    }
    let items = g
        .items
        .iter()
        .map(|(_, m)| Value::Object(m.clone()))
        .collect();
    obj.insert("items".into(), Value::Array(items));
    obj
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Defaults {
        Defaults {
            account: Some("acc".into()),
            template: Some("1".into()),
            series: Some("C26TSE".into()),
            draft: Some(true),
        }
    }

    #[test]
    fn groups_orders_and_names_lines_and_columns() {
        let text = "\u{feff}order,buyer_name,item_name,quantity,unit_price,tax_rate,is_draft\n\
            A,Công ty A,Bút,2,10000,10,no\n\
            B,Công ty B,Vở,1,5000,8,\n\
            A,,Thước,3,2000,10,\n\
            A,Công ty A,Tẩy,1,1000,10,\n";
        let text = text.trim_start_matches('\u{feff}');
        let input = read(Path::new("o.csv"), text, "order", &defaults()).expect("read");
        assert!(input.bad.is_empty(), "{:?}", input.bad);
        assert_eq!(input.records, 4);
        assert_eq!(input.rows.len(), 2);
        let a = &input.rows[0];
        assert_eq!(a.key, "A");
        assert_eq!(a.item_lines, [2, 4, 5]);
        assert_eq!(a.request.items.len(), 3);
        assert_eq!(a.request.buyer.name.as_deref(), Some("Công ty A"));
        assert!(a.request.is_draft, "--draft wins over the row");
        assert_eq!(a.request.provider_account_id, "acc");
        assert_eq!(input.rows[1].request.items[0].item_name, "Vở");
    }

    #[test]
    fn disagreements_unknown_columns_and_bad_cells() {
        let text = "order,buyer_name,item_name,quantity\nA,X,a,1\nA,Y,b,1\nB,,c,abc\n";
        let input = read(Path::new("o.csv"), text, "order", &defaults()).expect("read");
        assert!(input.rows.is_empty());
        let msgs: Vec<String> = input
            .bad
            .iter()
            .map(|b| b.describe(Path::new("o.csv")))
            .collect();
        assert!(
            msgs[0].starts_with("o.csv:3: row \"A\": column buyer_name: differs from the order's first row (line 2)"),
            "{msgs:?}"
        );
        assert!(
            msgs[1].starts_with("o.csv:4: row \"B\": column quantity (items[0].quantity): "),
            "{msgs:?}"
        );

        let e = read(
            Path::new("o.csv"),
            "order,item_name,unit_prise\n",
            "order",
            &defaults(),
        )
        .expect_err("unknown column");
        assert!(
            e.message
                .contains("unknown column \"unit_prise\"; did you mean \"unit_price\"?"),
            "{}",
            e.message
        );
        let e = read(Path::new("o.csv"), "id,item_name\n", "order", &defaults())
            .expect_err("no order column");
        assert!(e.message.contains("no \"order\" column"), "{}", e.message);
        assert!(read(Path::new("o.csv"), "id,item_name\n", "id", &defaults()).is_ok());
    }

    #[test]
    fn fields_map_to_columns() {
        let l = locate(2, &[2, 5], "buyer.buyer_code");
        assert_eq!(l.column.as_deref(), Some("buyer_code"));
        let l = locate(2, &[2, 5], "items[1].tax_rate");
        assert_eq!((l.line, l.column.as_deref()), (5, Some("tax_rate")));
        let l = locate(2, &[2, 5], "invoice_series");
        assert_eq!((l.line, l.column.as_deref()), (2, Some("invoice_series")));
    }
}
