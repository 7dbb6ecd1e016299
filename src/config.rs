//! Inputs: one table, three sources, validated into a typed [`Config`] before any request.
//!
//! Every input in [`INPUTS`] can be given as a flag `--NAME`, as `INPUT_<NAME>` (how the
//! GitHub runner passes a docker action's inputs: upper case, hyphens kept), as
//! `PURGE_WAIT_<NAME>` (upper case, `-` → `_`), or — for credentials — as the cloud's own
//! variable (`AZURE_CDN_API_KEY_SECRET`). The first non-empty value wins, in that order;
//! an empty value counts as unset, because the runner passes unset inputs as empty strings.
//!
//! Like ripgrep's low/high args, this happens in two steps: [`Raw::resolve`] only finds the
//! text of each input and where it came from; [`Config::from_raw`] validates it into typed
//! values, naming the input, its source and the fix in every error. Neither touches the
//! process environment: both take it as a parameter, so tests never mutate `std::env`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgMatches, Command};
use url::Url;

use crate::duration;
use crate::provider::azure_china;
use crate::report::ReportKind;
use crate::secret::{Redactor, Secret};
use crate::wait;

/// One input: its name, what it does, its default, and where else it may come from.
#[derive(Debug)]
pub struct Input {
    /// Kebab-case name: the flag, the action input, the base of the env names.
    pub name: &'static str,
    /// One-line description.
    pub help: &'static str,
    /// The value used when no source sets it.
    pub default: Option<&'static str>,
    /// Whether the value is a secret (masked, redacted, never echoed).
    pub secret: bool,
    /// The cloud's own variables, tried after `PURGE_WAIT_*`.
    pub cloud_env: &'static [&'static str],
    /// The `--help` section it appears under.
    pub section: &'static str,
}

const COMMON: &str = "Inputs";
const AZURE_CHINA: &str = "Azure China CDN (provider: azure-china-cdn)";

/// Every input purge-wait reads. `action.yml`, `--help` and the README follow this table
/// (a test checks `action.yml` against it).
pub const INPUTS: &[Input] = &[
    Input {
        name: "provider",
        help: "Which API to ask: azure-china-cdn",
        default: None,
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "operation-ids",
        help: "Operation ids to wait on, separated by commas, spaces or newlines; all are waited on together",
        default: None,
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "timeout",
        help: "Overall deadline: 90s, 15m, 1h or seconds",
        default: Some("15m"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "interval",
        help: "Delay before the second poll; later delays grow toward max-interval (the first poll is immediate)",
        default: Some("5s"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "max-interval",
        help: "Cap of the growing delay between polls",
        default: Some("30s"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "fail-on-timeout",
        help: "Exit 124 when the deadline passes; false: warn, exit 0, timed-out=true",
        default: Some("true"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "endpoint",
        help: "Base URL of the API (private endpoint, https://api-preview.cdn.azure.cn, a simulator)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "allow-http",
        help: "Allow a plain http:// endpoint on a host other than localhost (test rigs, simulators in another container); never use it with real credentials",
        default: Some("false"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "report",
        help: "Where results go: auto (GitHub Actions when GITHUB_ACTIONS=true, GitLab CI when GITLAB_CI=true, Azure Pipelines when TF_BUILD=True, else plain), github, gitlab, azure-pipelines, plain, json",
        default: Some("auto"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "dotenv-file",
        help: "GitLab CI: the dotenv report for artifacts:reports:dotenv",
        default: Some("purge-wait.env"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "junit-file",
        help: "Also write a JUnit XML report here, one test case per operation",
        default: None,
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "request-timeout",
        help: "Bound on one status request (clipped to the time left)",
        default: Some("30s"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "retries",
        help: "Failed reads in a row tolerated per operation (timeouts, resets, 5xx, throttling) before exit 3",
        default: Some("10"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "concurrency",
        help: "Status requests in flight at once (1-64)",
        default: Some("8"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "subscription-id",
        help: "Subscription GUID",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_CHINA,
    },
    Input {
        name: "endpoint-id",
        help: "CDN endpoint GUID (GET /subscriptions/{id}/endpoints lists them)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_CHINA,
    },
    Input {
        name: "api-key-id",
        help: "Key ID from the portal's Key management page",
        default: None,
        secret: false,
        cloud_env: &["AZURE_CDN_API_KEY_ID"],
        section: AZURE_CHINA,
    },
    Input {
        name: "api-key-secret",
        help: "Key value from the same page (a secret)",
        default: None,
        secret: true,
        cloud_env: &["AZURE_CDN_API_KEY_SECRET"],
        section: AZURE_CHINA,
    },
];

/// Providers that later versions add; naming one gives a clear error, not "unknown".
const PLANNED_PROVIDERS: &[&str] = &["azure-classic", "azure-arm", "alibaba-dcdn", "alibaba-cdn"];

/// The environment variables an input is read from, in order of precedence.
pub fn env_names(input: &Input) -> Vec<String> {
    let upper = input.name.to_ascii_uppercase();
    let mut names = vec![
        format!("INPUT_{upper}"),
        format!("PURGE_WAIT_{}", upper.replace('-', "_")),
    ];
    names.extend(input.cloud_env.iter().map(|s| s.to_string()));
    names
}

/// Looks an input up by name.
pub fn input(name: &str) -> &'static Input {
    INPUTS
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no input named {name}"))
}

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `--NAME`.
    Flag,
    /// An environment variable.
    Env(String),
    /// The built-in default.
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag => f.write_str("from the command line"),
            Source::Env(name) => write!(f, "from {name}"),
            Source::Default => f.write_str("the default"),
        }
    }
}

/// A bad or missing input. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The input at fault, when there is one.
    pub input: Option<&'static str>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigError {
    fn new(input: Option<&'static str>, message: String) -> Self {
        ConfigError { input, message }
    }
}

/// The text of every input that was set, and where it came from. No validation.
#[derive(Debug, Default, Clone)]
pub struct Raw {
    values: BTreeMap<&'static str, (String, Source)>,
}

impl Raw {
    /// Finds each input in the flags, then the environment, then the defaults.
    pub fn resolve(matches: &ArgMatches, env: &HashMap<String, String>) -> Raw {
        let mut values = BTreeMap::new();
        for input in INPUTS {
            let flag = find_flag(matches, input.name).map(|v| (v, Source::Flag));
            let from_env = || {
                env_names(input).into_iter().find_map(|name| {
                    let v = env.get(&name)?.trim();
                    (!v.is_empty()).then(|| (v.to_string(), Source::Env(name)))
                })
            };
            let default = || input.default.map(|d| (d.to_string(), Source::Default));
            if let Some(found) = flag.or_else(from_env).or_else(default) {
                values.insert(input.name, found);
            }
        }
        Raw { values }
    }

    /// The value of an input, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(v, _)| v.as_str())
    }

    /// Sets an input as if given on the command line (the demo uses this).
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.values.insert(name, (value.into(), Source::Flag));
    }

    /// Every secret value that was given, for masking and redaction.
    pub fn redactor(&self) -> Redactor {
        let mut r = Redactor::default();
        for input in INPUTS.iter().filter(|i| i.secret) {
            if let Some(v) = self.get(input.name) {
                r.add(v);
            }
        }
        r
    }

    fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.get(name).ok_or_else(|| missing(name))
    }

    fn invalid(&self, name: &'static str, problem: &str, fix: &str) -> ConfigError {
        let input = input(name);
        let (value, source) = self.values.get(name).expect("only set inputs are invalid");
        let shown = if input.secret {
            String::from("the value")
        } else {
            format!("{value:?}")
        };
        ConfigError::new(
            Some(name),
            format!("input `{name}` ({source}): {shown} {problem}. {fix}"),
        )
    }

    fn duration(&self, name: &'static str) -> Result<Duration, ConfigError> {
        let text = self.required(name)?;
        match duration::parse(text) {
            Some(d) if d >= Duration::from_millis(100) => Ok(d),
            Some(_) => Err(self.invalid(name, "is too short", "Use at least 100ms.")),
            None => Err(self.invalid(
                name,
                "is not a duration",
                "Use a value such as 90s, 15m, 1h, 500ms or a number of seconds.",
            )),
        }
    }

    fn number(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<u32>,
    ) -> Result<u32, ConfigError> {
        let text = self.required(name)?;
        match text.parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(self.invalid(
                name,
                "is not a whole number in range",
                &format!("Use a number from {} to {}.", range.start(), range.end()),
            )),
        }
    }

    fn boolean(&self, name: &'static str) -> Result<bool, ConfigError> {
        let text = self.required(name)?;
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(self.invalid(name, "is not a boolean", "Use true or false.")),
        }
    }

    fn guid(&self, name: &'static str) -> Result<String, ConfigError> {
        let text = self.required(name)?;
        if is_guid(text) {
            Ok(text.to_ascii_lowercase())
        } else {
            Err(self.invalid(
                name,
                "is not a GUID",
                "Use the 36-character form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx.",
            ))
        }
    }
}

fn missing(name: &'static str) -> ConfigError {
    let input = input(name);
    let envs = env_names(input);
    let mut ways = vec![format!("--{name}")];
    ways.extend(envs.iter().skip(1).cloned());
    ConfigError::new(
        Some(name),
        format!(
            "input `{name}` is required: set it with {} (in a GitHub Action: the `{name}` input{})",
            ways.join(", "),
            if input.secret { ", from a secret" } else { "" }
        ),
    )
}

fn find_flag(matches: &ArgMatches, name: &str) -> Option<String> {
    let mut m = matches;
    let mut found = None;
    loop {
        if let Ok(Some(v)) = m.try_get_one::<String>(name) {
            if matches!(
                m.value_source(name),
                Some(clap::parser::ValueSource::CommandLine)
            ) {
                found = Some(v.trim().to_string());
            }
        }
        match m.subcommand() {
            Some((_, sub)) => m = sub,
            None => break,
        }
    }
    found.filter(|v| !v.is_empty())
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits in either case.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Splits `operation-ids` on commas and white space, dropping empties and duplicates.
pub fn split_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if !id.is_empty() && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

/// The provider and its settings.
#[derive(Debug, Clone)]
pub enum ProviderConfig {
    /// Azure China CDN.
    AzureChina(azure_china::Settings),
}

/// A validated configuration for a wait.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which API and how to reach it.
    pub provider: ProviderConfig,
    /// The ids, deduplicated, in the order given.
    pub ids: Vec<String>,
    /// The engine's knobs.
    pub wait: wait::Settings,
    /// Whether a timeout fails the step.
    pub fail_on_timeout: bool,
    /// Where results go.
    pub report: ReportKind,
}

impl Config {
    /// Validates every input. Stops at the first problem.
    pub fn from_raw(raw: &Raw, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let report = report_kind(raw, env)?;
        let provider_name = raw.required("provider")?;
        let timeout = raw.duration("timeout")?;
        let interval = raw.duration("interval")?;
        let max_interval = raw.duration("max-interval")?;
        if max_interval < interval {
            return Err(raw.invalid(
                "max-interval",
                &format!("is shorter than interval ({})", duration::format(interval)),
                "Make max-interval at least as long as interval.",
            ));
        }
        let wait = wait::Settings {
            timeout,
            interval,
            max_interval,
            request_timeout: raw.duration("request-timeout")?,
            concurrency: raw.number("concurrency", 1..=64)? as usize,
            retries: raw.number("retries", 0..=1000)?,
            ..wait::Settings::default()
        };
        let fail_on_timeout = raw.boolean("fail-on-timeout")?;
        let ids_text = raw.required("operation-ids")?;
        let ids = split_ids(ids_text);
        if ids.is_empty() {
            return Err(raw.invalid(
                "operation-ids",
                "holds no id",
                "Give one or more ids separated by commas, spaces or newlines.",
            ));
        }
        if ids.len() > 10_000 {
            return Err(raw.invalid(
                "operation-ids",
                "holds more than 10000 ids",
                "Split the wait.",
            ));
        }
        let provider = match provider_name {
            azure_china::NAME => {
                for id in &ids {
                    if !is_guid(id) {
                        return Err(ConfigError::new(
                            Some("operation-ids"),
                            format!(
                                "input `operation-ids`: {id:?} is not a GUID. Azure China CDN operation ids are the TaskTrackId GUIDs that purge and preload calls return."
                            ),
                        ));
                    }
                }
                ProviderConfig::AzureChina(azure_china::Settings {
                    endpoint: endpoint(raw, azure_china::DEFAULT_ENDPOINT)?,
                    subscription_id: raw.guid("subscription-id")?,
                    endpoint_id: raw.guid("endpoint-id")?,
                    api_key_id: raw.required("api-key-id")?.to_string(),
                    api_key_secret: Secret::new(raw.required("api-key-secret")?),
                })
            }
            other if PLANNED_PROVIDERS.contains(&other) => {
                return Err(raw.invalid(
                    "provider",
                    "is not available in this version of purge-wait",
                    "This version supports: azure-china-cdn.",
                ));
            }
            _ => {
                return Err(raw.invalid(
                    "provider",
                    "is not a provider purge-wait knows",
                    "Use one of: azure-china-cdn.",
                ));
            }
        };
        Ok(Config {
            provider,
            ids,
            wait,
            fail_on_timeout,
            report,
        })
    }

    /// The provider's input name.
    pub fn provider_name(&self) -> &'static str {
        match self.provider {
            ProviderConfig::AzureChina(_) => azure_china::NAME,
        }
    }
}

/// The report kind, `auto` resolved against the environment. Valid even when other inputs
/// are not, so that a configuration error is itself reported the CI system's way.
pub fn report_kind(raw: &Raw, env: &HashMap<String, String>) -> Result<ReportKind, ConfigError> {
    let text = raw.get("report").unwrap_or("auto");
    match text.to_ascii_lowercase().as_str() {
        "auto" => Ok(ReportKind::detect(env)),
        "github" => Ok(ReportKind::Github),
        "plain" => Ok(ReportKind::Plain),
        "json" => Ok(ReportKind::Json),
        "gitlab" => Ok(ReportKind::Gitlab),
        "azure-pipelines" => Ok(ReportKind::AzurePipelines),
        _ => Err(raw.invalid(
            "report",
            "is not a report kind",
            "Use auto, github, gitlab, azure-pipelines, plain or json.",
        )),
    }
}

/// The report files (`dotenv-file`, `junit-file`). Never fails, so that a configuration
/// error still reaches them.
pub fn report_options(raw: &Raw) -> crate::report::Options {
    crate::report::Options {
        dotenv_file: raw.get("dotenv-file").map(Into::into),
        junit_file: raw.get("junit-file").map(Into::into),
    }
}

fn endpoint(raw: &Raw, default: &str) -> Result<Url, ConfigError> {
    let allow_http = raw.boolean("allow-http")?;
    let Some(text) = raw.get("endpoint") else {
        return Ok(Url::parse(default).expect("default endpoint parses"));
    };
    let url = Url::parse(text).map_err(|e| {
        raw.invalid(
            "endpoint",
            &format!("is not a URL ({e})"),
            "Use a base URL such as https://restapi.cdn.azure.cn.",
        )
    })?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(raw.invalid(
            "endpoint",
            "has a query, fragment or user name",
            "Give only scheme, host, port and an optional path prefix.",
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback || allow_http => Ok(url),
        "http" => Err(raw.invalid(
            "endpoint",
            "uses plain http to a remote host",
            "Use https (plain http is allowed for localhost, or with allow-http: true for a test rig).",
        )),
        _ => Err(raw.invalid("endpoint", "is not an http(s) URL", "Use an https:// URL.")),
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// Wait on operations (the default).
    Wait(Raw),
    /// Run a wait against the embedded simulator.
    Demo(Raw),
    /// Serve the simulator.
    Simulate(SimulateArgs, Raw),
    /// Print a shell completion script.
    Completions(clap_complete::Shell),
}

/// Options of `purge-wait simulate`.
#[derive(Debug, Clone)]
pub struct SimulateArgs {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Scripted operations, `ID` or `ID:key=value,…`.
    pub ops: Vec<String>,
    /// How long an operation that was not scripted takes.
    pub default_duration: Duration,
}

const EXIT_CODES: &str = "\
Exit codes:
  0    every operation succeeded
  1    an operation failed or was cancelled
  2    usage or configuration error (nothing was requested)
  3    status could not be read (credentials, permission, not found, retries exhausted)
  124  deadline reached while operations were still in progress
  130  interrupted (SIGINT/SIGTERM); outputs and summary are still written";

const EXAMPLES: &str = "\
Examples:
  purge-wait demo
      a real, signed wait against the embedded simulator
  purge-wait --provider azure-china-cdn --operation-ids \"$TASK_ID\" --timeout 20m
      wait; the credentials come from PURGE_WAIT_* or AZURE_CDN_API_KEY_ID/_SECRET
  purge-wait --report json ... | jq .status
      one JSON object on stdout
  purge-wait completions zsh > \"${fpath[1]}/_purge-wait\"
      shell completions (bash, zsh, fish, elvish, powershell)

Reports: `--report auto` picks GitHub Actions (GITHUB_ACTIONS=true), GitLab CI (GITLAB_CI=true:
dotenv report, sections, colours) or Azure Pipelines (TF_BUILD=True: ##vso variables and
issues), else plain. `--junit-file FILE` adds a JUnit XML report anywhere.";

/// The command line: every input as a global flag, plus the subcommands.
pub fn command() -> Command {
    let mut cmd = Command::new("purge-wait")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Wait until CDN purge operations finish, then report to the CI system that ran it.")
        .long_about(
            "Wait until CDN purge operations reach a terminal state, then report to the CI system \
             that ran it: step outputs, annotations, a job summary and an exit code.\n\n\
             Every input can be given as a flag, as PURGE_WAIT_<NAME> (upper case, - becomes _), \
             or in a GitHub Action as INPUT_<NAME>. Flags win over the environment; empty values \
             count as unset.",
        )
        .after_help(EXIT_CODES)
        .after_long_help(format!("{EXIT_CODES}\n\n{EXAMPLES}"))
        .subcommand_required(false)
        .subcommand(
            Command::new("wait").about("Wait on operations (the default when no command is given)"),
        )
        .subcommand(
            Command::new("completions")
                .about("Print a completion script: purge-wait completions bash > /etc/bash_completion.d/purge-wait")
                .arg(
                    Arg::new("shell")
                        .value_name("SHELL")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell))
                        .help("bash, zsh, fish, elvish or powershell"),
                ),
        )
        .subcommand(Command::new("demo").about(
            "Start the embedded simulator on a free port and run a real, signed wait against it",
        ))
        .subcommand(
            Command::new("simulate")
                .about(
                    "Serve the provider APIs locally, verifying signatures like the real service",
                )
                .arg(
                    Arg::new("listen")
                        .long("listen")
                        .value_name("ADDR")
                        .default_value("127.0.0.1:8640")
                        .value_parser(clap::value_parser!(SocketAddr))
                        .help("Address to listen on"),
                )
                .arg(
                    Arg::new("op")
                        .long("op")
                        .value_name("SPEC")
                        .action(ArgAction::Append)
                        .help(
                            "Script an operation: ID or ID:key=value,... with after=DURATION, \
                             outcome=succeeded|failed|stuck|STATUS-WORD, message=TEXT, throttle=N, \
                             retry-after=SECONDS, errors=N (5xx answers first)",
                        ),
                )
                .arg(
                    Arg::new("default-duration")
                        .long("default-duration")
                        .value_name("DURATION")
                        .default_value("10s")
                        .help("How long an operation that was not scripted takes to succeed"),
                ),
        );
    for input in INPUTS {
        let mut help = input.help.to_string();
        let envs = env_names(input);
        help.push_str(&format!(" [env: {}]", envs.join(", ")));
        if let Some(d) = input.default {
            help.push_str(&format!(" [default: {d}]"));
        }
        cmd = cmd.arg(
            Arg::new(input.name)
                .long(input.name)
                .value_name("VALUE")
                .allow_hyphen_values(true)
                .global(true)
                .help(help)
                .help_heading(input.section),
        );
    }
    cmd
}

/// Parses the command line (`args` include the program name) and finds every input's text
/// in the flags and `env`.
pub fn parse<I, T>(args: I, env: &HashMap<String, String>) -> Result<Action, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    let raw = Raw::resolve(&matches, env);
    Ok(match matches.subcommand() {
        Some(("demo", _)) => Action::Demo(raw),
        Some(("completions", sub)) => Action::Completions(
            *sub.get_one::<clap_complete::Shell>("shell")
                .expect("required"),
        ),
        Some(("simulate", sub)) => {
            let text = sub
                .get_one::<String>("default-duration")
                .expect("has a default");
            let default_duration = duration::parse(text).ok_or_else(|| {
                command().error(
                    clap::error::ErrorKind::ValueValidation,
                    format!("--default-duration: {text:?} is not a duration; use e.g. 10s"),
                )
            })?;
            let args = SimulateArgs {
                listen: *sub.get_one::<SocketAddr>("listen").expect("has a default"),
                ops: sub
                    .get_many::<String>("op")
                    .map(|v| v.cloned().collect())
                    .unwrap_or_default(),
                default_duration,
            };
            Action::Simulate(args, raw)
        }
        _ => Action::Wait(raw),
    })
}

#[cfg(test)]
mod tests;
