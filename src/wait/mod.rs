//! The wait engine: deadline, schedule, retries, batching, concurrency and rate limits.
//!
//! It knows nothing of any provider's wire format (it sees [`Observation`]s and
//! [`ProviderError`]s) and nothing of CI systems (it tells an [`Observer`] what happens).
//!
//! How a wait goes:
//! 1. Every operation is polled at once: this checks the credentials before anything else
//!    and catches operations that already finished. (Unless the provider says not before a
//!    time, [`Provider::not_before`]: an operation a purge just created, with `Retry-After`.)
//! 2. A pending operation is polled again after [`schedule::progress_delay`] (from `interval`
//!    growing to `max-interval`, jittered); a failed read after [`schedule::retry_delay`]
//!    (backoff, never sooner than `Retry-After`). For a long-poll ([`Provider::hold`]) the
//!    delay counts from when the call was asked, so a call that held its answer for two
//!    minutes is followed at once, and each call may hold that long on top of
//!    `request-timeout`; while calls are held, an operation that becomes due (a retry) is
//!    asked without waiting for them, and the heartbeat goes on.
//! 3. Operations due at about the same time are polled together, in batches of the
//!    provider's [`Provider::max_batch`], at most `concurrency` calls at once and never
//!    faster than the provider's [`Provider::max_rate`].
//! 4. Nothing is polled after the deadline. When the next poll would fall after it, one last
//!    poll is made at the deadline itself, so a purge that finishes in the final interval is
//!    still seen. Each call is bounded by `request-timeout`, clipped to the time left.
//! 5. A permanent error ends that operation (credentials refused: every operation); a
//!    transient one is retried up to `retries` times in a row.
//!
//! Time is `tokio::time`, so tests run the engine on a paused clock in milliseconds.

pub mod schedule;

use std::cell::Cell;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::time::{Instant, sleep_until};

use crate::duration::after;
use crate::error::{ErrorKind, ProviderError};
use crate::exit::Exit;
use crate::provider::{Observation, Provider, State};

/// How long a request in flight at the deadline (the last poll, made at the deadline itself)
/// may still take: every status call is cut at `deadline + FINAL_GRACE`.
pub const FINAL_GRACE: Duration = Duration::from_secs(1);

/// The longest `timeout` (a week): far beyond any CI job, and far from overflowing anything.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The `raw_status` of an operation this run created that the status API does not list yet
/// (within `not-found-grace`): pending, in purge-wait's words, not the provider's.
pub const NOT_LISTED_YET: &str = "not listed yet";

/// The engine's knobs, validated by [`crate::config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Overall deadline, from the start of the wait.
    pub timeout: Duration,
    /// First delay between polls of a pending operation.
    pub interval: Duration,
    /// Cap of the growing delay.
    pub max_interval: Duration,
    /// Bound on one status call.
    pub request_timeout: Duration,
    /// Status calls in flight at once.
    pub concurrency: usize,
    /// Failed reads in a row tolerated per operation before giving up on it.
    pub retries: u32,
    /// How often the observer hears that we are still waiting.
    pub heartbeat: Duration,
    /// Calls per second at most, on top of the provider's own limit.
    pub rate_limit: Option<f64>,
    /// How long after its creation an operation this run created may be unknown to the
    /// status API (not found, or missing from the answer) and still count as pending.
    pub not_found_grace: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(15 * 60),
            interval: Duration::from_secs(5),
            max_interval: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            concurrency: 8,
            retries: 10,
            heartbeat: Duration::from_secs(30),
            rate_limit: None,
            not_found_grace: Duration::from_secs(60),
        }
    }
}

/// Where the whole wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Every operation succeeded.
    Succeeded,
    /// At least one operation failed or was cancelled.
    Failed,
    /// The deadline passed with operations still pending.
    TimedOut,
    /// The status of at least one operation could not be read.
    Error,
    /// SIGINT or SIGTERM arrived.
    Interrupted,
}

impl Status {
    /// The value of the `status` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::TimedOut => "timed-out",
            Status::Error => "error",
            Status::Interrupted => "interrupted",
        }
    }
}

/// Where one operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The provider said it succeeded.
    Succeeded,
    /// The provider said it failed.
    Failed,
    /// The provider said it was cancelled.
    Cancelled,
    /// Still pending when the wait ended (deadline or interruption).
    Pending,
    /// Its status could not be read (refused, not found, retries exhausted).
    Error,
}

impl Outcome {
    /// A lower-case word for outputs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Pending => "pending",
            Outcome::Error => "error",
        }
    }
}

/// The final word on one operation.
#[derive(Debug, Clone)]
pub struct OperationResult {
    /// The id as given.
    pub id: String,
    /// Where it ended.
    pub outcome: Outcome,
    /// The last status read, if any.
    pub last: Option<Observation>,
    /// The error that ended it, or the last failed read of a pending one.
    pub error: Option<ProviderError>,
    /// Status calls that covered this operation.
    pub polls: u32,
    /// Time from the start of the wait to the poll that saw it terminal.
    pub seen_done_after: Option<Duration>,
}

/// The final word on the whole wait.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The provider's input name.
    pub provider: &'static str,
    /// Where the wait ended.
    pub status: Status,
    /// One result per operation, in the order given.
    pub operations: Vec<OperationResult>,
    /// Wall time of the wait.
    pub elapsed: Duration,
    /// Status calls made.
    pub polls: u32,
    /// The deadline that applied.
    pub timeout: Duration,
    /// Things the user must know that are not about one operation (e.g. a purge that may
    /// have been submitted twice).
    pub warnings: Vec<String>,
    /// The purge submitted before the wait, when `paths` were given.
    pub purge: Option<PurgeInfo>,
    /// Why a timed-out wait stopped, when it was not simply the deadline passing: a
    /// `Retry-After` beyond it, a rate limit that left no call before it.
    pub reason: Option<String>,
}

/// What happened to the purge submitted before the wait.
#[derive(Debug, Clone)]
pub struct PurgeInfo {
    /// Paths purged.
    pub paths: usize,
    /// Purge calls made, retries included.
    pub calls: u32,
    /// The refusal that stopped it, if any (then nothing was waited on).
    pub error: Option<ProviderError>,
}

impl Summary {
    /// The exit code the wait ends in: 0 succeeded, 1 failed or cancelled, 3 unreadable,
    /// 124 timed out (0 with `fail-on-timeout: false`), 130 interrupted.
    pub fn exit(&self, fail_on_timeout: bool) -> Exit {
        match self.status {
            Status::Succeeded => Exit::Succeeded,
            Status::Failed => Exit::Failed,
            Status::Error => Exit::Unreadable,
            Status::TimedOut if fail_on_timeout => Exit::DeadlineReached,
            Status::TimedOut => Exit::Succeeded,
            Status::Interrupted => Exit::Interrupted,
        }
    }

    /// How many operations ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.operations
            .iter()
            .filter(|o| o.outcome == outcome)
            .count()
    }

    /// Whether the deadline ended the wait.
    pub fn timed_out(&self) -> bool {
        self.status == Status::TimedOut
    }
}

/// What the engine (and the purge submit before it) tells its observer, as it happens.
#[derive(Debug)]
pub enum Event<'a> {
    /// A purge is about to be submitted.
    Submitting {
        /// Provider name.
        provider: &'static str,
        /// Paths to purge.
        paths: usize,
        /// Purge calls it takes.
        calls: usize,
    },
    /// A purge call created operations.
    Submitted {
        /// Their ids.
        ids: &'a [String],
        /// Time since submitting began.
        elapsed: Duration,
    },
    /// A purge call failed.
    SubmitFailed {
        /// What went wrong.
        error: &'a ProviderError,
        /// When it will be sent again; `None` when submitting stops.
        retry_in: Option<Duration>,
        /// Failed calls in a row.
        attempt: u32,
        /// Time since submitting began.
        elapsed: Duration,
    },
    /// The wait begins.
    Started {
        /// Provider name.
        provider: &'static str,
        /// Every id.
        ids: &'a [String],
        /// The deadline.
        timeout: Duration,
    },
    /// A status call is about to be made.
    Request {
        /// The ids it covers.
        ids: &'a [String],
    },
    /// A status was read.
    Observed {
        /// What was read.
        observation: &'a Observation,
        /// Whether the status word differs from the previous read (or this is the first).
        changed: bool,
        /// Time since the start.
        elapsed: Duration,
        /// When this operation will be asked again (`None` when it is done or out of time).
        next_in: Option<Duration>,
    },
    /// A status call failed for these ids.
    ReadFailed {
        /// The operation.
        id: &'a str,
        /// What went wrong.
        error: &'a ProviderError,
        /// When it will be retried; `None` when the engine gave up on it.
        retry_in: Option<Duration>,
        /// Failed reads in a row.
        attempt: u32,
        /// Time since the start.
        elapsed: Duration,
    },
    /// Nothing changed for a while; still waiting.
    Heartbeat {
        /// Operations not yet terminal.
        pending: usize,
        /// All operations.
        total: usize,
        /// Time since the start.
        elapsed: Duration,
    },
}

/// Receives the engine's events (the reporters).
pub trait Observer {
    /// Called for each event, in order.
    fn event(&mut self, event: &Event<'_>);
}

/// An observer that ignores everything.
pub struct Ignore;

impl Observer for Ignore {
    fn event(&mut self, _: &Event<'_>) {}
}

/// Per-operation bookkeeping.
struct Op {
    id: String,
    due: Instant,
    done: Option<Outcome>,
    /// Polls that found it pending (drives the growth of the delay).
    pending_polls: u32,
    /// Recent `(time since start, percent)` samples, for the adaptive schedule.
    progress: Vec<(Duration, f64)>,
    /// Failed reads in a row.
    failures: u32,
    polls: u32,
    last: Option<Observation>,
    error: Option<ProviderError>,
    seen_done_after: Option<Duration>,
    /// For an operation this run created: until when "not found" means "not listed yet".
    fresh_until: Option<Instant>,
    /// Why it will not be asked again before the deadline, when that is not simply the
    /// deadline: a `Retry-After` beyond it, a rate limit that leaves no call before it.
    stopped: Option<String>,
}

impl Op {
    fn active(&self) -> bool {
        self.done.is_none()
    }
}

/// How much wider than `1/rate` calls are spaced. Scheduled exactly `1/rate` apart, call 1
/// and call `rate + 1` start one second apart, and any delay of call 1 on its way to the
/// server (scheduling, connection set-up) puts `rate + 1` calls into one second as the
/// server counts them; 5% leaves 50 ms for that.
pub const RATE_HEADROOM: f64 = 1.05;

/// How late after the deadline a call planned for it may still start: a timer's wake-up
/// latency, never a planned delay.
pub const START_SLACK: Duration = Duration::from_millis(50);

/// Spaces calls at least `RATE_HEADROOM/rate` apart.
struct RateLimiter {
    gap: Option<Duration>,
    next: Cell<Option<Instant>>,
}

impl RateLimiter {
    fn new(rate: Option<f64>) -> Self {
        let gap = rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|r| crate::duration::secs_f64(RATE_HEADROOM / r));
        RateLimiter {
            gap,
            next: Cell::new(None),
        }
    }

    /// Waits for the next call slot. A slot to wait for past `deadline` is not taken:
    /// `false`, at once. (A slot free now is taken: the caller decides whether it is late.)
    async fn acquire(&self, deadline: Instant) -> bool {
        let Some(gap) = self.gap else { return true };
        let now = Instant::now();
        let slot = self.next.get().map_or(now, |n| n.max(now));
        if slot > now && slot > deadline {
            return false;
        }
        self.next.set(Some(after(slot, gap)));
        sleep_until(slot).await;
        true
    }
}

/// What became of one planned status call.
enum Call {
    /// It was made (or cut at its time budget), asked at the instant given.
    Made(Result<Vec<Observation>, ProviderError>, Instant),
    /// The rate limit had no slot left before the deadline.
    NoSlot,
    /// It could not start before the deadline (it waited for a free connection).
    Late,
}

/// Waits until every operation is terminal, the deadline passes or `cancel` completes.
pub async fn run(
    provider: &dyn Provider,
    ids: &[String],
    settings: &Settings,
    observer: &mut dyn Observer,
    cancel: impl Future<Output = ()>,
) -> Summary {
    run_created(provider, ids, &[], settings, observer, cancel).await
}

/// [`run`] for operations this run just created (purge, then wait): `created[i]` is when
/// `ids[i]` was created. A status API may not list a new operation at once, so until
/// `not-found-grace` after its creation, "not found" (an error or an id missing from the
/// answer) counts as pending ([`NOT_LISTED_YET`]); after it, as not found.
pub async fn run_created(
    provider: &dyn Provider,
    ids: &[String],
    created: &[Instant],
    settings: &Settings,
    observer: &mut dyn Observer,
    cancel: impl Future<Output = ()>,
) -> Summary {
    let start = Instant::now();
    let deadline = after(start, settings.timeout);
    // No call outlives this: one made at the deadline itself still gets FINAL_GRACE.
    let hard_end = after(deadline, FINAL_GRACE);
    let mut ops = plan(provider, ids, created, settings, start, deadline);
    let rate = combined_rate(provider, settings);
    let limiter = RateLimiter::new(rate);
    let batch_size = provider.max_batch().max(1);
    let coalesce = (settings.interval / 4).min(Duration::from_secs(1));
    let mut polls = 0u32;
    let mut interrupted = false;
    let mut next_heartbeat = after(start, settings.heartbeat);
    tokio::pin!(cancel);

    observer.event(&Event::Started {
        provider: provider.name(),
        ids,
        timeout: settings.timeout,
    });

    'wait: while let Some(next_due) = ops.iter().filter(|o| o.active()).map(|o| o.due).min() {
        if next_due > deadline {
            break;
        }
        let now = Instant::now();
        if next_due > now {
            tokio::select! {
                biased;
                _ = &mut cancel => { interrupted = true; break 'wait; }
                _ = sleep_until(next_due.min(next_heartbeat)) => {}
            }
            if Instant::now() >= next_heartbeat {
                let pending = ops.iter().filter(|o| o.active()).count();
                observer.event(&Event::Heartbeat {
                    pending,
                    total: ops.len(),
                    elapsed: start.elapsed(),
                });
                next_heartbeat = after(next_heartbeat, settings.heartbeat);
            }
            continue;
        }
        if !may_start(now, deadline) {
            // Due before the deadline, but a slow sweep ran past it: nothing more starts.
            break;
        }

        let batches = due_batches(&ops, after(now, coalesce), batch_size, &HashSet::new());
        for batch in &batches {
            observer.event(&Event::Request { ids: batch });
        }
        // One jitter draw per sweep: operations read together stay due together (so batches
        // stay full), while separate jobs still drift apart.
        let unit = fastrand::f64();
        let limiter = &limiter;
        // At most `concurrency` calls in flight, the next started as one ends.
        let mut busy: HashSet<String> = batches.iter().flatten().cloned().collect();
        let mut queue: std::collections::VecDeque<Vec<String>> = batches.into();
        let mut calls = FuturesUnordered::new();
        // A long-poll sweep lasts as long as its longest hold (minutes): what becomes due
        // meanwhile (a retry, an operation whose call answered early) is asked without
        // waiting for the sweep to end, and the heartbeat goes on.
        let long_poll = provider.hold().is_some();
        loop {
            while calls.len() < settings.concurrency.max(1) {
                let Some(batch) = queue.pop_front() else {
                    break;
                };
                calls.push(call(provider, batch, limiter, settings, deadline, hard_end));
            }
            // Nothing new starts once the deadline (and its slack) has passed: then only the
            // calls in flight are awaited, never a timer already in the past (a busy loop).
            let next_due = ops
                .iter()
                .filter(|o| long_poll && o.active() && !busy.contains(&o.id))
                .map(|o| o.due)
                .min()
                .filter(|due| *due <= deadline && may_start(Instant::now(), deadline));
            let item = tokio::select! {
                biased;
                _ = &mut cancel => { interrupted = true; break 'wait; }
                item = calls.next() => item,
                _ = sleep_until(next_due.unwrap_or(hard_end).min(next_heartbeat)), if long_poll => {
                    let now = Instant::now();
                    if now >= next_heartbeat {
                        let pending = ops.iter().filter(|o| o.active()).count();
                        observer.event(&Event::Heartbeat {
                            pending,
                            total: ops.len(),
                            elapsed: start.elapsed(),
                        });
                        next_heartbeat = after(next_heartbeat, settings.heartbeat);
                    }
                    if next_due.is_some_and(|due| due <= now) && may_start(now, deadline) {
                        for batch in due_batches(&ops, after(now, coalesce), batch_size, &busy) {
                            observer.event(&Event::Request { ids: &batch });
                            busy.extend(batch.iter().cloned());
                            queue.push_back(batch);
                        }
                    }
                    continue;
                }
            };
            let Some((batch, call)) = item else { break };
            for id in &batch {
                busy.remove(id);
            }
            let (result, asked_at) = match call {
                // A long-poll call held its answer: the next poll counts from when it was
                // asked, not from when it answered.
                Call::Made(result, asked_at) if provider.hold().is_some() => (result, asked_at),
                Call::Made(result, _) => (result, Instant::now()),
                Call::NoSlot | Call::Late => {
                    let no_slot = matches!(call, Call::NoSlot).then_some(rate.unwrap_or_default());
                    not_asked(&mut ops, &batch, hard_end, no_slot);
                    continue;
                }
            };
            let ctx = Ctx {
                settings,
                provider: provider.name(),
                start,
                deadline,
                now: Instant::now(),
                asked_at,
                unit,
            };
            polls += 1;
            if apply(&ctx, &mut ops, &batch, result, observer) == Sweep::Stop {
                break;
            }
        }
    }
    summarise(provider.name(), ops, start, polls, settings, interrupted)
}

/// Whether a call planned for `now` may still start: not after the deadline (plus a timer's
/// wake-up latency, [`START_SLACK`]).
fn may_start(now: Instant, deadline: Instant) -> bool {
    now <= after(deadline, START_SLACK)
}

/// The operations to wait on, each first due when the provider says it can be read (cut to
/// the deadline), the ones this run created with their `not-found-grace`.
fn plan(
    provider: &dyn Provider,
    ids: &[String],
    created: &[Instant],
    settings: &Settings,
    start: Instant,
    deadline: Instant,
) -> Vec<Op> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| Op {
            id: id.clone(),
            due: provider
                .not_before(id)
                .map_or(start, |t| t.clamp(start, deadline)),
            done: None,
            pending_polls: 0,
            progress: Vec::new(),
            failures: 0,
            polls: 0,
            last: None,
            error: None,
            seen_done_after: None,
            fresh_until: created.get(i).map(|t| after(*t, settings.not_found_grace)),
            stopped: None,
        })
        .collect()
}

/// The slower of the provider's own limit and `rate-limit`.
fn combined_rate(provider: &dyn Provider, settings: &Settings) -> Option<f64> {
    match (provider.max_rate(), settings.rate_limit) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What is due: every active operation due by `by` and not in `busy` (asked already), in
/// batches of at most `batch_size` ids.
fn due_batches(
    ops: &[Op],
    by: Instant,
    batch_size: usize,
    busy: &HashSet<String>,
) -> Vec<Vec<String>> {
    let due: Vec<usize> = (0..ops.len())
        .filter(|&i| ops[i].active() && ops[i].due <= by && !busy.contains(&ops[i].id))
        .collect();
    due.chunks(batch_size)
        .map(|c| c.iter().map(|&i| ops[i].id.clone()).collect())
        .collect()
}

/// One status call: a rate-limit slot first, then the call, cut to the time left.
async fn call(
    provider: &dyn Provider,
    batch: Vec<String>,
    limiter: &RateLimiter,
    settings: &Settings,
    deadline: Instant,
    hard_end: Instant,
) -> (Vec<String>, Call) {
    if !limiter.acquire(deadline).await {
        return (batch, Call::NoSlot);
    }
    let now = Instant::now();
    if !may_start(now, deadline) {
        return (batch, Call::Late);
    }
    // A long-poll may hold its answer on top of the usual response time. Cut to the time
    // left: no call outlives the deadline (plus FINAL_GRACE).
    let budget = settings
        .request_timeout
        .saturating_add(provider.hold().unwrap_or_default())
        .min(hard_end.saturating_duration_since(now));
    let result = tokio::time::timeout(budget, provider.poll(&batch))
        .await
        .unwrap_or_else(|_| {
            Err(ProviderError::new(
                ErrorKind::Transient,
                format!("no answer within {}", crate::duration::format(budget)),
            ))
        });
    (batch, Call::Made(result, now))
}

/// The operations of a call that could not be made before the deadline: not asked again,
/// with why when that is not simply the deadline (`no_slot`: the rate limit, in calls/s,
/// left no call before it).
fn not_asked(ops: &mut [Op], batch: &[String], hard_end: Instant, no_slot: Option<f64>) {
    let why = no_slot.map(|rate| {
        format!("the deadline came before the rate limit ({rate} calls/s) allowed another call")
    });
    for id in batch {
        if let Some(op) = ops.iter_mut().find(|o| &o.id == id && o.active()) {
            op.due = hard_end;
            op.stopped = op.stopped.take().or(why.clone());
        }
    }
}

/// Whether the sweep goes on after a call's result.
#[derive(Debug, PartialEq)]
enum Sweep {
    Continue,
    /// Refused credentials: every operation has ended in error.
    Stop,
}

/// Applies one call's result to its operations: each observation, a missing id as not
/// found, an error to every id of the batch (refused credentials to every operation).
fn apply(
    ctx: &Ctx,
    ops: &mut [Op],
    batch: &[String],
    result: Result<Vec<Observation>, ProviderError>,
    observer: &mut dyn Observer,
) -> Sweep {
    match result {
        Ok(observations) => {
            for id in batch {
                let Some(op) = ops.iter_mut().find(|o| &o.id == id && o.active()) else {
                    continue;
                };
                match observations.iter().find(|o| &o.id == id) {
                    Some(obs) => ctx.observed(op, obs.clone(), observer),
                    None => {
                        let e = ProviderError::new(
                            ErrorKind::NotFound,
                            format!("the {} API returned no status for operation {id}", ctx.provider),
                        )
                        .hint("Check the id; the provider may have expired it or it may belong to another account");
                        ctx.failed(op, e, observer)
                    }
                }
            }
            Sweep::Continue
        }
        Err(error) => {
            for id in batch {
                if let Some(op) = ops.iter_mut().find(|o| &o.id == id && o.active()) {
                    ctx.failed(op, error.clone(), observer);
                }
            }
            if error.kind != ErrorKind::Auth {
                return Sweep::Continue;
            }
            // Refused credentials are refused for every operation: stop asking.
            for op in ops.iter_mut().filter(|o| o.active()) {
                op.error = Some(error.clone());
                op.done = Some(Outcome::Error);
            }
            Sweep::Stop
        }
    }
}

/// The summary of a wait: each operation's result, the overall status and, for a timeout,
/// why an operation was not asked again when that was not simply the deadline.
fn summarise(
    provider: &'static str,
    ops: Vec<Op>,
    start: Instant,
    polls: u32,
    settings: &Settings,
    interrupted: bool,
) -> Summary {
    let reason = ops
        .iter()
        .filter(|o| o.active())
        .find_map(|o| o.stopped.clone());
    let operations: Vec<OperationResult> = ops
        .into_iter()
        .map(|op| OperationResult {
            outcome: op.done.unwrap_or(Outcome::Pending),
            id: op.id,
            last: op.last,
            error: op.error,
            polls: op.polls,
            seen_done_after: op.seen_done_after,
        })
        .collect();
    let status = overall(&operations, interrupted);
    Summary {
        provider,
        status,
        operations,
        elapsed: start.elapsed(),
        polls,
        timeout: settings.timeout,
        warnings: Vec::new(),
        purge: None,
        reason: (status == Status::TimedOut).then_some(reason).flatten(),
    }
}

/// The overall status: interrupted, else any failure, else any unreadable, else any
/// pending (timed out), else — and only then — succeeded.
pub fn overall(ops: &[OperationResult], interrupted: bool) -> Status {
    let any = |o: Outcome| ops.iter().any(|r| r.outcome == o);
    if interrupted {
        Status::Interrupted
    } else if any(Outcome::Failed) || any(Outcome::Cancelled) {
        Status::Failed
    } else if any(Outcome::Error) {
        Status::Error
    } else if ops.is_empty() || any(Outcome::Pending) {
        Status::TimedOut
    } else if ops.iter().all(|r| r.outcome == Outcome::Succeeded) {
        Status::Succeeded
    } else {
        Status::Error
    }
}

/// What applying a result needs to know.
struct Ctx<'a> {
    settings: &'a Settings,
    provider: &'static str,
    start: Instant,
    deadline: Instant,
    now: Instant,
    /// What the delay to the next poll counts from: when the call was asked for a long-poll
    /// ([`Provider::hold`]), else `now`.
    asked_at: Instant,
    /// This sweep's jitter draw in `[0, 1)`.
    unit: f64,
}

impl Ctx<'_> {
    fn observed(&self, op: &mut Op, obs: Observation, observer: &mut dyn Observer) {
        op.polls += 1;
        op.failures = 0;
        op.error = None;
        let changed = op.last.as_ref().map(|l| &l.raw_status) != Some(&obs.raw_status);
        let mut next_in = None;
        match obs.state {
            State::Succeeded => op.done = Some(Outcome::Succeeded),
            State::Failed => op.done = Some(Outcome::Failed),
            State::Cancelled => op.done = Some(Outcome::Cancelled),
            State::Pending | State::Unrecognized => {
                op.pending_polls += 1;
                let elapsed = self.now - self.start;
                if let Some(p) = obs.progress.filter(|p| p.is_finite()) {
                    if op.progress.len() == 2 * schedule::RATE_WINDOW {
                        op.progress.remove(0);
                    }
                    op.progress.push((elapsed, p));
                }
                let hints = schedule::Hints {
                    progress: if obs.state == State::Pending {
                        &op.progress
                    } else {
                        &[]
                    },
                    started_ago: obs
                        .started_at
                        .and_then(|t| (chrono::Utc::now() - t).to_std().ok()),
                };
                let s = self.settings;
                let delay = schedule::adaptive_delay(
                    op.pending_polls,
                    s.interval,
                    s.max_interval,
                    &hints,
                    self.unit,
                );
                op.due = self.next_poll(after(self.asked_at, delay).max(self.now));
                next_in = (op.due <= self.deadline).then(|| op.due - self.now);
            }
        }
        if op.done.is_some() {
            op.seen_done_after = Some(self.now - self.start);
        }
        observer.event(&Event::Observed {
            observation: &obs,
            changed,
            elapsed: self.now - self.start,
            next_in,
        });
        op.last = Some(obs);
    }

    /// An operation this run created that the status API does not know yet: pending.
    fn not_listed(&self, op: &mut Op, observer: &mut dyn Observer) {
        let mut obs = Observation::new(op.id.clone(), State::Pending, NOT_LISTED_YET);
        obs.message = Some(format!(
            "created by this run; the {} status API does not list it yet, so it counts as pending for up to {} after its creation (not-found-grace)",
            self.provider,
            crate::duration::format(self.settings.not_found_grace)
        ));
        self.observed(op, obs, observer);
    }

    fn failed(&self, op: &mut Op, mut error: ProviderError, observer: &mut dyn Observer) {
        // Not found, in the provider's words or by HTTP status (Azure China answers an
        // unknown operation with 404 ParameterInvalid).
        if error.kind == ErrorKind::NotFound || error.http_status == Some(404) {
            match op.fresh_until {
                Some(until) if self.now < until => return self.not_listed(op, observer),
                Some(_) => {
                    error.message = format!(
                        "{} (created by this run, and still not listed {} after its creation)",
                        error.message,
                        crate::duration::format(self.settings.not_found_grace)
                    )
                }
                None => {}
            }
        }
        op.polls += 1;
        op.failures += 1;
        let s = self.settings;
        let mut retry_in = None;
        if !error.kind.is_retryable() || op.failures > s.retries {
            op.done = Some(Outcome::Error);
        } else {
            let delay = schedule::retry_delay(
                op.failures,
                s.interval,
                s.max_interval,
                error.retry_after,
                self.unit,
            );
            let backoff_due = self.next_poll(after(self.now, delay));
            // The server's Retry-After is honoured even when it reaches past the deadline:
            // then the operation is not asked again, and the timeout says why.
            let asked = error.retry_after.unwrap_or(Duration::ZERO);
            let floor = after(self.now, asked);
            op.due = backoff_due.max(floor);
            if error.retry_after.is_some() && self.now < self.deadline && floor > self.deadline {
                let left = self.deadline.saturating_duration_since(self.now);
                let who = if error.kind == ErrorKind::Throttled {
                    "throttled by the provider"
                } else {
                    "the provider asked to wait"
                };
                op.stopped = Some(format!(
                    "{who}; Retry-After {} is beyond the deadline ({} left)",
                    crate::duration::format(asked),
                    crate::duration::format(left)
                ));
            }
            retry_in = (op.due <= self.deadline).then(|| op.due - self.now);
        }
        observer.event(&Event::ReadFailed {
            id: &op.id,
            error: &error,
            retry_in,
            attempt: op.failures,
            elapsed: self.now - self.start,
        });
        op.error = Some(error);
    }

    /// A poll planned for `at`, moved to the deadline when it would fall after it (once:
    /// a poll made at or after the deadline schedules nothing more).
    fn next_poll(&self, at: Instant) -> Instant {
        if at > self.deadline && self.now < self.deadline {
            self.deadline
        } else {
            at
        }
    }
}

#[cfg(test)]
mod tests;
