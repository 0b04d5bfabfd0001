//! The stored objects (accounts, invoices, line items, jobs) and their JSON views.

use std::time::Instant;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::totals::{self, Line, Totals};

/// One template a provider account may issue on.
#[derive(Debug, Clone)]
pub struct Template {
    /// Template code, e.g. "1".
    pub template_code: String,
    /// Invoice series, e.g. "C26TSE" (current-year series are made at startup, hence owned).
    pub invoice_series: String,
    /// Display label.
    pub invoice_label: String,
}

/// A provider account (the seller's registration with one e-invoice provider).
#[derive(Debug, Clone)]
pub struct Account {
    /// Account id (UUID).
    pub id: &'static str,
    /// Provider code, e.g. "matbao".
    pub provider: &'static str,
    /// Whether the registration is approved and usable for issuance.
    pub active: bool,
    /// The date the tax authority approved the registration, `YYYY-MM-DD`.
    pub tax_authority_approved_date: Option<&'static str>,
    /// Templates the account may use.
    pub templates: Vec<Template>,
}

impl Account {
    /// The list-item view.
    pub fn summary_json(&self) -> Value {
        json!({
            "id": self.id,
            "provider": self.provider,
            "active": self.active,
            "tax_authority_approved_date": self.tax_authority_approved_date,
        })
    }

    /// The detail view, with templates.
    pub fn detail_json(&self) -> Value {
        let mut v = self.summary_json();
        let templates: Vec<Value> = self
            .templates
            .iter()
            .map(|t| {
                json!({
                    "template_code": t.template_code,
                    "invoice_series": t.invoice_series,
                    "invoice_label": t.invoice_label,
                })
            })
            .collect();
        if let Value::Object(m) = &mut v {
            m.insert("templates".into(), Value::Array(templates));
        }
        v
    }
}

/// One invoice line as sent by the client.
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// `line_number` (duplicates allowed, as in an official sample).
    pub line_number: i64,
    /// 1 normal, 2 promotion, 3 trade discount, 4 note.
    pub line_type: u8,
    /// Optional product code.
    pub item_code: Option<String>,
    /// Product or note text.
    pub item_name: String,
    /// Optional unit of measure.
    pub unit: Option<String>,
    /// Quantity (≤ 2 decimals).
    pub quantity: Option<Decimal>,
    /// Unit price.
    pub unit_price: Option<Decimal>,
    /// One of -2, -1, 0, 5, 8, 10.
    pub tax_rate: Option<i64>,
    /// Discount percentage.
    pub discount_tax: Option<Decimal>,
    /// Discount amount.
    pub discount_amount: Option<Decimal>,
    /// Base of a trade-discount line.
    pub before_discount_and_tax_amount: Option<Decimal>,
    /// Older, undocumented amount field (kept and used as a trade-discount base).
    pub amount: Option<Decimal>,
}

impl Item {
    /// The fields the arithmetic in `totals` needs.
    pub fn priced(&self) -> Line {
        Line {
            line_type: self.line_type,
            quantity: self.quantity,
            unit_price: self.unit_price,
            tax_rate: self.tax_rate,
            discount_tax: self.discount_tax,
            discount_amount: self.discount_amount,
            before_discount_and_tax_amount: self.before_discount_and_tax_amount,
            amount: self.amount,
        }
    }
}

/// Invoice lifecycle status as the API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Created as a draft, not yet issued.
    Draft,
    /// Signed and issued.
    Issued,
}

impl InvoiceStatus {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Draft => "draft",
            InvoiceStatus::Issued => "issued",
        }
    }
}

/// What an adjustment invoice changes (`adjustment_type` of `POST /v1/invoices/adjust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdjustmentType {
    /// Raises amounts: every priced line is a positive difference (document_type 6).
    Increase,
    /// Lowers amounts: every priced line is a negative difference (document_type 7).
    Decrease,
    /// Changes information only, no amount (document_type 8).
    Info,
    /// Raises some amounts and lowers others (document_type 9).
    Combined,
}

impl AdjustmentType {
    /// The four wire strings, in the order of the error message.
    pub const ALL: [AdjustmentType; 4] = [
        AdjustmentType::Increase,
        AdjustmentType::Decrease,
        AdjustmentType::Combined,
        AdjustmentType::Info,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentType::Increase => "increase",
            AdjustmentType::Decrease => "decrease",
            AdjustmentType::Info => "info",
            AdjustmentType::Combined => "combined",
        }
    }

    /// The type named by a wire string.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// `document_type` of an issued adjustment of this type.
    pub fn document_type(self) -> u8 {
        match self {
            AdjustmentType::Increase => 6,
            AdjustmentType::Decrease => 7,
            AdjustmentType::Info => 8,
            AdjustmentType::Combined => 9,
        }
    }
}

/// What an invoice is, decided when it is made: a new invoice, or a correction of another one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoiceKind {
    /// `POST /v1/invoices/create` (and the seeded manual invoices).
    New,
    /// `POST /v1/invoices/replace`: replaces `original` once issued.
    Replacement {
        /// Reference code of the invoice it replaces.
        original: String,
    },
    /// `POST /v1/invoices/adjust`: adjusts `original` once issued.
    Adjustment {
        /// Reference code of the invoice it adjusts.
        original: String,
        /// What it changes.
        adjustment: AdjustmentType,
    },
}

impl InvoiceKind {
    /// The corrected invoice's reference code, for a correction.
    pub fn original(&self) -> Option<&str> {
        match self {
            InvoiceKind::New => None,
            InvoiceKind::Replacement { original } | InvoiceKind::Adjustment { original, .. } => {
                Some(original)
            }
        }
    }
}

/// A stored invoice.
#[derive(Debug, Clone)]
pub struct Invoice {
    /// Client's unique key.
    pub reference_code: String,
    /// Provider account it belongs to.
    pub provider_account_id: String,
    /// Template code.
    pub template_code: String,
    /// Invoice series.
    pub invoice_series: String,
    /// Date and time given at creation (Vietnam local time).
    pub issued_at: NaiveDateTime,
    /// VND, USD or CAD.
    pub currency: String,
    /// TM, CK, TM/CK or KHAC.
    pub payment_method: Option<String>,
    /// The buyer fields the client gave, as given.
    pub buyer: Map<String, Value>,
    /// Lines.
    pub items: Vec<Item>,
    /// Invoice note (also where the `[mock:…]` triggers live).
    pub notes: Option<String>,
    /// Undocumented store fields from the older docs, kept and echoed.
    pub seller_store_code: Option<String>,
    /// See `seller_store_code`.
    pub seller_store_name: Option<String>,
    /// Computed totals (the total is the client's when it sent one).
    pub totals: Totals,
    /// Current status.
    pub status: InvoiceStatus,
    /// 0 while a draft.
    pub invoice_number: u64,
    /// Code assigned by the tax authority for C-series invoices.
    pub tax_authority_code: Option<String>,
    /// "api" or "manual".
    pub source: &'static str,
    /// Visibility order; larger is newer.
    pub seq: u64,
    /// An issue job for this invoice is pending.
    pub issue_pending: bool,
    /// New invoice, replacement or adjustment (with the invoice it corrects).
    pub kind: InvoiceKind,
    /// The stored replacement of this invoice (draft or issued), if any.
    pub replaced_by: Option<String>,
    /// The stored adjustments of this invoice (drafts and issued), oldest first.
    pub adjusted_by: Vec<String>,
    /// A replacement of this invoice has been issued (document_type 5).
    pub replaced: bool,
    /// An adjustment of this invoice has been issued (document_type 10).
    pub adjusted: bool,
    /// Cancelled through `POST /_mock/invoices/{ref}/cancel` (document_type 3).
    pub cancelled: bool,
    /// When it was issued by this mock (`None` for drafts and the seeded manual invoices, whose
    /// files are always ready).
    pub issued_instant: Option<Instant>,
    /// Its detail answer, written once per state (see `invoice_map.rs`).
    pub detail_cache: crate::invoice_map::DetailCache,
}

impl Invoice {
    /// A fresh draft of kind [`InvoiceKind::New`] with no relations; callers fill in the rest.
    #[allow(clippy::too_many_arguments)]
    pub fn draft(
        reference_code: String,
        provider_account_id: String,
        template_code: String,
        invoice_series: String,
        issued_at: NaiveDateTime,
        currency: String,
        buyer: Map<String, Value>,
        items: Vec<Item>,
        totals: Totals,
    ) -> Self {
        Invoice {
            reference_code,
            provider_account_id,
            template_code,
            invoice_series,
            issued_at,
            currency,
            payment_method: None,
            buyer,
            items,
            notes: None,
            seller_store_code: None,
            seller_store_name: None,
            totals,
            status: InvoiceStatus::Draft,
            invoice_number: 0,
            tax_authority_code: None,
            source: "api",
            seq: 0,
            issue_pending: false,
            kind: InvoiceKind::New,
            replaced_by: None,
            adjusted_by: Vec::new(),
            replaced: false,
            adjusted: false,
            cancelled: false,
            issued_instant: None,
            detail_cache: Default::default(),
        }
    }

    /// `document_type`: 1 draft; once issued, 3 cancelled, 5 replaced, 10 adjusted, else by
    /// kind: 2 new, 4 replacement, 6 increase, 7 decrease, 8 info, 9 combined adjustment.
    pub fn document_type(&self) -> u8 {
        if self.status == InvoiceStatus::Draft {
            return 1;
        }
        if self.cancelled {
            return 3;
        }
        if self.replaced {
            return 5;
        }
        match &self.kind {
            InvoiceKind::Adjustment { adjustment, .. } => adjustment.document_type(),
            _ if self.adjusted => 10,
            InvoiceKind::New => 2,
            InvoiceKind::Replacement { .. } => 4,
        }
    }

    /// `provider_status`: "1" draft, "4" code received.
    pub fn provider_status(&self) -> &'static str {
        match self.status {
            InvoiceStatus::Draft => "1",
            InvoiceStatus::Issued => "4",
        }
    }

    /// `YYYY-MM-DD` of the invoice date.
    pub fn issued_date(&self) -> String {
        self.issued_at.format("%Y-%m-%d").to_string()
    }

    /// `HD_<7-digit number>_<yyyymmdd>.<ext>`.
    pub fn file_name(&self, ext: &str) -> String {
        format!(
            "HD_{:07}_{}.{ext}",
            self.invoice_number,
            self.issued_at.format("%Y%m%d")
        )
    }

    /// The invoice object of check results and list items.
    pub fn summary_json(&self, base: &str) -> Value {
        let xml_url = match self.status {
            InvoiceStatus::Draft => Value::Null,
            InvoiceStatus::Issued => {
                Value::String(format!("{base}/_mock/files/{}.xml", self.reference_code))
            }
        };
        json!({
            "reference_code": self.reference_code,
            "invoice_number": self.invoice_number.to_string(),
            "issued_date": self.issued_date(),
            "pdf_url": format!("{base}/_mock/files/{}.pdf", self.reference_code),
            "xml_url": xml_url,
            "status": self.status.as_str(),
            "buyer": Value::Object(self.buyer.clone()),
            "total_before_tax": number(self.totals.total_before_tax),
            "tax_amount": number(self.totals.tax_amount),
            "total_amount": number(self.totals.total_amount),
            "notes": self.notes,
            "source": self.source,
        })
    }

    /// The detail view: summary plus header fields and items.
    pub fn detail_json(&self, base: &str) -> Value {
        let mut v = self.summary_json(base);
        if let Value::Object(m) = &mut v {
            m.insert("invoice_series".into(), json!(self.invoice_series));
            m.insert("template_code".into(), json!(self.template_code));
            m.insert("currency".into(), json!(self.currency));
            m.insert("document_type".into(), json!(self.document_type()));
            if let Some(code) = &self.tax_authority_code {
                m.insert("tax_authority_code".into(), json!(code));
            }
            m.insert("provider_status".into(), json!(self.provider_status()));
            m.insert("payment_method".into(), json!(self.payment_method));
            m.insert(
                "provider_account_id".into(),
                json!(self.provider_account_id),
            );
            if let Some(s) = &self.seller_store_code {
                m.insert("seller_store_code".into(), json!(s));
            }
            if let Some(s) = &self.seller_store_name {
                m.insert("seller_store_name".into(), json!(s));
            }
            if let Some(original) = self.kind.original() {
                m.insert("original_invoice_reference_code".into(), json!(original));
            }
            if let InvoiceKind::Adjustment { adjustment, .. } = &self.kind {
                m.insert("adjustment_type".into(), json!(adjustment.as_str()));
            }
            m.insert("replaced_by".into(), json!(self.replaced_by));
            m.insert("adjusted_by".into(), json!(self.adjusted_by));
            let items: Vec<Value> = self.items.iter().map(item_json).collect();
            m.insert("items".into(), Value::Array(items));
        }
        v
    }
}

/// One line of the detail view; amounts are strings with two decimals, as the API sends them.
fn item_json(it: &Item) -> Value {
    let a = totals::line_amounts(&it.priced()).unwrap_or_default();
    let priced = matches!(it.line_type, 1 | 2);
    let quantity = it
        .quantity
        .or(priced.then_some(Decimal::ONE))
        .map(money_str);
    let unit_price = it
        .unit_price
        .or(priced.then_some(Decimal::ZERO))
        .map(money_str);
    let mut m = Map::new();
    m.insert("line_number".into(), json!(it.line_number));
    m.insert("line_type".into(), json!(it.line_type));
    m.insert("item_code".into(), json!(it.item_code));
    m.insert("item_name".into(), json!(it.item_name));
    m.insert("unit".into(), json!(it.unit));
    m.insert("quantity".into(), json!(quantity));
    m.insert("unit_price".into(), json!(unit_price));
    m.insert("total_amount".into(), json!(money_str(a.amount)));
    m.insert(
        "tax_rate".into(),
        json!(it.tax_rate.map(|r| money_str(Decimal::from(r)))),
    );
    m.insert("tax_amount".into(), json!(money_str(a.tax)));
    let optional = [
        ("discount_amount", it.discount_amount),
        ("discount_tax", it.discount_tax),
        (
            "before_discount_and_tax_amount",
            it.before_discount_and_tax_amount,
        ),
        ("amount", it.amount),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            m.insert(k.into(), json!(money_str(v)));
        }
    }
    Value::Object(m)
}

/// A decimal as a string with exactly two decimals ("200000.00").
pub fn money_str(d: Decimal) -> String {
    let mut r = totals::round(d, 2);
    r.rescale(2);
    r.to_string()
}

/// A decimal as a JSON number; whole values print without a fraction.
pub fn number(d: Decimal) -> Value {
    let n = d.normalize();
    if n.scale() == 0 {
        if let Ok(i) = i64::try_from(n) {
            return Value::from(i);
        }
    }
    // Totals have at most two decimals, which f64 prints back exactly (shortest repr).
    let f: f64 = n.to_string().parse().unwrap_or(0.0);
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// Create or issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// `POST /v1/invoices/create`, `/replace` or `/adjust` (all checked on the create check).
    Create,
    /// `POST /v1/invoices/issue`.
    Issue,
}

/// Title-case job state of the check endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Still processing.
    Pending,
    /// Done.
    Success,
    /// Ended in error.
    Failed,
}

impl JobState {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "Pending",
            JobState::Success => "Success",
            JobState::Failed => "Failed",
        }
    }
}

/// How a `[mock:…]` trigger in the notes makes a job end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Normal: succeed after the pending period.
    None,
    /// End Failed after the pending period.
    Fail,
    /// Create with `is_draft=false` and `[mock:fail-issue]`: the draft is stored, signing fails.
    FailIssue,
    /// Stay Pending forever.
    Stuck,
}

/// An asynchronous create or issue request.
#[derive(Debug, Clone)]
pub struct Job {
    /// The job's tracking code.
    pub tracking_code: String,
    /// Create or issue.
    pub kind: JobKind,
    /// The invoice it concerns.
    pub reference_code: String,
    /// Its place in the order of acceptance (the key of [`crate::state::Store::pending`]).
    pub seq: u64,
    /// When it was accepted.
    pub created: Instant,
    /// Check-endpoint polls answered so far.
    pub polls: u32,
    /// Current state.
    pub state: JobState,
    /// Message of the current state.
    pub message: String,
    /// How it will end.
    pub trigger: Trigger,
    /// Create jobs: the invoice to store on success (taken out when it is stored).
    pub pending_invoice: Option<Box<Invoice>>,
    /// Create jobs: issue directly (`is_draft=false`).
    pub issue_on_create: bool,
}
