//! The alibaba-dcdn / alibaba-cdn inputs (region, AccessKey, OIDC role assumption) and
//! their validation.

use std::collections::HashMap;

use url::Url;

use super::credentials as auth;
use crate::auth::github;
use crate::config::{
    self, ConfigError, Input, Raw, base_url, endpoint, operation_ids, paths_error,
};
use crate::provider::cloud::{Configured, Inputs};
use crate::provider::{alibaba, oidc_common};
use crate::secret::Secret;

const SECTION: &str = "Alibaba Cloud DCDN / CDN (provider: alibaba-dcdn, alibaba-cdn)";

/// Every input alibaba-dcdn and alibaba-cdn read, in `--help` order.
pub static INPUTS: &[&Input] = &[
    &Input {
        name: "region",
        help: "Region id; picks the SDK's endpoint (CDN: international regions use cdn.ap-southeast-1.aliyuncs.com)",
        default: Some(alibaba::DEFAULT_REGION),
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_REGION_ID"],
        section: SECTION,
    },
    &Input {
        name: "access-key-id",
        help: "AccessKey ID of a RAM user (or of STS credentials with security-token)",
        default: None,
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        section: SECTION,
    },
    &Input {
        name: "access-key-secret",
        help: "AccessKey secret (a secret)",
        default: None,
        secret: true,
        cloud_env: &["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        section: SECTION,
    },
    &Input {
        name: "security-token",
        help: "STS security token, when the AccessKey is temporary (a secret)",
        default: None,
        secret: true,
        cloud_env: &["ALIBABA_CLOUD_SECURITY_TOKEN"],
        section: SECTION,
    },
    &oidc_common::ROLE_ARN,
    &Input {
        name: "oidc-provider-arn",
        help: "RAM OIDC identity provider (acs:ram::<uid>:oidc-provider/<name>)",
        default: None,
        secret: false,
        cloud_env: &["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"],
        section: SECTION,
    },
    &oidc_common::OIDC_TOKEN_FILE,
    &Input {
        name: "oidc-audience",
        help: "Audience of the GitHub Actions OIDC token (a client id of the RAM OIDC provider)",
        default: Some(auth::DEFAULT_AUDIENCE),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &oidc_common::ROLE_SESSION_NAME,
    &oidc_common::STS_ENDPOINT,
];

/// Validates the Alibaba inputs of `name` (DCDN or CDN) into its settings and the ids.
pub fn configure(name: &'static str, inputs: &Inputs<'_>) -> Result<Configured, ConfigError> {
    let env = inputs.env;
    // The shared inputs' Alibaba variables, read here only.
    let mut own = inputs.raw.clone();
    own.or_cloud_env("role-arn", &["ALIBABA_CLOUD_ROLE_ARN"], env);
    own.or_cloud_env("oidc-token-file", &["ALIBABA_CLOUD_OIDC_TOKEN_FILE"], env);
    own.or_cloud_env(
        "role-session-name",
        &["ALIBABA_CLOUD_ROLE_SESSION_NAME"],
        env,
    );
    let raw = &own;
    let ids = match inputs.purge {
        Some(purge) => {
            alibaba::check_purge(purge).map_err(paths_error)?;
            Vec::new()
        }
        None => operation_ids(raw)?,
    };
    let product = alibaba::Product::from_name(name).expect("a registry name of this folder");
    let region = raw.required("region")?;
    if !is_region(region) {
        return Err(raw.invalid(
            "region",
            "is not a region id",
            "Use an id such as cn-hangzhou or ap-southeast-1.",
        ));
    }
    let settings = alibaba::Settings {
        product,
        endpoint: endpoint(raw, &product.default_endpoint(region))?,
        credentials: alibaba_credentials(raw, env)?,
    };
    Ok(Configured {
        ids,
        settings: Box::new(settings),
    })
}

/// `cn-hangzhou`, `ap-southeast-1`: lower-case letters, digits and hyphens.
fn is_region(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 40
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The Alibaba credentials, in the order the official tools use: an AccessKey (inputs, then
/// `ALIBABA_CLOUD_*`), then OIDC role assumption with a token file or, in GitHub Actions, the
/// job's own OIDC token.
fn alibaba_credentials(
    raw: &Raw,
    env: &HashMap<String, String>,
) -> Result<auth::Source, ConfigError> {
    if let Some(key) = access_key(raw)? {
        return Ok(key);
    }
    lone_security_token(raw)?;
    let (role_arn, oidc_provider_arn) = role_arns(raw)?;
    let session_name = session_name(raw)?;
    let token = oidc_token(raw, env)?;
    let sts_endpoint = sts_endpoint(raw, env)?;
    Ok(auth::Source::Oidc(Box::new(auth::OidcRole {
        role_arn: role_arn.to_string(),
        oidc_provider_arn: oidc_provider_arn.to_string(),
        session_name: session_name.to_string(),
        sts_endpoint,
        token,
    })))
}

/// An AccessKey pair (with its STS token, if any), when given.
fn access_key(raw: &Raw) -> Result<Option<auth::Source>, ConfigError> {
    let id = raw.get("access-key-id");
    let secret = raw.get("access-key-secret");
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some(auth::Source::Static(auth::AccessKey {
            id: id.to_string(),
            secret: Secret::new(secret),
            token: raw.get("security-token").map(Secret::new),
        }))),
        (Some(_), None) => Err(raw.missing("access-key-secret")),
        (None, Some(_)) => Err(raw.missing("access-key-id")),
        (None, None) => Ok(None),
    }
}

/// An STS token given without the temporary AccessKey it came with.
fn lone_security_token(raw: &Raw) -> Result<(), ConfigError> {
    if raw.get("security-token").is_some() {
        return Err(ConfigError::new(
            Some("security-token"),
            "input `security-token` is set but access-key-id and access-key-secret are not: an STS token is used with the temporary AccessKey it came with. Set all three.".into(),
        ));
    }
    Ok(())
}

/// The RAM role and OIDC provider to assume the role with.
fn role_arns(raw: &Raw) -> Result<(&str, &str), ConfigError> {
    let role = raw.get("role-arn");
    let provider = raw.get("oidc-provider-arn");
    let (role_arn, oidc_provider_arn) = match (role, provider) {
        (Some(r), Some(p)) => (r, p),
        (Some(_), None) => return Err(raw.missing("oidc-provider-arn")),
        (None, Some(_)) => return Err(raw.missing("role-arn")),
        (None, None) => {
            return Err(ConfigError::new(
                Some("access-key-id"),
                "no Alibaba Cloud credentials: set inputs `access-key-id` and `access-key-secret` (or ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET), or `role-arn` and `oidc-provider-arn` (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN) to assume a role with OIDC".into(),
            ));
        }
    };
    if !(role_arn.starts_with("acs:ram::") && role_arn.contains(":role/")) {
        return Err(raw.invalid(
            "role-arn",
            "is not a RAM role ARN",
            "Use acs:ram::<account id>:role/<role name>.",
        ));
    }
    if !(oidc_provider_arn.starts_with("acs:ram::")
        && oidc_provider_arn.contains(":oidc-provider/"))
    {
        return Err(raw.invalid(
            "oidc-provider-arn",
            "is not a RAM OIDC provider ARN",
            "Use acs:ram::<account id>:oidc-provider/<provider name>.",
        ));
    }
    Ok((role_arn, oidc_provider_arn))
}

/// The `role-session-name`, checked.
fn session_name(raw: &Raw) -> Result<&str, ConfigError> {
    let session_name = raw.required("role-session-name")?;
    let valid_session = (2..=64).contains(&session_name.len())
        && session_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'@' | b'-' | b'_'));
    if !valid_session {
        return Err(raw.invalid(
            "role-session-name",
            "is not a valid RoleSessionName",
            "Use 2 to 64 letters, digits, '.', '@', '-' or '_'.",
        ));
    }
    Ok(session_name)
}

/// Where the OIDC token comes from: a file, else the GitHub Actions token service.
fn oidc_token(raw: &Raw, env: &HashMap<String, String>) -> Result<auth::TokenSource, ConfigError> {
    if let Some(file) = raw.get("oidc-token-file") {
        // Read when STS credentials are needed (a missing file is reported then, exit 3, as
        // before); one that exists must be a regular file.
        if std::path::Path::new(file).exists() {
            config::readable_file(raw, "oidc-token-file", "the OIDC token")?;
        }
        return Ok(auth::TokenSource::File(file.into()));
    }
    let var = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    match (
        var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        (Some(url), Some(token)) => {
            let request_url = match Url::parse(url) {
                Ok(u)
                    if github::request_url_allowed(
                        &u,
                        raw.boolean("allow-http").unwrap_or(false),
                    ) =>
                {
                    u
                }
                _ => {
                    return Err(ConfigError::new(
                        Some("oidc-token-file"),
                        "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL (without a user name or password), so the job's OIDC token cannot be requested. Set oidc-token-file instead.".into(),
                    ));
                }
            };
            Ok(auth::TokenSource::GithubActions {
                request_url,
                request_token: Secret::new(token),
                audience: raw.required("oidc-audience")?.to_string(),
            })
        }
        _ => Err(ConfigError::new(
            Some("oidc-token-file"),
            "`role-arn` and `oidc-provider-arn` are set but there is no OIDC token: set input `oidc-token-file` (ALIBABA_CLOUD_OIDC_TOKEN_FILE), or in GitHub Actions give the job `permissions: id-token: write` so that its own token is used".into(),
        )),
    }
}

/// The STS endpoint: given, else the regional one of ALIBABA_CLOUD_STS_REGION, else the default.
fn sts_endpoint(raw: &Raw, env: &HashMap<String, String>) -> Result<Url, ConfigError> {
    Ok(match raw.get("sts-endpoint") {
        Some(_) => base_url(raw, "sts-endpoint", auth::DEFAULT_STS_ENDPOINT)?,
        None => {
            let region = env
                .get("ALIBABA_CLOUD_STS_REGION")
                .map(|r| r.trim())
                .filter(|r| is_region(r));
            let vpc = env
                .get("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
            let text = match region {
                Some(r) if vpc => format!("https://sts-vpc.{r}.aliyuncs.com"),
                Some(r) => format!("https://sts.{r}.aliyuncs.com"),
                None => auth::DEFAULT_STS_ENDPOINT.to_string(),
            };
            Url::parse(&text).map_err(|e| {
                ConfigError::new(
                    Some("sts-endpoint"),
                    format!(
                        "ALIBABA_CLOUD_STS_REGION gives no valid STS URL ({e}); set sts-endpoint"
                    ),
                )
            })?
        }
    })
}
