//! Typed requests and responses of the SePay eInvoice API.

mod correction;
mod enums;
mod invoice;
mod job;
pub(crate) mod money;
mod page;
mod preflight;
mod provider;
mod reference;
mod usage;

pub(crate) use correction::CorrectionWire;
pub use correction::{AdjustInvoice, ReplaceInvoice};
pub use enums::{
    AdjustmentType, BuyerType, Currency, FileType, InvoiceStatus, JobKind, JobState, LineType,
    PaymentMethod, Severity, Source, TaxRate,
};
pub use invoice::{Buyer, CreateInvoice, Invoice, InvoiceItem, LineItem};
pub use job::{Job, JobStatus};
pub use page::{ListInvoicesParams, ListParams, Page, Paging};
pub use preflight::{Preflight, Problem};
pub use provider::{InvoiceTemplate, ProviderAccount, ProviderAccountDetail};
pub(crate) use reference::Claim;
pub use reference::SentReference;
pub use usage::{InvoiceFile, Usage};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_server_values_are_kept_not_rejected() {
        let inv: Invoice = serde_json::from_value(json!({
            "reference_code": "r", "status": "archived", "source": "pos", "payment_method": "QR",
            "items": [{"line_type": 9, "quantity": "2.00", "unit_price": "100000.00", "tax_rate": "10.00"}]
        }))
        .unwrap();
        assert_eq!(inv.status, InvoiceStatus::Other("archived".into()));
        assert_eq!(inv.source, Some(Source::Other("pos".into())));
        assert_eq!(inv.payment_method, Some(PaymentMethod::Other("QR".into())));
        assert_eq!(inv.items[0].line_type, Some(LineType::Other(9)));
        assert_eq!(inv.items[0].unit_price, Some(100_000.into()));
        let st: JobStatus =
            serde_json::from_value(json!({"status": "Retrying", "message": "x"})).unwrap();
        assert_eq!(st.state, JobState::Other("Retrying".into()));
    }

    #[test]
    fn amounts_keep_their_exact_value() {
        let inv: Invoice = serde_json::from_value(
            json!({"reference_code": "r", "total_amount": 0.1, "tax_amount": "20000.50"}),
        )
        .unwrap();
        assert_eq!(inv.total_amount.map(|d| d.to_string()), Some("0.1".into()));
        assert_eq!(
            inv.tax_amount.map(|d| d.to_string()),
            Some("20000.5".into())
        );
        let usage: Usage = serde_json::from_value(json!({"quota_remaining": "534"})).unwrap();
        assert_eq!(usage.quota_remaining, 534);
        assert!(serde_json::from_value::<Usage>(json!({"quota_remaining": "-1"})).is_err());
    }

    #[test]
    fn request_amounts_go_out_as_json_numbers() {
        let line = LineItem::new("A", "1.5".parse().unwrap(), 100_000.into());
        let v = serde_json::to_value(&line).unwrap();
        assert_eq!(v["quantity"], json!(1.5));
        assert_eq!(v["unit_price"], json!(100000));
        assert_eq!(v["line_type"], json!(1));
    }

    #[test]
    fn a_job_survives_a_round_trip() {
        let job = Job {
            kind: JobKind::Issue,
            tracking_code: Some("t".into()),
            tracking_url: None,
            reference_code: "r".into(),
            message: None,
        };
        let back = Job::from_json(serde_json::to_value(&job).unwrap()).unwrap();
        assert_eq!(back, job);
    }

    #[test]
    fn client_is_shareable() {
        fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
        fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
        assert_shareable::<crate::Client>();
        assert_error::<crate::Error>();
    }
}
