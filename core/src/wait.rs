//! Waiting for a job: polls with growing, jittered intervals until Success or Failed, inside one
//! deadline that also bounds every poll, with a last poll just before the deadline.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tokio::time::Instant;

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::model::{CreateInvoice, Invoice, Job, JobState, JobStatus};

/// A callback that sees every status a wait observes.
pub type StatusCallback = Arc<dyn Fn(&JobStatus) + Send + Sync>;

/// How to wait for a job.
#[derive(Clone)]
pub struct WaitOptions {
    /// Give up after this long with [`ErrorKind::WaitTimeout`] (default 120 s).
    pub timeout: Duration,
    /// First pause between polls (default 2 s, the API's advice). With [`WaitOptions::adaptive`]
    /// it is the schedule of a wait that has nothing learned to go by.
    pub poll_interval: Duration,
    /// Longest pause between polls; intervals grow ×1.5 up to it (default 5 s).
    pub max_poll_interval: Duration,
    /// Poll when the job is likely done, as learned from this client's earlier jobs (the
    /// default; see the README's "Waiting for jobs"): a job this client started is not polled
    /// at once, and is seen done at most 8 % after it is. Setting the intervals
    /// ([`WaitOptions::poll_intervals`], or `from_parts` with a `poll_interval`) turns it off:
    /// the wait then polls at once and every interval, growing ×1.5.
    pub adaptive: bool,
    /// Called with every status seen, Pending included.
    pub on_status: Option<StatusCallback>,
}

/// Default wait deadline.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default first pause between polls (the API's advice).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Default longest pause between polls.
pub const DEFAULT_MAX_POLL_INTERVAL: Duration = Duration::from_secs(5);

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: DEFAULT_WAIT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            max_poll_interval: DEFAULT_MAX_POLL_INTERVAL,
            adaptive: true,
            on_status: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .field("max_poll_interval", &self.max_poll_interval)
            .field("adaptive", &self.adaptive)
            .field("on_status", &self.on_status.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

impl WaitOptions {
    /// Sets the overall wait deadline.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// Sets the first and the longest pause between polls (and turns the learned schedule off).
    pub fn poll_intervals(mut self, first: Duration, max: Duration) -> Self {
        self.poll_interval = first;
        self.max_poll_interval = max;
        self.adaptive = false;
        self
    }
    /// Options from the settings a caller gave (`None` = the default), the way every language
    /// binding builds them: a first interval longer than the default longest one raises the
    /// longest to it, unless the longest was given too — then a longest shorter than the first
    /// is a validation error naming `max_poll_interval`.
    pub fn from_parts(
        timeout: Option<Duration>,
        poll_interval: Option<Duration>,
        max_poll_interval: Option<Duration>,
    ) -> Result<WaitOptions> {
        let mut o = WaitOptions::default();
        if let Some(t) = timeout {
            o.timeout = t;
        }
        if let Some(p) = poll_interval {
            o.poll_interval = p;
            o.adaptive = false;
        }
        o.max_poll_interval = match max_poll_interval {
            Some(m) => m,
            None => o.max_poll_interval.max(o.poll_interval),
        };
        o.check()?;
        Ok(o)
    }

    /// Sets a callback for every status seen.
    pub fn on_status(mut self, f: impl Fn(&JobStatus) + Send + Sync + 'static) -> Self {
        self.on_status = Some(Arc::new(f));
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.timeout.is_zero() {
            return Err(Error::validation("timeout", "must be greater than zero"));
        }
        if self.poll_interval.is_zero() {
            return Err(Error::validation(
                "poll_interval",
                "must be greater than zero",
            ));
        }
        if self.max_poll_interval < self.poll_interval {
            return Err(Error::validation(
                "max_poll_interval",
                "must not be shorter than poll_interval",
            ));
        }
        Ok(())
    }
}

/// Time kept back so the last poll happens before the deadline rather than after it.
const FINAL_POLL_RESERVE: Duration = Duration::from_millis(250);

/// The pause before the next poll: the interval ± 10 % jitter, never past the final-poll point.
fn next_pause(interval: Duration, remaining: Duration) -> Duration {
    let jitter = rand::rng().random_range(0.9..=1.1);
    let pause = crate::clock::scale(interval, jitter);
    let latest = remaining.saturating_sub(FINAL_POLL_RESERVE.min(remaining / 4));
    pause.min(latest)
}

/// How long from now until the final-poll point of a wait ending at `deadline`.
fn final_poll_in(deadline: Instant) -> Duration {
    let remaining = deadline.saturating_duration_since(Instant::now());
    remaining.saturating_sub(FINAL_POLL_RESERVE.min(remaining / 4))
}

/// What one poll of a wait saw (boxed: a waiting wait keeps only pointers).
enum Polled {
    Seen(Box<JobStatus>),
    /// A transient failure: the wait goes on.
    Unanswered(Error),
}

/// Whether a failed poll leaves the wait going: a status check is a GET, so a dropped
/// connection, a timeout, a 5xx, a 429 or a garbled answer is retried within the wait deadline.
fn transient(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::Connection
            | ErrorKind::Timeout
            | ErrorKind::Server
            | ErrorKind::RateLimited
            | ErrorKind::Decode
    )
}

impl Client {
    /// Polls `job` until it succeeds (returning the invoice), fails ([`ErrorKind::InvoiceFailed`])
    /// or the wait deadline passes ([`ErrorKind::WaitTimeout`], carrying the job so the wait can
    /// be resumed). Transient poll failures (connection, 5xx, 429, timeouts, unreadable answers)
    /// do not end the wait; other errors do. Whatever ends a wait, the error carries the job and
    /// its reference code. Dropping the future cancels the wait and any request in flight.
    pub async fn wait_for_status(&self, job: &Job, options: WaitOptions) -> Result<Invoice> {
        options.check()?;
        // Boxed, like every answer a wait keeps: a wait spends its life asleep, and only what
        // it needs while asleep should take room (10,000 waits at once).
        let last_status = std::sync::Mutex::new(None::<Box<JobStatus>>);
        self.wait_inner(job, options, &last_status)
            .await
            .map_err(|e| {
                let e = if e.job().is_some() {
                    e
                } else {
                    let last = last_status.lock().ok().and_then(|mut l| l.take());
                    e.with_job(job.clone(), last.map(|s| *s))
                };
                // Errors built here (a Failed status's message) never went through a call's
                // scrubbing.
                e.scrubbed(&self.inner.scrubber())
            })
    }

    async fn wait_inner(
        &self,
        job: &Job,
        options: WaitOptions,
        last_seen: &std::sync::Mutex<Option<Box<JobStatus>>>,
    ) -> Result<Invoice> {
        let started = Instant::now();
        let deadline = crate::clock::after(started, options.timeout);
        let mut interval = options.poll_interval;
        let mut last_error: Option<Error> = None;
        let mut plan = options.adaptive.then(|| {
            self.inner
                .job_timing
                .plan(job, options.poll_interval, options.max_poll_interval)
        });
        loop {
            if let Some(plan) = plan.as_mut() {
                // Sleep until the planned poll, re-planning when this client learns something,
                // never past the final-poll point.
                loop {
                    let now = Instant::now();
                    let at = plan
                        .next_poll()
                        .min(crate::clock::after(now, final_poll_in(deadline)));
                    if at <= now {
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => break,
                        _ = plan.learned_changed() => {}
                    }
                }
            }
            // Admitted first, then boxed: the room of an HTTP exchange and of the answer is
            // taken for the poll only, and only once it may start (10,000 waits polling at
            // once queue holding nothing more). A wait whose deadline passes in the queue times
            // out below like any other.
            let polled = match self.inner.admit(deadline).await {
                Ok(admitted) => {
                    let polled = Box::pin(self.poll_once(job, plan.as_mut(), deadline)).await;
                    drop(admitted);
                    Some(polled?)
                }
                Err(_) => None,
            };
            match polled {
                Some(Polled::Seen(status)) => {
                    tracing::debug!(state = %status.state, reference_code = job.reference_code, "job status");
                    // Told once the place is given back: a slow callback holds up no other call.
                    if let Some(cb) = &options.on_status {
                        cb(&status);
                    }
                    match status.state {
                        JobState::Success => {
                            return Box::pin(self.finish_success(job, *status, deadline)).await;
                        }
                        JobState::Failed => {
                            let msg = status
                                .message
                                .clone()
                                .unwrap_or_else(|| "the job failed".into());
                            return Err(Error::new(ErrorKind::InvoiceFailed, msg)
                                .with_job(job.clone(), Some(*status)));
                        }
                        _ => {
                            if let Ok(mut l) = last_seen.lock() {
                                *l = Some(status);
                            }
                        }
                    }
                }
                Some(Polled::Unanswered(e)) => last_error = Some(e),
                None => {}
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                let last = last_seen.lock().ok().and_then(|mut l| l.take());
                let mut msg = format!("job still pending after {:.1?}", options.timeout);
                if let (None, Some(e)) = (&last, &last_error) {
                    msg.push_str(&format!(" (last poll failed: {e})"));
                }
                return Err(Error::new(ErrorKind::WaitTimeout, msg)
                    .with_job(job.clone(), last.map(|s| *s))
                    .with_elapsed(started.elapsed()));
            }
            if plan.is_none() {
                tokio::time::sleep(next_pause(interval, remaining)).await;
                interval = crate::clock::scale(interval, 1.5).min(options.max_poll_interval);
            }
        }
    }

    /// One poll of a wait ending at `deadline`: the status seen, or a failure that leaves the
    /// wait going; the plan is told at once (its times are the poll's). Other errors end the wait.
    async fn poll_once(
        &self,
        job: &Job,
        mut plan: Option<&mut crate::job_timing::PollPlan>,
        deadline: Instant,
    ) -> Result<Polled> {
        let poll_deadline = deadline.min(crate::clock::after(
            Instant::now(),
            self.inner.config.call_timeout,
        ));
        match self.check_status_until(job, poll_deadline).await {
            Ok(status) => {
                if let Some(plan) = plan.as_mut() {
                    match status.state {
                        JobState::Success => plan.saw_done(),
                        JobState::Failed => {}
                        _ => plan.saw_pending(),
                    }
                }
                Ok(Polled::Seen(Box::new(status)))
            }
            Err(e) if transient(&e) => {
                tracing::debug!(error = %e, "poll failed; still waiting");
                if let Some(plan) = plan.as_mut() {
                    plan.saw_nothing();
                }
                Ok(Polled::Unanswered(e))
            }
            Err(e) => Err(e),
        }
    }

    async fn finish_success(
        &self,
        job: &Job,
        status: JobStatus,
        deadline: Instant,
    ) -> Result<Invoice> {
        // The job's own invoice, never another one a (broken or hostile) answer names.
        if let Some(inv) = status.invoice {
            if inv.reference_code == job.reference_code {
                return Ok(inv);
            }
            return Err(Error::new(
                ErrorKind::Decode,
                "the status answer names another invoice than the job's; not returned",
            ));
        }
        // Success without the invoice in the answer: read it by the job's reference code.
        crate::validate::code("job.reference_code", &job.reference_code)?;
        let call = crate::transport::Call::get(&["v1", "invoices", &job.reference_code]);
        self.inner.execute(&call, deadline).await
    }

    /// [`Client::create_invoice`] then [`Client::wait_for_status`].
    ///
    /// The request is lent (`&req`) or handed over (`req`, or a `Box`): one handed over is
    /// freed once sent, so a long wait holds only its job (what the language bindings do, where
    /// thousands of waits may run at once).
    pub async fn create_invoice_and_wait(
        &self,
        req: impl Borrow<CreateInvoice>,
        options: WaitOptions,
    ) -> Result<Invoice> {
        options.check()?;
        let job = Box::pin(self.create_invoice(req.borrow())).await?;
        drop(req);
        // The invoice exists from here on: every error names it (see `wait_for_status`).
        self.wait_for_status(&job, options).await
    }

    /// [`Client::issue_invoice`] then [`Client::wait_for_status`].
    pub async fn issue_invoice_and_wait(
        &self,
        reference_code: &str,
        options: WaitOptions,
    ) -> Result<Invoice> {
        options.check()?;
        let job = Box::pin(self.issue_invoice(reference_code)).await?;
        self.wait_for_status(&job, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_take_defaults_and_clamp_the_longest_interval() {
        let o = WaitOptions::from_parts(None, None, None).unwrap();
        assert_eq!(
            (o.timeout, o.poll_interval, o.max_poll_interval),
            (
                DEFAULT_WAIT_TIMEOUT,
                DEFAULT_POLL_INTERVAL,
                DEFAULT_MAX_POLL_INTERVAL
            )
        );
        let o = WaitOptions::from_parts(None, Some(Duration::from_secs(8)), None).unwrap();
        assert_eq!(o.max_poll_interval, Duration::from_secs(8));
        let e = WaitOptions::from_parts(
            None,
            Some(Duration::from_secs(8)),
            Some(Duration::from_secs(3)),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("max_poll_interval"));
        let e = WaitOptions::from_parts(Some(Duration::ZERO), None, None).unwrap_err();
        assert_eq!(e.field(), Some("timeout"));
    }

    #[test]
    fn pause_keeps_room_for_a_final_poll() {
        for _ in 0..100 {
            let p = next_pause(Duration::from_secs(2), Duration::from_secs(10));
            assert!(p >= Duration::from_millis(1800) && p <= Duration::from_millis(2200));
            let p = next_pause(Duration::from_secs(5), Duration::from_secs(3));
            assert!(p <= Duration::from_millis(2750), "{p:?}");
        }
    }
}
