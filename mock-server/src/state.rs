//! All mutable state of a running mock, behind plain mutexes that are never held across `.await`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::Rng;
use tokio::sync::watch;

use crate::config::{MockConfig, RuntimeConfig};
use crate::envelope::ApiError;
use crate::error_codes;
use crate::faults::Faults;
use crate::issued_token::IssuedToken;
use crate::model::{Account, Invoice, InvoiceKind, InvoiceStatus, Job};
use crate::stats::Stats;

/// Locks a mutex, ignoring poisoning: a panicking handler must not take the mock down with it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Everything the handlers share.
pub struct Shared {
    /// The configuration the server started with (what `/_mock/reset` goes back to).
    pub startup: MockConfig,
    /// Accounts, invoices, jobs, tokens, quota.
    pub store: Mutex<Store>,
    /// Per-route request counters.
    pub stats: Mutex<Stats>,
    /// Fault-injection rules.
    pub faults: Mutex<Faults>,
    /// Base URL used when a request carries no `Host` header.
    pub fallback_base: String,
    /// Turns true when the server stops (streamed fault bodies watch it).
    pub stop: watch::Receiver<bool>,
    request_counter: AtomicU64,
    request_salt: u64,
}

impl Shared {
    /// Fresh state for `config`, served at `addr`, stopping when `stop` turns true.
    pub fn new(config: MockConfig, addr: SocketAddr, stop: watch::Receiver<bool>) -> Self {
        Shared {
            store: Mutex::new(Store::new(&config)),
            stats: Mutex::new(Stats::default()),
            faults: Mutex::new(Faults::new(config.seed)),
            fallback_base: format!("http://{addr}"),
            stop,
            startup: config,
            request_counter: AtomicU64::new(0),
            request_salt: rand::rng().random(),
        }
    }

    /// Back to the startup state.
    pub fn reset(&self) {
        *lock(&self.store) = Store::new(&self.startup);
        *lock(&self.stats) = Stats::default();
        *lock(&self.faults) = Faults::new(self.startup.seed);
    }

    /// A request id unique for this process: a counter passed through a bijection of u64
    /// (multiply by an odd constant, xor a random salt), so ids look random but never repeat.
    pub fn next_request_id(&self) -> String {
        let n = self.request_counter.fetch_add(1, Ordering::Relaxed);
        let v = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.request_salt;
        format!("req_{v:016x}")
    }
}

/// Accounts, invoices, jobs, tokens and counters.
pub struct Store {
    /// Settings that `/_mock/config` can change.
    pub cfg: RuntimeConfig,
    /// Issuances left.
    pub quota: u64,
    /// Provider accounts (fixed, plus the series of [`Store::accounts_yy`]).
    pub accounts: Vec<Account>,
    /// The year (two digits, Vietnam) the accounts' current-year series were made for.
    pub accounts_yy: i32,
    /// Visible invoices by reference code.
    pub invoices: crate::invoice_map::Invoices,
    /// Visibility order: seq → reference code.
    pub order: BTreeMap<u64, String>,
    /// Next invoice seq.
    pub next_seq: u64,
    /// All jobs by tracking code.
    pub jobs: HashMap<String, Job>,
    /// Pending jobs in creation order: job seq → tracking code.
    pub pending: BTreeMap<u64, String>,
    /// Pending jobs that complete by time, in creation order: (accepted at, job seq). Every job
    /// waits the same pending time, so the due ones are always at the front and resolving them
    /// costs O(1) per request however many jobs are pending. A seq already finished (by a poll)
    /// is skipped when it reaches the front.
    pub due_queue: VecDeque<(Instant, u64)>,
    /// Next job seq.
    pub next_job_seq: u64,
    /// Reference codes held by a pending create job.
    pub reserved_refs: HashMap<String, String>,
    /// Last invoice number per (provider account, series).
    pub numbers: HashMap<(String, String), u64>,
    /// Token → expiry.
    pub tokens: HashMap<String, Instant>,
    /// Tokens handed out since startup.
    pub tokens_issued: u64,
    /// Every token handed out, in order, for `GET /_mock/tokens` (capped, see `auth`).
    pub token_log: Vec<IssuedToken>,
    /// Creates refused with 409.
    pub rejected_duplicates: u64,
    /// Seeded RNG for generated data (tax-authority codes, manual invoices).
    pub data_rng: StdRng,
}

impl Store {
    /// Gives the accounts the series of the current year once the year has turned (a mock that
    /// runs across 1 January keeps offering a series the SDK accepts).
    pub fn refresh_accounts_year(&mut self) {
        let yy = crate::seed::vietnam_yy();
        if yy != self.accounts_yy {
            self.accounts = crate::seed::accounts(yy);
            self.accounts_yy = yy;
        }
    }

    /// The account with this id.
    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Makes an invoice visible as the newest one. A correction is linked to its original at
    /// once (`replaced_by` / `adjusted_by`), draft or not.
    pub fn insert_invoice(&mut self, mut inv: Invoice) {
        inv.seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(inv.seq, inv.reference_code.clone());
        let reference = inv.reference_code.clone();
        match &inv.kind {
            InvoiceKind::New => {}
            InvoiceKind::Replacement { original } => {
                if let Some(o) = self.invoices.get_mut(original) {
                    o.replaced_by = Some(reference.clone());
                }
            }
            InvoiceKind::Adjustment { original, .. } => {
                if let Some(o) = self.invoices.get_mut(original) {
                    o.adjusted_by.push(reference.clone());
                }
            }
        }
        self.invoices.insert(reference, inv);
    }

    /// Removes a visible invoice (only drafts are ever removed). A draft correction lets go of
    /// its original, which can then be corrected again.
    pub fn remove_invoice(&mut self, reference_code: &str) -> Option<Invoice> {
        let inv = self.invoices.remove(reference_code)?;
        self.order.remove(&inv.seq);
        if let Some(o) = inv.kind.original().and_then(|o| self.invoices.get_mut(o)) {
            if o.replaced_by.as_deref() == Some(reference_code) {
                o.replaced_by = None;
            }
            o.adjusted_by.retain(|r| r != reference_code);
        }
        Some(inv)
    }

    /// Turns a draft into an issued invoice: next number in its series, a tax-authority code
    /// for C-series, the issue instant, and one quota spent. Issuing a correction flips its
    /// original: replaced (document_type 5) or adjusted (10).
    pub fn issue_now(&mut self, reference_code: &str) {
        let Some(inv) = self.invoices.get(reference_code) else {
            return;
        };
        if inv.status != InvoiceStatus::Draft {
            return;
        }
        let key = (inv.provider_account_id.clone(), inv.invoice_series.clone());
        let kind = inv.kind.clone();
        let number = {
            let n = self.numbers.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let series = inv.invoice_series.clone();
        let code = if series.starts_with('C') {
            let yy: String = series.chars().skip(1).take(2).collect();
            let tag = random_tag(&mut self.data_rng, 5);
            Some(format!("M1-{yy}-{tag}-{number:011}"))
        } else {
            None
        };
        if let Some(inv) = self.invoices.get_mut(reference_code) {
            inv.status = InvoiceStatus::Issued;
            inv.invoice_number = number;
            inv.tax_authority_code = code;
            inv.issued_instant = Some(Instant::now());
        }
        match &kind {
            InvoiceKind::New => {}
            InvoiceKind::Replacement { original } => {
                if let Some(o) = self.invoices.get_mut(original) {
                    o.replaced = true;
                }
            }
            InvoiceKind::Adjustment { original, .. } => {
                if let Some(o) = self.invoices.get_mut(original) {
                    o.adjusted = true;
                }
            }
        }
        self.quota = self.quota.saturating_sub(1);
    }

    /// Whether a create job still pending would store a replacement of `original`.
    fn replacement_pending(&self, original: &str) -> bool {
        self.pending.values().any(|tc| {
            self.jobs
                .get(tc)
                .and_then(|j| j.pending_invoice.as_deref())
                .is_some_and(|inv| {
                    matches!(&inv.kind, InvoiceKind::Replacement { original: o } if o == original)
                })
        })
    }

    /// The preconditions on the original of a correction, in the documented order: it exists
    /// (404), is on the same provider account, is issued, is not cancelled, is not replaced,
    /// and is not itself an adjustment (422s).
    ///
    /// At [`CorrectionStage::Request`] a replacement that is only a draft or a pending job also
    /// counts as "replaced"; when an accepted correction is issued later
    /// ([`CorrectionStage::Issue`]) only an issued replacement does.
    pub fn check_original(
        &self,
        original: &str,
        provider_account_id: &str,
        stage: CorrectionStage,
    ) -> Result<(), ApiError> {
        let Some(o) = self.invoices.get(original) else {
            return Err(error_codes::original_not_found());
        };
        if o.provider_account_id != provider_account_id {
            return Err(error_codes::account_mismatch());
        }
        if o.status != InvoiceStatus::Issued {
            return Err(error_codes::not_issued());
        }
        if o.cancelled {
            return Err(error_codes::cancelled());
        }
        let replaced = o.replaced
            || (stage == CorrectionStage::Request
                && (o.replaced_by.is_some() || self.replacement_pending(original)));
        if replaced {
            return Err(error_codes::already_replaced());
        }
        if matches!(o.kind, InvoiceKind::Adjustment { .. }) {
            return Err(error_codes::not_correctable());
        }
        Ok(())
    }

    /// [`Store::check_original`] for `inv` about to be issued; `Ok` for a new invoice.
    pub fn check_correction_issue(&self, inv: &Invoice) -> Result<(), ApiError> {
        match inv.kind.original() {
            Some(original) => {
                self.check_original(original, &inv.provider_account_id, CorrectionStage::Issue)
            }
            None => Ok(()),
        }
    }

    /// Whether `reference_code` names a visible invoice or a pending create job.
    pub fn reference_taken(&self, reference_code: &str) -> bool {
        self.invoices.contains_key(reference_code)
            || self.reserved_refs.contains_key(reference_code)
    }
}

/// When the original of a correction is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionStage {
    /// A replace or adjust request is being accepted.
    Request,
    /// An accepted correction is being issued (`is_draft: false` job, or `/issue` of a draft).
    Issue,
}

/// `len` characters from A–Z and 0–9.
pub fn random_tag(rng: &mut StdRng, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}
