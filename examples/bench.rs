//! The benchmark (not a test): `cargo run --release --example bench`.
//!
//! 1. **Schedules on scripted timelines**, in virtual time (tokio's paused clock): the real
//!    engine with its default settings against a provider that turns terminal after T, for
//!    T from 5 s to 40 min (±25 %, 30 runs each), once without hints and once reporting
//!    linear progress (as Alibaba `Process` / ARM `percentComplete` do). Fixed pollers are
//!    computed exactly: the AWS CLI waiter (20 s × 30 attempts), azure-core's 30 s default,
//!    and a 1 s poller. Columns: requests per wait, mean and p95 detection lag (from the
//!    operation turning terminal to the tool knowing), missed deadlines (not detected
//!    within 45 min, or the AWS waiter's 10 min).
//! 2. **Progress hints on scripted Alibaba tasks** of 6–36 s, in virtual time: `Process` in
//!    whole percents, 5–40 ms calls; requests per wait (3 is the aim: at once, one to measure
//!    the rate, one just after the end) and lag. `--hints-only` runs just this.
//! 3. **The real process**: start to first request (spawn → the simulator sees the first
//!    signed request), peak RSS of a whole demo wait, release binary size.
//! 3. **AWS CloudFront against `aws cloudfront wait invalidation-completed`** (20 s × 30,
//!    exit 255 after 10 minutes, stops at the first throttling error), on invalidations of
//!    1 to 40 minutes in virtual time, and the real binary against the CloudFront simulator.
//!    `cargo run --release --example bench -- cloudfront` runs this part alone.
//! 4. **Google Cloud CDN: the operations `wait` long-poll against fixed-interval pollers**, on
//!    operations of 1 to 40 minutes in virtual time (each call 100 ms round trip; `wait` held
//!    until done or 2 minutes), purge-wait with `wait`, with `get` (wait refused) and fixed
//!    5 s / 30 s pollers; then the real binary against the Google simulator (JWT verified,
//!    `wait` held). `cargo run --release --example bench -- google` runs this part alone.
//! 5. **Tencent Cloud CDN and EdgeOne** against fixed pollers (there is no official waiter:
//!    a `tccli cdn DescribePurgeTasks` loop) on purges of 1 to 20 minutes in virtual time, and
//!    the real binary against the Tencent simulator (TC3 verified): a CDN purge of files and
//!    directories split by the per-call limits, an EdgeOne purge of three types, and a keyless
//!    wait whose STS keys expire mid-wait. `cargo run --release --example bench -- tencent`
//!    runs this part alone.

use std::cell::Cell;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, pending};
use purge_wait::provider::azure_china::sim::{self as azure_china, AzureChinaSim, Setup};
use purge_wait::provider::{Observation, PollResult, Provider, State};
use purge_wait::sim::{Api, Record, Scenario, Simulator};
use purge_wait::wait::{self, Ignore, Settings};

/// The real binary against `api`, served on a free loopback port: `env(url)` (given the
/// simulator's URL) is the binary's whole environment besides `PURGE_WAIT_ENDPOINT` (the
/// simulator) and `PURGE_WAIT_REPORT: json`, later pairs overriding earlier ones; it must exit
/// 0. The time from spawn to exit, and every request the simulator saw.
fn run_binary(
    rt: &tokio::runtime::Runtime,
    bin: &std::path::Path,
    api: impl Api,
    env: impl FnOnce(&str) -> Vec<(String, String)>,
) -> (Duration, Vec<Record>) {
    rt.block_on(async {
        let sim = Simulator::start(api, "127.0.0.1:0".parse().unwrap(), false)
            .await
            .unwrap();
        let mut cmd = tokio::process::Command::new(bin);
        cmd.env_clear()
            .env("PURGE_WAIT_ENDPOINT", sim.url())
            .env("PURGE_WAIT_REPORT", "json");
        for (k, v) in env(&sim.url()) {
            cmd.env(k, v);
        }
        let started = Instant::now();
        let out = cmd.output().await.unwrap();
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (took, sim.requests())
    })
}

/// `base`, then `extra`, as owned pairs for [`run_binary`].
fn pairs(base: &[(&str, &str)], extra: &[(&str, String)]) -> Vec<(String, String)> {
    base.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain(extra.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .collect()
}

/// Pending until `done_at` after the first poll, then Succeeded. With `hints`, each answer
/// carries the percent complete (linear), as Alibaba `Process` and ARM `percentComplete` do.
/// Virtual time.
struct Timeline {
    start: Cell<Option<tokio::time::Instant>>,
    done_at: Duration,
    hints: bool,
}

impl Timeline {
    /// Time since the first poll (which starts the timeline).
    fn elapsed(&self) -> Duration {
        let now = tokio::time::Instant::now();
        let start = *self.start.get().get_or_insert(now);
        self.start.set(Some(start));
        now - start
    }
}

impl Provider for Timeline {
    fn name(&self) -> &'static str {
        "timeline"
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        async move {
            let elapsed = self.elapsed();
            let state = if elapsed >= self.done_at {
                State::Succeeded
            } else {
                State::Pending
            };
            let percent = (elapsed.as_secs_f64() / self.done_at.as_secs_f64() * 100.0).min(100.0);
            Ok(ids
                .iter()
                .map(|id| {
                    let mut o = Observation::new(id.clone(), state.clone(), "x");
                    o.progress = self.hints.then_some(percent);
                    o
                })
                .collect())
        }
        .boxed_local()
    }
}

struct Row {
    requests: f64,
    lags: Vec<f64>,
    missed: usize,
}

impl Row {
    fn mean(&self) -> f64 {
        self.lags.iter().sum::<f64>() / self.lags.len().max(1) as f64
    }
    fn p95(&self) -> f64 {
        let mut v = self.lags.clone();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v.get(((v.len() as f64) * 0.95).ceil() as usize - 1)
            .copied()
            .unwrap_or(f64::NAN)
    }
}

const DEADLINE: Duration = Duration::from_secs(45 * 60);
const RUNS: usize = 30;

/// Completion times around `base`: uniform in ±25 %, the same samples for every tool, so
/// that no fixed poller gains from being in phase with a round number.
fn samples(base: Duration) -> Vec<Duration> {
    let mut rng = fastrand::Rng::with_seed(base.as_secs());
    (0..RUNS)
        .map(|_| base.mul_f64(0.75 + 0.5 * rng.f64()))
        .collect()
}

fn purge_wait(ts: &[Duration], hints: bool) -> Row {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let settings = Settings {
        timeout: DEADLINE,
        ..Settings::default()
    };
    let mut requests = 0.0;
    let mut lags = Vec::new();
    let mut missed = 0;
    for &t in ts {
        let p = Timeline {
            start: Cell::new(None),
            done_at: t,
            hints,
        };
        let s = rt.block_on(wait::run(
            &p,
            &["op".into()],
            &settings,
            &mut Ignore,
            pending(),
        ));
        requests += s.polls as f64;
        match s.operations[0].seen_done_after {
            Some(seen) => lags.push((seen - t).as_secs_f64()),
            None => missed += 1,
        }
    }
    Row {
        requests: requests / RUNS as f64,
        lags,
        missed,
    }
}

/// A poller that asks at 0, d, 2d, … up to `attempts` times (exact, no simulation needed).
fn fixed(ts: &[Duration], every: Duration, attempts: Option<u32>) -> Row {
    let d = every.as_secs_f64();
    let mut row = Row {
        requests: 0.0,
        lags: vec![],
        missed: 0,
    };
    for t in ts {
        let k = (t.as_secs_f64() / d).ceil();
        let within = attempts.is_none_or(|a| k < a as f64) && k * d <= DEADLINE.as_secs_f64();
        if within {
            row.requests += k + 1.0;
            row.lags.push(k * d - t.as_secs_f64());
        } else {
            row.requests += attempts.map_or(DEADLINE.as_secs_f64() / d, f64::from);
            row.missed += 1;
        }
    }
    row.requests /= ts.len() as f64;
    row
}

fn schedules() {
    let timelines = [5, 30, 120, 300, 600, 1200, 2400].map(Duration::from_secs);
    println!(
        "## Requests per wait and detection lag (virtual time, {RUNS} runs of purge-wait per timeline)\n"
    );
    println!("| purge takes (±25 %) | tool | requests | mean lag (s) | p95 lag (s) | missed |");
    println!("|---|---|---|---|---|---|");
    let mut totals: Vec<(&str, f64, f64, usize)> = Vec::new();
    for t in timelines {
        let ts = samples(t);
        let rows = [
            ("purge-wait, no hints (5s→30s)", purge_wait(&ts, false)),
            ("purge-wait, progress hints", purge_wait(&ts, true)),
            (
                "AWS CLI waiter (20 s × 30)",
                fixed(&ts, Duration::from_secs(20), Some(30)),
            ),
            (
                "azure-core fixed 30 s",
                fixed(&ts, Duration::from_secs(30), None),
            ),
            ("fixed 1 s", fixed(&ts, Duration::from_secs(1), None)),
        ];
        for (name, row) in &rows {
            let (mean, p95) = if row.lags.is_empty() {
                ("-".to_string(), "-".to_string())
            } else {
                (format!("{:.1}", row.mean()), format!("{:.1}", row.p95()))
            };
            println!(
                "| {} | {name} | {:.1} | {mean} | {p95} | {} |",
                purge_wait::duration::format(t),
                row.requests,
                row.missed
            );
            match totals.iter_mut().find(|(n, ..)| n == name) {
                Some(total) => {
                    total.1 += row.requests;
                    total.2 += if row.lags.is_empty() { 0.0 } else { row.mean() };
                    total.3 += row.missed;
                }
                None => totals.push((
                    name,
                    row.requests,
                    if row.lags.is_empty() { 0.0 } else { row.mean() },
                    row.missed,
                )),
            }
        }
    }
    println!(
        "\n| tool | requests, summed over the 7 timelines | mean lags, summed (s) | missed runs |"
    );
    println!("|---|---|---|---|");
    for (name, req, lag, missed) in totals {
        println!("| {name} | {req:.0} | {lag:.1} | {missed} |");
    }
}

/// An Alibaba refresh task as the simulator scripts it: `Process` climbs linearly in whole
/// percents (truncated, at most 99 % until done), `Pending` below 20 % then `Refreshing`,
/// `Complete` at `done_at`. It started `head_start` before the server's first read (zero: at
/// it, as a scripted task does). Each call takes 5–40 ms and the server reads the task
/// halfway through it, so the engine's sample times carry that jitter too. Virtual time.
struct AlibabaTask {
    first_read: Cell<Option<tokio::time::Instant>>,
    head_start: Duration,
    done_at: Duration,
    rng: std::cell::RefCell<fastrand::Rng>,
}

impl AlibabaTask {
    /// When it finished (virtual time).
    fn done(&self) -> tokio::time::Instant {
        self.first_read.get().expect("polled") + self.done_at - self.head_start
    }
}

impl Provider for AlibabaTask {
    fn name(&self) -> &'static str {
        "alibaba-like"
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        async move {
            let latency = Duration::from_millis(self.rng.borrow_mut().u64(5..=40));
            tokio::time::sleep(latency / 2).await;
            let now = tokio::time::Instant::now();
            let first = *self.first_read.get().get_or_insert(now);
            self.first_read.set(Some(first));
            let elapsed = now - first + self.head_start;
            let done = elapsed >= self.done_at;
            let percent = if done {
                100.0
            } else {
                (elapsed.as_secs_f64() / self.done_at.as_secs_f64() * 100.0)
                    .floor()
                    .min(99.0)
            };
            let (state, word) = match (done, percent < 20.0) {
                (true, _) => (State::Succeeded, "Complete"),
                (false, true) => (State::Pending, "Pending"),
                (false, false) => (State::Pending, "Refreshing"),
            };
            tokio::time::sleep(latency - latency / 2).await;
            Ok(ids
                .iter()
                .map(|id| {
                    let mut o = Observation::new(id.clone(), state.clone(), word);
                    o.progress = Some(percent);
                    o
                })
                .collect())
        }
        .boxed_local()
    }
}

/// Scripted Alibaba tasks of 6–36 s (uniform, `N` runs) with the default settings, started
/// at the first poll or up to `head_start` before it: requests per wait, how many waits took
/// 3 polls (at once, one to measure the rate, one just after the predicted end), 4, or more,
/// and the detection lag (from the end to the answer that says so).
fn alibaba_hinted_row(label: &str, head_start: Duration) {
    const N: usize = 200;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let settings = Settings {
        timeout: DEADLINE,
        ..Settings::default()
    };
    let mut rng = fastrand::Rng::with_seed(36);
    let (mut requests, mut lags, mut histogram) = (0u32, Vec::new(), [0usize; 6]);
    for run in 0..N {
        let done_at = Duration::from_secs_f64(6.0 + 30.0 * rng.f64());
        let p = AlibabaTask {
            first_read: Cell::new(None),
            head_start: head_start.mul_f64(rng.f64()),
            done_at,
            rng: std::cell::RefCell::new(fastrand::Rng::with_seed(run as u64)),
        };
        let (s, lag) = rt.block_on(async {
            let t0 = tokio::time::Instant::now();
            let s = wait::run(&p, &["op".into()], &settings, &mut Ignore, pending()).await;
            let seen = t0 + s.operations[0].seen_done_after.expect("seen done");
            (s, (seen - p.done()).as_secs_f64())
        });
        assert_eq!(s.status, wait::Status::Succeeded);
        requests += s.polls;
        histogram[(s.polls as usize).min(5)] += 1;
        lags.push(lag);
    }
    let row = Row {
        requests: f64::from(requests) / N as f64,
        lags,
        missed: 0,
    };
    let max = row.lags.iter().cloned().fold(0.0, f64::max);
    println!(
        "| {label} | {:.2} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
        row.requests,
        histogram[3],
        histogram[4],
        histogram[5],
        row.mean(),
        row.p95(),
        max
    );
}

fn alibaba_hinted() {
    println!(
        "\n## Progress hints on scripted Alibaba tasks (6–36 s, `Process` in whole percents, 200 runs each)\n"
    );
    println!(
        "| tasks | requests per wait | waits of 3 requests | of 4 | of 5+ | mean lag (s) | p95 lag (s) | max lag (s) |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    alibaba_hinted_row("started at the first poll (as scripted)", Duration::ZERO);
    alibaba_hinted_row(
        "started 0–5 s before the first poll",
        Duration::from_secs(5),
    );
}

fn binary() -> std::path::PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "--release", "--quiet", "--bin", "purge-wait"])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "release build failed");
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/purge-wait")
}

fn process(bin: &std::path::Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let id = "3f2b8c1e-6d4a-4e8b-9c2d-1a5e7f9b0c31";
    let mut firsts = Vec::new();
    rt.block_on(async {
        for _ in 0..20 {
            let setup = Setup {
                default: Scenario::succeeds_after(Duration::ZERO),
                ..Setup::default()
            };
            let sim = Simulator::start(
                AzureChinaSim::new(setup),
                "127.0.0.1:0".parse().unwrap(),
                false,
            )
            .await
            .unwrap();
            let spawned = Instant::now();
            let status = tokio::process::Command::new(bin)
                .env_clear()
                .env("PURGE_WAIT_PROVIDER", "azure-china-cdn")
                .env("PURGE_WAIT_ENDPOINT", sim.url())
                .env("PURGE_WAIT_SUBSCRIPTION_ID", azure_china::DEMO_SUBSCRIPTION)
                .env("PURGE_WAIT_ENDPOINT_ID", azure_china::DEMO_ENDPOINT)
                .env("AZURE_CDN_API_KEY_ID", azure_china::DEMO_KEY_ID)
                .env("AZURE_CDN_API_KEY_SECRET", azure_china::DEMO_KEY_SECRET)
                .env("PURGE_WAIT_OPERATION_IDS", id)
                .env("PURGE_WAIT_REPORT", "json")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .await
                .unwrap();
            assert!(status.success());
            firsts.push(sim.requests()[0].at - spawned);
        }
    });
    firsts.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("\n## The process\n");
    println!(
        "- start to first request (spawn → simulator receives the signed GET), 20 runs: median {:.1} ms, min {:.1} ms, max {:.1} ms",
        ms(firsts[firsts.len() / 2]),
        ms(firsts[0]),
        ms(firsts[firsts.len() - 1])
    );
    println!(
        "- peak RSS of `purge-wait demo` (a whole 3-operation wait with the simulator in the same process): {:.1} MiB",
        peak_rss_mib(bin, &["demo", "--report", "json"])
    );
    let size = std::fs::metadata(bin).unwrap().len();
    println!(
        "- release binary size: {:.2} MiB ({size} bytes)",
        size as f64 / 1024.0 / 1024.0
    );
}

/// Runs `bin args` and returns its own peak RSS, from `wait4` on that one child.
#[allow(clippy::zombie_processes)] // reaped by wait4, which also returns its rusage
fn peak_rss_mib(bin: &std::path::Path, args: &[&str]) -> f64 {
    let child = std::process::Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for the child we spawned and reap.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "demo failed"
    );
    usage.ru_maxrss as f64 / 1024.0
}

/// 1,000 Alibaba task ids, all already complete: one sweep of 100 signed calls of 10 ids
/// under the 30 calls/s account limit, through the binary against the simulator (which
/// itself answers `Throttling.User` above 30 calls/s).
fn alibaba_sweep(bin: &std::path::Path) {
    use purge_wait::provider::alibaba::sim::{self as alibaba, AlibabaSim};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let setup = alibaba::Setup {
        default: Scenario::succeeds_after(Duration::ZERO),
        ..alibaba::Setup::default()
    };
    let ids: Vec<String> = (0..1000u64)
        .map(|i| (70_400_000_000 + i).to_string())
        .collect();
    let (took, requests) = run_binary(&rt, bin, AlibabaSim::new(setup), |_| {
        pairs(
            &[
                ("PURGE_WAIT_PROVIDER", "alibaba-dcdn"),
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", alibaba::DEMO_ACCESS_KEY_ID),
                (
                    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                    alibaba::DEMO_ACCESS_KEY_SECRET,
                ),
            ],
            &[("PURGE_WAIT_OPERATION_IDS", ids.join(","))],
        )
    });
    let at: Vec<Instant> = requests.iter().map(|r| r.at).collect();
    let worst = at
        .iter()
        .map(|a| {
            at.iter()
                .filter(|b| **b >= *a && **b - *a < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    let throttled = requests.iter().filter(|r| r.status != 200).count();
    println!(
        "- 1,000 Alibaba task ids swept in {:.2} s: {} signed calls of at most 10 ids, at most {worst} calls in any 1-second window (limit 30), {throttled} throttled",
        took.as_secs_f64(),
        at.len()
    );
}

/// A purge of 2 minutes whose status API throttles every call (429, `Retry-After: 10`) for
/// its first 30 s: purge-wait backs off as told and still sees the end.
fn throttling_episode() {
    struct Throttled(Timeline, Cell<u32>);
    impl Provider for Throttled {
        fn name(&self) -> &'static str {
            "throttled"
        }
        fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
            async move {
                if self.0.elapsed() < Duration::from_secs(30) {
                    self.1.set(self.1.get() + 1);
                    let mut e = purge_wait::provider::ProviderError::new(
                        purge_wait::provider::ErrorKind::Throttled,
                        "Throttling.User",
                    );
                    e.retry_after = Some(Duration::from_secs(10));
                    return Err(e);
                }
                self.0.poll(ids).await
            }
            .boxed_local()
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (mut requests, mut throttled, mut lags) = (0u32, 0u32, Vec::new());
    for t in samples(Duration::from_secs(120)) {
        let p = Throttled(
            Timeline {
                start: Cell::new(None),
                done_at: t,
                hints: false,
            },
            Cell::new(0),
        );
        let settings = Settings {
            timeout: DEADLINE,
            ..Settings::default()
        };
        let s = rt.block_on(wait::run(
            &p,
            &["op".into()],
            &settings,
            &mut Ignore,
            pending(),
        ));
        assert_eq!(s.status, wait::Status::Succeeded);
        requests += s.polls;
        throttled += p.1.get();
        lags.push((s.operations[0].seen_done_after.unwrap() - t).as_secs_f64());
    }
    let row = Row {
        requests: f64::from(requests) / RUNS as f64,
        lags,
        missed: 0,
    };
    println!(
        "- a 2-minute purge (±25 %) behind 30 s of throttling (every call 429, Retry-After: 10 s): {:.1} requests per wait ({:.1} of them throttled), mean lag {:.1} s, none missed. (The AWS CLI waiter stops at the first throttling error.)",
        row.requests,
        f64::from(throttled) / RUNS as f64,
        row.mean()
    );
}

/// purge-wait on CloudFront timelines: its defaults but `max_interval`, `timeout: 60m`.
fn cf_row(ts: &[Duration], max_interval: Duration) -> Row {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let mut pw = Row {
        requests: 0.0,
        lags: Vec::new(),
        missed: 0,
    };
    for &done_at in ts {
        let p = Timeline {
            start: Cell::new(None),
            done_at,
            hints: false,
        };
        let settings = Settings {
            timeout: Duration::from_secs(60 * 60),
            max_interval,
            ..Settings::default()
        };
        let s = rt.block_on(wait::run(
            &p,
            &["I1".into()],
            &settings,
            &mut Ignore,
            pending(),
        ));
        pw.requests += f64::from(s.polls) / RUNS as f64;
        match s.operations[0].seen_done_after {
            Some(seen) => pw.lags.push((seen - done_at).as_secs_f64()),
            None => pw.missed += 1,
        }
    }
    pw
}

/// CloudFront invalidations take minutes: purge-wait (its defaults, `timeout: 60m`, no progress
/// hints — CloudFront gives none) against the AWS CLI waiter on the same timelines.
fn cloudfront_timelines() {
    println!("\n## AWS CloudFront against the AWS CLI waiter\n");
    println!(
        "Virtual time, {RUNS} invalidations per timeline (±25 %). purge-wait: `provider: aws-cloudfront` with its defaults (5 s growing to 30 s) and `timeout: 60m`; the waiter: `aws cloudfront wait invalidation-completed`, 20 s × 30 attempts, then exit 255.\n"
    );
    println!(
        "| invalidation takes (±25 %) | tool | requests | mean lag (s) | p95 lag (s) | not seen done (exit) |"
    );
    println!("|---|---|---|---|---|---|");
    for t in [60, 180, 300, 600, 900, 1200, 1800, 2400].map(Duration::from_secs) {
        let ts = samples(t);
        let pw = cf_row(&ts, Duration::from_secs(30));
        let pw20 = cf_row(&ts, Duration::from_secs(20));
        let cli = fixed(&ts, Duration::from_secs(20), Some(30));
        for (name, row, exit) in [
            ("purge-wait", &pw, "124"),
            ("purge-wait, max-interval: 20s", &pw20, "124"),
            ("AWS CLI waiter (20 s × 30)", &cli, "255"),
        ] {
            let (mean, p95) = if row.lags.is_empty() {
                ("-".to_string(), "-".to_string())
            } else {
                (format!("{:.1}", row.mean()), format!("{:.1}", row.p95()))
            };
            let missed = if row.missed == 0 {
                "0".to_string()
            } else {
                format!("{} of {RUNS} ({exit})", row.missed)
            };
            println!(
                "| {} | {name} | {:.1} | {mean} | {p95} | {missed} |",
                purge_wait::duration::format(t),
                row.requests,
            );
        }
    }
}

/// The real binary against the CloudFront simulator (SigV4 verified): three invalidations of
/// 2, 4 and 6 s; an invalidation of 20 wildcard paths, queued behind CloudFront's 15-in-progress
/// limit; and a wait on everything in progress over 3 pages.
fn cloudfront_process(bin: &std::path::Path) {
    use purge_wait::provider::aws_cloudfront::sim::{self, AwsCloudFrontSim, Setup};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let run = |setup: Setup, extra: &[(&str, String)]| {
        let base = [
            ("PURGE_WAIT_PROVIDER", "aws-cloudfront"),
            ("PURGE_WAIT_DISTRIBUTION_ID", sim::DEMO_DISTRIBUTION),
            ("AWS_ACCESS_KEY_ID", sim::DEMO_ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", sim::DEMO_SECRET_ACCESS_KEY),
        ];
        let (took, log) = run_binary(&rt, bin, AwsCloudFrontSim::new(setup), |_| {
            pairs(&base, extra)
        });
        (took, log.len())
    };
    let ops = ["IA:after=2s", "IB:after=4s", "IC:after=6s"];
    let default = Scenario::succeeds_after(Duration::from_secs(1));
    let setup = Setup {
        ops: ops
            .iter()
            .map(|o| Scenario::parse(o, &default).unwrap())
            .collect(),
        ..Setup::default()
    };
    let (took, requests) = run(setup, &[("PURGE_WAIT_OPERATION_IDS", "IA,IB,IC".into())]);
    println!(
        "\n- the binary against the CloudFront simulator, 3 invalidations done after 2, 4 and 6 s: {requests} signed GetInvalidation calls, all seen done {:.1} s after start",
        took.as_secs_f64()
    );
    let paths: Vec<String> = (0..20).map(|i| format!("/dir{i}/*")).collect();
    let setup = Setup {
        purge: Scenario::succeeds_after(Duration::from_secs(5)),
        ..Setup::default()
    };
    let (took, requests) = run(setup, &[("PURGE_WAIT_PATHS", paths.join("\n"))]);
    println!(
        "- 20 wildcard paths to invalidate (CloudFront lets 15 be in progress; each batch takes 5 s): 2 CreateInvalidation calls accepted, the second after the first completed, {requests} requests in all, done in {:.1} s",
        took.as_secs_f64()
    );
    let setup = Setup {
        ops: ["IP1:after=3s", "IP2:after=5s"]
            .iter()
            .map(|o| Scenario::parse(o, &default).unwrap())
            .collect(),
        history: 248,
        ..Setup::default()
    };
    let (took, requests) = run(setup, &[]);
    println!(
        "- no ids, 250 invalidations listed (2 in progress, done after 3 and 5 s): {requests} ListInvalidations pages (3 per poll), done in {:.1} s",
        took.as_secs_f64()
    );
}

/// A Compute Engine global operation, done `done_at` after the first call reached the server.
/// Each call takes `RTT` there and back; with `long_poll` it is the `wait` long-poll (held
/// until the operation is done or [`HOLD`] passes), else a plain `get`. Virtual time.
struct GoogleOp {
    start: Cell<Option<tokio::time::Instant>>,
    done_at: Duration,
    long_poll: bool,
}

/// Compute Engine's `wait` hold.
const HOLD: Duration = Duration::from_secs(120);
/// The round trip of one call.
const RTT: Duration = Duration::from_millis(100);

impl GoogleOp {
    fn elapsed(&self) -> Duration {
        let now = tokio::time::Instant::now();
        let start = *self.start.get().get_or_insert(now);
        self.start.set(Some(start));
        now - start
    }
}

impl Provider for GoogleOp {
    fn name(&self) -> &'static str {
        "google"
    }
    fn hold(&self) -> Option<Duration> {
        self.long_poll.then_some(HOLD)
    }
    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        async move {
            tokio::time::sleep(RTT / 2).await;
            let elapsed = self.elapsed();
            if self.long_poll && elapsed < self.done_at {
                tokio::time::sleep((self.done_at - elapsed).min(HOLD)).await;
            }
            let state = if self.elapsed() >= self.done_at {
                State::Succeeded
            } else {
                State::Pending
            };
            tokio::time::sleep(RTT / 2).await;
            Ok(ids
                .iter()
                .map(|id| Observation::new(id.clone(), state.clone(), "x"))
                .collect())
        }
        .boxed_local()
    }
}

/// purge-wait (its defaults, `timeout: 60m`) on Google operation timelines, with `wait` or
/// `get`. The lag counts from the operation's end to the engine holding the answer.
fn google_row(ts: &[Duration], long_poll: bool) -> Row {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let mut row = Row {
        requests: 0.0,
        lags: Vec::new(),
        missed: 0,
    };
    for &done_at in ts {
        let p = GoogleOp {
            start: Cell::new(None),
            done_at,
            long_poll,
        };
        let settings = Settings {
            timeout: Duration::from_secs(60 * 60),
            ..Settings::default()
        };
        let s = rt.block_on(wait::run(
            &p,
            &["operation-1".into()],
            &settings,
            &mut Ignore,
            pending(),
        ));
        row.requests += f64::from(s.polls) / ts.len() as f64;
        // The operation ends `done_at` after the first call reached the server, half a
        // round trip after the wait began.
        match s.operations[0].seen_done_after {
            Some(seen) => row
                .lags
                .push((seen.saturating_sub(done_at + RTT / 2)).as_secs_f64()),
            None => row.missed += 1,
        }
    }
    row
}

fn google_timelines() {
    println!("\n## Google Cloud CDN: the wait long-poll against fixed pollers\n");
    println!(
        "Virtual time, {RUNS} operations per timeline (±25 %), each call a 100 ms round trip. purge-wait: `provider: google-cloud-cdn` with its defaults and `timeout: 60m`, reading with `POST …/operations/{{name}}/wait` (Google holds it until the operation is done or 2 minutes pass), and with `get` (what it falls back to when `wait` is refused: 5 s growing to 30 s); fixed pollers of `get` every 5 s and 30 s (computed exactly, no round trip). Lag: from the operation's end to the tool knowing.\n"
    );
    println!("| operation takes (±25 %) | tool | requests | mean lag (s) | p95 lag (s) |");
    println!("|---|---|---|---|---|");
    for t in [60, 180, 300, 600, 1200, 2400].map(Duration::from_secs) {
        let ts = samples(t);
        let wait = google_row(&ts, true);
        let get = google_row(&ts, false);
        let five = fixed(&ts, Duration::from_secs(5), None);
        let thirty = fixed(&ts, Duration::from_secs(30), None);
        for (name, row) in [
            ("purge-wait, wait long-poll", &wait),
            ("purge-wait, get (5s→30s)", &get),
            ("fixed get every 5 s", &five),
            ("fixed get every 30 s", &thirty),
        ] {
            println!(
                "| {} | {name} | {:.1} | {:.2} | {:.2} |",
                purge_wait::duration::format(t),
                row.requests,
                row.mean(),
                row.p95(),
            );
        }
    }
}

/// The real binary against the Google simulator: a service account key (the JWT verified),
/// three operations done after 2, 4 and 6 s, read with `wait`, then with `wait` refused.
fn google_process(bin: &std::path::Path) {
    use purge_wait::provider::google_cloud_cdn::sim::{
        self, Endpoint, GoogleCloudCdnSim, Setup, count,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("purge-wait-bench-google-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |setup: Setup, extra: &[(&str, String)]| {
        let key = dir.join("key.json");
        let (took, requests) = run_binary(&rt, bin, GoogleCloudCdnSim::new(setup), |url| {
            let base = url.trim_end_matches('/');
            std::fs::write(
                &key,
                sim::service_account_key_json(&format!("{base}{}", sim::TOKEN_PATH)),
            )
            .unwrap();
            let key = key.display().to_string();
            pairs(
                &[
                    ("PURGE_WAIT_PROVIDER", "google-cloud-cdn"),
                    ("GOOGLE_APPLICATION_CREDENTIALS", key.as_str()),
                ],
                extra,
            )
        });
        (
            took,
            count(&requests, Endpoint::Wait),
            count(&requests, Endpoint::Get),
            count(&requests, Endpoint::InvalidateCache),
        )
    };
    let ops = [
        "operation-a:after=2s",
        "operation-b:after=4s",
        "operation-c:after=6s",
    ];
    let default = Scenario::succeeds_after(Duration::from_secs(1));
    let scripted = || Setup {
        ops: ops
            .iter()
            .map(|o| Scenario::parse(o, &default).unwrap())
            .collect(),
        ..Setup::default()
    };
    let ids = (
        "PURGE_WAIT_OPERATION_IDS",
        "operation-a,operation-b,operation-c".to_string(),
    );
    let (took, waits, gets, _) = run(scripted(), std::slice::from_ref(&ids));
    println!(
        "\n- the binary against the Google simulator (service account JWT verified), 3 operations done after 2, 4 and 6 s, read with wait: {waits} wait calls, {gets} get calls, all seen done {:.1} s after start",
        took.as_secs_f64()
    );
    let refused = Setup {
        refuse_wait: Some(405),
        ..scripted()
    };
    let (took, waits, gets, _) = run(refused, &[ids]);
    println!(
        "- the same with wait refused (405): {waits} refused wait, {gets} get calls (5 s growing to 30 s), all seen done {:.1} s after start",
        took.as_secs_f64()
    );
    let purge = Setup {
        purge: Scenario::succeeds_after(Duration::from_secs(3)),
        ..Setup::default()
    };
    let paths: Vec<String> = (0..10).map(|i| format!("/dir{i}/*")).collect();
    let (took, waits, gets, creates) = run(
        purge,
        &[
            ("PURGE_WAIT_PATHS", paths.join("\n")),
            ("PURGE_WAIT_URL_MAP", sim::DEMO_URL_MAP.to_string()),
        ],
    );
    println!(
        "- 10 paths to invalidate (each a 3 s operation): {creates} invalidateCache calls paced at 5 a second, {waits} wait calls, {gets} get calls, done in {:.1} s",
        took.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Tencent purges take minutes ("全网 URL 刷新生效时间约为 5 分钟"): purge-wait with its
/// defaults (5 s growing to 30 s, `timeout: 60m`, no progress hints — DescribePurgeTasks gives
/// none) against the loops users write around `tccli cdn DescribePurgeTasks`.
fn tencent_timelines() {
    println!("\n## Tencent Cloud CDN and EdgeOne against polling loops\n");
    println!(
        "Virtual time, {RUNS} purges per timeline (±25 %). purge-wait: `provider: tencent-cdn` or `tencent-edgeone` with its defaults (5 s growing to 30 s) and `timeout: 60m`; Tencent ships no waiter, so the comparison is a `tccli cdn DescribePurgeTasks` loop every 10 s or every 60 s (no deadline).\n"
    );
    println!("| purge takes (±25 %) | tool | requests | mean lag (s) | p95 lag (s) |");
    println!("|---|---|---|---|---|");
    for t in [60, 180, 300, 600, 1200].map(Duration::from_secs) {
        let ts = samples(t);
        let pw = cf_row(&ts, Duration::from_secs(30));
        let loop10 = fixed(&ts, Duration::from_secs(10), None);
        let loop60 = fixed(&ts, Duration::from_secs(60), None);
        for (name, row) in [
            ("purge-wait", &pw),
            ("tccli loop, every 10 s", &loop10),
            ("tccli loop, every 60 s", &loop60),
        ] {
            println!(
                "| {} | {name} | {:.1} | {:.1} | {:.1} |",
                purge_wait::duration::format(t),
                row.requests,
                row.mean(),
                row.p95(),
            );
        }
    }
}

/// The real binary against the Tencent simulator (TC3 verified by its own canonicalisation).
fn tencent_process(bin: &std::path::Path) {
    use purge_wait::provider::tencent::sim::{self, Setup, TencentSim, calls};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let run = |setup: Setup, extra: &[(&str, String)]| {
        run_binary(&rt, bin, TencentSim::new(setup), |url| {
            pairs(
                &[
                    ("PURGE_WAIT_PROVIDER", "tencent-cdn"),
                    ("TENCENTCLOUD_SECRET_ID", sim::DEMO_SECRET_ID),
                    ("TENCENTCLOUD_SECRET_KEY", sim::DEMO_SECRET_KEY),
                    ("PURGE_WAIT_STS_ENDPOINT", url),
                ],
                extra,
            )
        })
    };
    let two = Scenario::succeeds_after(Duration::from_secs(2));
    let mut paths: Vec<String> = (0..1500)
        .map(|i| format!("https://www.example.com/f{i}.js"))
        .collect();
    paths.extend((0..30).map(|i| format!("https://www.example.com/d{i}/")));
    let setup = Setup {
        purge: two.clone(),
        ..Setup::default()
    };
    let (took, log) = run(setup, &[("PURGE_WAIT_PATHS", paths.join("\n"))]);
    println!(
        "\n- tencent-cdn, 1,500 URLs and 30 directories purged then waited on (each task done 2 s after its first poll): {} DescribePurgeQuota, {} PurgeUrlsCache and {} PurgePathCache calls (1,000 URLs, 20 directories per call), {} DescribePurgeTasks pages, {} requests in all, done in {:.1} s",
        calls(&log, Some("cdn"), "DescribePurgeQuota"),
        calls(&log, Some("cdn"), "PurgeUrlsCache"),
        calls(&log, Some("cdn"), "PurgePathCache"),
        calls(&log, Some("cdn"), "DescribePurgeTasks"),
        log.len(),
        took.as_secs_f64()
    );
    let mut targets: Vec<String> = (0..200)
        .map(|i| format!("https://www.example.com/f{i}.png"))
        .collect();
    targets.extend((0..50).map(|i| format!("https://www.example.com/p{i}/")));
    let setup = Setup {
        purge: two.clone(),
        ..Setup::default()
    };
    let (took, log) = run(
        setup,
        &[
            ("PURGE_WAIT_PROVIDER", "tencent-edgeone".into()),
            ("PURGE_WAIT_ZONE_ID", sim::DEMO_ZONE_ID.into()),
            ("PURGE_WAIT_PATHS", targets.join("\n")),
        ],
    );
    println!(
        "- tencent-edgeone, 200 URLs and 50 prefixes (purge-type auto): {} CreatePurgeTask calls (one per type, 100 targets each), {} DescribePurgeTasks pages, {} requests in all, done in {:.1} s",
        calls(&log, Some("teo"), "CreatePurgeTask"),
        calls(&log, Some("teo"), "DescribePurgeTasks"),
        log.len(),
        took.as_secs_f64()
    );
    let setup = Setup {
        sts_lifetime: Duration::from_secs(3),
        tasks: vec![Scenario::parse("1700000001-bench:after=10s", &two).unwrap()],
        ..Setup::default()
    };
    let dir = std::env::temp_dir().join(format!("purge-wait-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("oidc-token");
    std::fs::write(&token, sim::DEMO_OIDC_TOKEN).unwrap();
    let (took, log) = run(
        setup,
        &[
            ("TENCENTCLOUD_SECRET_ID", String::new()),
            ("TENCENTCLOUD_SECRET_KEY", String::new()),
            ("PURGE_WAIT_OPERATION_IDS", "1700000001-bench".into()),
            ("PURGE_WAIT_ROLE_ARN", sim::DEMO_ROLE_ARN.into()),
            (
                "PURGE_WAIT_OIDC_PROVIDER_ID",
                sim::DEMO_OIDC_PROVIDER_ID.into(),
            ),
            ("PURGE_WAIT_OIDC_TOKEN_FILE", token.display().to_string()),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let sts = log
        .iter()
        .filter(|r| r.header("x-tc-action") == Some("AssumeRoleWithWebIdentity"))
        .count();
    let refused = log
        .iter()
        .filter(|r| r.answer.contains("TokenFailure"))
        .count();
    println!(
        "- keyless tencent-cdn wait, STS keys living 3 s, the task done after 10 s: {sts} AssumeRoleWithWebIdentity exchanges, {} DescribePurgeTasks calls, {refused} refused for an expired token, done in {:.1} s",
        calls(&log, Some("cdn"), "DescribePurgeTasks"),
        took.as_secs_f64()
    );
}

fn main() {
    if std::env::args().any(|a| a == "--hints-only") {
        alibaba_hinted();
        return;
    }
    let bin = binary();
    if std::env::args().nth(1).as_deref() == Some("cloudfront") {
        cloudfront_timelines();
        cloudfront_process(&bin);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("google") {
        google_timelines();
        google_process(&bin);
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("tencent") {
        tencent_timelines();
        tencent_process(&bin);
        return;
    }
    schedules();
    alibaba_hinted();
    println!("\n## Faults and scale\n");
    throttling_episode();
    alibaba_sweep(&bin);
    process(&bin);
    cloudfront_timelines();
    cloudfront_process(&bin);
    google_timelines();
    google_process(&bin);
    tencent_timelines();
    tencent_process(&bin);
}
