//! The fixed provider accounts and the seeded "manual" invoices every fresh state starts with.

use chrono::NaiveDate;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::model::{Account, Invoice, InvoiceStatus, Item, Template};
use std::collections::{BTreeMap, HashMap};

use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::config::{MockConfig, RuntimeConfig};
use crate::state::Store;
use crate::totals;

/// Sandbox-like matbao account: active, no approval date.
pub const ACCOUNT_MATBAO: &str = "0aea3134-da40-11f0-aef4-52c7e9b4f41b";
/// bkav account approved on 2026-04-20: invoices dated earlier cannot be issued.
pub const ACCOUNT_BKAV: &str = "1b6f2c55-7d1e-4c3a-9f00-000000000002";
/// Inactive mifi account: drafts only.
pub const ACCOUNT_MIFI: &str = "2c7a3d66-8e2f-4d4b-a000-000000000003";

/// Manual invoices live on this account and series, away from the C26 series tests use.
const MANUAL_SERIES: &str = "C25TAT";

/// The three provider accounts.
pub fn accounts() -> Vec<Account> {
    vec![
        Account {
            id: ACCOUNT_MATBAO,
            provider: "matbao",
            active: true,
            tax_authority_approved_date: None,
            templates: vec![
                Template {
                    template_code: "1",
                    invoice_series: "C26TSE",
                    invoice_label: "1 - C26TSE - Hóa đơn giá trị gia tăng",
                },
                Template {
                    template_code: "2",
                    invoice_series: "C26TSP",
                    invoice_label: "2 - C26TSP - Hóa đơn bán hàng",
                },
                Template {
                    template_code: "1",
                    invoice_series: "C25TAT",
                    invoice_label: "1 - C25TAT - Hóa đơn giá trị gia tăng",
                },
                Template {
                    template_code: "2",
                    invoice_series: "C25HTV",
                    invoice_label: "2 - C25HTV - Hóa đơn bán hàng",
                },
            ],
        },
        Account {
            id: ACCOUNT_BKAV,
            provider: "bkav",
            active: true,
            tax_authority_approved_date: Some("2026-04-20"),
            templates: vec![
                Template {
                    template_code: "1",
                    invoice_series: "C26TAA",
                    invoice_label: "1 - C26TAA - Hóa đơn giá trị gia tăng",
                },
                Template {
                    template_code: "2",
                    invoice_series: "C26TBB",
                    invoice_label: "2 - C26TBB - Hóa đơn bán hàng",
                },
            ],
        },
        Account {
            id: ACCOUNT_MIFI,
            provider: "mifi",
            active: false,
            tax_authority_approved_date: None,
            templates: vec![Template {
                template_code: "1",
                invoice_series: "C26TSE",
                invoice_label: "1 - C26TSE - Hóa đơn giá trị gia tăng",
            }],
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
        let inv = Invoice {
            reference_code: reference_code.clone(),
            provider_account_id: ACCOUNT_MATBAO.to_string(),
            template_code: "1".to_string(),
            invoice_series: MANUAL_SERIES.to_string(),
            issued_at,
            currency: "VND".to_string(),
            payment_method: Some("CK".to_string()),
            buyer,
            items,
            notes: Some("Hóa đơn lập trên giao diện web".to_string()),
            seller_store_code: None,
            seller_store_name: None,
            totals: t,
            status: InvoiceStatus::Draft,
            invoice_number: 0,
            tax_authority_code: None,
            source: "manual",
            seq: 0,
            issue_pending: false,
        };
        store.insert_invoice(inv);
        // Seeded invoices were issued before the mock started: they take numbers, not quota.
        let quota = store.quota;
        store.issue_now(&reference_code);
        store.quota = quota;
    }
}

impl Store {
    /// The startup state for `config`, including seeded manual invoices.
    pub fn new(config: &MockConfig) -> Self {
        let mut s = Store {
            cfg: RuntimeConfig::from_startup(config),
            quota: config.quota,
            accounts: accounts(),
            invoices: HashMap::new(),
            order: BTreeMap::new(),
            next_seq: 1,
            jobs: HashMap::new(),
            pending: BTreeMap::new(),
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
