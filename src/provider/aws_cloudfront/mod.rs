//! AWS CloudFront invalidations: wait on them, wait on every one in progress, or create
//! them and wait.
//!
//! - **Status**: `GET /2020-05-31/distribution/{id}/invalidation/{Id}` (a tenant of a
//!   multi-tenant distribution: `/2020-05-31/distribution-tenant/{id}/invalidation/{Id}`) on
//!   `https://cloudfront.amazonaws.com` (China: `cloudfront.cn-northwest-1.amazonaws.com.cn`),
//!   REST-XML, SigV4 for `cloudfront` in `us-east-1` (China: `cn-northwest-1`). `InProgress`
//!   is pending, `Completed` succeeded; any other word keeps the wait polling and is reported.
//! - **No ids**: the one operation [`IN_PROGRESS`] stands for every invalidation in progress
//!   on the distribution or tenant. Each poll lists them all (`ListInvalidations`, following
//!   `NextMarker` while `IsTruncated`); it succeeds when no invalidation is `InProgress` and
//!   none has a status word purge-wait does not know.
//! - **Purge**: `CreateInvalidation`, `POST` of an `InvalidationBatch`. The paths are split
//!   into calls of at most 3,000 file paths and 15 wildcard paths — CloudFront's limits of
//!   invalidations in progress per distribution — so a later call is refused with
//!   `TooManyInvalidationsInProgress` until earlier ones complete; that refusal is
//!   [`ErrorKind::Busy`]: [`crate::purge`] sends it again with backoff until the deadline.
//!   Each call's `CallerReference` is the run's base ([`inputs`]) and a hash of its paths:
//!   a call sent again (after a reset, a 5xx, or a re-run of the same CI step) is answered
//!   with the invalidation it created the first time, never a second one.
//! - **Errors**: `x-amz-request-id` in each. A refused date (`RequestTimeTooSkewed`) is signed
//!   afresh and sent once more, then ends in the clock-skew hint; refused credentials
//!   (`SignatureDoesNotMatch`, `InvalidClientTokenId`, `ExpiredToken`) are replaced once by
//!   fresh ones when they can be, then end the wait (exit 3); `AccessDenied` names the IAM
//!   action the call needs.

mod cloud;
pub mod credentials;
pub mod demo;
pub mod inputs;
pub mod profile;
pub mod sign;
pub mod sim;
pub mod wire;

#[cfg(test)]
mod tests;

pub use cloud::AwsCloudFrontCloud;

use std::cell::RefCell;
use std::time::SystemTime;

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use url::Url;

use self::credentials::{Credentials, Keys};
use self::wire::{Call, Target};
use crate::http::{self, Response};
use crate::provider::{
    ErrorKind, Observation, PollResult, Provider, ProviderError, PurgeRequest, State, SubmitResult,
    check_same_operation, one_by_one,
};
use crate::secret::Redactor;

/// The provider's input name.
pub const NAME: &str = "aws-cloudfront";

/// The operation id that stands for every invalidation in progress (no `operation-ids`).
/// Real invalidation ids are letters and digits, so it cannot be one.
pub const IN_PROGRESS: &str = "in-progress";

/// Invalidations asked for per `ListInvalidations` page.
pub const PAGE_SIZE: u32 = 100;

/// Pages one poll of [`IN_PROGRESS`] follows at most (10,000 invalidations).
pub const MAX_PAGES: usize = 100;

/// What the inputs say, validated by [`inputs::settings`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The distribution or tenant.
    pub target: Target,
    /// CloudFront's base URL (the partition's, or `endpoint`).
    pub endpoint: Url,
    /// The region requests are signed for.
    pub region: &'static str,
    /// Where the credentials come from.
    pub credentials: credentials::Source,
    /// The base of every CallerReference.
    pub caller_reference: String,
}

/// The CloudFront invalidation client.
pub struct AwsCloudFront {
    settings: Settings,
    http: reqwest::Client,
    credentials: Credentials,
    clock: fn() -> SystemTime,
    /// Notes for the summary, gathered while submitting (an invalidation that an earlier run
    /// of this step had already created).
    notes: RefCell<Vec<String>>,
}

impl AwsCloudFront {
    /// A client that signs with the system clock; secrets met on the way (temporary
    /// credentials, tokens) are registered with `redactor`.
    pub fn new(settings: Settings, http: reqwest::Client, redactor: Redactor) -> Self {
        let credentials = Credentials::new(settings.credentials.clone(), http.clone(), redactor);
        AwsCloudFront {
            settings,
            http,
            credentials,
            clock: SystemTime::now,
            notes: RefCell::new(Vec::new()),
        }
    }

    /// `{endpoint}/2020-05-31/distribution/{id}/invalidation[/{extra}]`.
    pub fn url(&self, extra: Option<&str>) -> Url {
        let mut url = self.settings.endpoint.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(self.settings.target.segments());
            if let Some(e) = extra {
                path.push(e);
            }
        }
        url
    }

    /// One signed request.
    async fn send_once(
        &self,
        method: reqwest::Method,
        url: &Url,
        body: Option<&str>,
        keys: &Keys,
    ) -> Result<Response, ProviderError> {
        let content_type = [("content-type", "application/xml")];
        let headers: &[(&str, &str)] = if body.is_some() { &content_type } else { &[] };
        let request = sign::Request {
            method: method.as_str(),
            url: url.as_str(),
            headers,
            body: body.unwrap_or_default().as_bytes(),
        };
        let signed = sign::sign(
            &request,
            keys.as_sign(),
            sign::Scope::cloudfront(self.settings.region),
            (self.clock)(),
        )
        .map_err(|e| {
            let mut e = ProviderError::new(ErrorKind::Invalid, format!("could not sign: {e}"));
            e.may_have_reached = false;
            e
        })?;
        let mut builder = self.http.request(method, url.clone());
        for (name, value) in headers.iter().copied() {
            builder = builder.header(name, value);
        }
        for (name, value) in signed {
            builder = builder.header(name, value);
        }
        if let Some(body) = body {
            builder = builder.body(body.to_string());
        }
        http::send(builder).await
    }

    /// A signed call, its unsuccessful answers made errors. A refused date is signed afresh
    /// and sent once more; refused credentials are replaced once when they can be.
    async fn call(
        &self,
        call: Call,
        method: reqwest::Method,
        url: Url,
        body: Option<&str>,
    ) -> Result<Response, ProviderError> {
        let mut keys = self.credentials.get().await?;
        let (mut resigned, mut refreshed) = (false, false);
        loop {
            let resp = self.send_once(method.clone(), &url, body, &keys).await?;
            if (200..300).contains(&resp.status) {
                return Ok(resp);
            }
            let mut e = wire::api_error(&resp, &self.settings.target, call);
            let code = e.code.clone().unwrap_or_default();
            if wire::is_clock_skew(&code, &e.message) {
                if !resigned {
                    resigned = true;
                    continue;
                }
                e.kind = ErrorKind::ClockSkew;
                return Err(e);
            }
            if wire::is_credential_refusal(&code) {
                if !refreshed && self.credentials.can_refresh() {
                    refreshed = true;
                    keys = self.credentials.refresh(&keys).await?;
                    continue;
                }
                let how = if refreshed {
                    "fresh ones were refused too"
                } else {
                    "they cannot be renewed"
                };
                let source = self.credentials.source().describe();
                let hint = e.hint.take().unwrap_or_default();
                e.kind = ErrorKind::Auth;
                e.hint = Some(format!("{hint}. The credentials came from {source}; {how}"));
            }
            return Err(e);
        }
    }

    /// `GetInvalidation` for `id`.
    async fn get(&self, id: &str) -> Result<Observation, ProviderError> {
        let resp = self
            .call(Call::Get, reqwest::Method::GET, self.url(Some(id)), None)
            .await?;
        let inv = wire::parse_invalidation(&resp.body)
            .map_err(|why| wire::malformed(&resp, "GetInvalidation", why))?;
        check_same_operation(id, Some(&inv.id)).map_err(|e| wire::with_response(e, &resp, None))?;
        Ok(wire::observation(&inv))
    }

    /// Every invalidation of the distribution, page by page, as one observation of
    /// [`IN_PROGRESS`].
    async fn in_progress(&self) -> Result<Observation, ProviderError> {
        let mut marker: Option<String> = None;
        let mut seen_markers: Vec<String> = Vec::new();
        let (mut listed, mut running, mut unknown) = (0usize, Vec::new(), Vec::new());
        for _ in 0..MAX_PAGES {
            let mut url = self.url(None);
            {
                let mut q = url.query_pairs_mut();
                if let Some(m) = &marker {
                    q.append_pair("Marker", m);
                }
                q.append_pair("MaxItems", &PAGE_SIZE.to_string());
            }
            let resp = self
                .call(Call::List, reqwest::Method::GET, url, None)
                .await?;
            let page = wire::parse_list(&resp.body)
                .map_err(|why| wire::malformed(&resp, "ListInvalidations", why))?;
            listed += page.items.len();
            if let Some(bad) = page.items.iter().find(|i| !wire::is_invalidation_id(&i.id)) {
                return Err(wire::malformed(
                    &resp,
                    "ListInvalidations",
                    format!(
                        "Id {} is not an invalidation id (uppercase letters and digits)",
                        crate::provider::quoted(&bad.id)
                    ),
                ));
            }
            for item in page.items {
                match wire::map_status(&item.status) {
                    State::Pending => running.push(item.id),
                    State::Succeeded => {}
                    _ => unknown.push((item.id, item.status)),
                }
            }
            match page.next_marker {
                None => return Ok(in_progress_observation(listed, &running, &unknown)),
                Some(next) if seen_markers.contains(&next) => {
                    return Err(wire::malformed(
                        &resp,
                        "ListInvalidations",
                        format!(
                            "NextMarker {} was given before: the pages go round",
                            crate::provider::quoted(&next)
                        ),
                    ));
                }
                Some(next) => {
                    seen_markers.push(next.clone());
                    marker = Some(next);
                }
            }
        }
        Err(ProviderError::new(
            ErrorKind::Invalid,
            format!(
                "{} lists more than {} invalidations; purge-wait waits on at most that many in progress",
                self.settings.target.id(),
                MAX_PAGES * PAGE_SIZE as usize
            ),
        )
        .hint("Give the invalidation ids to wait on as operation-ids"))
    }

    /// The CallerReference of one call: the run's base and a hash of what it invalidates.
    pub fn caller_reference(&self, paths: &[String]) -> String {
        let mut parts: Vec<&str> = vec![self.settings.target.id()];
        parts.extend(paths.iter().map(String::as_str));
        format!(
            "{}-{}",
            self.settings.caller_reference,
            inputs::short_hash(&parts)
        )
    }

    /// One `CreateInvalidation` call; its id is the invalidation's.
    async fn create(&self, purge: &PurgeRequest) -> SubmitResult {
        let paths: Vec<String> = purge.paths.iter().map(|p| wire::encode_path(p)).collect();
        let reference = self.caller_reference(&paths);
        let body = wire::batch_xml(&reference, &paths);
        let started = chrono::Utc::now();
        let resp = self
            .call(
                Call::Create,
                reqwest::Method::POST,
                self.url(None),
                Some(&body),
            )
            .await?;
        let inv = wire::parse_invalidation(&resp.body)
            .map_err(|why| wire::malformed(&resp, "CreateInvalidation", why))?;
        // An invalidation id is uppercase letters and digits (`I2J0I21PCUYOIK`): another id
        // is a malformed answer, refused without echoing it raw. Not re-sent: the
        // invalidation was accepted.
        if !wire::is_invalidation_id(&inv.id) {
            let e = ProviderError::new(
                ErrorKind::Invalid,
                format!(
                    "the invalidation was accepted but its answer is malformed: Id {} is not an invalidation id (uppercase letters and digits)",
                    crate::provider::quoted(&inv.id)
                ),
            )
            .code("MalformedInvalidationId");
            return Err(wire::with_response(e, &resp, None));
        }
        if let Some(location) = resp.header("location") {
            let last = location.trim_end_matches('/').rsplit('/').next();
            check_same_operation(&inv.id, last).map_err(|e| wire::with_response(e, &resp, None))?;
        }
        if inv
            .caller_reference
            .as_deref()
            .is_some_and(|r| r != reference)
        {
            return Err(wire::malformed(
                &resp,
                "CreateInvalidation",
                "the invalidation has another CallerReference".into(),
            ));
        }
        // An invalidation older than this call was created by an earlier submit with the
        // same reference: this step ran before with the same paths.
        let earlier = inv
            .create_time
            .is_some_and(|t| t < started - chrono::Duration::minutes(2));
        if earlier {
            let created = inv
                .create_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                .unwrap_or_default();
            self.notes.borrow_mut().push(format!(
                "CloudFront answered with invalidation {} ({}), created at {created} by an earlier run of this step with the same paths (CallerReference {reference}); it was not invalidated again. Set caller-reference to force a new invalidation.",
                inv.id,
                crate::provider::quoted(&inv.status)
            ));
        }
        Ok(vec![inv.id])
    }
}

/// What one listing says about the invalidations in progress.
fn in_progress_observation(
    listed: usize,
    running: &[String],
    unknown: &[(String, String)],
) -> Observation {
    let mut o = match (unknown.first(), running.is_empty()) {
        (Some((_, word)), _) => {
            let mut o = Observation::new(IN_PROGRESS, State::Unrecognized, word.clone());
            o.message = Some(format!(
                "{} of {listed} invalidations have a status purge-wait does not know: {}",
                unknown.len(),
                unknown
                    .iter()
                    .map(|(id, w)| format!("{id} {}", crate::provider::quoted(w)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            o
        }
        (None, false) => {
            let mut o = Observation::new(IN_PROGRESS, State::Pending, "InProgress");
            o.message = Some(format!(
                "{} of {listed} invalidations in progress: {}",
                running.len(),
                running.join(", ")
            ));
            o
        }
        (None, true) => {
            let mut o = Observation::new(IN_PROGRESS, State::Succeeded, "Completed");
            o.message = Some(format!(
                "no invalidation in progress ({listed} listed, every one Completed)"
            ));
            o
        }
    };
    if !running.is_empty() {
        o.details.push(("InProgress".into(), running.join(" ")));
    }
    o
}

impl Provider for AwsCloudFront {
    fn name(&self) -> &'static str {
        NAME
    }

    fn poll<'a>(&'a self, ids: &'a [String]) -> LocalBoxFuture<'a, PollResult> {
        one_by_one(ids, move |id| {
            async move {
                if id == IN_PROGRESS {
                    self.in_progress().await
                } else {
                    self.get(id).await
                }
            }
            .boxed_local()
        })
    }

    fn max_purge_paths(&self) -> usize {
        wire::MAX_FILE_PATHS
    }

    fn split_purge(&self, purge: &PurgeRequest) -> Vec<PurgeRequest> {
        split_purge(purge)
    }

    fn submit<'a>(&'a self, purge: &'a PurgeRequest) -> LocalBoxFuture<'a, SubmitResult> {
        self.create(purge).boxed_local()
    }

    fn submit_is_idempotent(&self) -> bool {
        true
    }

    fn purge_notes(&self, purge: &PurgeRequest) -> Vec<String> {
        let mut notes = self.notes.borrow_mut().split_off(0);
        let wildcards = purge.paths.iter().filter(|p| wire::is_wildcard(p)).count();
        notes.push(format!(
            "CloudFront: {} invalidation paths submitted ({wildcards} of them wildcards; a path ending in * counts as one, however many files it covers). Each account's first {} paths a month are free; every path beyond is billed.",
            purge.paths.len(),
            wire::FREE_PATHS_PER_MONTH
        ));
        notes
    }
}

/// Splits `purge` into calls of at most [`wire::MAX_FILE_PATHS`] file paths and
/// [`wire::MAX_WILDCARD_PATHS`] wildcard paths — the two limits are independent, so call `k`
/// takes the `k`-th chunk of each — in the order given, without duplicates once encoded.
pub fn split_purge(purge: &PurgeRequest) -> Vec<PurgeRequest> {
    let mut seen = std::collections::HashSet::new();
    let (mut files, mut wildcards): (Vec<&String>, Vec<&String>) = (Vec::new(), Vec::new());
    for path in &purge.paths {
        if seen.insert(wire::encode_path(path)) {
            if wire::is_wildcard(path) {
                wildcards.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = files.chunks(wire::MAX_FILE_PATHS);
    let mut wildcards = wildcards.chunks(wire::MAX_WILDCARD_PATHS);
    let mut calls = Vec::new();
    loop {
        let (f, w) = (files.next(), wildcards.next());
        if f.is_none() && w.is_none() {
            return calls;
        }
        let mut paths: Vec<String> = f.unwrap_or_default().iter().map(|p| (*p).clone()).collect();
        paths.extend(w.unwrap_or_default().iter().map(|p| (*p).clone()));
        calls.push(PurgeRequest {
            paths,
            kind: purge.kind,
        });
    }
}
