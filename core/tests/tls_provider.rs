//! Building a `Client` leaves rustls' process-wide state alone: no default `CryptoProvider` is
//! installed (or needed), so an application can still install its own afterwards.
//!
//! Its own test binary with a single test: the process-wide default can be installed only once,
//! and no other test may have touched it first.

use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use sepay_einvoice::{Client, ErrorKind};
use sepay_einvoice_mock::{MockConfig, MockServer};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

fn client(base_url: &str) -> Client {
    Client::builder()
        .ignore_env()
        .base_url(base_url)
        .client_id("mock_client_id")
        .client_secret("mock_client_secret")
        .max_retries(0)
        .call_timeout(Duration::from_secs(10))
        .build()
        .expect("client builds")
}

/// Builds a client for a local listener and starts an HTTPS call: the listener reads the first
/// bytes the client sends and hangs up. A TLS ClientHello there shows the client's TLS setup
/// works. With `nothing_installed`, also checks that building the client installed no provider.
async fn tls_hello_bytes(nothing_installed: bool) -> Vec<u8> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = vec![0u8; 5];
        socket
            .read_exact(&mut buf)
            .await
            .expect("read the record header");
        buf
    });
    let c = client(&url);
    assert!(
        !nothing_installed || CryptoProvider::get_default().is_none(),
        "building a Client installed a process-wide CryptoProvider"
    );
    let err = c
        .get_usage()
        .await
        .expect_err("the listener is not a TLS server");
    assert!(
        matches!(err.kind(), ErrorKind::Connection | ErrorKind::Timeout),
        "{err}"
    );
    server.await.expect("listener task")
}

#[tokio::test]
async fn clients_leave_the_process_wide_crypto_provider_to_the_application() {
    assert!(CryptoProvider::get_default().is_none(), "fresh process");

    // 1. Building a client installs nothing, and its HTTPS path needs nothing installed: it
    //    opens with a TLS handshake record (content type 22, protocol version 3.x).
    let hello = tls_hello_bytes(true).await;
    assert_eq!(
        &hello[..2],
        &[0x16, 0x03],
        "a TLS handshake record: {hello:?}"
    );
    assert!(CryptoProvider::get_default().is_none());

    // 2. The application installs its own default provider after clients were built: a
    //    different one (ring restricted to one cipher suite), and the install succeeds.
    let mine = CryptoProvider {
        cipher_suites: vec![rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256],
        ..rustls::crypto::ring::default_provider()
    };
    mine.install_default()
        .expect("the application's install_default() succeeds after Clients were built");
    let installed: &Arc<CryptoProvider> = CryptoProvider::get_default().expect("installed");
    assert_eq!(
        installed.cipher_suites.len(),
        1,
        "the application's provider is the default"
    );

    // 3. Clients built before and after keep working (the mock speaks plain HTTP on loopback),
    //    and the application's choice stays in place.
    let mock = MockServer::start(MockConfig::default())
        .await
        .expect("mock server starts");
    let before = client(&mock.url());
    before
        .get_usage()
        .await
        .expect("a client built earlier works");
    let after = client(&mock.url());
    after
        .get_usage()
        .await
        .expect("a client built afterwards works");
    assert_eq!(tls_hello_bytes(false).await[..2], [0x16, 0x03]);
    assert_eq!(
        CryptoProvider::get_default().unwrap().cipher_suites.len(),
        1
    );
}
