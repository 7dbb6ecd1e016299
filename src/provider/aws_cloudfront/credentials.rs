//! AWS credentials for the CloudFront calls: keys given as they are, or temporary ones from
//! STS `AssumeRoleWithWebIdentity`, the container credentials endpoint or the EC2 instance
//! metadata service (IMDSv2), cached and fetched again before they expire.
//!
//! [`super::inputs`] picks the [`Source`] in the AWS SDKs' default-chain order before any
//! request; this module only uses it:
//! - **web identity**: `POST {sts}/` with the form `Action=AssumeRoleWithWebIdentity&
//!   Version=2011-06-15&RoleArn=…&RoleSessionName=…&WebIdentityToken=…&DurationSeconds=3600`,
//!   unsigned; the answer's `Credentials/{AccessKeyId, SecretAccessKey, SessionToken,
//!   Expiration}`. The token is read afresh for each exchange (a file: token files are
//!   rotated; GitHub Actions: the job's own OIDC token for audience `sts.amazonaws.com`,
//!   through [`crate::auth::github`]).
//! - **container**: `GET $AWS_CONTAINER_CREDENTIALS_FULL_URI` (or `http://169.254.170.2` +
//!   `$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`) with `Authorization:` the token of
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` / `_TOKEN`; JSON `AccessKeyId`,
//!   `SecretAccessKey`, `Token`, `Expiration`.
//! - **IMDSv2**: `PUT /latest/api/token` (`X-aws-ec2-metadata-token-ttl-seconds: 21600`), then
//!   `GET /latest/meta-data/iam/security-credentials/` (the role name) and
//!   `…/security-credentials/{role}` with `X-aws-ec2-metadata-token`; JSON as above plus
//!   `Code: Success`.
//!
//! Temporary credentials are replaced when less than [`refresh_margin`](crate::auth::refresh::refresh_margin) of their life is
//! left — the margin Entra ID tokens use (one rule for every token purge-wait caches) — so a
//! 40-minute wait never signs with an expired session; a refused signature can also ask for
//! fresh ones once ([`Credentials::refresh`]). Every secret met here — the web identity
//! token, each issued secret key and session token, the metadata token, the container
//! authorization token — is registered with the shared [`Redactor`] before it is used.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use super::wire;
use crate::auth::cache::{Issued, TokenCache};
use crate::http::{self, Response};
use crate::provider::{ErrorKind, ProviderError};
use crate::secret::{Redactor, Secret};

/// The STS API version.
pub const STS_VERSION: &str = "2011-06-15";
/// The global STS endpoint.
pub const GLOBAL_STS: &str = "https://sts.amazonaws.com";
/// The audience of the GitHub Actions OIDC token (as aws-actions/configure-aws-credentials).
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";
/// The session length asked of STS (the default; every role allows at least an hour).
pub const SESSION_SECONDS: u64 = 3600;
/// Where ECS and EKS Pod Identity serve container credentials (`…_RELATIVE_URI` is a path on it).
pub const CONTAINER_HOST: &str = "http://169.254.170.2";
/// The instance metadata service.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254";
/// How long one metadata or container request may take: they are local services, and a
/// machine without one must not hold up the wait.
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(2);
/// How long credentials that say nothing of their expiry are kept before being fetched again.
pub const UNDATED_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Keys to sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// The access key id (`AKIA…`, `ASIA…`); not secret.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// The session token of temporary credentials.
    pub session_token: Option<Secret>,
}

impl Keys {
    /// The view the signer takes.
    pub fn as_sign(&self) -> super::sign::Keys<'_> {
        super::sign::Keys {
            access_key_id: &self.access_key_id,
            secret_access_key: self.secret_access_key.expose(),
            session_token: self.session_token.as_ref().map(Secret::expose),
        }
    }
}

/// Where the credentials come from, decided before any request.
#[derive(Debug, Clone)]
pub enum Source {
    /// Keys given as they are: inputs, `AWS_ACCESS_KEY_ID`…, or a shared credentials file.
    /// They cannot be renewed.
    Static {
        /// The keys.
        keys: Keys,
        /// Where they were found, for messages (`AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`).
        from: String,
    },
    /// STS `AssumeRoleWithWebIdentity`.
    WebIdentity(Box<WebIdentity>),
    /// The container credentials endpoint.
    Container(Box<Container>),
    /// The EC2 instance metadata service, IMDSv2.
    Imds {
        /// Its base URL.
        endpoint: Url,
    },
}

/// What `AssumeRoleWithWebIdentity` needs.
#[derive(Debug, Clone)]
pub struct WebIdentity {
    /// `arn:aws:iam::<account>:role/<name>`.
    pub role_arn: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// The STS base URL.
    pub sts_endpoint: Url,
    /// Where the token comes from.
    pub token: TokenSource,
    /// Where the role was found, for messages.
    pub from: String,
}

/// Where the OIDC token comes from: the one reader every token-exchanging folder shares.
pub use crate::auth::subject::SubjectToken as TokenSource;

/// The container credentials endpoint and its authorization.
#[derive(Debug, Clone)]
pub struct Container {
    /// The full URL.
    pub url: Url,
    /// `Authorization:` value.
    pub token: Option<ContainerToken>,
}

/// Where the container endpoint's authorization token comes from.
#[derive(Debug, Clone)]
pub enum ContainerToken {
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read for every fetch (EKS rotates it).
    File(PathBuf),
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    Value(Secret),
}

impl Source {
    /// Where the credentials come from, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Source::Static { from, .. } => from.clone(),
            Source::WebIdentity(w) => format!("role {} ({})", w.role_arn, w.from),
            Source::Container(c) => format!("the container credentials endpoint {}", c.url),
            Source::Imds { endpoint } => format!("the instance metadata service {endpoint}"),
        }
    }
}

/// Hands out keys for each request, fetching temporary ones when needed. Shared by every
/// concurrent call: one fetch at a time, the others wait for its keys.
pub struct Credentials {
    source: Source,
    http: reqwest::Client,
    redactor: Redactor,
    cache: TokenCache<Keys>,
    /// Whether any credentials were fetched yet (a metadata service that never answered
    /// means there is none; one that stops answering is a passing fault).
    fetched: AtomicBool,
}

impl Credentials {
    /// Credentials from `source`; the secrets it holds are registered with `redactor` at once.
    pub fn new(source: Source, http: reqwest::Client, redactor: Redactor) -> Self {
        match &source {
            Source::Static { keys, .. } => {
                redactor.add(keys.secret_access_key.expose());
                if let Some(t) = &keys.session_token {
                    redactor.add(t.expose());
                }
            }
            Source::WebIdentity(w) => w.token.register(&redactor),
            Source::Container(c) => {
                if let Some(ContainerToken::Value(t)) = &c.token {
                    redactor.add(t.expose());
                }
            }
            Source::Imds { .. } => {}
        }
        Credentials {
            source,
            http,
            redactor,
            cache: TokenCache::new(),
            fetched: AtomicBool::new(false),
        }
    }

    /// The source in use.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Whether refused keys can be replaced by fresh ones (not keys given as they are).
    pub fn can_refresh(&self) -> bool {
        !matches!(self.source, Source::Static { .. })
    }

    /// Keys that are not about to expire: the cached ones, or fresh ones. A failed renewal
    /// falls back to the cached keys while they have more than 30 s left
    /// (see [`TokenCache::get`]).
    pub async fn get(&self) -> Result<Keys, ProviderError> {
        if let Source::Static { keys, .. } = &self.source {
            return Ok(keys.clone());
        }
        self.cache.get(|| self.fetch()).await
    }

    /// Fresh keys because `refused` was refused — unless another call already replaced them.
    pub async fn refresh(&self, refused: &Keys) -> Result<Keys, ProviderError> {
        if !self.can_refresh() {
            return Ok(refused.clone());
        }
        self.cache.replace(refused, || self.fetch()).await
    }

    async fn fetch(&self) -> Result<Issued<Keys>, ProviderError> {
        let (keys, expiration) = match &self.source {
            Source::Static { keys, .. } => (keys.clone(), None),
            Source::WebIdentity(w) => self.assume_role(w).await?,
            Source::Container(c) => self.container(c).await?,
            Source::Imds { endpoint } => self.imds(endpoint, !self.fetched.load(Relaxed)).await?,
        };
        self.fetched.store(true, Relaxed);
        self.redactor.add(keys.secret_access_key.expose());
        if let Some(t) = &keys.session_token {
            self.redactor.add(t.expose());
        }
        let lifetime = match expiration {
            Some(at) => (at - Utc::now()).to_std().unwrap_or(Duration::ZERO),
            None => UNDATED_LIFETIME,
        };
        Ok(Issued {
            value: keys,
            lifetime,
        })
    }

    /// Reads the token and exchanges it with STS.
    async fn assume_role(
        &self,
        w: &WebIdentity,
    ) -> Result<(Keys, Option<DateTime<Utc>>), ProviderError> {
        let token = self.web_identity_token(&w.token).await?;
        self.redactor.add(token.expose());
        let duration = SESSION_SECONDS.to_string();
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("Action", "AssumeRoleWithWebIdentity")
            .append_pair("Version", STS_VERSION)
            .append_pair("RoleArn", &w.role_arn)
            .append_pair("RoleSessionName", &w.session_name)
            .append_pair("WebIdentityToken", token.expose())
            .append_pair("DurationSeconds", &duration)
            .finish();
        let request = self
            .http
            .post(w.sts_endpoint.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(body);
        let resp = http::send(request)
            .await
            .map_err(|e| prefix(e, "STS AssumeRoleWithWebIdentity"))?;
        let (keys, expiration) = interpret_sts(&resp, w)?;
        Ok((keys, Some(expiration)))
    }

    async fn web_identity_token(&self, source: &TokenSource) -> Result<Secret, ProviderError> {
        source
            .read(
                &self.http,
                &self.redactor,
                "web identity token",
                "Check web-identity-token-file (AWS_WEB_IDENTITY_TOKEN_FILE)",
            )
            .await
    }

    /// `GET` the container credentials endpoint.
    async fn container(
        &self,
        c: &Container,
    ) -> Result<(Keys, Option<DateTime<Utc>>), ProviderError> {
        let mut request = self.http.get(c.url.clone());
        if let Some(token) = &c.token {
            let value = match token {
                ContainerToken::Value(v) => v.expose().to_string(),
                ContainerToken::File(path) => {
                    crate::files::read_regular_string(path, crate::files::MAX_TOKEN_FILE)
                        .map_err(|e| {
                            ProviderError::new(
                                ErrorKind::Auth,
                                format!(
                                    "could not read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {e}",
                                    path.display()
                                ),
                            )
                        })?
                        .trim()
                        .to_string()
                }
            };
            self.redactor.add(&value);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let resp = local(request, "the container credentials endpoint").await?;
        json_credentials(&resp, "the container credentials endpoint")
    }

    /// IMDSv2: a session token, the role name, then the role's credentials. On the `first`
    /// fetch, a service that does not answer means there is none: no credentials.
    async fn imds(
        &self,
        endpoint: &Url,
        first: bool,
    ) -> Result<(Keys, Option<DateTime<Utc>>), ProviderError> {
        let none = |e: ProviderError| if first { no_imds(e, endpoint) } else { e };
        const WHAT: &str = "the instance metadata service";
        let at = |path: &str| {
            let mut url = endpoint.clone();
            url.set_path(path);
            url
        };
        let put = self
            .http
            .put(at("/latest/api/token"))
            .header("x-aws-ec2-metadata-token-ttl-seconds", "21600");
        let resp = local(put, WHAT).await.map_err(none)?;
        if resp.status != 200 {
            return Err(none(local_error(&resp, WHAT)));
        }
        let token = String::from_utf8_lossy(&resp.body).trim().to_string();
        if token.is_empty() {
            return Err(none(ProviderError::new(
                ErrorKind::Malformed,
                "IMDS answered an empty token",
            )));
        }
        self.redactor.add(&token);
        let get = |path: &str| {
            self.http
                .get(at(path))
                .header("x-aws-ec2-metadata-token", token.as_str())
        };
        let base = "/latest/meta-data/iam/security-credentials/";
        let resp = local(get(base), WHAT).await?;
        if resp.status == 404 {
            return Err(ProviderError::new(
                ErrorKind::Auth,
                "this instance has no IAM role (the instance metadata service lists none)",
            )
            .hint("Attach an instance profile with a role that may call CloudFront, or give credentials another way (see the README)"));
        }
        if resp.status != 200 {
            return Err(local_error(&resp, WHAT));
        }
        let role = String::from_utf8_lossy(&resp.body)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ProviderError::new(ErrorKind::Malformed, "IMDS listed no role"))?;
        if role.contains(['/', '?', '#']) {
            return Err(ProviderError::new(
                ErrorKind::Malformed,
                "IMDS answered a role name that is not one",
            ));
        }
        let resp = local(get(&format!("{base}{role}")), WHAT).await?;
        json_credentials(&resp, WHAT)
    }
}

fn prefix(mut e: ProviderError, what: &str) -> ProviderError {
    e.message = format!("{what}: {}", e.message);
    e
}

/// A request to a local credentials service, bounded by [`LOCAL_TIMEOUT`].
async fn local(request: reqwest::RequestBuilder, what: &str) -> Result<Response, ProviderError> {
    match tokio::time::timeout(LOCAL_TIMEOUT, http::send(request)).await {
        Ok(r) => r.map_err(|e| prefix(e, what)),
        Err(_) => Err(ProviderError::new(
            ErrorKind::Transient,
            format!(
                "{what}: no answer within {}",
                crate::duration::format(LOCAL_TIMEOUT)
            ),
        )),
    }
}

/// An instance metadata service that does not answer on the first request is taken for no
/// metadata service at all: no credentials were configured.
fn no_imds(mut e: ProviderError, endpoint: &Url) -> ProviderError {
    if matches!(e.kind, ErrorKind::Transient | ErrorKind::Malformed) || e.http_status.is_some() {
        e.kind = ErrorKind::Auth;
    }
    e.message = format!(
        "no AWS credentials: none were given, and the instance metadata service at {endpoint} did not issue any ({})",
        e.message
    );
    e.hint("Give aws-access-key-id and aws-secret-access-key, role-to-assume (with the GitHub Actions OIDC token or web-identity-token-file), a profile, or run where an instance role is attached; set AWS_EC2_METADATA_DISABLED=true to skip the metadata service")
}

fn local_error(resp: &Response, what: &str) -> ProviderError {
    let mut e = http::status_error(resp);
    e.message = format!("{what}: {}", e.message);
    if e.kind == ErrorKind::Permission || e.kind == ErrorKind::Invalid {
        e.kind = ErrorKind::Auth;
    }
    e
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct JsonCredentials {
    code: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
}

/// Credentials from a container endpoint's or IMDS's JSON answer.
fn json_credentials(
    resp: &Response,
    what: &str,
) -> Result<(Keys, Option<DateTime<Utc>>), ProviderError> {
    if resp.status != 200 {
        return Err(local_error(resp, what));
    }
    let malformed = || {
        let mut e = ProviderError::new(
            ErrorKind::Malformed,
            format!("{what} answered no complete credentials"),
        );
        e.http_status = Some(resp.status);
        e
    };
    let c: JsonCredentials = serde_json::from_slice(&resp.body).map_err(|_| malformed())?;
    if c.code.as_deref().is_some_and(|code| code != "Success") {
        return Err(ProviderError::new(
            ErrorKind::Auth,
            format!("{what} refused: {}", c.code.unwrap_or_default()),
        ));
    }
    let (Some(id), Some(secret)) = (c.access_key_id, c.secret_access_key) else {
        return Err(malformed());
    };
    if id.trim().is_empty() || secret.trim().is_empty() {
        return Err(malformed());
    }
    let expiration = match c.expiration {
        Some(t) => Some(wire::parse_time(&t).ok_or_else(malformed)?),
        None => None,
    };
    Ok((
        Keys {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
            session_token: c.token.filter(|t| !t.is_empty()).map(Secret::new),
        },
        expiration,
    ))
}

/// The credentials of an `AssumeRoleWithWebIdentityResponse`, or why there are none.
fn interpret_sts(resp: &Response, w: &WebIdentity) -> Result<(Keys, DateTime<Utc>), ProviderError> {
    if resp.status != 200 {
        return Err(sts_error(resp, w));
    }
    let malformed = |why: String| {
        let mut e = ProviderError::new(
            ErrorKind::Malformed,
            format!("the STS AssumeRoleWithWebIdentity answer could not be read ({why})"),
        );
        e.http_status = Some(resp.status);
        e
    };
    let root = wire::parse_xml(&resp.body).map_err(malformed)?;
    if root.name != "AssumeRoleWithWebIdentityResponse" {
        return Err(malformed(format!("<{}> is not the answer", root.name)));
    }
    let result = root
        .child("AssumeRoleWithWebIdentityResult")
        .map_err(malformed)?
        .ok_or_else(|| malformed("no result".into()))?;
    let c = result
        .child("Credentials")
        .map_err(malformed)?
        .ok_or_else(|| malformed("no Credentials".into()))?;
    let field = |name: &str| {
        c.required(name)
            .map(str::to_string)
            .map_err(|e| malformed(e.to_string()))
    };
    let keys = Keys {
        access_key_id: field("AccessKeyId")?,
        secret_access_key: Secret::new(field("SecretAccessKey")?),
        session_token: Some(Secret::new(field("SessionToken")?)),
    };
    let expiration = wire::parse_time(&field("Expiration")?)
        .ok_or_else(|| malformed("Expiration is not a time".into()))?;
    Ok((keys, expiration))
}

/// An STS refusal: throttling, 5xx and `IDPCommunicationError` are retried; anything else
/// is a credentials problem, with the fix.
fn sts_error(resp: &Response, w: &WebIdentity) -> ProviderError {
    let body = wire::parse_error(&resp.body).unwrap_or_default();
    let code = body.code.clone().unwrap_or_default();
    let kind = if resp.status == 429 || code.starts_with("Throttling") {
        ErrorKind::Throttled
    } else if resp.status >= 500 || code == "IDPCommunicationError" || code == "ServiceUnavailable"
    {
        ErrorKind::Transient
    } else {
        ErrorKind::Auth
    };
    let hint = match code.as_str() {
        _ if kind != ErrorKind::Auth => {
            "STS or the identity provider was busy; the exchange is retried".to_string()
        }
        "InvalidIdentityToken" | "IDPRejectedClaim" => format!(
            "Check the IAM OIDC identity provider (its audience must include the token's, sts.amazonaws.com for GitHub Actions) and the trust policy of {} (it must allow this repository's or project's subject)",
            w.role_arn
        ),
        "ExpiredTokenException" | "ExpiredToken" => {
            "The web identity token has expired: the token file must be renewed (EKS, GitLab id_tokens do it; a file written once does not)".to_string()
        }
        "AccessDenied" => format!(
            "The trust policy of {} does not allow sts:AssumeRoleWithWebIdentity for this token (check its Federated principal, aud and sub conditions)",
            w.role_arn
        ),
        _ => format!(
            "Check role-to-assume ({}) and the role's trust policy",
            w.role_arn
        ),
    };
    let message = body
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {}", resp.status));
    let mut e = ProviderError::new(
        kind,
        format!("STS AssumeRoleWithWebIdentity refused: {message}"),
    )
    .hint(hint);
    if !code.is_empty() {
        e.code = Some(code);
    }
    e.http_status = Some(resp.status);
    e.request_id = body
        .request_id
        .or_else(|| resp.header("x-amzn-requestid"))
        .map(|id| ("x-amzn-RequestId", id));
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    e
}
