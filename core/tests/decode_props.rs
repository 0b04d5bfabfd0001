//! Property tests of response decoding, through the public client: a tiny in-test server answers
//! every request with a generated body (arbitrary bytes, arbitrary JSON, known fields with wrong
//! types, huge numbers, deep nesting, truncated answers), and each public read method must
//! return a value or an error of a known kind, within its deadline, without panicking anywhere
//! (including the token fetch, which runs on its own task where a panic would only show as an
//! error).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sepay_einvoice::{Client, Error, ErrorKind, FileType, Job, JobKind, ListInvoicesParams};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Cases per property: enough to cover each operation many times, small enough that the file
/// runs in a few seconds in debug mode.
const CASES: u32 = 96;

const TOKEN_OK: &str = r#"{"success":true,"data":{"access_token":"tok-prop-1","token_type":"Bearer","expires_in":3600}}"#;

/// Every kind the SDK documents (`ErrorKind` is non-exhaustive, so a new one must be added here
/// on purpose).
const KNOWN: [ErrorKind; 15] = [
    ErrorKind::Validation,
    ErrorKind::BadRequest,
    ErrorKind::Authentication,
    ErrorKind::PermissionDenied,
    ErrorKind::QuotaExceeded,
    ErrorKind::NotFound,
    ErrorKind::Conflict,
    ErrorKind::Unprocessable,
    ErrorKind::RateLimited,
    ErrorKind::Server,
    ErrorKind::Timeout,
    ErrorKind::Connection,
    ErrorKind::Decode,
    ErrorKind::InvoiceFailed,
    ErrorKind::WaitTimeout,
];

// ---------------------------------------------------------------------------------------------
// Panics anywhere in the process are counted: the token fetch runs on a spawned task, whose
// panic the client reports as a Connection error, so the result alone would hide it.

static PANICS: AtomicUsize = AtomicUsize::new(0);

/// Properties run one at a time, each starting from a zero panic count, so a failing property
/// (which panics to fail its test) cannot make the others fail too.
static SERIAL: Mutex<()> = Mutex::new(());

fn count_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            default(info);
        }));
    });
}

// ---------------------------------------------------------------------------------------------
// The server: every request gets the stored status and body, except the token endpoint, which
// gets a valid token unless the case is about the token answer itself.

#[derive(Clone)]
struct Answer {
    status: u16,
    body: Vec<u8>,
    /// Serve `body` on `/v1/token` too (for `authenticate`).
    on_token: bool,
}

struct Server {
    url: String,
    answer: Arc<Mutex<Answer>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Server {
    async fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(Answer {
            status: 200,
            body: Vec::new(),
            on_token: false,
        }));
        let shared = answer.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Server {
            url,
            answer,
            accept,
        }
    }

    fn set(&self, status: u16, body: Vec<u8>, on_token: bool) {
        *self.answer.lock().unwrap() = Answer {
            status,
            body,
            on_token,
        };
    }
}

/// Reads one request head and body; returns its path, or `None` when the client closed.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split(' ').nth(1)?.split('?').next()?.to_string();
    let length: usize = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.drain(..head_end + length);
    Some(path)
}

async fn serve(mut stream: TcpStream, answer: Arc<Mutex<Answer>>) {
    let mut buf = Vec::new();
    while let Some(path) = read_request(&mut stream, &mut buf).await {
        let a = answer.lock().unwrap().clone();
        let (status, body) = if path == "/v1/token" && !a.on_token {
            (200, TOKEN_OK.as_bytes().to_vec())
        } else {
            (a.status, a.body)
        };
        let mut out = format!(
            "HTTP/1.1 {status} Whatever\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(&body);
        if stream.write_all(&out).await.is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The operations under test, and a valid `data` for each (the seed of the mutating strategies).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    GetInvoice,
    ListInvoices,
    GetUsage,
    Download,
    CheckStatus,
    Authenticate,
}

const OPS: [Op; 6] = [
    Op::GetInvoice,
    Op::ListInvoices,
    Op::GetUsage,
    Op::Download,
    Op::CheckStatus,
    Op::Authenticate,
];

fn op() -> impl Strategy<Value = Op> {
    proptest::sample::select(OPS.to_vec())
}

fn invoice() -> Value {
    json!({
        "reference_code": "r1",
        "invoice_number": "0000001",
        "issued_date": "2026-01-26 08:00:00",
        "pdf_url": "https://example.invalid/r1.pdf",
        "xml_url": null,
        "status": "issued",
        "buyer": {"type": "company", "name": "Công ty ABC", "tax_code": "0101234567", "email": "a@b.vn"},
        "total_before_tax": "200000.00",
        "tax_amount": "20000",
        "total_amount": 220000,
        "notes": "n",
        "source": "api",
        "invoice_series": "C26TSE",
        "template_code": "1",
        "currency": "VND",
        "document_type": 2,
        "tax_authority_code": "M1-26-ABC",
        "provider_status": "1",
        "payment_method": "TM/CK",
        "items": [{
            "line_number": 1, "line_type": 1, "item_code": "A1", "item_name": "Sản phẩm A",
            "unit": "cái", "quantity": "2.00", "unit_price": "100000", "total_amount": "200000",
            "tax_rate": "10", "tax_amount": "20000", "discount_amount": "0", "discount_tax": 0
        }]
    })
}

/// A valid `data` for `op`.
fn template(op: Op) -> Value {
    match op {
        Op::GetInvoice => invoice(),
        Op::ListInvoices => json!({
            "items": [invoice(), {"reference_code": "r2", "status": "draft"}],
            "paging": {"per_page": 10, "total": 2, "has_more": false, "current_page": 1, "page_count": 1}
        }),
        Op::GetUsage => json!({"quota_remaining": "1000"}),
        Op::Download => {
            json!({"file_type": "pdf", "file_name": "r1.pdf", "content": "JVBERi0xLjQK"})
        }
        Op::CheckStatus => json!({
            "status": "Success", "message": "ok", "reference_code": "r1", "invoice": invoice()
        }),
        Op::Authenticate => {
            json!({"access_token": "tok-prop-2", "token_type": "Bearer", "expires_in": 3600})
        }
    }
}

fn wrapped(data: &Value) -> Value {
    json!({"success": true, "data": data})
}

/// Runs `op` once; `Ok` carries the value's Debug text (formatting odd values must not panic).
async fn run(op: Op, api: &Client, url: &str) -> Result<String, Error> {
    match op {
        Op::GetInvoice => api.get_invoice("r1").await.map(|v| format!("{v:?}")),
        Op::ListInvoices => api
            .list_invoices(&ListInvoicesParams::default())
            .await
            .map(|v| format!("{v:?}")),
        Op::GetUsage => api.get_usage().await.map(|v| format!("{v:?}")),
        Op::Download => api
            .download_invoice("r1", FileType::Pdf)
            .await
            .map(|v| format!("{v:?}")),
        Op::CheckStatus => {
            let job = Job {
                kind: JobKind::Create,
                tracking_code: Some("t1".into()),
                tracking_url: None,
                reference_code: "r1".into(),
                message: None,
            };
            api.check_status(&job).await.map(|v| format!("{v:?}"))
        }
        // A fresh client per case: a generated body that happens to be a valid token would be
        // cached by a shared client, and the later cases would never reach the server.
        Op::Authenticate => client(url).authenticate().await.map(|v| format!("{v:?}")),
    }
}

fn client(url: &str) -> Client {
    Client::builder()
        .client_id("id")
        .client_secret("prop-client-secret")
        .base_url(url)
        .ignore_env()
        .timeout(Duration::from_secs(2))
        .call_timeout(Duration::from_secs(3))
        .max_retries(0)
        .build()
        .expect("client builds")
}

// ---------------------------------------------------------------------------------------------
// The property, and a harness that runs it with one runtime, server and client per property.

/// Checks one outcome. `status` is what the server answered.
fn judge(
    op: Op,
    status: u16,
    body: &[u8],
    result: &Result<String, Error>,
    took: Duration,
) -> Result<(), TestCaseError> {
    // 3 s call deadline, plus slack for a loaded machine.
    prop_assert!(took <= Duration::from_millis(4500), "{op:?} took {took:?}");
    prop_assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a panic happened");
    let e = match result {
        Ok(_) => {
            prop_assert!(status == 200, "{op:?}: a {status} became a value");
            return Ok(());
        }
        Err(e) => e,
    };
    // Display and Debug of any error must work.
    let _ = (e.to_string(), format!("{e:?}"));
    prop_assert!(KNOWN.contains(&e.kind()), "unknown kind {:?}", e.kind());
    if let Some(x) = e.body_excerpt() {
        // Cut at 200 characters (plus `…`), then scrubbed: each `[redacted]` may be longer than
        // the value it replaced, so allow some growth, but never a whole body.
        let n = x.chars().count();
        prop_assert!(n <= 400, "excerpt of {} characters: {}", n, x);
    }
    // A real stall past the attempt timeout is not a decoding outcome; allow it only when it
    // really happened, so a misclassified answer still fails.
    if e.kind() == ErrorKind::Timeout && took >= Duration::from_millis(1900) {
        return Ok(());
    }
    if status == 200 {
        // A 200 is either a value, a refusal (`success: false`, judged by its code), or
        // unreadable (Decode). Anything that is not JSON is unreadable.
        let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok();
        if !is_json {
            prop_assert_eq!(e.kind(), ErrorKind::Decode, "{:?}", e);
        } else {
            prop_assert!(
                e.kind() == ErrorKind::Decode || e.kind().is_api(),
                "{op:?}: {e:?}"
            );
        }
        // An unreadable 200 keeps its status; only the token refusal (a readable answer whose
        // token cannot be used) has none.
        if e.kind() == ErrorKind::Decode && !e.message().contains("access_token") {
            prop_assert_eq!(e.status(), Some(200), "{:?}", e);
        }
    } else {
        // An error status keeps its meaning whatever the body says.
        prop_assert!(
            e.kind().is_api() || e.kind() == ErrorKind::Timeout,
            "{op:?} {status}: {e:?}"
        );
        prop_assert_eq!(e.status(), Some(status));
    }
    Ok(())
}

/// A generated body, shown as text when a failing case is printed.
#[derive(Clone)]
struct Body(Vec<u8>);

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// Runs `CASES` cases of `strategy`; each case is (operation, HTTP status, body).
fn check<S>(strategy: S)
where
    S: Strategy<Value = (Op, u16, Vec<u8>)>,
{
    count_panics();
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    PANICS.store(0, Ordering::SeqCst);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start());
    let api = client(&server.url);
    let config = Config {
        cases: CASES,
        // No regression files written into the source tree; a failure prints its input.
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let strategy = strategy.prop_map(|(op, status, body)| (op, status, Body(body)));
    let outcome = runner.run(&strategy, |(op, status, Body(body))| {
        server.set(status, body.clone(), op == Op::Authenticate);
        let started = Instant::now();
        let result = rt.block_on(run(op, &api, &server.url));
        judge(op, status, &body, &result, started.elapsed())
    });
    drop(server);
    rt.shutdown_timeout(Duration::from_secs(1));
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Strategies.

/// Keys the models know, so generated objects often hit real fields.
const KEYS: [&str; 24] = [
    "success",
    "data",
    "error",
    "code",
    "message",
    "reference_code",
    "status",
    "items",
    "paging",
    "total_amount",
    "tax_amount",
    "quantity",
    "quota_remaining",
    "content",
    "file_type",
    "file_name",
    "access_token",
    "expires_in",
    "token_type",
    "invoice",
    "issued_date",
    "buyer",
    "has_more",
    "line_type",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(KEYS.to_vec()).prop_map(String::from),
        1 => any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<String>().prop_map(Value::String),
        // Strings the models parse: decimals, dates, enum values, base64.
        proptest::sample::select(vec![
            "1000",
            "2.00",
            "-1",
            "1e5",
            "",
            " ",
            "issued",
            "draft",
            "Success",
            "Failed",
            "Pending",
            "pdf",
            "xml",
            "2026-01-26",
            "2026-02-30",
            "JVBERi0=",
            "!!notbase64",
            "TM/CK",
            "VND",
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((key(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A path into a JSON document: object keys and array indices.
#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Idx(usize),
}

/// Every path in `v` (not the root).
fn paths(v: &Value, prefix: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                prefix.push(Seg::Key(k.clone()));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                prefix.push(Seg::Idx(i));
                out.push(prefix.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Seg]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Idx(i) => &mut v[*i],
    })
}

/// `op`'s valid answer with the field at `pick` replaced by `replacement`.
fn mutated(op: Op, pick: &Index, replacement: Value) -> Value {
    let mut data = template(op);
    let mut all = Vec::new();
    paths(&data, &mut Vec::new(), &mut all);
    let path = pick.get(&all).clone();
    *at(&mut data, &path) = replacement;
    wrapped(&data)
}

/// Marks where raw text (not representable as a `serde_json::Value`) goes into a document.
const RAW: &str = "@@RAW@@";

/// `op`'s valid answer with the field at `pick` replaced by the raw JSON text `raw`.
fn with_raw(op: Op, pick: &Index, raw: &str) -> Vec<u8> {
    let doc = mutated(op, pick, Value::String(RAW.into())).to_string();
    doc.replacen(&format!("\"{RAW}\""), raw, 1).into_bytes()
}

fn bytes_of(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

/// Mostly 200s (decoding), sometimes an error status (the error path reads bodies too).
fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        6 => Just(200u16),
        1 => proptest::sample::select(vec![400u16, 401, 403, 404, 408, 409, 422, 429, 500, 503]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Properties.

#[test]
fn arbitrary_bytes() {
    check((
        op(),
        status(),
        proptest::collection::vec(any::<u8>(), 0..1024),
    ));
}

#[test]
fn arbitrary_json_wrapped_and_bare() {
    let body = (json_value(), any::<bool>()).prop_map(|(v, wrap)| {
        if wrap {
            bytes_of(&wrapped(&v))
        } else {
            bytes_of(&v)
        }
    });
    check((op(), status(), body));
}

#[test]
fn known_fields_with_wrong_types() {
    // Any field of a valid answer (totals, items, paging, content, the token…) replaced by a
    // value of any type: objects for totals, strings for items, and so on.
    let case = (op(), any::<Index>(), json_value())
        .prop_map(|(op, pick, v)| (op, 200u16, bytes_of(&mutated(op, &pick, v))));
    check(case);
}

#[test]
fn huge_and_odd_numbers() {
    let numbers = prop_oneof![
        proptest::sample::select(vec![
            "1e400",
            "-1e400",
            "1e-400",
            "99999999999999999999999999999999",
            "-99999999999999999999999999999999",
            "18446744073709551616",
            "9223372036854775808",
            "-9223372036854775809",
            "-1",
            "-0",
            "0.0000000000000000000000000000001",
            "1.5",
            "79228162514264337593543950336",
            "\"1e400\"",
            "\"99999999999999999999999999999999\"",
            "\"-1\"",
            "\"NaN\"",
            "\"Infinity\"",
            "\"0x10\"",
            "\" 12 \"",
        ])
        .prop_map(String::from),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        "-?[0-9]{1,60}(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?",
    ];
    let case = (op(), any::<Index>(), numbers)
        .prop_map(|(op, pick, raw)| (op, 200u16, with_raw(op, &pick, &raw)));
    check(case);
}

fn nested(depth: usize, shape: u8) -> String {
    match shape {
        0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
        1 => format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
        2 => format!("{}{}", "[{\"a\":".repeat(depth), "}]".repeat(depth)),
        // Never closed.
        _ => "[".repeat(depth),
    }
}

#[test]
fn deep_nesting() {
    let case = (op(), any::<Index>(), 1usize..3000, 0u8..4, 0u8..3).prop_map(
        |(op, pick, depth, shape, place)| {
            let deep = nested(depth, shape);
            let body = match place {
                // As the whole `data`.
                0 => format!(r#"{{"success":true,"data":{deep}}}"#).into_bytes(),
                // Inside a known field.
                1 => with_raw(op, &pick, &deep),
                // Inside a refusal's error.
                _ => format!(r#"{{"success":false,"error":{{"code":{deep},"message":"x"}}}}"#)
                    .into_bytes(),
            };
            (op, 200u16, body)
        },
    );
    check(case);
}

#[test]
fn truncated_valid_answers() {
    let case = (op(), any::<Index>()).prop_map(|(op, cut)| {
        let full = bytes_of(&wrapped(&template(op)));
        let n = cut.index(full.len());
        (op, 200u16, full[..n].to_vec())
    });
    check(case);
}

// ---------------------------------------------------------------------------------------------
// Fixed cases.

#[test]
fn the_templates_decode() {
    // The mutating strategies start from these: each must be a valid answer, or the properties
    // above would only ever test failures.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::start().await;
        let api = client(&server.url);
        for op in OPS {
            server.set(
                200,
                bytes_of(&wrapped(&template(op))),
                op == Op::Authenticate,
            );
            let r = run(op, &api, &server.url).await;
            assert!(r.is_ok(), "{op:?}: {r:?}");
        }
    });
}

#[test]
fn a_thousand_nested_arrays_inside_data_are_refused() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::start().await;
        let api = client(&server.url);
        let body = format!(r#"{{"success":true,"data":{}}}"#, nested(1000, 0));
        for op in OPS {
            server.set(200, body.clone().into_bytes(), op == Op::Authenticate);
            let e = run(op, &api, &server.url).await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Decode, "{op:?}: {e:?}");
        }
    });
}

#[test]
fn a_bad_decimal_is_described_readably() {
    // Both the required and the optional decimal readers: the value-stripping of serde messages
    // once mangled the SDK's own `such as "100000" or "1.5"` into `such as or`.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::start().await;
        let api = client(&server.url);
        server.set(
            200,
            br#"{"success":true,"data":{"quota_remaining":"soon"}}"#.to_vec(),
            false,
        );
        let e = api.get_usage().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(!e.message().contains("such as or"), "{}", e.message());
        assert!(!e.message().contains("soon"), "{}", e.message());
        server.set(
            200,
            br#"{"success":true,"data":{"access_token":"tok-x","expires_in":"soon"}}"#.to_vec(),
            true,
        );
        let e = client(&server.url).authenticate().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode);
        assert!(e.message().contains("data.expires_in"), "{}", e.message());
        assert!(!e.message().contains("such as or"), "{}", e.message());
    });
}
