//! The fault kinds that bend the answer after acting (`oversize`, `endless`, `body`), the
//! ones that answer without acting (`redirect`), `when: "after"` latency and `except`.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{instant_config, invoice, raw, request_bytes, Api};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn add_fault(api: &Api, rule: Value) -> u64 {
    let r = api.control("POST", "/_mock/faults", Some(&rule)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["id"].as_u64().expect("id")
}

/// Posts a rule that must be refused with a 400 naming `field`.
async fn refused(api: &Api, rule: Value, field: &str) {
    let r = api.control("POST", "/_mock/faults", Some(&rule)).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "BAD_REQUEST"),
        "{rule}"
    );
    assert!(
        r.error_message().contains(&format!("({field})")),
        "{rule}: {}",
        r.error_message()
    );
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends one GET and reads only the response head; returns the stream, the lower-cased head
/// and whatever body bytes came with it.
async fn open(addr: SocketAddr, path: &str, auth: &str) -> (TcpStream, String, Vec<u8>) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let req = request_bytes(addr, "GET", path, &[("Authorization", auth)], None, true);
    stream.write_all(&req).await.expect("write");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
            let rest = buf[i + 4..].to_vec();
            return (stream, head, rest);
        }
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("head in time")
            .expect("read");
        assert!(n > 0, "closed before the head");
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until `want` more bytes arrived; panics on EOF or after 10 s.
async fn read_at_least(stream: &mut TcpStream, mut have: usize, want: usize) -> usize {
    let mut chunk = vec![0u8; 65536];
    while have < want {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("data in time")
            .expect("read");
        assert!(n > 0, "body ended after {have} bytes");
        have += n;
    }
    have
}

#[tokio::test]
async fn latency_after_acts_even_when_the_client_gives_up() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"latency","when":"after","latency_ms":1500,"times":1}),
    )
    .await;
    let body = serde_json::to_vec(&invoice("late-after", true)).unwrap();
    let auth = api.bearer();
    let gave_up = tokio::time::timeout(
        Duration::from_millis(300),
        raw(
            api.addr,
            "POST",
            "/v1/invoices/create",
            &[("Authorization", &auth)],
            Some(&body),
        ),
    )
    .await;
    assert!(gave_up.is_err(), "the answer came before the latency");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s = api.stats().await;
    assert_eq!(s["jobs"], 1, "{s}");
    assert_eq!(s["invoices"], 4, "{s}");
    assert_eq!(s["requests"]["create_invoice"]["200"], 1, "{s}");
    assert_eq!(api.get("/v1/invoices/late-after").await.status, 200);

    // The default, `before`, sleeps first: a client that gives up cancels the action.
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"latency","latency_ms":1000,"times":1}),
    )
    .await;
    let body = serde_json::to_vec(&invoice("late-before", true)).unwrap();
    let gave_up = tokio::time::timeout(
        Duration::from_millis(300),
        raw(
            api.addr,
            "POST",
            "/v1/invoices/create",
            &[("Authorization", &auth)],
            Some(&body),
        ),
    )
    .await;
    assert!(gave_up.is_err());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(api.stats().await["jobs"], 1);
    assert_eq!(api.get("/v1/invoices/late-before").await.status, 404);
}

#[tokio::test]
async fn latency_before_and_after_add_up_separately() {
    let api = Api::start(instant_config()).await;
    for (when, ms) in [("before", 150), ("after", 200), ("after", 100)] {
        add_fault(
            &api,
            json!({"route":"get_usage","kind":"latency","when":when,"latency_ms":ms,"times":1}),
        )
        .await;
    }
    let t = Instant::now();
    let r = api.get("/v1/usage").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["quota_remaining"], "1000");
    assert!(r.header("x-request-id").is_some());
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed[0]["when"], "before");
    assert_eq!(listed[1]["when"], "after");
    // An `after` latency in front of another rule: the other rule still decides the answer.
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"latency","when":"after","latency_ms":200,"times":1}),
    )
    .await;
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"status","status":503,"times":1}),
    )
    .await;
    let t = Instant::now();
    assert_eq!(api.get("/v1/usage").await.status, 503);
    assert!(t.elapsed() >= Duration::from_millis(200));
    refused(&api, json!({"kind":"latency","when":"later"}), "when").await;
    refused(&api, json!({"kind":"latency","when":1}), "when").await;
}

#[tokio::test]
async fn oversize_streams_an_exact_length_envelope() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"oversize","body_bytes":3_000_000,"times":1}),
    )
    .await;
    let r = api.post("/v1/invoices/create", &invoice("big", true)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("content-length"), Some("3000000"));
    assert_eq!(r.body.len(), 3_000_000);
    assert!(r
        .body
        .starts_with(b"{\"success\":true,\"data\":{\"padding\":\"xxxx"));
    assert!(r.body.ends_with(b"xxx\"}}"));
    let v = r.json();
    let padding = v["data"]["padding"].as_str().unwrap();
    assert!(padding.bytes().all(|b| b == b'x'));
    // The action happened.
    assert_eq!(api.get("/v1/invoices/big").await.status, 200);
    assert_eq!(api.stats().await["requests"]["create_invoice"]["200"], 1);

    // Chunked: same bytes, no Content-Length.
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"oversize","body_bytes":100_000,"chunked":true,"times":1}),
    )
    .await;
    let r = api.get("/v1/usage").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), None);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body.len(), 100_000);
    assert!(r.json()["data"]["padding"].is_string());

    // Shorter than the envelope: its first bytes.
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"oversize","body_bytes":10,"times":1}),
    )
    .await;
    assert_eq!(api.get("/v1/usage").await.text(), "{\"success\"");
}

#[tokio::test]
async fn oversize_of_two_gigabytes_is_streamed_not_built() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"oversize","body_bytes":2_000_000_000u64,"times":1}),
    )
    .await;
    let t = Instant::now();
    let (mut stream, head, rest) = open(api.addr, "/v1/usage", &api.bearer()).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-length: 2000000000"), "{head}");
    read_at_least(&mut stream, rest.len(), 4_000_000).await;
    drop(stream);
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    // The server is fine afterwards.
    assert_eq!(api.get("/v1/usage").await.status, 200);
}

#[tokio::test]
async fn endless_streams_until_the_client_hangs_up() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"endless","times":1}),
    )
    .await;
    let body = serde_json::to_vec(&invoice("forever", true)).unwrap();
    let mut stream = TcpStream::connect(api.addr).await.unwrap();
    let auth = api.bearer();
    let req = request_bytes(
        api.addr,
        "POST",
        "/v1/invoices/create",
        &[("Authorization", &auth)],
        Some(&body),
        true,
    );
    stream.write_all(&req).await.unwrap();
    let got = read_at_least(&mut stream, 0, 5_000_000).await;
    assert!(got >= 5_000_000);
    drop(stream);
    assert_eq!(api.get("/v1/invoices/forever").await.status, 200);

    // Headers first, then a slow drip.
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"endless","chunk_bytes":5,"chunk_delay_ms":200,"times":1}),
    )
    .await;
    let (mut stream, head, rest) = open(api.addr, "/v1/usage", &api.bearer()).await;
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    let mut got = rest;
    let deadline = Instant::now() + Duration::from_millis(700);
    let mut chunk = [0u8; 1024];
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk)).await {
        assert!(n > 0, "the drip ended");
        got.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.contains("{\"success\":true,\"data\":{\"padding\":\""),
        "{text}"
    );
    let x = text.matches('x').count();
    assert!((5..=25).contains(&x), "{x} padding bytes in 700 ms: {text}");
    drop(stream);

    // A stopping server ends an endless body instead of waiting for it.
    add_fault(&api, json!({"route":"get_usage","kind":"endless"})).await;
    let (mut stream, _, _) = open(api.addr, "/v1/usage", &api.bearer()).await;
    let reader = tokio::spawn(async move {
        let mut chunk = vec![0u8; 65536];
        while let Ok(n) = stream.read(&mut chunk).await {
            if n == 0 {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    api.server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    tokio::time::timeout(Duration::from_secs(3), reader)
        .await
        .expect("the stream ends")
        .unwrap();
}

#[tokio::test]
async fn redirect_answers_without_acting() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"redirect","status":307,
               "location":"http://elsewhere.invalid/v1/invoices/create","times":1}),
    )
    .await;
    let r = api
        .post("/v1/invoices/create", &invoice("moved", true))
        .await;
    assert_eq!(r.status, 307);
    assert_eq!(
        r.header("location"),
        Some("http://elsewhere.invalid/v1/invoices/create")
    );
    assert_eq!(
        r.json(),
        json!({"redirect": "http://elsewhere.invalid/v1/invoices/create"})
    );
    let s = api.stats().await;
    assert_eq!(s["jobs"], 0, "no action: {s}");
    assert_eq!(s["requests"]["create_invoice"]["307"], 1);

    add_fault(
        &api,
        json!({"route":"get_usage","kind":"redirect","location":"/v1/usage","times":1}),
    )
    .await;
    let r = api.get("/v1/usage").await;
    assert_eq!((r.status, r.header("location")), (302, Some("/v1/usage")));
    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed[1]["kind"], "redirect");
    assert_eq!(listed[1]["status"], 302);
    assert_eq!(listed[1]["location"], "/v1/usage");

    refused(&api, json!({"kind":"redirect"}), "location").await;
    refused(&api, json!({"kind":"redirect","location":""}), "location").await;
    refused(
        &api,
        json!({"kind":"redirect","location":"a\nb"}),
        "location",
    )
    .await;
    refused(&api, json!({"kind":"redirect","location":7}), "location").await;
    refused(
        &api,
        json!({"kind":"redirect","location":"/x","status":300}),
        "status",
    )
    .await;
    refused(
        &api,
        json!({"kind":"redirect","location":"/x","status":503}),
        "status",
    )
    .await;
}

#[tokio::test]
async fn body_rule_echoes_credentials_and_the_original_answer() {
    let api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"token","kind":"body","times":1,
               "body":"{\"success\":true,\"data\":{\"access_token\":\"{authorization}\",\"token_type\":\"Bearer\",\"expires_in\":60}}"}),
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
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["data"]["access_token"], auth.as_str());
    // It acted: a real token was issued behind the garbled answer.
    assert_eq!(api.stats().await["tokens_issued"], 2);

    add_fault(
        &api,
        json!({"route":"get_usage","kind":"body","status":500,"times":1,
               "body":"{\"wrapped\":{original},\"auth\":\"{authorization}\"}"}),
    )
    .await;
    let r = api.get("/v1/usage").await;
    assert_eq!(r.status, 500);
    let v = r.json();
    assert_eq!(v["wrapped"]["data"]["quota_remaining"], "1000");
    assert_eq!(v["auth"], api.bearer().as_str());

    // No Authorization header: empty. `act: false`: no action and no original.
    add_fault(
        &api,
        json!({"route":"create_invoice","kind":"body","act":false,"times":1,
               "body":"[\"{authorization}\",\"{original}\"]"}),
    )
    .await;
    let bytes = serde_json::to_vec(&invoice("not-made", true)).unwrap();
    let r = raw(api.addr, "POST", "/v1/invoices/create", &[], Some(&bytes))
        .await
        .unwrap();
    assert_eq!((r.status, r.json()), (200, json!(["", ""])));
    let s = api.stats().await;
    assert_eq!(s["jobs"], 0, "{s}");
    assert_eq!(s["requests"]["create_invoice"]["200"], 1);

    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed[2]["act"], false);
    assert_eq!(listed[2]["body"], "[\"{authorization}\",\"{original}\"]");
    refused(&api, json!({"kind":"body"}), "body").await;
    refused(&api, json!({"kind":"body","body":{}}), "body").await;
    refused(&api, json!({"kind":"body","body":"x","act":"no"}), "act").await;
    refused(
        &api,
        json!({"kind":"body","body":"x","status":199}),
        "status",
    )
    .await;
    refused(
        &api,
        json!({"kind":"body","body":"x","status":600}),
        "status",
    )
    .await;
}

#[tokio::test]
async fn streamed_kinds_are_validated_and_listed() {
    let api = Api::start(instant_config()).await;
    refused(&api, json!({"kind":"oversize"}), "body_bytes").await;
    refused(
        &api,
        json!({"kind":"oversize","body_bytes":0}),
        "body_bytes",
    )
    .await;
    refused(
        &api,
        json!({"kind":"oversize","body_bytes":2_000_000_001u64}),
        "body_bytes",
    )
    .await;
    refused(
        &api,
        json!({"kind":"oversize","body_bytes":"big"}),
        "body_bytes",
    )
    .await;
    refused(
        &api,
        json!({"kind":"oversize","body_bytes":10,"chunked":"yes"}),
        "chunked",
    )
    .await;
    refused(
        &api,
        json!({"kind":"endless","chunk_bytes":0}),
        "chunk_bytes",
    )
    .await;
    refused(
        &api,
        json!({"kind":"endless","chunk_delay_ms":600_001}),
        "chunk_delay_ms",
    )
    .await;
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"oversize","body_bytes":2_000_000_000u64,"chunked":true}),
    )
    .await;
    add_fault(
        &api,
        json!({"route":"get_usage","kind":"endless","chunk_delay_ms":1000}),
    )
    .await;
    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed[0]["kind"], "oversize");
    assert_eq!(listed[0]["body_bytes"], 2_000_000_000u64);
    assert_eq!(listed[0]["chunked"], true);
    assert_eq!(listed[1]["kind"], "endless");
    assert_eq!(listed[1]["chunk_bytes"], 65536);
    assert_eq!(listed[1]["chunk_delay_ms"], 1000);
    assert_eq!(listed[1]["body_bytes"], Value::Null);
}

#[tokio::test]
async fn wildcard_rules_skip_excepted_routes() {
    let mut api = Api::start(instant_config()).await;
    add_fault(
        &api,
        json!({"route":"*","kind":"status","status":503,"except":["token","get_invoice"]}),
    )
    .await;
    assert_eq!(api.get("/v1/usage").await.status, 503);
    assert_eq!(api.get("/v1/invoices").await.status, 503);
    assert_eq!(api.get("/v1/invoices/nope").await.status, 404);
    api.token = api.new_token().await;
    let listed = api.control("GET", "/_mock/faults", None).await.json();
    assert_eq!(listed[0]["except"], json!(["token", "get_invoice"]));
    assert_eq!(listed[0]["fired"], 2);

    refused(&api, json!({"kind":"drop","except":["nope"]}), "except").await;
    refused(&api, json!({"kind":"drop","except":"token"}), "except").await;
    refused(&api, json!({"kind":"drop","except":[1]}), "except").await;
    refused(&api, json!({"kind":"drop","except":["*"]}), "except").await;
}

#[tokio::test]
async fn soak_style_rules_leave_the_token_route_alone() {
    let mut api = Api::start(instant_config()).await;
    for rule in [
        json!({"route":"*","except":["token"],"kind":"status","status":503,"retry_after":0,"probability":0.1}),
        json!({"route":"*","except":["token"],"kind":"latency","when":"after","latency_ms":20,"probability":0.1}),
        json!({"route":"*","except":["token"],"kind":"drop","probability":0.05}),
        json!({"route":"*","except":["token"],"kind":"malformed","probability":0.05}),
    ] {
        add_fault(&api, rule).await;
    }
    let mut statuses = Vec::new();
    for i in 0..60 {
        api.token = api.new_token().await;
        let body = serde_json::to_vec(&invoice(&format!("soak-{i}"), true)).unwrap();
        let auth = api.bearer();
        let r = raw(
            api.addr,
            "POST",
            "/v1/invoices/create",
            &[("Authorization", &auth)],
            Some(&body),
        )
        .await;
        statuses.push(r.map(|r| r.status).unwrap_or(0));
    }
    assert!(statuses.contains(&200));
    assert!(statuses.iter().any(|s| *s != 200), "{statuses:?}");
    let s = api.stats().await;
    assert_eq!(s["requests"]["token"], json!({"200": 61}), "{s}");
    // Every invoice the server made is listed, whatever the client saw.
    let made = api.control("GET", "/_mock/invoices", None).await.json();
    let api_made = made
        .as_array()
        .unwrap()
        .iter()
        .filter(|inv| inv["source"] == "api")
        .count();
    let acted = statuses.iter().filter(|s| **s != 503).count();
    assert_eq!(api_made, acted, "{statuses:?}");
}
