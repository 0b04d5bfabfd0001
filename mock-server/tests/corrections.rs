//! Replacement and adjustment invoices (`/v1/invoices/replace`, `/v1/invoices/adjust`), the
//! `[mock:error=CODE]` trigger, files that are not ready right after issue, and the
//! current-year templates.

mod common;

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{Datelike, Utc};
use common::{instant_config, invoice, Api, Resp};
use sepay_einvoice_mock::{FileNotReady, MockConfig, ACCOUNT_BKAV, ACCOUNT_MATBAO};
use serde_json::{json, Value};

/// The ten codes `[mock:error=CODE]` answers, with their statuses.
const TRIGGER_CODES: [(&str, u16); 10] = [
    ("QUOTA_EXCEEDED", 403),
    ("QUOTA_HAS_BEEN_USERD_UP", 403),
    ("BILLING_IS_UNPAID", 403),
    ("PERMISSION_DENIED", 403),
    ("REGISTRATION_NOT_COMPLETE", 422),
    ("REGISTRATION_NOT_TAX_APPROVED", 422),
    ("INVOICE_DATE_BEFORE_TAX_APPROVAL", 422),
    ("VALIDATION_ERROR", 422),
    ("INVALID_CONFIG", 422),
    ("UNDETERMINED", 500),
];

/// A replacement body: the create example plus the original's reference code.
fn replacement(reference_code: &str, original: &str, is_draft: bool) -> Value {
    let mut v = invoice(reference_code, is_draft);
    v["original_invoice_reference_code"] = json!(original);
    v
}

/// An adjustment body with the given lines.
fn adjustment(reference_code: &str, original: &str, kind: &str, items: Value) -> Value {
    let mut v = replacement(reference_code, original, false);
    v["adjustment_type"] = json!(kind);
    v["items"] = items;
    v
}

/// One priced line at 10% tax.
fn line(n: i64, quantity: f64, unit_price: f64) -> Value {
    json!({"line_number": n, "line_type": 1, "item_name": format!("Dòng {n}"),
           "quantity": quantity, "unit_price": unit_price, "tax_rate": 10})
}

/// POSTs `body` and, on 200, waits for the create job (checked on the create check endpoint).
async fn submit(api: &Api, path: &str, body: &Value) -> (Resp, Option<Value>) {
    let r = api.post(path, body).await;
    if r.status != 200 {
        return (r, None);
    }
    let data = r.json()["data"].clone();
    let tc = data["tracking_code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        data["tracking_url"],
        format!("http://{}/v1/invoices/create/check/{tc}", api.addr)
    );
    let done = api.wait("create", &tc).await;
    (r, Some(done))
}

/// Submits and asserts the job succeeded.
async fn ok(api: &Api, path: &str, body: &Value) -> Value {
    let (r, done) = submit(api, path, body).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text());
    let done = done.unwrap_or_default();
    assert_eq!(done["status"], "Success", "{done}");
    done
}

/// Submits and asserts the synchronous error.
async fn refused(api: &Api, path: &str, body: &Value, status: u16, code: &str) -> Resp {
    let r = api.post(path, body).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (status, code),
        "{path}: {}",
        r.text()
    );
    r
}

async fn detail(api: &Api, reference_code: &str) -> Value {
    let r = api.get(&format!("/v1/invoices/{reference_code}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"].clone()
}

/// An issued invoice made by create.
async fn issued(api: &Api, reference_code: &str) {
    ok(api, "/v1/invoices/create", &invoice(reference_code, false)).await;
}

#[tokio::test]
async fn replace_happy_path_links_both_ways_and_spends_quota() {
    let api = Api::start(instant_config()).await;
    issued(&api, "orig").await;
    assert_eq!(api.quota().await, "999");
    let o = detail(&api, "orig").await;
    assert_eq!(o["document_type"], 2);
    assert_eq!(o["replaced_by"], Value::Null);
    assert_eq!(o["adjusted_by"], json!([]));
    assert!(o.get("original_invoice_reference_code").is_none());

    let done = ok(
        &api,
        "/v1/invoices/replace",
        &replacement("repl", "orig", false),
    )
    .await;
    assert_eq!(done["invoice"]["reference_code"], "repl");
    assert_eq!(done["invoice"]["status"], "issued");
    assert_eq!(
        api.quota().await,
        "998",
        "an issued replacement spends quota"
    );

    let r = detail(&api, "repl").await;
    assert_eq!(r["document_type"], 4);
    assert_eq!(r["status"], "issued");
    assert_eq!(r["original_invoice_reference_code"], "orig");
    assert!(r.get("adjustment_type").is_none());
    assert_eq!(r["replaced_by"], Value::Null);
    assert_eq!(r["total_amount"], 220000);
    let o = detail(&api, "orig").await;
    assert_eq!(o["document_type"], 5);
    assert_eq!(o["status"], "issued");
    assert_eq!(o["replaced_by"], "repl");

    // The replacement itself is in force: it can be replaced in turn.
    ok(
        &api,
        "/v1/invoices/replace",
        &replacement("repl-2", "repl", false),
    )
    .await;
    assert_eq!(detail(&api, "repl").await["document_type"], 5);
    assert_eq!(detail(&api, "repl-2").await["document_type"], 4);
    let s = api.stats().await;
    assert_eq!(s["requests"]["replace_invoice"]["200"], 2);
}

#[tokio::test]
async fn replace_preconditions_in_order() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    ok(&api, "/v1/invoices/replace", &replacement("r1", "o", false)).await;

    // Replaced twice: refused, for replace and adjust alike.
    let r = refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r2", "o", false),
        422,
        "INVOICE_ALREADY_REPLACED",
    )
    .await;
    assert!(!r.error_message().is_empty());
    refused(
        &api,
        "/v1/invoices/adjust",
        &adjustment("a1", "o", "increase", json!([line(1, 1.0, 1000.0)])),
        422,
        "INVOICE_ALREADY_REPLACED",
    )
    .await;

    // Unknown original: 404 with its own message.
    let r = refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r3", "nope", false),
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(r.error_message(), "Không tìm thấy hóa đơn gốc");

    // A draft original is not issued.
    api.draft("d").await;
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r4", "d", false),
        422,
        "INVOICE_NOT_ISSUED",
    )
    .await;
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r4", "d", true),
        422,
        "INVOICE_NOT_ISSUED",
    )
    .await;

    // Another provider account: the mismatch comes before "not issued".
    issued(&api, "o2").await;
    let mut body = replacement("r5", "o2", true);
    body["provider_account_id"] = json!(ACCOUNT_BKAV);
    refused(
        &api,
        "/v1/invoices/replace",
        &body,
        422,
        "INVOICE_ACCOUNT_MISMATCH",
    )
    .await;
    let mut body = replacement("r5", "d", true);
    body["provider_account_id"] = json!(ACCOUNT_BKAV);
    refused(
        &api,
        "/v1/invoices/replace",
        &body,
        422,
        "INVOICE_ACCOUNT_MISMATCH",
    )
    .await;

    // Cancelled (through the control API).
    issued(&api, "o3").await;
    let c = api.control("POST", "/_mock/invoices/o3/cancel", None).await;
    assert_eq!(c.status, 200, "{}", c.text());
    assert_eq!(c.json()["document_type"], 3);
    assert_eq!(detail(&api, "o3").await["document_type"], 3);
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r6", "o3", false),
        422,
        "INVOICE_CANCELLED",
    )
    .await;
    assert_eq!(
        api.control("POST", "/_mock/invoices/d/cancel", None)
            .await
            .status,
        400
    );
    assert_eq!(
        api.control("POST", "/_mock/invoices/nope/cancel", None)
            .await
            .status,
        404
    );

    // An adjustment invoice cannot be corrected.
    issued(&api, "o4").await;
    ok(
        &api,
        "/v1/invoices/adjust",
        &adjustment("adj", "o4", "increase", json!([line(1, 1.0, 1000.0)])),
    )
    .await;
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r7", "adj", false),
        422,
        "INVOICE_NOT_CORRECTABLE",
    )
    .await;
    refused(
        &api,
        "/v1/invoices/adjust",
        &adjustment("a2", "adj", "increase", json!([line(1, 1.0, 1000.0)])),
        422,
        "INVOICE_NOT_CORRECTABLE",
    )
    .await;

    // Quota and the account rules come last, and only for a correction that issues.
    api.control("POST", "/_mock/config", Some(&json!({"quota": 0})))
        .await;
    refusal_stores_nothing(&api).await;
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r8", "o4", false),
        403,
        "QUOTA_EXCEEDED",
    )
    .await;
    ok(&api, "/v1/invoices/replace", &replacement("r8", "o4", true)).await;
}

/// Refusals create no jobs beyond those already there.
async fn refusal_stores_nothing(api: &Api) {
    let before = api.stats().await["jobs"].clone();
    refused(
        api,
        "/v1/invoices/replace",
        &replacement("x", "nope", false),
        404,
        "NOT_FOUND",
    )
    .await;
    assert_eq!(api.stats().await["jobs"], before);
}

#[tokio::test]
async fn replacement_of_a_pending_job_blocks_the_next_one() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    api.control(
        "POST",
        "/_mock/config",
        Some(&json!({"pending_polls": 5, "pending_ms": 3_600_000})),
    )
    .await;
    let r = api
        .post("/v1/invoices/replace", &replacement("r1", "o", false))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The first is still pending: the original is already spoken for.
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r2", "o", false),
        422,
        "INVOICE_ALREADY_REPLACED",
    )
    .await;
    // And a retry of the pending one is a 409, not a precondition error.
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r1", "o", false),
        409,
        "EINVOICE_DOCUMENT_EXISTED",
    )
    .await;
    assert_eq!(detail(&api, "o").await["document_type"], 2);
}

#[tokio::test]
async fn retry_of_an_accepted_correction_gets_409_first() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    let body = replacement("r", "o", false);
    ok(&api, "/v1/invoices/replace", &body).await;
    // The original is now replaced, but the retry is told about its reference code first.
    refused(
        &api,
        "/v1/invoices/replace",
        &body,
        409,
        "EINVOICE_DOCUMENT_EXISTED",
    )
    .await;

    let body = adjustment("a", "r", "increase", json!([line(1, 1.0, 5000.0)]));
    ok(&api, "/v1/invoices/adjust", &body).await;
    refused(
        &api,
        "/v1/invoices/adjust",
        &body,
        409,
        "EINVOICE_DOCUMENT_EXISTED",
    )
    .await;
    // Even when the original has since gone out of force.
    ok(&api, "/v1/invoices/replace", &replacement("r2", "r", false)).await;
    refused(
        &api,
        "/v1/invoices/adjust",
        &body,
        409,
        "EINVOICE_DOCUMENT_EXISTED",
    )
    .await;
    assert_eq!(api.stats().await["rejected_duplicates"], 3);
}

#[tokio::test]
async fn adjustments_of_every_type_with_signed_totals() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;

    // Increase: +50000 at 10%.
    ok(
        &api,
        "/v1/invoices/adjust",
        &adjustment("inc", "o", "increase", json!([line(1, 1.0, 50000.0)])),
    )
    .await;
    let a = detail(&api, "inc").await;
    assert_eq!(a["document_type"], 6);
    assert_eq!(a["adjustment_type"], "increase");
    assert_eq!(a["original_invoice_reference_code"], "o");
    assert_eq!(
        (
            a["total_before_tax"].clone(),
            a["tax_amount"].clone(),
            a["total_amount"].clone()
        ),
        (json!(50000), json!(5000), json!(55000))
    );
    let o = detail(&api, "o").await;
    assert_eq!(o["document_type"], 10);
    assert_eq!(o["adjusted_by"], json!(["inc"]));
    assert_eq!(o["replaced_by"], Value::Null);

    // Decrease: a negative unit_price, and a negative quantity; totals are negative.
    ok(
        &api,
        "/v1/invoices/adjust",
        &adjustment(
            "dec",
            "o",
            "decrease",
            json!([line(1, 1.0, -20000.0), line(2, -2.0, 1000.0)]),
        ),
    )
    .await;
    let a = detail(&api, "dec").await;
    assert_eq!(a["document_type"], 7);
    assert_eq!(a["adjustment_type"], "decrease");
    assert_eq!(a["total_before_tax"], -22000);
    assert_eq!(a["tax_amount"], -2200);
    assert_eq!(a["total_amount"], -24200);
    assert_eq!(a["items"][0]["unit_price"], "-20000.00");
    assert_eq!(a["items"][0]["total_amount"], "-20000.00");
    assert_eq!(a["items"][1]["quantity"], "-2.00");
    assert_eq!(a["items"][1]["tax_amount"], "-200.00");

    // Info: no money at all.
    let info_items = json!([
        {"line_number": 1, "line_type": 4, "item_name": "Sửa địa chỉ người mua"},
        {"line_number": 2, "line_type": 1, "item_name": "Sản phẩm A", "quantity": 2, "unit_price": 0}
    ]);
    let mut body = adjustment("info", "o", "info", info_items);
    body["buyer"]["address"] = json!("456 Đường mới, Hà Nội");
    ok(&api, "/v1/invoices/adjust", &body).await;
    let a = detail(&api, "info").await;
    assert_eq!(a["document_type"], 8);
    assert_eq!(a["total_amount"], 0);
    assert_eq!(a["buyer"]["address"], "456 Đường mới, Hà Nội");

    // Combined: any signs.
    ok(
        &api,
        "/v1/invoices/adjust",
        &adjustment(
            "comb",
            "o",
            "combined",
            json!([line(1, 1.0, 10000.0), line(2, 1.0, -30000.0)]),
        ),
    )
    .await;
    let a = detail(&api, "comb").await;
    assert_eq!(a["document_type"], 9);
    assert_eq!(a["total_amount"], -22000);

    // The original stays "adjusted" and lists every adjustment, oldest first.
    let o = detail(&api, "o").await;
    assert_eq!(o["document_type"], 10);
    assert_eq!(o["adjusted_by"], json!(["inc", "dec", "info", "comb"]));
    assert_eq!(
        api.quota().await,
        "995",
        "each issued adjustment spends quota"
    );

    // A replacement can be adjusted (4 -> 10), and an adjusted invoice replaced (10 -> 5).
    ok(&api, "/v1/invoices/replace", &replacement("r", "o", false)).await;
    assert_eq!(detail(&api, "o").await["document_type"], 5);
    ok(
        &api,
        "/v1/invoices/adjust",
        &adjustment("r-inc", "r", "increase", json!([line(1, 1.0, 1.0)])),
    )
    .await;
    let r = detail(&api, "r").await;
    assert_eq!(r["document_type"], 10);
    assert_eq!(r["original_invoice_reference_code"], "o");
    assert_eq!(r["adjusted_by"], json!(["r-inc"]));
    let s = api.stats().await;
    assert_eq!(s["requests"]["adjust_invoice"]["200"], 5);

    // The PDF says what it corrects.
    let v = api.get("/v1/invoices/dec/download?type=pdf").await.json();
    let pdf = STANDARD
        .decode(v["data"]["content"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("Dieu chinh giam cho hoa don o"), "{text}");
    assert!(text.contains("-24200 VND"));
}

#[tokio::test]
async fn adjust_and_replace_validation_names_the_field() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    type Mutate = fn(&mut Value);
    let cases: Vec<(&str, &str, Mutate)> = vec![
        // info moves no money
        ("info", "items[0].unit_price", |v| {
            v["items"] = json!([line(1, 1.0, 1000.0)])
        }),
        ("info", "items[1].discount_amount", |v| {
            v["items"] = json!([line(1, 1.0, 0.0),
                {"line_number": 2, "line_type": 1, "item_name": "B", "discount_amount": 5}])
        }),
        ("info", "items[0].discount_tax", |v| {
            v["items"][0]["discount_tax"] = json!(10)
        }),
        ("info", "total_amount", |v| v["total_amount"] = json!(1000)),
        // decrease: every priced line negative
        ("decrease", "items[0].unit_price", |v| {
            v["items"] = json!([line(1, 1.0, 1000.0)])
        }),
        ("decrease", "items[1].unit_price", |v| {
            v["items"] = json!([line(1, 1.0, -1000.0), line(2, 1.0, 0.0)])
        }),
        ("decrease", "total_amount", |v| {
            v["items"] = json!([line(1, 1.0, -1000.0)]);
            v["total_amount"] = json!(1100)
        }),
        // increase: no negative line
        ("increase", "items[0].unit_price", |v| {
            v["items"] = json!([line(1, 1.0, -1000.0)])
        }),
        ("increase", "items[0].quantity", |v| {
            v["items"] = json!([line(1, -1.0, 1000.0)])
        }),
        ("increase", "total_amount", |v| {
            v["total_amount"] = json!(-5)
        }),
        // the correction fields
        ("increase", "adjustment_type", |v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("adjustment_type");
            }
        }),
        ("increase", "adjustment_type", |v| {
            v["adjustment_type"] = json!("bigger")
        }),
        ("increase", "adjustment_type", |v| {
            v["adjustment_type"] = json!(6)
        }),
        ("increase", "original_invoice_reference_code", |v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("original_invoice_reference_code");
            }
        }),
        ("increase", "original_invoice_reference_code", |v| {
            v["original_invoice_reference_code"] = json!("  ")
        }),
        ("increase", "original_invoice_reference_code", |v| {
            v["original_invoice_reference_code"] = json!(42)
        }),
        // create's own rules still apply, before the correction's
        ("increase", "currency", |v| v["currency"] = json!("EUR")),
        ("increase", "items[0].quantity", |v| {
            v["items"][0]["quantity"] = json!(-1.234)
        }),
    ];
    for (i, (kind, field, mutate)) in cases.into_iter().enumerate() {
        let mut body = adjustment(
            &format!("bad-{i}"),
            "nope-so-preconditions-would-404",
            kind,
            json!([{"line_number": 1, "line_type": 1, "item_name": "A", "quantity": 1, "tax_rate": 10}]),
        );
        if kind != "info" {
            body["items"] = json!([line(1, 1.0, if kind == "decrease" { -1.0 } else { 1.0 })]);
        }
        mutate(&mut body);
        let r = refused(&api, "/v1/invoices/adjust", &body, 400, "BAD_REQUEST").await;
        let msg = r.error_message();
        assert!(
            msg.contains(&format!("({field})")),
            "case {i} ({kind}): message {msg:?} should name {field}"
        );
    }

    // Negative numbers are for adjustments only.
    let mut body = replacement("neg", "o", false);
    body["items"][0]["unit_price"] = json!(-100000);
    let r = refused(&api, "/v1/invoices/replace", &body, 400, "BAD_REQUEST").await;
    assert!(r.error_message().contains("(items[0].unit_price)"));
    body["items"][0]["unit_price"] = json!(100000);
    body["items"][0]["quantity"] = json!(-2);
    let r = refused(&api, "/v1/invoices/replace", &body, 400, "BAD_REQUEST").await;
    assert!(r.error_message().contains("(items[0].quantity)"));
    let mut body = invoice("neg-create", false);
    body["items"][0]["unit_price"] = json!("-1");
    let r = refused(&api, "/v1/invoices/create", &body, 400, "BAD_REQUEST").await;
    assert!(r.error_message().contains("(items[0].unit_price)"));
    let mut body = replacement("r", "o", false);
    if let Some(o) = body.as_object_mut() {
        o.remove("original_invoice_reference_code");
    }
    let r = refused(&api, "/v1/invoices/replace", &body, 400, "BAD_REQUEST").await;
    assert!(r
        .error_message()
        .contains("(original_invoice_reference_code)"));

    // Nothing was stored by the rejected requests; the original is untouched.
    assert_eq!(api.stats().await["jobs"], 1);
    assert_eq!(detail(&api, "o").await["document_type"], 2);
}

#[tokio::test]
async fn draft_replacement_holds_the_original_until_issued_or_deleted() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    ok(&api, "/v1/invoices/replace", &replacement("rd", "o", true)).await;
    assert_eq!(api.quota().await, "999", "a draft spends no quota");
    let r = detail(&api, "rd").await;
    assert_eq!(r["document_type"], 1);
    assert_eq!(r["status"], "draft");
    assert_eq!(r["original_invoice_reference_code"], "o");
    let o = detail(&api, "o").await;
    assert_eq!(o["document_type"], 2, "a draft does not flip the original");
    assert_eq!(o["replaced_by"], "rd");
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r2", "o", false),
        422,
        "INVOICE_ALREADY_REPLACED",
    )
    .await;

    // Deleting the draft frees the original.
    let r = api.post("/v1/invoices/delete/rd", &Value::Null).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(detail(&api, "o").await["replaced_by"], Value::Null);
    ok(&api, "/v1/invoices/replace", &replacement("rd2", "o", true)).await;
    assert_eq!(detail(&api, "o").await["replaced_by"], "rd2");

    // Issuing the draft flips the original.
    let d = api.issue("rd2").await;
    assert_eq!(d["status"], "Success", "{d}");
    assert_eq!(detail(&api, "rd2").await["document_type"], 4);
    let o = detail(&api, "o").await;
    assert_eq!(o["document_type"], 5);
    assert_eq!(o["replaced_by"], "rd2");
    assert_eq!(api.quota().await, "998");

    // A draft adjustment is listed, then let go of when deleted.
    issued(&api, "o2").await;
    let mut body = adjustment("ad", "o2", "increase", json!([line(1, 1.0, 10.0)]));
    body["is_draft"] = json!(true);
    ok(&api, "/v1/invoices/adjust", &body).await;
    let o2 = detail(&api, "o2").await;
    assert_eq!(o2["document_type"], 2);
    assert_eq!(o2["adjusted_by"], json!(["ad"]));
    assert_eq!(detail(&api, "ad").await["document_type"], 1);
    api.post("/v1/invoices/delete/ad", &Value::Null).await;
    assert_eq!(detail(&api, "o2").await["adjusted_by"], json!([]));
}

#[tokio::test]
async fn issuing_a_draft_correction_rechecks_the_original() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    let mut body = adjustment("ad", "o", "increase", json!([line(1, 1.0, 10.0)]));
    body["is_draft"] = json!(true);
    ok(&api, "/v1/invoices/adjust", &body).await;
    // A draft replacement alone does not stop the draft adjustment from being issued...
    ok(&api, "/v1/invoices/replace", &replacement("rd", "o", true)).await;
    let mut body2 = adjustment("ad2", "o", "increase", json!([line(1, 1.0, 10.0)]));
    body2["is_draft"] = json!(true);
    // ...but a new adjustment request is refused while it exists.
    refused(
        &api,
        "/v1/invoices/adjust",
        &body2,
        422,
        "INVOICE_ALREADY_REPLACED",
    )
    .await;
    // Once the replacement is issued, the original is out of force.
    api.issue("rd").await;
    let r = refused(
        &api,
        "/v1/invoices/issue",
        &json!({"reference_code": "ad"}),
        422,
        "INVOICE_ALREADY_REPLACED",
    )
    .await;
    assert!(!r.error_message().is_empty());
    assert_eq!(detail(&api, "ad").await["status"], "draft");
    assert_eq!(detail(&api, "o").await["document_type"], 5);

    // Same when the original is cancelled after the draft replacement was made.
    issued(&api, "o2").await;
    ok(
        &api,
        "/v1/invoices/replace",
        &replacement("rd2", "o2", true),
    )
    .await;
    api.control("POST", "/_mock/invoices/o2/cancel", None).await;
    refused(
        &api,
        "/v1/invoices/issue",
        &json!({"reference_code": "rd2"}),
        422,
        "INVOICE_CANCELLED",
    )
    .await;
}

#[tokio::test]
async fn error_triggers_answer_their_code_and_store_nothing() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    let jobs = api.stats().await["jobs"].clone();
    for (i, (code, status)) in TRIGGER_CODES.iter().enumerate() {
        let notes = format!("Ghi chú [mock:error={code}] cuối");
        let mut bodies = [
            ("/v1/invoices/create", invoice(&format!("e-c-{i}"), false)),
            (
                "/v1/invoices/replace",
                replacement(&format!("e-r-{i}"), "o", false),
            ),
            (
                "/v1/invoices/adjust",
                adjustment(
                    &format!("e-a-{i}"),
                    "o",
                    "increase",
                    json!([line(1, 1.0, 1.0)]),
                ),
            ),
        ];
        for (path, body) in bodies.iter_mut() {
            body["notes"] = json!(notes);
            let r = refused(&api, path, body, *status, code).await;
            assert!(!r.error_message().is_empty(), "{code}: a message");
            assert!(
                !r.error_message().contains("mock"),
                "{code}: Vietnamese text"
            );
        }
    }
    let r = refused(
        &api,
        "/v1/invoices/create",
        &{
            let mut b = invoice("e-unknown", false);
            b["notes"] = json!("[mock:error=NOT_A_CODE]");
            b
        },
        400,
        "BAD_REQUEST",
    )
    .await;
    assert!(r.error_message().contains("NOT_A_CODE"), "{}", r.text());
    assert_eq!(api.stats().await["jobs"], jobs, "nothing stored");
    assert_eq!(api.quota().await, "999");
    assert_eq!(detail(&api, "o").await["document_type"], 2);

    // A draft keeps the trigger, which answers when it is issued; the draft stays.
    let mut body = invoice("e-draft", true);
    body["notes"] = json!("[mock:error=BILLING_IS_UNPAID]");
    ok(&api, "/v1/invoices/create", &body).await;
    refused(
        &api,
        "/v1/invoices/issue",
        &json!({"reference_code": "e-draft"}),
        403,
        "BILLING_IS_UNPAID",
    )
    .await;
    let mut body = replacement("e-rdraft", "o", true);
    body["notes"] = json!("[mock:error=UNDETERMINED]");
    ok(&api, "/v1/invoices/replace", &body).await;
    refused(
        &api,
        "/v1/invoices/issue",
        &json!({"reference_code": "e-rdraft"}),
        500,
        "UNDETERMINED",
    )
    .await;
    assert_eq!(detail(&api, "e-draft").await["status"], "draft");
    assert_eq!(detail(&api, "o").await["document_type"], 2);
    assert_eq!(api.quota().await, "999");
}

async fn download(api: &Api, code: &str) -> Resp {
    api.get(&format!("/v1/invoices/{code}/download?type=pdf"))
        .await
}

#[tokio::test]
async fn files_not_ready_right_after_issue() {
    let api = Api::start(instant_config()).await;
    let c = api.control("GET", "/_mock/config", None).await.json();
    assert_eq!(
        (c["file_ready_ms"].clone(), c["file_not_ready"].clone()),
        (json!(0), json!("empty"))
    );
    for bad in [
        json!({"file_not_ready": "later"}),
        json!({"file_not_ready": 1}),
        json!({"file_ready_ms": -1}),
        json!({"file_ready_ms": "100"}),
    ] {
        let r = api.control("POST", "/_mock/config", Some(&bad)).await;
        assert_eq!(r.status, 400, "{bad}");
    }

    let c = api
        .control(
            "POST",
            "/_mock/config",
            Some(&json!({"file_ready_ms": 1500, "file_not_ready": "empty"})),
        )
        .await
        .json();
    assert_eq!(c["file_ready_ms"], 1500);
    issued(&api, "f1").await;
    let r = download(&api, "f1").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["success"], true);
    assert_eq!(v["data"]["content"], "");
    assert_eq!(v["data"]["file_type"], "pdf");
    assert!(v["data"]["file_name"].as_str().is_some());
    // Seeded manual invoices were issued long ago.
    let list = api.get("/v1/invoices?source=manual").await.json();
    let manual = list["data"]["items"][0]["reference_code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let v = download(&api, &manual).await.json();
    assert_ne!(v["data"]["content"], "");

    let c = api
        .control(
            "POST",
            "/_mock/config",
            Some(&json!({"file_not_ready": "error"})),
        )
        .await
        .json();
    assert_eq!(c["file_not_ready"], "error");
    issued(&api, "f2").await;
    let r = download(&api, "f2").await;
    assert_eq!((r.status, r.error_code().as_str()), (409, "FILE_NOT_READY"));
    assert_eq!(
        r.error_message(),
        "Tệp hóa đơn đang được tạo, vui lòng thử lại sau"
    );

    tokio::time::sleep(Duration::from_millis(1600)).await;
    for code in ["f1", "f2"] {
        let r = download(&api, code).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let content = r.json()["data"]["content"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(STANDARD
            .decode(content)
            .unwrap_or_default()
            .starts_with(b"%PDF"));
    }
}

#[tokio::test]
async fn file_readiness_from_the_startup_config() {
    let api = Api::start(MockConfig {
        file_ready_ms: 60_000,
        file_not_ready: FileNotReady::Error,
        ..instant_config()
    })
    .await;
    issued(&api, "f").await;
    let r = download(&api, "f").await;
    assert_eq!(r.status, 409);
    // Reset keeps the startup values.
    api.control("POST", "/_mock/reset", None).await;
    let c = api.control("GET", "/_mock/config", None).await.json();
    assert_eq!(
        (c["file_ready_ms"].clone(), c["file_not_ready"].clone()),
        (json!(60_000), json!("error"))
    );
    assert_eq!(MockConfig::default().file_ready_ms, 0);
    assert_eq!(MockConfig::default().file_not_ready, FileNotReady::Empty);
    assert_eq!("error".parse::<FileNotReady>(), Ok(FileNotReady::Error));
    assert!("later".parse::<FileNotReady>().is_err());
}

#[tokio::test]
async fn templates_include_the_current_year_series() {
    let api = Api::start(MockConfig::default()).await;
    let yy = (Utc::now() + chrono::Duration::hours(7)).year() % 100;
    let series = |prefix: &str| format!("C{yy:02}{prefix}");
    let expected: [(&str, &[(&str, &str)]); 3] = [
        (ACCOUNT_MATBAO, &[("1", "TSE"), ("2", "TSP"), ("2", "HTV")]),
        (ACCOUNT_BKAV, &[("1", "TAA"), ("2", "TBB")]),
        (sepay_einvoice_mock::ACCOUNT_MIFI, &[("1", "TSE")]),
    ];
    for (account, yearly) in expected {
        let v = api
            .get(&format!("/v1/provider-accounts/{account}"))
            .await
            .json();
        let templates = v["data"]["templates"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (code, suffix) in yearly {
            let s = series(suffix);
            let found: Vec<&Value> = templates
                .iter()
                .filter(|t| t["template_code"] == *code && t["invoice_series"] == s)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "{account}: {code}/{s} once in {templates:?}"
            );
            let label = found[0]["invoice_label"].as_str().unwrap_or_default();
            assert!(label.starts_with(&format!("{code} - {s} - ")), "{label}");
        }
    }
    if yy == 26 {
        let v = api
            .get(&format!("/v1/provider-accounts/{ACCOUNT_MATBAO}"))
            .await
            .json();
        let t = v["data"]["templates"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(t.len(), 5);
        assert_eq!(
            t[4],
            json!({"template_code":"2","invoice_series":"C26HTV","invoice_label":"2 - C26HTV - Hóa đơn bán hàng"})
        );
    }
}

#[tokio::test]
async fn fault_rules_target_the_new_routes() {
    let api = Api::start(instant_config()).await;
    issued(&api, "o").await;
    for route in ["replace_invoice", "adjust_invoice"] {
        let r = api
            .control(
                "POST",
                "/_mock/faults",
                Some(&json!({"route": route, "kind": "status", "status": 503, "times": 1})),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    refused(
        &api,
        "/v1/invoices/replace",
        &replacement("r", "o", false),
        503,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    refused(
        &api,
        "/v1/invoices/adjust",
        &adjustment("a", "o", "increase", json!([line(1, 1.0, 1.0)])),
        503,
        "SERVICE_UNAVAILABLE",
    )
    .await;
    ok(&api, "/v1/invoices/replace", &replacement("r", "o", false)).await;
    let s = api.stats().await;
    assert_eq!(s["requests"]["replace_invoice"]["503"], 1);
    assert_eq!(s["requests"]["replace_invoice"]["200"], 1);
    assert_eq!(s["requests"]["adjust_invoice"]["503"], 1);
    // A wrong method on the new paths is a 405 under their route id.
    let r = api.get("/v1/invoices/replace").await;
    assert_eq!(r.status, 405);
}
