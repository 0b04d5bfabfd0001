//! The exactly-once guarantee at its edges, one test per hole an adversarial review found in the
//! first version (each fails on it):
//!
//! - `never_adopts_an_unseen_invoice`: a 409 whose invoice is still being created is compared
//!   once visible, never adopted unseen — another request under the same code stays a Conflict,
//!   however often it is retried.
//! - `a_request_to_issue_never_returns_a_draft`: a non-draft create whose earlier attempt left
//!   only a draft (signing failed) is `InvoiceFailed`, not a success.
//! - `a_sent_object_that_changed_is_refused`: an object reused for the next sale (or switched
//!   from draft to issue) while its invoice may exist is a `ValidationError` naming the change.
//! - `a_cancelled_send_keeps_the_code`: dropping the future of a create keeps the object's code,
//!   so the retry finds the invoice.
//! - `a_callers_code_is_never_remembered`: a caller's own reference code does not stick.
//! - `a_refused_send_may_be_corrected`: after a certain refusal (nothing created) the object
//!   may be changed and sent again with its code.
//! - `errors_built_in_a_wait_are_scrubbed`: a Failed status echoing the token is scrubbed.
//! - `a_success_naming_another_invoice_is_refused`: a status answer naming another invoice is
//!   never returned as this job's.
//! - `excerpts_mask_the_buyers_data`: an unreadable answer echoing the buyer's data is masked.

mod support;

use std::time::Duration;

use sepay_einvoice::{Buyer, CreateInvoice, ErrorKind, LineItem, TaxRate};
use sepay_einvoice_mock::ACCOUNT_MATBAO;
use serde_json::json;

use support::*;

fn request(price: i64) -> CreateInvoice {
    CreateInvoice {
        provider_account_id: ACCOUNT_MATBAO.into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: true,
        buyer: Buyer {
            name: Some("Công ty ABC".into()),
            tax_code: Some("0100233488".into()),
            email: Some("buyer@example.com".into()),
            ..Default::default()
        },
        items: vec![LineItem::new("A", 1.into(), price.into()).with_tax_rate(TaxRate::Ten)],
        ..Default::default()
    }
}

#[tokio::test]
async fn never_adopts_an_unseen_invoice() {
    // Jobs stay pending for 1 s: the first create's invoice is not visible when B's 409 comes.
    let m = mock_with(Duration::from_millis(1000)).await;
    let c = client(&m.url());
    let mut a = request(100_000);
    a.reference_code = Some("ORDER-7".into());
    c.create_invoice(&a).await.expect("A is accepted");
    let mut b = request(250_000);
    b.reference_code = Some("ORDER-7".into());
    for _ in 0..2 {
        // The SDK waits for A to become visible, compares, and refuses it.
        let e = c.create_invoice(&b).await.expect_err("B is not A");
        assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        assert_eq!(e.field(), Some("items[0].unit_price"), "{e}");
        assert_eq!(e.reference_code(), Some("ORDER-7"));
    }
    let stored = invoices_with(&m.url(), "ORDER-7").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["total_amount"], json!(110000));
}

#[tokio::test]
async fn a_request_to_issue_never_returns_a_draft() {
    let m = mock_with(Duration::ZERO).await;
    let c = client(&m.url());
    let mut req = request(100_000);
    req.is_draft = false;
    req.notes = Some("[mock:fail-issue]".into());
    let e = c
        .create_invoice_and_wait(&req, fast_wait())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvoiceFailed, "{e}");
    let code = e.reference_code().expect("names the invoice").to_string();
    // The same object again: the draft the failed signing left is found, and not a success.
    let again = c
        .create_invoice_and_wait(&req, fast_wait())
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::InvoiceFailed, "{again}");
    assert_eq!(again.reference_code(), Some(code.as_str()));
    assert!(again.message().contains("issue_invoice"), "{again}");
    assert_eq!(invoices_with(&m.url(), &code).await.len(), 1);
}

#[tokio::test]
async fn a_sent_object_that_changed_is_refused() {
    let m = mock_with(Duration::ZERO).await;
    let c = client(&m.url());
    let mut req = request(100_000);
    req.notes = Some("order 1001".into());
    let first = c.create_invoice_and_wait(&req, fast_wait()).await.unwrap();
    let before = control(&m.url(), "stats").await["requests_total"].clone();
    // Reused for the next sale: refused, nothing sent, the first invoice named.
    req.notes = Some("order 1002".into());
    let e = c.create_invoice(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Validation);
    assert_eq!(e.field(), Some("notes"));
    assert_eq!(e.reference_code(), Some(first.reference_code.as_str()));
    // Switched from a draft to an issue: refused too.
    req.notes = Some("order 1001".into());
    req.is_draft = false;
    assert_eq!(
        c.create_invoice(&req).await.unwrap_err().field(),
        Some("is_draft")
    );
    assert_eq!(control(&m.url(), "stats").await["requests_total"], before);
    // A clone is a new sale.
    let next = c.create_invoice(&req.clone()).await.unwrap();
    assert_ne!(next.reference_code, first.reference_code);
}

#[tokio::test]
async fn a_cancelled_send_keeps_the_code() {
    let m = mock_with(Duration::ZERO).await;
    let c = client(&m.url());
    fault(
        &m.url(),
        json!({"route": "create_invoice", "kind": "latency", "when": "after", "latency_ms": 1500, "times": 1}),
    )
    .await;
    let req = request(100_000);
    // The caller gives up (its own timeout) while the server has acted.
    let gave_up = tokio::time::timeout(Duration::from_millis(300), c.create_invoice(&req)).await;
    assert!(gave_up.is_err(), "the create was cut short");
    let code = req
        .sent_reference
        .get()
        .expect("the code was claimed before sending");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    clear_faults(&m.url()).await;
    let inv = c.create_invoice_and_wait(&req, fast_wait()).await.unwrap();
    assert_eq!(inv.reference_code, code);
    assert_eq!(invoices_with(&m.url(), &code).await.len(), 1);
}

#[tokio::test]
async fn a_callers_code_is_never_remembered() {
    let m = mock_with(Duration::ZERO).await;
    let c = client(&m.url());
    let mut a = request(100_000);
    a.reference_code = Some("ORDER-1".into());
    c.create_invoice_and_wait(&a, fast_wait()).await.unwrap();
    let mut b = request(250_000);
    b.reference_code = Some("ORDER-1".into());
    let e = c.create_invoice(&b).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    // Following the advice: a new code for a new sale.
    b.reference_code = None;
    let job = c.create_invoice(&b).await.unwrap();
    assert_ne!(job.reference_code, "ORDER-1");
}

#[tokio::test]
async fn a_refused_send_may_be_corrected() {
    let m = mock_with(Duration::ZERO).await;
    let c = client(&m.url());
    fault(
        &m.url(),
        json!({"route": "create_invoice", "kind": "status", "status": 400, "code": "BAD_REQUEST", "times": 1}),
    )
    .await;
    let mut req = request(100_000);
    let e = c.create_invoice(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert!(!e.is_ambiguous());
    let code = req.sent_reference.get().unwrap();
    // Nothing was created: the corrected object goes out, with the same code.
    req.items[0].unit = Some("cái".into());
    let job = c.create_invoice(&req).await.unwrap();
    assert_eq!(job.reference_code, code);
}

#[tokio::test]
async fn errors_built_in_a_wait_are_scrubbed() {
    let m = mock_with(Duration::from_secs(60)).await;
    let c = client(&m.url());
    fault(
        &m.url(),
        json!({"route": "check_create", "kind": "body", "act": false,
               "body": "{\"success\":true,\"data\":{\"status\":\"Failed\",\"message\":\"rejected header {authorization}; client_secret=mock_client_secret\"}}"}),
    )
    .await;
    let e = c
        .create_invoice_and_wait(&request(100_000), fast_wait())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvoiceFailed);
    let shown = format!(
        "{e} {e:?} {:?}",
        e.last_status().and_then(|s| s.message.clone())
    );
    let tokens = control(&m.url(), "tokens").await;
    for t in tokens["tokens"].as_array().unwrap() {
        assert!(!shown.contains(t["token"].as_str().unwrap()), "{shown}");
    }
    assert!(!shown.contains("mock_client_secret"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[tokio::test]
async fn a_success_naming_another_invoice_is_refused() {
    let m = mock_with(Duration::from_secs(60)).await;
    let c = builder(&m.url()).max_retries(0).build().unwrap();
    fault(
        &m.url(),
        json!({"route": "check_create", "kind": "body", "act": false,
               "body": "{\"success\":true,\"data\":{\"status\":\"Success\",\"reference_code\":\"SOMEONE-ELSE\",\"invoice\":{\"reference_code\":\"SOMEONE-ELSE\",\"status\":\"issued\"}}}"}),
    )
    .await;
    let e = c
        .create_invoice_and_wait(
            &request(100_000),
            fast_wait().timeout(Duration::from_millis(800)),
        )
        .await
        .unwrap_err();
    // Never returned as this job's invoice: the wait treats the answer as unreadable and
    // ends without a result.
    assert!(
        matches!(e.kind(), ErrorKind::Decode | ErrorKind::WaitTimeout),
        "{e}"
    );
    assert_ne!(e.reference_code(), Some("SOMEONE-ELSE"));
}

#[tokio::test]
async fn excerpts_mask_the_buyers_data() {
    let m = mock_with(Duration::ZERO).await;
    let c = builder(&m.url()).max_retries(0).build().unwrap();
    fault(
        &m.url(),
        json!({"route": "create_invoice", "kind": "body", "act": false, "status": 200,
               "body": "{\"success\":true,\"data\":{\"echo\":{\"tax_code\":\"0100233488\",\"email\":\"buyer@example.com\"}"}),
    )
    .await;
    let e = c.create_invoice(&request(100_000)).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode);
    let shown = format!("{e} {e:?} {}", e.body_excerpt().unwrap_or_default());
    assert!(!shown.contains("0100233488"), "{shown}");
    assert!(!shown.contains("buyer@example.com"), "{shown}");
}
