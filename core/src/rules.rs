//! The legal rules the SDK checks before sending, in one table with the dates each is in force.
//!
//! A rule is checked at the **invoice's date** (`issued_date`), not today's: an invoice dated in
//! June 2025 follows the law of June 2025. Structural rules (what an invoice must look like) are
//! errors. Rules whose legal basis may be extended or is not verified against the official
//! gazette (the 8 % VAT window, series letters and template codes added by newer circulars) are
//! warnings, or errors in strict mode ([`crate::ClientBuilder::strict_rules`]) where marked
//! `Extendable`. When a law changes, add or end a row here; nothing else holds a date.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{BuyerType, CreateInvoice, LineItem, LineType, TaxRate};
use crate::validate::findings::Findings;
use crate::validate::{is_tax_code_shape, tax_code_checksum_ok};

/// How a broken rule is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// An error: the request is not sent.
    Structural,
    /// A warning, an error in strict mode: the legal basis may be extended or changed.
    Extendable,
    /// A warning only: likely a mistake, but the API may accept it.
    Advisory,
}

/// One row of the rules table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The id problems carry (`series-year`).
    pub id: &'static str,
    /// What the rule says.
    pub summary: &'static str,
    /// Where it comes from.
    pub source: &'static str,
    /// First day in force (`None`: since before e-invoices).
    pub from: Option<NaiveDate>,
    /// Last day in force (`None`: no end known).
    pub until: Option<NaiveDate>,
    /// Error or warning.
    pub kind: RuleKind,
}

impl Rule {
    /// Whether the rule is in force on `day`.
    pub fn in_force(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| day >= f) && self.until.is_none_or(|u| day <= u)
    }
}

const fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// The source of the tax-code shape rules.
pub(crate) const TAX_CODE_SOURCE: &str =
    "Circular 105/2020/TT-BTC → Circular 86/2024/TT-BTC Art. 5 (10 digits; 10-3 for a branch; 12-digit personal id)";

/// Every rule, in the order problems are reported.
pub const RULES: &[Rule] = &[
    Rule {
        id: "template-code",
        summary: "template_code is one digit, 1–9",
        source: "Circular 78/2021/TT-BTC Art. 4 (1–6); Circular 91/2026/TT-BTC App. I (7–9) [3P, not verified against the gazette]",
        from: None,
        until: None,
        kind: RuleKind::Structural,
    },
    Rule {
        id: "template-code-7-9",
        summary: "template codes 7, 8 and 9 exist from 1 July 2026",
        source: "Circular 91/2026/TT-BTC App. I [3P, not verified against the gazette]",
        from: day(2026, 7, 1),
        until: None,
        kind: RuleKind::Advisory,
    },
    Rule {
        id: "series-shape",
        summary: "invoice_series is C or K, two digits of the year, a type letter (T D L M N B G H X F) and two upper-case letters (or digits)",
        source: "Circular 78/2021/TT-BTC Art. 4; Circular 32/2025/TT-BTC (X); Circular 91/2026/TT-BTC (F)",
        from: None,
        until: None,
        kind: RuleKind::Structural,
    },
    Rule {
        id: "series-letter-x",
        summary: "series type letter X (e-commerce invoice) exists from 1 June 2025",
        source: "Circular 32/2025/TT-BTC",
        from: day(2025, 6, 1),
        until: None,
        kind: RuleKind::Advisory,
    },
    Rule {
        id: "series-letter-f",
        summary: "series type letter F exists from 1 July 2026",
        source: "Circular 91/2026/TT-BTC [3P, not verified against the gazette]",
        from: day(2026, 7, 1),
        until: None,
        kind: RuleKind::Advisory,
    },
    Rule {
        id: "series-year",
        summary: "the series' two digits are the last two digits of the issued_date year",
        source: "Circular 78/2021/TT-BTC Art. 4 (\"năm lập hóa đơn\")",
        from: None,
        until: None,
        kind: RuleKind::Structural,
    },
    Rule {
        id: "vat-8-window",
        summary: "the reduced 8 % VAT rate (from 10 %): 1 Feb – 31 Dec 2022",
        source: "Decree 15/2022/NĐ-CP",
        from: day(2022, 2, 1),
        until: day(2022, 12, 31),
        kind: RuleKind::Extendable,
    },
    Rule {
        id: "vat-8-window",
        summary: "the reduced 8 % VAT rate: 1 Jul – 31 Dec 2023",
        source: "Decree 44/2023/NĐ-CP",
        from: day(2023, 7, 1),
        until: day(2023, 12, 31),
        kind: RuleKind::Extendable,
    },
    Rule {
        id: "vat-8-window",
        summary: "the reduced 8 % VAT rate: 1 Jan – 30 Jun 2024",
        source: "Decree 94/2023/NĐ-CP",
        from: day(2024, 1, 1),
        until: day(2024, 6, 30),
        kind: RuleKind::Extendable,
    },
    Rule {
        id: "vat-8-window",
        summary: "the reduced 8 % VAT rate: 1 Jul – 31 Dec 2024",
        source: "Decree 72/2024/NĐ-CP",
        from: day(2024, 7, 1),
        until: day(2024, 12, 31),
        kind: RuleKind::Extendable,
    },
    Rule {
        id: "vat-8-window",
        summary: "the reduced 8 % VAT rate: 1 Jan – 30 Jun 2025",
        source: "Decree 180/2024/NĐ-CP",
        from: day(2025, 1, 1),
        until: day(2025, 6, 30),
        kind: RuleKind::Extendable,
    },
    Rule {
        id: "vat-8-window",
        summary: "the reduced 8 % VAT rate: 1 Jul 2025 – 31 Dec 2026",
        source: "Decree 174/2025/NĐ-CP (Resolution 204/2025/QH15)",
        from: day(2025, 7, 1),
        until: day(2026, 12, 31),
        kind: RuleKind::Extendable,
    },
    Rule {
        id: "vat-rate-template",
        summary: "lines of a VAT invoice (template 1) state tax_rate; a sales invoice (template 2) states none",
        source: "SePay create docs (tax_rate \"required only for VAT invoices\")",
        from: None,
        until: None,
        kind: RuleKind::Advisory,
    },
    Rule {
        id: "tax-code-check-digit",
        summary: "a 10-digit tax code's check digit matches (mod 11, weights 31…3)",
        source: "Circular 105/2020/TT-BTC Annex; SePay's own examples fail it, so a warning only",
        from: None,
        until: None,
        kind: RuleKind::Advisory,
    },
    Rule {
        id: "tax-code-personal-id",
        summary: "a 12-digit personal id is the tax code of individuals and household or individual businesses",
        source: "Circular 86/2024/TT-BTC Art. 5 and 38 (from 1 July 2025)",
        from: day(2025, 7, 1),
        until: None,
        kind: RuleKind::Advisory,
    },
];

/// The rows of `id`.
fn rows(id: &str) -> impl Iterator<Item = &'static Rule> + '_ {
    RULES.iter().filter(move |r| r.id == id)
}

fn first(id: &str) -> &'static Rule {
    // Every id used below is in the table: a debug build (every test) stops on a typo.
    let row = rows(id).next();
    debug_assert!(row.is_some(), "rule {id} is not in RULES");
    row.unwrap_or(&RULES[0])
}

fn report(f: &mut Findings, rule: &Rule, strict: bool, field: &str, message: String) {
    match (rule.kind, strict) {
        (RuleKind::Structural, _) | (RuleKind::Extendable, true) => {
            f.error_from(field, rule.id, message, rule.source)
        }
        _ => f.warning(field, rule.id, message, rule.source),
    }
}

/// The series' type letters, with the rule that dates the newer ones.
const SERIES_LETTERS: &str = "TDLMNBGHXF";

/// Checks `req` against every rule in force on `day`.
pub(crate) fn check(f: &mut Findings, req: &CreateInvoice, day: NaiveDate, strict: bool) {
    use chrono::Datelike;
    let template = req.template_code.trim();
    let digit = template.len() == 1 && matches!(template.as_bytes()[0], b'1'..=b'9');
    if !template.is_empty() && !digit {
        report(
            f,
            first("template-code"),
            strict,
            "template_code",
            format!("must be one digit from 1 to 9, got {template:?}"),
        );
    } else if digit && template.as_bytes()[0] >= b'7' && !first("template-code-7-9").in_force(day) {
        let r = first("template-code-7-9");
        report(
            f,
            r,
            strict,
            "template_code",
            format!(
                "template {template} exists only from 1 July 2026 (the invoice is dated {day})"
            ),
        );
    }

    let series = req.invoice_series.trim();
    let b = series.as_bytes();
    if !series.is_empty() {
        let shape = b.len() == 6
            && matches!(b[0], b'C' | b'K')
            && b[1].is_ascii_digit()
            && b[2].is_ascii_digit()
            && SERIES_LETTERS.as_bytes().contains(&b[3])
            // Two upper-case letters by Circular 78; digits are accepted too, as some providers
            // number their series (reference §17: where sources differ, accept the wider set).
            && (b[4].is_ascii_uppercase() || b[4].is_ascii_digit())
            && (b[5].is_ascii_uppercase() || b[5].is_ascii_digit());
        if !shape {
            report(
                f,
                first("series-shape"),
                strict,
                "invoice_series",
                format!(
                    "must look like C26TAA: C (with a tax-authority code) or K (without), the year's two digits, a type letter ({}) and two upper-case letters or digits; got {series:?}",
                    SERIES_LETTERS
                ),
            );
        } else {
            for (letter, id) in [(b'X', "series-letter-x"), (b'F', "series-letter-f")] {
                let r = first(id);
                if b[3] == letter && !r.in_force(day) {
                    report(
                        f,
                        r,
                        strict,
                        "invoice_series",
                        format!(
                            "the type letter {} is not in force on the invoice's date {day}: {}",
                            letter as char, r.summary
                        ),
                    );
                }
            }
            let yy = u32::from(b[1] - b'0') * 10 + u32::from(b[2] - b'0');
            let want = (day.year().rem_euclid(100)) as u32;
            if yy != want {
                report(
                    f,
                    first("series-year"),
                    strict,
                    "invoice_series",
                    format!(
                        "is a series of 20{yy:02} but the invoice is dated {day}: use the provider account's series for {} (C{want:02}…)",
                        day.year()
                    ),
                );
            }
        }
    }

    let eight_in_force = rows("vat-8-window").any(|r| r.in_force(day));
    for (i, item) in req.items.iter().enumerate() {
        if item.tax_rate == Some(TaxRate::Eight) && !eight_in_force {
            let latest = rows("vat-8-window").last().unwrap_or(&RULES[0]);
            report(
                f,
                latest,
                strict,
                &format!("items[{i}].tax_rate"),
                format!(
                    "the reduced 8 % rate is not in force on the invoice's date {day} (latest window: {}; extend this table if the law was extended)",
                    latest.summary
                ),
            );
        }
    }

    vat_rate_template(f, req, strict);
    tax_code(f, req, day, strict);
}

fn money_line(item: &LineItem) -> bool {
    item.line_type == LineType::Normal && item.unit_price.is_some_and(|p| p != Decimal::ZERO)
}

fn vat_rate_template(f: &mut Findings, req: &CreateInvoice, strict: bool) {
    let r = first("vat-rate-template");
    match req.template_code.trim() {
        "1" => {
            let missing = req
                .items
                .iter()
                .enumerate()
                .filter(|(_, it)| money_line(it) && it.tax_rate.is_none());
            for (i, _) in missing {
                report(
                    f,
                    r,
                    strict,
                    &format!("items[{i}].tax_rate"),
                    "a VAT invoice (template 1) states each line's tax_rate; without it the provider may apply none".into(),
                );
            }
        }
        "2" => {
            if let Some(i) = req.items.iter().position(|it| {
                it.tax_rate
                    .is_some_and(|t| t.percent().is_some_and(|p| p > 0))
            }) {
                report(
                    f,
                    r,
                    strict,
                    &format!("items[{i}].tax_rate"),
                    "a sales invoice (template 2) states no VAT rate: the VAT is included in the price".into(),
                );
            }
        }
        _ => {}
    }
}

fn tax_code(f: &mut Findings, req: &CreateInvoice, day: NaiveDate, strict: bool) {
    let b = &req.buyer;
    let Some(tc) = b.tax_code.as_deref().filter(|s| !s.is_empty()) else {
        return;
    };
    let personal_id = tc.len() == 12 && tc.bytes().all(|c| c.is_ascii_digit());
    if personal_id {
        let r = first("tax-code-personal-id");
        if !r.in_force(day) && b.buyer_type != Some(BuyerType::Personal) {
            report(
                f,
                r,
                strict,
                "buyer.tax_code",
                format!("a 12-digit personal id is a business's tax code only from 1 July 2025 (the invoice is dated {day})"),
            );
        }
    } else if is_tax_code_shape(tc) && !tax_code_checksum_ok(tc) {
        report(
            f,
            first("tax-code-check-digit"),
            strict,
            "buyer.tax_code",
            "the tax code's check digit does not match: check it for a typing mistake (sent anyway: SePay's own examples fail this check)".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Problem, Severity};

    fn req(template: &str, series: &str) -> CreateInvoice {
        CreateInvoice {
            template_code: template.into(),
            invoice_series: series.into(),
            items: vec![LineItem::new("A", 1.into(), 100.into()).with_tax_rate(TaxRate::Ten)],
            ..Default::default()
        }
    }

    fn problems(r: &CreateInvoice, y: i32, m: u32, d: u32, strict: bool) -> Vec<Problem> {
        let mut f = Findings::default();
        check(&mut f, r, NaiveDate::from_ymd_opt(y, m, d).unwrap(), strict);
        f.into_problems()
    }

    fn ids(p: &[Problem]) -> Vec<(&str, &str, Severity)> {
        p.iter()
            .map(|p| (p.rule.as_str(), p.field.as_str(), p.severity.clone()))
            .collect()
    }

    #[test]
    fn every_rule_id_used_is_in_the_table() {
        for id in [
            "template-code",
            "template-code-7-9",
            "series-shape",
            "series-letter-x",
            "series-letter-f",
            "series-year",
            "vat-8-window",
            "vat-rate-template",
            "tax-code-check-digit",
            "tax-code-personal-id",
        ] {
            assert!(rows(id).next().is_some(), "{id}");
        }
        // The 8 % windows do not overlap and are in date order.
        let w: Vec<_> = rows("vat-8-window").collect();
        for pair in w.windows(2) {
            assert!(pair[0].until < pair[1].from);
        }
    }

    #[test]
    fn the_series_must_fit_its_year_and_shape() {
        assert!(problems(&req("1", "C26TSE"), 2026, 11, 28, false).is_empty());
        assert_eq!(
            ids(&problems(&req("1", "C25TSE"), 2026, 11, 28, false)),
            [("series-year", "invoice_series", Severity::Error)]
        );
        assert!(problems(&req("1", "C26T01"), 2026, 11, 28, false).is_empty());
        for bad in ["C26ASE", "Z26TSE", "C26TS", "c26tse", "C2XTSE", "C26Tse"] {
            assert_eq!(
                ids(&problems(&req("1", bad), 2026, 11, 28, false))[0].0,
                "series-shape",
                "{bad}"
            );
        }
        // Newer letters: warnings before they exist.
        assert_eq!(
            ids(&problems(&req("1", "C25XAA"), 2025, 5, 1, false)),
            [("series-letter-x", "invoice_series", Severity::Warning)]
        );
        assert!(problems(&req("1", "C25XAA"), 2025, 6, 1, false).is_empty());
        assert_eq!(
            problems(&req("1", "C26FAA"), 2026, 6, 30, false)[0].rule,
            "series-letter-f"
        );
        assert_eq!(
            problems(&req("0", "C26TSE"), 2026, 1, 1, false)[0].rule,
            "template-code"
        );
        assert_eq!(
            problems(&req("7", "C26XAB"), 2026, 6, 30, false)[0].severity,
            Severity::Warning
        );
    }

    #[test]
    fn the_8_percent_rate_follows_its_windows() {
        let mut r = req("1", "C26TSE");
        r.items[0].tax_rate = Some(TaxRate::Eight);
        assert!(problems(&r, 2026, 12, 31, false).is_empty());
        let mut r27 = req("1", "C27TSE");
        r27.items[0].tax_rate = Some(TaxRate::Eight);
        let p = problems(&r27, 2027, 1, 1, false);
        assert_eq!(
            ids(&p),
            [("vat-8-window", "items[0].tax_rate", Severity::Warning)]
        );
        assert!(p[0].source.as_deref().unwrap().contains("174/2025"));
        // Strict mode: an error.
        assert_eq!(
            problems(&r27, 2027, 1, 1, true)[0].severity,
            Severity::Error
        );
        // The gap of the first half of 2023.
        let mut r23 = req("1", "C23TSE");
        r23.items[0].tax_rate = Some(TaxRate::Eight);
        assert_eq!(problems(&r23, 2023, 3, 1, false).len(), 1);
        assert!(problems(&r23, 2023, 7, 1, false).is_empty());
    }

    #[test]
    fn personal_ids_and_check_digits() {
        let mut r = req("1", "C26TSE");
        r.buyer.tax_code = Some("001234567890".into());
        r.buyer.buyer_type = Some(BuyerType::Company);
        // A household business's personal id: fine since 1 July 2025, whatever the type.
        assert!(problems(&r, 2026, 1, 1, false).is_empty());
        let mut r25 = r.clone();
        r25.invoice_series = "C25TSE".into();
        assert_eq!(
            problems(&r25, 2025, 6, 30, false)[0].rule,
            "tax-code-personal-id"
        );
        r.buyer.tax_code = Some("0101234567".into());
        assert_eq!(
            ids(&problems(&r, 2026, 1, 1, false)),
            [("tax-code-check-digit", "buyer.tax_code", Severity::Warning)]
        );
    }

    #[test]
    fn vat_rates_fit_the_template() {
        let mut r = req("1", "C26TSE");
        r.items[0].tax_rate = None;
        assert_eq!(problems(&r, 2026, 1, 1, false)[0].rule, "vat-rate-template");
        let r2 = req("2", "C26TSP");
        assert_eq!(
            problems(&r2, 2026, 1, 1, false)[0].field,
            "items[0].tax_rate"
        );
    }
}
