//! Tencent Cloud credentials: a SecretId / SecretKey pair (with a session token when it is
//! temporary), or temporary credentials from STS `AssumeRoleWithWebIdentity`, refreshed
//! before they expire.
//!
//! [`super::inputs`] picks the source as tccli and the SDKs do (`docs/research/tencent.md`
//! §5): the `secret-id` / `secret-key` / `session-token` inputs (also
//! `TENCENTCLOUD_SECRET_ID`, `TENCENTCLOUD_SECRET_KEY`, and the token as
//! `TENCENTCLOUD_SESSION_TOKEN`, tccli's `TENCENTCLOUD_TOKEN` or terraform's
//! `TENCENTCLOUD_SECURITY_TOKEN`), then OIDC role assumption (`role-arn`,
//! `oidc-provider-id` and a token from `oidc-token-file` or, in GitHub Actions, the job's own
//! OIDC token for audience `sts.tencentcloudapi.com`; the TKE variables `TKE_ROLE_ARN`,
//! `TKE_PROVIDER_ID`, `TKE_WEB_IDENTITY_TOKEN_FILE`, `TKE_REGION` as the SDKs read them).
//!
//! `AssumeRoleWithWebIdentity` (STS `2018-08-13`) is unsigned: `Authorization: SKIP`, the
//! `X-TC-*` headers with a required `X-TC-Region`, and a JSON body with the role, the
//! provider, the token and the session name. The answer's `Credentials.{TmpSecretId,
//! TmpSecretKey, Token}` are cached until shortly before `ExpiredTime`
//! ([`crate::auth::cache::TokenCache`]); the OIDC token is read afresh for each exchange.
//! Every secret met here is registered with the [`Redactor`] before it is used.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use url::Url;

use super::read;
use crate::auth::cache::{Issued, TokenCache};
use crate::http;
use crate::provider::{ErrorKind, ProviderError};
use crate::secret::{Redactor, Secret};

/// The default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com";
/// The STS API version.
pub const STS_VERSION: &str = "2018-08-13";
/// The STS action.
pub const STS_ACTION: &str = "AssumeRoleWithWebIdentity";
/// The audience of the GitHub OIDC token (as the community action uses).
pub const DEFAULT_AUDIENCE: &str = "sts.tencentcloudapi.com";
/// The region STS is asked in when none is given (the SDKs' default).
pub const DEFAULT_STS_REGION: &str = "ap-guangzhou";
/// The lifetime asked of STS (its default).
pub const SESSION_SECONDS: u64 = 7200;

/// A key pair, with its session token when it is temporary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// `Credential=` in `Authorization`; not secret.
    pub secret_id: String,
    /// The signing key.
    pub secret_key: Secret,
    /// Sent as `X-TC-Token` when present.
    pub token: Option<Secret>,
}

/// Where the credentials come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A key pair given as inputs or environment variables.
    Static(Keys),
    /// STS `AssumeRoleWithWebIdentity` (boxed: it is much larger than a key).
    Oidc(Box<OidcRole>),
}

impl Source {
    /// Where the keys came from, for an error's hint.
    pub fn describe(&self) -> &'static str {
        match self {
            Source::Static(k) if k.token.is_some() => {
                "secret-id, secret-key and session-token (temporary keys that cannot be renewed here)"
            }
            Source::Static(_) => "secret-id and secret-key",
            Source::Oidc(_) => "STS AssumeRoleWithWebIdentity (role-arn, oidc-provider-id)",
        }
    }
}

/// What `AssumeRoleWithWebIdentity` needs.
#[derive(Debug, Clone)]
pub struct OidcRole {
    /// `qcs::cam::uin/<uin>:roleName/<name>`.
    pub role_arn: String,
    /// The CAM OIDC identity provider's name (`ProviderId`).
    pub provider_id: String,
    /// `RoleSessionName`.
    pub session_name: String,
    /// The STS base URL.
    pub sts_endpoint: Url,
    /// `X-TC-Region` of the STS call.
    pub region: String,
    /// Where the OIDC token comes from.
    pub token: TokenSource,
}

/// Where the OIDC token comes from: the one reader every token-exchanging folder shares.
pub use crate::auth::subject::SubjectToken as TokenSource;

/// Hands out keys for each request, exchanging an OIDC token when needed.
pub struct Credentials {
    source: Source,
    http: reqwest::Client,
    redactor: Redactor,
    cache: TokenCache<Keys>,
}

impl Credentials {
    /// Credentials from `source`; secrets met on the way are registered with `redactor`.
    pub fn new(source: Source, http: reqwest::Client, redactor: Redactor) -> Self {
        match &source {
            Source::Static(keys) => {
                redactor.add(keys.secret_key.expose());
                if let Some(t) = &keys.token {
                    redactor.add(t.expose());
                }
            }
            Source::Oidc(role) => {
                if let TokenSource::GithubActions { request_token, .. } = &role.token {
                    redactor.add(request_token.expose());
                }
            }
        }
        Credentials {
            source,
            http,
            redactor,
            cache: TokenCache::new(),
        }
    }

    /// The source in use.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Whether refused keys can be replaced by fresh ones (only STS credentials can).
    pub fn can_refresh(&self) -> bool {
        matches!(self.source, Source::Oidc(_))
    }

    /// The keys to sign the next request with: the given ones, or STS credentials that are
    /// not about to expire (see [`TokenCache::get`]).
    pub async fn get(&self) -> Result<Keys, ProviderError> {
        match &self.source {
            Source::Static(keys) => Ok(keys.clone()),
            Source::Oidc(role) => self.cache.get(|| self.assume_role(role)).await,
        }
    }

    /// Fresh keys because `refused` was refused (`AuthFailure.TokenFailure`), unless another
    /// call already replaced them.
    pub async fn refresh(&self, refused: &Keys) -> Result<Keys, ProviderError> {
        match &self.source {
            Source::Static(keys) => Ok(keys.clone()),
            Source::Oidc(role) => self.cache.replace(refused, || self.assume_role(role)).await,
        }
    }

    /// Reads the OIDC token and exchanges it with STS.
    async fn assume_role(&self, role: &OidcRole) -> Result<Issued<Keys>, ProviderError> {
        let token = self.oidc_token(&role.token).await?;
        self.redactor.add(token.expose());
        let body = serde_json::json!({
            "ProviderId": role.provider_id,
            "WebIdentityToken": token.expose(),
            "RoleArn": role.role_arn,
            "RoleSessionName": role.session_name,
            "DurationSeconds": SESSION_SECONDS,
        })
        .to_string();
        let now = unix_now();
        let request = self
            .http
            .post(role.sts_endpoint.clone())
            .header(reqwest::header::AUTHORIZATION, "SKIP")
            .header(reqwest::header::CONTENT_TYPE, super::sign::CONTENT_TYPE)
            .header("X-TC-Action", STS_ACTION)
            .header("X-TC-Version", STS_VERSION)
            .header("X-TC-Region", role.region.as_str())
            .header("X-TC-Timestamp", now.to_string())
            .body(body);
        let resp = http::send(request).await.map_err(|mut e| {
            e.message = format!("STS {STS_ACTION}: {}", e.message);
            e
        })?;
        let (keys, expires) = interpret_sts(&resp)?;
        self.redactor.add(keys.secret_key.expose());
        if let Some(t) = &keys.token {
            self.redactor.add(t.expose());
        }
        let lifetime = u64::try_from(expires.saturating_sub(now)).unwrap_or(0);
        Ok(Issued {
            value: keys,
            lifetime: Duration::from_secs(lifetime),
        })
    }

    async fn oidc_token(&self, source: &TokenSource) -> Result<Secret, ProviderError> {
        source
            .read(
                &self.http,
                &self.redactor,
                "OIDC token",
                "Check oidc-token-file (TKE_WEB_IDENTITY_TOKEN_FILE)",
            )
            .await
    }
}

/// Seconds since the Unix epoch (0 before it).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsAnswer {
    credentials: Option<StsCredentials>,
    expired_time: Option<i64>,
    expiration: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    token: Option<String>,
    tmp_secret_id: Option<String>,
    tmp_secret_key: Option<String>,
}

/// The issued keys and their expiry (Unix seconds), or why not.
fn interpret_sts(resp: &http::Response) -> Result<(Keys, i64), ProviderError> {
    let (answer, request_id) = read::<StsAnswer>(resp, STS_ACTION).map_err(sts_error)?;
    let malformed = || {
        let e = ProviderError::new(
            ErrorKind::Malformed,
            format!("the STS {STS_ACTION} answer has no complete Credentials and ExpiredTime"),
        );
        super::with_request_id(e, request_id.clone())
    };
    let c = answer.credentials.ok_or_else(malformed)?;
    let (Some(id), Some(key), Some(token)) = (c.tmp_secret_id, c.tmp_secret_key, c.token) else {
        return Err(malformed());
    };
    if id.trim().is_empty() || key.is_empty() || token.is_empty() {
        return Err(malformed());
    }
    let expires = match (answer.expired_time, answer.expiration.as_deref()) {
        (Some(t), _) => t,
        (None, Some(text)) => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| malformed())?
            .timestamp(),
        (None, None) => return Err(malformed()),
    };
    Ok((
        Keys {
            secret_id: id.trim().to_string(),
            secret_key: Secret::new(key),
            token: Some(Secret::new(token)),
        },
        expires,
    ))
}

/// An STS refusal: throttling (`RequestLimitExceeded`, `InvalidParameter.OverLimit`) and
/// server faults are retried; anything else is a credentials problem.
fn sts_error(mut e: ProviderError) -> ProviderError {
    let code = e.code.clone().unwrap_or_default();
    if e.code.is_none() {
        // Not the API's refusal: a body that did not parse, or an HTTP status. Its text (a
        // snippet of the body, serde's quote of a value) may hold the very credentials
        // that could not be read, so none of it is shown.
        e.message = match e.http_status {
            Some(status) => format!("STS {STS_ACTION} answered HTTP {status}"),
            None => format!("the STS {STS_ACTION} answer is not the JSON expected"),
        };
        e.hint = Some("The body is not shown: it may hold credentials".into());
        return e;
    }
    if code == "InvalidParameter.OverLimit" {
        e.kind = ErrorKind::Throttled;
    }
    if matches!(
        e.kind,
        ErrorKind::Throttled | ErrorKind::Transient | ErrorKind::Malformed
    ) {
        e.message = format!("STS {STS_ACTION}: {}", e.message);
        return e;
    }
    e.kind = ErrorKind::Auth;
    e.message = format!("STS {STS_ACTION} refused: {}", e.message);
    e.hint = Some(
        "Check role-arn (qcs::cam::uin/<uin>:roleName/<name>) and oidc-provider-id (the CAM OIDC identity provider's name), the role's trust policy (it must trust the provider and the token's subject) and that the provider's client ids include the token's audience".into(),
    );
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderMap;

    fn resp(status: u16, body: &str) -> http::Response {
        http::Response {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_sts_answer_gives_temporary_keys() {
        let body = r#"{"Response":{"ExpiredTime":1543914376,"Expiration":"2018-12-04T09:06:16Z","Credentials":{"Token":"tok","TmpSecretId":"AKIDtmp","TmpSecretKey":"tmpkey"},"RequestId":"f6e7"}}"#;
        let (keys, exp) = interpret_sts(&resp(200, body)).unwrap();
        assert_eq!(keys.secret_id, "AKIDtmp");
        assert_eq!(keys.secret_key.expose(), "tmpkey");
        assert_eq!(keys.token.as_ref().unwrap().expose(), "tok");
        assert_eq!(exp, 1543914376);
        let body = r#"{"Response":{"Expiration":"2018-12-04T09:06:16Z","Credentials":{"Token":"t","TmpSecretId":"a","TmpSecretKey":"b"}}}"#;
        assert_eq!(interpret_sts(&resp(200, body)).unwrap().1, 1543914376);
    }

    #[test]
    fn incomplete_sts_answers_are_malformed() {
        for body in [
            "",
            "{}",
            r#"{"Response":{}}"#,
            r#"{"Response":{"ExpiredTime":1,"Credentials":{"TmpSecretId":"a","TmpSecretKey":"b"}}}"#,
            r#"{"Response":{"Credentials":{"Token":"t","TmpSecretId":"a","TmpSecretKey":"b"}}}"#,
            r#"{"Response":{"Expiration":"soon","Credentials":{"Token":"t","TmpSecretId":"a","TmpSecretKey":"b"}}}"#,
            r#"{"Response":{"ExpiredTime":1,"ExpiredTime":2,"Credentials":{"Token":"t","TmpSecretId":"a","TmpSecretKey":"b"}}}"#,
        ] {
            let e = interpret_sts(&resp(200, body)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{body}");
        }
    }

    #[test]
    fn a_malformed_sts_answer_never_shows_the_credentials_it_holds() {
        let secret = "stsTmpSecretKeyXYZ";
        for (status, body) in [
            (
                200,
                r#"{"Response":{"ExpiredTime":1,"ExpiredTime":2,"Credentials":{"Token":"stsTmpSecretKeyXYZ","TmpSecretId":"a","TmpSecretKey":"stsTmpSecretKeyXYZ"}}}"#,
            ),
            (
                200,
                r#"{"Response":{"ExpiredTime":1,"Credentials":"stsTmpSecretKeyXYZ"}}"#,
            ),
            (
                200,
                r#"{"Response":{"ExpiredTime":1,"Credentials":{"Token":["stsTmpSecretKeyXYZ"]}}}"#,
            ),
            (
                502,
                r#"{"Response":{"ExpiredTime":1,"Credentials":{"Token":"t","TmpSecretId":"a","TmpSecretKey":"stsTmpSecretKeyXYZ"}}}"#,
            ),
        ] {
            let e = interpret_sts(&resp(status, body)).unwrap_err();
            assert!(e.kind.is_retryable(), "{body}: {e}");
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(secret), "{body}: {shown}");
        }
    }

    #[test]
    fn sts_refusals_are_auth_and_throttling_is_retried() {
        let body = r#"{"Response":{"Error":{"Code":"InvalidParameter.WebIdentityTokenError","Message":"bad token"},"RequestId":"r-2"}}"#;
        let e = interpret_sts(&resp(200, body)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(
            e.code.as_deref(),
            Some("InvalidParameter.WebIdentityTokenError")
        );
        assert_eq!(e.request_id, Some(("RequestId", "r-2".into())));
        assert!(e.to_string().contains("role-arn"), "{e}");
        for code in ["RequestLimitExceeded", "InvalidParameter.OverLimit"] {
            let body = format!(
                r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"slow"}},"RequestId":"r"}}}}"#
            );
            assert_eq!(
                interpret_sts(&resp(200, &body)).unwrap_err().kind,
                ErrorKind::Throttled,
                "{code}"
            );
        }
        let body = r#"{"Response":{"Error":{"Code":"InternalError.SystemError","Message":"x"}}}"#;
        assert_eq!(
            interpret_sts(&resp(200, body)).unwrap_err().kind,
            ErrorKind::Transient
        );
        assert_eq!(
            interpret_sts(&resp(503, "oops")).unwrap_err().kind,
            ErrorKind::Transient
        );
    }

    #[tokio::test]
    async fn static_keys_are_handed_out_and_registered() {
        let redactor = Redactor::default();
        let keys = Keys {
            secret_id: "AKIDexample".into(),
            secret_key: Secret::new("static-secret-key"),
            token: Some(Secret::new("static-session-token")),
        };
        let creds = Credentials::new(
            Source::Static(keys.clone()),
            reqwest::Client::new(),
            redactor.clone(),
        );
        assert_eq!(creds.get().await.unwrap(), keys);
        assert!(!creds.can_refresh());
        assert_eq!(
            redactor.clean("static-secret-key static-session-token"),
            "*** ***"
        );
    }
}
