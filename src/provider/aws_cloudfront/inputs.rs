//! The aws-cloudfront inputs, validated into [`Settings`] before any request (exit 2 with the
//! input named): the distribution or tenant, the invalidation ids (none: every invalidation
//! in progress), the purge paths, the partition, the credential source and the
//! CallerReference.
//!
//! Credentials are looked for in this order, the first found wins:
//! 1. keys given explicitly (`--aws-access-key-id`, `INPUT_AWS-ACCESS-KEY-ID`,
//!    `PURGE_WAIT_AWS_ACCESS_KEY_ID`, with the secret and the optional session token);
//! 2. `role-to-assume` given explicitly, with `web-identity-token`, `web-identity-token-file`
//!    or, in GitHub Actions, the job's OIDC token (audience `sts.amazonaws.com`);
//! 3. `aws-profile` given explicitly;
//!
//! and then the AWS SDKs' default chain, from the environment:
//! 4. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (what
//!    aws-actions/configure-aws-credentials exports);
//! 5. the shared config and credentials files, profile `AWS_PROFILE` or `default`;
//! 6. `AWS_ROLE_ARN` with `AWS_WEB_IDENTITY_TOKEN_FILE` (EKS, GitLab) or the GitHub OIDC token;
//! 7. the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` /
//!    `_RELATIVE_URI`);
//! 8. the EC2 instance metadata service, IMDSv2 (not on GitHub-hosted runners, nor with
//!    `AWS_EC2_METADATA_DISABLED=true`).
//!
//! Explicit inputs come first as credentials configured in code come before an SDK's default
//! chain.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use url::Url;

use super::credentials::{self, Container, ContainerToken, Keys, Source, TokenSource, WebIdentity};
use super::wire::{self, Target};
use super::{IN_PROGRESS, Settings};
use crate::config::{self, ConfigError, Input, Raw, base_url, split_ids};
use crate::provider::cloud::{Configured, Inputs};
use crate::provider::{PurgeKind, PurgeRequest, oidc_common};
use crate::secret::Secret;

/// Paths one step may invalidate: a thousand are free each month, and the in-progress limits
/// make a larger purge a long queue; a wildcard counts as one path.
pub const MAX_PATHS: usize = 10_000;

const SECTION: &str = "AWS CloudFront (provider: aws-cloudfront)";

/// Every input aws-cloudfront reads, in `--help` order (the shared token-exchange inputs by
/// reference).
pub static INPUTS: &[&Input] = &[
    &Input {
        name: "distribution-id",
        help: "CloudFront distribution id (E…): operation-ids are its invalidation ids; with neither operation-ids nor paths, every invalidation in progress on it is waited on",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "distribution-tenant-id",
        help: "Tenant of a multi-tenant distribution (dt_…), instead of distribution-id",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "aws-region",
        help: "AWS region: a cn-* region picks the China partition (cloudfront.cn-northwest-1.amazonaws.com.cn) and any region the regional STS endpoint; CloudFront itself is global (us-east-1)",
        default: None,
        secret: false,
        cloud_env: &["AWS_REGION", "AWS_DEFAULT_REGION"],
        section: SECTION,
    },
    &Input {
        name: "aws-access-key-id",
        help: "Access key id (what aws-actions/configure-aws-credentials exports as AWS_ACCESS_KEY_ID)",
        default: None,
        secret: false,
        cloud_env: &["AWS_ACCESS_KEY_ID"],
        section: SECTION,
    },
    &Input {
        name: "aws-secret-access-key",
        help: "Secret access key (a secret)",
        default: None,
        secret: true,
        cloud_env: &["AWS_SECRET_ACCESS_KEY"],
        section: SECTION,
    },
    &Input {
        name: "aws-session-token",
        help: "Session token of temporary keys (a secret; cannot be renewed: prefer role-to-assume for long waits)",
        default: None,
        secret: true,
        cloud_env: &["AWS_SESSION_TOKEN"],
        section: SECTION,
    },
    &Input {
        name: "role-to-assume",
        help: "IAM role to assume with STS AssumeRoleWithWebIdentity, renewed during the wait: with web-identity-token(-file), or in GitHub Actions the job's OIDC token (needs permissions: id-token: write)",
        default: None,
        secret: false,
        cloud_env: &["AWS_ROLE_ARN"],
        section: SECTION,
    },
    &Input {
        name: "web-identity-token-file",
        help: "File holding the web identity token (EKS, or a file written from GitLab id_tokens); read again for each exchange",
        default: None,
        secret: false,
        cloud_env: &["AWS_WEB_IDENTITY_TOKEN_FILE"],
        section: SECTION,
    },
    &Input {
        name: "web-identity-token",
        help: "The web identity token itself, e.g. a GitLab id_tokens variable named PURGE_WAIT_WEB_IDENTITY_TOKEN (a secret)",
        default: None,
        secret: true,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "aws-profile",
        help: "Profile of the shared config and credentials files (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/config and ~/.aws/credentials): keys, or role_arn with web_identity_token_file",
        default: None,
        secret: false,
        cloud_env: &["AWS_PROFILE"],
        section: SECTION,
    },
    &Input {
        name: "caller-reference",
        help: "Base of each CreateInvalidation CallerReference, the paths' hash appended [default: from the CI run: run id, attempt, job and step, so that a retried or re-run submit is the same invalidation]",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &oidc_common::ROLE_SESSION_NAME,
    &oidc_common::STS_ENDPOINT,
    &oidc_common::AUDIENCE,
];

/// Validates the aws-cloudfront inputs into its settings and the ids to wait on.
pub fn configure(inputs: &Inputs<'_>) -> Result<Configured, ConfigError> {
    let (settings, ids) = settings(inputs.raw, inputs.env, inputs.purge)?;
    Ok(Configured {
        ids,
        settings: Box::new(settings),
    })
}

/// Reads and checks everything aws-cloudfront needs; the ids to wait on (empty when purging,
/// `[IN_PROGRESS]` when neither ids nor paths are given).
pub fn settings(
    raw: &Raw,
    env: &HashMap<String, String>,
    purge: Option<&PurgeRequest>,
) -> Result<(Settings, Vec<String>), ConfigError> {
    let target = target(raw)?;
    let ids = match purge {
        Some(purge) => {
            check_purge(raw, purge)?;
            Vec::new()
        }
        None => ids(raw)?,
    };
    let region = region(raw)?;
    let partition = Partition::of(region.as_deref());
    let endpoint = match raw.get("endpoint") {
        Some(_) => base_url(raw, "endpoint", partition.endpoint())?,
        None => Url::parse(partition.endpoint()).expect("partition endpoints parse"),
    };
    let credentials = credentials(raw, env, region.as_deref(), partition)?;
    Ok((
        Settings {
            target,
            endpoint,
            region: partition.signing_region(),
            credentials,
            caller_reference: caller_reference(raw, env)?,
        },
        ids,
    ))
}

/// The AWS partition, from the region: CloudFront's endpoint and signing region in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`: `https://cloudfront.amazonaws.com`, signed for `us-east-1`.
    Aws,
    /// `aws-cn`: `https://cloudfront.cn-northwest-1.amazonaws.com.cn`, signed for
    /// `cn-northwest-1` (the SDKs' endpoint rules).
    China,
}

impl Partition {
    /// The partition of `region` (none: the global one).
    pub fn of(region: Option<&str>) -> Partition {
        match region {
            Some(r) if r.starts_with("cn-") => Partition::China,
            _ => Partition::Aws,
        }
    }

    /// CloudFront's endpoint.
    pub fn endpoint(self) -> &'static str {
        match self {
            Partition::Aws => "https://cloudfront.amazonaws.com",
            Partition::China => "https://cloudfront.cn-northwest-1.amazonaws.com.cn",
        }
    }

    /// The region CloudFront requests are signed for.
    pub fn signing_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::China => "cn-northwest-1",
        }
    }

    /// STS for `region`: regional when a region is known, else the global endpoint.
    pub fn sts(self, region: Option<&str>) -> String {
        match (self, region) {
            (Partition::China, Some(r)) => format!("https://sts.{r}.amazonaws.com.cn"),
            (Partition::China, None) => "https://sts.cn-northwest-1.amazonaws.com.cn".into(),
            (Partition::Aws, Some(r)) => format!("https://sts.{r}.amazonaws.com"),
            (Partition::Aws, None) => credentials::GLOBAL_STS.into(),
        }
    }
}

/// Why a token file cannot be read, checked the way every file input is
/// ([`crate::files::check_readable`]): missing, or not a regular file (a FIFO would block).
fn file_problem(file: &str) -> Option<String> {
    crate::files::check_readable(Path::new(file))
        .err()
        .map(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "is not a file: no such file".to_string(),
            std::io::ErrorKind::InvalidInput => format!("is {e}"),
            _ => format!("could not be read ({e})"),
        })
}

fn bad(input: &'static str, message: String) -> ConfigError {
    ConfigError::new(Some(input), message)
}

/// Letters and digits (and `extra`), 1 to `max` characters.
fn plain(s: &str, max: usize, extra: &[char]) -> bool {
    (1..=max).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

fn target(raw: &Raw) -> Result<Target, ConfigError> {
    match (raw.get("distribution-id"), raw.get("distribution-tenant-id")) {
        (Some(_), Some(_)) => Err(raw.invalid(
            "distribution-tenant-id",
            "is given together with distribution-id",
            "Give distribution-id for a distribution, or distribution-tenant-id for a tenant of a multi-tenant distribution, not both.",
        )),
        (Some(id), None) if plain(id, 64, &[]) => Ok(Target::Distribution(id.to_string())),
        (Some(_), None) => Err(raw.invalid(
            "distribution-id",
            "is not a distribution id",
            "Use the id the console and `aws cloudfront list-distributions` show, such as EDFDVBD6EXAMPLE (letters and digits, not the domain name).",
        )),
        (None, Some(id)) if plain(id, 128, &['_', '-']) => Ok(Target::Tenant(id.to_string())),
        (None, Some(_)) => Err(raw.invalid(
            "distribution-tenant-id",
            "is not a distribution tenant id",
            "Use the tenant's id, such as dt_2wjDZi3hD1ivOXf6rpZJOSNE1AB.",
        )),
        (None, None) => {
            let mut e = raw.missing("distribution-id");
            e.message
                .push_str(" (or distribution-tenant-id for a tenant of a multi-tenant distribution)");
            Err(e)
        }
    }
}

/// The invalidation ids; none given: every invalidation in progress.
fn ids(raw: &Raw) -> Result<Vec<String>, ConfigError> {
    let Some(text) = raw.get("operation-ids") else {
        return Ok(vec![IN_PROGRESS.to_string()]);
    };
    let ids = split_ids(text);
    if ids.is_empty() {
        return Err(raw.invalid(
            "operation-ids",
            "holds no id",
            "Give one or more invalidation ids separated by commas, spaces or newlines, or leave operation-ids unset to wait on every invalidation in progress.",
        ));
    }
    if ids.len() > 10_000 {
        return Err(raw.invalid(
            "operation-ids",
            "holds more than 10000 ids",
            "Split the wait.",
        ));
    }
    for id in &ids {
        if !plain(id, 64, &[]) {
            return Err(bad(
                "operation-ids",
                format!(
                    "input `operation-ids`: {id:?} is not an invalidation id. CloudFront invalidation ids are letters and digits, such as IDFDVBD632BHDS5 (the Id that CreateInvalidation returns)."
                ),
            ));
        }
    }
    Ok(ids)
}

/// The purge: automatic or file paths only, each as CloudFront takes it, at most
/// [`MAX_PATHS`].
fn check_purge(raw: &Raw, purge: &PurgeRequest) -> Result<(), ConfigError> {
    if !matches!(purge.kind, PurgeKind::Auto | PurgeKind::File) {
        return Err(raw.invalid(
            "purge-type",
            "is not a CloudFront invalidation type",
            "CloudFront invalidates paths: leave purge-type at auto, and end a path with * to invalidate everything under it (/img/*).",
        ));
    }
    if purge.paths.len() > MAX_PATHS {
        return Err(raw.invalid(
            "paths",
            &format!("holds more than {MAX_PATHS} paths"),
            "Invalidate a wildcard instead (/assets/*: a wildcard counts as one path).",
        ));
    }
    for path in &purge.paths {
        if let Some(problem) = wire::path_problem(path) {
            return Err(bad("paths", format!("input `paths`: {problem}.")));
        }
    }
    Ok(())
}

/// `aws-region`, checked: `eu-west-1`, `cn-north-1`.
fn region(raw: &Raw) -> Result<Option<String>, ConfigError> {
    let Some(region) = raw.get("aws-region") else {
        return Ok(None);
    };
    let parts: Vec<&str> = region.split('-').collect();
    let shaped = region.len() <= 32
        && parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty();
    if !shaped {
        return Err(raw.invalid(
            "aws-region",
            "is not an AWS region",
            "Use a region code such as us-east-1, eu-west-1 or cn-north-1.",
        ));
    }
    if region.starts_with("us-gov-") || region.starts_with("us-iso") {
        return Err(raw.invalid(
            "aws-region",
            "is in a partition without CloudFront",
            "CloudFront serves the aws and aws-cn partitions: leave aws-region unset, or use a cn-* region for AWS China.",
        ));
    }
    Ok(Some(region.to_string()))
}

/// Whether an input's value was given to purge-wait itself (flag, `INPUT_*`, `PURGE_WAIT_*`)
/// rather than found in the cloud's own variables.
fn explicit(raw: &Raw, name: &str) -> bool {
    match raw.source(name) {
        Some(config::Source::Flag) => true,
        Some(config::Source::Env(var)) => {
            var.starts_with("INPUT_") || var.starts_with("PURGE_WAIT_")
        }
        _ => false,
    }
}

fn var<'a>(env: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Picks the credential source (the module documentation gives the order).
fn credentials(
    raw: &Raw,
    env: &HashMap<String, String>,
    region: Option<&str>,
    partition: Partition,
) -> Result<Source, ConfigError> {
    let keys_given = ["aws-access-key-id", "aws-secret-access-key"];
    if keys_given.iter().any(|n| explicit(raw, n)) {
        return static_keys(
            raw,
            "the aws-access-key-id and aws-secret-access-key inputs",
        );
    }
    if explicit(raw, "role-to-assume") {
        return web_identity(raw, env, region, partition, "the role-to-assume input")
            .map(Into::into);
    }
    if let Some(name) = raw
        .get("aws-profile")
        .filter(|_| explicit(raw, "aws-profile"))
    {
        return profile(raw, env, name, true, region, partition)?.ok_or_else(|| {
            bad(
                "aws-profile",
                format!("input `aws-profile`: profile {name:?} holds no credentials"),
            )
        });
    }
    if keys_given.iter().any(|n| raw.get(n).is_some()) {
        return static_keys(raw, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    }
    if raw.get("aws-session-token").is_some() {
        return Err(bad(
            "aws-session-token",
            "input `aws-session-token` (AWS_SESSION_TOKEN) is set without aws-access-key-id and aws-secret-access-key: a session token signs with the temporary keys it came with. Set all three.".into(),
        ));
    }
    let profile_name = raw.get("aws-profile").unwrap_or("default");
    if let Some(source) = profile(raw, env, profile_name, false, region, partition)? {
        return Ok(source);
    }
    if raw.get("role-to-assume").is_some() {
        return web_identity(raw, env, region, partition, "AWS_ROLE_ARN").map(Into::into);
    }
    if raw.get("web-identity-token-file").is_some() || raw.get("web-identity-token").is_some() {
        return Err(missing_with(
            raw,
            "role-to-assume",
            "a web identity token is given but no role to assume with it",
        ));
    }
    if let Some(container) = container(env)? {
        return Ok(Source::Container(Box::new(container)));
    }
    imds(env)
}

impl From<WebIdentity> for Source {
    fn from(w: WebIdentity) -> Source {
        Source::WebIdentity(Box::new(w))
    }
}

fn missing_with(raw: &Raw, name: &'static str, why: &str) -> ConfigError {
    let mut e = raw.missing(name);
    e.message = format!("{}: {why}", e.message);
    e
}

fn static_keys(raw: &Raw, from: &str) -> Result<Source, ConfigError> {
    let id = raw.get("aws-access-key-id");
    let secret = raw.get("aws-secret-access-key");
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id, secret),
        (Some(_), None) => return Err(raw.missing("aws-secret-access-key")),
        (None, _) => return Err(raw.missing("aws-access-key-id")),
    };
    if !plain(id, 128, &[]) {
        return Err(raw.invalid(
            "aws-access-key-id",
            "is not an access key id",
            "Use the key id (AKIA… or ASIA…, letters and digits), not the secret.",
        ));
    }
    if secret.chars().any(char::is_whitespace) {
        return Err(raw.invalid(
            "aws-secret-access-key",
            "holds white space",
            "Give the secret access key alone, as IAM showed it.",
        ));
    }
    Ok(Source::Static {
        keys: Keys {
            access_key_id: id.to_string(),
            secret_access_key: Secret::new(secret),
            session_token: raw.get("aws-session-token").map(Secret::new),
        },
        from: from.to_string(),
    })
}

/// `arn:aws:iam::123456789012:role/name` (or `arn:aws-cn:…`).
fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with("role/")
        && parts[5].len() > 5
}

/// RoleSessionName: `[\w+=,.@-]{2,64}`.
fn session_name(raw: &Raw, env: &HashMap<String, String>) -> Result<String, ConfigError> {
    let name = raw
        .given("role-session-name")
        .or_else(|| var(env, "AWS_ROLE_SESSION_NAME"))
        .or_else(|| raw.get("role-session-name"))
        .unwrap_or("purge-wait");
    let ok = (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !ok {
        return Err(bad(
            "role-session-name",
            format!(
                "input `role-session-name`: {name:?} is not a RoleSessionName. Use 2 to 64 letters, digits or _ + = , . @ -."
            ),
        ));
    }
    Ok(name.to_string())
}

fn sts_endpoint(raw: &Raw, region: Option<&str>, partition: Partition) -> Result<Url, ConfigError> {
    match raw.get("sts-endpoint") {
        Some(_) => base_url(raw, "sts-endpoint", credentials::GLOBAL_STS),
        None => Url::parse(&partition.sts(region)).map_err(|e| {
            bad(
                "aws-region",
                format!("input `aws-region` gives no valid STS URL ({e}); set sts-endpoint"),
            )
        }),
    }
}

/// `role-to-assume` with its token: `web-identity-token`, `web-identity-token-file`, or the
/// GitHub Actions OIDC token.
fn web_identity(
    raw: &Raw,
    env: &HashMap<String, String>,
    region: Option<&str>,
    partition: Partition,
    from: &str,
) -> Result<WebIdentity, ConfigError> {
    let role = raw.required("role-to-assume")?;
    if !is_role_arn(role) {
        return Err(raw.invalid(
            "role-to-assume",
            "is not an IAM role ARN",
            "Use arn:aws:iam::<12-digit account id>:role/<name>.",
        ));
    }
    let token = if let Some(t) = raw.get("web-identity-token") {
        TokenSource::Value(Secret::new(t))
    } else if let Some(file) = raw.get("web-identity-token-file") {
        if let Some(problem) = file_problem(file) {
            return Err(raw.invalid(
                "web-identity-token-file",
                &problem,
                "Give the path of the file holding the token (AWS_WEB_IDENTITY_TOKEN_FILE); in a container, the file must be inside it.",
            ));
        }
        TokenSource::File(file.into())
    } else {
        github_token(raw, env)?
    };
    Ok(WebIdentity {
        role_arn: role.to_string(),
        session_name: session_name(raw, env)?,
        sts_endpoint: sts_endpoint(raw, region, partition)?,
        token,
        from: from.to_string(),
    })
}

/// The GitHub Actions job's OIDC token, when the runner offers it.
fn github_token(raw: &Raw, env: &HashMap<String, String>) -> Result<TokenSource, ConfigError> {
    let (Some(url), Some(token)) = (
        var(env, "ACTIONS_ID_TOKEN_REQUEST_URL"),
        var(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        let github = if var(env, "GITHUB_ACTIONS") == Some("true") {
            " In GitHub Actions, give the job `permissions: id-token: write` so that its own OIDC token is used."
        } else {
            ""
        };
        return Err(bad(
            "web-identity-token-file",
            format!(
                "role-to-assume is set but there is no web identity token: set web-identity-token-file (AWS_WEB_IDENTITY_TOKEN_FILE) or web-identity-token.{github}"
            ),
        ));
    };
    let request_url = Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "https" || (u.scheme() == "http" && is_loopback(u)))
        .ok_or_else(|| {
            bad(
                "web-identity-token-file",
                "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL, so the job's OIDC token cannot be requested; it is set by the GitHub Actions runner and should not be changed (or set web-identity-token-file)".into(),
            )
        })?;
    Ok(TokenSource::GithubActions {
        request_url,
        request_token: Secret::new(token),
        audience: raw
            .get("audience")
            .unwrap_or(credentials::DEFAULT_AUDIENCE)
            .to_string(),
    })
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The shared files' profile `name`: its keys, or its role with a web identity token file.
/// `Ok(None)` when it is in neither file and was not asked for explicitly.
fn profile(
    raw: &Raw,
    env: &HashMap<String, String>,
    name: &str,
    explicit: bool,
    region: Option<&str>,
    partition: Partition,
) -> Result<Option<Source>, ConfigError> {
    let home = var(env, "HOME").or_else(|| var(env, "USERPROFILE"));
    let path = |var_name: &str, file: &str| -> Option<PathBuf> {
        var(env, var_name)
            .map(PathBuf::from)
            .or_else(|| home.map(|h| Path::new(h).join(".aws").join(file)))
    };
    let read = |p: Option<PathBuf>| -> Result<Option<(PathBuf, String)>, ConfigError> {
        let Some(p) = p else { return Ok(None) };
        match crate::files::read_regular_string(&p, crate::files::MAX_TOKEN_FILE) {
            Ok(text) => Ok(Some((p, text))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(bad(
                "aws-profile",
                format!("could not read the AWS shared file {}: {e}", p.display()),
            )),
        }
    };
    let credentials_file = read(path("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
    let config_file = read(path("AWS_CONFIG_FILE", "config"))?;
    let mut found: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    if let Some((p, text)) = &config_file {
        if let Some(section) = super::profile::section(text, name, true) {
            found.extend(section);
            files.push(p.display().to_string());
        }
    }
    if let Some((p, text)) = &credentials_file {
        if let Some(section) = super::profile::section(text, name, false) {
            // The credentials file wins over the config file, as in the SDKs.
            found.extend(section);
            files.push(p.display().to_string());
        }
    }
    let get = |key: &str| {
        found
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let refuse = |why: String| Err(bad("aws-profile", format!("input `aws-profile`: {why}")));
    if files.is_empty() {
        if explicit || raw.get("aws-profile").is_some() {
            return refuse(format!(
                "profile {name:?} is in neither the shared credentials file nor the config file (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, ~/.aws/)"
            ));
        }
        return Ok(None);
    }
    let from = format!("profile {name} of {}", files.join(" and "));
    match (get("aws_access_key_id"), get("aws_secret_access_key")) {
        (Some(id), Some(secret)) => {
            return Ok(Some(Source::Static {
                keys: Keys {
                    access_key_id: id.to_string(),
                    secret_access_key: Secret::new(secret),
                    session_token: get("aws_session_token").map(Secret::new),
                },
                from,
            }));
        }
        (Some(_), None) | (None, Some(_)) => {
            return refuse(format!(
                "{from} has only one of aws_access_key_id and aws_secret_access_key"
            ));
        }
        (None, None) => {}
    }
    let unsupported = |how: &str| {
        refuse(format!(
            "{from} gets its credentials {how}, which purge-wait does not do. Export them first (eval \"$(aws configure export-credentials --profile {name} --format env)\"), or use role-to-assume with a web identity token"
        ))
    };
    if let Some(role) = get("role_arn") {
        if let Some(file) = get("web_identity_token_file") {
            if !is_role_arn(role) {
                return refuse(format!("{from}: role_arn {role:?} is not an IAM role ARN"));
            }
            if let Some(problem) = file_problem(file) {
                return refuse(format!(
                    "{from}: web_identity_token_file {file:?} {problem}"
                ));
            }
            let session = match get("role_session_name") {
                Some(s) => s.to_string(),
                None => session_name(raw, env)?,
            };
            return Ok(Some(
                WebIdentity {
                    role_arn: role.to_string(),
                    session_name: session,
                    sts_endpoint: sts_endpoint(raw, region, partition)?,
                    token: TokenSource::File(file.into()),
                    from,
                }
                .into(),
            ));
        }
        return unsupported(
            "by assuming a role from another profile (source_profile, credential_source)",
        );
    }
    if get("credential_process").is_some() {
        return unsupported("from a credential_process");
    }
    if get("sso_session").is_some() || get("sso_start_url").is_some() {
        return unsupported("from IAM Identity Center (SSO)");
    }
    if explicit || raw.get("aws-profile").is_some() {
        return refuse(format!("{from} holds no credentials"));
    }
    Ok(None)
}

/// The container credentials endpoint, when the environment names one.
fn container(env: &HashMap<String, String>) -> Result<Option<Container>, ConfigError> {
    let refuse = |why: String| Err(bad("aws-access-key-id", why));
    let url = if let Some(rel) = var(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        if !rel.starts_with('/') {
            return refuse(format!(
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI {rel:?} does not start with /"
            ));
        }
        match Url::parse(&format!("{}{rel}", credentials::CONTAINER_HOST)) {
            Ok(u) => u,
            Err(e) => return refuse(format!("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: {e}")),
        }
    } else if let Some(full) = var(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        let url = match Url::parse(full) {
            Ok(u) => u,
            Err(e) => return refuse(format!("AWS_CONTAINER_CREDENTIALS_FULL_URI: {e}")),
        };
        // The SDKs' rule: https anywhere; plain http only to this machine or the ECS / EKS
        // link-local addresses.
        let local_http = match url.host() {
            Some(url::Host::Ipv4(ip)) => {
                ip.is_loopback()
                    || ip.octets() == [169, 254, 170, 2]
                    || ip.octets() == [169, 254, 170, 23]
            }
            Some(url::Host::Ipv6(ip)) => {
                ip.is_loopback() || ip.segments() == [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23]
            }
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        if !(url.scheme() == "https" || (url.scheme() == "http" && local_http)) {
            return refuse(format!(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI {full:?} is neither https nor plain http to this machine or the ECS/EKS credentials address"
            ));
        }
        url
    } else {
        return Ok(None);
    };
    let token = if let Some(file) = var(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        if let Some(problem) = file_problem(file) {
            return refuse(format!(
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file:?} {problem}"
            ));
        }
        Some(ContainerToken::File(file.into()))
    } else {
        var(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN").map(|t| ContainerToken::Value(Secret::new(t)))
    };
    Ok(Some(Container { url, token }))
}

/// The instance metadata service, last in the chain: not where it is known to be absent.
fn imds(env: &HashMap<String, String>) -> Result<Source, ConfigError> {
    let disabled =
        var(env, "AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let github_hosted = var(env, "RUNNER_ENVIRONMENT") == Some("github-hosted");
    if disabled || github_hosted {
        let mut message = "no AWS credentials: set aws-access-key-id and aws-secret-access-key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), role-to-assume with a web identity token, or aws-profile".to_string();
        if var(env, "GITHUB_ACTIONS") == Some("true") {
            message.push_str(". In GitHub Actions: role-to-assume with `permissions: id-token: write` on the job, or a step of aws-actions/configure-aws-credentials before this one");
        }
        return Err(bad("aws-access-key-id", message));
    }
    let text = match var(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT") {
        Some(e) => e.to_string(),
        None if var(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
            .is_some_and(|m| m.eq_ignore_ascii_case("ipv6")) =>
        {
            "http://[fd00:ec2::254]".to_string()
        }
        None => credentials::IMDS_ENDPOINT.to_string(),
    };
    let endpoint = Url::parse(&text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            bad(
                "aws-access-key-id",
                format!("AWS_EC2_METADATA_SERVICE_ENDPOINT {text:?} is not an http(s) URL"),
            )
        })?;
    Ok(Source::Imds { endpoint })
}

/// The base of the CallerReference: `caller-reference`, else one derived from the CI run
/// (run id and attempt, job and step), so that the same step sends the same reference if it
/// runs again, and another step, job, attempt or run a new one; outside CI, unique to this
/// process.
fn caller_reference(raw: &Raw, env: &HashMap<String, String>) -> Result<String, ConfigError> {
    if let Some(r) = raw.get("caller-reference") {
        if !(1..=64).contains(&r.len()) || !r.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(raw.invalid(
                "caller-reference",
                "is not a usable CallerReference base",
                "Use 1 to 64 printable ASCII characters without spaces.",
            ));
        }
        return Ok(r.to_string());
    }
    let v = |name: &str| var(env, name).unwrap_or("");
    let (system, run, context): (&str, &str, Vec<&str>) = if !v("GITHUB_RUN_ID").is_empty() {
        (
            "gh",
            v("GITHUB_RUN_ID"),
            vec![
                v("GITHUB_REPOSITORY"),
                v("GITHUB_RUN_ATTEMPT"),
                v("GITHUB_JOB"),
                v("GITHUB_ACTION"),
            ],
        )
    } else if !v("CI_JOB_ID").is_empty() {
        (
            "gl",
            v("CI_JOB_ID"),
            vec![v("CI_PROJECT_ID"), v("CI_PIPELINE_ID")],
        )
    } else if !v("BUILD_BUILDID").is_empty() {
        (
            "az",
            v("BUILD_BUILDID"),
            vec![
                v("SYSTEM_COLLECTIONID"),
                v("SYSTEM_JOBID"),
                v("SYSTEM_JOBATTEMPT"),
                v("SYSTEM_STEPID"),
            ],
        )
    } else {
        let nonce = format!(
            "{}-{:016x}",
            chrono::Utc::now().timestamp_millis(),
            fastrand::u64(..)
        );
        return Ok(format!("purge-wait-{nonce}"));
    };
    let run: String = run
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect();
    Ok(format!(
        "purge-wait-{system}-{run}-{}",
        short_hash(&context)
    ))
}

/// The first 16 hex digits of SHA-256 over `parts`, each followed by a newline.
pub fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())[..16].to_string()
}
