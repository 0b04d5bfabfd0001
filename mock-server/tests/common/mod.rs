//! A minimal HTTP/1.1 client over a raw TCP stream, so tests see exactly what the server does
//! (including a connection closed without any response), plus helpers for common flows.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sepay_einvoice_mock::{MockConfig, MockServer, ACCOUNT_MATBAO};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A parsed HTTP response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error.code` of an error envelope (and checks the envelope shape).
    pub fn error_code(&self) -> String {
        let v = self.json();
        assert_eq!(v["success"], json!(false), "not an error envelope: {v}");
        assert!(v["error"]["message"].is_string(), "no message: {v}");
        v["error"]["code"].as_str().unwrap_or_default().to_string()
    }

    pub fn error_message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads one response from `stream`. `Err(UnexpectedEof)` if the connection closes before a
/// full response arrives.
pub async fn read_response(stream: &mut TcpStream) -> std::io::Result<Resp> {
    let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed without response");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(eof());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(eof)?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut rest = buf[head_end + 4..].to_vec();
    let get = |k: &str| headers.iter().find(|(h, _)| h == k).map(|(_, v)| v.clone());
    let body = if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while rest.len() < len {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(eof());
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        loop {
            if let Some(body) = dechunk(&rest) {
                break body;
            }
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(eof());
            }
            rest.extend_from_slice(&chunk[..n]);
        }
    } else {
        stream.read_to_end(&mut rest).await?;
        rest
    };
    Ok(Resp {
        status,
        headers,
        body,
    })
}

/// The decoded body once the whole chunked body is in `data`.
fn dechunk(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let line_end = i + find(&data[i..], b"\r\n")?;
        let size_str = String::from_utf8_lossy(&data[i..line_end]);
        let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
        let start = line_end + 2;
        if size == 0 {
            return Some(out);
        }
        if data.len() < start + size + 2 {
            return None;
        }
        out.extend_from_slice(&data[start..start + size]);
        i = start + size + 2;
    }
}

/// Builds the bytes of one request.
pub fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    close: bool,
) -> Vec<u8> {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if close {
        req.push_str("Connection: close\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || method == "POST" {
        req.push_str("Content-Type: application/json\r\n");
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One request on a fresh connection.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<Resp> {
    let fut = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream
            .write_all(&request_bytes(addr, method, path, headers, body, true))
            .await?;
        read_response(&mut stream).await
    };
    tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "request timed out"))?
}

/// A running mock plus a valid token.
pub struct Api {
    pub server: MockServer,
    pub addr: SocketAddr,
    pub token: String,
}

/// Jobs complete on the first check (or any access): most tests don't want to wait.
pub fn instant_config() -> MockConfig {
    MockConfig {
        pending_polls: 0,
        pending_time: Duration::ZERO,
        ..MockConfig::default()
    }
}

/// Jobs complete only by polls (the time limit is far away).
pub fn poll_only_config(polls: u32) -> MockConfig {
    MockConfig {
        pending_polls: polls,
        pending_time: Duration::from_secs(3600),
        ..MockConfig::default()
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

impl Api {
    pub async fn start(config: MockConfig) -> Api {
        let server = MockServer::start(config).await.expect("start mock");
        let addr = server.addr();
        let mut api = Api {
            server,
            addr,
            token: String::new(),
        };
        api.token = api.new_token().await;
        api
    }

    pub async fn new_token(&self) -> String {
        let auth = basic("mock_client_id", "mock_client_secret");
        let r = raw(
            self.addr,
            "POST",
            "/v1/token",
            &[("Authorization", &auth)],
            None,
        )
        .await
        .expect("token request");
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["data"]["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.token)
    }

    pub async fn get(&self, path: &str) -> Resp {
        let auth = self.bearer();
        raw(self.addr, "GET", path, &[("Authorization", &auth)], None)
            .await
            .expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        let auth = self.bearer();
        let bytes = serde_json::to_vec(body).expect("json");
        raw(
            self.addr,
            "POST",
            path,
            &[("Authorization", &auth)],
            Some(&bytes),
        )
        .await
        .expect("POST")
    }

    /// Control API call (no auth).
    pub async fn control(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
        raw(self.addr, method, path, &[], bytes.as_deref())
            .await
            .expect("control")
    }

    pub async fn stats(&self) -> Value {
        self.control("GET", "/_mock/stats", None).await.json()
    }

    /// Creates an invoice and returns (tracking_code, reference_code sent).
    pub async fn create(&self, body: &Value) -> String {
        let r = self.post("/v1/invoices/create", body).await;
        assert_eq!(r.status, 200, "create failed: {}", r.text());
        r.json()["data"]["tracking_code"]
            .as_str()
            .expect("tracking_code")
            .to_string()
    }

    /// Polls a check endpoint until the job leaves Pending (at most 50 polls).
    pub async fn wait(&self, kind: &str, tc: &str) -> Value {
        for _ in 0..50 {
            let r = self.get(&format!("/v1/invoices/{kind}/check/{tc}")).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let d = r.json()["data"].clone();
            if d["status"] != "Pending" {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {tc} stayed Pending");
    }

    /// Creates a draft and waits for it; returns the reference code.
    pub async fn draft(&self, reference_code: &str) -> String {
        let tc = self.create(&invoice(reference_code, true)).await;
        let d = self.wait("create", &tc).await;
        assert_eq!(d["status"], "Success", "{d}");
        reference_code.to_string()
    }

    /// Issues a draft and waits for it; returns the check data.
    pub async fn issue(&self, reference_code: &str) -> Value {
        let tc = self.issue_tc(reference_code).await;
        self.wait("issue", &tc).await
    }

    /// Starts an issue and returns its tracking code.
    pub async fn issue_tc(&self, reference_code: &str) -> String {
        let r = self
            .post(
                "/v1/invoices/issue",
                &json!({ "reference_code": reference_code }),
            )
            .await;
        assert_eq!(r.status, 200, "issue failed: {}", r.text());
        r.json()["data"]["tracking_code"]
            .as_str()
            .expect("tc")
            .to_string()
    }

    pub async fn quota(&self) -> String {
        let r = self.get("/v1/usage").await;
        assert_eq!(r.status, 200);
        r.json()["data"]["quota_remaining"]
            .as_str()
            .expect("quota string")
            .to_string()
    }
}

/// The documented example: 2 × 100000 at 10%.
pub fn invoice(reference_code: &str, is_draft: bool) -> Value {
    json!({
        "reference_code": reference_code,
        "template_code": "1",
        "invoice_series": "C26TSE",
        "issued_date": "2026-05-02 08:00:00",
        "currency": "VND",
        "provider_account_id": ACCOUNT_MATBAO,
        "payment_method": "CK",
        "buyer": {
            "type": "company",
            "name": "Công ty ABC",
            "tax_code": "0101234567",
            "address": "123 Đường A, Quận B, Hà Nội",
            "email": "buyer@example.com"
        },
        "items": [{
            "line_number": 1,
            "line_type": 1,
            "item_code": "SP001",
            "item_name": "Sản phẩm A",
            "unit": "cái",
            "quantity": 2,
            "unit_price": 100000,
            "tax_rate": 10
        }],
        "notes": "Ghi chú hóa đơn",
        "is_draft": is_draft
    })
}
