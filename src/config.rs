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

use crate::auth::alibaba as auth;
use crate::auth::entra::{self, Cloud, Credential};
use crate::duration;
use crate::http;
use crate::provider::{PurgeKind, PurgeRequest};
use crate::provider::{alibaba, aws_cloudfront, azure_arm, azure_china, azure_classic};
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
const AZURE_CLASSIC: &str = "Azure classic CDN (provider: azure-classic)";
const AZURE_ARM: &str = "Azure Resource Manager (provider: azure-arm)";
const ALIBABA: &str = "Alibaba Cloud DCDN / CDN (provider: alibaba-dcdn, alibaba-cdn)";
const AWS_CLOUDFRONT: &str = "AWS CloudFront (provider: aws-cloudfront)";

/// Every input purge-wait reads. `action.yml`, `--help` and the README follow this table
/// (a test checks `action.yml` against it).
pub const INPUTS: &[Input] = &[
    Input {
        name: "provider",
        help: "Which API to ask: azure-china-cdn, azure-classic, azure-arm, alibaba-dcdn, alibaba-cdn, aws-cloudfront",
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
        name: "paths",
        help: "Purge these first, then wait on the operations the purge returns (newline or comma separated; regexes one per line; absolute URLs, a URL ending in / is a directory; aws-cloudfront: paths such as /index.html or /img/*)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "purge-type",
        help: "How paths are purged: auto (a path ending in / is a directory), file or directory; Alibaba also regex or ignore-params",
        default: Some("auto"),
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
        help: "Base URL of the API (private endpoint, https://api-preview.cdn.azure.cn, https://cdn.ap-southeast-1.aliyuncs.com, a simulator; azure-arm: the Resource Manager base, default the environment's)",
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
        name: "ca-file",
        help: "PEM file of extra CA certificates to trust besides the bundled Mozilla roots (private endpoints, TLS-inspecting proxies, the simulator); every provider",
        default: None,
        secret: false,
        cloud_env: &["SSL_CERT_FILE"],
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
        name: "rate-limit",
        help: "Status calls per second at most (0.001-1000), below the provider's own limit (Alibaba: 30 per account); lower it when other jobs poll the same account",
        default: None,
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "not-found-grace",
        help: "With paths: how long an operation the purge just created may be unknown to the status API (not listed yet) and still count as pending (0s-1h, cut to the deadline)",
        default: Some("60s"),
        secret: false,
        cloud_env: &[],
        section: COMMON,
    },
    Input {
        name: "subscription-id",
        help: "Subscription GUID (azure-china-cdn; azure-arm with operation-ids)",
        default: None,
        secret: false,
        cloud_env: &["AZURE_SUBSCRIPTION_ID"],
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
    Input {
        name: "certificate",
        help: "Management certificate with its private key: PEM, or base64 PKCS#12 as in a .publishsettings file's ManagementCertificate (a secret)",
        default: None,
        secret: true,
        cloud_env: &[],
        section: AZURE_CLASSIC,
    },
    Input {
        name: "certificate-file",
        help: "Path of the management certificate instead: PEM (certificate and key) or PKCS#12 (.pfx/.p12, binary or base64)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_CLASSIC,
    },
    Input {
        name: "certificate-password",
        help: "Password of a PKCS#12 management certificate (a secret)",
        default: None,
        secret: true,
        cloud_env: &[],
        section: AZURE_CLASSIC,
    },
    Input {
        name: "publish-settings-file",
        help: "Path of a .publishsettings file: its subscription's ManagementCertificate and ServiceManagementUrl are used (subscription-id picks one when it lists several)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_CLASSIC,
    },
    Input {
        name: "operation-url",
        help: "Monitor URLs to wait on: the Azure-AsyncOperation (or Location) header of a purge or any long-running operation, separated by spaces or newlines",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "operation-url-kind",
        help: "How the operation-url URLs answer: auto (learnt from the answers: a 202 means a Location URL), location (the Location header: a 200 or 204 without a status is done) or async-operation (the Azure-AsyncOperation header: every answer must carry a status). Only a Location URL may succeed without a status",
        default: Some("auto"),
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "location",
        help: "Region of operation-ids: builds {endpoint}/subscriptions/{subscription-id}/providers/{resource-provider}/locations/{location}/operationStatuses/{id}",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "resource-provider",
        help: "Resource provider namespace of operation-ids",
        default: Some(azure_arm::DEFAULT_RESOURCE_PROVIDER),
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "api-version",
        help: "API version: azure-classic's x-ms-version (default 2011-06-30, not older); azure-arm's api-version for operation-ids (default 2024-05-01) or for the purge call (default 2024-02-01); monitor URLs carry their own",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "resource-group",
        help: "Resource group of the CDN or Front Door profile to purge (with paths)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "profile",
        help: "Name of the CDN or Front Door profile to purge (with paths)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "cdn-endpoint",
        help: "Classic Azure CDN endpoint to purge: POST .../profiles/{profile}/endpoints/{cdn-endpoint}/purge (api-version default 2024-02-01)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "afd-endpoint",
        help: "Front Door Standard/Premium endpoint to purge instead: POST .../profiles/{profile}/afdEndpoints/{afd-endpoint}/purge (api-version default 2024-02-01)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "domains",
        help: "Front Door only: the endpoint's domains to purge (host names, comma or newline separated; default: all of them)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "environment",
        help: "Azure cloud: AzureCloud, AzureChinaCloud, AzureUSGovernment (azure-arm: login and ARM hosts, token scope; azure-classic: the Service Management endpoint)",
        default: Some("AzureCloud"),
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "authority-host",
        help: "Entra ID authority host override (default: the environment's, e.g. https://login.microsoftonline.com)",
        default: None,
        secret: false,
        cloud_env: &["AZURE_AUTHORITY_HOST"],
        section: AZURE_ARM,
    },
    Input {
        name: "tenant-id",
        help: "Directory (tenant) id of the app registration or managed identity",
        default: None,
        secret: false,
        cloud_env: &["AZURE_TENANT_ID"],
        section: AZURE_ARM,
    },
    Input {
        name: "client-id",
        help: "Application (client) id",
        default: None,
        secret: false,
        cloud_env: &["AZURE_CLIENT_ID"],
        section: AZURE_ARM,
    },
    Input {
        name: "client-secret",
        help: "Client secret value (a secret); without it: federated-token-file, else the GitHub Actions OIDC token",
        default: None,
        secret: true,
        cloud_env: &["AZURE_CLIENT_SECRET"],
        section: AZURE_ARM,
    },
    Input {
        name: "federated-token-file",
        help: "File holding a federated token to exchange (workload identity federation); read again for each new access token",
        default: None,
        secret: false,
        cloud_env: &["AZURE_FEDERATED_TOKEN_FILE"],
        section: AZURE_ARM,
    },
    Input {
        name: "audience",
        help: "Audience of the GitHub OIDC token (default: api://AzureADTokenExchange, or the China / US Government one for those clouds; aws-cloudfront: sts.amazonaws.com)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AZURE_ARM,
    },
    Input {
        name: "access-token",
        help: "An ARM access token to use as is (a secret; cannot be refreshed, so prefer the flows above for long waits)",
        default: None,
        secret: true,
        cloud_env: &["AZURE_ACCESS_TOKEN"],
        section: AZURE_ARM,
    },
    Input {
        name: "region",
        help: "Region id; picks the SDK's endpoint (CDN: international regions use cdn.ap-southeast-1.aliyuncs.com)",
        default: Some(alibaba::DEFAULT_REGION),
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_REGION_ID"],
        section: ALIBABA,
    },
    Input {
        name: "access-key-id",
        help: "AccessKey ID of a RAM user (or of STS credentials with security-token)",
        default: None,
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        section: ALIBABA,
    },
    Input {
        name: "access-key-secret",
        help: "AccessKey secret (a secret)",
        default: None,
        secret: true,
        cloud_env: &["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        section: ALIBABA,
    },
    Input {
        name: "security-token",
        help: "STS security token, when the AccessKey is temporary (a secret)",
        default: None,
        secret: true,
        cloud_env: &["ALIBABA_CLOUD_SECURITY_TOKEN"],
        section: ALIBABA,
    },
    Input {
        name: "role-arn",
        help: "RAM role to assume with OIDC (acs:ram::<uid>:role/<name>), used when no AccessKey is given",
        default: None,
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_ROLE_ARN"],
        section: ALIBABA,
    },
    Input {
        name: "oidc-provider-arn",
        help: "RAM OIDC identity provider (acs:ram::<uid>:oidc-provider/<name>)",
        default: None,
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"],
        section: ALIBABA,
    },
    Input {
        name: "oidc-token-file",
        help: "File holding the OIDC token; in GitHub Actions without it, the job's own token is used (needs permissions: id-token: write)",
        default: None,
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_OIDC_TOKEN_FILE"],
        section: ALIBABA,
    },
    Input {
        name: "oidc-audience",
        help: "Audience of the GitHub Actions OIDC token (a client id of the RAM OIDC provider)",
        default: Some(auth::DEFAULT_AUDIENCE),
        secret: false,
        cloud_env: &[],
        section: ALIBABA,
    },
    Input {
        name: "role-session-name",
        help: "RoleSessionName of the assumed role (2-64 characters: letters, digits, . @ - _; aws-cloudfront also + = , and AWS_ROLE_SESSION_NAME)",
        default: Some("purge-wait"),
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_ROLE_SESSION_NAME"],
        section: ALIBABA,
    },
    Input {
        name: "sts-endpoint",
        help: "Base URL of STS for AssumeRoleWithOIDC [default: https://sts.aliyuncs.com, or sts.<ALIBABA_CLOUD_STS_REGION>.aliyuncs.com]; aws-cloudfront: for AssumeRoleWithWebIdentity [default: https://sts.amazonaws.com, or sts.<aws-region>.amazonaws.com]",
        default: None,
        secret: false,
        cloud_env: &[],
        section: ALIBABA,
    },
    // aws-cloudfront (validated in src/provider/aws_cloudfront/inputs.rs); it also reads
    // role-session-name, sts-endpoint and audience above.
    Input {
        name: "distribution-id",
        help: "CloudFront distribution id (E…): operation-ids are its invalidation ids; with neither operation-ids nor paths, every invalidation in progress on it is waited on",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "distribution-tenant-id",
        help: "Tenant of a multi-tenant distribution (dt_…), instead of distribution-id",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "aws-region",
        help: "AWS region: a cn-* region picks the China partition (cloudfront.cn-northwest-1.amazonaws.com.cn) and any region the regional STS endpoint; CloudFront itself is global (us-east-1)",
        default: None,
        secret: false,
        cloud_env: &["AWS_REGION", "AWS_DEFAULT_REGION"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "aws-access-key-id",
        help: "Access key id (what aws-actions/configure-aws-credentials exports as AWS_ACCESS_KEY_ID)",
        default: None,
        secret: false,
        cloud_env: &["AWS_ACCESS_KEY_ID"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "aws-secret-access-key",
        help: "Secret access key (a secret)",
        default: None,
        secret: true,
        cloud_env: &["AWS_SECRET_ACCESS_KEY"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "aws-session-token",
        help: "Session token of temporary keys (a secret; cannot be renewed: prefer role-to-assume for long waits)",
        default: None,
        secret: true,
        cloud_env: &["AWS_SESSION_TOKEN"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "role-to-assume",
        help: "IAM role to assume with STS AssumeRoleWithWebIdentity, renewed during the wait: with web-identity-token(-file), or in GitHub Actions the job's OIDC token (needs permissions: id-token: write)",
        default: None,
        secret: false,
        cloud_env: &["AWS_ROLE_ARN"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "web-identity-token-file",
        help: "File holding the web identity token (EKS, or a file written from GitLab id_tokens); read again for each exchange",
        default: None,
        secret: false,
        cloud_env: &["AWS_WEB_IDENTITY_TOKEN_FILE"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "web-identity-token",
        help: "The web identity token itself, e.g. a GitLab id_tokens variable named PURGE_WAIT_WEB_IDENTITY_TOKEN (a secret)",
        default: None,
        secret: true,
        cloud_env: &[],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "aws-profile",
        help: "Profile of the shared config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials): keys, or role_arn with web_identity_token_file",
        default: None,
        secret: false,
        cloud_env: &["AWS_PROFILE"],
        section: AWS_CLOUDFRONT,
    },
    Input {
        name: "caller-reference",
        help: "Base of each CreateInvalidation CallerReference, the paths' hash appended [default: from the CI run: run id, attempt, job and step, so that a retried or re-run submit is the same invalidation]",
        default: None,
        secret: false,
        cloud_env: &[],
        section: AWS_CLOUDFRONT,
    },
];

/// Providers that later versions add; naming one gives a clear error, not "unknown".
/// The providers this version supports, for error messages.
const SUPPORTED: &str =
    "azure-china-cdn, azure-classic, azure-arm, alibaba-dcdn, alibaba-cdn, aws-cloudfront";

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
    pub(crate) fn new(input: Option<&'static str>, message: String) -> Self {
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

    /// The value of an input only when a flag or the environment set it (not its default).
    pub fn given(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .filter(|(_, source)| *source != Source::Default)
            .map(|(v, _)| v.as_str())
    }

    /// Sets an input as if given on the command line (the demo uses this).
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.values.insert(name, (value.into(), Source::Flag));
    }

    /// Forgets an input, as if it had not been given (the demo uses this).
    pub fn unset(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// Every secret value that was given, for masking and redaction.
    pub fn redactor(&self) -> Redactor {
        let r = Redactor::default();
        for input in INPUTS.iter().filter(|i| i.secret) {
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

    /// Where an input's value came from, if it is set.
    pub(crate) fn source(&self, name: &str) -> Option<&Source> {
        self.values.get(name).map(|(_, source)| source)
    }

    pub(crate) fn required(&self, name: &'static str) -> Result<&str, ConfigError> {
        self.get(name).ok_or_else(|| missing(name))
    }

    pub(crate) fn invalid(&self, name: &'static str, problem: &str, fix: &str) -> ConfigError {
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

    /// A duration input within `range` (its bounds are named in the error).
    fn duration(
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

    /// An optional rate in calls per second, from [`MIN_RATE`] to [`MAX_RATE`].
    fn rate(&self, name: &'static str) -> Result<Option<f64>, ConfigError> {
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

pub(crate) fn missing(name: &'static str) -> ConfigError {
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

/// The provider and its settings.
#[derive(Debug, Clone)]
pub enum ProviderConfig {
    /// Azure China CDN.
    AzureChina(azure_china::Settings),
    /// Azure classic (Service Management) CDN.
    AzureClassic(azure_classic::Settings),
    /// Azure Resource Manager asynchronous operations.
    AzureArm(Box<azure_arm::Settings>),
    /// Alibaba Cloud DCDN or CDN.
    Alibaba(alibaba::Settings),
    /// AWS CloudFront (boxed: its credential sources are large).
    AwsCloudFront(Box<aws_cloudfront::Settings>),
}

/// A validated configuration for a wait.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which API and how to reach it.
    pub provider: ProviderConfig,
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
    /// Validates every input. Stops at the first problem.
    pub fn from_raw(raw: &Raw, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let report = report_kind(raw, env)?;
        let provider_name = raw.required("provider")?;
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
        let (provider, ids) = match provider_name {
            azure_china::NAME => {
                let ids = match &purge {
                    Some(purge) => {
                        azure_china::check_purge(purge).map_err(|problem| {
                            ConfigError::new(Some("paths"), format!("input `paths`: {problem}."))
                        })?;
                        Vec::new()
                    }
                    None => operation_ids(raw)?,
                };
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
                let settings = azure_china::Settings {
                    endpoint: endpoint(raw, azure_china::DEFAULT_ENDPOINT)?,
                    subscription_id: raw.guid("subscription-id")?,
                    endpoint_id: raw.guid("endpoint-id")?,
                    api_key_id: raw.required("api-key-id")?.to_string(),
                    api_key_secret: Secret::new(raw.required("api-key-secret")?),
                };
                (ProviderConfig::AzureChina(settings), ids)
            }
            azure_arm::NAME => {
                let settings = azure_arm_settings(raw, env, purge.as_ref())?;
                let ids = settings.targets.iter().map(|t| t.id.clone()).collect();
                (ProviderConfig::AzureArm(Box::new(settings)), ids)
            }
            azure_classic::NAME => {
                if purge.is_some() {
                    return Err(no_purge(
                        azure_classic::NAME,
                        "Purge through Service Management and give the request id it returns as operation-ids.",
                    ));
                }
                let settings = azure_classic_settings(raw)?;
                let ids = operation_ids(raw)?;
                for id in &ids {
                    if let Some(problem) = path_segment_problem(id) {
                        return Err(bad_id(id, problem));
                    }
                }
                (ProviderConfig::AzureClassic(settings), ids)
            }
            alibaba::DCDN | alibaba::CDN => {
                let ids = match &purge {
                    Some(purge) => {
                        alibaba::check_purge(purge).map_err(|problem| {
                            ConfigError::new(Some("paths"), format!("input `paths`: {problem}."))
                        })?;
                        Vec::new()
                    }
                    None => operation_ids(raw)?,
                };
                let product =
                    alibaba::Product::from_name(provider_name).expect("matched a product name");
                let region = raw.required("region")?;
                if !is_region(region) {
                    return Err(raw.invalid(
                        "region",
                        "is not a region id",
                        "Use an id such as cn-hangzhou or ap-southeast-1.",
                    ));
                }
                let settings = alibaba::Settings {
                    product,
                    endpoint: endpoint(raw, &product.default_endpoint(region))?,
                    credentials: alibaba_credentials(raw, env)?,
                };
                (ProviderConfig::Alibaba(settings), ids)
            }
            aws_cloudfront::NAME => {
                let (settings, ids) = aws_cloudfront::inputs::settings(raw, env, purge.as_ref())?;
                (ProviderConfig::AwsCloudFront(Box::new(settings)), ids)
            }
            _ => {
                return Err(raw.invalid(
                    "provider",
                    "is not a provider purge-wait knows",
                    &format!("Use one of: {SUPPORTED}."),
                ));
            }
        };
        let mut tls = http::Tls {
            extra_roots: ca_roots(raw)?,
            identity_pem: None,
        };
        if let ProviderConfig::AzureClassic(s) = &provider {
            tls.identity_pem = Some(s.certificate.identity_pem());
        }
        Ok(Config {
            provider,
            ids,
            purge,
            wait,
            fail_on_timeout,
            report,
            tls,
        })
    }

    /// The provider's input name.
    pub fn provider_name(&self) -> &'static str {
        match self.provider {
            ProviderConfig::AzureChina(_) => azure_china::NAME,
            ProviderConfig::AzureClassic(_) => azure_classic::NAME,
            ProviderConfig::AzureArm(_) => azure_arm::NAME,
            ProviderConfig::Alibaba(ref s) => s.product.name(),
            ProviderConfig::AwsCloudFront(_) => aws_cloudfront::NAME,
        }
    }
}

/// `paths` given for a provider whose purge API purge-wait does not call.
fn no_purge(provider: &str, how: &str) -> ConfigError {
    ConfigError::new(
        Some("paths"),
        format!("input `paths`: purge-wait cannot submit purges to {provider} yet. {how}"),
    )
}

/// `cn-hangzhou`, `ap-southeast-1`: lower-case letters, digits and hyphens.
fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The Alibaba credentials, in the order the official tools use: an AccessKey (inputs, then
/// `ALIBABA_CLOUD_*`), then OIDC role assumption with a token file or, in GitHub Actions, the
/// job's own OIDC token.
fn alibaba_credentials(
    raw: &Raw,
    env: &HashMap<String, String>,
) -> Result<auth::Source, ConfigError> {
    let id = raw.get("access-key-id");
    let secret = raw.get("access-key-secret");
    match (id, secret) {
        (Some(id), Some(secret)) => {
            return Ok(auth::Source::Static(auth::AccessKey {
                id: id.to_string(),
                secret: Secret::new(secret),
                token: raw.get("security-token").map(Secret::new),
            }));
        }
        (Some(_), None) => return Err(missing("access-key-secret")),
        (None, Some(_)) => return Err(missing("access-key-id")),
        (None, None) => {}
    }
    if raw.get("security-token").is_some() {
        return Err(ConfigError::new(
            Some("security-token"),
            "input `security-token` is set but access-key-id and access-key-secret are not: an STS token is used with the temporary AccessKey it came with. Set all three.".into(),
        ));
    }
    let role = raw.get("role-arn");
    let provider = raw.get("oidc-provider-arn");
    let (role_arn, oidc_provider_arn) = match (role, provider) {
        (Some(r), Some(p)) => (r, p),
        (Some(_), None) => return Err(missing("oidc-provider-arn")),
        (None, Some(_)) => return Err(missing("role-arn")),
        (None, None) => {
            return Err(ConfigError::new(
                Some("access-key-id"),
                "no Alibaba Cloud credentials: set inputs `access-key-id` and `access-key-secret` (or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET), or `role-arn` and `oidc-provider-arn` (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN) to assume a role with OIDC".into(),
            ));
        }
    };
    if !(role_arn.starts_with("acs:ram::") && role_arn.contains(":role/")) {
        return Err(raw.invalid(
            "role-arn",
            "is not a RAM role ARN",
            "Use acs:ram::<account id>:role/<role name>.",
        ));
    }
    if !(oidc_provider_arn.starts_with("acs:ram::")
        && oidc_provider_arn.contains(":oidc-provider/"))
    {
        return Err(raw.invalid(
            "oidc-provider-arn",
            "is not a RAM OIDC provider ARN",
            "Use acs:ram::<account id>:oidc-provider/<provider name>.",
        ));
    }
    let session_name = raw.required("role-session-name")?;
    let valid_session = (2..=64).contains(&session_name.len())
        && session_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'));
    if !valid_session {
        return Err(raw.invalid(
            "role-session-name",
            "is not a valid RoleSessionName",
            "Use 2 to 64 letters, digits, '.', '@', '-' or '_'.",
        ));
    }
    let token = if let Some(file) = raw.get("oidc-token-file") {
        // Read when STS credentials are needed (a missing file is reported then, exit 3, as
        // before); one that exists must be a regular file.
        let path = std::path::Path::new(file);
        if path.exists() {
            readable_file(raw, "oidc-token-file", "the OIDC token")?;
        }
        auth::TokenSource::File(file.into())
    } else {
        let var = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        match (
            var("ACTIONS_ID_TOKEN_REQUEST_URL"),
            var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            (Some(url), Some(token)) => {
                let request_url = match Url::parse(url) {
                    Ok(u)
                        if !has_userinfo(&u)
                            && (u.scheme() == "https"
                                || (u.scheme() == "http" && is_loopback(&u))) =>
                    {
                        u
                    }
                    _ => {
                        return Err(ConfigError::new(
                            Some("oidc-token-file"),
                            "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL (without a user name or password), so the job's OIDC token cannot be requested. Set oidc-token-file instead.".into(),
                        ));
                    }
                };
                auth::TokenSource::GithubActions {
                    request_url,
                    request_token: Secret::new(token),
                    audience: raw.required("oidc-audience")?.to_string(),
                }
            }
            _ => {
                return Err(ConfigError::new(
                    Some("oidc-token-file"),
                    "`role-arn` and `oidc-provider-arn` are set but there is no OIDC token: set input `oidc-token-file` (ALIBABA_CLOUD_OIDC_TOKEN_FILE), or in GitHub Actions give the job `permissions: id-token: write` so that its own token is used".into(),
                ));
            }
        }
    };
    let sts_endpoint = match raw.get("sts-endpoint") {
        Some(_) => base_url(raw, "sts-endpoint", auth::DEFAULT_STS_ENDPOINT)?,
        None => {
            let region = env
                .get("ALIBABA_CLOUD_STS_REGION")
                .map(|r| r.trim())
                .filter(|r| is_region(r));
            let vpc = env
                .get("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            let text = match region {
                Some(r) if vpc => format!("https://sts-vpc.{r}.aliyuncs.com"),
                Some(r) => format!("https://sts.{r}.aliyuncs.com"),
                None => auth::DEFAULT_STS_ENDPOINT.to_string(),
            };
            Url::parse(&text).map_err(|e| {
                ConfigError::new(
                    Some("sts-endpoint"),
                    format!(
                        "ALIBABA_CLOUD_STS_REGION gives no valid STS URL ({e}); set sts-endpoint"
                    ),
                )
            })?
        }
    };
    Ok(auth::Source::Oidc(Box::new(auth::OidcRole {
        role_arn: role_arn.to_string(),
        oidc_provider_arn: oidc_provider_arn.to_string(),
        session_name: session_name.to_string(),
        sts_endpoint,
        token,
    })))
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn operation_ids(raw: &Raw) -> Result<Vec<String>, ConfigError> {
    let ids = split_ids(raw.get("operation-ids").ok_or_else(|| {
        let mut e = missing("operation-ids");
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
fn too_many(input: &'static str, ids: &[impl AsRef<str>]) -> ConfigError {
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
fn dot_segment(id: &str) -> Option<&'static str> {
    matches!(id, "." | "..").then_some(
        "is a dot segment, which a URL drops (the request would go to the collection of operations)",
    )
}

/// What keeps `id` from being one path segment of a status URL, if anything: a dot segment,
/// or a character that the URL would carry encoded or cut at (`/`, `?`, `#`, `\`, `%`,
/// control characters), which no Service Management or Resource Manager operation id has.
fn path_segment_problem(id: &str) -> Option<&'static str> {
    dot_segment(id).or_else(|| {
        id.chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '\\' | '%') || c.is_control())
            .then_some("has a character that cannot be part of one URL path segment (/ ? # \\ % or a control character)")
    })
}

fn bad_id(id: &str, problem: &str) -> ConfigError {
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
            "Use auto, file, directory (Alibaba also: regex, ignore-params).",
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
fn readable_file(raw: &Raw, name: &'static str, holding: &str) -> Result<(), ConfigError> {
    let path = raw.get(name).expect("given");
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

fn endpoint(raw: &Raw, default: &str) -> Result<Url, ConfigError> {
    match raw.get("endpoint") {
        Some(_) => base_url(raw, "endpoint", "https://restapi.cdn.azure.cn"),
        None => Ok(Url::parse(default).expect("default endpoint parses")),
    }
}

/// Whether plain http may go to `url`: loopback, or anywhere with `allow-http: true`.
fn http_allowed(raw: &Raw, url: &Url) -> Result<bool, ConfigError> {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    Ok(loopback || raw.boolean("allow-http")?)
}

/// A base URL input (`endpoint`, `authority-host`): http(s), no query, fragment or user,
/// https unless local (or `allow-http`).
pub(crate) fn base_url(raw: &Raw, name: &'static str, example: &str) -> Result<Url, ConfigError> {
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
fn userinfo_error(name: &'static str, url: &Url) -> ConfigError {
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
fn plain_word(s: &str, extra: &[char]) -> bool {
    (1..=256).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// Where an ARM purge goes: subscription, resource group, profile, one endpoint (classic CDN
/// or Front Door), the api-version and Front Door's domains; and the paths, checked.
fn azure_arm_purge(
    raw: &Raw,
    arm: &Url,
    purge: &PurgeRequest,
) -> Result<azure_arm::PurgeTarget, ConfigError> {
    if raw.get("operation-url").is_some() {
        return Err(raw.invalid(
            "operation-url",
            "is given together with paths",
            "Give paths to purge and wait, or operation-url to wait on purges submitted elsewhere, not both.",
        ));
    }
    azure_arm::check_purge(purge)
        .map_err(|problem| ConfigError::new(Some("paths"), format!("input `paths`: {problem}.")))?;
    let subscription = raw.guid("subscription-id")?;
    let group = raw.required("resource-group")?;
    // Resource group names: letters and digits (Unicode too), - _ . ( ), up to 90, not
    // ending in a period.
    let group_ok = (1..=90).contains(&group.chars().count())
        && !group.ends_with('.')
        && group
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c));
    if !group_ok {
        return Err(raw.invalid(
            "resource-group",
            "is not a resource group name",
            "Use the name as the portal shows it: letters, digits, - _ . ( ), up to 90 characters.",
        ));
    }
    let profile = raw.required("profile")?;
    if !plain_word(profile, &['-']) {
        return Err(raw.invalid(
            "profile",
            "is not a profile name",
            "Use the CDN or Front Door profile's name: letters, digits and hyphens.",
        ));
    }
    let (kind, name, endpoint) = match (raw.get("cdn-endpoint"), raw.get("afd-endpoint")) {
        (Some(e), None) => (azure_arm::EndpointKind::Cdn, "cdn-endpoint", e),
        (None, Some(e)) => (azure_arm::EndpointKind::FrontDoor, "afd-endpoint", e),
        (Some(_), Some(_)) => {
            return Err(raw.invalid(
                "afd-endpoint",
                "is given together with cdn-endpoint",
                "Give cdn-endpoint for a classic Azure CDN endpoint or afd-endpoint for a Front Door Standard/Premium endpoint, not both.",
            ));
        }
        (None, None) => {
            let mut e = missing("cdn-endpoint");
            e.message.push_str(
                " (or afd-endpoint for Front Door Standard/Premium): purge-wait needs the endpoint to purge",
            );
            return Err(e);
        }
    };
    if !plain_word(endpoint, &['-']) {
        return Err(raw.invalid(
            name,
            "is not an endpoint name",
            "Use the endpoint's name (letters, digits and hyphens), not its host name.",
        ));
    }
    let mut domains = Vec::new();
    if let Some(text) = raw.get("domains") {
        if kind == azure_arm::EndpointKind::Cdn {
            return Err(raw.invalid(
                "domains",
                "is given for a classic CDN endpoint",
                "domains applies to Front Door (afd-endpoint) only; a classic CDN purge covers the endpoint's every host.",
            ));
        }
        for domain in split_ids(text) {
            let host = domain.trim_end_matches('.');
            let is_host = host.contains('.')
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && plain_word(label, &['-'])
                        && label.len() <= 63
                });
            if !is_host {
                return Err(ConfigError::new(
                    Some("domains"),
                    format!(
                        "input `domains`: {domain:?} is not a host name. Give the domains as host names (www.contoso.com, no scheme or path); Front Door takes no wildcard domains."
                    ),
                ));
            }
            let host = host.to_ascii_lowercase();
            if !domains.contains(&host) {
                domains.push(host);
            }
        }
    }
    let api_version = raw
        .get("api-version")
        .unwrap_or(azure_arm::PURGE_API_VERSION);
    if !plain_word(api_version, &['-', '.']) {
        return Err(raw.invalid(
            "api-version",
            "is not an api-version",
            "Use a version such as 2024-02-01.",
        ));
    }
    Ok(azure_arm::PurgeTarget::new(
        arm,
        &subscription,
        group,
        profile,
        kind,
        endpoint,
        api_version,
        domains,
    ))
}

fn azure_arm_settings(
    raw: &Raw,
    env: &HashMap<String, String>,
    purge: Option<&PurgeRequest>,
) -> Result<azure_arm::Settings, ConfigError> {
    let cloud_text = raw.required("environment")?;
    let cloud = Cloud::parse(cloud_text).ok_or_else(|| {
        raw.invalid(
            "environment",
            "is not an Azure cloud purge-wait knows",
            "Use AzureCloud, AzureChinaCloud or AzureUSGovernment (with endpoint and authority-host for others).",
        )
    })?;
    let arm = match raw.get("endpoint") {
        Some(_) => base_url(raw, "endpoint", cloud.resource_manager())?,
        None => Url::parse(cloud.resource_manager()).expect("cloud URLs parse"),
    };
    let arm_name = if raw.get("endpoint").is_some() {
        format!(
            "the endpoint input ({})",
            arm.origin().ascii_serialization()
        )
    } else {
        format!("{} ({})", cloud.resource_manager(), cloud.name())
    };
    let purge = purge
        .map(|purge| azure_arm_purge(raw, &arm, purge))
        .transpose()?;
    let mut targets: Vec<azure_arm::Target> = Vec::new();
    let push = |targets: &mut Vec<azure_arm::Target>, mut t: azure_arm::Target| {
        if targets.iter().any(|x| x.url == t.url) {
            return;
        }
        if targets.iter().any(|x| x.id == t.id) {
            let mut plain = t.url.clone();
            plain.set_query(None);
            t.id = plain.to_string();
        }
        targets.push(t);
    };
    let kind = azure_arm::Style::from_kind(raw.required("operation-url-kind")?).ok_or_else(|| {
        raw.invalid(
            "operation-url-kind",
            "is not a monitor URL kind",
            "Use auto, location (the URL came from a Location header) or async-operation (from an Azure-AsyncOperation header).",
        )
    })?;
    if kind != azure_arm::Style::Unknown && raw.get("operation-url").is_none() {
        return Err(raw.invalid(
            "operation-url-kind",
            "is given without operation-url",
            "It says how the operation-url URLs answer; purge-wait knows the kind of the URLs it builds from operation-ids or gets from a purge. Leave it at auto.",
        ));
    }
    for text in split_ids(raw.get("operation-url").unwrap_or_default()) {
        let bad = |problem: String, fix: &str| {
            ConfigError::new(
                Some("operation-url"),
                format!("input `operation-url`: {text:?} {problem}. {fix}"),
            )
        };
        let url = Url::parse(&text).map_err(|e| {
            bad(
                format!("is not a URL ({e})"),
                "Give the full Azure-AsyncOperation or Location URL, https://… with its api-version.",
            )
        })?;
        if has_userinfo(&url) {
            return Err(userinfo_error("operation-url", &url));
        }
        if !azure_arm::is_under(&arm, &url) {
            return Err(bad(
                format!("is not on {arm_name}"),
                "purge-wait sends the Entra ID token only to the Resource Manager host of `environment` (or `endpoint`): set environment to the cloud the URL belongs to, or check the URL.",
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("has a fragment".into(), "Remove the #… part."));
        }
        if let Err(why) = azure_arm::check_monitor_url(&arm, &url) {
            return Err(bad(
                why,
                "Give the URL exactly as the Azure-AsyncOperation or Location header returned it.",
            ));
        }
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            return Err(bad(
                "has no api-version".into(),
                "Give the URL exactly as the Azure-AsyncOperation or Location header returned it (it carries ?api-version=…).",
            ));
        }
        let id = azure_arm::readable_id(&url);
        push(
            &mut targets,
            azure_arm::Target {
                id,
                url,
                style: kind,
            },
        );
    }
    let ids = split_ids(raw.get("operation-ids").unwrap_or_default());
    if ids.is_empty() && raw.get("operation-ids").is_some() {
        return Err(raw.invalid(
            "operation-ids",
            "holds no id",
            "Give one or more ids separated by commas, spaces or newlines.",
        ));
    }
    if !ids.is_empty() {
        let subscription = raw.guid("subscription-id")?;
        let location = raw.required("location")?;
        if !plain_word(location, &['-', '_']) {
            return Err(raw.invalid(
                "location",
                "is not a region name",
                "Use the region's name as ARM spells it, e.g. westeurope or chinanorth3.",
            ));
        }
        let rp = raw.required("resource-provider")?;
        if !plain_word(rp, &['.']) || !rp.contains('.') {
            return Err(raw.invalid(
                "resource-provider",
                "is not a resource provider namespace",
                "Use a namespace such as Microsoft.ApiManagement or Microsoft.Cdn.",
            ));
        }
        let api_version = raw
            .get("api-version")
            .unwrap_or(azure_arm::DEFAULT_API_VERSION);
        if !plain_word(api_version, &['-', '.']) {
            return Err(raw.invalid(
                "api-version",
                "is not an api-version",
                "Use a version such as 2024-05-01 or 2024-05-01-preview.",
            ));
        }
        if ids.len() > MAX_IDS {
            return Err(too_many("operation-ids", &ids));
        }
        for id in ids {
            if let Some(problem) = path_segment_problem(&id) {
                return Err(ConfigError::new(
                    Some("operation-ids"),
                    format!(
                        "input `operation-ids`: {} is not an operation id: it {problem}. Give the id alone, or the whole URL as operation-url.",
                        crate::provider::quoted(&id)
                    ),
                ));
            }
            let mut url = arm.clone();
            url.path_segments_mut()
                .expect("an http(s) base")
                .pop_if_empty()
                .extend([
                    "subscriptions",
                    &subscription,
                    "providers",
                    rp,
                    "locations",
                    location,
                    "operationStatuses",
                    &id,
                ]);
            url.query_pairs_mut()
                .append_pair("api-version", api_version);
            push(
                &mut targets,
                azure_arm::Target {
                    id,
                    url,
                    style: azure_arm::Style::AsyncOperation,
                },
            );
        }
    }
    if targets.len() > MAX_IDS {
        let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
        let mut e = too_many("operation-url", &ids);
        e.message = e.message.replacen(
            "input `operation-url` holds",
            "inputs `operation-url` and `operation-ids` hold",
            1,
        );
        return Err(e);
    }
    if targets.is_empty() && purge.is_none() {
        return Err(ConfigError::new(
            Some("operation-url"),
            "provider azure-arm needs something to wait on: set operation-url to the monitor URL(s) a purge returned (its Azure-AsyncOperation header), or operation-ids with subscription-id and location, or paths to purge with resource-group, profile and cdn-endpoint (or afd-endpoint)".into(),
        ));
    }
    let authority = match raw.get("authority-host") {
        Some(_) => base_url(raw, "authority-host", cloud.authority_host())?,
        None => Url::parse(cloud.authority_host()).expect("cloud URLs parse"),
    };
    Ok(azure_arm::Settings {
        cloud,
        arm,
        targets,
        auth: entra::Settings {
            authority,
            scope: cloud.scope(),
            credential: credential(raw, env, cloud)?,
        },
        purge,
    })
}

/// Picks the Entra ID flow: a token given as is; else tenant-id + client-id with a client
/// secret, a federated token file, or (in GitHub Actions) the job's OIDC token.
fn credential(
    raw: &Raw,
    env: &HashMap<String, String>,
    cloud: Cloud,
) -> Result<Credential, ConfigError> {
    if let Some(token) = raw.get("access-token") {
        return Ok(Credential::AccessToken(Secret::new(token)));
    }
    let var = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let oidc = var("ACTIONS_ID_TOKEN_REQUEST_URL").zip(var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"));
    let any = [
        "tenant-id",
        "client-id",
        "client-secret",
        "federated-token-file",
    ]
    .iter()
    .any(|n| raw.get(n).is_some());
    if !any {
        let github = if var("GITHUB_ACTIONS") == Some("true") {
            " In GitHub Actions, OIDC needs tenant-id and client-id and `permissions: id-token: write` on the job."
        } else {
            ""
        };
        return Err(ConfigError::new(
            Some("client-id"),
            format!(
                "provider azure-arm needs Entra ID credentials: tenant-id and client-id (AZURE_TENANT_ID, AZURE_CLIENT_ID) with client-secret (AZURE_CLIENT_SECRET), federated-token-file (AZURE_FEDERATED_TOKEN_FILE) or the GitHub Actions OIDC token; or access-token (AZURE_ACCESS_TOKEN).{github}"
            ),
        ));
    }
    let tenant_id = raw.required("tenant-id")?.to_string();
    if !plain_word(&tenant_id, &['-', '.']) {
        return Err(raw.invalid(
            "tenant-id",
            "is not a tenant id",
            "Use the directory (tenant) GUID or its domain, e.g. contoso.onmicrosoft.com.",
        ));
    }
    let client_id = raw.guid("client-id")?;
    if let Some(secret) = raw.get("client-secret") {
        return Ok(Credential::ClientSecret {
            tenant_id,
            client_id,
            secret: Secret::new(secret),
        });
    }
    if let Some(path) = raw.get("federated-token-file") {
        readable_file(raw, "federated-token-file", "the federated token")?;
        return Ok(Credential::FederatedTokenFile {
            tenant_id,
            client_id,
            path: path.into(),
        });
    }
    let Some((request_url, request_token)) = oidc else {
        return Err(ConfigError::new(
            Some("client-secret"),
            "input `client-secret` is required with tenant-id and client-id unless federated-token-file is set or the GitHub Actions OIDC token is available (give the job `permissions: id-token: write`; ACTIONS_ID_TOKEN_REQUEST_URL is not set)".into(),
        ));
    };
    let request_url = Url::parse(request_url)
        .ok()
        .filter(|u| !has_userinfo(u))
        .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && http_allowed(raw, u).unwrap_or(false)))
        .ok_or_else(|| {
            ConfigError::new(
                None,
                "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL without a user name or password; it is set by the GitHub Actions runner and should not be changed".into(),
            )
        })?;
    let audience = raw
        .get("audience")
        .unwrap_or(cloud.token_exchange_audience())
        .to_string();
    Ok(Credential::GithubOidc {
        tenant_id,
        client_id,
        request_url,
        request_token: Secret::new(request_token),
        audience,
    })
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
  2    usage or configuration error, an input out of range (nothing was requested)
  3    status could not be read (credentials, permission, not found, retries exhausted)
  124  deadline reached while operations were still in progress (also: throttling or a
       Retry-After beyond it, a purge call not answered before it; the message says which)
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
                             retry-after=SECONDS, errors=N (5xx answers first), unlisted=DURATION \
                             (not known for that long)",
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

mod azure_classic_inputs;
use azure_classic_inputs::{azure_classic_settings, ca_roots};

#[cfg(test)]
mod tests;
