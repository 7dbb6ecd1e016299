//! SigV4 for CloudFront through AWS's own signer, `aws-sigv4`: service `cloudfront`, region
//! `us-east-1` (the China partition signs for `cn-northwest-1`), the session token among the
//! signed headers as the SDKs send it (`x-amz-security-token`), and no
//! `x-amz-content-sha256` header (only S3 asks for one; the body's hash is in the canonical
//! request all the same).
//!
//! Pure: the time is a parameter, so a signature can be reproduced from its inputs, and the
//! SigV4 test-suite vectors that apply (GET with a query, POST with a body, a session token)
//! are checked in `tests.rs`.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings, sign as sigv4_sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// The signing name of CloudFront.
pub const SERVICE: &str = "cloudfront";

/// The keys a request is signed with.
#[derive(Clone, Copy)]
pub struct Keys<'a> {
    /// `Credential=` in `Authorization`; not secret.
    pub access_key_id: &'a str,
    /// The signing key.
    pub secret_access_key: &'a str,
    /// Temporary credentials' token, sent (and signed) as `x-amz-security-token`.
    pub session_token: Option<&'a str>,
}

/// The parts of a request that are signed.
pub struct Request<'a> {
    /// `GET`, `POST`.
    pub method: &'a str,
    /// The whole URL, already percent-encoded as it is sent (`Url::as_str`).
    pub url: &'a str,
    /// Headers to sign besides `host` (which comes from the URL) and `x-amz-date`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (empty for a `GET`).
    pub body: &'a [u8],
}

/// The credential scope's region and service.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// `us-east-1` or `cn-northwest-1` for CloudFront.
    pub region: &'a str,
    /// `cloudfront`.
    pub service: &'a str,
    /// Whether to send the body hash as `x-amz-content-sha256` too (S3 style; only the
    /// test-suite vectors that sign the body ask for it).
    pub content_sha256_header: bool,
}

impl Scope<'_> {
    /// CloudFront's scope in `region`.
    pub fn cloudfront(region: &str) -> Scope<'_> {
        Scope {
            region,
            service: SERVICE,
            content_sha256_header: false,
        }
    }
}

/// The headers that sign `request` at `time`: `x-amz-date`, `authorization` and, with a
/// session token, `x-amz-security-token`. `Err` when the request cannot be signed (a URL the
/// signer cannot parse), which is a bug, not a server fault.
pub fn sign(
    request: &Request<'_>,
    keys: Keys<'_>,
    scope: Scope<'_>,
    time: SystemTime,
) -> Result<Vec<(&'static str, String)>, String> {
    let identity: Identity = Credentials::new(
        keys.access_key_id,
        keys.secret_access_key,
        keys.session_token.map(str::to_string),
        None,
        "purge-wait",
    )
    .into();
    let mut settings = SigningSettings::default();
    if scope.content_sha256_header {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| format!("SigV4 parameters: {e}"))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| format!("SigV4 request: {e}"))?;
    let (instructions, _signature) = sigv4_sign(signable, &params)
        .map_err(|e| format!("SigV4: {e}"))?
        .into_parts();
    let (headers, _params) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name(), h.value().to_string()))
        .collect())
}
