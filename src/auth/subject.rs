//! The OIDC token an STS exchanges for a cloud's temporary keys (its "subject token" or "web
//! identity token"): a file read afresh for every exchange (a token a GitLab job wrote from
//! its `id_tokens`, Kubernetes' projected token), the token itself, or the GitHub Actions
//! job's own token ([`super::github`]). One reader for every folder that assumes a role with
//! it, so each gets the same file rules ([`crate::files`]), the same check of what it read
//! ([`super::github::sts_subject_token`]) and the same masking.

use std::path::PathBuf;

use url::Url;

use crate::error::{ErrorKind, ProviderError};
use crate::secret::{Redactor, Secret};

/// Where the OIDC token comes from.
#[derive(Debug, Clone)]
pub enum SubjectToken {
    /// A file holding the raw JWT, read for every exchange.
    File(PathBuf),
    /// The token itself (an input holding a GitLab `id_tokens` variable).
    Value(Secret),
    /// The GitHub Actions job's token (needs `permissions: id-token: write`).
    GithubActions {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL`.
        request_url: Url,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: Secret,
        /// The token's audience.
        audience: String,
    },
}

impl SubjectToken {
    /// Registers the secrets this source holds (the token given as is, the GitHub request
    /// token) with `redactor`.
    pub fn register(&self, redactor: &Redactor) {
        match self {
            SubjectToken::Value(t) => redactor.add(t.expose()),
            SubjectToken::GithubActions { request_token, .. } => {
                redactor.add(request_token.expose())
            }
            SubjectToken::File(_) => {}
        }
    }

    /// The token, read or fetched now and checked; `what` names it in messages ("OIDC
    /// token", "web identity token"), `file_hint` says which input or variable names the
    /// file. A token fetched from GitHub is registered with `redactor` before it is returned.
    pub async fn read(
        &self,
        http: &reqwest::Client,
        redactor: &Redactor,
        what: &str,
        file_hint: &str,
    ) -> Result<Secret, ProviderError> {
        let token = match self {
            SubjectToken::File(path) => {
                crate::files::read_regular_string(path, crate::files::MAX_TOKEN_FILE).map_err(
                    |e| {
                        ProviderError::new(
                            ErrorKind::Auth,
                            format!("could not read the {what} file {}: {e}", path.display()),
                        )
                        .hint(file_hint)
                    },
                )?
            }
            SubjectToken::Value(t) => t.expose().to_string(),
            SubjectToken::GithubActions {
                request_url,
                request_token,
                audience,
            } => super::github::id_token(http, request_url, request_token, audience, redactor)
                .await?
                .expose()
                .to_string(),
        };
        super::github::sts_subject_token(&token, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_is_read_and_checked_and_a_missing_one_names_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  header.payload.signature\n").unwrap();
        let http = reqwest::Client::new();
        let r = Redactor::default();
        let t = SubjectToken::File(path.clone());
        let token = t.read(&http, &r, "OIDC token", "Check x").await.unwrap();
        assert_eq!(token.expose(), "header.payload.signature");

        let missing = SubjectToken::File(dir.path().join("nope"));
        let e = missing
            .read(
                &http,
                &r,
                "web identity token",
                "Check web-identity-token-file",
            )
            .await
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Auth);
        assert!(
            e.message
                .contains("could not read the web identity token file")
        );
        assert_eq!(e.hint.as_deref(), Some("Check web-identity-token-file"));

        std::fs::write(&path, "").unwrap();
        assert!(t.read(&http, &r, "OIDC token", "Check x").await.is_err());
    }

    #[test]
    fn the_secrets_it_holds_are_registered() {
        let r = Redactor::default();
        SubjectToken::Value(Secret::new("inline-token-value".to_string())).register(&r);
        SubjectToken::GithubActions {
            request_url: Url::parse("https://example.invalid/x").unwrap(),
            request_token: Secret::new("request-token-value".to_string()),
            audience: "a".into(),
        }
        .register(&r);
        assert_eq!(r.clean("inline-token-value request-token-value"), "*** ***");
    }
}
