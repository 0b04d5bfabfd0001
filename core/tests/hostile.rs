//! The client against a hostile or broken server: giant, endless and slow bodies, redirects,
//! answers that echo secrets, unusable tokens, a slow token endpoint and token storms. The
//! server is a hand-written HTTP/1.1 responder (no framework), so it can send what a well-behaved
//! server library never would. A counting global allocator checks that no answer makes the
//! client hold much more than its body cap.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use bytes::Bytes;
use sepay_einvoice::{
    Buyer, Client, ClientBuilder, CreateInvoice, Error, ErrorKind, FileType, LineItem, TaxRate,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// Counting allocator: current and peak live bytes of the whole test binary.

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            // A moving realloc briefly holds both blocks; count that, as the process pays it.
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Starts a memory measurement: returns the live bytes now, and resets the peak to them.
fn mem_start() -> usize {
    let now = CURRENT.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// How far the peak rose above `base` since [`mem_start`].
fn mem_growth(base: usize) -> usize {
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

const MIB: usize = 1024 * 1024;

/// The memory test holds this for writing; every other test holds it for reading, so nothing
/// else allocates while a peak is measured, while the other tests still run in parallel.
static GATE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

// ---------------------------------------------------------------------------------------------
// The hostile server.

const SECRET: &str = "the-client-secret-123";
const TOKEN: &str = "tok-abcdef123456";
const TOKEN_OK: &str = r#"{"success":true,"data":{"access_token":"tok-abcdef123456","token_type":"Bearer","expires_in":3600}}"#;
const USAGE_OK: &str = r#"{"success":true,"data":{"quota_remaining":"1000"}}"#;

/// Filler for streamed bodies: static, so the server itself allocates nothing per byte sent.
static FILLER: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// The HTTP Basic credentials the client sends (`id:secret`, base64).
fn basic() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("id:{SECRET}"))
}

#[derive(Debug, Clone)]
struct Request {
    method: String,
    /// Path and query, as sent.
    target: String,
    authorization: Option<String>,
}

impl Request {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What the server does with one request.
enum Reply {
    /// A complete answer with Content-Length; the connection stays open for the next request.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        /// Shared, so serving a large prepared answer costs the server no copy.
        body: Bytes,
    },
    /// Announces `n` bytes, sends filler until the client hangs up (or `n` is reached).
    GiantLength(u64),
    /// `n` bytes of chunked filler.
    GiantChunked(u64),
    /// `n` bytes of filler framed by closing the connection (no length, no chunks).
    GiantClose(u64),
    /// Chunked filler forever, until the client hangs up.
    Endless,
    /// Announces `len` bytes and sends one every `every`.
    Trickle { len: u64, every: Duration },
    /// Waits, then replies.
    After(Duration, Box<Reply>),
}

fn json(status: u16, body: impl Into<String>) -> Reply {
    Reply::Full {
        status,
        headers: vec![("Content-Type", "application/json".into())],
        body: Bytes::from(body.into()),
    }
}

type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Request>>>,
    /// Connections accepted.
    connections: Arc<AtomicUsize>,
    /// Streamed answers still being written (they end when the client hangs up).
    streaming: Arc<AtomicUsize>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Server {
    async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handler: Handler = Arc::new(handler);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let streaming = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (seen, connections, streaming) =
                (seen.clone(), connections.clone(), streaming.clone());
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (handler, seen, streaming) =
                        (handler.clone(), seen.clone(), streaming.clone());
                    tokio::spawn(serve(stream, handler, seen, streaming));
                }
            })
        };
        Server {
            url,
            seen,
            connections,
            streaming,
            accept,
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
    }

    /// Waits until every streamed answer has ended, i.e. the client closed those connections
    /// instead of leaving them open (a client that stopped reading would block the writer).
    async fn streams_closed(&self, within: Duration) -> bool {
        let end = Instant::now() + within;
        while Instant::now() < end {
            if self.streaming.load(Ordering::SeqCst) == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.streaming.load(Ordering::SeqCst) == 0
    }
}

/// Reads one request (head and Content-Length body); `None` when the client closed.
async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Request> {
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
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let mut authorization = None;
    let mut length = 0usize;
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(v),
                "content-length" => length = v.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.drain(..head_end + length);
    Some(Request {
        method,
        target,
        authorization,
    })
}

async fn serve(
    mut stream: TcpStream,
    handler: Handler,
    seen: Arc<Mutex<Vec<Request>>>,
    streaming: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    while let Some(req) = read_request(&mut stream, &mut buf).await {
        seen.lock().unwrap().push(req.clone());
        let reply = handler(&req);
        if !write_reply(&mut stream, reply, &streaming).await {
            return;
        }
    }
}

/// Writes `reply`; `true` when the connection can serve another request.
async fn write_reply(stream: &mut TcpStream, mut reply: Reply, streaming: &AtomicUsize) -> bool {
    while let Reply::After(d, inner) = reply {
        tokio::time::sleep(d).await;
        reply = *inner;
    }
    let head = |status: u16, extra: &str| format!("HTTP/1.1 {status} Whatever\r\n{extra}\r\n");
    match reply {
        Reply::After(..) => unreachable!(),
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut extra = format!("Content-Length: {}\r\n", body.len());
            for (k, v) in headers {
                extra.push_str(&format!("{k}: {v}\r\n"));
            }
            stream
                .write_all(head(status, &extra).as_bytes())
                .await
                .is_ok()
                && stream.write_all(&body).await.is_ok()
        }
        streamed => {
            streaming.fetch_add(1, Ordering::SeqCst);
            // Write errors (the client hung up) simply end the answer.
            let _ = write_streamed(stream, streamed, head).await;
            let _ = stream.shutdown().await;
            streaming.fetch_sub(1, Ordering::SeqCst);
            false
        }
    }
}

async fn write_streamed(
    stream: &mut TcpStream,
    reply: Reply,
    head: impl Fn(u16, &str) -> String,
) -> std::io::Result<()> {
    let json_type = "Content-Type: application/json\r\n";
    match reply {
        Reply::GiantLength(n) => {
            stream
                .write_all(head(200, &format!("{json_type}Content-Length: {n}\r\n")).as_bytes())
                .await?;
            filler(stream, n).await
        }
        Reply::GiantClose(n) => {
            stream
                .write_all(head(200, &format!("{json_type}Connection: close\r\n")).as_bytes())
                .await?;
            filler(stream, n).await
        }
        Reply::GiantChunked(n) => {
            stream
                .write_all(
                    head(200, &format!("{json_type}Transfer-Encoding: chunked\r\n")).as_bytes(),
                )
                .await?;
            let mut sent = 0u64;
            while sent < n {
                let k = (n - sent).min(FILLER.len() as u64) as usize;
                stream.write_all(format!("{k:x}\r\n").as_bytes()).await?;
                stream.write_all(&FILLER[..k]).await?;
                stream.write_all(b"\r\n").await?;
                sent += k as u64;
            }
            stream.write_all(b"0\r\n\r\n").await
        }
        Reply::Endless => {
            stream
                .write_all(
                    head(200, &format!("{json_type}Transfer-Encoding: chunked\r\n")).as_bytes(),
                )
                .await?;
            let size = format!("{:x}\r\n", FILLER.len());
            loop {
                stream.write_all(size.as_bytes()).await?;
                stream.write_all(&FILLER).await?;
                stream.write_all(b"\r\n").await?;
            }
        }
        Reply::Trickle { len, every } => {
            stream
                .write_all(head(200, &format!("{json_type}Content-Length: {len}\r\n")).as_bytes())
                .await?;
            for _ in 0..len {
                stream.write_all(b" ").await?;
                tokio::time::sleep(every).await;
            }
            Ok(())
        }
        Reply::Full { .. } | Reply::After(..) => unreachable!(),
    }
}

async fn filler(stream: &mut TcpStream, n: u64) -> std::io::Result<()> {
    let mut sent = 0u64;
    while sent < n {
        let k = (n - sent).min(FILLER.len() as u64) as usize;
        stream.write_all(&FILLER[..k]).await?;
        sent += k as u64;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn builder(url: &str) -> ClientBuilder {
    Client::builder()
        .client_id("id")
        .client_secret(SECRET)
        .base_url(url)
        .ignore_env()
}

fn client(url: &str) -> Client {
    builder(url).build().expect("client builds")
}

/// Answers the token endpoint normally and everything else with `api`.
fn with_token(
    api: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r: &Request| {
        if r.path() == "/v1/token" {
            json(200, TOKEN_OK)
        } else {
            api(r)
        }
    }
}

#[track_caller]
fn assert_within(started: Instant, limit: Duration, what: &str) {
    let took = started.elapsed();
    assert!(took <= limit, "{what} took {took:?}, limit {limit:?}");
}

/// Every text an error shows: Display, Debug, message, excerpt, attempt outcomes.
fn texts(e: &Error) -> Vec<(String, String)> {
    let mut t = vec![
        ("Display".to_string(), e.to_string()),
        ("Debug".to_string(), format!("{e:?}")),
        ("message".to_string(), e.message().to_string()),
        (
            "body_excerpt".to_string(),
            e.body_excerpt().unwrap_or("").to_string(),
        ),
    ];
    for (i, a) in e.history().iter().enumerate() {
        t.push((format!("history[{i}].outcome"), a.outcome.clone()));
        t.push((format!("history[{i}]"), format!("{a:?}")));
    }
    t
}

#[track_caller]
fn assert_no_secret(e: &Error, secrets: &[&str]) {
    for (what, text) in texts(e) {
        for s in secrets {
            assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
        }
    }
}

fn invoice_request() -> CreateInvoice {
    CreateInvoice {
        provider_account_id: "pa-1".into(),
        template_code: "1".into(),
        invoice_series: "C26TSE".into(),
        // In the past: the SDK refuses a future issue date before sending.
        issued_date: "2026-01-26 08:00:00".into(),
        is_draft: true,
        buyer: Buyer {
            name: Some("Công ty ABC".into()),
            tax_code: Some("0101234567".into()),
            ..Default::default()
        },
        items: vec![
            LineItem::new("Sản phẩm A", 2.into(), 100_000.into()).with_tax_rate(TaxRate::Ten)
        ],
        ..Default::default()
    }
}

/// A download answer whose file has `n` bytes (base64 makes the body about 4/3 of that).
fn download_body(n: usize) -> String {
    let content = base64::engine::general_purpose::STANDARD.encode(vec![b'%'; n]);
    format!(
        r#"{{"success":true,"data":{{"file_type":"pdf","file_name":"r1.pdf","content":"{content}"}}}}"#
    )
}

// ---------------------------------------------------------------------------------------------
// Oversized and endless bodies, with the memory they cost.

const GIANT: u64 = 200 * 1024 * 1024;

/// Peak growth allowed while one oversized answer is refused: the 8 MiB buffer can be held
/// twice while it grows (a moving realloc), plus 16 MiB for everything else (hyper's read
/// buffers, the runtime, the retries' bookkeeping). Measured (debug build): see the comment on
/// each case below.
const MEMORY_BOUND: usize = 8 * MIB * 2 + 16 * MIB;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_and_endless_bodies_fail_fast_with_bounded_memory() {
    let _exclusive = GATE.write().await;

    // Content-Length 200 MB: refused from the header, before any body byte is buffered; the
    // attempt is retried like any unreadable answer (2 retries by default).
    // Measured peak growth: 0.05 MiB.
    {
        let server = Server::start(with_token(|_| Reply::GiantLength(GIANT))).await;
        let c = client(&server.url);
        let base = mem_start();
        let started = Instant::now();
        let e = c.get_usage().await.unwrap_err();
        let growth = mem_growth(base);
        println!(
            "giant Content-Length: peak growth {:.2} MiB in {:?}",
            growth as f64 / MIB as f64,
            started.elapsed()
        );
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
        assert!(e.message().contains("8 MiB"), "{}", e.message());
        assert_eq!(e.attempts(), 3, "retried like an unreadable answer: {e:?}");
        assert!(e.is_ambiguous());
        // Three attempts and two backoffs of at most 0.5 s and 1 s.
        assert_within(started, Duration::from_millis(1500 + 1500), "giant length");
        assert!(growth < MEMORY_BOUND, "peak growth {growth}");
        assert_eq!(server.count("/v1/usage"), 3);
        assert!(
            server.streams_closed(Duration::from_secs(5)).await,
            "the client left a giant answer's connection open"
        );
    }

    // 200 MB without a length, chunked and close-framed: read until the cap, then dropped.
    // Measured peak growth: 15.4 MiB chunked, 12.4 MiB close-framed (the buffer growing from 4
    // to 8 MiB holds both blocks for a moment: 12 MiB; chunked decoding costs ~3 MiB more).
    for (name, reply) in [
        (
            "giant chunked",
            (|| Reply::GiantChunked(GIANT)) as fn() -> Reply,
        ),
        ("giant close-framed", || Reply::GiantClose(GIANT)),
    ] {
        let server = Server::start(with_token(move |_| reply())).await;
        let c = builder(&server.url).max_retries(1).build().unwrap();
        let base = mem_start();
        let started = Instant::now();
        let e = c.get_usage().await.unwrap_err();
        let growth = mem_growth(base);
        println!(
            "{name}: peak growth {:.2} MiB in {:?}",
            growth as f64 / MIB as f64,
            started.elapsed()
        );
        assert_eq!(e.kind(), ErrorKind::Decode, "{name}: {e:?}");
        assert!(e.message().contains("8 MiB"), "{name}: {}", e.message());
        assert_eq!(e.attempts(), 2, "{name}: {e:?}");
        assert_within(started, Duration::from_secs(5), name);
        assert!(growth < MEMORY_BOUND, "{name}: peak growth {growth}");
        assert!(
            server.streams_closed(Duration::from_secs(5)).await,
            "{name}: the client left the connection open"
        );
    }

    // An endless body: ends at the cap, within a few seconds. Measured: 15.4 MiB.
    {
        let server = Server::start(with_token(|_| Reply::Endless)).await;
        let c = builder(&server.url).max_retries(1).build().unwrap();
        let base = mem_start();
        let started = Instant::now();
        let e = c.get_invoice("r1").await.unwrap_err();
        let growth = mem_growth(base);
        println!(
            "endless: peak growth {:.2} MiB in {:?}",
            growth as f64 / MIB as f64,
            started.elapsed()
        );
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
        assert!(e.message().contains("limit"), "{}", e.message());
        assert_within(started, Duration::from_secs(5), "endless");
        assert!(growth < MEMORY_BOUND, "peak growth {growth}");
        assert!(server.streams_closed(Duration::from_secs(5)).await);
    }

    // A smaller cap is honoured the same way (and bounds memory by itself). Measured: 2.4 MiB.
    {
        let server = Server::start(with_token(|_| Reply::Endless)).await;
        let c = builder(&server.url)
            .max_retries(0)
            .max_response_bytes(MIB)
            .build()
            .unwrap();
        let base = mem_start();
        let e = c.get_usage().await.unwrap_err();
        let growth = mem_growth(base);
        println!(
            "endless, 1 MiB cap: peak growth {:.2} MiB",
            growth as f64 / MIB as f64
        );
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
        assert!(e.message().contains("1 MiB"), "{}", e.message());
        assert_eq!(e.attempts(), 1);
        assert!(growth < MIB * 2 + 16 * MIB, "peak growth {growth}");
    }

    // A download over `max_download_bytes`: refused; one under it works, and the download cap
    // (not the JSON cap) is the one that applies. Measured: 0.05 MiB with a Content-Length over
    // the cap, 2.4 MiB for an endless download.
    {
        // Built once, before measuring, so the figure is the client's.
        let big = Bytes::from(download_body(2 * MIB));
        let small = Bytes::from(download_body(300 * 1024));
        let server = Server::start(with_token(move |r| {
            let file = |body: &Bytes| Reply::Full {
                status: 200,
                headers: Vec::new(),
                body: body.clone(),
            };
            if r.target.contains("big") {
                file(&big)
            } else if r.target.contains("endless") {
                Reply::Endless
            } else if r.path().ends_with("/download") {
                file(&small)
            } else {
                json(200, USAGE_OK)
            }
        }))
        .await;
        let c = builder(&server.url)
            .max_retries(0)
            .max_download_bytes(MIB)
            .max_response_bytes(64 * 1024)
            .build()
            .unwrap();
        let base = mem_start();
        let e = c.download_invoice("big", FileType::Pdf).await.unwrap_err();
        let growth = mem_growth(base);
        println!(
            "download over 1 MiB cap: peak growth {:.2} MiB",
            growth as f64 / MIB as f64
        );
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
        assert!(e.message().contains("1 MiB"), "{}", e.message());
        assert_eq!(e.reference_code(), Some("big"));
        assert!(growth < MIB * 2 + 16 * MIB, "peak growth {growth}");
        // Without a length the download is read up to its cap, and no further.
        let base = mem_start();
        let e = c
            .download_invoice("endless", FileType::Pdf)
            .await
            .unwrap_err();
        let growth = mem_growth(base);
        println!(
            "endless download, 1 MiB cap: peak growth {:.2} MiB",
            growth as f64 / MIB as f64
        );
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
        assert!(e.message().contains("1 MiB"), "{}", e.message());
        assert!(growth < MIB * 2 + 16 * MIB, "peak growth {growth}");
        // The refused answer's connection was discarded: the next call opens a new one.
        let before = server.connections.load(Ordering::SeqCst);
        // 400 KiB of base64: over the 64 KiB JSON cap, under the 1 MiB download cap.
        let file = c
            .download_invoice("r1", FileType::Pdf)
            .await
            .expect("small download");
        assert_eq!(file.content.len(), 300 * 1024);
        assert_eq!(file.file_name, "r1.pdf");
        assert_eq!(server.connections.load(Ordering::SeqCst), before + 1);
        // An ordinary JSON answer under its cap still works.
        assert_eq!(c.get_usage().await.expect("usage").quota_remaining, 1000);
    }
}

// ---------------------------------------------------------------------------------------------
// Slow answers.

#[tokio::test]
async fn a_trickling_body_is_cut_by_the_attempt_and_call_deadlines() {
    let _shared = GATE.read().await;
    let server = Server::start(with_token(|_| Reply::Trickle {
        len: 1000,
        every: Duration::from_millis(200),
    }))
    .await;
    let c = builder(&server.url)
        .timeout(Duration::from_millis(800))
        .call_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.get_usage().await.unwrap_err();
    // Each attempt ends at 0.8 s, so the body read is bounded by the attempt timeout; the
    // retries stop at the 3 s call deadline.
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert!(e.attempts() >= 2, "retried while time was left: {e:?}");
    assert_within(started, Duration::from_millis(3000 + 1500), "trickle");
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out_at_the_call_deadline() {
    let _shared = GATE.read().await;
    let server = Server::start(|r: &Request| {
        if r.path() == "/v1/token" {
            Reply::After(Duration::from_secs(5), Box::new(json(200, TOKEN_OK)))
        } else {
            json(200, USAGE_OK)
        }
    })
    .await;
    let c = builder(&server.url)
        .call_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c.get_usage().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert_eq!(e.path(), Some("/v1/token"), "{e:?}");
    assert_within(started, Duration::from_millis(1000 + 1500), "slow token");
    assert_eq!(server.count("/v1/usage"), 0);
}

// ---------------------------------------------------------------------------------------------
// Redirects are reported, never followed.

/// A second listener that only counts connections: nothing may reach it.
async fn elsewhere() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let _ = s
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    (url, hits, task)
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let _shared = GATE.read().await;
    let (target, hits, task) = elsewhere().await;
    for status in [301u16, 302, 303, 307, 308] {
        let loc = format!("{target}/v1/usage");
        let server = Server::start(with_token(move |_| Reply::Full {
            status,
            headers: vec![("Location", loc.clone())],
            body: Bytes::new(),
        }))
        .await;
        let c = client(&server.url);
        let started = Instant::now();
        let e = c.get_usage().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{status}: {e:?}");
        assert_eq!(e.status(), Some(status), "{e:?}");
        assert!(e.message().contains(&status.to_string()), "{}", e.message());
        assert_eq!(e.attempts(), 1, "a redirect is not retried: {e:?}");
        assert_within(started, Duration::from_secs(3), "redirect");

        // A create (token and buyer data in the request) is not sent on either.
        let e = c.create_invoice(&invoice_request()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{status}: {e:?}");
        assert_eq!(e.status(), Some(status));
        assert_eq!(server.count("/v1/invoices/create"), 1);
    }

    // The token endpoint redirecting: the Basic credentials stay home too.
    let loc = format!("{target}/v1/token");
    let server = Server::start(move |_: &Request| Reply::Full {
        status: 307,
        headers: vec![("Location", loc.clone())],
        body: Bytes::new(),
    })
    .await;
    let e = client(&server.url).authenticate().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
    assert_eq!(e.status(), Some(307));

    // Give a (wrongly) followed request time to arrive before counting.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "a request went to the redirect target"
    );
    task.abort();
}

// ---------------------------------------------------------------------------------------------
// Secrets a server echoes never reach an error.

#[tokio::test]
async fn echoed_secrets_are_scrubbed_from_every_error_text() {
    let _shared = GATE.read().await;
    let basic = basic();
    let secrets = [TOKEN, SECRET, basic.as_str()];

    // The API's own error message quoting the token and the secret (a 400, not retried).
    let server = Server::start(with_token(|_| {
        json(
            400,
            r#"{"success":false,"error":{"code":"BAD_REQUEST","message":"bad header: Bearer tok-abcdef123456 and secret the-client-secret-123"}}"#,
        )
    }))
    .await;
    let c = client(&server.url);
    let e = c.get_usage().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "{e:?}");
    assert_eq!(e.status(), Some(400));
    assert_no_secret(&e, &secrets);
    assert!(e.message().contains("bad header"), "{}", e.message());
    // The token was really sent (so the scrubbing is what kept it out).
    let sent = server.requests();
    assert!(sent
        .iter()
        .any(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));

    // Unreadable answers keep an excerpt of the raw body: a 5xx page echoing the request
    // headers (retried, so the history holds several outcomes), and a 200 whose data is wrong.
    let echo = format!(
        "<html>Authorization: Bearer {TOKEN}<br>basic {basic}<br>secret={SECRET}<br>your secret {SECRET} and {basic}</html>"
    );
    let echo2 = echo.clone();
    let server = Server::start(with_token(move |r| {
        if r.path() == "/v1/usage" {
            Reply::Full {
                status: 502,
                headers: vec![("Content-Type", "text/html".into())],
                body: Bytes::from(echo2.clone()),
            }
        } else {
            json(
                200,
                format!(r#"{{"success":true,"data":{{"reference_code":{{"echo":"{TOKEN} {SECRET} {basic}"}}}}}}"#,
                    basic = self::basic()),
            )
        }
    }))
    .await;
    let c = builder(&server.url).max_retries(1).build().unwrap();
    let e = c.get_usage().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e:?}");
    assert_eq!(e.attempts(), 2);
    assert!(e.body_excerpt().is_some(), "{e:?}");
    assert_no_secret(&e, &secrets);
    let e = c.get_invoice("r1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
    assert!(e.body_excerpt().is_some(), "{e:?}");
    assert_no_secret(&e, &secrets);

    // The token endpoint refusing and quoting the Basic credentials it got.
    let server = Server::start(move |_: &Request| {
        json(
            401,
            format!(
                r#"{{"success":false,"error":{{"code":"UNAUTHORIZED","message":"Authorization: Basic {b} (id:{SECRET}) rejected"}}}}"#,
                b = self::basic()
            ),
        )
    })
    .await;
    let e = client(&server.url).authenticate().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Authentication, "{e:?}");
    assert_no_secret(&e, &secrets);
}

#[tokio::test]
async fn a_url_password_is_masked_everywhere() {
    let _shared = GATE.read().await;
    let server = Server::start(|r: &Request| {
        json(
            404,
            format!(
                r#"{{"success":false,"error":{{"code":"NOT_FOUND","message":"no route for http://me:pw-hunter22@{}"}}}}"#,
                r.target
            ),
        )
    })
    .await;
    let url = server.url.replace("http://", "http://me:pw-hunter22@");
    let c = client(&url);
    assert!(!format!("{c:?}").contains("pw-hunter22"), "{c:?}");
    assert!(!c.base_url().contains("pw-hunter22"), "{}", c.base_url());
    assert!(c.base_url().contains("me:***@"), "{}", c.base_url());
    let e = c.authenticate().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e:?}");
    assert_no_secret(&e, &["pw-hunter22", SECRET]);
}

// ---------------------------------------------------------------------------------------------
// Bad token answers.

#[tokio::test]
async fn a_garbled_token_answer_does_not_leak_the_token() {
    let _shared = GATE.read().await;
    let bodies = [
        // Truncated.
        r#"{"success":true,"data":{"access_token":"tok-SECRET-999","expires_in":"soon""#,
        // Complete but with a lifetime that is not a number.
        r#"{"success":true,"data":{"access_token":"tok-SECRET-999","expires_in":"soon"}}"#,
        r#"{"success":true,"data":{"access_token":"tok-SECRET-999","expires_in":-5}}"#,
        // The token under another name, so access_token is missing.
        r#"{"success":true,"data":{"token":"tok-SECRET-999"}}"#,
        // Spaces around the colon.
        r#"{"success":true,"data":{"access_token" : "tok-SECRET-999" , "expires_in":{}}}"#,
        // The token where the envelope expects an object.
        r#"{"success":true,"data":"Bearer tok-SECRET-999"}"#,
    ];
    for body in bodies {
        let server = Server::start(move |_: &Request| json(200, body)).await;
        let c = builder(&server.url).max_retries(0).build().unwrap();
        let e = c.get_usage().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{body}: {e:?}");
        assert_eq!(e.path(), Some("/v1/token"), "{e:?}");
        assert_no_secret(&e, &["tok-SECRET-999"]);
        assert_eq!(server.count("/v1/usage"), 0);
        let e = c.authenticate().await.unwrap_err();
        assert_no_secret(&e, &["tok-SECRET-999"]);
    }
}

#[tokio::test]
async fn tokens_that_cannot_be_sent_in_a_header_are_refused() {
    let _shared = GATE.read().await;
    let long = "a".repeat(9 * 1024);
    let bad: Vec<String> = vec![
        "tok bad".into(),
        "tok\r\nX-Evil: 1".into(),
        "tok\nX-Evil: 1".into(),
        "tok\tbad".into(),
        "tök-bad".into(),
        "tok\u{0}bad".into(),
        "tok\u{7f}bad".into(),
        String::new(),
        long,
    ];
    let answer = Arc::new(Mutex::new(String::new()));
    let served = answer.clone();
    let server = Server::start(move |r: &Request| {
        if r.path() == "/v1/token" {
            json(200, served.lock().unwrap().clone())
        } else {
            json(200, USAGE_OK)
        }
    })
    .await;
    let c = builder(&server.url).max_retries(0).build().unwrap();
    for (i, token) in bad.iter().enumerate() {
        let body = serde_json::json!({
            "success": true,
            "data": {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        });
        *answer.lock().unwrap() = body.to_string();
        let e = c.get_usage().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{token:?}: {e:?}");
        assert_eq!(e.path(), Some("/v1/token"), "{e:?}");
        if token.len() >= 4 {
            assert_no_secret(&e, &[token.as_str()]);
        }
        // Refused, so never cached: each call asks again, and nothing reaches the API.
        assert_eq!(server.count("/v1/token"), i + 1);
        assert_eq!(server.count("/v1/usage"), 0, "{token:?} was used");
    }
    // A good token afterwards is fetched and used.
    *answer.lock().unwrap() = TOKEN_OK.into();
    c.get_usage().await.expect("good token works");
    let used: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/v1/usage")
        .collect();
    assert_eq!(used.len(), 1);
    assert_eq!(
        used[0].authorization.as_deref(),
        Some(format!("Bearer {TOKEN}").as_str())
    );
}

// ---------------------------------------------------------------------------------------------
// Token single flight with a useless lifetime.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_one_token_even_with_expires_in_zero() {
    let _shared = GATE.read().await;
    let server = Server::start(|r: &Request| {
        if r.path() == "/v1/token" {
            let body =
                r#"{"success":true,"data":{"access_token":"tok-zero-lifetime","expires_in":0}}"#;
            Reply::After(Duration::from_millis(100), Box::new(json(200, body)))
        } else {
            json(200, USAGE_OK)
        }
    })
    .await;
    let c = client(&server.url);
    // Exactly 1 token request: `join_all` polls all 32 calls once before any can finish, and a
    // call joins the token fetch in flight on its first poll (before its first await), while
    // the fetch takes at least the server's 100 ms. Every waiter uses the token it waited for,
    // even one issued with `expires_in: 0`. (Spawned tasks could start late on a loaded
    // machine and, arriving after the fetch ended, legitimately fetch a second token.)
    let calls = (0..32).map(|_| c.get_usage());
    let results = futures_util::future::join_all(calls).await;
    for r in results {
        assert_eq!(r.expect("usage").quota_remaining, 1000);
    }
    assert_eq!(server.count("/v1/token"), 1);
    let usage = server
        .requests()
        .into_iter()
        .filter(|r| r.path() == "/v1/usage")
        .collect::<Vec<_>>();
    assert_eq!(usage.len(), 32);
    assert!(usage
        .iter()
        .all(|r| r.authorization.as_deref() == Some("Bearer tok-zero-lifetime")));
}

// ---------------------------------------------------------------------------------------------
// A refusal inside a 200.

#[tokio::test]
async fn quota_exceeded_in_a_200_is_not_retried() {
    let _shared = GATE.read().await;
    let server = Server::start(with_token(|_| {
        json(
            200,
            r#"{"success":false,"error":{"code":"QUOTA_EXCEEDED","message":"Hết hạn ngạch"}}"#,
        )
    }))
    .await;
    let c = client(&server.url);
    let req = invoice_request();
    let e = c.create_invoice(&req).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QuotaExceeded, "{e:?}");
    assert_eq!(e.attempts(), 1, "{e:?}");
    assert_eq!(e.status(), Some(200));
    assert_eq!(e.api_code(), Some("QUOTA_EXCEEDED"));
    assert!(!e.is_ambiguous(), "a refusal is a clear answer: {e:?}");
    assert!(e.reference_code().is_some());
    assert_eq!(server.count("/v1/invoices/create"), 1);
    let create = server
        .requests()
        .into_iter()
        .find(|r| r.path() == "/v1/invoices/create")
        .unwrap();
    assert_eq!(create.method, "POST");

    let e = c.get_usage().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::QuotaExceeded, "{e:?}");
    assert_eq!(e.attempts(), 1);
    assert_eq!(server.count("/v1/usage"), 1);
}

// ---------------------------------------------------------------------------------------------
// Leaks these tests found in the first version of the scrubber (fixed): server-controlled codes
// and request ids, secrets in unusual JSON layouts, an excerpt cut inside a secret.

#[tokio::test]
async fn server_controlled_headers_and_codes_are_scrubbed() {
    let _shared = GATE.read().await;
    // The request id comes from a response header and the code from the body: both are the
    // server's text, shown by Display and Debug, so an echo of the token must be scrubbed there.
    let server = Server::start(with_token(|r| Reply::Full {
        status: 400,
        headers: vec![(
            "X-Request-Id",
            r.authorization.clone().unwrap_or_default() + " " + SECRET,
        )],
        body: Bytes::from_static(
            br#"{"success":false,"error":{"code":"tok-abcdef123456 the-client-secret-123","message":"no"}}"#,
        ),
    }))
    .await;
    let e = client(&server.url).get_usage().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest, "{e:?}");
    assert_no_secret(&e, &[TOKEN, SECRET]);
    for field in [e.request_id(), e.api_code()] {
        let field = field.unwrap_or("");
        assert!(!field.contains(TOKEN) && !field.contains(SECRET), "{field}");
    }
}

#[tokio::test]
async fn unheld_tokens_in_unusual_json_layouts_are_scrubbed() {
    let _shared = GATE.read().await;
    let bodies = [
        // JSON allows any whitespace after the colon; the scrubber skips only spaces.
        "{\"success\":true,\"data\":{\"access_token\":\n\"tok-SECRET-999\",\"expires_in\":\"soon\"}}",
        "{\"success\":true,\"data\":{\"access_token\":\t\"tok-SECRET-999\",\"expires_in\":\"soon\"}}",
        // JSON inside a JSON string: in the raw excerpt the quotes are escaped.
        r#"{"success":true,"data":"{\"access_token\":\"tok-SECRET-999\"}"}"#,
    ];
    for body in bodies {
        let server = Server::start(move |_: &Request| json(200, body)).await;
        let c = builder(&server.url).max_retries(0).build().unwrap();
        let e = c.authenticate().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{e:?}");
        assert_no_secret(&e, &["tok-SECRET-999"]);
    }
}

#[tokio::test]
async fn an_excerpt_cut_leaves_no_prefix_of_a_secret() {
    let _shared = GATE.read().await;
    // 191 characters, then the secret: the 200-character excerpt ends 9 characters into it,
    // and `the-clien…` no longer matches the secret the scrubber looks for.
    let server = Server::start(with_token(|_| {
        json(502, format!("{} {SECRET} {TOKEN}", "x".repeat(190)))
    }))
    .await;
    let c = builder(&server.url).max_retries(0).build().unwrap();
    let e = c.get_usage().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server, "{e:?}");
    let excerpt = e
        .body_excerpt()
        .expect("an unreadable 502 keeps an excerpt");
    assert!(!excerpt.contains("the-clien"), "{excerpt}");
}
