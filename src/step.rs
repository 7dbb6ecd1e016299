//! One CI step: validate the common inputs, find the provider in the registry, let it
//! validate its own, read `ca-file`, build the HTTP client and the provider, wait (or purge,
//! then wait), report, and pick the exit code. Used by `app` (wait) and `demo`. Knows no
//! provider by name: everything provider-specific goes through the registry.

use std::collections::HashMap;
use std::future::Future;

use crate::config::{self, Common, ConfigError, Raw};
use crate::exit::{Exit, Fatal};
use crate::provider::cloud::{Inputs, Runtime, Settings};
use crate::provider::{Provider, PurgeRequest, registry};
use crate::report::{self, ReportKind};
use crate::{http, wait};

/// A validated configuration for a wait.
#[derive(Debug)]
pub struct Config {
    /// The provider's name as the registry spells it.
    pub name: &'static str,
    /// Which API and how to reach it: the provider's validated settings.
    pub provider: Box<dyn Settings>,
    /// The ids, deduplicated, in the order given (empty when `purge` is set).
    pub ids: Vec<String>,
    /// Paths to purge first; the wait is then on the operations the purge creates.
    pub purge: Option<PurgeRequest>,
    /// The engine's knobs.
    pub wait: wait::Settings,
    /// Whether a timeout fails the step.
    pub fail_on_timeout: bool,
    /// Where results go.
    pub report: ReportKind,
    /// Extra trusted CAs (`ca-file`) and the client certificate, for the HTTP client.
    pub tls: http::Tls,
}

impl Config {
    /// Validates every input: the common ones, then the provider's, then `ca-file`. Stops
    /// at the first problem.
    pub fn from_raw(raw: &Raw, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let common = Common::from_raw(raw, env)?;
        let Some((name, cloud)) = registry::find(&common.provider) else {
            return Err(raw.invalid(
                "provider",
                "is not a provider purge-wait knows",
                &format!("Use one of: {}.", raw.table().provider_list()),
            ));
        };
        let inputs = Inputs {
            raw,
            env,
            purge: common.purge.as_ref(),
        };
        let configured = cloud.configure(name, &inputs)?;
        let tls = http::Tls {
            extra_roots: config::ca_roots(raw)?,
            identity_pem: configured.settings.identity_pem(),
        };
        Ok(Config {
            name,
            provider: configured.settings,
            ids: configured.ids,
            purge: common.purge,
            wait: common.wait,
            fail_on_timeout: common.fail_on_timeout,
            report: common.report,
            tls,
        })
    }

    /// The provider's input name.
    pub fn provider_name(&self) -> &'static str {
        self.name
    }
}

/// Validates the inputs, waits and reports, also trusting `extra_roots` (DER; a demo's
/// in-memory CA). Bad inputs are reported the CI system's way (exit 2) before any request.
pub async fn run(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
    extra_roots: Vec<Vec<u8>>,
) -> Result<Exit, Fatal> {
    let kind = config::report_kind(&raw, env).unwrap_or_else(|_| ReportKind::detect(env));
    // One redactor for the whole run: the provider registers tokens it learns mid-wait.
    let redactor = raw.redactor();
    let options = config::report_options(&raw);
    let mut reporter = report::new(kind, redactor.clone(), env, &options);
    let mut config = match Config::from_raw(&raw, env) {
        Ok(c) => c,
        Err(e) => {
            let ids = config::split_ids(raw.get("operation-ids").unwrap_or_default());
            let _ = reporter.config_error(&e, &ids);
            return Ok(Exit::Usage);
        }
    };
    config.tls.extra_roots.extend(extra_roots);
    let client = http::client_with(config.wait.request_timeout, &config.tls).map_err(|e| {
        Fatal::new(
            Exit::Unreadable,
            format!("could not set up the HTTP client: {e}"),
        )
    })?;
    let Config {
        provider: settings,
        ids,
        purge,
        wait: wait_settings,
        fail_on_timeout,
        tls,
        ..
    } = config;
    let provider = settings.build(Runtime {
        http: client,
        tls,
        request_timeout: wait_settings.request_timeout,
        redactor: redactor.clone(),
    })?;
    let summary = match &purge {
        None => wait::run(&*provider, &ids, &wait_settings, &mut *reporter, shutdown).await,
        Some(purge) => {
            purge_then_wait(&*provider, purge, &wait_settings, &mut *reporter, shutdown).await
        }
    };
    if let Err(e) = reporter.finish(&summary, fail_on_timeout) {
        eprintln!("error: could not write the report: {e}");
    }
    Ok(summary.exit(fail_on_timeout))
}

/// Submits the purge, then waits on the operations it created. A refused purge ends the
/// step before any wait; SIGINT/SIGTERM during either phase interrupts.
async fn purge_then_wait(
    provider: &dyn Provider,
    purge: &PurgeRequest,
    settings: &wait::Settings,
    reporter: &mut dyn report::Reporter,
    shutdown: impl Future<Output = ()>,
) -> wait::Summary {
    let started = tokio::time::Instant::now();
    let mut shutdown = std::pin::pin!(shutdown);
    let submitted = crate::purge::submit(provider, purge, settings, reporter, &mut shutdown).await;
    let (done, status, error, reason) = match submitted {
        Ok(done) => {
            // The time spent submitting counts against the overall deadline.
            let remaining = wait::Settings {
                timeout: settings.timeout.saturating_sub(started.elapsed()),
                ..settings.clone()
            };
            // The operations are new: a status API that does not list one yet is not a
            // "not found" (within not-found-grace).
            let mut summary = wait::run_created(
                provider,
                &done.ids,
                &done.created,
                &remaining,
                reporter,
                shutdown,
            )
            .await;
            summary.timeout = settings.timeout;
            summary.elapsed = started.elapsed();
            summary.warnings.extend(done.warnings);
            summary.purge = Some(wait::PurgeInfo {
                paths: purge.paths.len(),
                calls: done.calls,
                error: None,
            });
            return summary;
        }
        Err(crate::purge::SubmitError::Failed(e, done)) => {
            (done, wait::Status::Error, Some(e), None)
        }
        Err(crate::purge::SubmitError::TimedOut(reason, done)) => {
            (done, wait::Status::TimedOut, None, Some(reason))
        }
        Err(crate::purge::SubmitError::Interrupted(done)) => {
            (done, wait::Status::Interrupted, None, None)
        }
    };
    wait::Summary {
        provider: provider.name(),
        status,
        operations: done
            .ids
            .iter()
            .map(|id| wait::OperationResult {
                id: id.clone(),
                outcome: wait::Outcome::Pending,
                last: None,
                error: None,
                polls: 0,
                seen_done_after: None,
            })
            .collect(),
        elapsed: started.elapsed(),
        polls: 0,
        timeout: settings.timeout,
        warnings: done.warnings,
        purge: Some(wait::PurgeInfo {
            paths: purge.paths.len(),
            calls: done.calls,
            error,
        }),
        reason,
    }
}
