//! Alibaba Cloud credentials: a static AccessKey (with an optional STS token), or temporary
//! credentials from STS `AssumeRoleWithOIDC`, refreshed before they expire.
//!
//! [`crate::config`] picks the source in the order the official tools use
//! (`shared/docs/alibaba-signing.md` §4): the `access-key-id` / `access-key-secret` /
//! `security-token` inputs (which also read `ALIBABA_CLOUD_ACCESS_KEY_ID`,
//! `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, `ALIBABA_CLOUD_SECURITY_TOKEN`), then OIDC role
//! assumption (`role-arn`, `oidc-provider-arn` and a token from `oidc-token-file` or, in
//! GitHub Actions, the job's own OIDC token for audience `sts.aliyuncs.com`).
//!
//! `AssumeRoleWithOIDC` is anonymous (no signature): `POST {sts}/?Action=AssumeRoleWithOIDC&
//! Format=JSON&Version=2015-04-01&Timestamp=…` with the role, the provider and the token in
//! a form body (the token can be 20 000 characters, too long for a URL). The answer's
//! `Credentials.{AccessKeyId, AccessKeySecret, SecurityToken, Expiration}` are cached and
//! fetched again before `Expiration` (15 minutes before, or a quarter of the lifetime when
//! that is shorter); the OIDC token is read afresh for each exchange, since token files are
//! rotated and GitHub's tokens are short-lived.
//!
//! Every secret that passes through here — the OIDC token, the issued secret and security
//! token — is registered with the [`Redactor`] the reporters share, before it is used.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use crate::auth::cache::{Issued, TokenCache};
use crate::http::{self, Response};
use crate::provider::alibaba::acs3;
use crate::provider::alibaba::{self, ErrorBody};
use crate::provider::{ErrorKind, ProviderError};
use crate::secret::{Redactor, Secret};

/// The default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.aliyuncs.com";
/// The STS API version.
pub const STS_VERSION: &str = "2015-04-01";
/// The audience of the GitHub OIDC token, as `aliyun/configure-aliyun-credentials-action`.
pub const DEFAULT_AUDIENCE: &str = "sts.aliyuncs.com";
/// The lifetime asked of STS (its default; the minimum is 900 s).
pub const SESSION_SECONDS: u64 = 3600;

/// An AccessKey pair, with its STS token when it is temporary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `Credential=` in `Authorization`; not secret.
    pub id: String,
    /// The signing key.
    pub secret: Secret,
    /// Sent as `x-acs-security-token` when present.
    pub token: Option<Secret>,
}

impl AccessKey {
    /// The view the signer takes.
    pub fn as_acs3(&self) -> acs3::Credentials<'_> {
        acs3::Credentials {
            access_key_id: &self.id,
            access_key_secret: self.secret.expose(),
            security_token: self.token.as_ref().map(Secret::expose),
        }
    }
}

/// Where the credentials come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// An AccessKey given as inputs or environment variables.
    Static(AccessKey),
    /// STS `AssumeRoleWithOIDC` (boxed: it is much larger than a key).
    Oidc(Box<OidcRole>),
}

/// What `AssumeRoleWithOIDC` needs.
#[derive(Debug, Clone)]
pub struct OidcRole {
    /// `acs:ram::<uid>:role/<name>`.
    pub role_arn: String,
    /// `acs:ram::<uid>:oidc-provider/<name>`.
    pub oidc_provider_arn: String,
    /// `RoleSessionName` (2-64 characters of `[A-Za-z0-9.@_-]`).
    pub session_name: String,
    /// The STS base URL.
    pub sts_endpoint: Url,
    /// Where the OIDC token comes from.
    pub token: TokenSource,
}

/// Where the OIDC token comes from: the one reader every token-exchanging folder shares.
pub use crate::auth::subject::SubjectToken as TokenSource;

/// Hands out credentials for each request, exchanging an OIDC token when needed.
pub struct Credentials {
    source: Source,
    http: reqwest::Client,
    redactor: Redactor,
    cache: TokenCache<AccessKey>,
}

impl Credentials {
    /// Credentials from `source`; secrets met on the way are registered with `redactor`.
    pub fn new(source: Source, http: reqwest::Client, redactor: Redactor) -> Self {
        if let Source::Static(key) = &source {
            redactor.add(key.secret.expose());
            if let Some(t) = &key.token {
                redactor.add(t.expose());
            }
        }
        if let Source::Oidc(role) = &source {
            if let TokenSource::GithubActions { request_token, .. } = &role.token {
                redactor.add(request_token.expose());
            }
        }
        Credentials {
            source,
            http,
            redactor,
            cache: TokenCache::new(),
        }
    }

    /// The same credentials on the cache clock `clock` (tests shift it).
    #[cfg(test)]
    pub fn with_clock(mut self, clock: crate::auth::cache::Clock) -> Self {
        self.cache = TokenCache::with_clock(clock);
        self
    }

    /// The credentials to sign the next request with. With OIDC, the first call and any call
    /// after the refresh time exchange a fresh token; concurrent callers wait for one
    /// exchange. A failed refresh falls back to the cached credentials while they have more
    /// than 30 s left (see [`TokenCache::get`]).
    pub async fn get(&self) -> Result<AccessKey, ProviderError> {
        let role = match &self.source {
            Source::Static(key) => return Ok(key.clone()),
            Source::Oidc(role) => role,
        };
        self.cache.get(|| self.assume_role(role)).await
    }

    /// Reads the OIDC token and exchanges it with STS.
    async fn assume_role(&self, role: &OidcRole) -> Result<Issued<AccessKey>, ProviderError> {
        let token = self.oidc_token(&role.token).await?;
        self.redactor.add(token.expose());
        let mut url = role.sts_endpoint.clone();
        let query = [
            ("Action", "AssumeRoleWithOIDC"),
            ("Format", "JSON"),
            ("Version", STS_VERSION),
            ("Timestamp", &acs3::format_date(Utc::now())),
        ];
        url.set_query(Some(&acs3::canonical_query_string(&query)));
        let duration = SESSION_SECONDS.to_string();
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("DurationSeconds", &duration)
            .append_pair("OIDCProviderArn", &role.oidc_provider_arn)
            .append_pair("OIDCToken", token.expose())
            .append_pair("RoleArn", &role.role_arn)
            .append_pair("RoleSessionName", &role.session_name)
            .finish();
        let request = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body);
        let resp = http::send(request).await.map_err(|mut e| {
            e.message = format!("STS AssumeRoleWithOIDC: {}", e.message);
            e
        })?;
        let (key, expires_at) = interpret_sts(&resp)?;
        self.redactor.add(key.secret.expose());
        if let Some(t) = &key.token {
            self.redactor.add(t.expose());
        }
        let lifetime = (expires_at - Utc::now()).to_std().unwrap_or_default();
        Ok(Issued {
            value: key,
            lifetime,
        })
    }

    async fn oidc_token(&self, source: &TokenSource) -> Result<Secret, ProviderError> {
        source
            .read(
                &self.http,
                &self.redactor,
                "OIDC token",
                "Check oidc-token-file (ALIBABA_CLOUD_OIDC_TOKEN_FILE)",
            )
            .await
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsAnswer {
    credentials: Option<StsCredentials>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: Option<String>,
    access_key_secret: Option<String>,
    security_token: Option<String>,
    expiration: Option<String>,
}

/// The issued credentials and their expiry, or why not.
fn interpret_sts(resp: &Response) -> Result<(AccessKey, DateTime<Utc>), ProviderError> {
    let error: Option<ErrorBody> = serde_json::from_slice(&resp.body).ok();
    let ok = resp.status == 200;
    if !ok || error.as_ref().is_some_and(|e| e.code.is_some()) {
        return Err(sts_error(resp, error.unwrap_or_default()));
    }
    let malformed = || {
        let mut e = ProviderError::new(
            ErrorKind::Malformed,
            "the STS AssumeRoleWithOIDC answer has no complete Credentials",
        );
        e.http_status = Some(resp.status);
        e
    };
    let answer: StsAnswer = serde_json::from_slice(&resp.body).map_err(|_| malformed())?;
    let c = answer.credentials.ok_or_else(malformed)?;
    let (Some(id), Some(secret), Some(token)) =
        (c.access_key_id, c.access_key_secret, c.security_token)
    else {
        return Err(malformed());
    };
    if id.is_empty() || secret.is_empty() || token.is_empty() {
        return Err(malformed());
    }
    let expires_at = c
        .expiration
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(malformed)?;
    Ok((
        AccessKey {
            id,
            secret: Secret::new(secret),
            token: Some(Secret::new(token)),
        },
        expires_at,
    ))
}

/// An STS refusal: throttling and 5xx are retried; anything else is a credentials problem.
fn sts_error(resp: &Response, body: ErrorBody) -> ProviderError {
    let code = body.code.clone().unwrap_or_default();
    let kind = if code.starts_with("Throttling") || resp.status == 429 {
        ErrorKind::Throttled
    } else if resp.status >= 500 || code == "ServiceUnavailable" || code == "InternalError" {
        ErrorKind::Transient
    } else {
        ErrorKind::Auth
    };
    let message = body
        .message
        .clone()
        .unwrap_or_else(|| format!("HTTP {}", resp.status));
    let hint = if kind == ErrorKind::Auth {
        "Check role-arn and oidc-provider-arn, the role's trust policy (it must trust the OIDC provider and the token's subject) and that the provider's client ids include the token's audience"
    } else {
        "STS was busy; the exchange is retried"
    };
    let mut e =
        ProviderError::new(kind, format!("STS AssumeRoleWithOIDC refused: {message}")).hint(hint);
    if !code.is_empty() {
        e.code = Some(code);
    }
    alibaba::with_response(e, resp, body.recommend.as_deref(), body.request_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn sts_answer_gives_temporary_credentials() {
        let body = r#"{"RequestId":"r-1","AssumedRoleUser":{"AssumedRoleId":"x","Arn":"y"},
            "Credentials":{"AccessKeyId":"STS.id","AccessKeySecret":"sts-secret","SecurityToken":"sts-token","Expiration":"2030-01-02T03:04:05Z"}}"#;
        let (key, exp) = interpret_sts(&resp(200, body)).unwrap();
        assert_eq!(key.id, "STS.id");
        assert_eq!(key.secret.expose(), "sts-secret");
        assert_eq!(key.token.as_ref().unwrap().expose(), "sts-token");
        assert_eq!(exp.to_rfc3339(), "2030-01-02T03:04:05+00:00");
    }

    #[test]
    fn incomplete_sts_answers_are_malformed() {
        for body in [
            "",
            "{}",
            r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"b","Expiration":"2030-01-02T03:04:05Z"}}"#,
            r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c"}}"#,
            r#"{"Credentials":{"AccessKeyId":"a","AccessKeySecret":"b","SecurityToken":"c","Expiration":"soon"}}"#,
        ] {
            let e = interpret_sts(&resp(200, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
        }
    }

    #[test]
    fn sts_refusals_are_auth_and_throttling_is_retried() {
        let body = r#"{"RequestId":"r-2","HostId":"sts.aliyuncs.com","Code":"AuthenticationFail.OIDCToken.Invalid","Message":"OIDC token is invalid.","Recommend":"https://api.aliyun.com/troubleshoot?q=x"}"#;
        let e = interpret_sts(&resp(400, body)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(
            e.code.as_deref(),
            Some("AuthenticationFail.OIDCToken.Invalid")
        );
        assert_eq!(e.request_id, Some(("RequestId", "r-2".into())));
        let text = e.to_string();
        assert!(text.contains("role-arn"), "{text}");
        assert!(
            text.contains("https://api.aliyun.com/troubleshoot?q=x"),
            "{text}"
        );
        let body = r#"{"Code":"Throttling.User","Message":"slow down"}"#;
        assert_eq!(
            interpret_sts(&resp(400, body)).unwrap_err().kind,
            ErrorKind::Throttled
        );
        assert_eq!(
            interpret_sts(&resp(503, "oops")).unwrap_err().kind,
            ErrorKind::Transient
        );
    }

    #[tokio::test]
    async fn static_keys_are_handed_out_and_registered() {
        let redactor = Redactor::default();
        let key = AccessKey {
            id: "LTAIexample".into(),
            secret: Secret::new("static-secret"),
            token: Some(Secret::new("static-token")),
        };
        let creds = Credentials::new(
            Source::Static(key.clone()),
            reqwest::Client::new(),
            redactor.clone(),
        );
        assert_eq!(creds.get().await.unwrap(), key);
        assert_eq!(redactor.clean("static-secret static-token"), "*** ***");
    }

    static CLOCK_OFFSET_SECS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

    fn shifted_clock() -> tokio::time::Instant {
        let offset = CLOCK_OFFSET_SECS.load(std::sync::atomic::Ordering::SeqCst);
        crate::duration::after(
            tokio::time::Instant::now(),
            std::time::Duration::from_secs(offset.max(0) as u64),
        )
    }

    fn set_offset(minutes: i64, seconds: i64) {
        CLOCK_OFFSET_SECS.store(minutes * 60 + seconds, std::sync::atomic::Ordering::SeqCst);
    }

    #[tokio::test]
    async fn sts_credentials_are_cached_refreshed_early_and_kept_while_valid() {
        use crate::provider::alibaba::sim::{self as simali, AlibabaSim};
        use crate::sim::{Fault, Simulator};
        let sim = Simulator::start(
            AlibabaSim::new(simali::Setup::default()),
            "127.0.0.1:0".parse().unwrap(),
            false,
        )
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, simali::DEMO_OIDC_TOKEN).unwrap();
        let redactor = Redactor::default();
        let creds = Credentials::new(
            Source::Oidc(Box::new(OidcRole {
                role_arn: simali::DEMO_ROLE_ARN.into(),
                oidc_provider_arn: simali::DEMO_OIDC_PROVIDER_ARN.into(),
                session_name: "purge-wait".into(),
                sts_endpoint: Url::parse(&sim.url()).unwrap(),
                token: TokenSource::File(token_file),
            })),
            reqwest::Client::new(),
            redactor.clone(),
        )
        .with_clock(shifted_clock);
        set_offset(0, 0);
        let first = creds.get().await.unwrap();
        assert!(first.id.starts_with("STS."));
        assert_eq!(creds.get().await.unwrap(), first, "cached");
        assert_eq!(sim.requests().len(), 1);
        // Everything STS issued, and the token, are redacted from then on.
        let token = first.token.as_ref().unwrap().expose().to_string();
        let line = format!(
            "{} {} {}",
            token,
            first.secret.expose(),
            simali::DEMO_OIDC_TOKEN
        );
        assert_eq!(redactor.clean(&line), "*** *** ***");

        // 56 minutes on (the credentials last 60): past the refresh time (5 minutes before
        // expiry). STS fails, so the still-valid credentials are kept.
        set_offset(56, 0);
        sim.inject([Fault::ServerError]);
        assert_eq!(creds.get().await.unwrap(), first, "kept while valid");
        assert_eq!(sim.requests().len(), 2, "a refresh was tried");
        // Next call tries again and succeeds with new credentials.
        let second = creds.get().await.unwrap();
        assert_ne!(second.id, first.id);
        assert_eq!(sim.requests().len(), 3);

        // Within 30 s of the second credentials' expiry (fetched at 56 minutes) a failed
        // refresh is an error, never stale credentials.
        set_offset(56 + 59, 45);
        sim.inject([Fault::ServerError]);
        let e = creds.get().await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Transient);
        set_offset(0, 0);
    }

    #[tokio::test]
    async fn an_unreadable_token_file_is_an_auth_error() {
        let creds = Credentials::new(
            Source::Oidc(Box::new(OidcRole {
                role_arn: "acs:ram::1:role/r".into(),
                oidc_provider_arn: "acs:ram::1:oidc-provider/p".into(),
                session_name: "purge-wait".into(),
                sts_endpoint: Url::parse("http://127.0.0.1:9").unwrap(),
                token: TokenSource::File("/nonexistent/token".into()),
            })),
            reqwest::Client::new(),
            Redactor::default(),
        );
        let e = creds.get().await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(e.to_string().contains("oidc-token-file"), "{e}");
    }
}
