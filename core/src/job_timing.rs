//! What a client learns about how long its jobs stay pending, so a wait polls when a job is
//! likely done instead of on a fixed clock.
//!
//! - A job this client just started is never done at once: its first poll is not immediate.
//! - One wait at a time per job kind *scouts*: it polls from [`FIRST_POLL_FLOOR`] in steps of
//!   8 % of the time since acceptance (at least [`MIN_PAUSE`]), so the poll that first sees the
//!   job done bounds its pending time within 8 %. That time is learned.
//! - Every other wait of that kind polls first just after the learned time, then in the same
//!   short steps. While a scout that started no later is at work (up to [`SCOUT_TRUST`]), it
//!   does not poll on its own: the scout's answer comes first. With no scout, it follows the
//!   API's advice (2 s, then ×1.5), and it takes the scout's place when the scout gave up.
//! - Only scouts teach. A learned time older than [`RESCOUT_AFTER`] is measured again by one
//!   scout that starts below it and steps up until its job is done, so a client notices jobs
//!   getting faster or slower; a wait that finds its job slower than learned meanwhile keeps to
//!   short steps (then the API's schedule) without teaching anything. The first poll is never
//!   later than [`SCOUT_TRUST`], however long a measured job took.
//!
//! Jobs this client did not start (a stored job resumed, say) are polled at once, then as if
//! accepted then; they teach nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::model::Job;

/// The first poll of a job this client started, when nothing is learned yet, is not sooner: half
/// the 2 s the API's documentation advises before the first check.
pub const FIRST_POLL_FLOOR: Duration = Duration::from_secs(1);
/// Shortest pause between two polls of one job.
pub const MIN_PAUSE: Duration = Duration::from_millis(100);
/// How long a learned pending time is trusted before one wait measures it again.
pub const RESCOUT_AFTER: Duration = Duration::from_secs(60);
/// How long other waits leave the polling to a scout before polling on their own (a scout whose
/// job is stuck must not hold them back).
pub const SCOUT_TRUST: Duration = Duration::from_secs(15);
/// Short steps are this fraction of the time since acceptance: a job is seen done at most 8 %
/// (or [`MIN_PAUSE`]) after it is.
const STEP: f64 = 0.08;
/// A re-measuring scout starts this far below the learned time.
const RESCOUT_START: f64 = 0.8;
/// Other jobs poll first this much after the learned time (jobs of one kind vary a little).
const MARGIN: f64 = 0.01;
const MARGIN_MIN: Duration = Duration::from_millis(10);
/// Past this multiple of the learned time a job is unusual: back to the API's schedule.
const SHORT_STEPS_UNTIL: f64 = 3.0;
/// How many started jobs' acceptance instants are kept (oldest forgotten first).
const REMEMBERED: usize = 16_384;

#[derive(Clone, Copy, Debug)]
struct Learned {
    /// Upper bound of the pending time of a recent job, within a step (8 %).
    pending: Duration,
    /// When it was measured.
    at: Instant,
}

#[derive(Default)]
struct Started {
    at: HashMap<String, Instant>,
    order: VecDeque<String>,
}

/// What the waits of one job kind share (and are told about when it changes).
#[derive(Clone, Copy, Debug, Default)]
struct Shared {
    learned: Option<Learned>,
    /// When the job of the scout at work was accepted.
    scout_since: Option<Instant>,
}

impl Shared {
    fn stale(&self) -> bool {
        self.learned.is_none_or(|l| l.at.elapsed() >= RESCOUT_AFTER)
    }
}

struct Kind {
    shared: watch::Sender<Shared>,
}

impl Default for Kind {
    fn default() -> Self {
        Kind {
            shared: watch::Sender::new(Shared::default()),
        }
    }
}

/// When a wait polls first, given a learned pending time: just after it (one unusually slow
/// measured job must not push every later first poll far out).
fn just_after(learned: Duration) -> Duration {
    crate::clock::scale(learned, 1.0 + MARGIN)
        .max(learned + MARGIN_MIN)
        .min(SCOUT_TRUST)
}

/// Per-client memory of job timings (shared by every clone of a client).
#[derive(Default)]
pub(crate) struct JobTiming {
    started: Mutex<Started>,
    kinds: Mutex<HashMap<String, Kind>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl JobTiming {
    /// Remembers that `job` was accepted now (a job with no tracking code is followed through
    /// its invoice and is not timed).
    pub(crate) fn started(&self, job: &Job) {
        let Some(tc) = &job.tracking_code else {
            return;
        };
        let mut s = lock(&self.started);
        if s.at.insert(tc.clone(), Instant::now()).is_none() {
            s.order.push_back(tc.clone());
        }
        while s.order.len() > REMEMBERED {
            if let Some(old) = s.order.pop_front() {
                s.at.remove(&old);
            }
        }
    }

    fn accepted_at(&self, job: &Job) -> Option<Instant> {
        let tc = job.tracking_code.as_ref()?;
        lock(&self.started).at.get(tc).copied()
    }

    /// The polling plan of one wait of `job`, whose fallback schedule is `first` growing ×1.5
    /// up to `longest` (the API's advice).
    pub(crate) fn plan(
        self: &Arc<Self>,
        job: &Job,
        first: Duration,
        longest: Duration,
    ) -> PollPlan {
        let kind = job.kind.as_str().to_string();
        let accepted = self.accepted_at(job);
        let mut kinds = lock(&self.kinds);
        let entry = kinds.entry(kind.clone()).or_default();
        let shared = *entry.shared.borrow();
        let scout = match accepted {
            Some(at) if shared.stale() && shared.scout_since.is_none() => {
                entry.shared.send_modify(|s| s.scout_since = Some(at));
                true
            }
            _ => false,
        };
        PollPlan {
            timing: self.clone(),
            kind,
            origin: accepted.unwrap_or_else(Instant::now),
            known_origin: accepted.is_some(),
            scout,
            scout_start: shared
                .learned
                .map(|l| crate::clock::scale(l.pending, RESCOUT_START)),
            shared: entry.shared.subscribe(),
            polls: 0,
            last_poll: None,
            last_pending: None,
            fallback: first,
            longest,
        }
    }

    fn learn(&self, kind: &str, pending: Duration) {
        let kinds = lock(&self.kinds);
        if let Some(k) = kinds.get(kind) {
            tracing::debug!(
                kind,
                pending_ms = pending.as_millis() as u64,
                "learned how long jobs stay pending"
            );
            k.shared.send_modify(|s| {
                s.learned = Some(Learned {
                    pending,
                    at: Instant::now(),
                })
            });
        }
    }

    fn end_scouting(&self, kind: &str) {
        if let Some(k) = lock(&self.kinds).get(kind) {
            k.shared.send_modify(|s| s.scout_since = None);
        }
    }

    /// Makes a wait of `kind` whose job was accepted at `origin` the scout, when none is at
    /// work and nothing fresh is learned.
    fn claim_scouting(&self, kind: &str, origin: Instant) -> bool {
        let kinds = lock(&self.kinds);
        let Some(k) = kinds.get(kind) else {
            return false;
        };
        let free = {
            let s = k.shared.borrow();
            s.stale() && s.scout_since.is_none()
        };
        if free {
            k.shared.send_modify(|s| s.scout_since = Some(origin));
        }
        free
    }
}

/// When one wait polls. Dropping it (the wait ended in any way) frees the scout's place.
pub(crate) struct PollPlan {
    timing: Arc<JobTiming>,
    kind: String,
    /// When the job was accepted (or, for a job this client did not start, when the wait began).
    origin: Instant,
    known_origin: bool,
    scout: bool,
    scout_start: Option<Duration>,
    shared: watch::Receiver<Shared>,
    polls: u32,
    last_poll: Option<Instant>,
    /// Time since `origin` of the last poll that saw the job pending.
    last_pending: Option<Duration>,
    fallback: Duration,
    longest: Duration,
}

impl Drop for PollPlan {
    fn drop(&mut self) {
        if self.scout {
            self.timing.end_scouting(&self.kind);
        }
    }
}

impl PollPlan {
    /// When the next poll should happen, given what is known now.
    pub(crate) fn next_poll(&self) -> Instant {
        let shared = *self.shared.borrow();
        let learned = shared.learned.map(|l| l.pending);
        let Some(last) = self.last_poll else {
            if !self.known_origin {
                return Instant::now();
            }
            let first = if self.scout {
                self.scout_start
                    .map_or(FIRST_POLL_FLOOR, |s| s.max(MIN_PAUSE))
            } else {
                match (learned, shared.scout_since) {
                    (Some(l), _) => just_after(l),
                    // A scout whose job is no younger than this one answers first.
                    (None, Some(since)) if since <= self.origin => {
                        let trusted_until = crate::clock::after(since, SCOUT_TRUST);
                        self.fallback
                            .max(trusted_until.saturating_duration_since(self.origin))
                    }
                    (None, _) => self.fallback,
                }
            };
            return crate::clock::after(self.origin, first);
        };
        if let (false, Some(l)) = (self.scout, learned) {
            // Learned after this wait's first poll: no point polling before that time.
            let target = crate::clock::after(self.origin, just_after(l));
            if target > last {
                return target.max(crate::clock::after(last, MIN_PAUSE));
            }
        }
        let elapsed = last.saturating_duration_since(self.origin);
        let short = self.scout
            || learned.is_some_and(|l| elapsed <= crate::clock::scale(l, SHORT_STEPS_UNTIL));
        let pause = if short {
            crate::clock::scale(elapsed, STEP).max(MIN_PAUSE)
        } else {
            // The API's schedule: the fallback interval growing ×1.5 per poll.
            let mut p = self.fallback;
            for _ in 1..self.polls.min(32) {
                p = crate::clock::scale(p, 1.5).min(self.longest);
            }
            p
        };
        crate::clock::after(last, pause.min(self.longest))
    }

    /// Resolves when something new is learned or a scout stops (the next poll may then come
    /// sooner); a wait left without a scout takes its place.
    pub(crate) async fn learned_changed(&mut self) {
        if self.shared.changed().await.is_err() {
            // The sender lives as long as the client: never here in practice; never busy-loop.
            std::future::pending::<()>().await
        }
        let free = {
            let s = self.shared.borrow();
            s.stale() && s.scout_since.is_none()
        };
        if free && !self.scout && self.known_origin {
            self.scout = self.timing.claim_scouting(&self.kind, self.origin);
        }
    }

    /// Records a poll that found the job still pending.
    pub(crate) fn saw_pending(&mut self) {
        let now = Instant::now();
        self.polls += 1;
        self.last_poll = Some(now);
        self.last_pending = Some(now.saturating_duration_since(self.origin));
        if !self.known_origin && self.polls == 1 {
            // A resumed job: from here on it is timed like one accepted now (teaching nothing).
            self.origin = now;
            self.last_pending = Some(Duration::ZERO);
        }
    }

    /// Records a poll that failed (the job's state is unknown).
    pub(crate) fn saw_nothing(&mut self) {
        self.polls += 1;
        self.last_poll = Some(Instant::now());
    }

    /// Records the poll that found the job done (Success): a scout's measurement, tight enough,
    /// teaches the client its pending time.
    pub(crate) fn saw_done(&mut self) {
        if !self.known_origin || !self.scout {
            return;
        }
        let done = Instant::now().saturating_duration_since(self.origin);
        let tight = match self.last_pending {
            // The pause since the last Pending poll was a short step: within 8 %.
            Some(p) => {
                done.saturating_sub(p) <= crate::clock::scale(p, STEP).max(MIN_PAUSE) + MARGIN_MIN
            }
            // Done at the first poll: an upper bound, worth keeping only from a scout (which
            // polled early on purpose).
            None => self.scout && self.polls == 0,
        };
        if tight {
            self.timing.learn(&self.kind, done);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobKind;

    fn job(tc: &str) -> Job {
        Job {
            kind: JobKind::Create,
            reference_code: "REF-1".into(),
            tracking_code: Some(tc.into()),
            tracking_url: None,
            message: None,
        }
    }

    fn ms(d: Duration) -> u128 {
        d.as_millis()
    }

    #[tokio::test(start_paused = true)]
    async fn a_started_job_is_never_polled_at_once_and_one_wait_scouts() {
        let t = Arc::new(JobTiming::default());
        let (a, b) = (job("a"), job("b"));
        t.started(&a);
        t.started(&b);
        let now = Instant::now();
        let scout = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        let other = t.plan(&b, Duration::from_secs(2), Duration::from_secs(5));
        assert_eq!(ms(scout.next_poll() - now), 1000);
        // The scout answers first: the other wait polls on its own only if the scout is still
        // at work after SCOUT_TRUST.
        assert_eq!(ms(other.next_poll() - now), 15_000);
        // A job accepted before the scout's does not wait for it: the API's advice.
        drop((scout, other));
        let (c, d) = (job("c"), job("d"));
        t.started(&c);
        tokio::time::advance(Duration::from_millis(300)).await;
        t.started(&d);
        let scout = t.plan(&d, Duration::from_secs(2), Duration::from_secs(5));
        let older = t.plan(&c, Duration::from_secs(2), Duration::from_secs(5));
        assert!(scout.scout && !older.scout);
        assert_eq!(ms(older.next_poll() - now), 2000);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_takes_the_place_of_a_scout_that_gave_up() {
        let t = Arc::new(JobTiming::default());
        let (a, b) = (job("a"), job("b"));
        t.started(&a);
        t.started(&b);
        let start = Instant::now();
        let scout = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        let mut other = t.plan(&b, Duration::from_secs(2), Duration::from_secs(5));
        assert!(!other.scout);
        drop(scout); // cancelled, timed out or failed: nothing learned
        tokio::time::timeout(Duration::from_millis(1), other.learned_changed())
            .await
            .expect("the other wait is told");
        assert!(other.scout);
        assert_eq!(ms(other.next_poll() - start), 1000);
    }

    #[tokio::test(start_paused = true)]
    async fn what_a_scout_measures_moves_the_others_first_poll() {
        let t = Arc::new(JobTiming::default());
        let (a, b) = (job("a"), job("b"));
        t.started(&a);
        t.started(&b);
        let start = Instant::now();
        let mut scout = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        let mut other = t.plan(&b, Duration::from_secs(2), Duration::from_secs(5));
        // The scout steps 1 s, then +8 % (at least 100 ms) until the job is done at 1.5 s.
        let mut polls = 0;
        loop {
            tokio::time::sleep_until(scout.next_poll()).await;
            polls += 1;
            if Instant::now() - start >= Duration::from_millis(1500) {
                scout.saw_done();
                break;
            }
            scout.saw_pending();
        }
        let seen = Instant::now() - start;
        assert!(seen <= Duration::from_millis(1620), "seen at {seen:?}");
        assert!(polls <= 7, "{polls} polls");
        // The other wait hears it and polls just after the learned time.
        tokio::time::timeout(Duration::from_millis(1), other.learned_changed())
            .await
            .expect("the other wait is told");
        let first = other.next_poll() - start;
        assert!(
            first >= seen && first <= seen + Duration::from_millis(50),
            "{first:?}"
        );
        drop(scout);
        // A third job started now polls first at the learned time too (no second scout).
        let c = job("c");
        t.started(&c);
        let third = t.plan(&c, Duration::from_secs(2), Duration::from_secs(5));
        assert!(!third.scout);
        let d = third.next_poll() - Instant::now();
        assert!(d >= seen && d <= seen + Duration::from_millis(50), "{d:?}");
    }

    /// Polls as a wait does until the job is done `done_at` after the plan's start.
    async fn run(p: &mut PollPlan, done_at: Duration) -> u32 {
        let start = Instant::now();
        let mut polls = 0;
        loop {
            tokio::time::sleep_until(p.next_poll()).await;
            polls += 1;
            if Instant::now() - start >= done_at {
                p.saw_done();
                return polls;
            }
            p.saw_pending();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn only_scouts_teach_and_a_rescout_learns_slower_jobs() {
        let t = Arc::new(JobTiming::default());
        t.learn_for_test("create", Duration::from_secs(1));
        // A follower whose job is slower than learned finds it in short steps, teaching nothing.
        let a = job("a");
        t.started(&a);
        let mut p = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        assert!(!p.scout);
        run(&mut p, Duration::from_secs(2)).await;
        assert_eq!(t.learned_for_test("create").map(ms), Some(1000));
        drop(p);
        // A minute on, a scout measures again from below and learns the slower time.
        tokio::time::advance(RESCOUT_AFTER).await;
        let b = job("b");
        t.started(&b);
        let mut p = t.plan(&b, Duration::from_secs(2), Duration::from_secs(5));
        assert!(p.scout);
        run(&mut p, Duration::from_secs(2)).await;
        let learned = t.learned_for_test("create").expect("learned");
        assert!(
            learned >= Duration::from_millis(2000) && learned <= Duration::from_millis(2200),
            "{learned:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn one_very_slow_measurement_never_pushes_first_polls_past_scout_trust() {
        let t = Arc::new(JobTiming::default());
        t.learn_for_test("create", Duration::from_secs(100));
        let a = job("a");
        t.started(&a);
        let start = Instant::now();
        let p = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        assert_eq!(p.next_poll() - start, SCOUT_TRUST);
    }

    #[tokio::test(start_paused = true)]
    async fn an_old_measurement_is_measured_again_from_below() {
        let t = Arc::new(JobTiming::default());
        t.learn_for_test("create", Duration::from_secs(3));
        tokio::time::advance(RESCOUT_AFTER).await;
        let a = job("a");
        t.started(&a);
        let start = Instant::now();
        let mut p = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        assert!(p.scout);
        assert_eq!(ms(p.next_poll() - start), 2400);
        // Jobs got faster: done at the first poll, and that is what is learned.
        tokio::time::sleep_until(p.next_poll()).await;
        p.saw_done();
        assert_eq!(
            t.learned_for_test("create").map(ms),
            Some(2400),
            "the faster time is learned"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_resumed_job_is_polled_at_once_and_teaches_nothing() {
        let t = Arc::new(JobTiming::default());
        let stored = job("stored");
        let start = Instant::now();
        let mut p = t.plan(&stored, Duration::from_secs(2), Duration::from_secs(5));
        assert_eq!(p.next_poll(), start);
        p.saw_pending();
        assert_eq!(ms(p.next_poll() - start), 2000);
        tokio::time::advance(Duration::from_secs(2)).await;
        p.saw_done();
        assert!(t.learned_for_test("create").is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn past_three_times_the_learned_time_the_api_schedule_resumes() {
        let t = Arc::new(JobTiming::default());
        t.learn_for_test("create", Duration::from_secs(1));
        let a = job("a");
        t.started(&a);
        let start = Instant::now();
        let mut p = t.plan(&a, Duration::from_secs(2), Duration::from_secs(5));
        let mut pauses = Vec::new();
        let mut last = start;
        for _ in 0..16 {
            tokio::time::sleep_until(p.next_poll()).await;
            pauses.push(Instant::now() - last);
            last = Instant::now();
            p.saw_pending();
        }
        assert!(pauses.iter().all(|d| *d >= MIN_PAUSE));
        assert!(pauses.iter().all(|d| *d <= Duration::from_secs(5)));
        // Ends on the longest interval, not on short steps.
        assert_eq!(pauses.last().copied().map(ms), Some(5000));
    }

    #[test]
    fn started_jobs_are_forgotten_oldest_first() {
        let t = JobTiming::default();
        for i in 0..REMEMBERED + 10 {
            t.started(&job(&format!("tc-{i}")));
        }
        assert!(t.accepted_at(&job("tc-0")).is_none());
        assert!(t
            .accepted_at(&job(&format!("tc-{}", REMEMBERED + 9)))
            .is_some());
        assert_eq!(lock(&t.started).at.len(), REMEMBERED);
    }

    impl JobTiming {
        fn learn_for_test(&self, kind: &str, d: Duration) {
            lock(&self.kinds).entry(kind.into()).or_default();
            self.learn(kind, d);
        }
        fn learned_for_test(&self, kind: &str) -> Option<Duration> {
            lock(&self.kinds)
                .get(kind)
                .and_then(|k| k.shared.borrow().learned.map(|l| l.pending))
        }
    }
}
