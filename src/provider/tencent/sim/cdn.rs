//! CDN 2018-06-06: `PurgeUrlsCache`, `PurgePathCache`, `DescribePurgeTasks`,
//! `DescribePurgeQuota`.

use std::time::Instant;

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_json::{Value, json};

use super::{
    Params, Phase, TencentSim, entry_status, error, known_fields, missing, ok, opt_bool, opt_int,
    opt_string, opt_strings, random_lower, status_answer, url_host,
};
use crate::sim::Answer;

/// CDN's code for a bad parameter.
const BAD: &str = "InvalidParameter.CdnParamError";

/// The time zone of CDN's `StartTime`, `EndTime` and `CreateTime` (the console's, UTC+8).
fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset")
}

fn parse_time(value: &str, name: &str) -> Result<DateTime<Utc>, Answer> {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
        .ok()
        .and_then(|t| t.and_local_timezone(beijing()).single())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            error(
                BAD,
                &format!("`{name}` must be a time like `2018-08-08 00:00:00`."),
            )
        })
}

impl TencentSim {
    /// `PurgeUrlsCache` (`dirs` false) or `PurgePathCache`.
    pub(super) fn cdn_purge(&self, params: &Params, dirs: bool) -> Result<Answer, Answer> {
        let (field, known): (&str, &[&str]) = if dirs {
            ("Paths", &["Paths", "FlushType", "UrlEncode", "Area"])
        } else {
            ("Urls", &["Urls", "UrlEncode", "Area"])
        };
        known_fields(params, known)?;
        let urls = opt_strings(params, field, BAD)?.ok_or_else(|| missing(field))?;
        if urls.is_empty() {
            return Err(error(BAD, &format!("`{field}` is empty.")));
        }
        let flush = if dirs {
            let flush =
                opt_string(params, "FlushType", BAD)?.ok_or_else(|| missing("FlushType"))?;
            if !matches!(flush, "flush" | "delete") {
                return Err(error(BAD, "`FlushType` must be `flush` or `delete`."));
            }
            flush
        } else {
            "flush"
        };
        opt_bool(params, "UrlEncode", BAD)?;
        let area = opt_string(params, "Area", BAD)?.unwrap_or("mainland");
        if !matches!(area, "mainland" | "overseas") {
            return Err(error(BAD, "`Area` must be `mainland` or `overseas`."));
        }
        for url in &urls {
            let Some(host) = url_host(url) else {
                return Err(error(
                    BAD,
                    &format!("{url:?} is not a full URL starting with http:// or https://."),
                ));
            };
            if host.starts_with("*.") {
                return Err(error(
                    "InvalidParameter.CdnPurgeWildcardNotAllowed",
                    "Purging a wildcard domain is not supported.",
                ));
            }
            let domains = &self.setup.domains;
            if !domains.is_empty() && !domains.iter().any(|d| d.eq_ignore_ascii_case(&host)) {
                return Err(error(
                    "ResourceNotFound.CdnHostNotExists",
                    &format!("The domain {host:?} is not found in this account."),
                ));
            }
            if dirs && !url.ends_with('/') {
                return Err(error(
                    BAD,
                    &format!("The directory {url:?} does not end in `/`."),
                ));
            }
        }
        let q = &self.setup.quota;
        let (batch, daily, what) = if dirs {
            (q.path_batch, q.path_daily, "Path")
        } else {
            (q.url_batch, q.url_daily, "Url")
        };
        if urls.len() > batch {
            return Err(error(
                &format!("LimitExceeded.CdnPurge{what}ExceedBatchLimit"),
                &format!("At most {batch} per call can be purged."),
            ));
        }
        let now = self.now();
        let mut book = self.book.lock().expect("book lock");
        let key = format!("{}/{area}", if dirs { "path" } else { "url" });
        if !Self::use_quota(&mut book, &key, urls.len(), daily) {
            return Err(error(
                &format!("LimitExceeded.CdnPurge{what}ExceedDayLimit"),
                &format!("The daily purge quota ({daily}) is exceeded."),
            ));
        }
        let id = format!("{}-{}", now.timestamp(), random_lower(8));
        let kind = if dirs { "path" } else { "url" };
        let scenario = self.setup.purge.clone();
        let mut task = Self::task(
            &mut book,
            &scenario,
            urls,
            kind,
            flush,
            now,
            Some((Instant::now(), now)),
        );
        task.area = area.into();
        book.cdn.insert(id.clone(), task);
        book.created.push(id.clone());
        drop(book);
        Ok(self.maybe_reset(ok(json!({ "TaskId": id }), format!("created {id}"))))
    }

    /// `DescribePurgeTasks`: by `TaskId` or a time range, filtered, paged.
    pub(super) fn cdn_tasks(&self, params: &Params) -> Result<Answer, Answer> {
        known_fields(
            params,
            &[
                "PurgeType",
                "StartTime",
                "EndTime",
                "TaskId",
                "Offset",
                "Limit",
                "Keyword",
                "Status",
                "Area",
            ],
        )?;
        let task_id = opt_string(params, "TaskId", BAD)?;
        let start = opt_string(params, "StartTime", BAD)?
            .map(|t| parse_time(t, "StartTime"))
            .transpose()?;
        let end = opt_string(params, "EndTime", BAD)?
            .map(|t| parse_time(t, "EndTime"))
            .transpose()?;
        if task_id.is_none() && start.is_none() {
            return Err(error(BAD, "Either `TaskId` or `StartTime` must be given."));
        }
        let purge_type = opt_string(params, "PurgeType", BAD)?;
        if purge_type.is_some_and(|t| !matches!(t, "url" | "path")) {
            return Err(error(BAD, "`PurgeType` must be `url` or `path`."));
        }
        let status = opt_string(params, "Status", BAD)?;
        if status.is_some_and(|s| !matches!(s, "fail" | "done" | "process")) {
            return Err(error(BAD, "`Status` must be `fail`, `done` or `process`."));
        }
        let area = opt_string(params, "Area", BAD)?;
        if area.is_some_and(|a| !matches!(a, "mainland" | "overseas" | "global")) {
            return Err(error(
                BAD,
                "`Area` must be `mainland`, `overseas` or `global`.",
            ));
        }
        let keyword = opt_string(params, "Keyword", BAD)?;
        let offset = opt_int(params, "Offset", 0..=u64::from(u32::MAX), BAD)?.unwrap_or(0);
        let limit = opt_int(params, "Limit", 1..=1000, BAD)?.unwrap_or(20);
        let now = self.now();
        let mut book = self.book.lock().expect("book lock");
        if let Some(id) = task_id {
            if !book.cdn.contains_key(id) {
                let entries = vec![Self::scripted_url(&self.setup, id)];
                let default = self.setup.default.clone();
                let task = Self::task(&mut book, &default, entries, "url", "flush", now, None);
                book.cdn.insert(id.to_string(), task);
            }
        }
        let mut selected: Vec<(&String, &mut super::Task)> = book
            .cdn
            .iter_mut()
            .filter(|(id, t)| match task_id {
                Some(want) => id.as_str() == want,
                None => start.is_none_or(|s| t.created >= s) && end.is_none_or(|e| t.created <= e),
            })
            .collect();
        selected.sort_by_key(|t| std::cmp::Reverse(t.1.seq));
        let mut phases = Vec::new();
        let mut rows = Vec::new();
        for (id, task) in selected {
            let phase = task.phase(now);
            phases.push(phase.clone());
            if phase == Phase::Hidden {
                continue;
            }
            for url in &task.entries {
                let word = entry_status(
                    &phase,
                    url,
                    &self.setup.failing_urls,
                    ["process", "done", "fail"],
                );
                let keep = purge_type.is_none_or(|t| t == task.kind)
                    && status.is_none_or(|s| s == word)
                    && keyword.is_none_or(|k| url.contains(k))
                    && area.is_none_or(|a| a == "global" || a == task.area);
                if keep {
                    rows.push(json!({
                        "TaskId": id,
                        "Url": url,
                        "Status": word,
                        "PurgeType": task.kind,
                        "FlushType": task.method,
                        "CreateTime": task.created.with_timezone(&beijing()).format("%Y-%m-%d %H:%M:%S").to_string(),
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
        let label = format!("PurgeLogs [{}] of {total}", words.join(","));
        Ok(status_answer(
            &phases,
            json!({ "PurgeLogs": page, "TotalCount": total }),
            label,
        ))
    }

    /// `DescribePurgeQuota`: the quotas and what is left of them today.
    pub(super) fn cdn_quota(&self, params: &Params) -> Result<Answer, Answer> {
        known_fields(params, &[])?;
        let q = &self.setup.quota;
        let book = self.book.lock().expect("book lock");
        let list = |kind: &str, batch: usize, total: usize| -> Vec<Value> {
            ["mainland", "overseas"]
                .iter()
                .map(|area| {
                    let used = book
                        .used
                        .get(&format!("{kind}/{area}"))
                        .copied()
                        .unwrap_or(0);
                    json!({
                        "Batch": batch,
                        "Total": total,
                        "Available": total.saturating_sub(used),
                        "Area": area,
                    })
                })
                .collect()
        };
        let fields = json!({
            "UrlPurge": list("url", q.url_batch, q.url_daily),
            "PathPurge": list("path", q.path_batch, q.path_daily),
        });
        drop(book);
        Ok(ok(fields, "quota".into()))
    }
}
