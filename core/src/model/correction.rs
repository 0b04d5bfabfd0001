//! Corrections of an issued invoice (Decree 70/2025: an issued invoice is corrected by a
//! replacement or an adjustment, never simply cancelled).

use serde::Serialize;

use super::enums::AdjustmentType;
use super::invoice::CreateInvoice;

/// A replacement invoice (`POST /v1/invoices/replace`): the full corrected invoice, which takes
/// the place of `original_invoice_reference_code`. An original can be replaced once; it must be
/// issued, of the same provider account, and not replaced or cancelled.
///
/// The exactly-once guarantee is the create's: `invoice.reference_code` (generated when empty
/// and remembered on the `invoice` object) is kept across retries, and a 409 is reconciled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaceInvoice {
    /// The reference code of the invoice being replaced.
    pub original_invoice_reference_code: String,
    /// The corrected invoice, in full, as for a create.
    pub invoice: CreateInvoice,
}

impl ReplaceInvoice {
    /// A replacement of `original` by `invoice`.
    pub fn new(original: impl Into<String>, invoice: CreateInvoice) -> Self {
        ReplaceInvoice {
            original_invoice_reference_code: original.into(),
            invoice,
        }
    }
}

/// An adjustment invoice (the path `POST /v1/invoices/adjust` is inferred, see
/// [`crate::Client::adjust_invoice`]): the original stays in force and can be adjusted many
/// times; the lines carry only the difference. A 10,000,000 invoice corrected to 11,000,000 is
/// an `increase` with +1,000,000; a `decrease` writes its lines with a negative `unit_price`
/// (or quantity); an `info` adjustment changes no amount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustInvoice {
    /// The reference code of the invoice being adjusted.
    pub original_invoice_reference_code: String,
    /// What the adjustment changes.
    pub adjustment_type: AdjustmentType,
    /// The adjustment invoice: buyer and header as for a create, lines with the difference only.
    pub invoice: CreateInvoice,
}

impl AdjustInvoice {
    /// An adjustment of `original` of type `adjustment_type`.
    pub fn new(
        original: impl Into<String>,
        adjustment_type: AdjustmentType,
        invoice: CreateInvoice,
    ) -> Self {
        AdjustInvoice {
            original_invoice_reference_code: original.into(),
            adjustment_type,
            invoice,
        }
    }
}

/// What a correction adds to the create body on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CorrectionWire<'a> {
    #[serde(flatten)]
    pub invoice: &'a CreateInvoice,
    pub original_invoice_reference_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjustment_type: Option<&'a AdjustmentType>,
}
