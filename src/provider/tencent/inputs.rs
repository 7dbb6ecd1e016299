//! The tencent-cdn / tencent-edgeone inputs (keys, OIDC role assumption, zone, flush type)
//! and their validation. Every range is checked here, before any request (exit 2).

use std::collections::HashMap;

use url::Url;

use super::cdn::FlushType;
use super::credentials::{self as auth, Keys, OidcRole, Source, TokenSource};
use super::{Product, Settings, cdn, edgeone, is_operation_id};
use crate::auth::github;
use crate::config::{
    self, ConfigError, Input, Raw, base_url, endpoint, operation_ids, paths_error,
};
use crate::provider::PurgeKind;
use crate::provider::cloud::{Configured, Inputs};
use crate::provider::oidc_common;
use crate::secret::Secret;

const SECTION: &str = "Tencent Cloud CDN / EdgeOne (provider: tencent-cdn, tencent-edgeone)";

/// The session token's variables, in the order they are tried (the issue's, tccli's,
/// terraform's).
pub const TOKEN_ENV: &[&str] = &[
    "TENCENTCLOUD_SESSION_TOKEN",
    "TENCENTCLOUD_TOKEN",
    "TENCENTCLOUD_SECURITY_TOKEN",
];

/// Every input tencent-cdn and tencent-edgeone read, in `--help` order.
pub static INPUTS: &[&Input] = &[
    &Input {
        name: "secret-id",
        help: "SecretId of a CAM API key (or of temporary keys with session-token)",
        default: None,
        secret: false,
        cloud_env: &["TENCENTCLOUD_SECRET_ID"],
        section: SECTION,
    },
    &Input {
        name: "secret-key",
        help: "SecretKey (a secret)",
        default: None,
        secret: true,
        cloud_env: &["TENCENTCLOUD_SECRET_KEY"],
        section: SECTION,
    },
    &Input {
        name: "session-token",
        help: "Session token of temporary keys, sent as X-TC-Token (a secret)",
        default: None,
        secret: true,
        cloud_env: TOKEN_ENV,
        section: SECTION,
    },
    &Input {
        name: "zone-id",
        help: "tencent-edgeone: the zone (zone-…) the purges and jobs belong to",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "flush-type",
        help: "flush (purge what changed) or delete (purge everything): tencent-cdn's FlushType of directory purges; tencent-edgeone: delete sends Method delete for prefix, host and zone purges",
        default: Some("flush"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "cache-tag-domains",
        help: "tencent-edgeone with purge-type cache-tag: the domains whose cache tags are purged (CacheTag.Domains)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "oidc-provider-id",
        help: "Name of the CAM OIDC identity provider to assume role-arn with (ProviderId)",
        default: None,
        secret: false,
        cloud_env: &["TKE_PROVIDER_ID"],
        section: SECTION,
    },
    &oidc_common::ROLE_ARN,
    &oidc_common::OIDC_TOKEN_FILE,
    &oidc_common::AUDIENCE,
    &oidc_common::ROLE_SESSION_NAME,
    &oidc_common::STS_ENDPOINT,
];

/// Validates the Tencent inputs of `name` (CDN or EdgeOne) into its settings and the ids.
pub fn configure(name: &'static str, inputs: &Inputs<'_>) -> Result<Configured, ConfigError> {
    let env = inputs.env;
    let product = Product::from_name(name).expect("a registry name of this folder");
    // The shared inputs' Tencent variables, read here only.
    let mut own = inputs.raw.clone();
    own.or_cloud_env("role-arn", &["TKE_ROLE_ARN"], env);
    own.or_cloud_env("oidc-token-file", &["TKE_WEB_IDENTITY_TOKEN_FILE"], env);
    let raw = &own;
    let zone_id = zone_id(raw, product)?;
    let ids = match inputs.purge {
        Some(purge) => {
            match product {
                Product::Cdn => cdn::check_purge(purge),
                Product::EdgeOne => edgeone::check_purge(purge),
            }
            .map_err(paths_error)?;
            Vec::new()
        }
        None => task_ids(raw, product)?,
    };
    let flush_type = FlushType::parse(raw.required("flush-type")?).ok_or_else(|| {
        raw.invalid(
            "flush-type",
            "is not a flush type",
            "Use flush (purge what changed) or delete (purge everything).",
        )
    })?;
    let cache_tag_domains = cache_tag_domains(raw, product, inputs.purge.map(|p| p.kind))?;
    let settings = Settings {
        product,
        endpoint: endpoint(raw, product.default_endpoint())?,
        credentials: credentials(raw, env)?,
        zone_id,
        flush_type,
        cache_tag_domains,
    };
    Ok(Configured {
        ids,
        settings: Box::new(settings),
    })
}

/// The ids to wait on: TaskIds / JobIds as the purge calls returned them.
fn task_ids(raw: &Raw, product: Product) -> Result<Vec<String>, ConfigError> {
    let ids = operation_ids(raw)?;
    if let Some(bad) = ids.iter().find(|id| !is_operation_id(id)) {
        return Err(config::bad_id(
            bad,
            &format!(
                "is not a {} (1 to 128 letters, digits, '-', '_' or '.')",
                product.id_name()
            ),
        ));
    }
    Ok(ids)
}

/// EdgeOne's zone: required, `zone-` and letters or digits; CDN takes none.
fn zone_id(raw: &Raw, product: Product) -> Result<Option<String>, ConfigError> {
    match product {
        Product::Cdn => {
            if raw.get("zone-id").is_some() {
                return Err(raw.invalid(
                    "zone-id",
                    "is set, but tencent-cdn has no zones",
                    "Remove zone-id, or use provider tencent-edgeone.",
                ));
            }
            Ok(None)
        }
        Product::EdgeOne => {
            let zone = raw.required("zone-id")?;
            let ok = zone.len() <= 64
                && zone.strip_prefix("zone-").is_some_and(|rest| {
                    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                });
            if !ok {
                return Err(raw.invalid(
                    "zone-id",
                    "is not an EdgeOne zone id",
                    "Use the zone's id as the console shows it, such as zone-2o0l8g7zisgt.",
                ));
            }
            Ok(Some(zone.to_string()))
        }
    }
}

/// `cache-tag-domains`: host names, required for an EdgeOne cache-tag purge only.
fn cache_tag_domains(
    raw: &Raw,
    product: Product,
    kind: Option<PurgeKind>,
) -> Result<Vec<String>, ConfigError> {
    let wanted = product == Product::EdgeOne && kind == Some(PurgeKind::CacheTag);
    let Some(text) = raw.get("cache-tag-domains") else {
        if wanted {
            return Err(raw.missing("cache-tag-domains"));
        }
        return Ok(Vec::new());
    };
    if !wanted {
        return Err(raw.invalid(
            "cache-tag-domains",
            "is set without a cache-tag purge",
            "Use it with provider tencent-edgeone, paths and purge-type cache-tag, or remove it.",
        ));
    }
    let domains = config::split_ids(text);
    let host = |d: &str| {
        (1..=253).contains(&d.len())
            && d.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*'))
    };
    if domains.is_empty() || domains.len() > 100 || !domains.iter().all(|d| host(d)) {
        return Err(raw.invalid(
            "cache-tag-domains",
            "is not a list of 1 to 100 domains",
            "Give host names such as www.example.com, separated by commas or new lines.",
        ));
    }
    Ok(domains)
}

/// The credentials, in the order tccli and the SDKs use: a key pair (inputs, then
/// `TENCENTCLOUD_*`), then OIDC role assumption.
fn credentials(raw: &Raw, env: &HashMap<String, String>) -> Result<Source, ConfigError> {
    let id = raw.get("secret-id");
    let key = raw.get("secret-key");
    match (id, key) {
        (Some(id), Some(key)) => {
            for (name, value) in [("secret-id", id), ("secret-key", key)] {
                if value.len() > 1024 || value.chars().any(|c| c.is_control() || c == ' ') {
                    return Err(raw.invalid(
                        name,
                        "holds spaces or control characters",
                        "Give the key exactly as the CAM console shows it.",
                    ));
                }
            }
            let token = raw.get("session-token");
            if let Some(t) = token {
                if t.len() > 8192 || t.chars().any(char::is_control) {
                    return Err(raw.invalid(
                        "session-token",
                        "is not a session token",
                        "Give the Token of the temporary keys as STS issued it.",
                    ));
                }
            }
            return Ok(Source::Static(Keys {
                secret_id: id.to_string(),
                secret_key: Secret::new(key),
                token: token.map(Secret::new),
            }));
        }
        (Some(_), None) => return Err(raw.missing("secret-key")),
        (None, Some(_)) => return Err(raw.missing("secret-id")),
        (None, None) => {}
    }
    if raw.get("session-token").is_some() {
        return Err(ConfigError::new(
            Some("session-token"),
            "input `session-token` is set but secret-id and secret-key are not: a session token is used with the temporary keys it came with. Set all three.".into(),
        ));
    }
    let role_arn = role_arn(raw)?;
    let provider_id = provider_id(raw)?;
    let session_name = session_name(raw, env)?;
    let token = oidc_token(raw, env)?;
    let sts_endpoint = match raw.get("sts-endpoint") {
        Some(_) => base_url(raw, "sts-endpoint", auth::DEFAULT_STS_ENDPOINT)?,
        None => Url::parse(auth::DEFAULT_STS_ENDPOINT).expect("the default parses"),
    };
    Ok(Source::Oidc(Box::new(OidcRole {
        role_arn,
        provider_id,
        session_name,
        sts_endpoint,
        region: sts_region(env),
        token,
    })))
}

/// The CAM role: `qcs::cam::uin/<digits>:roleName/<name>`.
fn role_arn(raw: &Raw) -> Result<String, ConfigError> {
    let Some(arn) = raw.get("role-arn") else {
        let has_provider = raw.get("oidc-provider-id").is_some();
        return Err(if has_provider {
            raw.missing("role-arn")
        } else {
            ConfigError::new(
                Some("secret-id"),
                "no Tencent Cloud credentials: set inputs `secret-id` and `secret-key` (or TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY), or `role-arn` and `oidc-provider-id` (TKE_ROLE_ARN, TKE_PROVIDER_ID) to assume a CAM role with OIDC".into(),
            )
        });
    };
    let ok = arn.len() <= 512
        && arn.strip_prefix("qcs::cam::uin/").is_some_and(|rest| {
            rest.split_once(":roleName/").is_some_and(|(uin, name)| {
                !uin.is_empty()
                    && uin.bytes().all(|b| b.is_ascii_digit())
                    && !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
            })
        });
    if !ok {
        return Err(raw.invalid(
            "role-arn",
            "is not a CAM role ARN",
            "Use qcs::cam::uin/<account uin>:roleName/<role name>.",
        ));
    }
    Ok(arn.to_string())
}

/// The CAM OIDC identity provider's name.
fn provider_id(raw: &Raw) -> Result<String, ConfigError> {
    let id = raw.required("oidc-provider-id")?;
    if !config::plain_word(id, &['-', '_', '.']) || id.len() > 128 {
        return Err(raw.invalid(
            "oidc-provider-id",
            "is not an identity provider name",
            "Use the name of the CAM OIDC identity provider (letters, digits, '-', '_', '.').",
        ));
    }
    Ok(id.to_string())
}

/// Whether an input's value was given to purge-wait itself (flag, `INPUT_*`,
/// `PURGE_WAIT_*`) rather than read from a cloud's variable.
fn explicit<'a>(raw: &'a Raw, name: &str) -> Option<&'a str> {
    match raw.source(name)? {
        config::Source::Flag => raw.get(name),
        config::Source::Env(var) if var.starts_with("INPUT_") || var.starts_with("PURGE_WAIT_") => {
            raw.get(name)
        }
        _ => None,
    }
}

/// `RoleSessionName`: given, else `TENCENTCLOUD_ROLE_SESSION_NAME` (tccli's), else
/// `purge-wait`; 2 to 128 characters of `[\w+=,.@-]` (the CAM rule). Another cloud's
/// variable of the shared input is not read.
fn session_name(raw: &Raw, env: &HashMap<String, String>) -> Result<String, ConfigError> {
    let name = explicit(raw, "role-session-name")
        .or_else(|| {
            env.get("TENCENTCLOUD_ROLE_SESSION_NAME")
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        })
        .unwrap_or("purge-wait");
    let ok = (2..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !ok {
        return Err(ConfigError::new(
            Some("role-session-name"),
            format!(
                "input `role-session-name`: {name:?} is not a RoleSessionName. Use 2 to 128 letters, digits or _ + = , . @ -."
            ),
        ));
    }
    Ok(name.to_string())
}

/// `X-TC-Region` of the STS call: `TKE_REGION` or `TENCENTCLOUD_REGION` when they hold a
/// region, else ap-guangzhou (the SDKs' default).
fn sts_region(env: &HashMap<String, String>) -> String {
    ["TKE_REGION", "TENCENTCLOUD_REGION"]
        .iter()
        .filter_map(|v| env.get(*v).map(|r| r.trim()))
        .find(|r| {
            (1..=40).contains(&r.len())
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .unwrap_or(auth::DEFAULT_STS_REGION)
        .to_string()
}

/// Where the OIDC token comes from: a file, else the GitHub Actions token service.
fn oidc_token(raw: &Raw, env: &HashMap<String, String>) -> Result<TokenSource, ConfigError> {
    if let Some(file) = raw.get("oidc-token-file") {
        if std::path::Path::new(file).exists() {
            config::readable_file(raw, "oidc-token-file", "the OIDC token")?;
        }
        return Ok(TokenSource::File(file.into()));
    }
    let var = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    match (
        var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) {
        (Some(url), Some(token)) => {
            let allow_http = raw.boolean("allow-http").unwrap_or(false);
            let request_url = Url::parse(url)
                .ok()
                .filter(|u| github::request_url_allowed(u, allow_http))
                .ok_or_else(|| {
                    ConfigError::new(
                        Some("oidc-token-file"),
                        "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL (without a user name or password), so the job's OIDC token cannot be requested. Set oidc-token-file instead.".into(),
                    )
                })?;
            let audience = raw.get("audience").unwrap_or(auth::DEFAULT_AUDIENCE);
            if !(1..=256).contains(&audience.len()) || audience.chars().any(char::is_control) {
                return Err(raw.invalid(
                    "audience",
                    "is not an audience",
                    "Use the client id of the CAM OIDC identity provider, such as sts.tencentcloudapi.com.",
                ));
            }
            Ok(TokenSource::GithubActions {
                request_url,
                request_token: Secret::new(token),
                audience: audience.to_string(),
            })
        }
        _ => Err(ConfigError::new(
            Some("oidc-token-file"),
            "`role-arn` and `oidc-provider-id` are set but there is no OIDC token: set input `oidc-token-file` (TKE_WEB_IDENTITY_TOKEN_FILE), or in GitHub Actions give the job `permissions: id-token: write` so that its own token is used".into(),
        )),
    }
}
