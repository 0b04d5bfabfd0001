//! When a client polls and how many requests it has on the wire: waits learn the jobs' pending
//! time (no poll at once, about one poll per job once learned), and `max_in_flight` bounds the
//! requests of a client however many calls run. Counts and lower bounds only: no test here
//! depends on the machine being fast.

mod support;

use std::time::{Duration, Instant};

use sepay_einvoice::{Client, ErrorKind, WaitOptions};
use sepay_einvoice_mock::{MockConfig, MockServer};
use serde_json::json;
use support::{builder, control, draft, fault};

/// A mock whose jobs complete `pending` after they are accepted, however often they are polled.
async fn timed_mock(pending: Duration) -> MockServer {
    MockServer::start(MockConfig {
        pending_polls: u32::MAX,
        pending_time: pending,
        quota: 10_000,
        ..MockConfig::default()
    })
    .await
    .expect("mock server starts")
}

async fn count(url: &str, route: &str) -> u64 {
    let stats = control(url, "stats").await;
    stats["requests"][route]
        .as_object()
        .map(|m| m.values().filter_map(|v| v.as_u64()).sum())
        .unwrap_or(0)
}

#[tokio::test]
async fn concurrent_waits_learn_the_pending_time_and_poll_about_once_per_job() {
    let mock = timed_mock(Duration::from_millis(300)).await;
    let client = builder(&mock.url()).build().expect("client");
    let jobs = 40;
    let waits = (0..jobs).map(|_| {
        let c = client.clone();
        async move {
            c.create_invoice_and_wait(&draft(), WaitOptions::default())
                .await
        }
    });
    for r in futures_util::future::join_all(waits).await {
        r.expect("every job is seen done");
    }
    let polls = count(&mock.url(), "check_create").await;
    // The API's fixed schedule (and this SDK before) polls every job at once, then at 2 s: 80.
    // Learned: one scout polls in short steps, every other job about once.
    assert!(
        polls <= jobs + jobs / 2 + 10,
        "{polls} polls for {jobs} jobs"
    );

    // Later jobs of this client poll first at the learned time: one poll each, usually.
    let before = count(&mock.url(), "check_create").await;
    for _ in 0..5 {
        client
            .create_invoice_and_wait(&draft(), WaitOptions::default())
            .await
            .expect("done");
    }
    let polls = count(&mock.url(), "check_create").await - before;
    assert!(polls <= 8, "{polls} polls for 5 sequential jobs");
}

#[tokio::test]
async fn explicit_intervals_keep_the_fixed_schedule() {
    let mock = timed_mock(Duration::from_millis(250)).await;
    let client = builder(&mock.url()).build().expect("client");
    let wait = WaitOptions::default()
        .timeout(Duration::from_secs(10))
        .poll_intervals(Duration::from_millis(100), Duration::from_millis(100));
    client
        .create_invoice_and_wait(&draft(), wait)
        .await
        .expect("done");
    // At once, then every 100 ms until 250 ms have passed: at least three polls.
    assert!(count(&mock.url(), "check_create").await >= 3);
}

/// Six calls to `route`, each answered after 200 ms, by a client that allows two at a time:
/// three rounds (without the cap they all overlap). Returns the mock, for its counts.
async fn six_calls_two_at_a_time<F, Fut, T>(route: &str, call: F) -> MockServer
where
    F: Fn(Client) -> Fut,
    Fut: std::future::Future<Output = sepay_einvoice::Result<T>>,
    T: std::fmt::Debug,
{
    let mock = timed_mock(Duration::ZERO).await;
    fault(
        &mock.url(),
        json!({"route": route, "kind": "latency", "latency_ms": 200}),
    )
    .await;
    let client = builder(&mock.url())
        .max_in_flight(2)
        .build()
        .expect("client");
    client.authenticate().await.expect("token");
    let started = Instant::now();
    let calls = (0..6).map(|_| call(client.clone()));
    for r in futures_util::future::join_all(calls).await {
        r.expect("every call completes");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(580),
        "finished in {:?}",
        started.elapsed()
    );
    mock
}

#[tokio::test]
async fn max_in_flight_queues_calls_beyond_it() {
    six_calls_two_at_a_time("get_usage", |c| async move { c.get_usage().await }).await;
}

#[tokio::test]
async fn a_call_that_finds_no_free_slot_before_its_deadline_sent_nothing() {
    let mock = timed_mock(Duration::ZERO).await;
    let url = mock.url();
    fault(
        &url,
        json!({"route": "get_usage", "kind": "latency", "latency_ms": 300}),
    )
    .await;
    let client = builder(&url)
        .max_in_flight(1)
        .max_retries(0)
        .call_timeout(Duration::from_millis(400))
        .build()
        .expect("client");
    client.authenticate().await.expect("token");
    // One slot, 400 ms each, 300 ms answers: the first call takes the slot, the second gets it
    // at 300 ms and runs out of time on the wire; the last ones never get it.
    let calls = (0..4).map(|_| {
        let c = client.clone();
        async move { c.get_usage().await }
    });
    let results = futures_util::future::join_all(calls).await;
    assert!(results[0].is_ok(), "{:?}", results[0]);
    let no_slot: Vec<_> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .filter(|e| e.to_string().contains("no request slot free"))
        .collect();
    assert!(!no_slot.is_empty(), "{results:?}");
    for e in no_slot {
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert!(!e.is_ambiguous(), "{e}");
    }
    // At most the two calls that held the slot reached the mock.
    assert!(count(&url, "get_usage").await <= 3);
}

#[tokio::test]
async fn zero_in_flight_is_refused_naming_the_setting() {
    let e = builder("http://127.0.0.1:9")
        .max_in_flight(0)
        .build()
        .expect_err("zero is refused");
    assert_eq!(e.field(), Some("max_in_flight"));
}

#[tokio::test]
async fn creates_beyond_max_in_flight_wait_their_turn_and_each_is_sent_once() {
    // Requests handed over (not lent): freed once sent.
    let mock = six_calls_two_at_a_time("create_invoice", |c| async move {
        c.create_invoice_and_wait(draft(), WaitOptions::default())
            .await
    })
    .await;
    assert_eq!(count(&mock.url(), "create_invoice").await, 6);
}

#[tokio::test]
async fn a_wait_whose_deadline_passes_in_the_queue_times_out_as_a_wait() {
    let mock = timed_mock(Duration::from_millis(100)).await;
    let url = mock.url();
    let client = builder(&url).max_in_flight(1).build().expect("client");
    let job = client.create_invoice(&draft()).await.expect("job");
    fault(
        &url,
        json!({"route": "create_invoice", "kind": "latency", "latency_ms": 1500}),
    )
    .await;
    let other = draft();
    let hog = client.create_invoice(&other);
    let wait = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        client
            .wait_for_status(
                &job,
                WaitOptions::default().timeout(Duration::from_millis(400)),
            )
            .await
    };
    let (_, waited) = tokio::join!(hog, wait);
    let e = waited.expect_err("the wait never got its turn");
    assert_eq!(e.kind(), ErrorKind::WaitTimeout, "{e}");
    assert_eq!(
        e.job().map(|j| j.reference_code.as_str()),
        Some(job.reference_code.as_str())
    );
    assert_eq!(count(&url, "check_create").await, 0);
}
