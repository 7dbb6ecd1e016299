//! EdgeOne (TEO) 2022-09-01: `CreatePurgeTask`, `DescribePurgeTasks`.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    Params, Phase, TencentSim, entry_status, error, known_fields, missing, ok, opt_bool, opt_int,
    opt_string, opt_strings, random_lower, status_answer, url_host,
};
use crate::sim::Answer;

/// EdgeOne's code for a bad parameter.
const BAD: &str = "InvalidParameter.ParameterError";

const TYPES: &[&str] = &[
    "purge_url",
    "purge_prefix",
    "purge_host",
    "purge_all",
    "purge_cache_tag",
];

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_time(value: &str, name: &str) -> Result<DateTime<Utc>, Answer> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            error(
                BAD,
                &format!("`{name}` must be an ISO 8601 time like `2022-02-09T00:00:00+08:00`."),
            )
        })
}

/// Whether `host` is a bare host name (what `purge_host` targets are).
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.*".contains(&b))
}

/// One `Filters` entry.
struct Filter {
    name: String,
    values: Vec<String>,
    fuzzy: bool,
}

fn filters(params: &Params) -> Result<Vec<Filter>, Answer> {
    let items = match params.get("Filters") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(error(BAD, "`Filters` must be a list.")),
    };
    let mut out = Vec::new();
    for item in items {
        let Some(f) = item.as_object() else {
            return Err(error(BAD, "Each of `Filters` must be an object."));
        };
        known_fields(f, &["Name", "Values", "Fuzzy"])?;
        let name = opt_string(f, "Name", BAD)?.ok_or_else(|| missing("Filters.Name"))?;
        let values = opt_strings(f, "Values", BAD)?.ok_or_else(|| missing("Filters.Values"))?;
        let fuzzy = opt_bool(f, "Fuzzy", BAD)?.unwrap_or(false);
        if values.is_empty() || values.len() > 20 {
            return Err(error(BAD, "A filter takes 1 to 20 values."));
        }
        match name {
            "job-id" | "target" if values.len() > 1 => {
                return Err(error(BAD, &format!("The filter `{name}` takes one value.")));
            }
            "job-id" if fuzzy => {
                return Err(error(BAD, "The filter `job-id` does not support `Fuzzy`."));
            }
            "job-id" | "target" | "domains" | "statuses" | "type" => {}
            _ => return Err(error(BAD, &format!("Unknown filter name {name:?}."))),
        }
        out.push(Filter {
            name: name.into(),
            values,
            fuzzy,
        });
    }
    Ok(out)
}

impl TencentSim {
    fn check_zone(&self, params: &Params, any: bool) -> Result<String, Answer> {
        let zone = opt_string(params, "ZoneId", BAD)?.ok_or_else(|| missing("ZoneId"))?;
        if zone != self.setup.zone_id && !(any && zone == "*") {
            return Err(error(
                "InvalidParameter.ZoneNotFound",
                &format!("The zone {zone:?} does not exist."),
            ));
        }
        Ok(zone.to_string())
    }

    /// `CreatePurgeTask`.
    pub(super) fn teo_purge(&self, params: &Params) -> Result<Answer, Answer> {
        known_fields(
            params,
            &[
                "ZoneId",
                "Type",
                "Method",
                "Targets",
                "EncodeUrl",
                "CacheTag",
            ],
        )?;
        let zone = self.check_zone(params, true)?;
        let kind = opt_string(params, "Type", BAD)?.ok_or_else(|| missing("Type"))?;
        if !TYPES.contains(&kind) {
            return Err(error(
                BAD,
                &format!("`Type` must be one of {}.", TYPES.join(", ")),
            ));
        }
        if zone == "*" && kind == "purge_all" {
            return Err(error(BAD, "`purge_all` needs one zone, not `*`."));
        }
        let method = opt_string(params, "Method", BAD)?.unwrap_or("invalidate");
        if !matches!(method, "invalidate" | "delete") {
            return Err(error(BAD, "`Method` must be `invalidate` or `delete`."));
        }
        opt_bool(params, "EncodeUrl", BAD)?;
        let targets = opt_strings(params, "Targets", BAD)?.unwrap_or_default();
        let bad_target = |t: &str| {
            Err(error(
                "InvalidParameter.Target",
                &format!("The target {t:?} is not valid for {kind}."),
            ))
        };
        match kind {
            "purge_all" if !targets.is_empty() => {
                return Err(error(BAD, "`purge_all` takes no `Targets`."));
            }
            "purge_all" => {}
            _ if targets.is_empty() => return Err(missing("Targets")),
            "purge_url" | "purge_prefix" => {
                if let Some(t) = targets.iter().find(|t| url_host(t).is_none()) {
                    return bad_target(t);
                }
            }
            "purge_host" => {
                if let Some(t) = targets.iter().find(|t| !is_host(t)) {
                    return bad_target(t);
                }
            }
            _ => {
                let domains = params
                    .get("CacheTag")
                    .and_then(Value::as_object)
                    .map(|c| opt_strings(c, "Domains", BAD))
                    .transpose()?
                    .flatten();
                if domains.is_none_or(|d| d.is_empty()) {
                    return Err(missing("CacheTag.Domains"));
                }
            }
        }
        let q = &self.setup.quota;
        if targets.len() > q.edgeone_batch {
            return Err(error(
                "LimitExceeded.BatchQuota",
                &format!("At most {} targets per call.", q.edgeone_batch),
            ));
        }
        let (failed, accepted): (Vec<String>, Vec<String>) = targets
            .into_iter()
            .partition(|t| self.setup.failed_targets.contains(t));
        let entries = if kind == "purge_all" {
            vec![self.setup.zone_id.clone()]
        } else {
            accepted
        };
        let now = self.now();
        let mut book = self.book.lock().expect("book lock");
        if !Self::use_quota(
            &mut book,
            &format!("teo/{kind}"),
            entries.len(),
            q.edgeone_daily,
        ) {
            return Err(error(
                "LimitExceeded.DailyQuota",
                &format!("The daily {kind} quota ({}) is exceeded.", q.edgeone_daily),
            ));
        }
        let id = random_lower(12);
        let scenario = self.setup.purge.clone();
        let job = Self::task(
            &mut book,
            &scenario,
            entries,
            kind,
            method,
            now,
            Some((Instant::now(), now)),
        );
        book.teo.insert(id.clone(), job);
        book.created.push(id.clone());
        drop(book);
        let failed_list: Vec<Value> = if failed.is_empty() {
            Vec::new()
        } else {
            vec![json!({
                "Reason": "The target's domain is not served by this zone.",
                "Targets": failed,
            })]
        };
        let label = format!("created {id} ({} failed)", failed.len());
        Ok(self.maybe_reset(ok(json!({ "JobId": id, "FailedList": failed_list }), label)))
    }

    /// `DescribePurgeTasks`: by a `job-id` filter or a time range, filtered, paged.
    pub(super) fn teo_tasks(&self, params: &Params) -> Result<Answer, Answer> {
        known_fields(
            params,
            &[
                "ZoneId",
                "StartTime",
                "EndTime",
                "Offset",
                "Limit",
                "Filters",
            ],
        )?;
        self.check_zone(params, false)?;
        let start = opt_string(params, "StartTime", BAD)?
            .map(|t| parse_time(t, "StartTime"))
            .transpose()?;
        let end = opt_string(params, "EndTime", BAD)?
            .map(|t| parse_time(t, "EndTime"))
            .transpose()?;
        let offset = opt_int(params, "Offset", 0..=u64::from(u32::MAX), BAD)?.unwrap_or(0);
        let limit = opt_int(params, "Limit", 1..=1000, BAD)?.unwrap_or(20);
        let filters = filters(params)?;
        let job_id = filters
            .iter()
            .find(|f| f.name == "job-id")
            .map(|f| f.values[0].clone());
        if job_id.is_none() && (start.is_none() || end.is_none()) {
            return Err(error(
                BAD,
                "A `job-id` filter or both `StartTime` and `EndTime` must be given.",
            ));
        }
        let now = self.now();
        let mut book = self.book.lock().expect("book lock");
        if let Some(id) = &job_id {
            if !book.teo.contains_key(id) {
                let entries = vec![Self::scripted_url(&self.setup, id)];
                let default = self.setup.default.clone();
                let job = Self::task(
                    &mut book,
                    &default,
                    entries,
                    "purge_url",
                    "invalidate",
                    now,
                    None,
                );
                book.teo.insert(id.clone(), job);
            }
        }
        let mut selected: Vec<(&String, &mut super::Task)> = book
            .teo
            .iter_mut()
            .filter(|(id, t)| match &job_id {
                Some(want) => *id == want,
                None => start.is_none_or(|s| t.created >= s) && end.is_none_or(|e| t.created <= e),
            })
            .collect();
        selected.sort_by_key(|t| std::cmp::Reverse(t.1.seq));
        let mut phases = Vec::new();
        let mut rows = Vec::new();
        for (id, job) in selected {
            let phase = job.phase(now);
            phases.push(phase.clone());
            if phase == Phase::Hidden {
                continue;
            }
            for target in &job.entries {
                let word = entry_status(
                    &phase,
                    target,
                    &self.setup.failing_urls,
                    ["processing", "success", "failed"],
                );
                let (fail_type, fail_message) = match (&phase, word.as_str()) {
                    (Phase::Failed, _) => (
                        "taskFailed",
                        job.scenario
                            .message
                            .clone()
                            .unwrap_or_else(|| "The purge task failed.".into()),
                    ),
                    (_, "failed") => (
                        "originPullFailed",
                        "Pulling the target from the origin failed.".into(),
                    ),
                    (Phase::Word(_), _) => ("", job.scenario.message.clone().unwrap_or_default()),
                    _ => ("", String::new()),
                };
                let keep = filters.iter().all(|f| {
                    let v = &f.values;
                    match f.name.as_str() {
                        "target" if f.fuzzy => target.contains(v[0].as_str()),
                        "target" => *target == v[0],
                        "domains" => {
                            let host =
                                url_host(target).unwrap_or_else(|| target.to_ascii_lowercase());
                            v.iter().any(|d| d.eq_ignore_ascii_case(&host))
                        }
                        "statuses" => v.contains(&word),
                        "type" => v.contains(&job.kind),
                        _ => true,
                    }
                });
                if keep {
                    let finished = !matches!(phase, Phase::Running);
                    rows.push(json!({
                        "JobId": id,
                        "Target": target,
                        "Type": job.kind,
                        "Method": job.method,
                        "Status": word,
                        "CreateTime": rfc3339(job.created),
                        "UpdateTime": rfc3339(job.updated(now, finished)),
                        "FailType": fail_type,
                        "FailMessage": fail_message,
                    }));
                }
            }
        }
        drop(book);
        let total = rows.len();
        let page: Vec<Value> = rows
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(20))
            .collect();
        let words: Vec<&str> = page.iter().filter_map(|r| r["Status"].as_str()).collect();
        let label = format!("Tasks [{}] of {total}", words.join(","));
        Ok(status_answer(
            &phases,
            json!({ "Tasks": page, "TotalCount": total }),
            label,
        ))
    }
}
