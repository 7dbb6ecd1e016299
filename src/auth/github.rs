//! The GitHub Actions job's OIDC token, as `@actions/core` `getIDToken` fetches it:
//! `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with
//! `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered `{"value": "<jwt>"}`.
//! The runner sets both variables only when the job has `permissions: id-token: write`.
//!
//! One fetch for every identity provider that exchanges it: Entra ID (a client assertion)
//! and Alibaba STS (`AssumeRoleWithOIDC`). The token is registered with the redactor before
//! it is returned, so it is masked on GitHub and redacted everywhere.

use serde::Deserialize;
use url::Url;

use crate::error::{ErrorKind, ProviderError};
use crate::http::{self, Response};
use crate::secret::{Redactor, Secret};

/// The one rule for the runner's `ACTIONS_ID_TOKEN_REQUEST_URL`, for every identity
/// provider that exchanges the token: https, or plain http to the local machine or (with
/// `allow-http: true`) anywhere; never with a user name or password in it, since the request
/// token is sent there.
pub fn request_url_allowed(url: &Url, allow_http: bool) -> bool {
    if !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => true,
        "http" => allow_http || http::is_loopback(url),
        _ => false,
    }
}

/// Fetches the job's OIDC token for `audience`.
pub async fn id_token(
    client: &reqwest::Client,
    request_url: &Url,
    request_token: &Secret,
    audience: &str,
    redactor: &Redactor,
) -> Result<Secret, ProviderError> {
    let mut url = request_url.clone();
    url.query_pairs_mut().append_pair("audience", audience);
    let request = client
        .get(url)
        .bearer_auth(request_token.expose())
        .header(reqwest::header::ACCEPT, "application/json");
    let resp = http::send(request).await.map_err(|mut e| {
        e.message = format!("could not get the GitHub Actions OIDC token: {}", e.message);
        e
    })?;
    let token = interpret(&resp)?;
    redactor.add(&token);
    Ok(Secret::new(token))
}

/// The token from an answer, or why there is none.
fn interpret(resp: &Response) -> Result<String, ProviderError> {
    #[derive(Deserialize)]
    struct IdToken {
        value: Option<String>,
    }
    let mut e = if (200..300).contains(&resp.status) {
        match serde_json::from_slice::<IdToken>(&resp.body) {
            Ok(IdToken { value: Some(v) }) if !v.trim().is_empty() => {
                return Ok(v.trim().to_string());
            }
            _ => ProviderError::new(
                ErrorKind::Malformed,
                "the GitHub Actions OIDC token answer has no value",
            ),
        }
    } else {
        let kind = match resp.status {
            429 => ErrorKind::Throttled,
            408 | 500..=599 => ErrorKind::Transient,
            _ => ErrorKind::Auth,
        };
        let e = ProviderError::new(
            kind,
            format!(
                "GitHub Actions refused the OIDC token request (HTTP {})",
                resp.status
            ),
        );
        if kind == ErrorKind::Auth {
            e.hint("The job needs `permissions: id-token: write` (and the action must run in that job)")
        } else {
            e
        }
    };
    e.http_status = Some(resp.status);
    e.retry_after = http::retry_after(&resp.headers, std::time::SystemTime::now());
    Err(e)
}

/// A subject token for an STS exchange, read from a file or fetched above: trimmed, and 4 to
/// 20,000 characters (what the clouds' STS APIs accept), else an auth error naming `what`
/// ("OIDC token", "web identity token").
pub fn sts_subject_token(token: &str, what: &str) -> Result<Secret, ProviderError> {
    let token = token.trim();
    let len = token.chars().count();
    if !(4..=20_000).contains(&len) {
        return Err(ProviderError::new(
            ErrorKind::Auth,
            format!("the {what} has {len} characters; STS takes 4 to 20000"),
        )
        .hint("Give the raw JWT, not base64 or JSON"));
    }
    Ok(Secret::new(token.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_url_rule() {
        let allowed =
            |u: &str, allow_http| request_url_allowed(&Url::parse(u).unwrap(), allow_http);
        for ok in [
            "https://pipelines.actions.githubusercontent.com/x?api-version=2.0",
            "http://127.0.0.1:8640/token",
            "http://localhost/token",
            "http://[::1]:1/token",
        ] {
            assert!(allowed(ok, false), "{ok}");
        }
        assert!(!allowed("http://172.17.0.1:8640/token", false));
        assert!(allowed("http://172.17.0.1:8640/token", true));
        for refused in [
            "ftp://example.com/x",
            "https://user:pw@example.com/x",
            "http://u@127.0.0.1/x",
        ] {
            assert!(!allowed(refused, true), "{refused}");
        }
    }

    fn resp(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: Default::default(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_answer_needs_a_value() {
        assert_eq!(
            interpret(&resp(200, r#"{"value":" jwt.jwt.jwt "}"#)).unwrap(),
            "jwt.jwt.jwt"
        );
        assert_eq!(
            interpret(&resp(200, "{}")).unwrap_err().kind,
            ErrorKind::Malformed
        );
        assert_eq!(
            interpret(&resp(200, r#"{"value":""}"#)).unwrap_err().kind,
            ErrorKind::Malformed
        );
        let e = interpret(&resp(403, "")).unwrap_err();
        assert_eq!((e.kind, e.http_status), (ErrorKind::Auth, Some(403)));
        assert!(e.to_string().contains("id-token: write"));
        assert_eq!(
            interpret(&resp(503, "")).unwrap_err().kind,
            ErrorKind::Transient
        );
        assert_eq!(
            interpret(&resp(429, "")).unwrap_err().kind,
            ErrorKind::Throttled
        );
    }
}
