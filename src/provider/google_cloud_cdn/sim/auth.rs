//! Google's token services: the OAuth 2.0 JWT bearer grant, STS token exchange, IAM
//! Credentials `generateAccessToken`, the GitHub Actions OIDC token service, a URL
//! credential source and the metadata server.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde_json::{Value, json as j};

use super::compute::{Refusal, insufficient_scopes, unauthenticated};
use super::{
    ASSERTION_AUDIENCE, CLOUD_PLATFORM_SCOPE, Endpoint, GoogleCloudCdnSim, IAM_CREDENTIALS_PREFIX,
    IAM_SCOPE, Issued, Kind, METADATA_PREFIX, google_error, json, not_found_page, text,
};
use crate::sim::{Answer, SimRequest};

/// The JWT bearer grant type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The token exchange grant type.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type STS issues.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// The subject token types STS takes for an OIDC provider.
const SUBJECT_TOKEN_TYPES: &[&str] = &[
    "urn:ietf:params:oauth:token-type:jwt",
    "urn:ietf:params:oauth:token-type:id_token",
];
/// The longest assertion Google takes (`exp - iat`).
const MAX_ASSERTION_LIFETIME: i64 = 3600;
/// Google's answer to an assertion whose times are off.
pub const BAD_TIMES: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
/// Google's answer to a bad signature (or key id).
pub const BAD_SIGNATURE: &str = "Invalid JWT Signature.";

/// The RSAPublicKey (DER) of a PKCS#8 PEM RSA private key, as ring parses it.
pub(super) fn public_key(pem: &str) -> Option<Vec<u8>> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    use x509_parser::prelude::FromDer;
    let der = PrivateKeyDer::from_pem_slice(pem.as_bytes()).ok()?;
    let key = rustls::crypto::ring::sign::any_supported_type(&der).ok()?;
    if key.algorithm() != rustls::SignatureAlgorithm::RSA {
        return None;
    }
    let spki = key.public_key()?;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki.as_ref()).ok()?;
    Some(info.subject_public_key.data.to_vec())
}

/// Whether `signature` is an RS256 (RSASSA-PKCS1-v1_5, SHA-256) signature of `message` by
/// the RSAPublicKey `public_key` (ring's verifier, 2048 to 8192 bits).
pub(super) fn rs256_verifies(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    webpki::ring::RSA_PKCS1_2048_8192_SHA256
        .verify_signature(public_key, message, signature)
        .is_ok()
}

/// An OAuth-style error (`{"error", "error_description"}`), as the token endpoint and STS
/// answer.
fn oauth_error(ep: Endpoint, status: u16, error: &str, description: &str) -> Answer {
    let body = j!({"error": error, "error_description": description});
    json(
        status,
        body.to_string(),
        format!("{}: {status} {error}", ep.label()),
    )
}

/// A random token with `prefix`.
fn random_token(prefix: &str, n: usize) -> String {
    const SET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let tail: String = (0..n)
        .map(|_| SET[fastrand::usize(..SET.len())] as char)
        .collect();
    format!("{prefix}{tail}")
}

/// The fields of a form body.
fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Whether `scope` is a Google OAuth scope.
fn google_scope(scope: &str) -> bool {
    scope
        .strip_prefix("https://www.googleapis.com/auth/")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

/// Decodes a base64url (no padding) JWT segment as a JSON object.
fn segment(s: &str) -> Option<serde_json::Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(s).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

impl GoogleCloudCdnSim {
    /// Records a token issued to `kind` for `scopes`, valid for `lifetime`.
    fn issue(&self, prefix: &str, kind: Kind, scopes: Vec<String>, lifetime: Duration) -> String {
        let token = random_token(prefix, 96);
        let expires = Instant::now()
            .checked_add(lifetime)
            .unwrap_or_else(Instant::now);
        self.book().tokens.insert(
            token.clone(),
            Issued {
                kind,
                scopes,
                expires,
            },
        );
        token
    }

    /// `POST /token`: the JWT bearer grant (RFC 7523) with a service account's assertion.
    pub(super) fn oauth(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::OAuthToken;
        if req.method != "POST" {
            return oauth_error(ep, 405, "invalid_request", "Method not allowed.");
        }
        let form_encoded = req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if !form_encoded {
            return oauth_error(
                ep,
                400,
                "invalid_request",
                "Invalid Content-Type: the body must be application/x-www-form-urlencoded.",
            );
        }
        let f = form(&req.body);
        let grant = f.get("grant_type").map(String::as_str).unwrap_or_default();
        if grant != JWT_BEARER {
            return oauth_error(
                ep,
                400,
                "unsupported_grant_type",
                &format!("Invalid grant_type: {grant}"),
            );
        }
        let Some(assertion) = f.get("assertion").filter(|a| !a.is_empty()) else {
            return oauth_error(
                ep,
                400,
                "invalid_request",
                "Missing required parameter: assertion",
            );
        };
        let claims = match self.verify_assertion(assertion) {
            Ok(claims) => claims,
            Err((error, description)) => return oauth_error(ep, 400, error, description),
        };
        if claims.contains_key("sub") && claims["sub"] != self.setup.service_account.as_str() {
            return oauth_error(
                ep,
                401,
                "unauthorized_client",
                "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
            );
        }
        let scopes: Vec<String> = claims
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if scopes.is_empty() || !scopes.iter().all(|s| google_scope(s)) {
            return oauth_error(
                ep,
                400,
                "invalid_scope",
                "Invalid OAuth scope or ID token audience provided.",
            );
        }
        let lifetime = self.setup.token_lifetime;
        let token = self.issue("ya29.c.", Kind::OAuth, scopes, lifetime);
        let body =
            j!({"access_token": token, "expires_in": lifetime.as_secs(), "token_type": "Bearer"});
        let mut a = json(200, body.to_string(), format!("{}: issued", ep.label()));
        a.headers.push((
            "cache-control",
            "no-cache, no-store, max-age=0, must-revalidate".into(),
        ));
        a
    }

    /// Checks an assertion as Google's token endpoint does: three base64url parts, header
    /// `alg: RS256` (`typ` JWT, `kid` the key's id), `iss` the service account, the RS256
    /// signature with its key, `aud` [`ASSERTION_AUDIENCE`], `iat`/`exp` whole seconds at
    /// most an hour apart and around the server clock. The claims, or the OAuth error.
    pub(super) fn verify_assertion(
        &self,
        assertion: &str,
    ) -> Result<serde_json::Map<String, Value>, (&'static str, &'static str)> {
        let malformed = (
            "invalid_grant",
            "Invalid JWT: the assertion is not a well formed JWT.",
        );
        let parts: Vec<&str> = assertion.split('.').collect();
        let [h, c, s] = parts.as_slice() else {
            return Err(malformed);
        };
        let (Some(header), Some(claims), Ok(signature)) =
            (segment(h), segment(c), URL_SAFE_NO_PAD.decode(s))
        else {
            return Err(malformed);
        };
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(("invalid_grant", BAD_SIGNATURE));
        }
        if header.get("typ").is_some_and(|t| t != "JWT") {
            return Err(malformed);
        }
        if claims.get("iss").and_then(Value::as_str) != Some(self.setup.service_account.as_str()) {
            return Err(("invalid_grant", "Invalid grant: account not found"));
        }
        let kid = header.get("kid").and_then(Value::as_str);
        if !self.setup.private_key_id.is_empty() && kid != Some(self.setup.private_key_id.as_str())
        {
            return Err(("invalid_grant", BAD_SIGNATURE));
        }
        let message = format!("{h}.{c}");
        let verified = self
            .public_key
            .as_deref()
            .is_some_and(|pk| rs256_verifies(pk, message.as_bytes(), &signature));
        if !verified {
            return Err(("invalid_grant", BAD_SIGNATURE));
        }
        if claims.get("aud").and_then(Value::as_str) != Some(ASSERTION_AUDIENCE) {
            return Err((
                "invalid_grant",
                "Invalid JWT: Failed audience check. The right audience is https://oauth2.googleapis.com/token",
            ));
        }
        let (Some(iat), Some(exp)) = (
            claims.get("iat").and_then(Value::as_i64),
            claims.get("exp").and_then(Value::as_i64),
        ) else {
            return Err(("invalid_grant", BAD_TIMES));
        };
        let now = Utc::now()
            .timestamp()
            .saturating_add(self.setup.clock_offset);
        let skew = i64::try_from(self.setup.max_skew.as_secs()).unwrap_or(i64::MAX);
        let times_ok = exp > iat
            && exp.saturating_sub(iat) <= MAX_ASSERTION_LIFETIME
            && iat <= now.saturating_add(skew)
            && exp >= now.saturating_sub(skew);
        if !times_ok {
            return Err(("invalid_grant", BAD_TIMES));
        }
        Ok(claims)
    }

    /// `POST /v1/token`: STS token exchange, form encoded (google-auth, snake_case) or JSON
    /// (google-github-actions/auth, camelCase).
    pub(super) fn sts(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::Sts;
        if req.method != "POST" {
            return oauth_error(ep, 405, "invalid_request", "Method not allowed.");
        }
        let is_json = req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/json"));
        let fields: HashMap<String, String> = if is_json {
            let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&req.body) else {
                return oauth_error(ep, 400, "invalid_request", "Invalid JSON payload received.");
            };
            map.into_iter()
                .filter_map(|(k, v)| Some((snake(&k), v.as_str()?.to_string())))
                .collect()
        } else {
            form(&req.body)
        };
        let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
        if get("grant_type") != TOKEN_EXCHANGE {
            return oauth_error(
                ep,
                400,
                "unsupported_grant_type",
                "Invalid value for \"grant_type\".",
            );
        }
        if get("requested_token_type") != ACCESS_TOKEN_TYPE {
            return oauth_error(
                ep,
                400,
                "invalid_request",
                "Invalid value for \"requested_token_type\".",
            );
        }
        if !SUBJECT_TOKEN_TYPES.contains(&get("subject_token_type")) {
            return oauth_error(
                ep,
                400,
                "invalid_request",
                "Invalid value for \"subject_token_type\".",
            );
        }
        let audience = format!(
            "//iam.googleapis.com/{}",
            self.setup.workload_identity_provider
        );
        if get("audience") != audience {
            return oauth_error(
                ep,
                400,
                "invalid_target",
                "The target service indicated by the \"audience\" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.",
            );
        }
        let scopes: Vec<String> = get("scope")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if scopes.is_empty() || !scopes.iter().all(|s| google_scope(s)) {
            return oauth_error(ep, 400, "invalid_scope", "Invalid value for \"scope\".");
        }
        let subject = get("subject_token");
        if subject != self.setup.oidc_token {
            let description = if subject.starts_with("token-for-audience-") {
                format!(
                    "The audience in ID Token [{}] does not match the expected audience {}.",
                    subject.trim_start_matches("token-for-audience-"),
                    self.setup.oidc_audience
                )
            } else {
                "Unable to parse the ID Token.".to_string()
            };
            return oauth_error(ep, 400, "invalid_grant", &description);
        }
        let lifetime = self.setup.sts_lifetime;
        let token = self.issue("ya29.d.", Kind::Federated, scopes, lifetime);
        let body = j!({
            "access_token": token,
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": lifetime.as_secs(),
        });
        json(200, body.to_string(), format!("{}: issued", ep.label()))
    }

    /// `POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken`.
    pub(super) fn generate_access_token(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::GenerateAccessToken;
        let rest = req
            .path
            .strip_prefix(IAM_CREDENTIALS_PREFIX)
            .unwrap_or_default();
        let Some(email) = rest.strip_suffix(":generateAccessToken") else {
            return not_found_page(&req.path);
        };
        if req.method != "POST" {
            return not_found_page(&req.path);
        }
        let email = url::form_urlencoded::parse(email.replace('+', "%2B").as_bytes())
            .next()
            .map(|(k, _)| k.into_owned())
            .unwrap_or_default();
        let verdict = {
            let book = self.book();
            self.bearer_verdict(&book, req, &[CLOUD_PLATFORM_SCOPE, IAM_SCOPE])
        };
        match verdict {
            Ok(()) => {}
            Err(Refusal::Missing | Refusal::Invalid) => return unauthenticated(ep),
            Err(Refusal::Scope) => return insufficient_scopes(ep),
        }
        let permission = "iam.serviceAccounts.getAccessToken";
        if email != self.setup.service_account || self.setup.deny.iter().any(|d| d == permission) {
            let body = j!({"error": {
                "code": 403,
                "message": format!("Permission '{permission}' denied on resource (or it may not exist)."),
                "status": "PERMISSION_DENIED",
                "details": [{
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "IAM_PERMISSION_DENIED",
                    "domain": "iam.googleapis.com",
                    "metadata": {"permission": permission},
                }],
            }});
            return json(
                403,
                body.to_string(),
                format!("{}: 403 IAM_PERMISSION_DENIED", ep.label()),
            );
        }
        let invalid =
            |message: &str| google_error(ep, 400, "INVALID_ARGUMENT", message, "badRequest");
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
            return invalid("Invalid JSON payload received.");
        };
        for key in body.keys() {
            if !["scope", "lifetime", "delegates"].contains(&key.as_str()) {
                return invalid(&format!(
                    "Invalid JSON payload received. Unknown name \"{key}\": Cannot find field."
                ));
            }
        }
        let scopes: Vec<String> = body
            .get("scope")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        if scopes.is_empty() || !scopes.iter().all(|s| google_scope(s)) {
            return invalid("Scope required.");
        }
        match body.get("delegates") {
            None | Some(Value::Null) => {}
            Some(Value::Array(d)) if d.is_empty() => {}
            Some(_) => return invalid("Delegates are not supported by this simulator."),
        }
        let requested = match body.get("lifetime") {
            None | Some(Value::Null) => Duration::from_secs(3600),
            Some(v) => match v.as_str().and_then(parse_seconds) {
                Some(d) => d,
                None => {
                    return invalid(
                        "Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration)",
                    );
                }
            },
        };
        if requested > self.setup.max_impersonation_lifetime || requested.is_zero() {
            return invalid(&format!(
                "The lifetime requested is not valid: it must be more than 0s and at most {}s.",
                self.setup.max_impersonation_lifetime.as_secs()
            ));
        }
        let lifetime = self.setup.impersonation_lifetime.unwrap_or(requested);
        let token = self.issue("ya29.c.imp", Kind::Impersonated, scopes, lifetime);
        let expire = Utc::now()
            + chrono::Duration::from_std(lifetime).unwrap_or_else(|_| chrono::Duration::hours(1))
            + chrono::Duration::seconds(self.setup.clock_offset);
        let body = j!({"accessToken": token, "expireTime": expire.format("%Y-%m-%dT%H:%M:%SZ").to_string()});
        json(200, body.to_string(), format!("{}: issued", ep.label()))
    }

    /// `GET /github-oidc-token?audience=…` with `Authorization: bearer <request token>`.
    pub(super) fn github(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::GithubToken;
        let bearer = req
            .header("authorization")
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, t)| t);
        if req.method != "GET" || bearer != Some(self.setup.github_request_token.as_str()) {
            return text(
                401,
                "application/json",
                r#"{"message":"Bad credentials"}"#.into(),
                format!("{}: refused", ep.label()),
            );
        }
        let audience =
            url::form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
                .find(|(k, _)| k == "audience")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
        let token = if audience == self.setup.oidc_audience {
            self.setup.oidc_token.clone()
        } else {
            format!("token-for-audience-{audience}")
        };
        let body = j!({"count": 1, "value": token});
        json(200, body.to_string(), format!("{}: token", ep.label()))
    }

    /// `GET /subject-token`: a URL credential source, its headers checked.
    pub(super) fn subject_token(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::SubjectToken;
        let headers_ok = self
            .setup
            .subject_token_headers
            .iter()
            .all(|(name, value)| req.header(&name.to_ascii_lowercase()) == Some(value.as_str()));
        if req.method != "GET" || !headers_ok {
            return text(
                401,
                "text/plain",
                "missing or wrong credential headers".into(),
                format!("{}: refused", ep.label()),
            );
        }
        let json_format =
            url::form_urlencoded::parse(req.query.as_deref().unwrap_or_default().as_bytes())
                .any(|(k, v)| k == "format" && v == "json");
        if json_format {
            let body = j!({ super::SUBJECT_TOKEN_FIELD: self.setup.oidc_token });
            json(200, body.to_string(), format!("{}: json token", ep.label()))
        } else {
            text(
                200,
                "text/plain",
                self.setup.oidc_token.clone(),
                format!("{}: text token", ep.label()),
            )
        }
    }

    /// The metadata server.
    pub(super) fn metadata_server(&self, req: &SimRequest) -> Answer {
        let ep = Endpoint::Metadata;
        if !self.setup.metadata {
            return not_found_page(&req.path);
        }
        let flavored = |mut a: Answer| {
            a.headers.push(("metadata-flavor", "Google".into()));
            a.headers.push(("server", "Metadata Server for VM".into()));
            a
        };
        let plain = |status: u16, body: String, what: &str| {
            flavored(text(
                status,
                "application/text",
                body,
                format!("{}: {what}", ep.label()),
            ))
        };
        let flavor_ok = req
            .header("metadata-flavor")
            .is_some_and(|v| v.eq_ignore_ascii_case("google"));
        if !flavor_ok || req.header("x-forwarded-for").is_some() {
            return plain(
                403,
                "Missing required header \"Metadata-Flavor\": \"Google\"\n".into(),
                "403 no Metadata-Flavor",
            );
        }
        if req.method != "GET" {
            return plain(405, "Method not allowed\n".into(), "405");
        }
        let query = req.query.as_deref().unwrap_or_default();
        let recursive = url::form_urlencoded::parse(query.as_bytes())
            .any(|(k, v)| k == "recursive" && v == "true");
        let email = &self.setup.service_account;
        let path = if req.path == "/" {
            None
        } else {
            req.path.strip_prefix(METADATA_PREFIX)
        };
        let account = |p: &str| {
            p.strip_prefix("instance/service-accounts/")
                .and_then(|r| r.split_once('/'))
                .filter(|(who, _)| *who == "default" || *who == email)
                .map(|(_, what)| what.to_string())
        };
        match path {
            None if req.path == "/" => plain(200, "computeMetadata/\n".into(), "root"),
            Some("") => plain(200, "instance/\nproject/\n".into(), "index"),
            Some("project/project-id") => plain(200, self.setup.project.clone(), "project-id"),
            Some("project/numeric-project-id") => {
                plain(200, self.setup.project_number.clone(), "numeric-project-id")
            }
            Some(p) => match account(p).as_deref() {
                Some("token") => {
                    let lifetime = self.setup.metadata_lifetime;
                    let token = self.issue(
                        "ya29.c.gce",
                        Kind::Metadata,
                        vec![CLOUD_PLATFORM_SCOPE.to_string()],
                        lifetime,
                    );
                    let body = j!({"access_token": token, "expires_in": lifetime.as_secs(), "token_type": "Bearer"});
                    flavored(json(
                        200,
                        body.to_string(),
                        format!("{}: token", ep.label()),
                    ))
                }
                Some("email") => plain(200, email.clone(), "email"),
                Some("") if recursive => {
                    let body = j!({"aliases": ["default"], "email": email, "scopes": [CLOUD_PLATFORM_SCOPE]});
                    flavored(json(
                        200,
                        body.to_string(),
                        format!("{}: account", ep.label()),
                    ))
                }
                Some("") => plain(
                    200,
                    "aliases\nemail\nidentity\nscopes\ntoken\n".into(),
                    "account",
                ),
                Some("scopes") => plain(200, format!("{CLOUD_PLATFORM_SCOPE}\n"), "scopes"),
                _ => plain(404, "Not Found\n".into(), "404"),
            },
            None => plain(404, "Not Found\n".into(), "404"),
        }
    }
}

/// `subjectTokenType` → `subject_token_type`.
fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A protobuf Duration in JSON (`"3600s"`, `"3600.5s"`), whole seconds kept.
fn parse_seconds(s: &str) -> Option<Duration> {
    let number = s.strip_suffix('s')?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, "0"));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    whole.parse::<u64>().ok().map(Duration::from_secs)
}
