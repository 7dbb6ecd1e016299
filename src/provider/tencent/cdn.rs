//! `tencent-cdn`: CDN API `2018-06-06` (`docs/research/tencent.md` §3).
//!
//! - Purge: `PurgeUrlsCache {"Urls": […]}` for files, `PurgePathCache {"Paths": […],
//!   "FlushType": "flush" | "delete"}` for directories (URLs ending in `/`), one `TaskId` per
//!   call ("同一批次提交的 URL 共用一个任务 ID"). One call carries one kind, at most
//!   [`MAX_URLS_PER_CALL`] URLs or [`MAX_DIRECTORIES_PER_CALL`] directories; a step purges
//!   at most the default daily quotas, [`DAILY_URLS`] URLs and [`DAILY_DIRECTORIES`]
//!   directories (checked before any request; the API's `LimitExceeded.*` ends the step with
//!   its code before any wait when the account's own quota is used up).
//! - Quota: a purge of more than one call reads `DescribePurgeQuota` once before the first,
//!   and is refused before any URL is purged when what is left today (summed over the areas)
//!   cannot take it, so that a step never purges part of its list and then fails on the
//!   quota. One call needs no such check (the API refuses it whole); a quota that cannot be
//!   read (no `cdn:DescribePurgeQuota` permission, a fault) is no reason not to try.
//! - Status: `DescribePurgeTasks {"TaskId", "Offset", "Limit"}`, paged until `TotalCount`
//!   entries are read: one `PurgeLogs[]` entry per URL, `done` / `fail` / `process`.

use serde::Deserialize;
use url::Url;

use super::{Tencent, fold, is_operation_id, with_request_id};
use crate::provider::{
    ErrorKind, Observation, ProviderError, PurgeKind, PurgeRequest, State, SubmitResult, quoted,
};

/// The API version.
pub const VERSION: &str = "2018-06-06";
/// URLs one `PurgeUrlsCache` call may carry ("每次最多可提交 1000 条").
pub const MAX_URLS_PER_CALL: usize = 1000;
/// Directories one `PurgePathCache` call carries: the documentation allows 500, but the
/// account's batch size (DescribePurgeQuota's `Batch`) is smaller, 20 overseas in the
/// documented example; 20 is never refused, and 100 directories (the daily quota) take 5
/// calls.
pub const MAX_DIRECTORIES_PER_CALL: usize = 20;
/// The default daily URL quota (each for mainland and overseas).
pub const DAILY_URLS: usize = 10_000;
/// The default daily directory quota.
pub const DAILY_DIRECTORIES: usize = 100;
/// The longest URL checked before any request.
pub const MAX_URL_CHARS: usize = 4096;

/// `FlushType` of a directory purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushType {
    /// Purge the resources that changed (the default).
    Flush,
    /// Purge every resource under the directory.
    Delete,
}

impl FlushType {
    /// Parses the `flush-type` input.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "flush" => Some(FlushType::Flush),
            "delete" => Some(FlushType::Delete),
            _ => None,
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            FlushType::Flush => "flush",
            FlushType::Delete => "delete",
        }
    }
}

/// Checks paths before any request: full http(s) URLs of a literal domain, no fragment, a
/// directory ending in `/`, purge types the CDN has (auto, file, directory), and the
/// default daily quotas.
pub fn check_purge(purge: &PurgeRequest) -> Result<(), String> {
    if !matches!(
        purge.kind,
        PurgeKind::Auto | PurgeKind::File | PurgeKind::Directory
    ) {
        return Err(
            "Tencent Cloud CDN purges URLs and directories: use purge-type auto, file or directory"
                .into(),
        );
    }
    let dirs = purge
        .paths
        .iter()
        .filter(|p| purge.kind.is_directory(p))
        .count();
    let urls = purge.paths.len() - dirs;
    if urls > DAILY_URLS {
        return Err(format!(
            "{urls} URLs exceed the {DAILY_URLS} an account may purge a day by default; split the purge over several steps (or days)"
        ));
    }
    if dirs > DAILY_DIRECTORIES {
        return Err(format!(
            "{dirs} directories exceed the {DAILY_DIRECTORIES} an account may purge a day by default; purge a common parent directory, or split over several days"
        ));
    }
    for path in &purge.paths {
        check_url(path)?;
        if purge.kind == PurgeKind::Directory && !path.ends_with('/') {
            return Err(format!(
                "{} does not end in /; a directory purge takes the directory's URL, such as https://www.example.com/images/",
                quoted(path)
            ));
        }
    }
    Ok(())
}

/// A full http(s) URL with a literal host, no fragment, no wildcard domain.
pub fn check_url(path: &str) -> Result<(), String> {
    if path.chars().count() > MAX_URL_CHARS {
        return Err(format!(
            "a URL of {} characters is longer than the {MAX_URL_CHARS} purge-wait sends",
            path.chars().count()
        ));
    }
    if path.chars().any(crate::provider::is_hostile_char) {
        return Err(format!(
            "{} holds a control or invisible formatting character; percent-encode it (such as %1B)",
            quoted(path)
        ));
    }
    let lower = path.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(format!(
            "{} is not a full URL; Tencent Cloud purges take URLs with http:// or https://, such as https://www.example.com/images/logo.png",
            quoted(path)
        ));
    }
    let url = Url::parse(path)
        .ok()
        .filter(|u| u.host_str().is_some_and(|h| !h.is_empty()))
        .ok_or_else(|| format!("{} is not a valid URL with a domain", quoted(path)))?;
    if url.host_str().is_some_and(|h| h.contains('*')) || path.contains("://*") {
        return Err(format!(
            "{} has a wildcard domain, which the API refuses (InvalidParameter.CdnPurgeWildcardNotAllowed); give each domain",
            quoted(path)
        ));
    }
    if url.fragment().is_some() {
        return Err(format!(
            "{} has a #fragment, which is never sent to a CDN",
            quoted(path)
        ));
    }
    Ok(())
}

/// Splits a purge into calls: files, then directories (each in the order given), within
/// the per-call limits.
pub fn split_purge(purge: &PurgeRequest) -> Vec<PurgeRequest> {
    let (dirs, files): (Vec<String>, Vec<String>) = purge
        .paths
        .iter()
        .cloned()
        .partition(|p| purge.kind.is_directory(p));
    let mut calls = PurgeRequest {
        paths: files,
        kind: PurgeKind::File,
    }
    .chunks(MAX_URLS_PER_CALL);
    calls.extend(
        PurgeRequest {
            paths: dirs,
            kind: PurgeKind::Directory,
        }
        .chunks(MAX_DIRECTORIES_PER_CALL),
    );
    calls.retain(|c| !c.paths.is_empty());
    calls
}

/// The action and body of one purge call.
pub fn purge_body(purge: &PurgeRequest, flush: FlushType) -> (&'static str, serde_json::Value) {
    if purge.kind == PurgeKind::Directory {
        (
            "PurgePathCache",
            serde_json::json!({"Paths": purge.paths, "FlushType": flush.as_str()}),
        )
    } else {
        ("PurgeUrlsCache", serde_json::json!({"Urls": purge.paths}))
    }
}

/// What a purge was split into: calls, URLs and directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub calls: usize,
    pub urls: usize,
    pub directories: usize,
}

impl Plan {
    /// The plan of `calls` as [`split_purge`] made them.
    pub fn of(calls: &[PurgeRequest]) -> Self {
        let count = |kind: PurgeKind| -> usize {
            calls
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.paths.len())
                .sum()
        };
        Plan {
            calls: calls.len(),
            urls: count(PurgeKind::File),
            directories: count(PurgeKind::Directory),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QuotaAnswer {
    url_purge: Option<Vec<Quota>>,
    path_purge: Option<Vec<Quota>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Quota {
    available: Option<i64>,
    area: Option<String>,
}

/// What is left today over every area, and the areas' shares ("mainland 10, overseas 0").
fn left(quotas: &[Quota]) -> (u64, String) {
    let mut sum: u64 = 0;
    let mut parts = Vec::new();
    for q in quotas {
        let n = u64::try_from(q.available.unwrap_or(0)).unwrap_or(0);
        sum = sum.saturating_add(n);
        parts.push(format!(
            "{} {n}",
            q.area.as_deref().map_or("?".to_string(), quoted)
        ));
    }
    (sum, parts.join(", "))
}

/// Refuses `plan` when `DescribePurgeQuota` says today's quota cannot take it.
async fn check_quota(client: &Tencent, plan: Plan) -> Result<(), ProviderError> {
    let Ok((answer, request_id)) = client
        .call::<QuotaAnswer>("DescribePurgeQuota", &serde_json::json!({}))
        .await
    else {
        return Ok(());
    };
    for (quotas, wanted, what, code) in [
        (
            answer.url_purge,
            plan.urls,
            "URLs",
            "LimitExceeded.CdnPurgeUrlExceedDayLimit",
        ),
        (
            answer.path_purge,
            plan.directories,
            "directories",
            "LimitExceeded.CdnPurgePathExceedDayLimit",
        ),
    ] {
        let Some(quotas) = quotas.filter(|q| !q.is_empty()) else {
            continue;
        };
        let (sum, parts) = left(&quotas);
        if wanted as u64 > sum {
            let mut e = ProviderError::new(
                ErrorKind::Invalid,
                format!(
                    "DescribePurgeQuota leaves {sum} {what} to purge today ({parts}) but this step purges {wanted}; nothing was purged"
                ),
            )
            .code(code)
            .hint("The quota resets at 00:00 UTC+8; purge fewer paths (a common parent directory), or ask for a higher quota");
            e.may_have_reached = false;
            return Err(with_request_id(e, request_id));
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Created {
    task_id: Option<String>,
}

/// One purge call; its id is the answer's `TaskId`.
pub async fn submit(client: &Tencent, purge: &PurgeRequest) -> SubmitResult {
    if !client.quota_read.replace(true) {
        if let Some(plan) = client.plan.get().filter(|p| p.calls > 1) {
            check_quota(client, plan).await?;
        }
    }
    let (action, body) = purge_body(purge, client.settings().flush_type);
    let (created, request_id) = client.call::<Created>(action, &body).await?;
    let Some(id) = created.task_id.map(|t| t.trim().to_string()) else {
        let e = ProviderError::new(
            ErrorKind::Malformed,
            format!("the {action} answer has no TaskId"),
        );
        return Err(with_request_id(e, request_id));
    };
    // The shape first (refused as an accepted purge's malformed answer: never re-sent);
    // the engine's check_created_id follows.
    if !is_operation_id(&id) {
        let e = ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "the purge was accepted but its answer is malformed: TaskId {} is not a task id",
                quoted(&id)
            ),
        )
        .code("MalformedTaskId");
        return Err(with_request_id(e, request_id));
    }
    client.expect(&id, purge.paths.len());
    Ok(vec![id])
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    purge_logs: Option<Vec<Log>>,
    total_count: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Log {
    task_id: Option<String>,
    url: Option<String>,
    status: Option<String>,
    create_time: Option<String>,
}

/// `done` succeeded, `fail` failed, `process` pending; any other word is unrecognised.
pub fn map_status(raw: &str) -> State {
    match raw.trim() {
        "done" => State::Succeeded,
        "fail" => State::Failed,
        "process" => State::Pending,
        _ => State::Unrecognized,
    }
}

/// The status of task `id`: every page of its `PurgeLogs`, folded.
pub async fn status(client: &Tencent, id: &str) -> Result<Observation, ProviderError> {
    let mut logs: Vec<Log> = Vec::new();
    let mut total: u64 = 0;
    let mut last_request_id = None;
    for page in 0..super::MAX_PAGES {
        let offset = page.saturating_mul(super::PAGE_SIZE);
        let body = serde_json::json!({"TaskId": id, "Offset": offset, "Limit": super::PAGE_SIZE});
        let (answer, request_id) = client.call::<Page>("DescribePurgeTasks", &body).await?;
        let request_id = super::request_id_of(&format!("TaskId {id}"), request_id)?;
        last_request_id = request_id.clone();
        let bad = |why: &str| {
            with_request_id(
                ProviderError::new(
                    ErrorKind::Malformed,
                    format!("the DescribePurgeTasks answer for TaskId {id} {why}"),
                ),
                request_id.clone(),
            )
        };
        let (Some(entries), Some(count)) = (answer.purge_logs, answer.total_count) else {
            return Err(bad("has no PurgeLogs list or TotalCount"));
        };
        total = count;
        let got = entries.len();
        logs.extend(entries);
        if got < super::PAGE_SIZE || logs.len() as u64 >= total {
            break;
        }
    }
    if (logs.len() as u64) < total {
        let e = ProviderError::new(
            ErrorKind::Malformed,
            format!(
                "DescribePurgeTasks says TaskId {id} has {total} entries but listed {}",
                logs.len()
            ),
        );
        return Err(with_request_id(e, last_request_id));
    }
    if logs.is_empty() {
        let e = ProviderError::new(
            ErrorKind::NotFound,
            format!("DescribePurgeTasks lists no entry for TaskId {id}"),
        )
        .hint("Check operation-ids: each must be a TaskId of PurgeUrlsCache or PurgePathCache of this account");
        return Err(with_request_id(e, last_request_id));
    }
    observation(id, &logs, client.expected(id)).map_err(|why| {
        let e = ProviderError::new(
            ErrorKind::Malformed,
            format!("the DescribePurgeTasks answer for TaskId {id} {why}"),
        );
        with_request_id(e, last_request_id)
    })
}

/// Folds the entries of one task; the failed URLs are named. A task created here must list
/// each of its `expected` URLs: the ones not (yet) listed are pending, never success.
fn observation(id: &str, logs: &[Log], expected: Option<usize>) -> Result<Observation, String> {
    let mut read: Vec<(State, &str, &Log)> = Vec::new();
    for log in logs {
        let Some(task) = log.task_id.as_deref().map(str::trim) else {
            return Err("has an entry without TaskId".into());
        };
        if !task.eq_ignore_ascii_case(id) {
            return Err(format!("lists an entry of another task ({})", quoted(task)));
        }
        let Some(raw) = log.status.as_deref() else {
            return Err("has an entry without Status".into());
        };
        read.push((map_status(raw), raw.trim(), log));
    }
    let mut states: Vec<State> = read.iter().map(|(s, _, _)| s.clone()).collect();
    let listed = super::distinct(logs.iter().map(|l| l.url.as_deref()));
    let missing = expected.unwrap_or(0).saturating_sub(listed);
    states.extend(std::iter::repeat_n(State::Pending, missing));
    let state = fold(&states).ok_or("has no entries")?;
    let raw = read
        .iter()
        .find(|(s, _, _)| *s == state)
        .map(|(_, r, _)| r.to_string())
        .unwrap_or_else(|| super::NOT_LISTED.to_string());
    let mut obs = Observation::new(id, state.clone(), raw);
    let done = states.iter().filter(|s| s.is_terminal()).count();
    obs.progress = Some(done as f64 * 100.0 / states.len().max(1) as f64);
    if missing > 0 && state == State::Pending {
        obs.message = Some(format!(
            "DescribePurgeTasks lists {listed} of the {} URLs of this task; the rest are waited for",
            listed.saturating_add(missing)
        ));
    }
    obs.started_at = logs
        .iter()
        .filter_map(|l| l.create_time.as_deref().and_then(parse_time))
        .min();
    let failed: Vec<&str> = read
        .iter()
        .filter(|(s, _, _)| *s == State::Failed)
        .filter_map(|(_, _, l)| l.url.as_deref())
        .collect();
    if state == State::Failed {
        obs.message = Some(match failed.as_slice() {
            [] => "a purge entry failed".to_string(),
            [one] => format!(
                "the purge of {} failed",
                super::listing(&[one.to_string()], "")
            ),
            many => format!(
                "the purge of {} of {} URLs failed: {}",
                many.len(),
                logs.len(),
                super::listing(
                    &many.iter().map(|u| u.to_string()).collect::<Vec<_>>(),
                    ", "
                )
            ),
        });
    }
    for url in failed {
        obs.details.push(("Url".into(), url.to_string()));
    }
    if state == State::Unrecognized {
        for (s, _, l) in &read {
            if *s == State::Unrecognized {
                if let Some(url) = &l.url {
                    obs.details.push(("Url".into(), url.clone()));
                }
            }
        }
    }
    Ok(obs)
}

/// `2018-07-30 18:10:53`, in China Standard Time (UTC+8, as the console shows it).
pub fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    let cst = chrono::FixedOffset::east_opt(8 * 3600)?;
    naive
        .and_local_timezone(cst)
        .single()
        .map(|t| t.with_timezone(&chrono::Utc))
}
