//! Node.js binding of the `sepay-einvoice` core (napi-rs).
//!
//! This crate only translates: JavaScript values in, the core's canonical JSON out, with keys
//! turned from the API's snake_case into camelCase and back. Retries, validation, waiting and
//! pagination all live in the core. The public JavaScript API is the hand-written facade
//! (`index.cjs` / `index.mjs` / `index.d.ts`) over the generated loader (`native.js`).
//!
//! By concern, as in the Python binding: `client.rs` (the native client, one method per
//! operation), `batch.rs` (the batch runner of `sepay-einvoice-batch`), `conversion.rs` (values
//! in and out), `errors.rs` (errors and panics → JavaScript), `runtime.rs` (promises and
//! `AbortSignal` cancellation), `settle.rs` (results to their promises, one threadsafe function per
//! thread), `logging.rs`, and `mock.rs` (the bundled mock server started
//! in-process for `sepay-einvoice/testing`).
#![deny(clippy::all)]

mod batch;
mod client;
mod conversion;
mod errors;
mod logging;
mod mock;
mod runtime;
mod settle;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sepay_einvoice as sdk;
use serde_json::Value;

use conversion::{create_request, out};
use errors::guard;
use runtime::spawn;

/// Local preview of the totals the API will compute for a create request (no request is sent).
#[napi(ts_return_type = "any")]
pub fn totals(request: Option<Value>) -> napi::Result<Value> {
    guard(|| out(&create_request(request)?.totals()))
}

/// The core's version.
#[napi]
pub fn core_version() -> String {
    sdk::VERSION.to_string()
}

/// The ids of the mock's seeded provider accounts (for `sepay-einvoice/testing`).
#[napi]
pub fn mock_accounts() -> mock::NativeMockAccounts {
    mock::NativeMockAccounts {
        matbao: sepay_einvoice_mock::ACCOUNT_MATBAO.into(),
        bkav: sepay_einvoice_mock::ACCOUNT_BKAV.into(),
        mifi: sepay_einvoice_mock::ACCOUNT_MIFI.into(),
    }
}

/// Test hook: panics inside the addon (synchronously, or inside an async call when `in_async`),
/// to check that a panic reaches JavaScript only as an "Internal" error.
#[doc(hidden)]
#[napi(js_name = "__panicForTests", ts_return_type = "Promise<never>")]
pub fn panic_for_tests<'e>(env: &'e Env, in_async: bool) -> napi::Result<PromiseRaw<'e, Value>> {
    if !in_async {
        guard::<()>(|| panic!("test panic (sync)"))?;
    }
    spawn(env, None, async {
        if std::hint::black_box(true) {
            panic!("test panic (async)");
        }
        Ok(Value::Null)
    })
}
