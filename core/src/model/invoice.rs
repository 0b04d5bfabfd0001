//! Invoices: the create request with its buyer and lines, and the invoice the API returns.

use std::fmt;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use super::enums::{
    AdjustmentType, BuyerType, Currency, InvoiceStatus, LineType, PaymentMethod, Source, TaxRate,
};
use super::money::{de_opt_decimal, de_opt_decimal_strict, ser_opt_number};
use super::reference::SentReference;
use crate::redact::mask_opt;

/// The buyer on an invoice. Every field is optional for the API; the personal fields (tax code,
/// e-mail, phone, national id) are masked when the object is printed. Unknown keys are refused
/// when reading a request (a misspelt field would otherwise vanish from the invoice).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Buyer {
    /// Display name (a person or a company).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Registered legal name, for companies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    /// Tax code (MST): 10 digits, or 10 + 3 for a branch (`0101234567-001`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("x-pii" = true)))]
    pub tax_code: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Address the invoice is e-mailed to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("x-pii" = true)))]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("x-pii" = true)))]
    pub phone: Option<String>,
    /// The seller's own customer code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_code: Option<String>,
    /// Citizen id (CCCD, 12 digits) for individual buyers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schemars(extend("x-pii" = true)))]
    pub national_id: Option<String>,
    /// `personal` or `company` (`buyer_type` is accepted as another name for it).
    #[cfg_attr(feature = "schema", schemars(extend("x-python-name" = "buyer_type")))]
    #[serde(
        rename = "type",
        alias = "buyer_type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub buyer_type: Option<BuyerType>,
}

impl fmt::Debug for Buyer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Buyer")
            .field("buyer_type", &self.buyer_type)
            .field("name", &self.name)
            .field("legal_name", &self.legal_name)
            .field("tax_code", &mask_opt(&self.tax_code))
            .field("address", &self.address)
            .field("email", &mask_opt(&self.email))
            .field("phone", &mask_opt(&self.phone))
            .field("buyer_code", &self.buyer_code)
            .field("national_id", &mask_opt(&self.national_id))
            .finish()
    }
}

/// One line of an invoice to create. Unknown keys are refused when reading a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineItem {
    /// Item name (required).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("x-required" = true)))]
    pub item_name: String,
    /// Quantity, at most 2 decimal places.
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub quantity: Option<Decimal>,
    /// Unit price.
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub unit_price: Option<Decimal>,
    /// VAT rate; needed on VAT invoices (template 1) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_rate: Option<TaxRate>,
    /// 1 normal, 2 promotion, 3 trade discount, 4 note.
    #[serde(default)]
    pub line_type: LineType,
    /// Unit of measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The seller's item code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_code: Option<String>,
    /// Line number; the SDK numbers lines 1, 2, 3… when it is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_number: Option<u32>,
    /// Discount on the line in **percent** (the API's name is misleading).
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub discount_tax: Option<Decimal>,
    /// Discount on the line as an amount (wins over `discount_tax`).
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub discount_amount: Option<Decimal>,
    /// Amount before discount and tax; the discounted amount on a trade-discount line (type 3).
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub before_discount_and_tax_amount: Option<Decimal>,
    /// Line amount (older API pages; still sent when given).
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub amount: Option<Decimal>,
}

impl LineItem {
    /// An ordinary line: `quantity` × `unit_price`.
    pub fn new(item_name: impl Into<String>, quantity: Decimal, unit_price: Decimal) -> Self {
        LineItem {
            item_name: item_name.into(),
            quantity: Some(quantity),
            unit_price: Some(unit_price),
            ..Default::default()
        }
    }

    /// A note line (type 4) printed on the invoice.
    pub fn note(text: impl Into<String>) -> Self {
        LineItem {
            line_type: LineType::Note,
            item_name: text.into(),
            ..Default::default()
        }
    }

    /// Sets the VAT rate.
    pub fn with_tax_rate(mut self, rate: TaxRate) -> Self {
        self.tax_rate = Some(rate);
        self
    }

    /// Sets the unit of measure.
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the item code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.item_code = Some(code.into());
        self
    }
}

/// A request to create an invoice (`POST /v1/invoices/create`).
///
/// `reference_code` is the idempotency key: when it is empty the SDK generates a UUID v4 the
/// first time this object is sent, keeps it across retries, and remembers it on the object, so
/// sending the *same object* again — after an error or a crash of the code around it — finds
/// the invoice instead of creating a second one. A copy starts without it: two identical sales
/// are two invoices. Unknown keys are refused when reading a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreateInvoice {
    /// Provider account id (`GET /v1/provider-accounts`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("x-required" = true)))]
    pub provider_account_id: String,
    /// Template code from the provider account (e.g. `"1"` VAT, `"2"` sales).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("x-required" = true)))]
    pub template_code: String,
    /// Invoice series from the provider account (e.g. `"C26TSE"`).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("x-required" = true)))]
    pub invoice_series: String,
    /// Issue date-time in Vietnam time, `YYYY-MM-DD HH:mm:ss` (ISO 8601 and RFC 3339 are accepted
    /// and converted). Must not be in the future.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "crate::schema::IssuedDate", extend("x-required" = true))
    )]
    pub issued_date: String,
    /// The buyer.
    #[serde(default)]
    pub buyer: Buyer,
    /// The lines (at least one).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(extend("x-required" = true)))]
    pub items: Vec<LineItem>,
    /// `true` saves a draft (no quota spent); `false` signs and sends it at once.
    #[serde(default)]
    pub is_draft: bool,
    /// Currency (default VND).
    #[serde(default)]
    pub currency: Currency,
    /// Payment method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// Note printed on the invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Final total including tax, a whole number; computed by the API when left out.
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_strict",
        serialize_with = "ser_opt_number",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub total_amount: Option<Decimal>,
    /// Your unique reference for the invoice (generated when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_code: Option<String>,
    /// Seller's store code (older API pages; sent when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_store_code: Option<String>,
    /// Seller's store name (older API pages; sent when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_store_name: Option<String>,
    /// The reference code this object was sent with, kept by the SDK (never serialised; empty
    /// in a clone).
    #[serde(skip)]
    pub sent_reference: SentReference,
}

impl CreateInvoice {
    /// The reference code a create with this object uses: `reference_code` when set, else the
    /// one the SDK generated when the object was first sent (`None` before that).
    pub fn effective_reference_code(&self) -> Option<String> {
        self.reference_code
            .clone()
            .or_else(|| self.sent_reference.get())
    }
}

/// One line of an invoice as the API returns it (numbers arrive as strings such as `"2.00"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct InvoiceItem {
    /// Line number.
    #[serde(default)]
    pub line_number: Option<i64>,
    /// Line type.
    #[serde(default)]
    pub line_type: Option<LineType>,
    /// Item code.
    #[serde(default)]
    pub item_code: Option<String>,
    /// Item name.
    #[serde(default)]
    pub item_name: Option<String>,
    /// Unit.
    #[serde(default)]
    pub unit: Option<String>,
    /// Quantity.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub quantity: Option<Decimal>,
    /// Unit price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub unit_price: Option<Decimal>,
    /// Line amount (quantity × unit price, after discounts).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub total_amount: Option<Decimal>,
    /// VAT rate in percent (negative for KCT/KKKNT).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub tax_rate: Option<Decimal>,
    /// VAT amount of the line.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub tax_amount: Option<Decimal>,
    /// Discount amount, when the line had one.
    #[serde(
        default,
        deserialize_with = "de_opt_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub discount_amount: Option<Decimal>,
    /// Discount percentage, when the line had one.
    #[serde(
        default,
        deserialize_with = "de_opt_decimal",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub discount_tax: Option<Decimal>,
}

/// An invoice as the API returns it (check results, list items and the detail).
/// Fields the API leaves out stay `None`; `items` is filled by the detail call only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Invoice {
    /// Your reference code.
    pub reference_code: String,
    /// Draft, issued or cancelled.
    #[serde(default = "unknown_status")]
    pub status: InvoiceStatus,
    /// Invoice number; `"0"` while a draft.
    #[serde(default)]
    pub invoice_number: Option<String>,
    /// Issue date (date only).
    #[serde(default, deserialize_with = "de_opt_date")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<chrono::NaiveDate>"))]
    pub issued_date: Option<NaiveDate>,
    /// Link to the PDF on the provider's portal.
    #[serde(default)]
    pub pdf_url: Option<String>,
    /// Link to the XML, when the provider has one.
    #[serde(default)]
    pub xml_url: Option<String>,
    /// The buyer.
    #[serde(default)]
    pub buyer: Option<Buyer>,
    /// Total before tax.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub total_before_tax: Option<Decimal>,
    /// Total tax.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub tax_amount: Option<Decimal>,
    /// Total including tax.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    #[cfg_attr(feature = "schema", schemars(with = "Option<crate::schema::Money>"))]
    pub total_amount: Option<Decimal>,
    /// Note printed on the invoice.
    #[serde(default)]
    pub notes: Option<String>,
    /// Made through the API or the web interface.
    #[serde(default)]
    pub source: Option<Source>,
    /// Invoice series (detail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_series: Option<String>,
    /// Template code (detail only, when the API sends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_code: Option<String>,
    /// Currency (detail only, when the API sends it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
    /// Document type (detail only): 1 draft, 2 new, 3 cancelled, 4 replacement, 5 replaced,
    /// 6 increase, 7 decrease, 8 information, 9 increase-decrease adjustment, 10 adjusted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_type: Option<i64>,
    /// Tax authority code, once registered (detail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_authority_code: Option<String>,
    /// Provider status "1"–"9" (detail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_status: Option<String>,
    /// Payment method (detail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<PaymentMethod>,
    /// Lines (detail only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<InvoiceItem>,
    /// On a replacement or adjustment: the invoice it corrects (detail only; field name inferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_invoice_reference_code: Option<String>,
    /// On an adjustment: what it changes (detail only; field name inferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment_type: Option<AdjustmentType>,
    /// On a replaced invoice: the replacement's reference code (detail only; field name inferred).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
    /// On an adjusted invoice: the adjustments' reference codes, oldest first (detail only; field
    /// name inferred).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adjusted_by: Vec<String>,
}

fn unknown_status() -> InvoiceStatus {
    InvoiceStatus::Other(String::new())
}

/// Reads a date written as `YYYY-MM-DD`, or the date part of `YYYY-MM-DD HH:mm:ss`; a
/// timestamp with an offset (`2026-01-25T20:00:00Z`) is read as its day in Vietnam.
pub(crate) fn de_opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => {
            if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
                return Ok(Some(
                    dt.with_timezone(&crate::clock::vietnam()).date_naive(),
                ));
            }
            // `FromStr` reads `%Y-%m-%d` without parsing a format string per value.
            let day = s.get(..10).unwrap_or(s);
            day.parse::<NaiveDate>()
                .map(Some)
                .map_err(serde::de::Error::custom)
        }
    }
}
