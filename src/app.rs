//! Orchestration: parse, validate, build the provider and the reporter, wait, report, and
//! decide the exit code — in that order, in one place.

use std::collections::HashMap;
use std::ffi::OsString;
use std::future::Future;

use crate::config::{self, Action, Config, ProviderConfig, Raw};
use crate::provider::Provider;
use crate::provider::alibaba::Alibaba;
use crate::provider::aws_cloudfront::AwsCloudFront;
use crate::provider::azure_arm::AzureArm;
use crate::provider::azure_china::AzureChina;
use crate::provider::azure_classic::AzureClassic;
use crate::report::{self, ReportKind};
use crate::{http, wait};

/// The process environment as a map (names and values lossily converted to UTF-8).
pub fn environment() -> HashMap<String, String> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Runs the command line `args` (program name first) against `env`; returns the exit code.
pub async fn run(args: Vec<OsString>, env: HashMap<String, String>) -> u8 {
    // Handlers first: a SIGTERM that arrives while we start must still end in outputs.
    let shutdown = shutdown_signal();
    let action = match config::parse(args, &env) {
        Ok(action) => action,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match action {
        Action::Wait(raw) => wait(raw, &env, shutdown).await,
        Action::Demo(raw) => crate::demo::demo(raw, &env, shutdown).await,
        Action::Simulate(args, raw) => crate::demo::simulate(args, raw, shutdown).await,
        Action::Completions(shell) => {
            let mut cmd = config::command();
            clap_complete::generate(shell, &mut cmd, "purge-wait", &mut std::io::stdout());
            0
        }
    }
}

/// Validates the inputs, waits and reports. Bad inputs are reported the CI system's way
/// (exit 2) before any request.
pub(crate) async fn wait(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
) -> u8 {
    wait_trusting(raw, env, shutdown, Vec::new()).await
}

/// [`wait`], also trusting `extra_roots` (DER; the demo's in-memory CA).
pub(crate) async fn wait_trusting(
    raw: Raw,
    env: &HashMap<String, String>,
    shutdown: impl Future<Output = ()>,
    extra_roots: Vec<Vec<u8>>,
) -> u8 {
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
            return 2;
        }
    };
    config.tls.extra_roots.extend(extra_roots);
    let client = match http::client_with(config.wait.request_timeout, &config.tls) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: could not set up the HTTP client: {e}");
            return 3;
        }
    };
    let provider: Box<dyn Provider> = match &config.provider {
        ProviderConfig::AzureChina(s) => Box::new(AzureChina::new(s.clone(), client)),
        ProviderConfig::AzureClassic(s) => {
            // OpenSSL, for Service Management's renegotiation (see tls::ossl).
            match http::openssl_client::Client::new(config.wait.request_timeout, &config.tls) {
                Ok(c) => Box::new(AzureClassic::new(s.clone(), c)),
                Err(e) => {
                    eprintln!("error: could not set up the HTTP client: {e}");
                    return 3;
                }
            }
        }
        ProviderConfig::AzureArm(s) => {
            Box::new(AzureArm::new((**s).clone(), client, redactor.clone()))
        }
        ProviderConfig::Alibaba(s) => Box::new(Alibaba::new(s.clone(), client, redactor.clone())),
        ProviderConfig::AwsCloudFront(s) => {
            Box::new(AwsCloudFront::new((**s).clone(), client, redactor.clone()))
        }
    };
    let summary = match &config.purge {
        None => {
            wait::run(
                &*provider,
                &config.ids,
                &config.wait,
                &mut *reporter,
                shutdown,
            )
            .await
        }
        Some(purge) => purge_then_wait(&*provider, purge, &config, &mut *reporter, shutdown).await,
    };
    if let Err(e) = reporter.finish(&summary, config.fail_on_timeout) {
        eprintln!("error: could not write the report: {e}");
    }
    report::exit_code(&summary, config.fail_on_timeout)
}

/// Submits the purge, then waits on the operations it created. A refused purge ends the
/// step before any wait; SIGINT/SIGTERM during either phase interrupts.
async fn purge_then_wait(
    provider: &dyn Provider,
    purge: &crate::provider::PurgeRequest,
    config: &Config,
    reporter: &mut dyn report::Reporter,
    shutdown: impl Future<Output = ()>,
) -> wait::Summary {
    let started = tokio::time::Instant::now();
    let mut shutdown = std::pin::pin!(shutdown);
    let submitted =
        crate::purge::submit(provider, purge, &config.wait, reporter, &mut shutdown).await;
    let (done, status, error, reason) = match submitted {
        Ok(done) => {
            // The time spent submitting counts against the overall deadline.
            let settings = wait::Settings {
                timeout: config.wait.timeout.saturating_sub(started.elapsed()),
                ..config.wait.clone()
            };
            // The operations are new: a status API that does not list one yet is not a
            // "not found" (within not-found-grace).
            let mut summary = wait::run_created(
                provider,
                &done.ids,
                &done.created,
                &settings,
                reporter,
                shutdown,
            )
            .await;
            summary.timeout = config.wait.timeout;
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
        timeout: config.wait.timeout,
        warnings: done.warnings,
        purge: Some(wait::PurgeInfo {
            paths: purge.paths.len(),
            calls: done.calls,
            error,
        }),
        reason,
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// it is first polled.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
