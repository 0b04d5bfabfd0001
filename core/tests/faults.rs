//! Regression tests for defects found with the mock's fault rules, one test (or a small group)
//! per defect, each against the in-process mock (or, for defect 10, a raw TCP server):
//!
//! 1. `d01_*`: bodies are read within a cap (oversize, endless, `max_response_bytes`).
//! 2. `d02_*`: a wait keeps the job handle: garbled polls are retried, a wait timeout or a
//!    permanent poll error carries `job()` and `reference_code()`, and an unusable tracking code
//!    is followed by reference code instead of failing.
//! 3. `d03_*`: an ambiguous create is reconciled by resending the same object (or its code); a
//!    clone is a new sale.
//! 4. `d04_*`: reconciliation never adopts another invoice that holds the same reference code.
//! 5. (token scrubbing: covered by another test file.)
//! 6. `d06_*`: input is never silently changed (misspelt keys, blank amounts, negative discount
//!    amounts, discounts larger than the line).
//! 7. `d07_*`: a token fetch is bounded by the caller's deadline, also for a caller that waits
//!    for another caller's fetch.
//! 8. `d08_*`: `.`/`..` and path-changing codes are refused before anything is sent.
//! 9. `d09_*`: redirects are reported, never followed.
//! 10. `d10_*`: amounts go on the wire with every digit (raw TCP server captures the body).
//! 11. `d11_*`: type errors and `Debug` output carry no values or URL passwords.
//! 12. `d12_*`: bad dates, 13-digit tax codes and a 200 `success:false` map to the right kind.
//! 13. `d13_*`: the mock's `when: "after"` latency acts before answering late, and the client
//!     reconciles the retry's 409: one invoice.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sepay_einvoice::{
    Buyer, Client, CreateInvoice, Decimal, ErrorKind, FileType, Job, JobKind, LineItem,
    ListInvoicesParams, TaxRate,
};
use sepay_einvoice_mock::ACCOUNT_MATBAO;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use support::*;

// ---- helpers -----------------------------------------------------------------------------------

async fn stats(url: &str) -> Value {
    control(url, "stats").await
}

async fn api_invoice_count(url: &str) -> usize {
    let all = control(url, "invoices").await;
    all.as_array()
        .expect("invoice list")
        .iter()
        .filter(|i| i["source"] == "api")
        .count()
}

fn request() -> CreateInvoice {
    CreateInvoice {
        provider_account_id: ACCOUNT_MATBAO.into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: true,
        buyer: Buyer {
            name: Some("Công ty ABC".into()),
            ..Default::default()
        },
        items: vec![LineItem::new("A", 1.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)],
        ..Default::default()
    }
}

fn request_json(items: Value) -> Value {
    json!({
        "provider_account_id": ACCOUNT_MATBAO,
        "template_code": "1",
        "invoice_series": "C26TSE",
        "issued_date": "2026-01-26 08:00:00",
        "is_draft": true,
        "buyer": {"name": "Công ty ABC"},
        "items": items,
    })
}

// ---- 1. bounded bodies ---------------------------------------------------------------------------

#[tokio::test]
async fn d01_oversize_and_endless_bodies_stop_at_the_default_cap() {
    let mock = mock().await;
    let url = mock.url();
    let c = builder(&url).max_retries(0).build().expect("client");
    c.authenticate().await.expect("token");

    fault(
        &url,
        json!({"route": "get_usage", "kind": "oversize", "body_bytes": 20_000_000}),
    )
    .await;
    let e = tokio::time::timeout(Duration::from_secs(10), c.get_usage())
        .await
        .expect("an oversized body is refused promptly")
        .expect_err("20 MB is over the 8 MiB cap");
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(
        e.message().contains("8 MiB") && e.message().contains("limit"),
        "{e}"
    );

    clear_faults(&url).await;
    fault(&url, json!({"route": "get_usage", "kind": "endless"})).await;
    let e = tokio::time::timeout(Duration::from_secs(10), c.get_usage())
        .await
        .expect("an endless body is cut off promptly")
        .expect_err("an endless body is over any cap");
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(
        e.message().contains("8 MiB") && e.message().contains("limit"),
        "{e}"
    );

    clear_faults(&url).await;
    c.get_usage().await.expect("normal answers still work");
}

#[tokio::test]
async fn d01_max_response_bytes_applies_to_ordinary_answers() {
    let mock = mock().await;
    let url = mock.url();

    // The premise: with the 3 seeded invoices, a page of 10 is over 1 KiB and a page of 1 under.
    let token: Value = http()
        .post(format!("{url}/v1/token"))
        .basic_auth("mock_client_id", Some("mock_client_secret"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["data"]["access_token"]
        .as_str()
        .expect("access token");
    for (per_page, big) in [(10, true), (1, false)] {
        let body = http()
            .get(format!("{url}/v1/invoices?per_page={per_page}"))
            .bearer_auth(token)
            .send()
            .await
            .expect("list")
            .bytes()
            .await
            .expect("list body");
        assert_eq!(
            body.len() > 1024,
            big,
            "page of {per_page}: {} bytes",
            body.len()
        );
    }

    let c = builder(&url)
        .max_retries(0)
        .max_response_bytes(1024)
        .build()
        .expect("client");
    let e = c
        .list_invoices(&ListInvoicesParams {
            per_page: Some(10),
            ..Default::default()
        })
        .await
        .expect_err("a page over 1 KiB is refused");
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(
        e.message().contains("1 KiB") && e.message().contains("limit"),
        "{e}"
    );
    let page = c
        .list_invoices(&ListInvoicesParams {
            per_page: Some(1),
            ..Default::default()
        })
        .await
        .expect("a page under 1 KiB is read");
    assert_eq!(page.items.len(), 1);
}

// ---- 2. a failed wait keeps the handle -------------------------------------------------------------

#[tokio::test]
async fn d02_garbled_status_answers_are_retried_inside_the_wait() {
    let mock = mock().await;
    let url = mock.url();
    // No retries inside a call: each garbled answer reaches the wait loop itself.
    let c = builder(&url).max_retries(0).build().expect("client");
    fault(
        &url,
        json!({"route": "check_create", "kind": "malformed", "times": 2}),
    )
    .await;
    let inv = c
        .create_invoice_and_wait(&request(), fast_wait())
        .await
        .expect("garbled polls do not end the wait");
    assert_eq!(invoices_with(&url, &inv.reference_code).await.len(), 1);
    let rules = control(&url, "faults").await;
    assert_eq!(
        rules[0]["fired"], 2,
        "both garbled answers were seen: {rules}"
    );
}

#[tokio::test]
async fn d02_wait_timeout_carries_the_job() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    let req = CreateInvoice {
        notes: Some("[mock:stuck]".into()),
        ..request()
    };
    let e = c
        .create_invoice_and_wait(&req, fast_wait().timeout(Duration::from_millis(300)))
        .await
        .expect_err("a stuck job times out");
    assert_eq!(e.kind(), ErrorKind::WaitTimeout, "{e}");
    let job = e.job().expect("the error carries the job");
    assert!(job.tracking_code.is_some());
    assert_eq!(e.reference_code(), Some(job.reference_code.as_str()));
    assert_eq!(req.sent_reference.get().as_deref(), e.reference_code());
}

#[tokio::test]
async fn d02_permanent_poll_error_carries_the_job() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    fault(
        &url,
        json!({"route": "check_create", "kind": "status", "status": 403}),
    )
    .await;
    let req = request();
    let e = c
        .create_invoice_and_wait(&req, fast_wait())
        .await
        .expect_err("every poll answers 403");
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
    let job = e.job().expect("the error carries the job");
    assert_eq!(e.reference_code(), Some(job.reference_code.as_str()));
    assert_eq!(req.sent_reference.get().as_deref(), e.reference_code());
}

#[tokio::test]
async fn d02_unusable_tracking_code_is_followed_by_reference_code() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    fault(
        &url,
        json!({
            "route": "create_invoice",
            "kind": "body",
            "act": true,
            "body": r#"{"success":true,"data":{"tracking_code":"../x","tracking_url":null,"message":"ok"}}"#,
        }),
    )
    .await;
    let req = request();
    let job = c
        .create_invoice(&req)
        .await
        .expect("the create was accepted");
    assert_eq!(job.tracking_code, None);
    assert_eq!(Some(job.reference_code.clone()), req.sent_reference.get());
    let inv = c
        .wait_for_status(&job, fast_wait())
        .await
        .expect("followed by reference code");
    assert_eq!(inv.reference_code, job.reference_code);

    let other = request();
    let inv = c
        .create_invoice_and_wait(&other, fast_wait())
        .await
        .expect("create_invoice_and_wait is not a Validation error");
    assert_eq!(Some(inv.reference_code.clone()), other.sent_reference.get());
    assert_eq!(invoices_with(&url, &inv.reference_code).await.len(), 1);
}

// ---- 3. ambiguous create ---------------------------------------------------------------------------

#[tokio::test]
async fn d03_ambiguous_create_is_reconciled_by_the_same_object_or_its_code() {
    let mock = mock().await;
    let url = mock.url();
    let c = builder(&url).max_retries(1).build().expect("client");
    c.authenticate().await.expect("token");
    fault(&url, json!({"route": "create_invoice", "kind": "drop"})).await;

    let req = request();
    let e = c
        .create_invoice(&req)
        .await
        .expect_err("every attempt is dropped");
    let code = e
        .reference_code()
        .expect("the error names the reference code")
        .to_string();
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(e.attempts(), 2, "{e:?}");
    for text in [e.message().to_string(), e.to_string()] {
        assert!(text.contains(&code), "{text}");
        assert!(text.contains("same request object"), "{text}");
    }
    assert_eq!(req.sent_reference.get().as_deref(), Some(code.as_str()));

    clear_faults(&url).await;
    let job = c.create_invoice(&req).await.expect("reconciled");
    assert_eq!(job.tracking_code, None);
    assert_eq!(job.reference_code, code);
    assert_eq!(invoices_with(&url, &code).await.len(), 1);
    assert_eq!(api_invoice_count(&url).await, 1);
    assert_eq!(req.sent_reference.get().as_deref(), Some(code.as_str()));
    c.wait_for_status(&job, fast_wait())
        .await
        .expect("the reconciled job completes");

    // A clone is another sale: a new reference code and a second invoice.
    let copy = req.clone();
    assert_eq!(copy.sent_reference.get(), None);
    let job2 = c.create_invoice(&copy).await.expect("a clone creates");
    assert_ne!(job2.reference_code, code);
    assert!(job2.tracking_code.is_some());
    c.wait_for_status(&job2, fast_wait()).await.expect("second");
    assert_eq!(invoices_with(&url, &job2.reference_code).await.len(), 1);
    assert_eq!(api_invoice_count(&url).await, 2);

    // Passing the code back on a fresh, identical request is reconciled too.
    let again = CreateInvoice {
        reference_code: Some(code.clone()),
        ..request()
    };
    let job3 = c.create_invoice(&again).await.expect("reconciled by code");
    assert_eq!(job3.tracking_code, None);
    assert_eq!(job3.reference_code, code);
    assert_eq!(invoices_with(&url, &code).await.len(), 1);
    assert_eq!(api_invoice_count(&url).await, 2);
}

// ---- 4. reconciliation never returns somebody else's invoice ----------------------------------------

#[tokio::test]
async fn d04_reconciliation_never_adopts_a_different_invoice() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    let a = CreateInvoice {
        reference_code: Some("ORDER-1".into()),
        ..request()
    };
    let inv = c
        .create_invoice_and_wait(&a, fast_wait())
        .await
        .expect("A is created");
    assert_eq!(inv.reference_code, "ORDER-1");

    fault(
        &url,
        json!({"route": "create_invoice", "kind": "status", "status": 503, "times": 1}),
    )
    .await;
    let mut b = CreateInvoice {
        reference_code: Some("ORDER-1".into()),
        ..request()
    };
    b.items[0].unit_price = Some(90_000.into());
    let e = c
        .create_invoice(&b)
        .await
        .expect_err("B differs from A: a conflict, not A's job");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    let field = e.field().expect("the differing field is named");
    assert!(
        field == "items[0].unit_price" || field == "total_amount",
        "field {field:?}: {e}"
    );
    assert_eq!(e.reference_code(), Some("ORDER-1"));
    assert_eq!(e.attempts(), 2, "the 409 followed an ambiguous 503: {e:?}");
    assert_eq!(invoices_with(&url, "ORDER-1").await.len(), 1);
    assert_eq!(api_invoice_count(&url).await, 1);

    // The same reference with identical content is A itself: reconciled.
    let same = CreateInvoice {
        reference_code: Some("ORDER-1".into()),
        ..request()
    };
    let job = c
        .create_invoice(&same)
        .await
        .expect("identical: reconciled");
    assert_eq!(job.tracking_code, None);
    assert_eq!(job.reference_code, "ORDER-1");
    assert_eq!(api_invoice_count(&url).await, 1);
}

// ---- 6. silent input changes -----------------------------------------------------------------------

#[tokio::test]
async fn d06_misspelt_blank_or_impossible_input_is_refused() {
    let cases = [
        (
            json!([{"item_name": "A", "quantity": 1, "unit_price": 100, "tax_rates": 10}]),
            "items[0].tax_rates",
            Some("`tax_rate`"),
        ),
        (
            json!([{"item_name": "A", "quantity": 1, "unitprice": 100}]),
            "items[0].unitprice",
            Some("`unit_price`"),
        ),
        (
            json!([{"item_name": "A", "quantity": 1, "unit_price": "  "}]),
            "items[0].unit_price",
            None,
        ),
    ];
    for (items, field, hint) in cases {
        let e = CreateInvoice::from_json(request_json(items.clone()))
            .expect_err(&format!("{items} is refused"));
        assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
        if let Some(h) = hint {
            assert!(e.message().contains(h), "{e}");
        }
    }

    // Rules checked when the request is sent: nothing reaches the mock.
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    let before = stats(&url).await["requests_total"].clone();
    let cases = [
        (
            json!([{"line_type": 3, "item_name": "CK", "amount": -5}]),
            "items[0].amount",
        ),
        (
            json!([{"item_name": "A", "quantity": 1, "unit_price": 100, "discount_amount": 101}]),
            "items[0].discount_amount",
        ),
    ];
    for (items, field) in cases {
        let req = CreateInvoice::from_json(request_json(items.clone())).expect("well-formed");
        let e = c
            .create_invoice(&req)
            .await
            .expect_err(&format!("{items} is refused"));
        assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
        assert_eq!(e.field(), Some(field), "{e}");
        assert_eq!(e.attempts(), 0);
    }
    assert_eq!(stats(&url).await["requests_total"], before);
}

// ---- 7. token refresh bounded by the caller's deadline ---------------------------------------------

#[tokio::test]
async fn d07_a_slow_token_fetch_ends_at_the_call_deadline() {
    let mock = mock().await;
    let url = mock.url();
    fault(
        &url,
        json!({"route": "token", "kind": "latency", "latency_ms": 5000}),
    )
    .await;
    let c = builder(&url)
        .call_timeout(Duration::from_secs(1))
        .build()
        .expect("client");
    let started = Instant::now();
    let e = c.get_usage().await.expect_err("no token within 1 s");
    let elapsed = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(elapsed < Duration::from_millis(3000), "took {elapsed:?}");
    // Not awaiting `shutdown`: the mock would drain the 5 s sleep first.
    drop(mock);
}

#[tokio::test]
async fn d07_waiting_for_another_callers_token_fetch_keeps_the_own_deadline() {
    let mock = mock().await;
    let url = mock.url();
    fault(
        &url,
        json!({"route": "token", "kind": "latency", "latency_ms": 5000}),
    )
    .await;
    let c = builder(&url)
        .call_timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    // A call with a long deadline starts the (slow) token fetch...
    let slow = tokio::spawn({
        let c = c.clone();
        async move { c.get_usage().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // ...and a wait with a short deadline needs a token too: it gives up at its own deadline.
    let job = Job {
        kind: JobKind::Create,
        tracking_code: Some("tc".into()),
        tracking_url: None,
        reference_code: "r".into(),
        message: None,
    };
    let started = Instant::now();
    let e = c
        .wait_for_status(&job, fast_wait().timeout(Duration::from_millis(500)))
        .await
        .expect_err("no token within the wait");
    let elapsed = started.elapsed();
    assert_eq!(e.kind(), ErrorKind::WaitTimeout, "{e}");
    assert!(elapsed < Duration::from_millis(3000), "took {elapsed:?}");
    slow.abort();
    drop(mock);
}

// ---- 8. `.`/`..` codes -------------------------------------------------------------------------

#[tokio::test]
async fn d08_path_changing_codes_never_reach_the_wire() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    let before = stats(&url).await["requests_total"].clone();
    let errors = [
        c.get_invoice("..").await.map(|_| ()),
        c.get_invoice(".").await.map(|_| ()),
        c.delete_draft("..").await,
        c.issue_invoice("a/b").await.map(|_| ()),
        c.download_invoice("%2e%2e", FileType::Pdf)
            .await
            .map(|_| ()),
    ];
    for (i, r) in errors.into_iter().enumerate() {
        let e = r.expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::Validation, "case {i}: {e}");
        assert_eq!(e.attempts(), 0, "case {i}");
    }
    assert_eq!(stats(&url).await["requests_total"], before);
}

// ---- 9. redirects ------------------------------------------------------------------------------

#[tokio::test]
async fn d09_redirects_are_reported_not_followed() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    c.authenticate().await.expect("token");
    let before = stats(&url).await;
    fault(
        &url,
        json!({"route": "create_invoice", "kind": "redirect", "status": 307,
               "location": "http://127.0.0.1:9/steal"}),
    )
    .await;
    let e = c
        .create_invoice(&request())
        .await
        .expect_err("a redirect is an error");
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert_eq!(e.status(), Some(307), "{e}");
    assert_eq!(e.attempts(), 1, "{e:?}");
    let after = stats(&url).await;
    assert_eq!(after["requests"]["create_invoice"]["307"], 1, "{after}");
    assert_eq!(after["invoices"], before["invoices"], "{after}");
    assert_eq!(after["jobs"], before["jobs"], "{after}");
    assert_eq!(api_invoice_count(&url).await, 0);
}

// ---- 10. exact money on the wire -----------------------------------------------------------------

/// Reads one HTTP/1.1 request (head and `Content-Length` body); `None` at end of stream.
async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[body_start..body_start + len]).to_string();
    Some((head, body))
}

/// A minimal API: a token for anyone, and a create that records its raw body.
async fn capturing_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let captured = Arc::new(Mutex::new(Vec::new()));
    let cap = captured.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let cap = cap.clone();
            tokio::spawn(async move {
                while let Some((head, body)) = read_request(&mut sock).await {
                    let (status, answer) = if head.starts_with("POST /v1/token ") {
                        (
                            "200 OK",
                            r#"{"success":true,"data":{"access_token":"raw_token","token_type":"Bearer","expires_in":3600}}"#,
                        )
                    } else if head.starts_with("POST /v1/invoices/create ") {
                        cap.lock().expect("lock").push(body);
                        (
                            "200 OK",
                            r#"{"success":true,"data":{"tracking_code":"t","tracking_url":null,"message":"ok"}}"#,
                        )
                    } else {
                        (
                            "404 Not Found",
                            r#"{"success":false,"error":{"code":"NOT_FOUND","message":"no"}}"#,
                        )
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (format!("http://{addr}"), captured)
}

#[tokio::test]
async fn d10_amounts_go_on_the_wire_with_every_digit() {
    let (url, captured) = capturing_server().await;
    // This server knows only the create route: no provider account to check against.
    let c = builder(&url)
        .timeout(Duration::from_secs(5))
        .account_checks(false)
        .build()
        .expect("client");
    let price: Decimal = "999999999999999.99".parse().expect("decimal");
    let req = CreateInvoice {
        items: vec![LineItem::new("A", 1.into(), price)],
        total_amount: None,
        ..request()
    };
    let job = c.create_invoice(&req).await.expect("accepted");
    assert_eq!(job.tracking_code.as_deref(), Some("t"));
    let bodies = captured.lock().expect("lock").clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(
        bodies[0].contains("\"unit_price\":999999999999999.99"),
        "{}",
        bodies[0]
    );
    let sent: Value = serde_json::from_str(&bodies[0]).expect("JSON body");
    assert!(sent.get("total_amount").is_none(), "{sent}");
}

// ---- 11. no PII or passwords in errors and Debug --------------------------------------------------

#[tokio::test]
async fn d11_type_errors_and_debug_output_hide_values() {
    let mut v = request_json(json!([{"item_name": "A", "quantity": 1, "unit_price": 100}]));
    v["buyer"] = json!({"name": "B", "phone": 909123456});
    let e = CreateInvoice::from_json(v).expect_err("a number is not a phone string");
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.field(), Some("buyer.phone"));
    assert!(!e.message().contains("909123456"), "{e}");
    assert!(!e.to_string().contains("909123456"), "{e}");
    assert!(!format!("{e:?}").contains("909123456"), "{e:?}");

    let mock = mock().await;
    let c = Client::builder()
        .ignore_env()
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .base_url(format!("http://user:hunter2@{}", mock.addr()))
        .build()
        .expect("client");
    let debug = format!("{c:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!c.base_url().contains("hunter2"), "{}", c.base_url());
    assert!(c.base_url().contains(&mock.addr().port().to_string()));
}

// ---- 12. bad input escaping the taxonomy -----------------------------------------------------------

#[tokio::test]
async fn d12_bad_input_and_refusals_get_the_right_kind() {
    let mock = mock().await;
    let url = mock.url();
    let c = client(&url);
    for date in [
        "0000-01-01 00:00:00",
        "2026-01-26 23:59:60",
        "+002026-01-26T00:00:00Z",
    ] {
        let req = CreateInvoice {
            issued_date: date.into(),
            ..request()
        };
        let e = c.create_invoice(&req).await.expect_err(date);
        assert_eq!(e.kind(), ErrorKind::Validation, "{date}: {e}");
        assert_eq!(e.field(), Some("issued_date"), "{date}: {e}");
    }
    let mut req = request();
    req.buyer.tax_code = Some("0101234567001".into());
    let e = c
        .create_invoice(&req)
        .await
        .expect_err("13 digits, no dash");
    assert_eq!(e.kind(), ErrorKind::Validation, "{e}");
    assert_eq!(e.field(), Some("buyer.tax_code"), "{e}");
    assert_eq!(api_invoice_count(&url).await, 0);

    fault(
        &url,
        json!({"route": "get_usage", "kind": "body", "act": false,
               "body": r#"{"success":false,"error":{"code":"QUOTA_EXCEEDED","message":"x"}}"#}),
    )
    .await;
    let e = c.get_usage().await.expect_err("refused in a 200");
    assert_eq!(e.kind(), ErrorKind::QuotaExceeded, "{e}");
    assert_eq!(e.attempts(), 1, "{e:?}");
}

// ---- 13. slow answer after the server acted ----------------------------------------------------

#[tokio::test]
async fn d13_a_late_answer_after_acting_is_reconciled_once() {
    let mock = mock().await;
    let url = mock.url();
    let c = builder(&url)
        .timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    c.authenticate().await.expect("token");
    fault(
        &url,
        json!({"route": "create_invoice", "kind": "latency", "when": "after",
               "latency_ms": 1500, "times": 1}),
    )
    .await;
    let req = request();
    let job = c
        .create_invoice(&req)
        .await
        .expect("the retry's 409 is reconciled");
    // The first attempt acted before its late answer: the retry found its invoice.
    assert_eq!(job.tracking_code, None, "{job:?}");
    assert_eq!(Some(job.reference_code.clone()), req.sent_reference.get());
    let s = stats(&url).await;
    assert_eq!(s["requests"]["create_invoice"]["409"], 1, "{s}");
    assert_eq!(s["rejected_duplicates"], 1, "{s}");
    let inv = c
        .wait_for_status(&job, fast_wait())
        .await
        .expect("the invoice is there");
    assert_eq!(inv.reference_code, job.reference_code);
    assert_eq!(invoices_with(&url, &inv.reference_code).await.len(), 1);
    assert_eq!(api_invoice_count(&url).await, 1);

    // The same through create_invoice_and_wait.
    fault(
        &url,
        json!({"route": "create_invoice", "kind": "latency", "when": "after",
               "latency_ms": 1500, "times": 1}),
    )
    .await;
    let other = request();
    let inv = c
        .create_invoice_and_wait(&other, fast_wait())
        .await
        .expect("the retry's 409 is reconciled");
    assert_eq!(Some(inv.reference_code.clone()), other.sent_reference.get());
    assert_eq!(invoices_with(&url, &inv.reference_code).await.len(), 1);
    assert_eq!(api_invoice_count(&url).await, 2);
    drop(mock);
}
