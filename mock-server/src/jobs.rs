//! Asynchronous create/issue jobs: creation, lazy resolution and their outcomes.
//!
//! Nothing runs in the background: every access that could observe a job first calls
//! [`Store::resolve_due`], so jobs whose pending time has passed complete even if nobody polls.
//!
//! Replace and adjust requests are create jobs too: the stored invoice carries its
//! [`crate::model::InvoiceKind`], and storing or issuing it updates the original. A correction
//! whose original stopped being correctable while its job was pending (say it was replaced
//! meanwhile) ends `Failed` with that reason when it would be issued.

use std::time::Instant;

use uuid::Uuid;

use crate::model::{Invoice, InvoiceStatus, Job, JobKind, JobState, Trigger};
use crate::state::Store;

/// Message of a job still processing.
pub const MSG_PENDING: &str = "Yêu cầu đang được xử lý";
/// Message of a successful create job.
pub const MSG_CREATED: &str = "Xuất hóa đơn điện tử thành công";
/// Message of a successful issue job.
pub const MSG_ISSUED: &str = "Xuất bán hóa đơn điện tử thành công";
/// Message of a create job failed by `[mock:fail]`.
pub const MSG_FAIL: &str = "Thông tin người mua không hợp lệ (mock:fail)";
/// Message of an issue failed by `[mock:fail-issue]`.
pub const MSG_FAIL_ISSUE: &str = "Ký số hóa đơn thất bại (mock:fail-issue)";
/// Message of an issue job whose draft vanished (deleted while pending).
pub const MSG_NO_DRAFT: &str = "Không tìm thấy hóa đơn nháp";

fn notes_have(notes: Option<&str>, tag: &str) -> bool {
    notes.is_some_and(|n| n.contains(tag))
}

impl Store {
    fn push_job(&mut self, mut job: Job) {
        let seq = self.next_job_seq;
        self.next_job_seq += 1;
        job.seq = seq;
        // Acceptance times never go backwards in the queue (two handlers may have read the
        // clock in one order and taken the lock in the other).
        if let Some((last, _)) = self.due_queue.back() {
            job.created = job.created.max(*last);
        }
        if job.trigger != Trigger::Stuck {
            self.due_queue.push_back((job.created, seq));
        }
        self.pending.insert(seq, job.tracking_code.clone());
        self.jobs.insert(job.tracking_code.clone(), job);
    }

    /// Accepts a create request; the invoice becomes visible when the job succeeds.
    /// Returns the tracking code.
    pub fn start_create(&mut self, inv: Invoice, issue: bool, now: Instant) -> String {
        let notes = inv.notes.as_deref();
        let trigger = if notes_have(notes, "[mock:stuck]") {
            Trigger::Stuck
        } else if notes_have(notes, "[mock:fail]") {
            Trigger::Fail
        } else if issue && notes_have(notes, "[mock:fail-issue]") {
            Trigger::FailIssue
        } else {
            Trigger::None
        };
        let tracking_code = Uuid::new_v4().to_string();
        self.reserved_refs
            .insert(inv.reference_code.clone(), tracking_code.clone());
        self.push_job(Job {
            tracking_code: tracking_code.clone(),
            seq: 0,
            kind: JobKind::Create,
            reference_code: inv.reference_code.clone(),
            created: now,
            polls: 0,
            state: JobState::Pending,
            message: MSG_PENDING.to_string(),
            trigger,
            pending_invoice: Some(Box::new(inv)),
            issue_on_create: issue,
        });
        tracking_code
    }

    /// Accepts an issue request for a visible draft. Returns the tracking code.
    pub fn start_issue(&mut self, reference_code: &str, now: Instant) -> String {
        let notes = self
            .invoices
            .get(reference_code)
            .and_then(|i| i.notes.clone());
        let trigger = if notes_have(notes.as_deref(), "[mock:stuck]") {
            Trigger::Stuck
        } else if notes_have(notes.as_deref(), "[mock:fail-issue]") {
            Trigger::Fail
        } else {
            Trigger::None
        };
        if let Some(inv) = self.invoices.get_mut(reference_code) {
            inv.issue_pending = true;
        }
        let tracking_code = Uuid::new_v4().to_string();
        self.push_job(Job {
            tracking_code: tracking_code.clone(),
            seq: 0,
            kind: JobKind::Issue,
            reference_code: reference_code.to_string(),
            created: now,
            polls: 0,
            state: JobState::Pending,
            message: MSG_PENDING.to_string(),
            trigger,
            pending_invoice: None,
            issue_on_create: false,
        });
        tracking_code
    }

    /// Completes every pending job whose pending time has passed: O(jobs completed).
    pub fn resolve_due(&mut self, now: Instant) {
        let wait = self.cfg.pending_time;
        while let Some(&(created, seq)) = self.due_queue.front() {
            if now.saturating_duration_since(created) < wait {
                break;
            }
            self.due_queue.pop_front();
            self.finish(seq);
        }
    }

    /// Counts one poll of a job's check endpoint, completing it when it has been polled enough.
    pub fn poll(&mut self, tracking_code: &str, now: Instant) {
        self.resolve_due(now);
        let needed = self.cfg.pending_polls;
        let Some(job) = self.jobs.get_mut(tracking_code) else {
            return;
        };
        if job.state != JobState::Pending || job.trigger == Trigger::Stuck {
            return;
        }
        if job.polls >= needed {
            // Its entry in `due_queue` is skipped when it reaches the front.
            let seq = job.seq;
            self.finish(seq);
        } else {
            job.polls += 1;
        }
    }

    /// Ends the pending job `seq` the way its trigger says.
    fn finish(&mut self, seq: u64) {
        let Some(tc) = self.pending.remove(&seq) else {
            return;
        };
        let Some(mut job) = self.jobs.remove(&tc) else {
            return;
        };
        let (state, message) = match job.kind {
            JobKind::Create => self.finish_create(&mut job),
            JobKind::Issue => self.finish_issue(&job),
        };
        job.state = state;
        job.message = message;
        self.jobs.insert(tc, job);
    }

    fn finish_create(&mut self, job: &mut Job) -> (JobState, String) {
        self.reserved_refs.remove(&job.reference_code);
        let Some(inv) = job.pending_invoice.take() else {
            return (JobState::Failed, MSG_FAIL.to_string());
        };
        match job.trigger {
            // The reference code is free again: nothing was stored.
            Trigger::Fail => (JobState::Failed, MSG_FAIL.to_string()),
            // Created, but signing failed: the draft stays.
            Trigger::FailIssue => {
                self.insert_invoice(*inv);
                (JobState::Failed, MSG_FAIL_ISSUE.to_string())
            }
            Trigger::None | Trigger::Stuck => {
                if job.issue_on_create {
                    // The original may have changed while the job was pending: nothing is stored.
                    if let Err(e) = self.check_correction_issue(&inv) {
                        return (JobState::Failed, e.message);
                    }
                }
                let reference = inv.reference_code.clone();
                self.insert_invoice(*inv);
                if job.issue_on_create {
                    self.issue_now(&reference);
                }
                (JobState::Success, MSG_CREATED.to_string())
            }
        }
    }

    fn finish_issue(&mut self, job: &Job) -> (JobState, String) {
        let Some(inv) = self.invoices.get_mut(&job.reference_code) else {
            return (JobState::Failed, MSG_NO_DRAFT.to_string());
        };
        inv.issue_pending = false;
        if job.trigger == Trigger::Fail {
            return (JobState::Failed, MSG_FAIL_ISSUE.to_string());
        }
        if inv.status != InvoiceStatus::Draft {
            return (JobState::Failed, MSG_NO_DRAFT.to_string());
        }
        // The original may have changed while the job was pending: the draft stays a draft.
        if let Some(inv) = self.invoices.get(&job.reference_code) {
            if let Err(e) = self.check_correction_issue(inv) {
                return (JobState::Failed, e.message);
            }
        }
        self.issue_now(&job.reference_code);
        (JobState::Success, MSG_ISSUED.to_string())
    }
}
