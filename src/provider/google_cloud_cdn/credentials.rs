//! Google OAuth 2.0 access tokens for the Compute Engine calls, as Google's client libraries
//! get them, cached in [`TokenCache`] and fetched again before they expire.
//!
//! [`super::inputs`] picks the [`Source`] before any request; this module only uses it:
//! - **as is**: `access-token` / `GOOGLE_OAUTH_ACCESS_TOKEN`, never refreshed;
//! - **service account key** (`"type": "service_account"`): a JWT assertion signed RS256
//!   ([`super::sign`]) posted to the file's `token_uri` as
//!   `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`;
//! - **workload identity federation** (`"type": "external_account"`, or natively in GitHub
//!   Actions with `workload-identity-provider`): the subject token from the
//!   `credential_source` (a file, or a URL `GET` with its headers; `text` or `json` format)
//!   or the job's OIDC token ([`crate::auth::github`]), exchanged at STS (`token_url`,
//!   RFC 8693 form), then — when a service account is impersonated — the federated token
//!   traded at IAM Credentials `generateAccessToken` for the service account's token. The
//!   subject token is read afresh for every exchange;
//! - **metadata server**: `GET {root}instance/service-accounts/default/token` with
//!   `Metadata-Flavor: Google` (and the answer must carry it too).
//!
//! Every secret met here — the private key, each assertion, subject token, federated and
//! access token, the headers of a URL source, the GitHub request token — is registered with
//! the shared [`Redactor`] before it is used.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, SystemTime};

use ring::signature::RsaKeyPair;
use serde::Deserialize;
use url::Url;

use super::{sign, wire};
use crate::auth::cache::{Issued, TokenCache};
use crate::http::{self, Response};
use crate::provider::{ErrorKind, ProviderError};
use crate::secret::{Redactor, Secret};

/// The scope every token is asked for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The scope of a federated token that is then traded for a service account's.
pub const IAM_SCOPE: &str = "https://www.googleapis.com/auth/iam";
/// Google's OAuth 2.0 token endpoint (a key file's usual `token_uri`).
pub const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The Security Token Service.
pub const STS_BASE: &str = "https://sts.googleapis.com";
/// IAM Service Account Credentials.
pub const IAM_CREDENTIALS_BASE: &str = "https://iamcredentials.googleapis.com";
/// The metadata server's root.
pub const METADATA_HOST: &str = "metadata.google.internal";
/// The JWT bearer grant (RFC 7523).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The token exchange grant (RFC 8693).
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// What STS is asked to issue.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The subject token type of an OIDC JWT (GitHub's, GitLab's).
pub const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";
/// How long one metadata server request may take (google-auth's default is 3 s).
pub const METADATA_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a token that says nothing of its expiry is kept.
pub const UNDATED_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// The impersonated token's lifetime asked for by default (an hour, the most without an
/// organisation policy).
pub const DEFAULT_LIFETIME_SECS: u64 = 3600;

/// A service account's RSA key, parsed once. Never printed.
#[derive(Clone)]
pub struct Key(pub Arc<RsaKeyPair>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(***)")
    }
}

/// Where the access tokens come from, decided before any request.
#[derive(Debug, Clone)]
pub enum Source {
    /// A token given as is.
    Token {
        token: Secret,
        /// Where it was found, for messages.
        from: String,
    },
    /// A service account key file.
    ServiceAccount(Box<ServiceAccount>),
    /// Workload identity federation.
    External(Box<External>),
    /// The metadata server.
    Metadata {
        /// `http://metadata.google.internal/computeMetadata/v1/`, or `GCE_METADATA_HOST`'s.
        root: Url,
    },
}

/// A `service_account` key.
#[derive(Debug, Clone)]
pub struct ServiceAccount {
    /// `client_email`.
    pub email: String,
    /// `private_key_id`, the assertion's `kid`.
    pub key_id: Option<String>,
    /// `private_key`, parsed.
    pub key: Key,
    /// `private_key` as the file holds it, for the redactor.
    pub private_key: Secret,
    /// `token_uri`.
    pub token_uri: Url,
    /// Where the file was found, for messages.
    pub from: String,
}

/// An `external_account` (workload identity federation), from a file or native.
#[derive(Debug, Clone)]
pub struct External {
    /// The workload identity pool provider, `//iam.googleapis.com/projects/…/providers/…`.
    pub audience: String,
    /// `subject_token_type`.
    pub subject_token_type: String,
    /// STS's token URL.
    pub token_url: Url,
    /// Where the subject token comes from.
    pub subject: Subject,
    /// The service account to impersonate, when there is one.
    pub impersonation: Option<Impersonation>,
    /// `client_id` / `client_secret`, sent to STS as HTTP Basic.
    pub client: Option<(String, Secret)>,
    /// `workforce_pool_user_project`, sent in STS's `options`.
    pub user_project: Option<String>,
    /// Where the configuration was found, for messages.
    pub from: String,
}

/// `generateAccessToken` for a service account.
#[derive(Debug, Clone)]
pub struct Impersonation {
    /// `…/v1/projects/-/serviceAccounts/{email}:generateAccessToken`.
    pub url: Url,
    /// The lifetime asked for, in seconds.
    pub lifetime_secs: u64,
}

impl Impersonation {
    /// The service account's email, from the URL (between the last `/` and `:`).
    pub fn email(&self) -> String {
        let path = self.url.path();
        let last = path.rsplit('/').next().unwrap_or(path);
        last.split(':').next().unwrap_or(last).to_string()
    }
}

/// The format of a `credential_source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// The whole file or body.
    Text,
    /// A JSON object's field.
    Json(String),
}

/// Where the subject token comes from.
#[derive(Debug, Clone)]
pub enum Subject {
    /// `credential_source.file`, read for every exchange.
    File { path: PathBuf, format: Format },
    /// `credential_source.url`, fetched (`GET`, with its headers) for every exchange.
    Url {
        url: Url,
        headers: Vec<(String, Secret)>,
        format: Format,
    },
    /// The GitHub Actions job's OIDC token.
    GithubActions {
        request_url: Url,
        request_token: Secret,
        audience: String,
    },
}

impl Source {
    /// Where the tokens come from, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Source::Token { from, .. } => format!("an access token given as is ({from})"),
            Source::ServiceAccount(sa) => {
                format!("service account {} (key file {})", sa.email, sa.from)
            }
            Source::External(x) => {
                let via = match &x.impersonation {
                    Some(i) => format!(", impersonating {}", i.email()),
                    None => String::new(),
                };
                format!("workload identity federation ({}{via})", x.from)
            }
            Source::Metadata { root } => format!("the metadata server {root}"),
        }
    }

    /// Every secret the source holds, for the redactor.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Source::Token { token, .. } => out.push(token.expose().to_string()),
            Source::ServiceAccount(sa) => {
                // Line by line (the base64 of the key; not the BEGIN and END lines), which
                // also covers the key as a JSON string (lines joined by `\n`) and keeps each
                // `::add-mask::` to one line.
                let pem = sa.private_key.expose();
                out.extend(
                    pem.lines()
                        .map(str::trim)
                        .filter(|l| !l.starts_with("-----") && l.len() >= 16)
                        .map(str::to_string),
                );
            }
            Source::External(x) => {
                if let Some((_, secret)) = &x.client {
                    out.push(secret.expose().to_string());
                }
                match &x.subject {
                    Subject::Url { headers, .. } => {
                        for (_, value) in headers {
                            out.push(value.expose().to_string());
                            // `Bearer <token>`: the token alone too.
                            if let Some((_, token)) = value.expose().split_once(' ') {
                                out.push(token.to_string());
                            }
                        }
                    }
                    Subject::GithubActions { request_token, .. } => {
                        out.push(request_token.expose().to_string())
                    }
                    Subject::File { .. } => {}
                }
            }
            Source::Metadata { .. } => {}
        }
        out
    }
}

/// Hands out an access token for each request, fetching one when needed. Shared by every
/// concurrent call: one fetch at a time, the others wait for its token.
pub struct Credentials {
    source: Source,
    http: reqwest::Client,
    redactor: Redactor,
    cache: TokenCache<Secret>,
    clock: fn() -> SystemTime,
    /// Whether any token was fetched yet (a metadata server that never answered means there
    /// is none; one that stops answering is a passing fault).
    fetched: AtomicBool,
}

impl Credentials {
    /// Credentials from `source`; the secrets it holds are registered with `redactor` at once.
    pub fn new(source: Source, http: reqwest::Client, redactor: Redactor) -> Self {
        for s in source.secrets() {
            redactor.add(&s);
        }
        Credentials {
            source,
            http,
            redactor,
            cache: TokenCache::new(),
            clock: SystemTime::now,
            fetched: AtomicBool::new(false),
        }
    }

    /// The source in use.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Whether a refused token can be replaced (not one given as is).
    pub fn can_refresh(&self) -> bool {
        !matches!(self.source, Source::Token { .. })
    }

    /// A token that is not about to expire: the cached one, or a fresh one.
    pub async fn get(&self) -> Result<Secret, ProviderError> {
        if let Source::Token { token, .. } = &self.source {
            return Ok(token.clone());
        }
        self.cache.get(|| self.fetch()).await
    }

    /// A fresh token because `refused` was refused — unless another call already replaced it.
    pub async fn refresh(&self, refused: &Secret) -> Result<Secret, ProviderError> {
        if !self.can_refresh() {
            return Ok(refused.clone());
        }
        self.cache.replace(refused, || self.fetch()).await
    }

    async fn fetch(&self) -> Result<Issued<Secret>, ProviderError> {
        let issued = match &self.source {
            Source::Token { token, .. } => Issued {
                value: token.clone(),
                lifetime: UNDATED_LIFETIME,
            },
            Source::ServiceAccount(sa) => self.service_account(sa).await?,
            Source::External(x) => self.external(x).await?,
            Source::Metadata { root } => self
                .metadata(root)
                .await
                .map_err(|e| self.no_metadata(e, root))?,
        };
        self.fetched.store(true, Relaxed);
        Ok(issued)
    }

    /// The JWT bearer grant.
    async fn service_account(&self, sa: &ServiceAccount) -> Result<Issued<Secret>, ProviderError> {
        let now = (self.clock)()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        let claims = sign::Claims::new(&sa.email, SCOPE, now);
        let assertion = sign::assertion(&sa.key.0, sa.key_id.as_deref(), &claims).map_err(|e| {
            let mut e = ProviderError::new(
                ErrorKind::Auth,
                format!("could not sign the assertion: {e}"),
            );
            e.may_have_reached = false;
            e
        })?;
        self.redactor.add(&assertion);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", JWT_BEARER)
            .append_pair("assertion", &assertion)
            .finish();
        let request = self
            .http
            .post(sa.token_uri.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        let what = "Google's OAuth 2.0 token endpoint";
        let resp = http::send(request).await.map_err(|e| prefix(e, what))?;
        let hint = format!(
            "Check the key file {} (the key may have been deleted or disabled, or the service account {} removed)",
            sa.from, sa.email
        );
        self.oauth_token(&resp, what, &hint)
    }

    /// `{"access_token", "expires_in"}`, registered with the redactor.
    fn oauth_token(
        &self,
        resp: &Response,
        what: &str,
        hint: &str,
    ) -> Result<Issued<Secret>, ProviderError> {
        if resp.status != 200 {
            return Err(wire::token_error(resp, what, hint));
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: Option<String>,
            expires_in: Option<serde_json::Value>,
            token_type: Option<String>,
        }
        let malformed = |why: &str| {
            let mut e = ProviderError::new(
                ErrorKind::Malformed,
                format!("{what} answered no usable token ({why})"),
            );
            e.http_status = Some(resp.status);
            e
        };
        let t: Token = crate::provider::json_object(&resp.body).map_err(|why| malformed(&why))?;
        let token = t
            .access_token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed("no access_token"))?;
        if !is_token(&token) {
            return Err(malformed("the access_token is not a token"));
        }
        if t.token_type
            .as_deref()
            .is_some_and(|k| !k.eq_ignore_ascii_case("bearer"))
        {
            return Err(malformed("token_type is not Bearer"));
        }
        self.redactor.add(&token);
        let lifetime = match t.expires_in {
            None => UNDATED_LIFETIME,
            Some(v) => {
                expires_in(&v).ok_or_else(|| malformed("expires_in is not a number of seconds"))?
            }
        };
        Ok(Issued {
            value: Secret::new(token),
            lifetime,
        })
    }

    /// The subject token, read or fetched afresh.
    async fn subject_token(&self, subject: &Subject) -> Result<Secret, ProviderError> {
        let (text, format, what) = match subject {
            Subject::File { path, format } => {
                let text = crate::files::read_regular_string(path, crate::files::MAX_TOKEN_FILE)
                    .map_err(|e| {
                        ProviderError::new(
                            ErrorKind::Auth,
                            format!(
                                "could not read the subject token file {} (credential_source.file): {e}",
                                path.display()
                            ),
                        )
                        .hint("The file must be written before purge-wait runs (GitLab: from the id_tokens variable)")
                    })?;
                (text, format.clone(), "credential_source.file")
            }
            Subject::Url {
                url,
                headers,
                format,
            } => {
                let mut request = self.http.get(url.clone());
                for (name, value) in headers {
                    request = request.header(name.as_str(), value.expose());
                }
                let what = "the subject token URL (credential_source.url)";
                let resp = http::send(request).await.map_err(|e| prefix(e, what))?;
                if resp.status != 200 {
                    let mut e = http::status_error(&resp);
                    e.message = format!("{what}: {}", e.message);
                    if !e.kind.is_retryable() {
                        e.kind = ErrorKind::Auth;
                    }
                    return Err(e);
                }
                let text = String::from_utf8(resp.body).map_err(|_| {
                    ProviderError::new(ErrorKind::Malformed, format!("{what} answered no text"))
                })?;
                (text, format.clone(), "credential_source.url")
            }
            Subject::GithubActions {
                request_url,
                request_token,
                audience,
            } => {
                let token = crate::auth::github::id_token(
                    &self.http,
                    request_url,
                    request_token,
                    audience,
                    &self.redactor,
                )
                .await?;
                return crate::auth::github::sts_subject_token(token.expose(), "OIDC token");
            }
        };
        let token = subject_from(&text, &format).map_err(|why| {
            ProviderError::new(ErrorKind::Auth, format!("{what}: {why}"))
                .hint("Check credential_source's format in the credentials file")
        })?;
        self.redactor.add(&token);
        crate::auth::github::sts_subject_token(&token, "subject token")
    }

    /// STS, then IAM Credentials when a service account is impersonated.
    async fn external(&self, x: &External) -> Result<Issued<Secret>, ProviderError> {
        let subject = self.subject_token(&x.subject).await?;
        self.redactor.add(subject.expose());
        let scope = if x.impersonation.is_some() {
            IAM_SCOPE
        } else {
            SCOPE
        };
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", TOKEN_EXCHANGE)
            .append_pair("audience", &x.audience)
            .append_pair("scope", scope)
            .append_pair("requested_token_type", ACCESS_TOKEN_TYPE)
            .append_pair("subject_token", subject.expose())
            .append_pair("subject_token_type", &x.subject_token_type);
        if let Some(project) = &x.user_project {
            let options = serde_json::json!({ "userProject": project }).to_string();
            form.append_pair("options", &options);
        }
        let mut request = self
            .http
            .post(x.token_url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form.finish());
        if let Some((id, secret)) = &x.client {
            request = request.basic_auth(id, Some(secret.expose()));
        }
        let what = "the Security Token Service";
        let resp = http::send(request).await.map_err(|e| prefix(e, what))?;
        let hint = format!(
            "Check the workload identity pool provider {} (its issuer, allowed audiences and attribute condition must accept this token)",
            x.audience
        );
        let federated = self.oauth_token(&resp, what, &hint)?;
        let Some(imp) = &x.impersonation else {
            return Ok(federated);
        };
        self.impersonate(imp, &federated.value).await
    }

    /// `generateAccessToken`.
    async fn impersonate(
        &self,
        imp: &Impersonation,
        federated: &Secret,
    ) -> Result<Issued<Secret>, ProviderError> {
        let body = serde_json::json!({
            "scope": [SCOPE],
            "lifetime": format!("{}s", imp.lifetime_secs),
        });
        let request = self
            .http
            .post(imp.url.clone())
            .bearer_auth(federated.expose())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.to_string());
        let what = "IAM Credentials generateAccessToken";
        let resp = http::send(request).await.map_err(|e| prefix(e, what))?;
        if resp.status != 200 {
            let hint = format!(
                "The federated principal needs roles/iam.workloadIdentityUser (or Service Account Token Creator) on {}, and the IAM Service Account Credentials API must be enabled",
                imp.email()
            );
            return Err(wire::token_error(&resp, what, &hint));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Generated {
            access_token: Option<String>,
            expire_time: Option<String>,
        }
        let malformed = |why: &str| {
            let mut e = ProviderError::new(
                ErrorKind::Malformed,
                format!("{what} answered no usable token ({why})"),
            );
            e.http_status = Some(resp.status);
            e
        };
        let g: Generated =
            crate::provider::json_object(&resp.body).map_err(|why| malformed(&why))?;
        let token = g
            .access_token
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed("no accessToken"))?;
        if !is_token(&token) {
            return Err(malformed("the accessToken is not a token"));
        }
        self.redactor.add(&token);
        let lifetime = match g.expire_time {
            None => UNDATED_LIFETIME,
            Some(t) => {
                let at = chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|_| malformed("expireTime is not a time"))?;
                (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
            }
        };
        Ok(Issued {
            value: Secret::new(token),
            lifetime,
        })
    }

    /// The metadata server's token for the default service account.
    async fn metadata(&self, root: &Url) -> Result<Issued<Secret>, ProviderError> {
        let mut url = root
            .join("instance/service-accounts/default/token")
            .map_err(|e| ProviderError::new(ErrorKind::Invalid, format!("metadata URL: {e}")))?;
        url.query_pairs_mut().append_pair("scopes", SCOPE);
        let request = self.http.get(url).header("Metadata-Flavor", "Google");
        let what = "the metadata server";
        let resp = match tokio::time::timeout(METADATA_TIMEOUT, http::send(request)).await {
            Ok(r) => r.map_err(|e| prefix(e, what))?,
            Err(_) => {
                return Err(ProviderError::new(
                    ErrorKind::Transient,
                    format!(
                        "{what}: no answer within {}",
                        crate::duration::format(METADATA_TIMEOUT)
                    ),
                ));
            }
        };
        if resp.header("metadata-flavor").as_deref() != Some("Google") {
            let mut e = ProviderError::new(
                ErrorKind::Malformed,
                format!(
                    "{what}: the answer does not carry Metadata-Flavor: Google, so it is not Google's metadata server"
                ),
            );
            e.http_status = Some(resp.status);
            return Err(e);
        }
        if resp.status == 404 {
            let mut e = ProviderError::new(
                ErrorKind::Auth,
                "this machine has no service account attached (the metadata server has no default one)",
            )
            .hint("Attach a service account to the VM or node pool, or give credentials another way (see the README)");
            e.http_status = Some(404);
            return Err(e);
        }
        self.oauth_token(
            &resp,
            what,
            "Check the VM's service account and its access scopes",
        )
    }

    /// A metadata server that does not answer on the first fetch means there is none: no
    /// credentials were configured.
    fn no_metadata(&self, mut e: ProviderError, root: &Url) -> ProviderError {
        if self.fetched.load(Relaxed) {
            return e;
        }
        if matches!(e.kind, ErrorKind::Transient | ErrorKind::Malformed) || e.http_status.is_some()
        {
            e.kind = ErrorKind::Auth;
        }
        e.message = format!(
            "no Google credentials: none were given, and the metadata server at {root} did not issue a token ({})",
            e.message
        );
        e.hint("Give credentials-file (GOOGLE_APPLICATION_CREDENTIALS), workload-identity-provider with service-account in GitHub Actions, or access-token; or run on Google Cloud with a service account attached")
    }
}

/// Whether an issued access token can go in an `Authorization` header as it is: no white
/// space or control characters (a header could not carry them, and the call would fail as if
/// the network had), at most 16 KiB.
fn is_token(token: &str) -> bool {
    !token.chars().any(|c| c.is_whitespace() || c.is_control()) && token.len() <= 16_384
}

fn prefix(mut e: ProviderError, what: &str) -> ProviderError {
    e.message = format!("{what}: {}", e.message);
    e
}

/// `expires_in`: a number or a string of one, in seconds (clamped to a day).
pub fn expires_in(v: &serde_json::Value) -> Option<Duration> {
    let secs = match v {
        serde_json::Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && *f >= 0.0)
                .map(|f| f.min(86_400.0) as u64)
        })?,
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok()?,
        _ => return None,
    };
    Some(Duration::from_secs(secs.min(86_400)))
}

/// Refuses JSON that gives a key twice in any object (at any depth), as every answer is read:
/// `{"token_uri": "…", "token_uri": "…"}` is neither value, never the last one silently. The
/// error names the key, never a value (a credentials file holds a private key).
pub fn no_duplicate_keys(text: &[u8]) -> Result<(), String> {
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

    struct Strict;
    struct StrictVisitor;

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StrictVisitor)
        }
    }

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Strict;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_unit<E>(self) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
            while seq.next_element::<Strict>()?.is_some() {}
            Ok(Strict)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(de::Error::custom(format!("key {key:?} is given twice")));
                }
                map.next_value::<Strict>()?;
            }
            Ok(Strict)
        }
    }

    serde_json::from_slice::<Strict>(text)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The subject token of a file's or URL's text: all of it (`text`), or a JSON object's field
/// (`json`).
pub fn subject_from(text: &str, format: &Format) -> Result<String, String> {
    let token = match format {
        Format::Text => text.trim().to_string(),
        Format::Json(field) => {
            no_duplicate_keys(text.as_bytes())
                .map_err(|e| format!("is not a JSON object ({e})"))?;
            let value: serde_json::Value = crate::provider::json_object(text.as_bytes())
                .map_err(|e| format!("is not a JSON object ({e})"))?;
            match value.get(field) {
                Some(serde_json::Value::String(s)) => s.trim().to_string(),
                Some(_) => return Err(format!("field {field:?} is not a string")),
                None => return Err(format!("has no field {field:?}")),
            }
        }
    };
    if token.is_empty() {
        return Err("holds no subject token".into());
    }
    Ok(token)
}
