//! Microsoft Entra ID access tokens for Azure Resource Manager, without an SDK.
//!
//! Protocol (`shared/docs/azure-arm.md` §4):
//! - client credentials: `POST {authority}/{tenant}/oauth2/v2.0/token` with the form
//!   `grant_type=client_credentials&client_id=…&scope={arm}/.default` and either
//!   `client_secret=…` or `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer&client_assertion=<JWT>`;
//!   success `{"token_type":"Bearer","expires_in":3599,"access_token":"…"}`, failure
//!   `{"error","error_description":"AADSTS…","error_codes","trace_id","correlation_id"}`;
//! - the assertion (workload identity federation) is read afresh from
//!   `AZURE_FEDERATED_TOKEN_FILE`, or fetched afresh from GitHub Actions:
//!   `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=…` with
//!   `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` → `{"value":"<JWT>"}`;
//! - an access token given as is (`access-token`, `AZURE_ACCESS_TOKEN`) is used until ARM
//!   refuses it; it cannot be refreshed.
//!
//! Tokens are cached and replaced when less than [`refresh_margin`](crate::auth::refresh::refresh_margin) of their life is left, so a
//! wait longer than a token's life (Entra: about an hour) never sends an expired one. Every
//! token and assertion is registered with the shared redactor the moment it is learnt.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use url::Url;

use crate::auth::cache::{Issued, TokenCache};
use crate::http::{self, Response};
use crate::provider::{ErrorKind, ProviderError};
use crate::secret::{Redactor, Secret};

/// `client_assertion_type` of a federated credential.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub use crate::provider::azure_common::Cloud;

/// How to get an access token.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A token given as is; used until refused.
    AccessToken(Secret),
    /// An app registration's client secret.
    ClientSecret {
        /// Directory (tenant) id or domain.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The secret value.
        secret: Secret,
    },
    /// Workload identity federation from a file holding the external token (Kubernetes,
    /// any CI system that writes one); the file is read again for each new access token.
    FederatedTokenFile {
        /// Directory (tenant) id or domain.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// The file.
        path: PathBuf,
    },
    /// Workload identity federation with the GitHub Actions job's OIDC token, fetched afresh
    /// for each new access token.
    GithubOidc {
        /// Directory (tenant) id or domain.
        tenant_id: String,
        /// Application (client) id.
        client_id: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        request_url: Url,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: Secret,
        /// The audience to ask for (`api://AzureADTokenExchange` or the cloud's).
        audience: String,
    },
}

impl Credential {
    /// A short name for messages: `access-token`, `client secret`, …
    pub fn flow(&self) -> &'static str {
        match self {
            Credential::AccessToken(_) => "access token",
            Credential::ClientSecret { .. } => "client secret",
            Credential::FederatedTokenFile { .. } => "federated token file",
            Credential::GithubOidc { .. } => "GitHub OIDC",
        }
    }

    fn tenant_and_client(&self) -> Option<(&str, &str)> {
        match self {
            Credential::AccessToken(_) => None,
            Credential::ClientSecret {
                tenant_id,
                client_id,
                ..
            }
            | Credential::FederatedTokenFile {
                tenant_id,
                client_id,
                ..
            }
            | Credential::GithubOidc {
                tenant_id,
                client_id,
                ..
            } => Some((tenant_id, client_id)),
        }
    }
}

/// Everything needed to get tokens, validated by [`crate::config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// The authority host (`https://login.microsoftonline.com`, an override, a simulator).
    pub authority: Url,
    /// The scope to ask for, e.g. `https://management.azure.com/.default`.
    pub scope: String,
    /// How.
    pub credential: Credential,
}

impl Settings {
    /// `{authority}/{tenant}/oauth2/v2.0/token`, when the credential uses the token endpoint.
    pub fn token_url(&self) -> Option<Url> {
        let (tenant, _) = self.credential.tenant_and_client()?;
        let mut url = self.authority.clone();
        url.set_query(None);
        url.path_segments_mut()
            .expect("authority is an http(s) URL")
            .pop_if_empty()
            .extend([tenant, "oauth2", "v2.0", "token"]);
        Some(url)
    }
}

/// Gets, caches and refreshes access tokens. Shared by every concurrent status call: one
/// fetch at a time, the others wait for its token.
pub struct TokenSource {
    settings: Settings,
    http: reqwest::Client,
    redactor: Redactor,
    cache: TokenCache<Secret>,
}

impl TokenSource {
    /// A token source; registers the secrets it holds with `redactor` at once.
    pub fn new(settings: Settings, http: reqwest::Client, redactor: Redactor) -> Self {
        match &settings.credential {
            Credential::AccessToken(t) => redactor.add(t.expose()),
            Credential::ClientSecret { secret, .. } => redactor.add(secret.expose()),
            Credential::GithubOidc { request_token, .. } => redactor.add(request_token.expose()),
            Credential::FederatedTokenFile { .. } => {}
        }
        TokenSource {
            settings,
            http,
            redactor,
            cache: TokenCache::new(),
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether a refused token can be replaced (not for a token given as is).
    pub fn can_refresh(&self) -> bool {
        !matches!(self.settings.credential, Credential::AccessToken(_))
    }

    /// A token that is not about to expire: the cached one, or a new one. A failed refresh
    /// keeps the cached token while it is still valid (see [`TokenCache::get`]).
    pub async fn token(&self) -> Result<Secret, ProviderError> {
        if let Credential::AccessToken(t) = &self.settings.credential {
            return Ok(t.clone());
        }
        self.cache.get(|| self.fetch()).await
    }

    /// A new token because `refused` was refused — unless another call already replaced it.
    pub async fn refresh(&self, refused: &Secret) -> Result<Secret, ProviderError> {
        if !self.can_refresh() {
            return Ok(refused.clone());
        }
        self.cache.replace(refused, || self.fetch()).await
    }

    async fn fetch(&self) -> Result<Issued<Secret>, ProviderError> {
        let s = &self.settings;
        let Some((_, client_id)) = s.credential.tenant_and_client() else {
            unreachable!("a token given as is is never fetched");
        };
        let url = s.token_url().expect("credential uses the token endpoint");
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("scope", &s.scope);
        match &s.credential {
            Credential::ClientSecret { secret, .. } => {
                form.append_pair("client_secret", secret.expose());
            }
            Credential::FederatedTokenFile { path, .. } => {
                let assertion = self.read_token_file(path)?;
                form.append_pair("client_assertion_type", ASSERTION_TYPE)
                    .append_pair("client_assertion", assertion.expose());
            }
            Credential::GithubOidc { .. } => {
                let assertion = self.github_token().await?;
                form.append_pair("client_assertion_type", ASSERTION_TYPE)
                    .append_pair("client_assertion", assertion.expose());
            }
            Credential::AccessToken(_) => unreachable!("not fetched"),
        }
        let request = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(form.finish());
        let resp = http::send(request)
            .await
            .map_err(|e| prefix(e, "could not get an Entra ID token"))?;
        let (token, lifetime) = self.token_answer(&resp)?;
        self.redactor.add(token.expose());
        Ok(Issued {
            value: token,
            lifetime,
        })
    }

    fn read_token_file(&self, path: &std::path::Path) -> Result<Secret, ProviderError> {
        let text =
            crate::files::read_regular_string(path, crate::files::MAX_TOKEN_FILE).map_err(|e| {
                ProviderError::new(
                    ErrorKind::Auth,
                    format!(
                        "could not read the federated token file {}: {e}",
                        path.display()
                    ),
                )
                .hint("Check federated-token-file (AZURE_FEDERATED_TOKEN_FILE)")
            })?;
        let token = text.trim();
        self.redactor.add(token);
        if token.is_empty() {
            return Err(ProviderError::new(
                ErrorKind::Auth,
                format!("the federated token file {} is empty", path.display()),
            )
            .hint("Check federated-token-file (AZURE_FEDERATED_TOKEN_FILE)"));
        }
        Ok(Secret::new(token))
    }

    /// The job's OIDC token from GitHub Actions, for the configured audience.
    async fn github_token(&self) -> Result<Secret, ProviderError> {
        let Credential::GithubOidc {
            request_url,
            request_token,
            audience,
            ..
        } = &self.settings.credential
        else {
            unreachable!("only for GitHub OIDC");
        };
        crate::auth::github::id_token(
            &self.http,
            request_url,
            request_token,
            audience,
            &self.redactor,
        )
        .await
    }

    /// Reads a token endpoint answer: the token and its lifetime, or the error.
    fn token_answer(&self, resp: &Response) -> Result<(Secret, Duration), ProviderError> {
        #[derive(Deserialize)]
        struct Answer {
            access_token: Option<String>,
            expires_in: Option<serde_json::Value>,
            error: Option<String>,
            error_description: Option<String>,
            error_codes: Option<Vec<u64>>,
            trace_id: Option<String>,
            correlation_id: Option<String>,
        }
        let parsed: Option<Answer> = serde_json::from_slice(&resp.body).ok();
        if resp.status == 200 {
            let Some(Answer {
                access_token: Some(token),
                expires_in,
                ..
            }) = parsed.filter(|a| a.access_token.as_deref().is_some_and(|t| !t.is_empty()))
            else {
                return Err(with_status(
                    ProviderError::new(
                        ErrorKind::Malformed,
                        "the Entra ID token answer has no access_token",
                    ),
                    resp,
                ));
            };
            let secs = match expires_in {
                Some(serde_json::Value::Number(n)) => n.as_f64(),
                Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(300.0);
            return Ok((
                Secret::new(token),
                Duration::from_secs_f64(secs.min(86_400.0)),
            ));
        }
        if let Some(kind) = transient_kind(resp.status) {
            let e = ProviderError::new(
                kind,
                format!("the Entra ID token endpoint answered HTTP {}", resp.status),
            );
            return Err(with_status(e, resp));
        }
        let answer = parsed.unwrap_or(Answer {
            access_token: None,
            expires_in: None,
            error: None,
            error_description: None,
            error_codes: None,
            trace_id: None,
            correlation_id: None,
        });
        let description = answer
            .error_description
            .as_deref()
            .and_then(|d| d.lines().next())
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP {}", resp.status));
        let aadsts = answer.error_codes.as_ref().and_then(|c| c.first().copied());
        let code = match (&answer.error, aadsts) {
            (Some(e), Some(n)) => Some(format!("{e} (AADSTS{n})")),
            (Some(e), None) => Some(e.clone()),
            (None, Some(n)) => Some(format!("AADSTS{n}")),
            (None, None) => None,
        };
        let kind = if resp.status == 404 {
            ErrorKind::Invalid
        } else {
            ErrorKind::Auth
        };
        let mut e = ProviderError::new(
            kind,
            format!("Entra ID refused the token request: {description}"),
        );
        if let Some(c) = code {
            e.code = Some(c);
        }
        e.hint = Some(self.auth_hint(aadsts, resp.status));
        let mut e = with_status(e, resp);
        if let Some(trace) = answer.trace_id {
            e.request_id = Some(("trace_id", trace));
        }
        if let Some(corr) = answer.correlation_id {
            e.correlation_id = Some(("correlation_id", corr));
        }
        Err(e)
    }

    fn auth_hint(&self, aadsts: Option<u64>, status: u16) -> String {
        let s = &self.settings;
        let federated = |aud: &str| {
            format!(
                "The app registration needs a federated credential whose issuer, subject and audience ({aud}) match the token: for GitHub, issuer https://token.actions.githubusercontent.com and subject repo:OWNER/REPO:environment:NAME or repo:OWNER/REPO:ref:refs/heads/BRANCH"
            )
        };
        match aadsts {
            Some(90002) | Some(900023) => {
                "Check tenant-id (AZURE_TENANT_ID): the directory was not found in this cloud (environment)".into()
            }
            Some(700016) => "Check client-id (AZURE_CLIENT_ID): no such application in the tenant (or the app is in another cloud)".into(),
            Some(7000215) => "Check client-secret (AZURE_CLIENT_SECRET): use the secret's Value, not its ID".into(),
            Some(7000222) => "The client secret expired: create a new one under App registrations → Certificates & secrets".into(),
            Some(70011) | Some(1002012) => format!(
                "The scope {} was refused: check environment and endpoint",
                s.scope
            ),
            Some(700211) | Some(700212) | Some(700213) | Some(700024) | Some(70021) => {
                let aud = match &s.credential {
                    Credential::GithubOidc { audience, .. } => audience.as_str(),
                    _ => "api://AzureADTokenExchange",
                };
                federated(aud)
            }
            _ if status == 404 => format!(
                "Check authority-host ({}): it has no token endpoint for this tenant",
                s.authority
            ),
            _ => match &s.credential {
                Credential::ClientSecret { .. } => {
                    "Check tenant-id, client-id and client-secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET)".into()
                }
                Credential::FederatedTokenFile { .. } => format!(
                    "Check tenant-id, client-id and the token in federated-token-file. {}",
                    federated("api://AzureADTokenExchange")
                ),
                Credential::GithubOidc { audience, .. } => {
                    format!("Check tenant-id and client-id. {}", federated(audience))
                }
                Credential::AccessToken(_) => String::new(),
            },
        }
    }
}

/// 408/5xx transient, 429 throttled; `None` for other statuses.
fn transient_kind(status: u16) -> Option<ErrorKind> {
    match status {
        429 => Some(ErrorKind::Throttled),
        408 | 500..=599 => Some(ErrorKind::Transient),
        _ => None,
    }
}

fn prefix(mut e: ProviderError, what: &str) -> ProviderError {
    e.message = format!("{what}: {}", e.message);
    e
}

fn with_status(mut e: ProviderError, resp: &Response) -> ProviderError {
    e.http_status = Some(resp.status);
    e.retry_after =
        http::retry_after(&resp.headers, SystemTime::now()).map(|d| d.max(Duration::from_secs(1)));
    if let Some(id) = resp.header("x-ms-request-id") {
        e.request_id = Some(("x-ms-request-id", id));
    }
    if let Some(id) = resp.header("x-ms-correlation-request-id") {
        e.correlation_id = Some(("x-ms-correlation-request-id", id));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(credential: Credential) -> Settings {
        Settings {
            authority: Url::parse("https://login.example/").unwrap(),
            scope: Cloud::Public.scope(),
            credential,
        }
    }

    #[test]
    fn token_url_puts_the_tenant_under_the_authority() {
        let s = settings(Credential::ClientSecret {
            tenant_id: "contoso.onmicrosoft.com".into(),
            client_id: "c".into(),
            secret: Secret::new("s"),
        });
        assert_eq!(
            s.token_url().unwrap().as_str(),
            "https://login.example/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(
            settings(Credential::AccessToken(Secret::new("t")))
                .token_url()
                .is_none()
        );
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: reqwest::header::HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn source() -> TokenSource {
        TokenSource::new(
            settings(Credential::ClientSecret {
                tenant_id: "t".into(),
                client_id: "c".into(),
                secret: Secret::new("client-secret-value"),
            }),
            reqwest::Client::new(),
            Redactor::default(),
        )
    }

    #[test]
    fn token_answers_and_errors() {
        let src = source();
        assert_eq!(
            src.redactor.secrets(),
            vec!["client-secret-value".to_string()]
        );
        let (t, life) = src
            .token_answer(&resp(
                200,
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc.def"}"#,
            ))
            .unwrap();
        assert_eq!((t.expose(), life), ("abc.def", Duration::from_secs(3599)));
        let (_, life) = src
            .token_answer(&resp(200, r#"{"expires_in":"60","access_token":"x"}"#))
            .unwrap();
        assert_eq!(life, Duration::from_secs(60));
        for bad in ["", "{}", r#"{"access_token":""}"#, "<html>"] {
            let e = src.token_answer(&resp(200, bad)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Malformed, "{bad}");
        }
        let e = src
            .token_answer(&resp(
                401,
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t1","error_codes":[7000215],"trace_id":"t1","correlation_id":"c1"}"#,
            ))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert_eq!(e.code.as_deref(), Some("invalid_client (AADSTS7000215)"));
        assert_eq!(
            e.message,
            "Entra ID refused the token request: AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(e.request_id, Some(("trace_id", "t1".into())));
        assert_eq!(e.correlation_id, Some(("correlation_id", "c1".into())));
        assert!(e.hint.unwrap().contains("client-secret"));
        assert_eq!(
            src.token_answer(&resp(503, "")).unwrap_err().kind,
            ErrorKind::Transient
        );
        assert_eq!(
            src.token_answer(&resp(429, "")).unwrap_err().kind,
            ErrorKind::Throttled
        );
        assert_eq!(
            src.token_answer(&resp(404, "")).unwrap_err().kind,
            ErrorKind::Invalid
        );
    }

    #[tokio::test]
    async fn tokens_are_cached_and_a_refused_one_is_replaced_once() {
        use wiremock::matchers::{body_string_contains, method, path};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/t/oauth2/v2.0/token"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("client_id=c"))
            .and(body_string_contains("client_secret=client-secret-value"))
            .and(body_string_contains(
                "scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_string(
                r#"{"token_type":"Bearer","expires_in":3599,"access_token":"at-from-mock"}"#,
            ))
            .expect(2)
            .mount(&server)
            .await;
        let redactor = Redactor::default();
        let src = TokenSource::new(
            Settings {
                authority: Url::parse(&server.uri()).unwrap(),
                scope: Cloud::Public.scope(),
                credential: Credential::ClientSecret {
                    tenant_id: "t".into(),
                    client_id: "c".into(),
                    secret: Secret::new("client-secret-value"),
                },
            },
            reqwest::Client::new(),
            redactor.clone(),
        );
        let first = src.token().await.unwrap();
        assert_eq!(first.expose(), "at-from-mock");
        assert_eq!(src.token().await.unwrap(), first, "cached");
        assert_eq!(
            redactor.clean("x at-from-mock y"),
            "x *** y",
            "registered at once"
        );
        // Refused: one new fetch; a second caller with the same refused token gets that one.
        let fresh = src.refresh(&first).await.unwrap();
        let stale = Secret::new("some-older-token");
        assert_eq!(src.refresh(&stale).await.unwrap(), fresh);
        // (`expect(2)` is verified when the server drops.)
    }
}
