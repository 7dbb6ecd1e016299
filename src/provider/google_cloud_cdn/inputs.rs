//! The google-cloud-cdn inputs, validated into [`Settings`] before any request (exit 2 with
//! the input named): the project, the operation names, the URL map, host and paths of a
//! purge, the Compute base URL, and the credentials.
//!
//! Credentials are looked for in this order, the first found wins (explicit inputs first, as
//! credentials configured in code come before Application Default Credentials):
//! 1. `access-token` given explicitly (flag, `INPUT_ACCESS-TOKEN`, `PURGE_WAIT_ACCESS_TOKEN`);
//! 2. `credentials-file` given explicitly;
//! 3. `workload-identity-provider` (with `service-account` to impersonate): the GitHub
//!    Actions job's OIDC token exchanged directly, no other action needed;
//! 4. `GOOGLE_OAUTH_ACCESS_TOKEN`;
//! 5. the credentials file of `GOOGLE_APPLICATION_CREDENTIALS`,
//!    `CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE` or `GOOGLE_GHA_CREDS_PATH` (what
//!    google-github-actions/auth exports): a `service_account` key or an `external_account`;
//! 6. the metadata server (`GCE_METADATA_HOST`, else `metadata.google.internal`), but not on
//!    GitHub-hosted runners nor with `NO_GCE_CHECK=true`.
//!
//! The project: `project` (also `GOOGLE_CLOUD_PROJECT`, `CLOUDSDK_CORE_PROJECT`,
//! `GCLOUD_PROJECT`, `CLOUDSDK_PROJECT`), else the key file's `project_id`, else the project
//! of the service account's email (`name@<project>.iam.gserviceaccount.com`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::Settings;
use super::credentials::{
    self, External, Format, Impersonation, Key, ServiceAccount, Source, Subject,
};
use super::{sign, wire};
use crate::config::{self, ConfigError, Input, Raw, split_ids};
use crate::provider::cloud::{Configured, Inputs};
use crate::provider::{PurgeKind, PurgeRequest, oidc_common};
use crate::secret::Secret;

const SECTION: &str = "Google Cloud CDN (provider: google-cloud-cdn)";

/// Paths one step may invalidate: one `invalidateCache` call (and one operation) each.
pub const MAX_PATHS: usize = 500;

/// The Compute Engine base URL.
pub const COMPUTE: &str = "https://compute.googleapis.com";

/// Every input google-cloud-cdn reads, in `--help` order (the shared ones by reference).
pub static INPUTS: &[&Input] = &[
    &Input {
        name: "project",
        help: "Google Cloud project id (or number) of the URL map and its operations [default: the key file's project_id, or the service account's project]",
        default: None,
        secret: false,
        cloud_env: &[
            "GOOGLE_CLOUD_PROJECT",
            "CLOUDSDK_CORE_PROJECT",
            "GCLOUD_PROJECT",
            "CLOUDSDK_PROJECT",
        ],
        section: SECTION,
    },
    &Input {
        name: "url-map",
        help: "With paths: the global URL map whose Cloud CDN cache is invalidated (urlMaps.invalidateCache, one call per path); operation-ids are then the operations it returns",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "host",
        help: "With paths: invalidate only for this host (www.example.com, or *.example.com); default every host",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "credentials-file",
        help: "A service account key or an external_account (workload identity federation) JSON file; what google-github-actions/auth writes",
        default: None,
        secret: false,
        cloud_env: &[
            "GOOGLE_APPLICATION_CREDENTIALS",
            "CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE",
            "GOOGLE_GHA_CREDS_PATH",
        ],
        section: SECTION,
    },
    &Input {
        name: "workload-identity-provider",
        help: "GitHub Actions without another action: projects/<NUMBER>/locations/global/workloadIdentityPools/<POOL>/providers/<PROVIDER>; the job's OIDC token (permissions: id-token: write) is exchanged at STS",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "service-account",
        help: "With workload-identity-provider: the service account to impersonate (name@project.iam.gserviceaccount.com); without it the federated token is used directly",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "iam-credentials-endpoint",
        help: "Base URL of IAM Service Account Credentials for service-account [default: https://iamcredentials.googleapis.com]",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &oidc_common::ACCESS_TOKEN,
    &oidc_common::AUDIENCE,
    &oidc_common::STS_ENDPOINT,
];

/// Validates the google-cloud-cdn inputs into its settings and the ids to wait on.
pub fn configure(inputs: &Inputs<'_>) -> Result<Configured, ConfigError> {
    let (settings, ids) = settings(inputs.raw, inputs.env, inputs.purge)?;
    Ok(Configured {
        ids,
        settings: Box::new(settings),
    })
}

fn bad(input: &'static str, message: String) -> ConfigError {
    ConfigError::new(Some(input), message)
}

fn var<'a>(env: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
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

/// Reads and checks everything google-cloud-cdn needs; the ids to wait on (empty when
/// purging).
pub fn settings(
    raw: &Raw,
    env: &HashMap<String, String>,
    purge: Option<&PurgeRequest>,
) -> Result<(Settings, Vec<String>), ConfigError> {
    let (url_map, host) = match purge {
        Some(purge) => {
            let (m, h) = check_purge(raw, purge)?;
            (Some(m), h)
        }
        None => (None, None),
    };
    let endpoint = config::endpoint(raw, COMPUTE)?;
    let (credentials, file_project) = credentials(raw, env)?;
    let project = project(raw, file_project.as_deref(), &credentials)?;
    let ids = match purge {
        Some(_) => Vec::new(),
        None => ids(raw, &project)?,
    };
    Ok((
        Settings {
            project,
            endpoint,
            credentials,
            url_map,
            host,
        },
        ids,
    ))
}

/// A project id as Compute's path pattern has it: `[domain:]id`, the id 6–30 lowercase
/// letters, digits and hyphens starting with a letter (or a project number).
pub fn is_project(s: &str) -> bool {
    let (domain, id) = match s.rsplit_once(':') {
        Some((d, id)) => (Some(d), id),
        None => (None, s),
    };
    let label = |l: &str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let domain_ok = domain.is_none_or(|d| !d.is_empty() && d.split('.').all(label));
    let number = (1..=19).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
    let name = (1..=63).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    domain_ok && (number || name)
}

/// A Compute resource name (`[a-z]([-a-z0-9]{0,61}[a-z0-9])?`) or, with `numeric`, a
/// resource id (digits, no leading zero).
pub fn is_resource_name(s: &str, max: usize, numeric: bool) -> bool {
    let bytes = s.as_bytes();
    let name = (1..=max).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !s.ends_with('-');
    let id = numeric
        && (1..=20).contains(&bytes.len())
        && bytes[0] != b'0'
        && bytes.iter().all(u8::is_ascii_digit);
    name || id
}

fn project(
    raw: &Raw,
    from_file: Option<&str>,
    credentials: &Source,
) -> Result<String, ConfigError> {
    if let Some(p) = raw.get("project") {
        if !is_project(p) {
            return Err(raw.invalid(
                "project",
                "is not a project id",
                "Use the project id (my-project-123) or number the console shows, not its display name.",
            ));
        }
        return Ok(p.to_string());
    }
    let from_email = |email: &str| {
        email
            .split_once('@')
            .and_then(|(_, domain)| domain.strip_suffix(".iam.gserviceaccount.com"))
            .filter(|p| is_project(p))
            .map(str::to_string)
    };
    let derived = from_file
        .filter(|p| is_project(p))
        .map(str::to_string)
        .or_else(|| match credentials {
            Source::ServiceAccount(sa) => from_email(&sa.email),
            Source::External(x) => x
                .impersonation
                .as_ref()
                .and_then(|i| from_email(&i.email())),
            _ => None,
        });
    derived.ok_or_else(|| {
        let mut e = raw.missing("project");
        e.message.push_str(
            " (or GOOGLE_CLOUD_PROJECT / CLOUDSDK_CORE_PROJECT): the project of the URL map and its operations, which the credentials do not name",
        );
        e
    })
}

/// The operation names to wait on: names as `invalidateCache` returned them (or numeric
/// ids), or their selfLinks `…/projects/{project}/global/operations/{name}`.
fn ids(raw: &Raw, project: &str) -> Result<Vec<String>, ConfigError> {
    let Some(text) = raw.get("operation-ids") else {
        let mut e = raw.missing("operation-ids");
        e.message.push_str(
            " (the operation names urlMaps.invalidateCache returned); or give paths and url-map to invalidate first",
        );
        return Err(e);
    };
    let given = split_ids(text);
    if given.is_empty() {
        return Err(raw.invalid(
            "operation-ids",
            "holds no id",
            "Give one or more operation names separated by commas, spaces or newlines.",
        ));
    }
    if given.len() > config::MAX_IDS {
        return Err(config::too_many("operation-ids", &given));
    }
    let mut ids: Vec<String> = Vec::new();
    for id in &given {
        let name = operation_name(id, project)?;
        if !ids.contains(&name) {
            ids.push(name);
        }
    }
    Ok(ids)
}

/// One `operation-ids` entry as an operation name.
fn operation_name(id: &str, project: &str) -> Result<String, ConfigError> {
    let refuse = |why: &str| {
        bad(
            "operation-ids",
            format!(
                "input `operation-ids`: {} {why}. Give the operation's name (operation-1700000000000-5f0c…, what urlMaps.invalidateCache and gcloud --async print) or its selfLink.",
                crate::provider::quoted(id)
            ),
        )
    };
    if id.starts_with("https://") || id.starts_with("http://") {
        let url = Url::parse(id).map_err(|_| refuse("is not a URL"))?;
        let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
        let at = segments.iter().position(|s| *s == "projects");
        let (p, rest) = match at {
            Some(i) if segments.len() == i + 5 => (segments[i + 1], &segments[i + 2..]),
            _ => return Err(refuse("is not the selfLink of a global operation")),
        };
        if rest[0] != "global" || rest[1] != "operations" {
            return Err(refuse(
                "is not a global operation (invalidations are global; a regional or zonal operation is not one)",
            ));
        }
        if p != project {
            return Err(refuse(&format!(
                "belongs to project {}, not to {project}",
                crate::provider::quoted(p)
            )));
        }
        return operation_name(rest[2], project);
    }
    if is_resource_name(id, 128, true) {
        Ok(id.to_string())
    } else {
        Err(refuse("is not an operation name"))
    }
}

/// The purge: `url-map` (and `host`), paths as Cloud CDN takes them, at most [`MAX_PATHS`].
fn check_purge(raw: &Raw, purge: &PurgeRequest) -> Result<(String, Option<String>), ConfigError> {
    if raw.get("operation-ids").is_some() {
        return Err(raw.invalid(
            "operation-ids",
            "is given together with paths",
            "Give paths (and url-map) to invalidate and wait, or operation-ids to wait on invalidations made elsewhere, not both.",
        ));
    }
    if !matches!(purge.kind, PurgeKind::Auto | PurgeKind::File) {
        return Err(raw.invalid(
            "purge-type",
            "is not a Cloud CDN invalidation type",
            "Cloud CDN invalidates paths: leave purge-type at auto, and end a path with /* to invalidate everything under it (/img/*).",
        ));
    }
    let url_map = raw.get("url-map").ok_or_else(|| {
        let mut e = raw.missing("url-map");
        e.message
            .push_str(": the global URL map (load balancer) whose Cloud CDN cache the paths are invalidated in");
        e
    })?;
    if !is_resource_name(url_map, 63, true) {
        return Err(raw.invalid(
            "url-map",
            "is not a URL map name",
            "Use the URL map's name as gcloud compute url-maps list shows it (lowercase letters, digits and hyphens, starting with a letter).",
        ));
    }
    if purge.paths.len() > MAX_PATHS {
        return Err(bad(
            "paths",
            format!(
                "input `paths` holds {} paths, more than the {MAX_PATHS} one step invalidates. Each path is one invalidation: invalidate a prefix instead (/assets/*).",
                purge.paths.len()
            ),
        ));
    }
    for path in &purge.paths {
        if let Some(problem) = path_problem(path) {
            return Err(bad("paths", format!("input `paths`: {problem}.")));
        }
    }
    let host = match raw.get("host") {
        None => None,
        Some(h) if is_host(h) => Some(h.to_ascii_lowercase()),
        Some(_) => {
            return Err(raw.invalid(
                "host",
                "is not a host name",
                "Use a host name such as www.example.com, or *.example.com for every host one label below it (no scheme, port or path).",
            ));
        }
    };
    Ok((url_map.to_string(), host))
}

/// Why `path` is not a path Cloud CDN invalidates, if it is not: it must start with `/`,
/// hold no `?` or `#` (query strings cannot be targeted), and `*` only as the last
/// character, after a `/`.
pub fn path_problem(path: &str) -> Option<String> {
    if path.contains("://") {
        return Some(format!(
            "{path:?} is a URL; give the path only, starting with / (for https://www.example.com/img/a.png: /img/a.png, and host www.example.com)"
        ));
    }
    if !path.starts_with('/') {
        return Some(format!("{path:?} does not start with /"));
    }
    if path.contains(['?', '#']) {
        return Some(format!(
            "{path:?} has a ? or #; Cloud CDN invalidates by path only (a query string cannot be targeted)"
        ));
    }
    if let Some(i) = path.find('*') {
        if i != path.len() - 1 || !path[..i].ends_with('/') {
            return Some(format!(
                "{path:?} has a * that is not the last character after a /; Cloud CDN takes a wildcard only as /prefix/*"
            ));
        }
    }
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Some(format!("{path:?} has white space or control characters"));
    }
    if path.chars().count() > wire::MAX_PATH_CHARS {
        return Some(format!(
            "{:?}… is longer than {} characters",
            path.chars().take(40).collect::<String>(),
            wire::MAX_PATH_CHARS
        ));
    }
    None
}

/// A host name, or `*.` and one.
fn is_host(h: &str) -> bool {
    let rest = h.strip_prefix("*.").unwrap_or(h);
    (1..=253).contains(&rest.len())
        && rest.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// A URL a credential is sent to: https, or plain http to this machine (or with
/// `allow-http`); never with a user name or password.
fn credential_url(raw: &Raw, text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("is not a URL ({e})"))?;
    if config::has_userinfo(&url) {
        return Err("has a user name or password in it".into());
    }
    let allow_http = raw.boolean("allow-http").unwrap_or(false);
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_http || crate::http::is_loopback(&url) => Ok(url),
        "http" => Err("is plain http to a remote host (credentials go only over https)".into()),
        _ => Err("is not an https URL".into()),
    }
}

/// Picks the credential source (the module documentation gives the order); the project a
/// key file names.
fn credentials(
    raw: &Raw,
    env: &HashMap<String, String>,
) -> Result<(Source, Option<String>), ConfigError> {
    if explicit(raw, "access-token") {
        return Ok((
            access_token(
                raw.get("access-token").unwrap_or(""),
                "the access-token input",
            )?,
            None,
        ));
    }
    if explicit(raw, "credentials-file") {
        return credentials_file(raw);
    }
    if raw.get("workload-identity-provider").is_some() {
        return Ok((native(raw, env)?, None));
    }
    if raw.get("service-account").is_some() {
        let mut e = raw.missing("workload-identity-provider");
        e.message.push_str(
            ": service-account is impersonated through a workload identity pool provider",
        );
        return Err(e);
    }
    if let Some(token) = var(env, "GOOGLE_OAUTH_ACCESS_TOKEN") {
        return Ok((access_token(token, "GOOGLE_OAUTH_ACCESS_TOKEN")?, None));
    }
    if raw.get("credentials-file").is_some() {
        return credentials_file(raw);
    }
    Ok((metadata(env)?, None))
}

fn access_token(token: &str, from: &str) -> Result<Source, ConfigError> {
    let token = token.trim();
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) || token.len() < 8 {
        return Err(bad(
            "access-token",
            format!(
                "input `access-token` ({from}): the value is not an OAuth 2.0 access token (no white space; gcloud auth print-access-token prints one)"
            ),
        ));
    }
    Ok(Source::Token {
        token: Secret::new(token),
        from: from.to_string(),
    })
}

/// Why a file cannot be read, checked the way every file input is.
fn file_problem(file: &Path) -> Option<String> {
    crate::files::check_readable(file)
        .err()
        .map(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "is not a file: no such file".to_string(),
            std::io::ErrorKind::InvalidInput => format!("is {e}"),
            _ => format!("could not be read ({e})"),
        })
}

/// The credentials file: a `service_account` key or an `external_account`.
fn credentials_file(raw: &Raw) -> Result<(Source, Option<String>), ConfigError> {
    let path = raw.required("credentials-file")?;
    let from = match raw.source("credentials-file") {
        Some(config::Source::Env(v)) => format!("{path} ({v})"),
        _ => path.to_string(),
    };
    if let Some(problem) = file_problem(Path::new(path)) {
        return Err(raw.invalid(
            "credentials-file",
            &problem,
            "Give the path of the JSON key or credential configuration file (GOOGLE_APPLICATION_CREDENTIALS).",
        ));
    }
    let refuse = |why: String| {
        bad(
            "credentials-file",
            format!("input `credentials-file` ({from}): {why}"),
        )
    };
    let text = crate::files::read_regular_string(Path::new(path), crate::files::MAX_TOKEN_FILE)
        .map_err(|e| refuse(format!("could not be read ({e})")))?;
    // Never echoed: it may hold a private key. A key given twice is refused, not last-wins.
    if let Err(e) = credentials::no_duplicate_keys(text.as_bytes()) {
        if e.contains("given twice") {
            return Err(refuse(format!(
                "is refused: {e}, and neither value is used. Give each key once"
            )));
        }
    }
    let json: serde_json::Map<String, serde_json::Value> =
        crate::provider::json_object(text.as_bytes()).map_err(|_| {
            refuse(
                "is not a JSON object (a service account key or credential configuration file)"
                    .into(),
            )
        })?;
    let s = |key: &str| {
        json.get(key)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    match s("type") {
        Some("service_account") => service_account(raw, &json, &from).map_err(refuse),
        Some("external_account") => external_account(raw, &json, &from)
            .map(|x| (Source::External(Box::new(x)), None))
            .map_err(refuse),
        Some(
            kind @ ("authorized_user"
            | "impersonated_service_account"
            | "external_account_authorized_user"
            | "gdch_service_account"),
        ) => Err(refuse(format!(
            "is of type {kind}, which purge-wait does not use. Use a service account key, a workload identity federation configuration (external_account), or access-token with gcloud auth print-access-token"
        ))),
        Some(kind) => Err(refuse(format!(
            "has type {}, not service_account or external_account",
            crate::provider::quoted(kind)
        ))),
        None => Err(refuse(
            "has no type (service_account or external_account)".into(),
        )),
    }
}

fn service_account(
    raw: &Raw,
    json: &serde_json::Map<String, serde_json::Value>,
    from: &str,
) -> Result<(Source, Option<String>), String> {
    let s = |key: &str| {
        json.get(key)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let email = s("client_email").ok_or("the service account key has no client_email")?;
    if !email.contains('@') || email.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err("client_email is not an email address".into());
    }
    let pem = json
        .get("private_key")
        .and_then(|v| v.as_str())
        .filter(|v| !v.trim().is_empty())
        .ok_or("the service account key has no private_key")?;
    let key = sign::signing_key(pem).map_err(|why| format!("private_key {why}"))?;
    let token_uri = match s("token_uri") {
        Some(t) => credential_url(raw, t).map_err(|why| format!("token_uri {why}"))?,
        None => Url::parse(credentials::TOKEN_URI).expect("constant URL parses"),
    };
    let project = s("project_id").map(str::to_string);
    Ok((
        Source::ServiceAccount(Box::new(ServiceAccount {
            email: email.to_string(),
            key_id: s("private_key_id").map(str::to_string),
            key: Key(std::sync::Arc::new(key)),
            private_key: Secret::new(pem),
            token_uri,
            from: from.to_string(),
        })),
        project,
    ))
}

/// An `external_account` configuration (identity pool: a file or URL credential source).
pub fn external_account(
    raw: &Raw,
    json: &serde_json::Map<String, serde_json::Value>,
    from: &str,
) -> Result<External, String> {
    let s = |key: &str| {
        json.get(key)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let audience = s("audience").ok_or("the external_account has no audience")?;
    let subject_token_type =
        s("subject_token_type").ok_or("the external_account has no subject_token_type")?;
    if subject_token_type == "urn:ietf:params:aws:token-type:aws4_request" {
        return Err("takes its subject token from AWS (aws4_request), which purge-wait does not do; use a file or URL credential source".into());
    }
    let token_url = match s("token_url") {
        Some(t) => credential_url(raw, t).map_err(|why| format!("token_url {why}"))?,
        None => {
            Url::parse(&format!("{}/v1/token", credentials::STS_BASE)).expect("constant URL parses")
        }
    };
    let source = json
        .get("credential_source")
        .and_then(|v| v.as_object())
        .ok_or("the external_account has no credential_source")?;
    let format = match source.get("format") {
        None | Some(serde_json::Value::Null) => Format::Text,
        Some(serde_json::Value::Object(f)) => {
            match f.get("type").and_then(|t| t.as_str()).unwrap_or("text") {
                "text" => Format::Text,
                "json" => Format::Json(
                    f.get("subject_token_field_name")
                        .and_then(|v| v.as_str())
                        .filter(|v| !v.is_empty())
                        .ok_or("credential_source.format json has no subject_token_field_name")?
                        .to_string(),
                ),
                other => {
                    return Err(format!(
                        "credential_source.format type {} is neither text nor json",
                        crate::provider::quoted(other)
                    ));
                }
            }
        }
        Some(_) => return Err("credential_source.format is not an object".into()),
    };
    let file = source.get("file").and_then(|v| v.as_str());
    let url = source.get("url").and_then(|v| v.as_str());
    let subject = match (file, url) {
        (Some(_), Some(_)) => return Err("credential_source has both file and url".into()),
        (Some(file), None) => {
            let path = PathBuf::from(file);
            if let Some(problem) = file_problem(&path) {
                return Err(format!("credential_source.file {file:?} {problem}"));
            }
            Subject::File { path, format }
        }
        (None, Some(url)) => {
            let url =
                credential_url(raw, url).map_err(|why| format!("credential_source.url {why}"))?;
            let mut headers = Vec::new();
            if let Some(h) = source.get("headers") {
                let h = h
                    .as_object()
                    .ok_or("credential_source.headers is not an object")?;
                for (name, value) in h {
                    let value = value
                        .as_str()
                        .ok_or("a credential_source header value is not a string")?;
                    let valid = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                        && reqwest::header::HeaderValue::from_str(value).is_ok();
                    if !valid {
                        return Err(format!(
                            "credential_source header {} is not a valid HTTP header",
                            crate::provider::quoted(name)
                        ));
                    }
                    headers.push((name.clone(), Secret::new(value)));
                }
            }
            Subject::Url {
                url,
                headers,
                format,
            }
        }
        (None, None) if source.contains_key("executable") => {
            return Err("takes its subject token from an executable, which purge-wait does not run; write the token to a file and use credential_source.file".into());
        }
        (None, None) if source.contains_key("environment_id") => {
            return Err("takes its subject token from AWS, which purge-wait does not do; use a file or URL credential source".into());
        }
        (None, None) if source.contains_key("certificate") => {
            return Err("uses X.509 certificate federation, which purge-wait does not do; use a file or URL credential source".into());
        }
        (None, None) => return Err("credential_source has neither file nor url".into()),
    };
    let impersonation = match s("service_account_impersonation_url") {
        None => None,
        Some(u) => {
            let url = credential_url(raw, u)
                .map_err(|why| format!("service_account_impersonation_url {why}"))?;
            if !url.path().ends_with(":generateAccessToken") {
                return Err(
                    "service_account_impersonation_url is not a …:generateAccessToken URL".into(),
                );
            }
            let lifetime = match json
                .get("service_account_impersonation")
                .and_then(|v| v.get("token_lifetime_seconds"))
            {
                None | Some(serde_json::Value::Null) => credentials::DEFAULT_LIFETIME_SECS,
                Some(v) => v.as_u64().filter(|n| (600..=43_200).contains(n)).ok_or(
                    "service_account_impersonation.token_lifetime_seconds is not 600 to 43200",
                )?,
            };
            Some(Impersonation {
                url,
                lifetime_secs: lifetime,
            })
        }
    };
    let client = match (s("client_id"), s("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_string(), Secret::new(secret))),
        (None, None) => None,
        _ => return Err("has only one of client_id and client_secret".into()),
    };
    let user_project = s("workforce_pool_user_project").map(str::to_string);
    Ok(External {
        audience: audience.to_string(),
        subject_token_type: subject_token_type.to_string(),
        token_url,
        subject,
        impersonation,
        client,
        user_project,
        from: from.to_string(),
    })
}

/// `workload-identity-provider` without a prefix: `projects/<n>/locations/global/
/// workloadIdentityPools/<pool>/providers/<provider>`.
pub fn workload_identity_provider(text: &str) -> Option<String> {
    let t = text
        .trim()
        .trim_start_matches("https:")
        .trim_start_matches("//iam.googleapis.com/");
    let parts: Vec<&str> = t.split('/').collect();
    let id = |s: &str| {
        (1..=63).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    let ok = parts.len() == 8
        && parts[0] == "projects"
        && (1..=19).contains(&parts[1].len())
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[2] == "locations"
        && parts[3] == "global"
        && parts[4] == "workloadIdentityPools"
        && id(parts[5])
        && parts[6] == "providers"
        && id(parts[7]);
    ok.then(|| t.to_string())
}

/// A service account email: `name@domain`, no white space or `/`.
fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((name, domain)) => {
            !name.is_empty()
                && domain.contains('.')
                && s.len() <= 254
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "/?#:%".contains(c))
        }
        None => false,
    }
}

/// `workload-identity-provider` (and `service-account`) with the GitHub Actions OIDC token.
fn native(raw: &Raw, env: &HashMap<String, String>) -> Result<Source, ConfigError> {
    let text = raw.required("workload-identity-provider")?;
    let provider = workload_identity_provider(text).ok_or_else(|| {
        raw.invalid(
            "workload-identity-provider",
            "is not a workload identity pool provider",
            "Use its full name: projects/<PROJECT NUMBER>/locations/global/workloadIdentityPools/<POOL>/providers/<PROVIDER> (gcloud iam workload-identity-pools providers describe … --format='value(name)').",
        )
    })?;
    let impersonation = match raw.get("service-account") {
        None => None,
        Some(sa) if is_email(sa) => {
            let base = match raw.get("iam-credentials-endpoint") {
                Some(_) => config::base_url(
                    raw,
                    "iam-credentials-endpoint",
                    credentials::IAM_CREDENTIALS_BASE,
                )?,
                None => Url::parse(credentials::IAM_CREDENTIALS_BASE).expect("constant URL parses"),
            };
            let url = join(
                &base,
                &format!("v1/projects/-/serviceAccounts/{sa}:generateAccessToken"),
            )
            .map_err(|e| bad("iam-credentials-endpoint", e))?;
            Some(Impersonation {
                url,
                lifetime_secs: credentials::DEFAULT_LIFETIME_SECS,
            })
        }
        Some(_) => {
            return Err(raw.invalid(
                "service-account",
                "is not a service account email",
                "Use its email: name@project.iam.gserviceaccount.com.",
            ));
        }
    };
    let sts = match raw.get("sts-endpoint") {
        Some(_) => config::base_url(raw, "sts-endpoint", credentials::STS_BASE)?,
        None => Url::parse(credentials::STS_BASE).expect("constant URL parses"),
    };
    let token_url = join(&sts, "v1/token").map_err(|e| bad("sts-endpoint", e))?;
    let (Some(url), Some(token)) = (
        var(env, "ACTIONS_ID_TOKEN_REQUEST_URL"),
        var(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        let github = if var(env, "GITHUB_ACTIONS") == Some("true") {
            " Give the job `permissions: id-token: write`."
        } else {
            " Outside GitHub Actions, use credentials-file with an external_account configuration (GitLab: id_tokens written to a file)."
        };
        return Err(bad(
            "workload-identity-provider",
            format!(
                "input `workload-identity-provider` is set but there is no GitHub Actions OIDC token to exchange (ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set).{github}"
            ),
        ));
    };
    let allow_http = raw.boolean("allow-http")?;
    let request_url = Url::parse(url)
        .ok()
        .filter(|u| crate::auth::github::request_url_allowed(u, allow_http))
        .ok_or_else(|| {
            bad(
                "workload-identity-provider",
                "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL, so the job's OIDC token cannot be requested; it is set by the GitHub Actions runner and should not be changed".into(),
            )
        })?;
    let audience = match raw.get("audience") {
        Some(a) => a.to_string(),
        None => format!("https://iam.googleapis.com/{provider}"),
    };
    Ok(Source::External(Box::new(External {
        audience: format!("//iam.googleapis.com/{provider}"),
        subject_token_type: credentials::JWT_TOKEN_TYPE.to_string(),
        token_url,
        subject: Subject::GithubActions {
            request_url,
            request_token: Secret::new(token),
            audience,
        },
        impersonation,
        client: None,
        user_project: None,
        from: "the workload-identity-provider input and the GitHub Actions OIDC token".into(),
    })))
}

/// `base` + `path` (a base with a path prefix keeps it).
fn join(base: &Url, path: &str) -> Result<Url, String> {
    let mut text = base.as_str().trim_end_matches('/').to_string();
    text.push('/');
    text.push_str(path);
    Url::parse(&text).map_err(|e| format!("gives no valid URL ({e})"))
}

/// The metadata server, last in the chain: not where it is known to be absent.
fn metadata(env: &HashMap<String, String>) -> Result<Source, ConfigError> {
    let disabled = var(env, "NO_GCE_CHECK").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let github_hosted = var(env, "RUNNER_ENVIRONMENT") == Some("github-hosted");
    if disabled || github_hosted {
        let mut message = "no Google credentials: set credentials-file (GOOGLE_APPLICATION_CREDENTIALS), workload-identity-provider (with service-account), or access-token (GOOGLE_OAUTH_ACCESS_TOKEN)".to_string();
        if var(env, "GITHUB_ACTIONS") == Some("true") {
            message.push_str(". In GitHub Actions: workload-identity-provider with `permissions: id-token: write` on the job, or a step of google-github-actions/auth before this one");
        }
        return Err(bad("credentials-file", message));
    }
    let host = var(env, "GCE_METADATA_HOST")
        .or_else(|| var(env, "GCE_METADATA_ROOT"))
        .unwrap_or(credentials::METADATA_HOST);
    let shaped = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    let root = Url::parse(&format!("http://{host}/computeMetadata/v1/"))
        .ok()
        .filter(|_| shaped)
        .ok_or_else(|| {
            bad(
                "credentials-file",
                format!("GCE_METADATA_HOST {host:?} is not a host[:port]"),
            )
        })?;
    Ok(Source::Metadata { root })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_patterns() {
        for ok in ["my-project", "p1", "123456789012", "example.com:my-project"] {
            assert!(is_project(ok), "{ok}");
        }
        for bad in [
            "",
            "My-Project",
            "my_project",
            "-p",
            "p-",
            "a/b",
            ":p",
            "x:",
        ] {
            assert!(!is_project(bad), "{bad}");
        }
        for ok in ["web-map", "m", "1234567890123456789"] {
            assert!(is_resource_name(ok, 63, true), "{ok}");
        }
        for bad in ["", "Web", "1abc", "a-", "0123", "a_b", "a b"] {
            assert!(!is_resource_name(bad, 63, true), "{bad}");
        }
        assert_eq!(
            workload_identity_provider(
                "projects/123/locations/global/workloadIdentityPools/ci-pool/providers/github"
            )
            .as_deref(),
            Some("projects/123/locations/global/workloadIdentityPools/ci-pool/providers/github")
        );
        assert_eq!(
            workload_identity_provider("//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/g").as_deref(),
            Some("projects/123/locations/global/workloadIdentityPools/p/providers/g")
        );
        for bad in [
            "projects/p/locations/global/workloadIdentityPools/p/providers/g",
            "projects/1/locations/eu/workloadIdentityPools/p/providers/g",
            "projects/1/locations/global/workloadIdentityPools/p",
            "",
        ] {
            assert!(workload_identity_provider(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn paths_as_cloud_cdn_takes_them() {
        for ok in ["/", "/*", "/index.html", "/img/*", "/a/b/"] {
            assert_eq!(path_problem(ok), None, "{ok}");
        }
        for bad in [
            "index.html",
            "https://www.example.com/a",
            "/a?b=1",
            "/a#x",
            "/img*",
            "/*/a",
            "/a*b",
            "/a b",
            "/a\n",
        ] {
            assert!(path_problem(bad).is_some(), "{bad}");
        }
        assert!(path_problem(&format!("/{}", "a".repeat(3000))).is_some());
        assert!(is_host("www.example.com"));
        assert!(is_host("*.example.com"));
        for bad in ["", "https://x", "a..b", "x/y", "*", "-a.com", "a:80"] {
            assert!(!is_host(bad), "{bad}");
        }
    }
}
