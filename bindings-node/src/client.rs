//! The native client: one method per operation, each translating its arguments, spawning the
//! core future and returning its promise; and the two small native objects the facade keeps
//! (a request object's reference-code memory, and the invoice iterator).

use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use sepay_einvoice as sdk;
use serde_json::Value;

use crate::batch::{self, ProgressFn};
use crate::conversion::{
    adjustment_sent, create_request, create_request_sent, flush, job_input, json_out,
    list_invoices_params, list_params, opt_bool, opt_bytes, opt_duration, opt_object, opt_string,
    opt_u32, replacement_sent, status_out, wait_options, Json, StatusFn,
};
use crate::errors::{guard, to_js_error};
use crate::logging::init_logging;
use crate::runtime::{spawn, spawn_js, CancelHandle};

/// The native client. Use the facade's `Client` (camelCase options, AbortSignal, error classes).
#[napi]
pub struct NativeClient {
    inner: sdk::Client,
}

/// A downloaded file.
#[napi(object)]
pub struct NativeFile {
    pub file_type: String,
    pub file_name: String,
    pub content: Buffer,
}

#[napi]
impl NativeClient {
    /// `options`: `{ clientId, clientSecret, environment, baseUrl, timeoutMs, connectTimeoutMs,
    /// callTimeoutMs, maxRetries, maxResponseBytes, maxDownloadBytes, appInfo, accountChecks,
    /// accountCacheTtlMs, strictRules, maxInFlight }`; unset values fall back to the environment.
    /// `binding` names the binding in the User-Agent (`node/20.20.2`).
    #[napi(constructor)]
    pub fn new(options: Option<Value>, binding: Option<String>) -> napi::Result<Self> {
        init_logging();
        guard(|| {
            let m = opt_object(options, "options")?;
            let mut b = sdk::Client::builder().binding(binding.unwrap_or_else(|| "node".into()));
            if let Some(v) = opt_string(&m, "clientId", "client_id")? {
                b = b.client_id(v);
            }
            if let Some(v) = opt_string(&m, "clientSecret", "client_secret")? {
                b = b.client_secret(v);
            }
            if let Some(v) = opt_string(&m, "environment", "environment")? {
                b = b.environment(v.parse()?);
            }
            if let Some(v) = opt_string(&m, "baseUrl", "base_url")? {
                b = b.base_url(v);
            }
            if let Some(v) = opt_string(&m, "appInfo", "app_info")? {
                b = b.app_info(v);
            }
            if let Some(d) = opt_duration(&m, "timeoutMs", "timeout")? {
                b = b.timeout(d);
            }
            if let Some(d) = opt_duration(&m, "connectTimeoutMs", "connect_timeout")? {
                b = b.connect_timeout(d);
            }
            if let Some(d) = opt_duration(&m, "callTimeoutMs", "call_timeout")? {
                b = b.call_timeout(d);
            }
            if let Some(n) = opt_u32(&m, "maxRetries", "max_retries")? {
                b = b.max_retries(n);
            }
            if let Some(n) = opt_bytes(&m, "maxResponseBytes", "max_response_bytes")? {
                b = b.max_response_bytes(n);
            }
            if let Some(n) = opt_bytes(&m, "maxDownloadBytes", "max_download_bytes")? {
                b = b.max_download_bytes(n);
            }
            if let Some(on) = opt_bool(&m, "accountChecks", "account_checks")? {
                b = b.account_checks(on);
            }
            if let Some(d) = opt_duration(&m, "accountCacheTtlMs", "account_cache_ttl")? {
                b = b.account_cache_ttl(d);
            }
            if let Some(on) = opt_bool(&m, "strictRules", "strict_rules")? {
                b = b.strict_rules(on);
            }
            if let Some(n) = opt_u32(&m, "maxInFlight", "max_in_flight")? {
                b = b.max_in_flight(n as usize);
            }
            Ok(NativeClient { inner: b.build()? })
        })
    }

    /// The base URL requests go to.
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_string()
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn authenticate<'e>(
        &self,
        env: &'e Env,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(
            env,
            cancel,
            async move { json_out(&c.authenticate().await?) },
        )
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_provider_accounts<'e>(
        &self,
        env: &'e Env,
        params: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let p = list_params(params)?;
            json_out(&c.list_provider_accounts(&p).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_provider_account<'e>(
        &self,
        env: &'e Env,
        id: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            json_out(&c.get_provider_account(&id).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_invoice<'e>(
        &self,
        env: &'e Env,
        request: Option<Value>,
        sent: Option<&SentReference>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        // Built here, synchronously: the code is claimed in `sent` before the promise exists.
        // Boxed: the task captures it and then owns it, two copies if held inline; the waits
        // hand it over, to be freed once sent.
        let req = create_request_sent(request, sent).map(Box::new);
        spawn(env, cancel, async move {
            let req = req?;
            json_out(&c.create_invoice(&req).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn issue_invoice<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            json_out(&c.issue_invoice(&reference_code).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn check_status<'e>(
        &self,
        env: &'e Env,
        job: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let job = job_input(job)?;
            Ok(status_out(&c.check_status(&job).await?))
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn wait_for_status<'e>(
        &self,
        env: &'e Env,
        job: Option<Value>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let job = job_input(job)?;
            let (o, sink) = wait_options(options, on_status)?;
            // The answer as JSON before the flush, so the invoice is not kept meanwhile.
            let r = c.wait_for_status(&job, o).await.and_then(|i| json_out(&i));
            flush(&sink).await;
            r
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn create_invoice_and_wait<'e>(
        &self,
        env: &'e Env,
        request: Option<Value>,
        sent: Option<&SentReference>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        let req = create_request_sent(request, sent).map(Box::new);
        spawn(env, cancel, async move {
            let req = req?;
            let (o, sink) = wait_options(options, on_status)?;
            let r = c
                .create_invoice_and_wait(req, o)
                .await
                .and_then(|i| json_out(&i));
            flush(&sink).await;
            r
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn issue_invoice_and_wait<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let (o, sink) = wait_options(options, on_status)?;
            let r = c
                .issue_invoice_and_wait(&reference_code, o)
                .await
                .and_then(|i| json_out(&i));
            flush(&sink).await;
            r
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn replace_invoice<'e>(
        &self,
        env: &'e Env,
        original_invoice_reference_code: String,
        request: Option<Value>,
        sent: Option<&SentReference>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        // Built here, synchronously: the code is claimed in `sent` before the promise exists.
        let req = replacement_sent(original_invoice_reference_code, request, sent).map(Box::new);
        spawn(env, cancel, async move {
            let req = req?;
            json_out(&c.replace_invoice(&req).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn adjust_invoice<'e>(
        &self,
        env: &'e Env,
        original_invoice_reference_code: String,
        adjustment_type: String,
        request: Option<Value>,
        sent: Option<&SentReference>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        let req = adjustment_sent(
            original_invoice_reference_code,
            &adjustment_type,
            request,
            sent,
        )
        .map(Box::new);
        spawn(env, cancel, async move {
            let req = req?;
            json_out(&c.adjust_invoice(&req).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    #[allow(clippy::too_many_arguments)]
    pub fn replace_invoice_and_wait<'e>(
        &self,
        env: &'e Env,
        original_invoice_reference_code: String,
        request: Option<Value>,
        sent: Option<&SentReference>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        let req = replacement_sent(original_invoice_reference_code, request, sent).map(Box::new);
        spawn(env, cancel, async move {
            let req = req?;
            let (o, sink) = wait_options(options, on_status)?;
            let r = c
                .replace_invoice_and_wait(req, o)
                .await
                .and_then(|i| json_out(&i));
            flush(&sink).await;
            r
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    #[allow(clippy::too_many_arguments)]
    pub fn adjust_invoice_and_wait<'e>(
        &self,
        env: &'e Env,
        original_invoice_reference_code: String,
        adjustment_type: String,
        request: Option<Value>,
        sent: Option<&SentReference>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((status: any) => void) | undefined | null")] on_status: Option<
            StatusFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        let req = adjustment_sent(
            original_invoice_reference_code,
            &adjustment_type,
            request,
            sent,
        )
        .map(Box::new);
        spawn(env, cancel, async move {
            let req = req?;
            let (o, sink) = wait_options(options, on_status)?;
            let r = c
                .adjust_invoice_and_wait(req, o)
                .await
                .and_then(|i| json_out(&i));
            flush(&sink).await;
            r
        })
    }

    /// Every problem of a create request, without sending it.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn preflight<'e>(
        &self,
        env: &'e Env,
        request: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let req = create_request(request)?;
            json_out(&c.preflight(&req).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_invoice<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            json_out(&c.get_invoice(&reference_code).await?)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn list_invoices<'e>(
        &self,
        env: &'e Env,
        params: Option<Value>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let p = list_invoices_params(params)?;
            json_out(&c.list_invoices(&p).await?)
        })
    }

    /// Every invoice, page after page (the core's `iter_invoices`).
    #[napi]
    pub fn iter_invoices(&self, params: Option<Value>) -> napi::Result<InvoiceIterator> {
        guard(|| {
            let p = list_invoices_params(params)?;
            Ok(InvoiceIterator {
                stream: Arc::new(tokio::sync::Mutex::new(self.inner.iter_invoices(&p))),
            })
        })
    }

    #[napi(ts_return_type = "Promise<NativeFile>")]
    pub fn download_invoice<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        file_type: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, NativeFile>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            let ft: sdk::FileType = file_type.parse()?;
            let f = c.download_invoice(&reference_code, ft).await?;
            Ok(NativeFile {
                file_type: f.file_type.as_str().to_string(),
                file_name: f.file_name,
                content: f.content.into(),
            })
        })
    }

    #[napi(ts_return_type = "Promise<null>")]
    pub fn delete_draft<'e>(
        &self,
        env: &'e Env,
        reference_code: String,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move {
            c.delete_draft(&reference_code).await?;
            Ok(Value::Null)
        })
    }

    #[napi(ts_return_type = "Promise<any>")]
    pub fn get_usage<'e>(
        &self,
        env: &'e Env,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let c = self.inner.clone();
        spawn(env, cancel, async move { json_out(&c.get_usage().await?) })
    }

    /// Issues a batch (`sepay_einvoice_batch::run`). `rows`: `[{ key, request }]`; `options`:
    /// `{ journal, batch, concurrency, draft, rowTimeoutMs, waitTimeoutMs, pollIntervalMs,
    /// worker, leaseMs }`; `onProgress` gets each progress report.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn issue_batch<'e>(
        &self,
        env: &'e Env,
        rows: Option<Value>,
        options: Option<Value>,
        #[napi(ts_arg_type = "((progress: any) => void) | undefined | null")] on_progress: Option<
            ProgressFn,
        >,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn_js(env, cancel, async move {
            let run = batch::run_options(options, on_progress).map_err(|e| to_js_error(&e))?;
            let rows = batch::rows(rows, run.draft()).map_err(|e| to_js_error(&e))?;
            batch::issue(c, rows, run).await
        })
    }

    /// Works the rows already journaled (`sepay_einvoice_batch::resume`), after putting the
    /// failed ones back to pending when `retryFailed`. `options` as for `issueBatch`.
    #[napi(ts_return_type = "Promise<any>")]
    pub fn resume_batch<'e>(
        &self,
        env: &'e Env,
        options: Option<Value>,
        #[napi(ts_arg_type = "((progress: any) => void) | undefined | null")] on_progress: Option<
            ProgressFn,
        >,
        retry_failed: bool,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        let c = self.inner.clone();
        spawn_js(env, cancel, async move {
            let run = batch::run_options(options, on_progress).map_err(|e| to_js_error(&e))?;
            batch::resume(c, run, retry_failed).await
        })
    }

    /// The journal's rows of `batch` (every batch when absent).
    #[napi(ts_return_type = "Promise<any>")]
    pub fn batch_status<'e>(
        &self,
        env: &'e Env,
        journal: String,
        batch: Option<String>,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Value>> {
        spawn_js(env, cancel, batch::status(journal, batch))
    }
}

/// The memory a JavaScript request object keeps of the reference code it was sent with (the
/// facade keys it by the object in a `WeakMap`): the core's own `SentReference`, in which the
/// core claims the code before anything is sent.
#[napi]
pub struct SentReference {
    pub(crate) inner: sdk::SentReference,
}

impl Default for SentReference {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl SentReference {
    #[napi(constructor)]
    pub fn new() -> Self {
        SentReference {
            inner: sdk::SentReference::default(),
        }
    }

    /// The code, once the object has been sent.
    #[napi(getter)]
    pub fn code(&self) -> Option<String> {
        self.inner.get()
    }

    /// Forgets the code: the next send takes a new one.
    #[napi]
    pub fn forget(&self) {
        self.inner.forget();
    }
}

/// The async iterator behind `client.iterInvoices()`.
#[napi]
pub struct InvoiceIterator {
    stream: Arc<tokio::sync::Mutex<sdk::InvoiceStream>>,
}

#[napi]
impl InvoiceIterator {
    /// The next invoice, or `null` after the last one.
    #[napi(ts_return_type = "Promise<any | null>")]
    pub fn next_invoice<'e>(
        &self,
        env: &'e Env,
        cancel: Option<&CancelHandle>,
    ) -> napi::Result<PromiseRaw<'e, Json>> {
        let s = self.stream.clone();
        spawn(env, cancel, async move {
            let mut s = s.lock().await;
            match s.next_invoice().await {
                None => Ok(Json::null()),
                Some(r) => json_out(&r?),
            }
        })
    }
}
