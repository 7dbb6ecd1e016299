//! `tencent-edgeone`: TEO API `2022-09-01` (`docs/research/tencent.md` §4).
//!
//! - Purge: `CreatePurgeTask {"ZoneId", "Type", "Targets", "Method"?, "CacheTag"?}` with
//!   `Type` from `purge-type` (`auto`: a URL ending in `/` is `purge_prefix`, any other
//!   `purge_url`; one call per type), returning a `JobId`. `FailedList` entries
//!   (`{Reason, Targets[]}`) are targets the job left out: they are remembered and reported
//!   as failures of that job.
//! - Status: `DescribePurgeTasks {"ZoneId", "Filters": [{"Name": "job-id", "Values": [id]}],
//!   "Offset", "Limit"}`, paged until `TotalCount`: one `Tasks[]` entry per target,
//!   `success` succeeded, `failed` / `timeout` failed (with `FailType` / `FailMessage`),
//!   `canceled` cancelled, `processing` pending.

use serde::Deserialize;

use super::cdn::{FlushType, check_url};
use super::{Tencent, fold, is_operation_id, with_request_id};
use crate::provider::{
    ErrorKind, Observation, ProviderError, PurgeKind, PurgeRequest, State, SubmitResult, quoted,
};

/// The API version.
pub const VERSION: &str = "2022-09-01";
/// Targets one `CreatePurgeTask` call carries. The batch quota depends on the plan (the
/// documented example: 2,000); 100 stays within every plan's.
pub const MAX_TARGETS_PER_CALL: usize = 100;
/// Targets one step purges at most (the documented daily quota of each type).
pub const DAILY_TARGETS: usize = 10_000;
/// The longest cache tag or host name checked before any request.
pub const MAX_TARGET_CHARS: usize = 4096;

/// What a `FailedList` reason without `Targets` is reported as.
pub const UNNAMED: &str = "(a target the answer does not name)";

/// A target `CreatePurgeTask` left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub target: String,
    pub reason: String,
}

/// The `Type` a path is purged with under `kind`.
pub fn purge_type(kind: PurgeKind, path: &str) -> &'static str {
    match kind {
        PurgeKind::Auto if path.ends_with('/') => "purge_prefix",
        PurgeKind::Auto | PurgeKind::File => "purge_url",
        PurgeKind::Directory => "purge_prefix",
        PurgeKind::Host => "purge_host",
        PurgeKind::All => "purge_all",
        PurgeKind::CacheTag => "purge_cache_tag",
        // Refused by check_purge.
        PurgeKind::Regex | PurgeKind::IgnoreParams => "purge_url",
    }
}

/// The purge kind that sends exactly `Type`.
fn kind_of(t: &str) -> PurgeKind {
    match t {
        "purge_prefix" => PurgeKind::Directory,
        "purge_host" => PurgeKind::Host,
        "purge_all" => PurgeKind::All,
        "purge_cache_tag" => PurgeKind::CacheTag,
        _ => PurgeKind::File,
    }
}

/// Checks paths before any request: URLs for `purge_url` / `purge_prefix`, host names for
/// `host`, `*` alone for `all`, plain tags for `cache-tag`; at most [`DAILY_TARGETS`].
pub fn check_purge(purge: &PurgeRequest) -> Result<(), String> {
    match purge.kind {
        PurgeKind::Regex | PurgeKind::IgnoreParams => {
            return Err("EdgeOne purges URLs, prefixes, hosts, cache tags or the whole zone: use purge-type auto, file, directory (purge_prefix), host, all or cache-tag".into());
        }
        PurgeKind::All => {
            if purge.paths != ["*"] {
                return Err("purge-type all purges the whole zone: set paths to * alone".into());
            }
            return Ok(());
        }
        _ => {}
    }
    if purge.paths.len() > DAILY_TARGETS {
        return Err(format!(
            "{} targets exceed the {DAILY_TARGETS} a zone may purge a day (the documented quota); split the purge over several steps (or days)",
            purge.paths.len()
        ));
    }
    for path in &purge.paths {
        if path.chars().count() > MAX_TARGET_CHARS {
            return Err(format!(
                "a path of {} characters is longer than the {MAX_TARGET_CHARS} purge-wait sends",
                path.chars().count()
            ));
        }
        match purge.kind {
            PurgeKind::Host => {
                let ok = !path.is_empty()
                    && path
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*'));
                if !ok {
                    return Err(format!(
                        "{} is not a host name; purge-type host takes domains such as www.example.com",
                        quoted(path)
                    ));
                }
            }
            PurgeKind::CacheTag => {
                if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(format!("{} is not a cache tag", quoted(path)));
                }
            }
            _ => check_url(path)?,
        }
    }
    Ok(())
}

/// Splits a purge into calls: one `Type` per call (types in the order they first appear),
/// at most [`MAX_TARGETS_PER_CALL`] targets each.
pub fn split_purge(purge: &PurgeRequest) -> Vec<PurgeRequest> {
    let mut groups: Vec<(&'static str, Vec<String>)> = Vec::new();
    for path in &purge.paths {
        let t = purge_type(purge.kind, path);
        match groups.iter_mut().find(|(g, _)| *g == t) {
            Some((_, paths)) => paths.push(path.clone()),
            None => groups.push((t, vec![path.clone()])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(t, paths)| {
            PurgeRequest {
                paths,
                kind: kind_of(t),
            }
            .chunks(MAX_TARGETS_PER_CALL)
        })
        .collect()
}

/// The body of one `CreatePurgeTask` call.
pub fn purge_body(
    zone: &str,
    purge: &PurgeRequest,
    flush: FlushType,
    domains: &[String],
) -> serde_json::Value {
    let t = purge
        .paths
        .first()
        .map_or("purge_url", |p| purge_type(purge.kind, p));
    let mut body = serde_json::json!({"ZoneId": zone, "Type": t});
    if t != "purge_all" {
        body["Targets"] = serde_json::json!(purge.paths);
    }
    if flush == FlushType::Delete && matches!(t, "purge_prefix" | "purge_host" | "purge_all") {
        body["Method"] = serde_json::json!("delete");
    }
    if t == "purge_cache_tag" {
        body["CacheTag"] = serde_json::json!({"Domains": domains});
    }
    body
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    job_id: Option<String>,
    failed_list: Option<Vec<FailReason>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FailReason {
    reason: Option<String>,
    targets: Option<Vec<String>>,
}

/// One `CreatePurgeTask` call; its id is the `JobId`, and its `FailedList` targets are
/// remembered as failures of that job. A call whose every target failed (no job) is an
/// error naming them.
pub async fn submit(client: &Tencent, purge: &PurgeRequest) -> SubmitResult {
    let s = client.settings();
    let zone = s.zone_id.as_deref().unwrap_or_default();
    let body = purge_body(zone, purge, s.flush_type, &s.cache_tag_domains);
    let (created, request_id) = client.call::<Created>("CreatePurgeTask", &body).await?;
    let mut refused: Vec<Refused> = Vec::new();
    for f in created.failed_list.unwrap_or_default() {
        let reason = f.reason.unwrap_or_else(|| "(no reason given)".into());
        let targets = f.targets.unwrap_or_default();
        // A reason that names no target is still a failure of this call.
        if targets.is_empty() {
            refused.push(Refused {
                target: UNNAMED.into(),
                reason: reason.clone(),
            });
        }
        for target in targets {
            refused.push(Refused {
                target,
                reason: reason.clone(),
            });
        }
    }
    let id = created
        .job_id
        .map(|j| j.trim().to_string())
        .filter(|j| !j.is_empty());
    let Some(id) = id else {
        let e = if refused.is_empty() {
            ProviderError::new(
                ErrorKind::Malformed,
                "the CreatePurgeTask answer has no JobId",
            )
        } else {
            let shown: Vec<String> = refused
                .iter()
                .take(10)
                .map(|r| format!("{} ({})", r.target, r.reason))
                .collect();
            ProviderError::new(
                ErrorKind::Invalid,
                format!(
                    "CreatePurgeTask refused every target in FailedList: {}",
                    shown.join(", ")
                ),
            )
            .code("FailedList")
        };
        return Err(with_request_id(e, request_id));
    };
    // The shape first (refused as an accepted purge's malformed answer: never re-sent);
    // the engine's check_created_id follows.
    if !is_operation_id(&id) {
        let e = ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "the purge was accepted but its answer is malformed: JobId {} is not a job id",
                quoted(&id)
            ),
        )
        .code("MalformedJobId");
        return Err(with_request_id(e, request_id));
    }
    // Each target not refused is one task of the job (purge_all: the zone's one).
    let t = body["Type"].as_str().unwrap_or_default();
    let expected = if t == "purge_all" {
        1
    } else {
        let named = purge
            .paths
            .iter()
            .filter(|p| refused.iter().any(|r| r.target == **p))
            .count();
        let unnamed = refused.iter().filter(|r| r.target == UNNAMED).count();
        purge
            .paths
            .len()
            .saturating_sub(named)
            .saturating_sub(unnamed)
    };
    client.expect(&id, expected);
    if !refused.is_empty() {
        client
            .refused
            .borrow_mut()
            .entry(id.clone())
            .or_default()
            .extend(refused);
    }
    Ok(vec![id])
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    tasks: Option<Vec<Task>>,
    total_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Task {
    job_id: Option<String>,
    target: Option<String>,
    status: Option<String>,
    create_time: Option<String>,
    update_time: Option<String>,
    fail_type: Option<String>,
    fail_message: Option<String>,
}

/// `success` succeeded, `failed` / `timeout` failed, `canceled` cancelled, `processing`
/// pending; any other word is unrecognised.
pub fn map_status(raw: &str) -> State {
    match raw.trim() {
        "success" => State::Succeeded,
        "failed" | "timeout" => State::Failed,
        "canceled" => State::Cancelled,
        "processing" => State::Pending,
        _ => State::Unrecognized,
    }
}

/// The status of job `id`: every page of its tasks, folded with the targets its
/// `CreatePurgeTask` refused.
pub async fn status(client: &Tencent, id: &str) -> Result<Observation, ProviderError> {
    let zone = client.settings().zone_id.clone().unwrap_or_default();
    let mut tasks: Vec<Task> = Vec::new();
    let mut total: u64 = 0;
    let mut last_request_id = None;
    for page in 0..super::MAX_PAGES {
        let offset = page.saturating_mul(super::PAGE_SIZE);
        let body = serde_json::json!({
            "ZoneId": zone,
            "Filters": [{"Name": "job-id", "Values": [id]}],
            "Offset": offset,
            "Limit": super::PAGE_SIZE,
        });
        let (answer, request_id) = client.call::<Page>("DescribePurgeTasks", &body).await?;
        let request_id = super::request_id_of(&format!("JobId {id}"), request_id)?;
        last_request_id = request_id.clone();
        let (Some(entries), Some(count)) = (answer.tasks, answer.total_count) else {
            let e = ProviderError::new(
                ErrorKind::Malformed,
                format!(
                    "the DescribePurgeTasks answer for JobId {id} has no Tasks list or TotalCount"
                ),
            );
            return Err(with_request_id(e, request_id));
        };
        total = count;
        let got = entries.len();
        tasks.extend(entries);
        if got < super::PAGE_SIZE || tasks.len() as u64 >= total {
            break;
        }
    }
    let refused = client.refused.borrow().get(id).cloned().unwrap_or_default();
    let bad = |why: String| {
        with_request_id(
            ProviderError::new(
                ErrorKind::Malformed,
                format!("the DescribePurgeTasks answer for JobId {id} {why}"),
            ),
            last_request_id.clone(),
        )
    };
    if (tasks.len() as u64) < total {
        return Err(bad(format!(
            "says {total} tasks but listed {}",
            tasks.len()
        )));
    }
    if tasks.is_empty() && refused.is_empty() {
        let e = ProviderError::new(
            ErrorKind::NotFound,
            format!("DescribePurgeTasks lists no task for JobId {id} in zone {zone}"),
        )
        .hint("Check operation-ids (JobIds of CreatePurgeTask) and zone-id");
        return Err(with_request_id(e, last_request_id));
    }
    observation(id, &tasks, &refused, client.expected(id)).map_err(bad)
}

/// Folds a job's tasks and refused targets; failures are named with their reason. A job
/// created here must list each of its `expected` targets: the ones not (yet) listed are
/// pending, never success.
fn observation(
    id: &str,
    tasks: &[Task],
    refused: &[Refused],
    expected: Option<usize>,
) -> Result<Observation, String> {
    let mut states: Vec<State> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut raw_of: Vec<(State, String)> = Vec::new();
    for t in tasks {
        let Some(job) = t.job_id.as_deref().map(str::trim) else {
            return Err("has a task without JobId".into());
        };
        if !job.eq_ignore_ascii_case(id) {
            return Err(format!("lists a task of another job ({})", quoted(job)));
        }
        let Some(raw) = t.status.as_deref() else {
            return Err("has a task without Status".into());
        };
        let state = map_status(raw);
        if matches!(state, State::Failed | State::Cancelled) {
            let why: Vec<&str> = [t.fail_type.as_deref(), t.fail_message.as_deref()]
                .into_iter()
                .flatten()
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .collect();
            let target = t.target.as_deref().unwrap_or("(no target)");
            failures.push(if why.is_empty() {
                format!("{target}: {}", raw.trim())
            } else {
                format!("{target}: {} ({})", raw.trim(), why.join(": "))
            });
        }
        raw_of.push((state.clone(), raw.trim().to_string()));
        states.push(state);
    }
    for r in refused {
        states.push(State::Failed);
        raw_of.push((State::Failed, "FailedList".into()));
        failures.push(format!(
            "{}: refused by CreatePurgeTask ({})",
            r.target, r.reason
        ));
    }
    let listed = super::distinct(tasks.iter().map(|t| t.target.as_deref()));
    let missing = expected.unwrap_or(0).saturating_sub(listed);
    states.extend(std::iter::repeat_n(State::Pending, missing));
    let state = fold(&states).ok_or("has no tasks")?;
    let raw = raw_of
        .iter()
        .find(|(s, _)| *s == state)
        .map(|(_, r)| r.clone())
        .unwrap_or_else(|| super::NOT_LISTED.to_string());
    let mut obs = Observation::new(id, state.clone(), raw);
    let done = states.iter().filter(|s| s.is_terminal()).count();
    obs.progress = Some(done as f64 * 100.0 / states.len().max(1) as f64);
    if missing > 0 && state == State::Pending {
        obs.message = Some(format!(
            "DescribePurgeTasks lists {listed} of the {} tasks of this job; the rest are waited for",
            listed.saturating_add(missing)
        ));
    }
    let time = |s: &Option<String>| {
        s.as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t.trim()).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    obs.started_at = tasks.iter().filter_map(|t| time(&t.create_time)).min();
    if state.is_terminal() {
        obs.finished_at = tasks.iter().filter_map(|t| time(&t.update_time)).max();
    }
    if matches!(state, State::Failed | State::Cancelled) && !failures.is_empty() {
        obs.message = Some(match failures.as_slice() {
            [_] => format!("the purge of {}", super::listing(&failures, "")),
            many => format!(
                "{} of {} targets did not purge: {}",
                many.len(),
                states.len(),
                super::listing(many, "; ")
            ),
        });
        for t in tasks {
            if matches!(
                t.status.as_deref().map(map_status),
                Some(State::Failed | State::Cancelled)
            ) {
                if let Some(target) = &t.target {
                    obs.details.push(("Target".into(), target.clone()));
                }
            }
        }
        for r in refused {
            obs.details.push(("Target".into(), r.target.clone()));
        }
    }
    Ok(obs)
}
