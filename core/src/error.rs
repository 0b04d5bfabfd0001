//! One error type for every failure the SDK can report, with a [`ErrorKind`] to branch on.

use std::fmt;
use std::time::Duration;

use crate::model::{Job, JobStatus};

/// Result alias used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a closed set the bindings map to their own exception classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Bad input caught before any request was sent.
    Validation,
    /// HTTP 400 (and any other 4xx without a more specific kind).
    BadRequest,
    /// HTTP 401: credentials or token rejected.
    Authentication,
    /// HTTP 403 other than `QUOTA_EXCEEDED`.
    PermissionDenied,
    /// HTTP 403 `QUOTA_EXCEEDED`: the issuance quota is used up.
    QuotaExceeded,
    /// HTTP 404.
    NotFound,
    /// HTTP 409, e.g. `EINVOICE_DOCUMENT_EXISTED`.
    Conflict,
    /// HTTP 422: valid syntax the business rules reject.
    Unprocessable,
    /// HTTP 429.
    RateLimited,
    /// HTTP 5xx.
    Server,
    /// An attempt or the whole call deadline ran out.
    Timeout,
    /// The transport failed (connect, reset, dropped connection).
    Connection,
    /// A response the SDK could not read.
    Decode,
    /// A create or issue job ended `Failed`.
    InvoiceFailed,
    /// The wait deadline passed while the job was still `Pending`.
    WaitTimeout,
    /// A replacement or adjustment refused because of its original (already replaced, not
    /// issued, another provider account, cancelled); `api_code` says which.
    CorrectionRefused,
}

impl ErrorKind {
    /// The kind's name as written in DESIGN.md and the conformance scenarios (`"QuotaExceeded"`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "Validation",
            ErrorKind::BadRequest => "BadRequest",
            ErrorKind::Authentication => "Authentication",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::QuotaExceeded => "QuotaExceeded",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Unprocessable => "Unprocessable",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::Server => "Server",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Connection => "Connection",
            ErrorKind::Decode => "Decode",
            ErrorKind::InvoiceFailed => "InvoiceFailed",
            ErrorKind::WaitTimeout => "WaitTimeout",
            ErrorKind::CorrectionRefused => "CorrectionRefused",
        }
    }

    /// The kind as a stable upper-case code (`"QUOTA_EXCEEDED"`), used as Node's `error.code`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Validation => "VALIDATION",
            ErrorKind::BadRequest => "BAD_REQUEST",
            ErrorKind::Authentication => "AUTHENTICATION",
            ErrorKind::PermissionDenied => "PERMISSION_DENIED",
            ErrorKind::QuotaExceeded => "QUOTA_EXCEEDED",
            ErrorKind::NotFound => "NOT_FOUND",
            ErrorKind::Conflict => "CONFLICT",
            ErrorKind::Unprocessable => "UNPROCESSABLE",
            ErrorKind::RateLimited => "RATE_LIMITED",
            ErrorKind::Server => "SERVER",
            ErrorKind::Timeout => "TIMEOUT",
            ErrorKind::Connection => "CONNECTION",
            ErrorKind::Decode => "DECODE",
            ErrorKind::InvoiceFailed => "INVOICE_FAILED",
            ErrorKind::WaitTimeout => "WAIT_TIMEOUT",
            ErrorKind::CorrectionRefused => "CORRECTION_REFUSED",
        }
    }

    /// Whether the kind is an answer from the API over HTTP (status code present).
    pub fn is_api(self) -> bool {
        matches!(
            self,
            ErrorKind::BadRequest
                | ErrorKind::Authentication
                | ErrorKind::PermissionDenied
                | ErrorKind::QuotaExceeded
                | ErrorKind::NotFound
                | ErrorKind::Conflict
                | ErrorKind::Unprocessable
                | ErrorKind::RateLimited
                | ErrorKind::Server
                | ErrorKind::CorrectionRefused
        )
    }

    /// The kind for an API `error.code` the SDK knows, whatever the HTTP status it came with
    /// (the docs say to branch on the code). `None` for codes that carry no more than the status.
    pub fn from_api_code(api_code: &str) -> Option<ErrorKind> {
        crate::catalogue::lookup(api_code).map(|e| e.kind)
    }

    /// The kind for an HTTP error status and API `error.code`: a known code wins, else the status.
    pub fn from_status(status: u16, api_code: Option<&str>) -> ErrorKind {
        if let Some(kind) = api_code.and_then(ErrorKind::from_api_code) {
            return kind;
        }
        match status {
            400 => ErrorKind::BadRequest,
            401 => ErrorKind::Authentication,
            403 if api_code == Some("QUOTA_EXCEEDED") => ErrorKind::QuotaExceeded,
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            408 => ErrorKind::Timeout,
            409 => ErrorKind::Conflict,
            422 => ErrorKind::Unprocessable,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::BadRequest,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One attempt of a call, kept so a final error can explain what was tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Request id the server gave, if any.
    pub request_id: Option<String>,
    /// Why the attempt did not succeed (a short description).
    pub outcome: String,
    /// How long the SDK slept after this attempt before the next one.
    pub delay: Option<Duration>,
    /// The server may have acted on this attempt without the SDK learning the result (the
    /// connection dropped, the attempt timed out, or the answer was a 5xx or unreadable).
    pub ambiguous: bool,
}

/// Characters of an unreadable body kept on an error.
const EXCERPT_CHARS: usize = 200;

/// An error from the SDK. Cheap to move (one box); branch on [`Error::kind`].
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    api_code: Option<String>,
    request_id: Option<String>,
    method: Option<String>,
    path: Option<String>,
    field: Option<String>,
    retry_after: Option<Duration>,
    elapsed: Option<Duration>,
    body_excerpt: Option<String>,
    reference_code: Option<String>,
    tracking_code: Option<String>,
    job: Option<Job>,
    last_status: Option<JobStatus>,
    history: Vec<Attempt>,
    problems: Vec<crate::model::Problem>,
    ambiguous: bool,
    source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                api_code: None,
                request_id: None,
                method: None,
                path: None,
                field: None,
                retry_after: None,
                elapsed: None,
                body_excerpt: None,
                reference_code: None,
                tracking_code: None,
                job: None,
                last_status: None,
                history: Vec::new(),
                problems: Vec::new(),
                ambiguous: false,
                source: None,
            }),
        }
    }

    /// A validation error for `field` (a path such as `items[0].tax_rate`).
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        let mut e = Error::new(ErrorKind::Validation, format!("{field}: {message}"));
        e.inner.field = Some(field);
        e
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }
    /// The message: the API's own text for API errors, the SDK's otherwise.
    pub fn message(&self) -> &str {
        &self.inner.message
    }
    /// HTTP status of the final response, for API errors.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }
    /// The API's `error.code` (e.g. `QUOTA_EXCEEDED`).
    pub fn api_code(&self) -> Option<&str> {
        self.inner.api_code.as_deref()
    }
    /// The request id of the final response (`X-Request-Id`), when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }
    /// HTTP method of the failed call.
    pub fn method(&self) -> Option<&str> {
        self.inner.method.as_deref()
    }
    /// Path of the failed call (no query string, no secrets).
    pub fn path(&self) -> Option<&str> {
        self.inner.path.as_deref()
    }
    /// For validation errors: the offending field's path.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }
    /// For rate limits: the server's `Retry-After`, when given.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }
    /// Time spent before giving up (timeouts and wait timeouts).
    pub fn elapsed(&self) -> Option<Duration> {
        self.inner.elapsed
    }
    /// A short excerpt of an unreadable body (decode errors).
    pub fn body_excerpt(&self) -> Option<&str> {
        self.inner.body_excerpt.as_deref()
    }
    /// The invoice reference code the failed call was about, when known.
    pub fn reference_code(&self) -> Option<&str> {
        self.inner.reference_code.as_deref()
    }
    /// The job's tracking code (invoice-failed and wait-timeout errors).
    pub fn tracking_code(&self) -> Option<&str> {
        self.inner.tracking_code.as_deref()
    }
    /// The job that failed or timed out, so a caller can resume waiting on it.
    pub fn job(&self) -> Option<&Job> {
        self.inner.job.as_ref()
    }
    /// The last status seen by a wait.
    pub fn last_status(&self) -> Option<&JobStatus> {
        self.inner.last_status.as_ref()
    }
    /// How many HTTP attempts were made (0 for errors raised before sending).
    pub fn attempts(&self) -> u32 {
        self.inner.history.len() as u32
    }
    /// Every attempt, in order, with its outcome and the delay that followed it.
    pub fn history(&self) -> &[Attempt] {
        &self.inner.history
    }
    /// For validation errors: every problem found in the request (the first error is the
    /// error's own field and message), warnings included. Empty for other errors.
    pub fn problems(&self) -> &[crate::model::Problem] {
        &self.inner.problems
    }
    /// Whether the server may have acted on the call although it failed: an attempt's outcome
    /// is unknown (the connection dropped, an attempt timed out, the answer was a 5xx or could
    /// not be read). For a create, the invoice may exist: retry with the same request object or
    /// the same `reference_code`, and the SDK finds it instead of creating a second one.
    pub fn is_ambiguous(&self) -> bool {
        self.inner.ambiguous || self.inner.history.iter().any(|a| a.ambiguous)
    }

    /// Whether retrying the same call later could succeed: by the API code's catalogue entry
    /// when it has one, else by kind.
    pub fn is_retryable(&self) -> bool {
        if let Some(info) = self.api_code().and_then(crate::catalogue::lookup) {
            return info.retryable;
        }
        matches!(
            self.kind(),
            ErrorKind::Connection | ErrorKind::Timeout | ErrorKind::Server | ErrorKind::RateLimited
        )
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }
    pub(crate) fn with_api_code(mut self, code: Option<String>) -> Self {
        self.inner.api_code = code;
        self
    }
    pub(crate) fn with_request_id(mut self, id: Option<String>) -> Self {
        self.inner.request_id = id;
        self
    }
    pub(crate) fn with_call(mut self, method: &str, path: &str) -> Self {
        self.inner.method = Some(method.to_string());
        self.inner.path = Some(path.to_string());
        self
    }
    pub(crate) fn with_retry_after(mut self, d: Option<Duration>) -> Self {
        self.inner.retry_after = d;
        self
    }
    pub(crate) fn with_elapsed(mut self, d: Duration) -> Self {
        self.inner.elapsed = Some(d);
        self
    }
    pub(crate) fn with_excerpt(mut self, excerpt: String) -> Self {
        self.inner.body_excerpt = Some(excerpt);
        self
    }
    pub(crate) fn with_reference_code(mut self, r: Option<String>) -> Self {
        if r.is_some() {
            self.inner.reference_code = r;
        }
        self
    }
    pub(crate) fn with_job(mut self, job: Job, last: Option<JobStatus>) -> Self {
        self.inner.tracking_code = job.tracking_code.clone();
        self.inner.reference_code = Some(job.reference_code.clone());
        self.inner.job = Some(job);
        self.inner.last_status = last;
        self
    }
    pub(crate) fn with_history(mut self, history: Vec<Attempt>) -> Self {
        self.inner.history = history;
        self
    }
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.inner.source = Some(std::sync::Arc::new(source));
        self
    }
    pub(crate) fn with_problems(mut self, problems: Vec<crate::model::Problem>) -> Self {
        self.inner.problems = problems;
        self
    }
    pub(crate) fn with_field(mut self, field: Option<String>) -> Self {
        self.inner.field = field;
        self
    }
    pub(crate) fn with_ambiguous(mut self, ambiguous: bool) -> Self {
        self.inner.ambiguous = ambiguous;
        self
    }
    /// Appends the catalogue's advice for the API code, when it has an entry.
    pub(crate) fn with_catalogue_advice(self) -> Self {
        match self.api_code().and_then(crate::catalogue::lookup) {
            Some(info) => self.with_advice(info.advice),
            None => self,
        }
    }
    /// Appends a sentence to the message (advice on what to do next).
    pub(crate) fn with_advice(mut self, advice: &str) -> Self {
        if !self.inner.message.contains(advice) {
            self.inner.message.push_str(" (");
            self.inner.message.push_str(advice);
            self.inner.message.push(')');
        }
        self
    }
    /// Removes secrets from every text the error carries (message, excerpt, attempt outcomes),
    /// so nothing a server echoed can leak a token or the client secret.
    pub(crate) fn scrubbed(mut self, scrub: &crate::redact::Scrubber) -> Self {
        let i = &mut *self.inner;
        scrub.apply(&mut i.message);
        if let Some(x) = i.body_excerpt.as_mut() {
            scrub.apply(x);
            // Cut after scrubbing: a cut first could leave a secret's start unrecognised.
            *x = crate::redact::shorten(x, EXCERPT_CHARS);
        }
        // Everything a server controls: codes, request ids, job fields.
        for text in [
            i.api_code.as_mut(),
            i.request_id.as_mut(),
            i.path.as_mut(),
            i.tracking_code.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            scrub.apply(text);
        }
        for a in &mut i.history {
            scrub.apply(&mut a.outcome);
            if let Some(r) = a.request_id.as_mut() {
                scrub.apply(r);
            }
        }
        if let Some(job) = i.job.as_mut() {
            for text in [
                job.tracking_code.as_mut(),
                job.tracking_url.as_mut(),
                job.message.as_mut(),
            ]
            .into_iter()
            .flatten()
            {
                scrub.apply(text);
            }
        }
        if let Some(st) = i.last_status.as_mut() {
            if let Some(m) = st.message.as_mut() {
                scrub.apply(m);
            }
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        write!(f, "{}", i.kind)?;
        if let Some(s) = i.status {
            write!(f, " (HTTP {s}")?;
            if let Some(c) = &i.api_code {
                write!(f, " {c}")?;
            }
            write!(f, ")")?;
        }
        write!(f, ": {}", i.message)?;
        if let (Some(m), Some(p)) = (&i.method, &i.path) {
            write!(f, " [{m} {p}")?;
            if let Some(r) = &i.request_id {
                write!(f, ", request id {r}")?;
            }
            if i.history.len() > 1 {
                write!(f, ", {} attempts", i.history.len())?;
            }
            write!(f, "]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(v) = &i.status {
            d.field("status", v);
        }
        if let Some(v) = &i.api_code {
            d.field("api_code", v);
        }
        if let Some(v) = &i.request_id {
            d.field("request_id", v);
        }
        if let Some(v) = &i.method {
            d.field("method", v);
        }
        if let Some(v) = &i.path {
            d.field("path", v);
        }
        if let Some(v) = &i.field {
            d.field("field", v);
        }
        if let Some(v) = &i.retry_after {
            d.field("retry_after", v);
        }
        if let Some(v) = &i.reference_code {
            d.field("reference_code", v);
        }
        if let Some(v) = &i.tracking_code {
            d.field("tracking_code", v);
        }
        if !i.history.is_empty() {
            d.field("attempts", &i.history.len());
        }
        if self.is_ambiguous() {
            d.field("ambiguous", &true);
        }
        if let Some(v) = &i.source {
            d.field("source", &v.to_string());
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}
