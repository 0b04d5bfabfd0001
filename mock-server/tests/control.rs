//! The `/_mock/` control API: faults, stats, config, reset; plus keep-alive.

mod common;

use std::time::{Duration, Instant};

use common::{instant_config, invoice, raw, read_response, request_bytes, Api};
use sepay_einvoice_mock::MockConfig;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

async fn add_fault(api: &Api, rule: Value) -> u64 {
    let r = api.control("POST", "/_mock/faults", Some(&rule)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["id"].as_u64().expect("id")
}

#[tokio::test]
async fn status_fault_with_retry_after_does_nothing() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"status","status":503,"code":"SERVICE_UNAVAILABLE",
               "retry_after":2,"times":1}),
    )
    .await;
    let r = api.post("/v1/invoices/create", &invoice("f-1", true)).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (503, "SERVICE_UNAVAILABLE")
    );
    assert_eq!(r.header("retry-after"), Some("2"));
    assert!(r.header("x-request-id").is_some());
    assert_eq!(api.stats().await["jobs"], 0, "the action was not done");
    // `times` spent: the retry goes through with the same reference.
    let tc = api.create(&invoice("f-1", true)).await;
    assert_eq!(api.wait("create", &tc).await["status"], "Success");

    // 429 with the default code for the status.
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"status","status":429,"retry_after":1,"times":1}),
    )
    .await;
    let r = api.get("/v1/usage").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (429, "TOO_MANY_REQUESTS")
    );
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(api.get("/v1/usage").await.status, 200);

    let s = api.stats().await;
    assert_eq!(s["requests"]["create_invoice"]["503"], 1);
    assert_eq!(s["requests"]["get_usage"]["429"], 1);
}

#[tokio::test]
async fn latency_fault_delays_then_other_rules_apply() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"latency","latency_ms":300,"times":2}),
    )
    .await;
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"status","status":500,"times":1}),
    )
    .await;
    let t = Instant::now();
    let r = api.get("/v1/usage").await;
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (500, "INTERNAL_SERVER_ERROR")
    );
    let t = Instant::now();
    assert_eq!(api.get("/v1/usage").await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    let t = Instant::now();
    assert_eq!(api.get("/v1/usage").await.status, 200);
    assert!(t.elapsed() < Duration::from_millis(300));
    // Other routes were never affected.
    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed[0]["fired"], 2);
    assert_eq!(listed[0]["times"], 0);
    assert_eq!(listed[1]["fired"], 1);
}

#[tokio::test]
async fn drop_fault_acts_then_closes_without_answer() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"drop","times":1}),
    )
    .await;
    let body = serde_json::to_vec(&invoice("dropped", true)).unwrap();
    let auth = api.bearer();
    let err = raw(
        api.addr,
        "POST",
        "/v1/invoices/create",
        &[("Authorization", &auth)],
        Some(&body),
    )
    .await
    .expect_err("no response expected");
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
        ),
        "{err:?}"
    );
    // The server acted: the invoice exists, and a blind retry is a duplicate.
    let r = api.get("/v1/invoices/dropped").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = api
        .post("/v1/invoices/create", &invoice("dropped", true))
        .await;
    assert_eq!(r.status, 409);
    let s = api.stats().await;
    assert_eq!(s["requests"]["create_invoice"]["dropped"], 1);
    assert_eq!(s["requests"]["create_invoice"]["409"], 1);
}

#[tokio::test]
async fn malformed_fault_acts_then_answers_broken_json() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"malformed","times":1}),
    )
    .await;
    let r = api
        .post("/v1/invoices/create", &invoice("broken", true))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "{\"success\":tru");
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(api.get("/v1/invoices/broken").await.status, 200);
}

#[tokio::test]
async fn wildcard_probability_listing_and_clearing() {
    let api = Api::start(MockConfig::default()).await;
    let id = add_fault(
        &api,
        json!({"kind":"status","status":502,"probability":0.5}),
    )
    .await;
    let mut codes = Vec::new();
    for _ in 0..40 {
        codes.push(api.get("/v1/usage").await.status);
    }
    let failed = codes.iter().filter(|c| **c == 502).count();
    assert!(failed > 5 && failed < 35, "{failed} of 40 failed");
    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["route"], "*");
    assert_eq!(listed[0]["code"], "BAD_GATEWAY");
    assert_eq!(listed[0]["times"], Value::Null);
    assert_eq!(id, 1);
    let r = api.control("DELETE", "/_mock/faults", None).await;
    assert_eq!(r.status, 200);
    for _ in 0..10 {
        assert_eq!(api.get("/v1/usage").await.status, 200);
    }
    assert_eq!(
        api.control("GET", "/_mock/faults", None).await.json(),
        json!([])
    );
}

#[tokio::test]
async fn fault_probability_is_deterministic_per_seed() {
    async fn pattern(seed: u64) -> Vec<u16> {
        let api = Api::start(MockConfig {
            seed,
            ..MockConfig::default()
        })
        .await;
        add_fault(
            &api,
            json!({"route":"get_usage","kind":"status","status":503,"probability":0.3}),
        )
        .await;
        let mut out = Vec::new();
        for _ in 0..30 {
            out.push(api.get("/v1/usage").await.status);
        }
        out
    }
    let a = pattern(1).await;
    assert_eq!(a, pattern(1).await);
    assert_ne!(a, pattern(2).await);
}

#[tokio::test]
async fn fault_rules_target_routes_and_are_validated() {
    let api = Api::start(MockConfig::default()).await;
    let id = add_fault(
        &api,
        json!({"route":"get_usage","kind":"status","status":503}),
    )
    .await;
    assert_eq!(api.get("/v1/usage").await.status, 503);
    assert_eq!(api.get("/v1/invoices").await.status, 200);
    // The token route can be targeted too.
    add_fault(
        &api,
        json!({"route":"token","kind":"status","status":500,"times":1}),
    )
    .await;
    let auth = common::basic("mock_client_id", "mock_client_secret");
    let r = raw(
        api.addr,
        "POST",
        "/v1/token",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 500);
    let r = api
        .control("DELETE", &format!("/_mock/faults/{id}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(api.get("/v1/usage").await.status, 200);

    for bad in [
        json!({"route":"nope","kind":"status"}),
        json!({"kind":"explode"}),
        json!({"route":"*"}),
        json!({"kind":"status","status":200}),
        json!({"kind":"status","probability":2.0}),
        json!({"kind":"latency","latency_ms":-5}),
        json!({"kind":"status","status":503,"tims":1}),
        json!("status"),
    ] {
        let r = api.control("POST", "/_mock/faults", Some(&bad)).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "BAD_REQUEST"),
            "{bad}"
        );
    }
    // The control API itself is never faulted.
    add_fault(&api, json!({"kind":"status","status":503})).await;
    assert_eq!(api.control("GET", "/_mock/stats", None).await.status, 200);
}

#[tokio::test]
async fn stats_count_routes_and_statuses() {
    let api = Api::start(instant_config()).await;
    api.get("/v1/usage").await;
    api.get("/v1/invoices/nope").await;
    raw(api.addr, "GET", "/v1/usage", &[], None).await.unwrap();
    raw(api.addr, "GET", "/v1/whatever", &[], None)
        .await
        .unwrap();
    api.control("GET", "/_mock/config", None).await;
    let s = api.stats().await;
    assert_eq!(s["requests"]["token"]["200"], 1);
    assert_eq!(s["requests"]["get_usage"]["200"], 1);
    assert_eq!(s["requests"]["get_usage"]["401"], 1);
    assert_eq!(s["requests"]["get_invoice"]["404"], 1);
    assert_eq!(s["requests"]["unknown"]["404"], 1);
    assert_eq!(s["requests_total"], 5, "control calls are not counted: {s}");
    assert_eq!(s["invoices"], 3);
    assert_eq!(s["jobs"], 0);
    assert_eq!(s["rejected_duplicates"], 0);
    assert_eq!(s["tokens_issued"], 1);
    assert_eq!(s["quota_remaining"], 1000);
}

#[tokio::test]
async fn config_can_be_read_and_changed() {
    let api = Api::start(MockConfig::default()).await;
    let c = api.control("GET", "/_mock/config", None).await.json();
    assert_eq!(c["pending_polls"], 1);
    assert_eq!(c["pending_ms"], 1000);
    assert_eq!(c["token_ttl_secs"], 86400);
    assert_eq!(c["quota"], 1000);
    assert_eq!(c["success_key_everywhere"], false);

    let c = api
        .control(
            "POST",
            "/_mock/config",
            Some(&json!({"pending_polls":0,"quota":5,"token_ttl_secs":60})),
        )
        .await
        .json();
    assert_eq!(
        (c["pending_polls"].clone(), c["quota"].clone()),
        (json!(0), json!(5))
    );
    assert_eq!(api.quota().await, "5");
    let tc = api.create(&invoice("cfg", true)).await;
    let d = api
        .get(&format!("/v1/invoices/create/check/{tc}"))
        .await
        .json();
    assert_eq!(d["data"]["status"], "Success", "no pending poll any more");
    let r = api.control("POST", "/_mock/token", None).await;
    assert_eq!(r.status, 404);
    let auth = common::basic("mock_client_id", "mock_client_secret");
    let r = raw(
        api.addr,
        "POST",
        "/v1/token",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.json()["data"]["expires_in"], 60);

    // An absurd TTL is accepted without overflowing anything.
    api.control(
        "POST",
        "/_mock/config",
        Some(&json!({"token_ttl_secs": u64::MAX})),
    )
    .await;
    let mut api = api;
    api.token = api.new_token().await;
    assert_eq!(api.get("/v1/usage").await.status, 200);

    for bad in [
        json!({"pending_polls":-1}),
        json!({"quota":"many"}),
        json!({"nonsense":1}),
        json!([1]),
    ] {
        let r = api.control("POST", "/_mock/config", Some(&bad)).await;
        assert_eq!(r.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn reset_restores_the_startup_state() {
    let api = Api::start(instant_config()).await;
    api.draft("r-1").await;
    api.issue("r-1").await;
    api.post("/v1/invoices/create", &invoice("r-1", true)).await;
    api.control("POST", "/_mock/config", Some(&json!({"quota": 3})))
        .await;
    add_fault(
        &api,
        json!({"route":"get_invoice","kind":"status","status":503}),
    )
    .await;

    let r = api.control("POST", "/_mock/reset", None).await;
    assert_eq!(r.status, 200);
    let s = api.stats().await;
    assert_eq!(s["invoices"], 3);
    assert_eq!(s["jobs"], 0);
    assert_eq!(s["requests_total"], 0);
    assert_eq!(s["rejected_duplicates"], 0);
    assert_eq!(s["tokens_issued"], 0);
    assert_eq!(s["quota_remaining"], 1000);
    assert_eq!(
        api.control("GET", "/_mock/faults", None).await.json(),
        json!([])
    );
    // Old tokens are gone.
    assert_eq!(api.get("/v1/usage").await.status, 401);
    let mut api = api;
    api.token = api.new_token().await;
    assert_eq!(api.get("/v1/invoices/r-1").await.status, 404);
    // Numbering starts over.
    api.draft("r-1").await;
    assert_eq!(api.issue("r-1").await["invoice"]["invoice_number"], "1");
}

#[tokio::test]
async fn keep_alive_serves_many_requests_per_connection() {
    let api = Api::start(MockConfig::default()).await;
    let mut stream = TcpStream::connect(api.addr).await.unwrap();
    let auth = api.bearer();
    for _ in 0..5 {
        let req = request_bytes(
            api.addr,
            "GET",
            "/v1/usage",
            &[("Authorization", &auth)],
            None,
            false,
        );
        stream.write_all(&req).await.unwrap();
        let r = read_response(&mut stream).await.unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["data"]["quota_remaining"], "1000");
    }
}

#[tokio::test]
async fn shutdown_is_graceful_and_frees_the_port() {
    let api = Api::start(MockConfig::default()).await;
    let addr = api.addr;
    // An idle keep-alive connection must not hold the shutdown up.
    let _idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), api.server.shutdown())
        .await
        .expect("shutdown finishes");
    assert!(raw(addr, "GET", "/v1/usage", &[], None).await.is_err());
}
