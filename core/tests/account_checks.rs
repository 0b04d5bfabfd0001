//! The pre-send checks against the provider account: one read per account and TTL however many
//! requests run at once, a read refreshed after the TTL, and a request sent unchecked (the API
//! decides) when the account cannot be read.

mod support;

use std::time::Duration;

use sepay_einvoice::CreateInvoice;
use serde_json::json;
use support::{builder, control, draft, fault, mock};

async fn account_reads(url: &str) -> u64 {
    let stats = control(url, "stats").await;
    stats["requests"]["get_provider_account"]
        .as_object()
        .map(|m| m.values().filter_map(|v| v.as_u64()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn concurrent_requests_read_the_account_once() {
    let mock = mock().await;
    let url = mock.url();
    let client = builder(&url).build().expect("client");
    let calls = (0..24).map(|_| {
        let client = client.clone();
        async move {
            let req = draft();
            client.create_invoice(&req).await
        }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(account_reads(&url).await, 1);
    let p = client.preflight(&draft()).await.expect("preflight");
    assert!(p.is_ok(), "{p:?}");
    assert_eq!(account_reads(&url).await, 1);
}

#[tokio::test]
async fn the_account_is_read_again_after_its_ttl() {
    let mock = mock().await;
    let url = mock.url();
    let client = builder(&url)
        .account_cache_ttl(Duration::from_millis(50))
        .build()
        .expect("client");
    client.preflight(&draft()).await.expect("preflight");
    client.preflight(&draft()).await.expect("preflight");
    assert_eq!(account_reads(&url).await, 1);
    tokio::time::sleep(Duration::from_millis(80)).await;
    client.preflight(&draft()).await.expect("preflight");
    assert_eq!(account_reads(&url).await, 2);
}

#[tokio::test]
async fn an_unreadable_account_does_not_block_the_request() {
    let mock = mock().await;
    let url = mock.url();
    fault(
        &url,
        json!({"route": "get_provider_account", "kind": "status", "status": 503}),
    )
    .await;
    let client = builder(&url).max_retries(1).build().expect("client");
    let job = client
        .create_invoice(&draft())
        .await
        .expect("sent unchecked");
    assert_eq!(job.kind.as_str(), "create");
    // A bad pair is then left to the API, which accepts it here (the mock does not check pairs).
    let mut bad = draft();
    bad.invoice_series = "C26TZZ".into();
    client.create_invoice(&bad).await.expect("sent unchecked");
    // With the account readable again, the same pair is refused before sending.
    support::clear_faults(&url).await;
    let e = client
        .create_invoice(&draft_with("C26TZZ"))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("invoice_series"));
    assert_eq!(e.problems()[0].rule, "account-template");
}

fn draft_with(series: &str) -> CreateInvoice {
    CreateInvoice {
        invoice_series: series.into(),
        ..draft()
    }
}
