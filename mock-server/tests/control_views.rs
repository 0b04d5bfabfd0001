//! The read-only views of the control API: every stored invoice, every issued token, and the
//! token request count in the stats.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{basic, instant_config, invoice, raw, Api};
use sepay_einvoice_mock::MockConfig;
use serde_json::{json, Value};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

#[tokio::test]
async fn invoices_lists_every_stored_invoice_oldest_first() {
    let api = Api::start(instant_config()).await;
    api.draft("v-1").await;
    api.draft("v-2").await;
    api.issue("v-2").await;
    let r = api.control("GET", "/_mock/invoices", None).await;
    assert_eq!(r.status, 200);
    assert!(r.header("x-request-id").is_some());
    let all = r.json();
    let all = all.as_array().expect("a plain array");
    assert_eq!(all.len(), 5);
    assert!(all[..3].iter().all(|i| i["source"] == "manual"));
    assert_eq!(all[3]["reference_code"], "v-1");
    assert_eq!(all[3]["status"], "draft");
    assert_eq!(all[3]["invoice_number"], "0");
    assert_eq!(all[4]["reference_code"], "v-2");
    assert_eq!(all[4]["status"], "issued");
    // The same detail view as the API gives.
    let detail = api.get("/v1/invoices/v-2").await.json()["data"].clone();
    assert_eq!(all[4], detail);
    assert_eq!(all[4]["items"][0]["quantity"], "2.00");
    assert_eq!(all[4]["total_amount"], 220000);
    assert_eq!(all[4]["notes"], "Ghi chú hóa đơn");
    assert_eq!(all[4]["buyer"]["name"], "Công ty ABC");
    // Not counted in the stats, and never faulted.
    api.control(
        "POST",
        "/_mock/faults",
        Some(&json!({"kind":"status","status":503})),
    )
    .await;
    assert_eq!(
        api.control("GET", "/_mock/invoices", None).await.status,
        200
    );
    assert_eq!(api.stats().await["requests"].get("unknown"), None);
}

#[tokio::test]
async fn invoices_resolves_due_jobs_first() {
    let api = Api::start(MockConfig {
        pending_polls: 100,
        pending_time: Duration::from_millis(100),
        manual_invoices: 0,
        ..MockConfig::default()
    })
    .await;
    api.create(&invoice("due-1", true)).await;
    api.create(&invoice("due-2", true)).await;
    let mut stuck = invoice("stuck", true);
    stuck["notes"] = json!("[mock:stuck]");
    api.create(&stuck).await;
    let now = api.control("GET", "/_mock/invoices", None).await.json();
    assert_eq!(now, json!([]), "nothing is stored while jobs are pending");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let later = api.control("GET", "/_mock/invoices", None).await.json();
    let refs: Vec<&str> = later
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reference_code"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["due-1", "due-2"], "a stuck job stores nothing");
}

#[tokio::test]
async fn tokens_lists_every_issued_token_in_order() {
    let before = now_ms();
    let api = Api::start(MockConfig::default()).await;
    let second = api.new_token().await;
    let listed = api.control("GET", "/_mock/tokens", None).await.json();
    let tokens = listed["tokens"].as_array().expect("tokens").clone();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens[0]["token"], api.token.as_str());
    assert_eq!(tokens[1]["token"], second.as_str());
    for t in &tokens {
        assert_eq!(t["expired"], false);
        let at = t["issued_at_ms"].as_u64().unwrap();
        assert!(at >= before && at <= now_ms(), "{t}");
    }
    assert!(tokens[0]["issued_at_ms"].as_u64() <= tokens[1]["issued_at_ms"].as_u64());
    assert_eq!(listed["omitted"], 0);

    // Failed token requests issue nothing.
    let wrong = basic("mock_client_id", "wrong");
    let r = raw(
        api.addr,
        "POST",
        "/v1/token",
        &[("Authorization", &wrong)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 401);
    raw(api.addr, "POST", "/v1/token", &[], None).await.unwrap();

    api.control("POST", "/_mock/tokens/expire", None).await;
    let third = api.new_token().await;
    let tokens = api.control("GET", "/_mock/tokens", None).await.json()["tokens"].clone();
    let expired: Vec<Value> = tokens
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["expired"].clone())
        .collect();
    assert_eq!(expired, [json!(true), json!(true), json!(false)]);
    assert_eq!(tokens[2]["token"], third.as_str());

    // Every request to /v1/token is counted under `token`, whatever the outcome.
    let s = api.stats().await;
    assert_eq!(
        s["requests"]["token"],
        json!({"200": 3, "400": 1, "401": 1})
    );
    assert_eq!(s["tokens_issued"], 3);

    api.control("POST", "/_mock/reset", None).await;
    let listed = api.control("GET", "/_mock/tokens", None).await.json();
    assert_eq!(listed, json!({"tokens": [], "omitted": 0}));
}

#[tokio::test]
async fn tokens_expire_by_ttl_in_the_listing() {
    let api = Api::start(MockConfig {
        token_ttl: Duration::from_millis(100),
        ..MockConfig::default()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let tokens = api.control("GET", "/_mock/tokens", None).await.json()["tokens"].clone();
    assert_eq!(tokens[0]["expired"], true);
}
