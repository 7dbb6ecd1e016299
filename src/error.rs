//! The errors several layers share: what went wrong with a provider ([`ProviderError`],
//! with the [`ErrorKind`] that tells the engine whether to retry) and with an input
//! ([`ConfigError`]). A leaf: it imports nothing of the crate, so `http`, `auth`, the engine,
//! the reporters and the providers can all use it without depending on each other.

use std::fmt;
use std::time::Duration;

/// What the engine should do about an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Network fault, timeout, 5xx: retry with backoff.
    Transient,
    /// The provider asked us to slow down: retry after `retry_after` or a backoff.
    Throttled,
    /// The answer could not be understood (truncated or malformed body): retry, never success.
    Malformed,
    /// The credentials were refused. Affects every operation of the account.
    Auth,
    /// The credentials are valid but lack permission.
    Permission,
    /// The operation, endpoint or subscription does not exist.
    NotFound,
    /// The request was refused as invalid.
    Invalid,
    /// The request date was refused even after re-signing: the local clock is probably off.
    ClockSkew,
    /// The provider takes no more work until earlier work finishes (CloudFront's
    /// `TooManyInvalidationsInProgress`): sent again with backoff until the deadline, without
    /// counting against `retries`.
    Busy,
}

impl ErrorKind {
    /// Whether waiting and asking again can help.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Transient | ErrorKind::Throttled | ErrorKind::Malformed | ErrorKind::Busy
        )
    }
}

/// An error from a provider, with everything a user needs to act on it.
///
/// `Display` is one line: `CODE: message (HTTP 401, X-Correlation-Id: …)`. Provider strings
/// in it are raw; reporters sanitise them before they reach a terminal or a CI log.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderError {
    /// What the engine should do.
    pub kind: ErrorKind,
    /// The provider's error code, e.g. `WrongSignature`.
    pub code: Option<String>,
    /// The provider's (or the transport's) message.
    pub message: String,
    /// The HTTP status, when there was a response.
    pub http_status: Option<u16>,
    /// The request or correlation id, with the name the provider gives it.
    pub request_id: Option<(&'static str, String)>,
    /// A second id some providers send (Azure Resource Manager: `x-ms-correlation-request-id`
    /// beside `x-ms-request-id`), with its name.
    pub correlation_id: Option<(&'static str, String)>,
    /// How long the provider asked us to wait.
    pub retry_after: Option<Duration>,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
    /// Whether the request may have reached the API (and been acted on) before it failed.
    /// `false` only when it certainly did not (the connection was never made). Decides
    /// whether re-sending a request that creates something is safe.
    pub may_have_reached: bool,
}

impl ProviderError {
    /// An error with a kind and a message and nothing else.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            code: None,
            message: message.into(),
            http_status: None,
            request_id: None,
            correlation_id: None,
            retry_after: None,
            hint: None,
            may_have_reached: true,
        }
    }

    /// Whether re-sending a request that creates something could create it twice: the
    /// request failed in a way that does not prove the API ignored it (a timeout or reset
    /// after sending, a 5xx, an answer we could not read).
    pub fn ambiguous(&self) -> bool {
        self.may_have_reached && matches!(self.kind, ErrorKind::Transient | ErrorKind::Malformed)
    }

    /// Sets the provider's error code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the fix to suggest.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)?;
        let mut extra = Vec::new();
        if let Some(status) = self.http_status {
            extra.push(format!("HTTP {status}"));
        }
        for (name, id) in self.request_id.iter().chain(&self.correlation_id) {
            extra.push(format!("{name}: {id}"));
        }
        if !extra.is_empty() {
            write!(f, " ({})", extra.join(", "))?;
        }
        if let Some(hint) = &self.hint {
            write!(f, ". {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

/// A bad or missing input. Exit code 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The input at fault, when there is one.
    pub input: Option<&'static str>,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl ConfigError {
    pub fn new(input: Option<&'static str>, message: String) -> Self {
        ConfigError { input, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_code_status_request_id_and_hint() {
        let mut e = ProviderError::new(ErrorKind::Auth, "Wrong signature.")
            .code("WrongSignature")
            .hint("Check api-key-secret");
        e.http_status = Some(401);
        e.request_id = Some(("X-Correlation-Id", "abc".into()));
        assert_eq!(
            e.to_string(),
            "WrongSignature: Wrong signature. (HTTP 401, X-Correlation-Id: abc). Check api-key-secret"
        );
        e.request_id = Some(("x-ms-request-id", "r1".into()));
        e.correlation_id = Some(("x-ms-correlation-request-id", "c1".into()));
        assert!(
            e.to_string()
                .contains("(HTTP 401, x-ms-request-id: r1, x-ms-correlation-request-id: c1)")
        );
    }

    #[test]
    fn only_transient_faults_are_retryable() {
        assert!(ErrorKind::Transient.is_retryable());
        assert!(ErrorKind::Throttled.is_retryable());
        assert!(ErrorKind::Malformed.is_retryable());
        assert!(ErrorKind::Busy.is_retryable());
        for k in [
            ErrorKind::Auth,
            ErrorKind::Permission,
            ErrorKind::NotFound,
            ErrorKind::Invalid,
            ErrorKind::ClockSkew,
        ] {
            assert!(!k.is_retryable(), "{k:?}");
        }
    }
}
