//! Engine tests on tokio's paused clock: virtual time, so minutes of waiting take
//! milliseconds, and every timing assertion is exact.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, pending};
use tokio::time::Instant;

use super::*;
use crate::provider::{ErrorKind, Observation, PollResult, Provider, ProviderError, State};

/// One scripted answer for one id.
#[derive(Clone)]
enum Step {
    Is(State, &'static str),
    Fails(ErrorKind, Option<Duration>),
    Omit,
    Hang,
}

/// A provider that answers from a script per id (the last step repeats) and records calls.
struct Fake {
    script: RefCell<HashMap<String, VecDeque<Step>>>,
    calls: RefCell<Vec<(Instant, Vec<String>)>>,
    batch: usize,
    rate: Option<f64>,
    latency: Duration,
    hold: Option<Duration>,
    in_flight: Cell<usize>,
    max_in_flight: Cell<usize>,
}

impl Fake {
    fn new(script: &[(&str, Vec<Step>)]) -> Self {
        Fake {
            script: RefCell::new(
                script
                    .iter()
                    .map(|(id, steps)| (id.to_string(), steps.iter().cloned().collect()))
                    .collect(),
            ),
            calls: RefCell::new(Vec::new()),
            batch: 1,
            rate: None,
            latency: Duration::ZERO,
            hold: None,
            in_flight: Cell::new(0),
            max_in_flight: Cell::new(0),
        }
    }

    fn next(&self, id: &str) -> Step {
        let mut script = self.script.borrow_mut();
        let steps = script.get_mut(id).expect("scripted id");
        if steps.len() > 1 {
            steps.pop_front().unwrap()
        } else {
            steps[0].clone()
        }
    }

    fn call_times(&self) -> Vec<Duration> {
        let calls = self.calls.borrow();
        let t0 = calls[0].0;
        calls.iter().map(|(t, _)| *t - t0).collect()
    }
}

impl Provider for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn max_batch(&self) -> usize {
        self.batch
    }
    fn max_rate(&self) -> Option<f64> {
        self.rate
    }
    fn hold(&self) -> Option<Duration> {
        self.hold
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        async move {
            self.calls.borrow_mut().push((Instant::now(), ids.to_vec()));
            self.in_flight.set(self.in_flight.get() + 1);
            self.max_in_flight
                .set(self.max_in_flight.get().max(self.in_flight.get()));
            tokio::time::sleep(self.latency).await;
            self.in_flight.set(self.in_flight.get() - 1);
            let mut out = Vec::new();
            for id in ids {
                match self.next(id) {
                    Step::Is(state, raw) => out.push(Observation::new(id.clone(), state, raw)),
                    Step::Fails(kind, retry_after) => {
                        let mut e = ProviderError::new(kind, "scripted");
                        e.retry_after = retry_after;
                        return Err(e);
                    }
                    Step::Omit => {}
                    Step::Hang => pending::<()>().await,
                }
            }
            Ok(out)
        }
        .boxed_local()
    }
}

use Step::*;
const P: Step = Is(State::Pending, "Processing");
const OK: Step = Is(State::Succeeded, "Succeeded");

fn settings() -> Settings {
    Settings {
        timeout: Duration::from_secs(60),
        interval: Duration::from_secs(5),
        max_interval: Duration::from_secs(30),
        request_timeout: Duration::from_secs(10),
        concurrency: 4,
        retries: 3,
        heartbeat: Duration::from_secs(30),
        rate_limit: None,
        not_found_grace: Duration::from_secs(60),
    }
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn wait(fake: &Fake, list: &[&str], s: &Settings) -> Summary {
    run(fake, &ids(list), s, &mut Ignore, pending()).await
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

#[tokio::test(start_paused = true)]
async fn polls_at_once_then_on_a_growing_jittered_schedule() {
    let fake = Fake::new(&[("a", vec![P, P, P, P, OK])]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::Succeeded);
    assert_eq!(summary.polls, 5);
    let t = fake.call_times();
    assert_eq!(t[0], Duration::ZERO, "first poll is immediate");
    let gaps: Vec<f64> = t.windows(2).map(|w| secs(w[1] - w[0])).collect();
    for (gap, base) in gaps.iter().zip([5.0, 7.5, 11.25, 16.875]) {
        assert!(
            (gap - base).abs() <= base * JITTER_TOLERANCE,
            "gap {gap} vs {base}: {gaps:?}"
        );
    }
    let r = &summary.operations[0];
    assert_eq!(r.outcome, Outcome::Succeeded);
    assert_eq!(r.polls, 5);
    assert_eq!(r.seen_done_after, Some(t[4]));
}

const JITTER_TOLERANCE: f64 = schedule::JITTER + 1e-6;

#[tokio::test(start_paused = true)]
async fn never_polls_after_the_deadline_but_polls_at_it() {
    let fake = Fake::new(&[("a", vec![P])]);
    let s = Settings {
        timeout: Duration::from_secs(12),
        ..settings()
    };
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert!(summary.timed_out());
    let t = fake.call_times();
    assert_eq!(
        *t.last().unwrap(),
        Duration::from_secs(12),
        "last poll at the deadline: {t:?}"
    );
    assert!(t.iter().all(|d| *d <= Duration::from_secs(12)));
    assert_eq!(summary.operations[0].outcome, Outcome::Pending);
    assert!(summary.elapsed <= Duration::from_secs(12) + FINAL_GRACE);
}

#[tokio::test(start_paused = true)]
async fn deadline_shorter_than_one_interval_polls_twice() {
    let fake = Fake::new(&[("a", vec![P])]);
    let s = Settings {
        timeout: Duration::from_secs(2),
        ..settings()
    };
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert_eq!(
        fake.call_times(),
        vec![Duration::ZERO, Duration::from_secs(2)]
    );
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_then_succeed() {
    let fake = Fake::new(&[(
        "a",
        vec![
            Fails(ErrorKind::Transient, None),
            Fails(ErrorKind::Transient, None),
            OK,
        ],
    )]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::Succeeded);
    assert_eq!(summary.polls, 3);
    assert!(
        summary.operations[0].error.is_none(),
        "a later success clears the error"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_even_beyond_the_backoff() {
    let fake = Fake::new(&[(
        "a",
        vec![
            Fails(ErrorKind::Throttled, Some(Duration::from_secs(17))),
            OK,
        ],
    )]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::Succeeded);
    assert_eq!(fake.call_times()[1], Duration::from_secs(17));
}

#[tokio::test(start_paused = true)]
async fn retry_after_past_the_deadline_ends_the_wait_as_timed_out() {
    let fake = Fake::new(&[(
        "a",
        vec![
            Fails(ErrorKind::Throttled, Some(Duration::from_secs(600))),
            OK,
        ],
    )]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert_eq!(summary.polls, 1);
    assert!(
        summary.elapsed < Duration::from_secs(1),
        "does not sleep to the deadline for nothing"
    );
    assert_eq!(
        summary.operations[0].error.as_ref().unwrap().kind,
        ErrorKind::Throttled
    );
}

#[tokio::test(start_paused = true)]
async fn retries_exhausted_is_an_error_not_a_success() {
    let fake = Fake::new(&[("a", vec![Fails(ErrorKind::Malformed, None)])]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::Error);
    assert_eq!(summary.polls, 4, "one try plus three retries");
    assert_eq!(summary.operations[0].outcome, Outcome::Error);
}

#[tokio::test(start_paused = true)]
async fn permanent_error_fails_fast() {
    let fake = Fake::new(&[
        ("a", vec![Fails(ErrorKind::NotFound, None)]),
        ("b", vec![P, OK]),
    ]);
    let summary = wait(&fake, &["a", "b"], &settings()).await;
    assert_eq!(summary.status, Status::Error);
    assert_eq!(summary.operations[0].outcome, Outcome::Error);
    assert_eq!(summary.operations[1].outcome, Outcome::Succeeded);
    assert_eq!(summary.polls, 3);
}

#[tokio::test(start_paused = true)]
async fn refused_credentials_end_every_operation() {
    let fake = Fake::new(&[
        ("a", vec![Fails(ErrorKind::Auth, None)]),
        ("b", vec![Hang]),
        ("c", vec![P]),
    ]);
    let s = Settings {
        concurrency: 1,
        ..settings()
    };
    let summary = wait(&fake, &["a", "b", "c"], &s).await;
    assert_eq!(summary.status, Status::Error);
    assert_eq!(
        summary.polls, 1,
        "no call after the credentials were refused"
    );
    assert!(
        summary
            .operations
            .iter()
            .all(|o| o.outcome == Outcome::Error)
    );
}

#[tokio::test(start_paused = true)]
async fn failure_wins_over_error_and_timeout() {
    let fake = Fake::new(&[
        ("a", vec![Is(State::Failed, "Failed")]),
        ("b", vec![Fails(ErrorKind::NotFound, None)]),
        ("c", vec![P]),
    ]);
    let s = Settings {
        timeout: Duration::from_secs(10),
        ..settings()
    };
    assert_eq!(
        wait(&fake, &["a", "b", "c"], &s).await.status,
        Status::Failed
    );
}

#[tokio::test(start_paused = true)]
async fn an_unrecognised_status_is_never_success() {
    let fake = Fake::new(&[("a", vec![Is(State::Unrecognized, "Completed")])]);
    let s = Settings {
        timeout: Duration::from_secs(20),
        ..settings()
    };
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert!(summary.polls >= 3, "kept polling");
    assert_eq!(
        summary.operations[0].last.as_ref().unwrap().raw_status,
        "Completed"
    );
}

#[tokio::test(start_paused = true)]
async fn an_id_missing_from_the_answer_is_not_found() {
    let fake = Fake::new(&[("a", vec![OK]), ("b", vec![Omit])]);
    let mut fake = fake;
    fake.batch = 10;
    let summary = wait(&fake, &["a", "b"], &settings()).await;
    assert_eq!(summary.status, Status::Error);
    assert_eq!(summary.polls, 1, "one batched call");
    let b = &summary.operations[1];
    assert_eq!(b.outcome, Outcome::Error);
    assert_eq!(b.error.as_ref().unwrap().kind, ErrorKind::NotFound);
}

#[tokio::test(start_paused = true)]
async fn batches_and_concurrency_are_bounded() {
    let script: Vec<(String, Vec<Step>)> =
        (0..25).map(|i| (format!("t{i}"), vec![P, OK])).collect();
    let script: Vec<(&str, Vec<Step>)> = script
        .iter()
        .map(|(id, s)| (id.as_str(), s.clone()))
        .collect();
    let mut fake = Fake::new(&script);
    fake.batch = 10;
    fake.latency = Duration::from_millis(300);
    let list: Vec<&str> = script.iter().map(|(id, _)| *id).collect();
    let s = Settings {
        concurrency: 2,
        ..settings()
    };
    let summary = wait(&fake, &list, &s).await;
    assert_eq!(summary.status, Status::Succeeded);
    assert_eq!(summary.polls, 6, "3 batched calls per sweep, 2 sweeps");
    assert_eq!(fake.max_in_flight.get(), 2);
    assert!(fake.calls.borrow().iter().all(|(_, ids)| ids.len() <= 10));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_spaces_calls() {
    let script: Vec<(String, Vec<Step>)> = (0..40).map(|i| (format!("t{i}"), vec![OK])).collect();
    let script: Vec<(&str, Vec<Step>)> = script
        .iter()
        .map(|(id, s)| (id.as_str(), s.clone()))
        .collect();
    let mut fake = Fake::new(&script);
    fake.rate = Some(30.0);
    let list: Vec<&str> = script.iter().map(|(id, _)| *id).collect();
    let s = Settings {
        concurrency: 40,
        rate_limit: Some(100.0),
        ..settings()
    };
    let summary = wait(&fake, &list, &s).await;
    assert_eq!(summary.status, Status::Succeeded);
    let t = fake.call_times();
    for (i, a) in t.iter().enumerate() {
        let in_window = t[i..]
            .iter()
            .filter(|b| **b - *a < Duration::from_secs(1))
            .count();
        assert!(in_window <= 30, "{in_window} calls within 1 s from {a:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_hung_call_is_cut_at_the_request_timeout() {
    let fake = Fake::new(&[("a", vec![Hang, OK])]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::Succeeded);
    let t = fake.call_times();
    assert!(t[1] >= Duration::from_secs(10), "{t:?}");
}

#[tokio::test(start_paused = true)]
async fn cancellation_interrupts_promptly() {
    let fake = Fake::new(&[("a", vec![P])]);
    let cancel = tokio::time::sleep(Duration::from_secs(7));
    let summary = run(&fake, &ids(&["a"]), &settings(), &mut Ignore, cancel).await;
    assert_eq!(summary.status, Status::Interrupted);
    assert_eq!(summary.elapsed, Duration::from_secs(7));
    assert_eq!(summary.operations[0].outcome, Outcome::Pending);
}

#[test]
fn overall_succeeds_only_when_every_operation_succeeded() {
    let r = |outcome| OperationResult {
        id: "x".into(),
        outcome,
        last: None,
        error: None,
        polls: 1,
        seen_done_after: None,
    };
    assert_eq!(overall(&[], false), Status::TimedOut);
    assert_eq!(overall(&[r(Outcome::Succeeded)], false), Status::Succeeded);
    assert_eq!(overall(&[r(Outcome::Succeeded)], true), Status::Interrupted);
    assert_eq!(
        overall(&[r(Outcome::Succeeded), r(Outcome::Cancelled)], false),
        Status::Failed
    );
    assert_eq!(
        overall(&[r(Outcome::Error), r(Outcome::Pending)], false),
        Status::Error
    );
    assert_eq!(
        overall(&[r(Outcome::Succeeded), r(Outcome::Pending)], false),
        Status::TimedOut
    );
}

#[tokio::test(start_paused = true)]
async fn heartbeats_while_waiting() {
    struct Count(usize);
    impl Observer for Count {
        fn event(&mut self, e: &Event<'_>) {
            if matches!(e, Event::Heartbeat { .. }) {
                self.0 += 1;
            }
        }
    }
    let fake = Fake::new(&[("a", vec![P])]);
    let s = Settings {
        timeout: Duration::from_secs(100),
        max_interval: Duration::from_secs(90),
        interval: Duration::from_secs(90),
        ..settings()
    };
    let mut count = Count(0);
    run(&fake, &ids(&["a"]), &s, &mut count, pending()).await;
    assert_eq!(count.0, 3, "at 30, 60 and 90 s");
}

/// Progress climbs linearly from 0 to 100 % over `done_at`, then Succeeded.
struct Linear {
    done_at: Duration,
    start: Cell<Option<Instant>>,
    calls: Cell<u32>,
}

impl Provider for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        async move {
            self.calls.set(self.calls.get() + 1);
            let now = Instant::now();
            let start = *self.start.get().get_or_insert(now);
            self.start.set(Some(start));
            let elapsed = now - start;
            let mut obs = if elapsed >= self.done_at {
                Observation::new(ids[0].clone(), State::Succeeded, "Complete")
            } else {
                Observation::new(ids[0].clone(), State::Pending, "Refreshing")
            };
            obs.progress =
                Some((elapsed.as_secs_f64() / self.done_at.as_secs_f64() * 100.0).min(100.0));
            Ok(vec![obs])
        }
        .boxed_local()
    }
}

#[tokio::test(start_paused = true)]
async fn progress_hints_aim_the_poll_at_completion() {
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let p = Linear {
            done_at: Duration::from_secs(120),
            start: Cell::new(None),
            calls: Cell::new(0),
        };
        let summary = run(
            &p,
            &ids(&["a"]),
            &Settings {
                timeout: Duration::from_secs(600),
                ..settings()
            },
            &mut Ignore,
            pending(),
        )
        .await;
        assert_eq!(summary.status, Status::Succeeded);
        let lag = summary.operations[0].seen_done_after.unwrap() - Duration::from_secs(120);
        worst = worst.max(lag);
        assert!(p.calls.get() <= 8, "{} polls", p.calls.get());
    }
    // Growth alone would see it up to a whole 30 s interval late.
    assert!(worst <= Duration::from_millis(1500), "worst lag {worst:?}");
}

/// [`Fake`], with first polls held back as a provider may ask ([`Provider::not_before`]).
struct NotBefore<'a>(&'a Fake, Instant);

impl Provider for NotBefore<'_> {
    fn name(&self) -> &'static str {
        "not-before"
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        self.0.poll(ids)
    }
    fn not_before(&self, id: &str) -> Option<Instant> {
        match id {
            "late" => Some(self.1 + Duration::from_secs(7)),
            "past-deadline" => Some(self.1 + Duration::from_secs(600)),
            "in-the-past" => Some(self.1 - Duration::from_secs(1)),
            _ => None,
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_provider_can_hold_back_the_first_poll_but_not_past_the_deadline() {
    let fake = Fake::new(&[
        ("now", vec![OK]),
        ("in-the-past", vec![OK]),
        ("late", vec![OK]),
        ("past-deadline", vec![OK]),
    ]);
    let provider = NotBefore(&fake, Instant::now());
    let list = ["now", "in-the-past", "late", "past-deadline"];
    let summary = run(&provider, &ids(&list), &settings(), &mut Ignore, pending()).await;
    assert_eq!(summary.status, Status::Succeeded);
    let calls = fake.calls.borrow();
    let t0 = calls[0].0;
    let when: Vec<(f64, &str)> = calls
        .iter()
        .map(|(t, ids)| (secs(*t - t0), ids[0].as_str()))
        .collect();
    assert_eq!(
        when,
        vec![
            (0.0, "now"),
            (0.0, "in-the-past"),
            (7.0, "late"),
            (60.0, "past-deadline"),
        ],
        "held back until asked, and polled at the deadline at the latest"
    );
}

fn many(n: usize, steps: Vec<Step>) -> (Vec<String>, Fake) {
    let list: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    let script: Vec<(&str, Vec<Step>)> =
        list.iter().map(|id| (id.as_str(), steps.clone())).collect();
    (list.clone(), Fake::new(&script))
}

#[tokio::test(start_paused = true)]
async fn many_calls_that_never_answer_end_at_the_deadline_not_after_each_round() {
    let (list, fake) = many(40, vec![Hang]);
    let s = Settings {
        timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(30),
        concurrency: 8,
        ..settings()
    };
    let summary = run(&fake, &list, &s, &mut Ignore, pending()).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert!(
        summary.elapsed <= s.timeout + FINAL_GRACE,
        "{:?}",
        summary.elapsed
    );
    let calls = fake.calls.borrow();
    assert_eq!(
        calls.len(),
        8,
        "only the first round started before the deadline"
    );
    assert!(calls.iter().all(|(t, _)| *t - calls[0].0 <= s.timeout));
    assert!(
        summary
            .operations
            .iter()
            .all(|o| o.outcome == Outcome::Pending)
    );
}

#[tokio::test(start_paused = true)]
async fn no_call_starts_after_the_deadline_even_when_a_sweep_runs_past_it() {
    // "a" answers at once and is due again at the deadline; "b" keeps the sweep busy past it.
    let fake = Fake::new(&[("a", vec![P]), ("b", vec![Hang])]);
    let s = Settings {
        timeout: Duration::from_secs(3),
        interval: Duration::from_secs(1),
        max_interval: Duration::from_secs(1),
        ..settings()
    };
    let t0 = Instant::now();
    let summary = run(&fake, &ids(&["a", "b"]), &s, &mut Ignore, pending()).await;
    assert_eq!(summary.status, Status::TimedOut);
    let deadline = t0 + s.timeout;
    for (t, batch) in fake.calls.borrow().iter() {
        assert!(*t <= deadline, "{batch:?} started at {:?}", *t - t0);
    }
    assert!(summary.elapsed <= s.timeout + FINAL_GRACE);
}

#[tokio::test(start_paused = true)]
async fn the_rate_limit_wait_is_cut_at_the_deadline() {
    let (list, fake) = many(40, vec![P]);
    let s = Settings {
        timeout: Duration::from_secs(3),
        rate_limit: Some(0.1),
        ..settings()
    };
    let summary = run(&fake, &list, &s, &mut Ignore, pending()).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert_eq!(fake.calls.borrow().len(), 1, "the next slot is 10.5 s away");
    assert!(summary.elapsed <= s.timeout, "{:?}", summary.elapsed);
    let reason = summary.reason.unwrap();
    assert_eq!(
        reason,
        "the deadline came before the rate limit (0.1 calls/s) allowed another call"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_deadline_is_the_stated_reason() {
    let fake = Fake::new(&[(
        "a",
        vec![
            Fails(ErrorKind::Throttled, Some(Duration::from_secs(600))),
            OK,
        ],
    )]);
    let summary = wait(&fake, &["a"], &settings()).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert_eq!(
        summary.reason.as_deref(),
        Some("throttled by the provider; Retry-After 10m00s is beyond the deadline (1m00s left)")
    );
    // A plain timeout has no reason: the deadline says it all.
    let fake = Fake::new(&[("a", vec![P])]);
    assert_eq!(wait(&fake, &["a"], &settings()).await.reason, None);
}

#[tokio::test(start_paused = true)]
async fn extreme_settings_and_delays_never_panic() {
    let fake = Fake::new(&[(
        "a",
        vec![Fails(ErrorKind::Throttled, Some(Duration::MAX)), OK],
    )]);
    let s = Settings {
        timeout: Duration::MAX,
        interval: Duration::MAX,
        max_interval: Duration::MAX,
        request_timeout: Duration::MAX,
        heartbeat: Duration::MAX,
        rate_limit: Some(1e-300),
        not_found_grace: Duration::MAX,
        ..settings()
    };
    // Both saturate at duration::FAR: the retry comes at the (virtual) end of time.
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::Succeeded);
    assert_eq!(summary.polls, 2);
    for rate in [f64::NAN, f64::INFINITY, -1.0, 0.0, f64::MIN_POSITIVE] {
        let fake = Fake::new(&[("a", vec![OK])]);
        let s = Settings {
            rate_limit: Some(rate),
            ..settings()
        };
        assert_eq!(
            wait(&fake, &["a"], &s).await.status,
            Status::Succeeded,
            "{rate}"
        );
    }
}

async fn wait_created(fake: &Fake, list: &[&str], s: &Settings) -> Summary {
    let now = Instant::now();
    let created = vec![now; list.len()];
    run_created(fake, &ids(list), &created, s, &mut Ignore, pending()).await
}

#[tokio::test(start_paused = true)]
async fn a_created_operation_not_listed_yet_is_pending_within_the_grace() {
    let mut fake = Fake::new(&[
        ("a", vec![Omit, Omit, Omit, P, OK]),
        ("b", vec![Fails(ErrorKind::NotFound, None), OK]),
    ]);
    fake.batch = 1;
    let summary = wait_created(&fake, &["a", "b"], &settings()).await;
    assert_eq!(
        summary.status,
        Status::Succeeded,
        "{:?}",
        summary.operations
    );
    assert!(summary.operations.iter().all(|o| o.error.is_none()));
}

#[tokio::test(start_paused = true)]
async fn a_created_operation_never_listed_is_not_found_after_the_grace() {
    let mut fake = Fake::new(&[
        ("a", vec![Omit]),
        ("b", vec![Fails(ErrorKind::NotFound, None)]),
    ]);
    fake.batch = 1;
    let s = Settings {
        not_found_grace: Duration::from_secs(20),
        ..settings()
    };
    let summary = wait_created(&fake, &["a", "b"], &s).await;
    assert_eq!(summary.status, Status::Error);
    for op in &summary.operations {
        assert_eq!(op.outcome, Outcome::Error);
        let e = op.error.as_ref().unwrap();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(
            e.message
                .contains("still not listed 20s after its creation"),
            "{}",
            e.message
        );
        assert_eq!(op.last.as_ref().unwrap().raw_status, NOT_LISTED_YET);
    }
    let last = fake.call_times().last().copied().unwrap();
    assert!(
        last >= Duration::from_secs(20) && last < Duration::from_secs(40),
        "{last:?}"
    );
    // Ids given by the user are not new: not found at once.
    let fake = Fake::new(&[("a", vec![Fails(ErrorKind::NotFound, None)])]);
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::Error);
    assert_eq!(summary.polls, 1);
}

#[tokio::test(start_paused = true)]
async fn the_grace_is_cut_to_the_deadline() {
    let fake = Fake::new(&[("a", vec![Omit])]);
    let s = Settings {
        timeout: Duration::from_secs(10),
        not_found_grace: Duration::from_secs(60),
        ..settings()
    };
    let summary = wait_created(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::TimedOut, "pending at the deadline");
    assert!(summary.elapsed <= s.timeout + FINAL_GRACE);
    assert_eq!(
        summary.operations[0].last.as_ref().unwrap().raw_status,
        NOT_LISTED_YET
    );
}

/// An Alibaba refresh task as the simulator scripts it: it starts at the first poll,
/// `Process` climbs linearly in whole percents (truncated, at most 99 % until done), and each
/// call takes 5–40 ms, the task read halfway through.
struct Quantised {
    done_at: Duration,
    start: Cell<Option<Instant>>,
    calls: Cell<u32>,
    latency: Duration,
}

impl Provider for Quantised {
    fn name(&self) -> &'static str {
        "quantised"
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        async move {
            self.calls.set(self.calls.get() + 1);
            tokio::time::sleep(self.latency / 2).await;
            let now = Instant::now();
            let start = *self.start.get().get_or_insert(now);
            self.start.set(Some(start));
            let elapsed = now - start;
            let mut obs = if elapsed >= self.done_at {
                let mut o = Observation::new(ids[0].clone(), State::Succeeded, "Complete");
                o.progress = Some(100.0);
                o
            } else {
                let mut o = Observation::new(ids[0].clone(), State::Pending, "Refreshing");
                o.progress = Some(
                    (elapsed.as_secs_f64() / self.done_at.as_secs_f64() * 100.0)
                        .floor()
                        .min(99.0),
                );
                o
            };
            obs.id = ids[0].clone();
            tokio::time::sleep(self.latency - self.latency / 2).await;
            Ok(vec![obs])
        }
        .boxed_local()
    }
}

#[tokio::test(start_paused = true)]
async fn a_hinted_wait_is_three_polls_the_last_just_after_the_end() {
    // Tasks of 6–34 s (beyond, max-interval caps the aimed delay), default settings: the
    // immediate poll, one at `interval` to measure the rate, one just after the end. The
    // engine's jitter draws from fastrand's thread-local generator: seeded, so that every
    // run checks the same draws. The last poll is aimed past the estimate by its margin (the
    // progress resolution over what the rate was measured on, up to about a tenth of the
    // task) and a jitter of at most 2 %: the bound on each lag is a tenth of the task plus
    // half a second (over 40 seeds the worst was 9.5 % of the task, 2.99 s).
    fastrand::seed(20261201);
    let s = Settings {
        timeout: Duration::from_secs(600),
        ..Settings::default()
    };
    let mut lags = Vec::new();
    let mut rng = fastrand::Rng::with_seed(13);
    for i in 0..=56 {
        let done_at = Duration::from_millis(6_000 + i * 500);
        let p = Quantised {
            done_at,
            start: Cell::new(None),
            calls: Cell::new(0),
            latency: Duration::from_millis(rng.u64(5..=40)),
        };
        let t0 = Instant::now();
        let summary = run(&p, &ids(&["a"]), &s, &mut Ignore, pending()).await;
        assert_eq!(summary.status, Status::Succeeded);
        assert_eq!(p.calls.get(), 3, "{done_at:?}: {} polls", p.calls.get());
        let end = p.start.get().unwrap() + done_at;
        let seen = t0 + summary.operations[0].seen_done_after.unwrap();
        assert!(seen >= end);
        lags.push((seen - end).as_secs_f64());
    }
    let mean = lags.iter().sum::<f64>() / lags.len() as f64;
    assert!(mean < 1.0, "mean lag {mean:.2} s: {lags:?}");
    for (i, lag) in lags.iter().enumerate() {
        let task = 6.0 + i as f64 * 0.5;
        assert!(
            *lag < task / 10.0 + 0.5,
            "a {task} s task seen {lag} s late: {lags:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_long_poll_that_held_is_followed_at_once_and_may_outlast_the_request_timeout() {
    // Each call holds for two minutes (far beyond request-timeout's 10 s) and answers
    // pending twice, then done: three calls, back to back, no interval slept in between.
    let mut fake = Fake::new(&[("a", vec![P, P, OK])]);
    fake.latency = Duration::from_secs(120);
    fake.hold = Some(Duration::from_secs(120));
    let s = Settings {
        timeout: Duration::from_secs(600),
        ..settings()
    };
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::Succeeded);
    assert_eq!(summary.polls, 3);
    let times: Vec<f64> = fake.call_times().into_iter().map(secs).collect();
    assert_eq!(times, [0.0, 120.0, 240.0]);
    assert_eq!(
        summary.operations[0].seen_done_after,
        Some(Duration::from_secs(360))
    );

    // A long-poll that answers at once (an overloaded server) keeps the interval: no hot loop.
    let mut fake = Fake::new(&[("a", vec![P, P, OK])]);
    fake.hold = Some(Duration::from_secs(120));
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::Succeeded);
    let times = fake.call_times();
    assert!(times[1] >= Duration::from_secs(4), "{times:?}");
    assert!(times[2] - times[1] >= Duration::from_secs(4), "{times:?}");

    // The hold is still cut at the deadline.
    let mut fake = Fake::new(&[("a", vec![P])]);
    fake.latency = Duration::from_secs(120);
    fake.hold = Some(Duration::from_secs(120));
    let s = Settings {
        timeout: Duration::from_secs(50),
        ..settings()
    };
    let started = Instant::now();
    let summary = wait(&fake, &["a"], &s).await;
    assert_eq!(summary.status, Status::TimedOut);
    assert_eq!(started.elapsed(), Duration::from_secs(50) + FINAL_GRACE);
}

#[tokio::test(start_paused = true)]
async fn a_retry_is_not_held_up_by_another_operation_s_long_poll() {
    // "a" is held for the whole wait; "b" fails once at once and is due again after its
    // backoff: it is asked then, not when a's hold ends, and heartbeats go on meanwhile.
    struct Heartbeats(usize);
    impl Observer for Heartbeats {
        fn event(&mut self, e: &Event<'_>) {
            if matches!(e, Event::Heartbeat { .. }) {
                self.0 += 1;
            }
        }
    }
    let mut fake = Fake::new(&[
        ("a", vec![Hang]),
        ("b", vec![Fails(ErrorKind::Transient, None), OK]),
    ]);
    fake.hold = Some(Duration::from_secs(120));
    let s = Settings {
        timeout: Duration::from_secs(100),
        ..settings()
    };
    let mut beats = Heartbeats(0);
    let summary = run(&fake, &ids(&["a", "b"]), &s, &mut beats, pending()).await;
    assert_eq!(summary.status, Status::TimedOut);
    let b = &summary.operations[1];
    assert_eq!(b.outcome, Outcome::Succeeded);
    let seen = b.seen_done_after.unwrap();
    assert!(seen < Duration::from_secs(15), "b seen after {seen:?}");
    assert_eq!(beats.0, 3, "at 30, 60 and 90 s, during a's hold");
    // a was asked once, b twice.
    let calls = fake.calls.borrow();
    assert_eq!(calls.iter().filter(|(_, ids)| ids[0] == "a").count(), 1);
    assert_eq!(calls.iter().filter(|(_, ids)| ids[0] == "b").count(), 2);
}
