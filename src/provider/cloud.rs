//! What a provider folder gives the rest of purge-wait: its inputs, their validation into
//! settings, the runtime client those settings build, and its simulator for `demo`,
//! `simulate` and the tests. One unit struct per folder implements [`Cloud`];
//! [`super::registry::CLOUDS`] lists them. Nothing outside the folders and the registry
//! names a provider.

use std::any::Any;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::future::LocalBoxFuture;

use super::{Provider, PurgeRequest};
use crate::config::{ConfigError, Input, Raw};
use crate::exit::{Exit, Fatal};
use crate::secret::{Redactor, Secret};
use crate::sim::{Api, Scenario, Simulator};

/// One provider folder.
pub trait Cloud: Sync {
    /// The `provider` values it answers to, the main one first (`["azure-china-cdn"]`,
    /// `["alibaba-dcdn", "alibaba-cdn"]`). The other methods get the one the user chose.
    fn names(&self) -> &'static [&'static str];

    /// Every input it reads, shared declarations included by reference
    /// (`&azure_common::SUBSCRIPTION_ID`), in `--help` order. The flags, env names,
    /// `--help`, the redactor and the action.yml / component contract tests read them
    /// through the registry's table.
    fn inputs(&self) -> &'static [&'static Input];

    /// Validates its own inputs (and checks `paths` when purging) into settings and the ids
    /// to wait on. The common inputs are already valid. Every error names the input, where
    /// its value came from and the fix.
    fn configure(&self, name: &'static str, inputs: &Inputs<'_>)
    -> Result<Configured, ConfigError>;

    /// `purge-wait demo --provider NAME`: starts the simulator on a free loopback port with
    /// the demo's own operations and says what to wait on. `raw` is what the user gave.
    fn demo<'a>(
        &'a self,
        name: &'static str,
        raw: &'a Raw,
    ) -> LocalBoxFuture<'a, Result<Demo, Fatal>>;

    /// `purge-wait simulate --provider NAME`: serves the simulator where asked, with the
    /// user's `--op` scripts, accepting the credentials the user gave instead of the demo ones.
    fn simulate<'a>(
        &'a self,
        name: &'static str,
        how: Simulate<'a>,
    ) -> LocalBoxFuture<'a, Result<Served, Fatal>>;
}

/// What the common configuration hands a provider.
pub struct Inputs<'a> {
    /// Every input that was set, where it came from, the typed readers and error builders.
    pub raw: &'a Raw,
    /// The process environment (ACTIONS_ID_TOKEN_REQUEST_*, ALIBABA_CLOUD_STS_REGION, …).
    pub env: &'a HashMap<String, String>,
    /// The validated `paths` request, when purging first.
    pub purge: Option<&'a PurgeRequest>,
}

/// A provider's configuration result.
pub struct Configured {
    /// The operations to wait on, deduplicated, in the order given; empty when purging.
    pub ids: Vec<String>,
    /// The validated settings; they build the runtime client.
    pub settings: Box<dyn Settings>,
}

/// A provider's validated settings.
pub trait Settings: std::fmt::Debug + Any {
    /// The runtime status client. Fails (exit 3) only when a provider that brings its own
    /// HTTP client cannot set it up.
    fn build(self: Box<Self>, runtime: Runtime) -> Result<Box<dyn Provider>, Fatal>;

    /// The client certificate chain and key (PEM) the shared HTTP client must present, if
    /// the provider authenticates with one.
    fn identity_pem(&self) -> Option<Secret> {
        None
    }
}

impl dyn Settings {
    /// The concrete settings, for tests (`c.provider.downcast_ref::<azure_china::Settings>()`).
    pub fn downcast_ref<T: Settings>(&self) -> Option<&T> {
        (self as &dyn Any).downcast_ref()
    }
}

/// What building a runtime client may use.
pub struct Runtime {
    /// The shared client: bundled roots, `ca-file`, the identity of `Settings::identity_pem`.
    pub http: reqwest::Client,
    /// What the shared client was built with (trusted CAs, identity), for a provider that
    /// needs a client of its own (another TLS stack).
    pub tls: crate::http::Tls,
    /// The `request-timeout` the shared client applies.
    pub request_timeout: Duration,
    /// Every secret learnt mid-wait is registered here before it is used.
    pub redactor: Redactor,
}

/// A demo's simulator and the wait to run against it.
pub struct Demo {
    /// Running on a free loopback port; dropped when the wait ends.
    pub sim: Simulator,
    /// The line printed after "purge-wait demo: " (what is simulated, what is waited on).
    pub banner: String,
    /// Inputs forgotten first.
    pub unset: &'static [&'static str],
    /// Inputs set as if given on the command line: endpoint, credentials, ids, …
    pub set: Vec<(&'static str, String)>,
    /// CA certificates (DER) the client must trust: a TLS simulator's throwaway CA.
    pub extra_roots: Vec<Vec<u8>>,
}

/// `simulate`'s options, `--op` scripts already parsed.
pub struct Simulate<'a> {
    pub listen: SocketAddr,
    pub ops: Vec<(String, Scenario)>,
    /// `--default-duration`: how long an unscripted operation takes.
    pub default_duration: Duration,
    /// What the user gave: credentials to accept instead of the demo ones, `environment`.
    pub raw: &'a Raw,
}

/// A served simulator and how to point purge-wait at it.
pub struct Served {
    pub sim: Simulator,
    /// Printed to stderr with every `{addr}` replaced by the listening address. The first
    /// line ends in the base URL.
    pub instructions: String,
    /// Held until the simulator stops (temporary files, for instance).
    pub keep: Option<Box<dyn Any>>,
}

/// What `simulate` prints for a secret it accepts: the built-in demo value, or, when the
/// user gave their own, a note (a user's secret is never echoed).
pub fn shown(raw: &Raw, input: &str, demo_value: &str) -> String {
    match raw.get(input) {
        Some(_) => "(the one you gave)".into(),
        None => demo_value.into(),
    }
}

/// Starts a demo's simulator on a free local port (exit 3 when it cannot).
pub async fn demo_sim(api: impl Api) -> Result<Simulator, Fatal> {
    let free = "127.0.0.1:0".parse().expect("address parses");
    Simulator::start(api, free, false).await.map_err(|e| {
        Fatal::new(
            Exit::Unreadable,
            format!("could not start the simulator: {e}"),
        )
    })
}

/// Serves `simulate`'s simulator on `listen`, one line per request (exit 2 when it cannot).
pub async fn serve(api: impl Api, listen: SocketAddr) -> Result<Simulator, Fatal> {
    Simulator::start(api, listen, true)
        .await
        .map_err(|e| Fatal::new(Exit::Usage, format!("could not listen on {listen}: {e}")))
}

/// The demo's operations, parsed (the specs are constants: they always parse).
pub fn demo_ops(specs: &[&str], default: &Scenario) -> Vec<(String, Scenario)> {
    specs
        .iter()
        .map(|spec| Scenario::parse(spec, default).expect("demo specs parse"))
        .collect()
}
