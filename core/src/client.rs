//! The client and its endpoint methods.

use std::sync::Arc;

use base64::Engine;
use serde::Deserialize;
use tokio::time::Instant;

use crate::auth::TokenInfo;
use crate::config::ClientBuilder;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{
    CorrectionWire, CreateInvoice, FileType, Invoice, InvoiceFile, InvoiceStatus, Job, JobKind,
    JobState, JobStatus, ListInvoicesParams, ListParams, Page, ProviderAccount,
    ProviderAccountDetail, Usage,
};
use crate::preflight::Submission;
use crate::reconcile::{self, reconciled};
use crate::transport::{Call, Inner};
use crate::validate;

/// The API code of a download whose file is not produced yet. **Inferred**: SePay documents no
/// such answer; peers of this SDK retry an empty file after issuance, and the mock can answer
/// either way.
pub const FILE_NOT_READY: &str = "FILE_NOT_READY";
/// First pause before asking again for a file that is not ready.
const FILE_FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(250);
/// Longest pause between two asks for a file.
const FILE_MAX_PAUSE: std::time::Duration = std::time::Duration::from_secs(2);

/// The documented code of a reference code already taken.
const DOCUMENT_EXISTED: &str = "EINVOICE_DOCUMENT_EXISTED";

/// A client for the SePay eInvoice API.
///
/// Cheap to clone (one `Arc`); clones share the connection pool and the token cache. `Send + Sync`,
/// so one client serves a whole application.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.config.display_base_url)
            .field("client_id", &self.inner.config.client_id)
            .field("client_secret", &self.inner.config.client_secret)
            .field("tokens", &self.inner.tokens)
            .field("timeout", &self.inner.config.attempt_timeout)
            .field("call_timeout", &self.inner.config.call_timeout)
            .field("max_retries", &self.inner.config.retry.max_retries)
            .finish()
    }
}

/// The download answer. `content` is decoded from base64 while the JSON is read, straight from
/// the response body: a large file is held as text and as bytes (plus serde_json's unescaped
/// copy only when the server escapes characters such as `/` inside the string).
#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    file_type: Option<FileType>,
    #[serde(default)]
    file_name: Option<String>,
    content: Base64Content,
}

struct Base64Content(Vec<u8>);

impl<'de> Deserialize<'de> for Base64Content {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Base64Content;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("base64 text")
            }
            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<Self::Value, E> {
                let engine = base64::engine::general_purpose::STANDARD;
                // Line breaks inside base64 are common; strip them only when present.
                let decoded = if v.bytes().any(|b| b.is_ascii_whitespace()) {
                    let cleaned: Vec<u8> = v.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                    engine.decode(cleaned)
                } else {
                    engine.decode(v.as_bytes())
                };
                decoded
                    .map(Base64Content)
                    .map_err(|e| E::custom(format!("file content is not valid base64: {e}")))
            }
        }
        d.deserialize_str(V)
    }
}

/// The create/issue answer.
#[derive(Deserialize)]
struct Accepted {
    tracking_code: String,
    #[serde(default)]
    tracking_url: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured entirely from the environment variables
    /// (`SEPAY_EINVOICE_CLIENT_ID`, `SEPAY_EINVOICE_CLIENT_SECRET`, `SEPAY_EINVOICE_ENV`,
    /// `SEPAY_EINVOICE_BASE_URL`).
    pub fn from_env() -> Result<Client> {
        ClientBuilder::default().build()
    }

    pub(crate) fn deadline(&self) -> Instant {
        crate::clock::after(Instant::now(), self.inner.config.call_timeout)
    }

    /// The base URL requests go to (a password in it shown as `***`).
    pub fn base_url(&self) -> &str {
        &self.inner.config.display_base_url
    }

    /// Fetches (or reuses) an access token, checking the credentials. Calls fetch tokens on their
    /// own; this is for checking the configuration early. The token itself is never exposed.
    pub async fn authenticate(&self) -> Result<TokenInfo> {
        self.inner
            .token(self.deadline())
            .await
            .map(|(_, info)| info)
    }

    /// Lists the provider accounts (`GET /v1/provider-accounts`).
    pub async fn list_provider_accounts(
        &self,
        params: &ListParams,
    ) -> Result<Page<ProviderAccount>> {
        validate::paging(params.page, params.per_page)?;
        let call = Call::get(&["v1", "provider-accounts"])
            .query("page", params.page)
            .query("per_page", params.per_page);
        self.inner.execute(&call, self.deadline()).await
    }

    /// One provider account with its templates (`GET /v1/provider-accounts/{id}`).
    pub async fn get_provider_account(&self, id: &str) -> Result<ProviderAccountDetail> {
        validate::code("id", id)?;
        self.inner
            .execute(
                &Call::get(&["v1", "provider-accounts", id]),
                self.deadline(),
            )
            .await
    }

    /// Creates an invoice (`POST /v1/invoices/create`): a draft when `is_draft`, else signed and
    /// sent at once. Returns the job to wait on.
    ///
    /// Exactly one invoice results per request object: the request is validated first, a
    /// `reference_code` is generated when missing, kept across retries and remembered on the
    /// object; a 409 `EINVOICE_DOCUMENT_EXISTED` is reconciled into a job that follows the
    /// existing invoice only when that invoice matches the request (see the README's "Exactly
    /// one invoice"), else it is a [`ErrorKind::Conflict`]. Every error after validation
    /// carries the reference code; when the invoice may exist ([`Error::is_ambiguous`]), its
    /// message says how to retry without creating a second one.
    pub async fn create_invoice(&self, req: &CreateInvoice) -> Result<Job> {
        self.submit(Submission::create(req)).await
    }

    /// Sends a create, replace or adjust: every local check, the account check, the reference
    /// code claimed on the request object, then the request with 409 reconciliation.
    pub(crate) async fn submit(&self, s: Submission<'_>) -> Result<Job> {
        let deadline = self.deadline();
        let _admitted = self.inner.admit(deadline).await?;
        // Boxed once admitted: a submission queued behind `max_in_flight` others holds only
        // its request, not the room its checks and its exchange take.
        Box::pin(self.submit_admitted(s, deadline)).await
    }

    async fn submit_admitted(&self, s: Submission<'_>, deadline: Instant) -> Result<Job> {
        let prepared = self.prepare(&s, deadline).await?;
        let reference_code = prepared.reference_code.clone();
        let call = match s.original {
            None => Call::post(s.path).json(&prepared.wire)?,
            Some(original) => Call::post(s.path).json(&CorrectionWire {
                invoice: &prepared.wire,
                original_invoice_reference_code: original,
                adjustment_type: s.adjustment_type(),
            })?,
        }
        .personal_data(&prepared.wire.buyer);
        let expected = || reconcile::Expected {
            wire: &prepared.wire,
            kind: s.kind.clone(),
            original: s.original,
            adjustment_type: s.adjustment_type(),
        };
        let result = match self.inner.execute::<Accepted>(&call, deadline).await {
            Ok(a) => {
                let job = accepted_job(s.kind.clone(), a, reference_code);
                self.inner.job_timing.started(&job);
                Ok(job)
            }
            // The reference code is taken (documented code, or a 409 without one).
            Err(e)
                if e.kind() == ErrorKind::Conflict
                    && e.api_code().is_none_or(|c| c == DOCUMENT_EXISTED) =>
            {
                let ours = prepared.sent_before || earlier_attempt_may_have_acted(&e);
                reconcile::after_conflict(
                    &self.inner,
                    expected(),
                    reference_code,
                    e,
                    ours,
                    deadline,
                )
                .await
            }
            // A correction sent before may be refused because of itself (its original is
            // already replaced — by it): look before calling it a refusal.
            Err(e)
                if e.kind() == ErrorKind::CorrectionRefused
                    && (prepared.sent_before || earlier_attempt_may_have_acted(&e)) =>
            {
                let e = e.with_reference_code(Some(reference_code.clone()));
                reconcile::after_refusal(&self.inner, expected(), reference_code, e, deadline).await
            }
            Err(e) => Err(create_failed(e, reference_code)),
        };
        if let (Err(e), Some(sent)) = (&result, &prepared.sent) {
            // A certain refusal created nothing: the object may be corrected and sent again.
            // A correction refused after an unclear earlier send may be refused because of itself.
            let maybe_ours = e.kind() == ErrorKind::CorrectionRefused
                && (prepared.sent_before || earlier_attempt_may_have_acted(e));
            let refused = !e.is_ambiguous()
                && !maybe_ours
                && !matches!(e.kind(), ErrorKind::Conflict | ErrorKind::InvoiceFailed);
            if refused {
                if let Some(code) = e.reference_code() {
                    sent.settle_refused(code);
                }
            }
        }
        result.map_err(|e| e.scrubbed(&self.inner.scrubber_for(&call)))
    }

    /// Issues a draft (`POST /v1/invoices/issue`). Returns the job to wait on.
    pub async fn issue_invoice(&self, reference_code: &str) -> Result<Job> {
        validate::code("reference_code", reference_code)?;
        let call = Call::post(&["v1", "invoices", "issue"])
            .json(&serde_json::json!({ "reference_code": reference_code }))?;
        match self.inner.execute::<Accepted>(&call, self.deadline()).await {
            Ok(a) => {
                let job = accepted_job(JobKind::Issue, a, reference_code.into());
                self.inner.job_timing.started(&job);
                Ok(job)
            }
            // An earlier attempt may have started the issuance; the API then refuses a second one.
            Err(e)
                if matches!(e.kind(), ErrorKind::BadRequest | ErrorKind::Conflict)
                    && earlier_attempt_may_have_acted(&e) =>
            {
                tracing::warn!(reference_code, "issue retried after an unclear attempt and the API refused a second issuance: following the invoice");
                Ok(reconciled(JobKind::Issue, reference_code.into()))
            }
            Err(e) => Err(e.with_reference_code(Some(reference_code.into()))),
        }
    }

    /// Asks the API once where a job stands (`GET /v1/invoices/{create|issue}/check/{code}`;
    /// replacements and adjustments are checked like a create — inferred, see [`check_stage`]).
    /// A reconciled job (no tracking code) is checked through the invoice itself.
    pub async fn check_status(&self, job: &Job) -> Result<JobStatus> {
        self.check_status_until(job, self.deadline()).await
    }

    pub(crate) async fn check_status_until(
        &self,
        job: &Job,
        deadline: Instant,
    ) -> Result<JobStatus> {
        let Some(stage) = check_stage(&job.kind) else {
            return Err(Error::validation(
                "job.kind",
                format!(
                    "must be \"create\", \"issue\", \"replace\" or \"adjust\", got {:?}",
                    job.kind.as_str()
                ),
            ));
        };
        let Some(tc) = &job.tracking_code else {
            return self.status_from_invoice(job, deadline).await;
        };
        validate::code("job.tracking_code", tc)?;
        self.inner
            .execute(
                &Call::get(&["v1", "invoices", stage, "check", tc]),
                deadline,
            )
            .await
    }

    async fn status_from_invoice(&self, job: &Job, deadline: Instant) -> Result<JobStatus> {
        validate::code("job.reference_code", &job.reference_code)?;
        let pending = |msg: &str| JobStatus {
            state: JobState::Pending,
            message: Some(msg.into()),
            reference_code: Some(job.reference_code.clone()),
            invoice: None,
        };
        match self
            .inner
            .execute::<Invoice>(
                &Call::get(&["v1", "invoices", &job.reference_code]),
                deadline,
            )
            .await
        {
            Ok(inv) if job.kind == JobKind::Issue && inv.status == InvoiceStatus::Draft => {
                Ok(pending("waiting for the invoice to be issued"))
            }
            // A create or issue never ends in a cancelled (or unknown) invoice.
            Ok(inv) if !matches!(inv.status, InvoiceStatus::Draft | InvoiceStatus::Issued) => {
                Ok(JobStatus {
                    state: JobState::Failed,
                    message: Some(format!(
                        "the invoice with this reference code is {:?}, not the result of this job",
                        inv.status.as_str()
                    )),
                    reference_code: Some(inv.reference_code.clone()),
                    invoice: None,
                })
            }
            Ok(inv) => Ok(JobStatus {
                state: JobState::Success,
                message: None,
                reference_code: Some(inv.reference_code.clone()),
                invoice: Some(inv),
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                Ok(pending("waiting for the invoice to appear"))
            }
            Err(e) => Err(e),
        }
    }

    /// One invoice with its lines (`GET /v1/invoices/{reference_code}`).
    pub async fn get_invoice(&self, reference_code: &str) -> Result<Invoice> {
        validate::code("reference_code", reference_code)?;
        self.inner
            .execute(
                &Call::get(&["v1", "invoices", reference_code]),
                self.deadline(),
            )
            .await
    }

    /// One page of invoices (`GET /v1/invoices`).
    pub async fn list_invoices(&self, params: &ListInvoicesParams) -> Result<Page<Invoice>> {
        validate::paging(params.page, params.per_page)?;
        if let Some(s) = &params.source {
            if !s.is_known() {
                return Err(Error::validation(
                    "source",
                    format!("must be \"manual\" or \"api\", got {:?}", s.as_str()),
                ));
            }
        }
        let call = Call::get(&["v1", "invoices"])
            .query("page", params.page)
            .query("per_page", params.per_page)
            .query(
                "source",
                params.source.as_ref().map(|s| s.as_str().to_string()),
            );
        self.inner.execute(&call, self.deadline()).await
    }

    /// Downloads an issued invoice as PDF or XML (`GET /v1/invoices/{code}/download`), decoded
    /// from base64.
    ///
    /// Providers may need a moment after issuance to produce the file: while the answer has empty
    /// content, or the not-ready code ([`FILE_NOT_READY`], inferred), the SDK asks again with a
    /// growing pause (0.25 s, doubling to 2 s) within the call's deadline, then fails with
    /// [`ErrorKind::WaitTimeout`].
    pub async fn download_invoice(
        &self,
        reference_code: &str,
        file_type: FileType,
    ) -> Result<InvoiceFile> {
        validate::code("reference_code", reference_code)?;
        let deadline = self.deadline();
        let started = Instant::now();
        let call = Call::get(&["v1", "invoices", reference_code, "download"])
            .query("type", Some(file_type.as_str()))
            .download();
        let mut pause = FILE_FIRST_PAUSE;
        let mut asked = 0u32;
        let not_ready_error = |asked: u32| {
            Error::new(
                ErrorKind::WaitTimeout,
                format!(
                    "the {} of invoice {reference_code:?} was still not ready after {asked} requests in {:.1} s (the provider produces files shortly after issuance); download it again later",
                    file_type.as_str(),
                    started.elapsed().as_secs_f64()
                ),
            )
            .with_reference_code(Some(reference_code.into()))
            .with_elapsed(started.elapsed())
        };
        let raw: RawFile = loop {
            asked += 1;
            let answer = self.inner.execute::<RawFile>(&call, deadline).await;
            let not_ready = match &answer {
                Ok(raw) => raw.content.0.is_empty(),
                Err(e) => e.api_code() == Some(FILE_NOT_READY),
            };
            match answer {
                Ok(raw) if !not_ready => break raw,
                // The deadline ran out while asking again for a file that was not ready.
                Err(e) if e.kind() == ErrorKind::Timeout && asked > 1 => {
                    return Err(not_ready_error(asked))
                }
                Err(e) if !not_ready => {
                    return Err(e.with_reference_code(Some(reference_code.into())))
                }
                _ => {}
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(not_ready_error(asked));
            }
            tracing::debug!(
                reference_code,
                asked,
                "invoice file not ready yet; asking again"
            );
            tokio::time::sleep(pause.min(remaining)).await;
            pause = (pause * 2).min(FILE_MAX_PAUSE);
        };
        let content = raw.content.0;
        let file_type = raw.file_type.unwrap_or(file_type);
        let file_name = raw
            .file_name
            .unwrap_or_else(|| format!("{reference_code}.{}", file_type.as_str()));
        Ok(InvoiceFile {
            file_type,
            file_name,
            content,
        })
    }

    /// Deletes a draft for good (`POST /v1/invoices/delete/{reference_code}`).
    pub async fn delete_draft(&self, reference_code: &str) -> Result<()> {
        validate::code("reference_code", reference_code)?;
        let call = Call::post(&["v1", "invoices", "delete", reference_code]);
        match self
            .inner
            .execute::<serde_json::Value>(&call, self.deadline())
            .await
        {
            Ok(_) => Ok(()),
            // A retry after an unclear attempt finds the draft already gone: that attempt deleted it.
            Err(e) if e.kind() == ErrorKind::NotFound && earlier_attempt_may_have_acted(&e) => {
                Ok(())
            }
            Err(e) => Err(e.with_reference_code(Some(reference_code.into()))),
        }
    }

    /// Remaining issuance quota (`GET /v1/usage`).
    pub async fn get_usage(&self) -> Result<Usage> {
        self.inner
            .execute(&Call::get(&["v1", "usage"]), self.deadline())
            .await
    }
}

impl ClientBuilder {
    /// Builds the client. Fails with a validation error naming the missing or bad setting.
    pub fn build(self) -> Result<Client> {
        let config = self.into_config()?;
        Ok(Client {
            inner: Arc::new(Inner::new(config)?),
        })
    }
}

/// The check endpoint's stage for a job kind. **Inferred** for replacements and adjustments:
/// SePay's docs do not show their check endpoint; they answer a `tracking_code` like a create, so
/// the SDK (and its mock) check them on `/v1/invoices/create/check/{tracking_code}`.
pub(crate) fn check_stage(kind: &JobKind) -> Option<&'static str> {
    match kind {
        JobKind::Create | JobKind::Replace | JobKind::Adjust => Some("create"),
        JobKind::Issue => Some("issue"),
        JobKind::Other(_) => None,
    }
}

/// A job for an accepted create or issue. A tracking code that cannot be used in a URL does
/// not make the job unusable (the invoice exists by now): the job follows the reference code.
fn accepted_job(kind: JobKind, a: Accepted, reference_code: String) -> Job {
    let usable = validate::is_safe_segment(&a.tracking_code);
    if !usable {
        tracing::warn!(
            reference_code,
            "the API answered a tracking code that cannot be used in a URL; following the invoice by reference code"
        );
    }
    Job {
        kind,
        tracking_code: usable.then_some(a.tracking_code),
        tracking_url: a.tracking_url,
        reference_code,
        message: a.message,
    }
}

/// A create error after validation: it always names the reference code, and when the invoice
/// may exist it says how to retry without a duplicate.
fn create_failed(e: Error, reference_code: String) -> Error {
    let advice = format!(
        "the invoice may have been created: retry with the same request object or with reference code {reference_code:?}, and the SDK will find it instead of creating a second one"
    );
    let ambiguous = e.is_ambiguous();
    let e = e.with_reference_code(Some(reference_code));
    if ambiguous {
        e.with_advice(&advice)
    } else {
        e
    }
}

/// Whether any attempt before the last may have been acted on by the server.
fn earlier_attempt_may_have_acted(e: &Error) -> bool {
    let h = e.history();
    h.len() > 1 && h[..h.len() - 1].iter().any(|a| a.ambiguous)
}
