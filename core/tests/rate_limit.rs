//! One shared back-off: a 429 to one call makes every call of the same client wait it out,
//! instead of each call finding the limit on its own.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::{builder, control, fault, mock};

#[tokio::test]
async fn a_429_pauses_the_other_calls_of_the_client() {
    let m = mock().await;
    let url = m.url();
    let c = builder(&url).max_retries(2).build().expect("client");
    c.authenticate().await.expect("token");
    fault(
        &url,
        json!({"route": "get_usage", "kind": "status", "status": 429, "retry_after": 1, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.get_usage().await })
    };
    // Let the first call meet the 429, then start another call of the same client.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = c.get_usage().await.expect("second call");
    let second_done = started.elapsed();
    first.await.expect("task").expect("first call");
    assert_eq!(second.quota_remaining, 1000);
    // The second call was held until the first one's Retry-After had passed.
    assert!(second_done >= Duration::from_millis(950), "{second_done:?}");
    let stats = control(&url, "stats").await;
    assert_eq!(stats["requests"]["get_usage"]["429"], 1);
    assert_eq!(stats["requests"]["get_usage"]["200"], 2);
    // Another client is not held by this one's back-off.
    let other = builder(&url).build().expect("client");
    let t = Instant::now();
    other.get_usage().await.expect("other client");
    assert!(t.elapsed() < Duration::from_millis(900));
}
