//! The fixed provider accounts and the seeded "manual" invoices every fresh state starts with.
//!
//! Besides its fixed templates, each account gets the series of the current year in Vietnam
//! (UTC+7), decided when the state is made (startup and `/_mock/reset`): matbao 1/C{yy}TSE,
//! 2/C{yy}TSP and 2/C{yy}HTV, bkav 1/C{yy}TAA and 2/C{yy}TBB, mifi 1/C{yy}TSE, each skipped when
//! already present (in 2026 that adds only 2/C26HTV to matbao).

use chrono::{Datelike, NaiveDate};
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::model::{Account, Invoice, Item, Template};
use std::collections::{BTreeMap, HashMap, VecDeque};

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::config::{MockConfig, RuntimeConfig};
use crate::state::Store;
use crate::totals;
use crate::validate::now_vietnam;

/// Sandbox-like matbao account: active, no approval date.
pub const ACCOUNT_MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";
/// bkav account approved on 2026-04-20: invoices dated earlier cannot be issued.
pub const ACCOUNT_BKAV: &str = "1b6f2c55-7d1e-4c3a-9f00-000000000002";
/// Inactive mifi account: drafts only.
pub const ACCOUNT_MIFI: &str = "2c7a3d66-8e2f-4d4b-a000-000000000003";

/// Manual invoices live on this account and series, away from the C26 series tests use.
const MANUAL_SERIES: &str = "C25TAT";

/// A template: code, series and the label the API shows ("1 - C26TSE - Hóa đơn giá trị gia tăng").
fn template(template_code: &str, invoice_series: &str) -> Template {
    let name = if template_code == "2" {
        "Hóa đơn bán hàng"
    } else {
        "Hóa đơn giá trị gia tăng"
    };
    Template {
        template_code: template_code.to_string(),
        invoice_series: invoice_series.to_string(),
        invoice_label: format!("{template_code} - {invoice_series} - {name}"),
    }
}

/// Each account's fixed templates, then the (template code, series suffix) pairs it also gets
/// for the current year as `C{yy}{suffix}`.
type AccountTemplates = (
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

const MATBAO_TEMPLATES: AccountTemplates = (
    &[
        ("1", "C26TSE"),
        ("2", "C26TSP"),
        ("1", "C25TAT"),
        ("2", "C25HTV"),
    ],
    &[("1", "TSE"), ("2", "TSP"), ("2", "HTV")],
);
const BKAV_TEMPLATES: AccountTemplates = (
    &[("1", "C26TAA"), ("2", "C26TBB")],
    &[("1", "TAA"), ("2", "TBB")],
);
const MIFI_TEMPLATES: AccountTemplates = (&[("1", "C26TSE")], &[("1", "TSE")]);

/// The fixed templates plus the current year's series (`yy` = the year's last two digits),
/// skipping any (code, series) already present.
fn templates((fixed, yearly): AccountTemplates, yy: i32) -> Vec<Template> {
    let mut out: Vec<Template> = fixed.iter().map(|(c, s)| template(c, s)).collect();
    for (code, suffix) in yearly {
        let series = format!("C{yy:02}{suffix}");
        if !out
            .iter()
            .any(|t| t.template_code == *code && t.invoice_series == series)
        {
            out.push(template(code, &series));
        }
    }
    out
}

/// The last two digits of the current year in Vietnam (UTC+7).
pub fn vietnam_yy() -> i32 {
    now_vietnam().year().rem_euclid(100)
}

/// The three provider accounts, with the current-year series for `yy` (see [`vietnam_yy`]).
pub fn accounts(yy: i32) -> Vec<Account> {
    vec![
        Account {
            id: ACCOUNT_MATBAO,
            provider: "matbao",
            active: true,
            tax_authority_approved_date: None,
            templates: templates(MATBAO_TEMPLATES, yy),
        },
        Account {
            id: ACCOUNT_BKAV,
            provider: "bkav",
            active: true,
            tax_authority_approved_date: Some("2026-04-20"),
            templates: templates(BKAV_TEMPLATES, yy),
        },
        Account {
            id: ACCOUNT_MIFI,
            provider: "mifi",
            active: false,
            tax_authority_approved_date: None,
            templates: templates(MIFI_TEMPLATES, yy),
        },
    ]
}

const BUYERS: &[(&str, &str, &str)] = &[
    (
        "Công ty TNHH Thương mại Minh Anh",
        "0100233488",
        "12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội",
    ),
    (
        "Công ty Cổ phần Dịch vụ Sao Việt",
        "0317887567",
        "45 Nguyễn Huệ, Quận 1, TP.HCM",
    ),
    (
        "Công ty TNHH Kỹ thuật Hòa Bình",
        "0302712571",
        "8 Trần Phú, Hải Châu, Đà Nẵng",
    ),
];

const PRODUCTS: &[(&str, &str, &str, i64)] = &[
    ("DV001", "Dịch vụ tư vấn phần mềm", "gói", 1_500_000),
    ("SP002", "Bàn phím cơ", "cái", 850_000),
    ("SP003", "Màn hình 27 inch", "cái", 4_200_000),
    ("DV004", "Phí bảo trì hệ thống", "tháng", 600_000),
];

/// Adds `n` issued invoices with `source: "manual"`, generated from the store's seeded RNG.
pub fn manual_invoices(store: &mut Store, n: usize) {
    for i in 0..n {
        let rng = &mut store.data_rng;
        // A v4-shaped UUID from the seeded RNG, so the same seed gives the same codes.
        let reference_code = uuid::Builder::from_random_bytes(rng.random::<[u8; 16]>())
            .into_uuid()
            .to_string();
        let (name, tax_code, address) = BUYERS[rng.random_range(0..BUYERS.len())];
        let line_count = rng.random_range(1..=3usize);
        let mut items = Vec::with_capacity(line_count);
        for line in 0..line_count {
            let (code, pname, unit, price) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
            items.push(Item {
                line_number: line as i64 + 1,
                line_type: 1,
                item_code: Some(code.to_string()),
                item_name: pname.to_string(),
                unit: Some(unit.to_string()),
                quantity: Some(Decimal::from(rng.random_range(1..=5i64))),
                unit_price: Some(Decimal::from(price)),
                tax_rate: Some([8i64, 10][rng.random_range(0..2usize)]),
                ..Item::default()
            });
        }
        // Spread over 2025, oldest first, matching the C25 series.
        let day = 1 + (i as u32 * 29 + rng.random_range(0..28u32)) % 360;
        let issued_at = NaiveDate::from_yo_opt(2025, day.max(1))
            .and_then(|d| d.and_hms_opt(9, rng.random_range(0..60), 0))
            .unwrap_or_default();
        let mut buyer = Map::new();
        buyer.insert("type".into(), Value::from("company"));
        buyer.insert("name".into(), Value::from(name));
        buyer.insert("tax_code".into(), Value::from(tax_code));
        buyer.insert("address".into(), Value::from(address));
        let t = totals::totals(items.iter().map(Item::priced), "VND", None).unwrap_or_default();
        let mut inv = Invoice::draft(
            reference_code.clone(),
            ACCOUNT_MATBAO.to_string(),
            "1".to_string(),
            MANUAL_SERIES.to_string(),
            issued_at,
            "VND".to_string(),
            buyer,
            items,
            t,
        );
        inv.payment_method = Some("CK".to_string());
        inv.notes = Some("Hóa đơn lập trên giao diện web".to_string());
        inv.source = "manual";
        store.insert_invoice(inv);
        // Seeded invoices were issued before the mock started: they take numbers, not quota,
        // and their files are ready whatever `file_ready_ms` says.
        let quota = store.quota;
        store.issue_now(&reference_code);
        store.quota = quota;
        if let Some(inv) = store.invoices.get_mut(&reference_code) {
            inv.issued_instant = None;
        }
    }
}

impl Store {
    /// The startup state for `config`, including seeded manual invoices. The accounts get the
    /// series of the current year in Vietnam, as of now.
    pub fn new(config: &MockConfig) -> Self {
        let mut s = Store {
            cfg: RuntimeConfig::from_startup(config),
            quota: config.quota,
            accounts: accounts(vietnam_yy()),
            accounts_yy: vietnam_yy(),
            invoices: Default::default(),
            order: BTreeMap::new(),
            next_seq: 1,
            jobs: HashMap::new(),
            pending: BTreeMap::new(),
            due_queue: VecDeque::new(),
            next_job_seq: 1,
            reserved_refs: HashMap::new(),
            numbers: HashMap::new(),
            tokens: HashMap::new(),
            tokens_issued: 0,
            token_log: Vec::new(),
            rejected_duplicates: 0,
            data_rng: StdRng::seed_from_u64(config.seed),
        };
        manual_invoices(&mut s, config.manual_invoices);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(a: &Account) -> Vec<(String, String)> {
        a.templates
            .iter()
            .map(|t| (t.template_code.clone(), t.invoice_series.clone()))
            .collect()
    }

    #[test]
    fn current_year_series_skip_the_fixed_ones() {
        let a = accounts(26);
        let p = |c: &str, s: &str| (c.to_string(), s.to_string());
        assert_eq!(
            pairs(&a[0]),
            vec![
                p("1", "C26TSE"),
                p("2", "C26TSP"),
                p("1", "C25TAT"),
                p("2", "C25HTV"),
                p("2", "C26HTV")
            ]
        );
        assert_eq!(pairs(&a[1]), vec![p("1", "C26TAA"), p("2", "C26TBB")]);
        assert_eq!(pairs(&a[2]), vec![p("1", "C26TSE")]);
        assert_eq!(
            a[0].templates[4].invoice_label,
            "2 - C26HTV - Hóa đơn bán hàng"
        );

        let a = accounts(27);
        assert_eq!(a[0].templates.len(), 7);
        assert_eq!(a[1].templates.len(), 4);
        assert_eq!(a[2].templates.len(), 2);
        assert_eq!(
            a[1].templates[2].invoice_label,
            "1 - C27TAA - Hóa đơn giá trị gia tăng"
        );
        assert_eq!(pairs(&accounts(5)[0])[4], p("1", "C05TSE"));
    }
}
