//! Inputs: one table, three sources, validated before any request. This module knows no
//! provider: it holds the common inputs ([`COMMON`]), the input machinery ([`Input`],
//! [`Table`]: the common inputs and every provider's, built by the registry), how a value
//! is found ([`Raw`]), the typed readers and shared checks every provider uses, the common
//! settings ([`Common`]). The command line over the table is [`crate::cli`].
//!
//! Every input of the [`Table`] can be given as a flag `--NAME`, as `INPUT_<NAME>` (how the
//! GitHub runner passes a docker action's inputs: upper case, hyphens kept), as
//! `PURGE_WAIT_<NAME>` (upper case, `-` → `_`), or — for credentials — as the cloud's own
//! variable (listed with it in `--help`). The first non-empty value wins, in that order;
//! an empty value counts as unset, because the runner passes unset inputs as empty strings.
//!
//! Like ripgrep's low/high args, this happens in two steps: [`Raw::resolve`] only finds the
//! text of each input and where it came from; then it is validated into typed values
//! ([`Common::from_raw`] here, the provider's own inputs in its folder), naming the input,
//! its source and the fix in every error. Neither touches the
//! process environment: both take it as a parameter, so tests never mutate `std::env`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use std::time::Duration;

use clap::ArgMatches;
use url::Url;

use crate::duration;
pub use crate::error::ConfigError;
use crate::provider::{PurgeKind, PurgeRequest};
use crate::report::ReportKind;
use crate::secret::Redactor;
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

/// The `--help` section of the common inputs.
pub const SECTION: &str = "Inputs";

/// The inputs every provider shares. The registry's [`Table`] adds each provider's own;
/// `action.yml`, `--help` and the README follow that table (tests check them against it).
pub static COMMON: &[Input] = &[
    Input {
        name: "provider",
        help: "Which API to ask",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "operation-ids",
        help: "Operation ids to wait on, separated by commas, spaces or newlines; all are waited on together",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "paths",
        help: "Purge these first, then wait on the operations the purge returns (newline or comma separated; regexes one per line; absolute URLs, a URL ending in / is a directory)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "purge-type",
        help: "How paths are purged: auto (a path ending in / is a directory), file or directory; regex, ignore-params, host, all or cache-tag where the provider supports them",
        default: Some("auto"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "timeout",
        help: "Overall deadline: 90s, 15m, 1h or seconds",
        default: Some("15m"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "interval",
        help: "Delay before the second poll; later delays grow toward max-interval (the first poll is immediate)",
        default: Some("5s"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "max-interval",
        help: "Cap of the growing delay between polls",
        default: Some("30s"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "fail-on-timeout",
        help: "Exit 124 when the deadline passes; false: warn, exit 0, timed-out=true",
        default: Some("true"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "endpoint",
        help: "Base URL of the API: a private endpoint, a regional host, a simulator (default: the provider's; see its section)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "allow-http",
        help: "Allow a plain http:// endpoint on a host other than localhost (test rigs, simulators in another container); never use it with real credentials",
        default: Some("false"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "ca-file",
        help: "PEM file of extra CA certificates to trust besides the bundled Mozilla roots (private endpoints, TLS-inspecting proxies, the simulator); every provider",
        default: None,
        secret: false,
        cloud_env: &["SSL_CERT_FILE"],
        section: SECTION,
    },
    Input {
        name: "report",
        help: "Where results go: auto (GitHub Actions when GITHUB_ACTIONS=true, GitLab CI when GITLAB_CI=true, Azure Pipelines when TF_BUILD=True, else plain), github, gitlab, azure-pipelines, plain, json",
        default: Some("auto"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "dotenv-file",
        help: "GitLab CI: the dotenv report for artifacts:reports:dotenv",
        default: Some("purge-wait.env"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "junit-file",
        help: "Also write a JUnit XML report here, one test case per operation",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "request-timeout",
        help: "Bound on one status request (clipped to the time left)",
        default: Some("30s"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "retries",
        help: "Failed reads in a row tolerated per operation (timeouts, resets, 5xx, throttling) before exit 3",
        default: Some("10"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "concurrency",
        help: "Status requests in flight at once (1-64)",
        default: Some("8"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "rate-limit",
        help: "Status calls per second at most (0.001-1000), below the provider's own limit (see its section); lower it when other jobs poll the same account",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    Input {
        name: "not-found-grace",
        help: "With paths: how long an operation the purge just created may be unknown to the status API (not listed yet) and still count as pending (0s-1h, cut to the deadline)",
        default: Some("60s"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
];

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
/// Every input purge-wait reads, each name once — the common ones, then each provider's
/// in registry order — and the provider names. Built by `provider::registry::table()`.
#[derive(Debug)]
pub struct Table {
    /// The `provider` values purge-wait knows, in order.
    pub providers: Vec<&'static str>,
    /// Every input, each name once, in `--help` order.
    pub inputs: Vec<&'static Input>,
}

impl Table {
    /// [`COMMON`], then `provider_inputs` (an input listed twice is kept once, where it
    /// first appears).
    pub fn new(
        providers: Vec<&'static str>,
        provider_inputs: impl IntoIterator<Item = &'static Input>,
    ) -> Table {
        let mut inputs: Vec<&'static Input> = COMMON.iter().collect();
        for input in provider_inputs {
            if !inputs.iter().any(|i| i.name == input.name) {
                inputs.push(input);
            }
        }
        Table { providers, inputs }
    }

    /// The input called `name`. Panics on a name no table entry has: a bug in the code,
    /// never user data.
    pub fn input(&self, name: &str) -> &'static Input {
        self.inputs
            .iter()
            .copied()
            .find(|i| i.name == name)
            .unwrap_or_else(|| panic!("no input named {name}"))
    }

    /// "a, b, c": the provider names, for help texts and errors.
    pub fn provider_list(&self) -> String {
        self.providers.join(", ")
    }
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

/// The text of every input that was set, and where it came from. No validation.
#[derive(Debug, Clone)]
pub struct Raw {
    values: BTreeMap<&'static str, (String, Source)>,
    table: &'static Table,
}

impl Raw {
    /// Finds each input in the flags, then the environment, then the defaults.
    pub fn resolve(
        matches: &ArgMatches,
        env: &HashMap<String, String>,
        table: &'static Table,
    ) -> Raw {
        let mut values = BTreeMap::new();
        for input in table.inputs.iter().copied() {
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
        Raw { values, table }
    }

    /// No input set (tests and the demo fill it with [`Raw::set`]).
    pub fn new(table: &'static Table) -> Raw {
        Raw {
            values: BTreeMap::new(),
            table,
        }
    }

    /// The table the values were read against.
    pub fn table(&self) -> &'static Table {
        self.table
    }

    /// The value of an input, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|(v, _)| v.as_str())
    }

    /// The value of an input only when a flag or the environment set it (not its default).
    pub fn given(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .filter(|(_, source)| *source != Source::Default)
            .map(|(v, _)| v.as_str())
    }

    /// Where the value of `name` came from, when it is set.
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.values.get(name).map(|(_, source)| source)
    }

    /// Sets an input as if given on the command line (the demo uses this).
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.values.insert(name, (value.into(), Source::Flag));
    }

    /// Sets shared input `name` from the first of a cloud's own `vars` set in `env`, unless
    /// a flag or its own variables set it: a provider reads its cloud's variables for an
    /// input several clouds share, so that one cloud's variable never configures another.
    pub fn or_cloud_env(
        &mut self,
        name: &'static str,
        vars: &[&str],
        env: &HashMap<String, String>,
    ) {
        if self.given(name).is_some() {
            return;
        }
        for var in vars {
            if let Some(v) = env.get(*var).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                self.values
                    .insert(name, (v.to_string(), Source::Env(var.to_string())));
                return;
            }
        }
    }

    /// Forgets an input, as if it had not been given (the demo uses this).
    pub fn unset(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// Every secret value that was given, for masking and redaction.
    pub fn redactor(&self) -> Redactor {
        let r = Redactor::default();
        for input in self.table.inputs.iter().filter(|i| i.secret) {
            if let Some(v) = self.get(input.name) {
                r.add(v);
                // A multi-line secret (a PEM certificate and key) line by line as well, so
                // that no part of it survives on its own.
                if v.contains('\n') {
                    v.lines().for_each(|line| r.add(line));
                }
            }
        }
        r
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.get(name).ok_or_else(|| self.missing(name))
    }

    pub fn invalid(&self, name: &'static str, problem: &str, fix: &str) -> ConfigError {
        let input = self.table.input(name);
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

    /// A duration input within `range` (its bounds are named in the error).
    pub fn duration(
        &self,
        name: &'static str,
        range: std::ops::RangeInclusive<Duration>,
    ) -> Result<Duration, ConfigError> {
        let text = self.required(name)?;
        let (min, max) = (*range.start(), *range.end());
        match duration::parse(text) {
            Some(d) if range.contains(&d) => Ok(d),
            Some(d) if d < min => Err(self.invalid(
                name,
                "is too short",
                &format!("Use at least {}.", duration::format(min)),
            )),
            None if !looks_long(text) => Err(self.invalid(
                name,
                "is not a duration",
                "Use a value such as 90s, 15m, 1h, 500ms or a number of seconds.",
            )),
            Some(_) | None => Err(self.invalid(
                name,
                "is too long",
                &format!("Use at most {}.", duration::format(max)),
            )),
        }
    }

    pub fn number(
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

    /// An optional rate in calls per second, from [`MIN_RATE`] to [`MAX_RATE`].
    pub fn rate(&self, name: &'static str) -> Result<Option<f64>, ConfigError> {
        let Some(text) = self.get(name) else {
            return Ok(None);
        };
        match text.trim_end_matches("/s").trim().parse::<f64>() {
            Ok(r) if (MIN_RATE..=MAX_RATE).contains(&r) => Ok(Some(r)),
            _ => Err(self.invalid(
                name,
                "is not a rate in range",
                &format!(
                    "Use calls per second, from {MIN_RATE} (one call every {}) to {MAX_RATE}, e.g. 10 or 2.5.",
                    duration::format(duration::secs_f64(1.0 / MIN_RATE))
                ),
            )),
        }
    }

    pub fn boolean(&self, name: &'static str) -> Result<bool, ConfigError> {
        let text = self.required(name)?;
        match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(self.invalid(name, "is not a boolean", "Use true or false.")),
        }
    }

    pub fn guid(&self, name: &'static str) -> Result<String, ConfigError> {
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

    pub fn missing(&self, name: &'static str) -> ConfigError {
        let input = self.table.input(name);
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
}

/// Whether a duration that did not parse is a number or a humane duration too large to hold
/// (`300000000000y`, `1e300`): then "too long" says more than "not a duration".
fn looks_long(text: &str) -> bool {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        return secs.is_finite() && secs > 0.0;
    }
    let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c.is_whitespace());
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && humantime::parse_duration(&format!("1{}", &t[digits.len()..])).is_ok()
}

/// The range of `timeout`.
pub const TIMEOUT_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=wait::MAX_TIMEOUT;
/// The range of `interval`, `max-interval` and `request-timeout`.
pub const DELAY_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(3600);
/// The range of `not-found-grace`.
pub const GRACE_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::ZERO..=Duration::from_secs(3600);
/// The slowest `rate-limit`: one call every 1000 s.
pub const MIN_RATE: f64 = 0.001;
/// The fastest `rate-limit`.
pub const MAX_RATE: f64 = 1000.0;

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

/// Splits `operation-ids` (or `paths`) on commas and white space, dropping empties and
/// duplicates.
pub fn split_ids(text: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for id in text.split(|c: char| c == ',' || c.is_whitespace()) {
        if !id.is_empty() && !ids.iter().any(|x| x == id) {
            ids.push(id.to_string());
        }
    }
    ids
}

use crate::http::is_loopback;

pub fn operation_ids(raw: &Raw) -> Result<Vec<String>, ConfigError> {
    let ids = split_ids(raw.get("operation-ids").ok_or_else(|| {
        let mut e = raw.missing("operation-ids");
        e.message.push_str("; or give paths to purge first");
        e
    })?);
    if ids.is_empty() {
        return Err(raw.invalid(
            "operation-ids",
            "holds no id",
            "Give one or more ids separated by commas, spaces or newlines.",
        ));
    }
    if ids.len() > MAX_IDS {
        return Err(too_many("operation-ids", &ids));
    }
    for id in &ids {
        if let Some(problem) = dot_segment(id) {
            return Err(bad_id(id, problem));
        }
    }
    Ok(ids)
}

/// The most operations one wait takes.
pub const MAX_IDS: usize = 10_000;

/// The refusal of more than [`MAX_IDS`] ids: how many, and the first few, not all of them.
pub fn too_many(input: &'static str, ids: &[impl AsRef<str>]) -> ConfigError {
    const SHOWN: usize = 3;
    let first: Vec<String> = ids
        .iter()
        .take(SHOWN)
        .map(|id| crate::provider::quoted(id.as_ref()))
        .collect();
    ConfigError::new(
        Some(input),
        format!(
            "input `{input}` holds {} operations, more than the {MAX_IDS} one wait takes (the first: {}, …). Split the wait into several steps of at most {MAX_IDS}.",
            ids.len(),
            first.join(", ")
        ),
    )
}

/// `.` and `..` are never operation ids: as a URL path segment they are dropped (the request
/// would go to the collection URL), and no provider's id is one.
pub fn dot_segment(id: &str) -> Option<&'static str> {
    matches!(id, "." | "..").then_some(
        "is a dot segment, which a URL drops (the request would go to the collection of operations)",
    )
}

/// What keeps `id` from being one path segment of a status URL, if anything: a dot segment,
/// or a character that the URL would carry encoded or cut at (`/`, `?`, `#`, `\`, `%`,
/// control characters), which no operation id that goes into a URL path has.
pub fn path_segment_problem(id: &str) -> Option<&'static str> {
    dot_segment(id).or_else(|| {
        id.chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '\\' | '%') || c.is_control())
            .then_some("has a character that cannot be part of one URL path segment (/ ? # \\ % or a control character)")
    })
}

pub fn bad_id(id: &str, problem: &str) -> ConfigError {
    ConfigError::new(
        Some("operation-ids"),
        format!(
            "input `operation-ids`: {} {problem}. Give each operation id alone, as the purge call returned it.",
            crate::provider::quoted(id)
        ),
    )
}

fn purge_request(raw: &Raw) -> Result<Option<PurgeRequest>, ConfigError> {
    let kind_text = raw.required("purge-type")?;
    let kind = PurgeKind::parse(kind_text).ok_or_else(|| {
        raw.invalid(
            "purge-type",
            "is not a purge type",
            "Use auto, file, directory, regex, ignore-params, host, all or cache-tag (where the provider supports them).",
        )
    })?;
    let Some(text) = raw.get("paths") else {
        return Ok(None);
    };
    let paths = if kind == PurgeKind::Regex {
        // A regular expression may hold commas and spaces: one per line.
        let mut paths: Vec<String> = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !paths.iter().any(|p| p == line) {
                paths.push(line.to_string());
            }
        }
        paths
    } else {
        split_ids(text)
    };
    if paths.is_empty() {
        return Err(raw.invalid("paths", "holds no path", "Give one path or URL per line."));
    }
    Ok(Some(PurgeRequest { paths, kind }))
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

/// An input naming a file to read: it must be a regular file (a FIFO would block the
/// process; a directory or device is a mistake).
pub fn readable_file(raw: &Raw, name: &'static str, holding: &str) -> Result<(), ConfigError> {
    let Some(path) = raw.get(name) else {
        return Ok(());
    };
    crate::files::check_readable(std::path::Path::new(path)).map_err(|e| {
        let problem = match e.kind() {
            std::io::ErrorKind::NotFound => "is not a file: no such file".to_string(),
            std::io::ErrorKind::InvalidInput => format!("is {e}"),
            _ => format!("could not be read ({e})"),
        };
        raw.invalid(
            name,
            &problem,
            &format!("Give the path of the regular file holding {holding}."),
        )
    })
}

/// The files the reporter will write (`junit-file`; `dotenv-file` on GitLab; on GitHub
/// `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`): absent is fine (created), an existing one must
/// be a regular file — a FIFO would block the process for as long as nobody reads it.
fn report_files(
    raw: &Raw,
    env: &HashMap<String, String>,
    report: ReportKind,
) -> Result<(), ConfigError> {
    let not_regular = |path: &str| -> Option<String> {
        match crate::files::check_writable(std::path::Path::new(path)) {
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Some(e.to_string()),
            _ => None,
        }
    };
    let fix = "Give the path of a regular file (it is created when absent).";
    for name in ["junit-file", "dotenv-file"] {
        if name == "dotenv-file" && report != ReportKind::Gitlab {
            continue;
        }
        let path = raw
            .get(name)
            .unwrap_or(crate::report::gitlab::DEFAULT_DOTENV_FILE);
        if let Some(why) = not_regular(path) {
            return Err(match raw.get(name) {
                Some(_) => raw.invalid(name, &format!("is {why}"), fix),
                None => ConfigError::new(
                    Some(name),
                    format!("input `{name}` (default {path:?}): {path:?} is {why}. {fix}"),
                ),
            });
        }
    }
    if report == ReportKind::Github {
        for var in ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"] {
            let Some(path) = env.get(var).filter(|p| !p.is_empty()) else {
                continue;
            };
            if let Some(why) = not_regular(path) {
                return Err(ConfigError::new(
                    Some(var),
                    format!(
                        "`{var}` names {path:?}, which is {why}: purge-wait appends to it and will not wait on anything else. The runner sets it to a regular file; do not override it."
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The report files (`dotenv-file`, `junit-file`). Never fails, so that a configuration
/// error still reaches them.
pub fn report_options(raw: &Raw) -> crate::report::Options {
    crate::report::Options {
        dotenv_file: raw.get("dotenv-file").map(Into::into),
        junit_file: raw.get("junit-file").map(Into::into),
    }
}

pub fn endpoint(raw: &Raw, default: &str) -> Result<Url, ConfigError> {
    match raw.get("endpoint") {
        Some(_) => base_url(raw, "endpoint", default),
        None => Ok(Url::parse(default).expect("default endpoint parses")),
    }
}

/// Whether plain http may go to `url`: loopback, or anywhere with `allow-http: true`.
fn http_allowed(raw: &Raw, url: &Url) -> Result<bool, ConfigError> {
    Ok(is_loopback(url) || raw.boolean("allow-http")?)
}

/// A base URL input (`endpoint`, `authority-host`): http(s), no query, fragment or user,
/// https unless local (or `allow-http`).
pub fn base_url(raw: &Raw, name: &'static str, example: &str) -> Result<Url, ConfigError> {
    let text = raw.required(name)?;
    let url = Url::parse(text).map_err(|e| {
        raw.invalid(
            name,
            &format!("is not a URL ({e})"),
            &format!("Use a base URL such as {example}."),
        )
    })?;
    if has_userinfo(&url) {
        return Err(userinfo_error(name, &url));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(raw.invalid(
            name,
            "has a query or fragment",
            "Give only scheme, host, port and an optional path prefix.",
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if http_allowed(raw, &url)? => Ok(url),
        "http" => Err(raw.invalid(
            name,
            "uses plain http to a remote host",
            "Use https (plain http is allowed for localhost, or with allow-http: true for a test rig).",
        )),
        _ => Err(raw.invalid(name, "is not an http(s) URL", "Use an https:// URL.")),
    }
}

/// Whether a URL carries a user name or a password (`user@`, `:pw@`, `user:pw@`). reqwest
/// would send them as Basic credentials beside the signature or token, so no URL input may
/// have any.
pub fn has_userinfo(url: &Url) -> bool {
    !url.username().is_empty() || url.password().is_some()
}

/// The refusal of a URL input with a user name or password, which it does not echo: the URL
/// is shown without them.
pub fn userinfo_error(name: &'static str, url: &Url) -> ConfigError {
    let mut shown = url.clone();
    // Infallible for the http(s) URLs that reach here; the URL is shown either way.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    ConfigError::new(
        Some(name),
        format!(
            "input `{name}`: the URL {:?} (shown without them) has a user name or password. Remove the user@ or user:password@ part: purge-wait sends only the provider's own credentials, and never a password in a URL.",
            shown.as_str()
        ),
    )
}

/// Letters, digits and the given punctuation only, 1 to 256 characters.
pub fn plain_word(s: &str, extra: &[char]) -> bool {
    (1..=256).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// The inputs every provider shares, validated. The provider's own come after, in its folder.
#[derive(Debug, Clone)]
pub struct Common {
    /// The `provider` text, not yet looked up.
    pub provider: String,
    /// Paths to purge first; the wait is then on the operations the purge creates.
    pub purge: Option<PurgeRequest>,
    /// The engine's knobs.
    pub wait: wait::Settings,
    /// Whether a timeout fails the step.
    pub fail_on_timeout: bool,
    /// Where results go.
    pub report: ReportKind,
}

impl Common {
    /// Validates the common inputs, in the order their errors are reported. Stops at the
    /// first problem.
    pub fn from_raw(raw: &Raw, env: &HashMap<String, String>) -> Result<Common, ConfigError> {
        let report = report_kind(raw, env)?;
        let provider = raw.required("provider")?.to_string();
        let timeout = raw.duration("timeout", TIMEOUT_RANGE)?;
        let interval = raw.duration("interval", DELAY_RANGE)?;
        let max_interval = raw.duration("max-interval", DELAY_RANGE)?;
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
            request_timeout: raw.duration("request-timeout", DELAY_RANGE)?,
            concurrency: raw.number("concurrency", 1..=64)? as usize,
            retries: raw.number("retries", 0..=1000)?,
            rate_limit: raw.rate("rate-limit")?,
            not_found_grace: raw.duration("not-found-grace", GRACE_RANGE)?,
            ..wait::Settings::default()
        };
        let fail_on_timeout = raw.boolean("fail-on-timeout")?;
        report_files(raw, env, report)?;
        raw.boolean("allow-http")?;
        let purge = purge_request(raw)?;
        if purge.is_some() && raw.get("operation-ids").is_some() {
            return Err(raw.invalid(
                "operation-ids",
                "is given together with paths",
                "Give paths to purge and wait, or operation-ids to wait on purges submitted elsewhere, not both.",
            ));
        }
        Ok(Common {
            provider,
            purge,
            wait,
            fail_on_timeout,
            report,
        })
    }
}

/// `paths` refused by a provider's purge checks: ``input `paths`: {problem}.``
pub fn paths_error(problem: impl std::fmt::Display) -> ConfigError {
    ConfigError::new(Some("paths"), format!("input `paths`: {problem}."))
}

/// Why a file could not be read, in a few words.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The extra trusted CAs of `ca-file` (or `SSL_CERT_FILE`), DER.
pub fn ca_roots(raw: &Raw) -> Result<Vec<Vec<u8>>, ConfigError> {
    let Some(path) = raw.get("ca-file") else {
        return Ok(Vec::new());
    };
    let data =
        crate::files::read_regular(path.as_ref(), crate::files::MAX_CERT_FILE).map_err(|e| {
            raw.invalid(
                "ca-file",
                &format!("could not be read ({})", io_reason(&e)),
                "Give the path of a PEM file of CA certificates.",
            )
        })?;
    crate::tls::read_ca_bundle(&data).map_err(|why| {
        raw.invalid(
            "ca-file",
            &why,
            "Give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks.",
        )
    })
}

#[cfg(test)]
mod tests;
