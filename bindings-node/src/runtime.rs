//! Cancellation and the promise of each call: every async method takes an optional
//! [`CancelHandle`] that the facade triggers from an `AbortSignal`; the core future is raced
//! against it and dropped on abort, which stops the polling and the request in flight. Panics
//! become a `SePayError`.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use sepay_einvoice as sdk;
use tokio::sync::watch;

use crate::errors::{abort_error, panic_error, to_js_error};

/// A cancel switch for one call. The facade creates one per call that has an `AbortSignal` and
/// calls `cancel()` when the signal aborts.
#[napi]
pub struct CancelHandle {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for CancelHandle {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl CancelHandle {
    #[napi(constructor)]
    pub fn new() -> Self {
        let (tx, _rx) = watch::channel(false);
        CancelHandle { tx: Arc::new(tx) }
    }

    /// Cancels the call: its promise rejects with an AbortError and the work in flight stops.
    #[napi]
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    /// Whether `cancel()` was called.
    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        *self.tx.borrow()
    }
}

async fn cancelled(mut rx: watch::Receiver<bool>) {
    if rx.wait_for(|v| *v).await.is_err() {
        // The handle is gone without cancelling: never fires.
        std::future::pending::<()>().await;
    }
}

/// Spawns `fut` on the addon's runtime and returns its promise. The future is raced against the
/// cancel handle (dropping it on abort) and panics become a `SePayError`.
pub fn spawn<'e, T, F>(
    env: &'e Env,
    cancel: Option<&CancelHandle>,
    fut: F,
) -> napi::Result<PromiseRaw<'e, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = sdk::Result<T>> + Send + 'static,
{
    // A combinator, not an `async move` block: a block would hold the future twice (as its
    // capture and as the future it awaits), and each wrapper layer doubles a call's memory.
    spawn_js(env, cancel, fut.map(|r| r.map_err(|e| to_js_error(&e))))
}

/// [`spawn`] for a future whose errors are already JavaScript errors (the batch runner's).
pub fn spawn_js<'e, T, F>(
    env: &'e Env,
    cancel: Option<&CancelHandle>,
    fut: F,
) -> napi::Result<PromiseRaw<'e, T>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = napi::Result<T>> + Send + 'static,
{
    let rx = cancel.map(|c| c.tx.subscribe());
    // Boxed once, here: the wrapper below then carries a pointer instead of a copy of the whole
    // call's state. Unboxed, each wrapper layer held its own copy and a waiting call took 37 KB
    // (10,000 waits: 370 MB of tasks).
    let fut = Box::pin(fut);
    // One task per call, settling its promise through the thread's one threadsafe function
    // (`settle.rs`). napi's `Env::spawn_future` would add a second task per call to turn a
    // panic into a rejection, which `catch_unwind` here already does, and a threadsafe function
    // per call.
    let (pending, promise) = crate::settle::promise(env)?;
    napi::bindgen_prelude::spawn(async move {
        let guarded = AssertUnwindSafe(fut).catch_unwind();
        let result = match rx {
            Some(rx) => {
                tokio::select! {
                    biased;
                    _ = cancelled(rx) => Ok(Err(abort_error())),
                    r = guarded => r,
                }
            }
            None => guarded.await,
        };
        pending.settle(result.unwrap_or_else(|p| Err(panic_error(p))));
    });
    Ok(promise)
}
