//! The azure-arm inputs (monitor URLs, operation ids, purge targets, Entra ID credentials)
//! and their validation.

use std::collections::HashMap;

use url::Url;

use super::entra::{self, Cloud, Credential};
use crate::auth::github;
use crate::config::{
    self, ConfigError, Input, MAX_IDS, Raw, base_url, has_userinfo, path_segment_problem,
    plain_word, split_ids, too_many, userinfo_error,
};
use crate::provider::cloud::{Configured, Inputs};
use crate::provider::{PurgeRequest, azure_arm, azure_common, oidc_common};
use crate::secret::Secret;

const SECTION: &str = "Azure Resource Manager (provider: azure-arm)";

/// Every input azure-arm reads, in `--help` order.
pub static INPUTS: &[&Input] = &[
    &azure_common::SUBSCRIPTION_ID,
    &Input {
        name: "operation-url",
        help: "Monitor URLs to wait on: the Azure-AsyncOperation (or Location) header of a purge or any long-running operation, separated by spaces or newlines",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "operation-url-kind",
        help: "How the operation-url URLs answer: auto (learnt from the answers: a 202 means a Location URL), location (the Location header: a 200 or 204 without a status is done) or async-operation (the Azure-AsyncOperation header: every answer must carry a status). Only a Location URL may succeed without a status",
        default: Some("auto"),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "location",
        help: "Region of operation-ids: builds {endpoint}/subscriptions/{subscription-id}/providers/{resource-provider}/locations/{location}/operationStatuses/{id}",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "resource-provider",
        help: "Resource provider namespace of operation-ids",
        default: Some(azure_arm::DEFAULT_RESOURCE_PROVIDER),
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &azure_common::API_VERSION,
    &Input {
        name: "resource-group",
        help: "Resource group of the CDN or Front Door profile to purge (with paths)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "profile",
        help: "Name of the CDN or Front Door profile to purge (with paths)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "cdn-endpoint",
        help: "Classic Azure CDN endpoint to purge: POST .../profiles/{profile}/endpoints/{cdn-endpoint}/purge (api-version default 2024-02-01)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "afd-endpoint",
        help: "Front Door Standard/Premium endpoint to purge instead: POST .../profiles/{profile}/afdEndpoints/{afd-endpoint}/purge (api-version default 2024-02-01)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "domains",
        help: "Front Door only: the endpoint's domains to purge (host names, comma or newline separated; default: all of them)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &azure_common::ENVIRONMENT,
    &Input {
        name: "authority-host",
        help: "Entra ID authority host override (default: the environment's, e.g. https://login.microsoftonline.com)",
        default: None,
        secret: false,
        cloud_env: &["AZURE_AUTHORITY_HOST"],
        section: SECTION,
    },
    &Input {
        name: "tenant-id",
        help: "Directory (tenant) id of the app registration or managed identity",
        default: None,
        secret: false,
        cloud_env: &["AZURE_TENANT_ID"],
        section: SECTION,
    },
    &Input {
        name: "client-id",
        help: "Application (client) id",
        default: None,
        secret: false,
        cloud_env: &["AZURE_CLIENT_ID"],
        section: SECTION,
    },
    &Input {
        name: "client-secret",
        help: "Client secret value (a secret); without it: federated-token-file, else the GitHub Actions OIDC token",
        default: None,
        secret: true,
        cloud_env: &["AZURE_CLIENT_SECRET"],
        section: SECTION,
    },
    &Input {
        name: "federated-token-file",
        help: "File holding a federated token to exchange (workload identity federation); read again for each new access token",
        default: None,
        secret: false,
        cloud_env: &["AZURE_FEDERATED_TOKEN_FILE"],
        section: SECTION,
    },
    &oidc_common::AUDIENCE,
    &oidc_common::ACCESS_TOKEN,
];

/// Validates the azure-arm inputs into its settings; the ids are its targets'.
pub fn configure(inputs: &Inputs<'_>) -> Result<Configured, ConfigError> {
    let settings = azure_arm_settings(inputs.raw, inputs.env, inputs.purge)?;
    let ids = settings.targets.iter().map(|t| t.id.clone()).collect();
    Ok(Configured {
        ids,
        settings: Box::new(settings),
    })
}

/// Where an ARM purge goes: subscription, resource group, profile, one endpoint (classic CDN
/// or Front Door), the api-version and Front Door's domains; and the paths, checked.
fn azure_arm_purge(
    raw: &Raw,
    arm: &Url,
    purge: &PurgeRequest,
) -> Result<azure_arm::PurgeTarget, ConfigError> {
    if raw.get("operation-url").is_some() {
        return Err(raw.invalid(
            "operation-url",
            "is given together with paths",
            "Give paths to purge and wait, or operation-url to wait on purges submitted elsewhere, not both.",
        ));
    }
    azure_arm::check_purge(purge)
        .map_err(|problem| ConfigError::new(Some("paths"), format!("input `paths`: {problem}.")))?;
    let subscription = raw.guid("subscription-id")?;
    let group = raw.required("resource-group")?;
    // Resource group names: letters and digits (Unicode too), - _ . ( ), up to 90, not
    // ending in a period.
    let group_ok = (1..=90).contains(&group.chars().count())
        && !group.ends_with('.')
        && group
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c));
    if !group_ok {
        return Err(raw.invalid(
            "resource-group",
            "is not a resource group name",
            "Use the name as the portal shows it: letters, digits, - _ . ( ), up to 90 characters.",
        ));
    }
    let profile = raw.required("profile")?;
    if !plain_word(profile, &['-']) {
        return Err(raw.invalid(
            "profile",
            "is not a profile name",
            "Use the CDN or Front Door profile's name: letters, digits and hyphens.",
        ));
    }
    let (kind, name, endpoint) = match (raw.get("cdn-endpoint"), raw.get("afd-endpoint")) {
        (Some(e), None) => (azure_arm::EndpointKind::Cdn, "cdn-endpoint", e),
        (None, Some(e)) => (azure_arm::EndpointKind::FrontDoor, "afd-endpoint", e),
        (Some(_), Some(_)) => {
            return Err(raw.invalid(
                "afd-endpoint",
                "is given together with cdn-endpoint",
                "Give cdn-endpoint for a classic Azure CDN endpoint or afd-endpoint for a Front Door Standard/Premium endpoint, not both.",
            ));
        }
        (None, None) => {
            let mut e = raw.missing("cdn-endpoint");
            e.message.push_str(
                " (or afd-endpoint for Front Door Standard/Premium): purge-wait needs the endpoint to purge",
            );
            return Err(e);
        }
    };
    if !plain_word(endpoint, &['-']) {
        return Err(raw.invalid(
            name,
            "is not an endpoint name",
            "Use the endpoint's name (letters, digits and hyphens), not its host name.",
        ));
    }
    let domains = purge_domains(raw, kind)?;
    let api_version = raw
        .get("api-version")
        .unwrap_or(azure_arm::PURGE_API_VERSION);
    if !plain_word(api_version, &['-', '.']) {
        return Err(raw.invalid(
            "api-version",
            "is not an api-version",
            "Use a version such as 2024-02-01.",
        ));
    }
    Ok(azure_arm::PurgeTarget::new(
        arm,
        &subscription,
        group,
        profile,
        kind,
        endpoint,
        api_version,
        domains,
    ))
}

/// Front Door's `domains` to purge on: host names, lower-cased, each once.
fn purge_domains(raw: &Raw, kind: azure_arm::EndpointKind) -> Result<Vec<String>, ConfigError> {
    let mut domains = Vec::new();
    if let Some(text) = raw.get("domains") {
        if kind == azure_arm::EndpointKind::Cdn {
            return Err(raw.invalid(
                "domains",
                "is given for a classic CDN endpoint",
                "domains applies to Front Door (afd-endpoint) only; a classic CDN purge covers the endpoint's every host.",
            ));
        }
        for domain in split_ids(text) {
            let host = domain.trim_end_matches('.');
            let is_host = host.contains('.')
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                        && plain_word(label, &['-'])
                        && label.len() <= 63
                });
            if !is_host {
                return Err(ConfigError::new(
                    Some("domains"),
                    format!(
                        "input `domains`: {domain:?} is not a host name. Give the domains as host names (www.contoso.com, no scheme or path); Front Door takes no wildcard domains."
                    ),
                ));
            }
            let host = host.to_ascii_lowercase();
            if !domains.contains(&host) {
                domains.push(host);
            }
        }
    }
    Ok(domains)
}

fn azure_arm_settings(
    raw: &Raw,
    env: &HashMap<String, String>,
    purge: Option<&PurgeRequest>,
) -> Result<azure_arm::Settings, ConfigError> {
    let cloud_text = raw.required("environment")?;
    let cloud = Cloud::parse(cloud_text).ok_or_else(|| {
        raw.invalid(
            "environment",
            "is not an Azure cloud purge-wait knows",
            "Use AzureCloud, AzureChinaCloud or AzureUSGovernment (with endpoint and authority-host for others).",
        )
    })?;
    let arm = match raw.get("endpoint") {
        Some(_) => base_url(raw, "endpoint", cloud.resource_manager())?,
        None => Url::parse(cloud.resource_manager()).expect("cloud URLs parse"),
    };
    let arm_name = if raw.get("endpoint").is_some() {
        format!(
            "the endpoint input ({})",
            arm.origin().ascii_serialization()
        )
    } else {
        format!("{} ({})", cloud.resource_manager(), cloud.name())
    };
    let purge = purge
        .map(|purge| azure_arm_purge(raw, &arm, purge))
        .transpose()?;
    let mut targets: Vec<azure_arm::Target> = Vec::new();
    monitor_targets(raw, &arm, &arm_name, &mut targets)?;
    operation_id_targets(raw, &arm, &mut targets)?;
    check_targets(&targets, purge.is_some())?;
    let authority = match raw.get("authority-host") {
        Some(_) => base_url(raw, "authority-host", cloud.authority_host())?,
        None => Url::parse(cloud.authority_host()).expect("cloud URLs parse"),
    };
    Ok(azure_arm::Settings {
        cloud,
        arm,
        targets,
        auth: entra::Settings {
            authority,
            scope: cloud.scope(),
            credential: credential(raw, env, cloud)?,
        },
        purge,
    })
}

/// Adds a monitor target once (the same URL twice is one operation); a second target with
/// the same readable id is shown by its whole URL.
fn push_target(targets: &mut Vec<azure_arm::Target>, mut t: azure_arm::Target) {
    if targets.iter().any(|x| x.url == t.url) {
        return;
    }
    if targets.iter().any(|x| x.id == t.id) {
        let mut plain = t.url.clone();
        plain.set_query(None);
        t.id = plain.to_string();
    }
    targets.push(t);
}

/// The `operation-url` monitor URLs (of `operation-url-kind`), each on the Resource Manager
/// host, as the header returned it.
fn monitor_targets(
    raw: &Raw,
    arm: &Url,
    arm_name: &str,
    targets: &mut Vec<azure_arm::Target>,
) -> Result<(), ConfigError> {
    let kind = azure_arm::Style::from_kind(raw.required("operation-url-kind")?).ok_or_else(|| {
        raw.invalid(
            "operation-url-kind",
            "is not a monitor URL kind",
            "Use auto, location (the URL came from a Location header) or async-operation (from an Azure-AsyncOperation header).",
        )
    })?;
    if kind != azure_arm::Style::Unknown && raw.get("operation-url").is_none() {
        return Err(raw.invalid(
            "operation-url-kind",
            "is given without operation-url",
            "It says how the operation-url URLs answer; purge-wait knows the kind of the URLs it builds from operation-ids or gets from a purge. Leave it at auto.",
        ));
    }
    for text in split_ids(raw.get("operation-url").unwrap_or_default()) {
        let bad = |problem: String, fix: &str| {
            ConfigError::new(
                Some("operation-url"),
                format!("input `operation-url`: {text:?} {problem}. {fix}"),
            )
        };
        let url = Url::parse(&text).map_err(|e| {
            bad(
                format!("is not a URL ({e})"),
                "Give the full Azure-AsyncOperation or Location URL, https://… with its api-version.",
            )
        })?;
        if has_userinfo(&url) {
            return Err(userinfo_error("operation-url", &url));
        }
        if !azure_arm::is_under(arm, &url) {
            return Err(bad(
                format!("is not on {arm_name}"),
                "purge-wait sends the Entra ID token only to the Resource Manager host of `environment` (or `endpoint`): set environment to the cloud the URL belongs to, or check the URL.",
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("has a fragment".into(), "Remove the #… part."));
        }
        if let Err(why) = azure_arm::check_monitor_url(arm, &url) {
            return Err(bad(
                why,
                "Give the URL exactly as the Azure-AsyncOperation or Location header returned it.",
            ));
        }
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            return Err(bad(
                "has no api-version".into(),
                "Give the URL exactly as the Azure-AsyncOperation or Location header returned it (it carries ?api-version=…).",
            ));
        }
        let id = azure_arm::readable_id(&url);
        push_target(
            targets,
            azure_arm::Target {
                id,
                url,
                style: kind,
            },
        );
    }
    Ok(())
}

/// The `operation-ids` of an API (`resource-provider`, `location`): their operationStatuses
/// URLs under the subscription.
fn operation_id_targets(
    raw: &Raw,
    arm: &Url,
    targets: &mut Vec<azure_arm::Target>,
) -> Result<(), ConfigError> {
    let ids = split_ids(raw.get("operation-ids").unwrap_or_default());
    if ids.is_empty() && raw.get("operation-ids").is_some() {
        return Err(raw.invalid(
            "operation-ids",
            "holds no id",
            "Give one or more ids separated by commas, spaces or newlines.",
        ));
    }
    if !ids.is_empty() {
        let subscription = raw.guid("subscription-id")?;
        let location = raw.required("location")?;
        if !plain_word(location, &['-', '_']) {
            return Err(raw.invalid(
                "location",
                "is not a region name",
                "Use the region's name as ARM spells it, e.g. westeurope or chinanorth3.",
            ));
        }
        let rp = raw.required("resource-provider")?;
        if !plain_word(rp, &['.']) || !rp.contains('.') {
            return Err(raw.invalid(
                "resource-provider",
                "is not a resource provider namespace",
                "Use a namespace such as Microsoft.ApiManagement or Microsoft.Cdn.",
            ));
        }
        let api_version = raw
            .get("api-version")
            .unwrap_or(azure_arm::DEFAULT_API_VERSION);
        if !plain_word(api_version, &['-', '.']) {
            return Err(raw.invalid(
                "api-version",
                "is not an api-version",
                "Use a version such as 2024-05-01 or 2024-05-01-preview.",
            ));
        }
        if ids.len() > MAX_IDS {
            return Err(too_many("operation-ids", &ids));
        }
        for id in ids {
            if let Some(problem) = path_segment_problem(&id) {
                return Err(ConfigError::new(
                    Some("operation-ids"),
                    format!(
                        "input `operation-ids`: {} is not an operation id: it {problem}. Give the id alone, or the whole URL as operation-url.",
                        crate::provider::quoted(&id)
                    ),
                ));
            }
            let mut url = arm.clone();
            url.path_segments_mut()
                .expect("an http(s) base")
                .pop_if_empty()
                .extend([
                    "subscriptions",
                    &subscription,
                    "providers",
                    rp,
                    "locations",
                    location,
                    "operationStatuses",
                    &id,
                ]);
            url.query_pairs_mut()
                .append_pair("api-version", api_version);
            push_target(
                targets,
                azure_arm::Target {
                    id,
                    url,
                    style: azure_arm::Style::AsyncOperation,
                },
            );
        }
    }
    Ok(())
}

/// At most [`MAX_IDS`] targets in all, and something to wait on (or a purge).
fn check_targets(targets: &[azure_arm::Target], purging: bool) -> Result<(), ConfigError> {
    if targets.len() > MAX_IDS {
        let ids: Vec<&str> = targets.iter().map(|t| t.id.as_str()).collect();
        let mut e = too_many("operation-url", &ids);
        e.message = e.message.replacen(
            "input `operation-url` holds",
            "inputs `operation-url` and `operation-ids` hold",
            1,
        );
        return Err(e);
    }
    if targets.is_empty() && !purging {
        return Err(ConfigError::new(
            Some("operation-url"),
            "provider azure-arm needs something to wait on: set operation-url to the monitor URL(s) a purge returned (its Azure-AsyncOperation header), or operation-ids with subscription-id and location, or paths to purge with resource-group, profile and cdn-endpoint (or afd-endpoint)".into(),
        ));
    }
    Ok(())
}

/// Picks the Entra ID flow: a token given as is; else tenant-id + client-id with a client
/// secret, a federated token file, or (in GitHub Actions) the job's OIDC token.
fn credential(
    raw: &Raw,
    env: &HashMap<String, String>,
    cloud: Cloud,
) -> Result<Credential, ConfigError> {
    let var = |name: &str| env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    // `access-token` is shared with other clouds: azure-arm reads its own variable itself.
    if let Some(token) = raw
        .get("access-token")
        .or_else(|| var("AZURE_ACCESS_TOKEN"))
    {
        return Ok(Credential::AccessToken(Secret::new(token)));
    }
    let oidc = var("ACTIONS_ID_TOKEN_REQUEST_URL").zip(var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"));
    let any = [
        "tenant-id",
        "client-id",
        "client-secret",
        "federated-token-file",
    ]
    .iter()
    .any(|n| raw.get(n).is_some());
    if !any {
        let github = if var("GITHUB_ACTIONS") == Some("true") {
            " In GitHub Actions, OIDC needs tenant-id and client-id and `permissions: id-token: write` on the job."
        } else {
            ""
        };
        return Err(ConfigError::new(
            Some("client-id"),
            format!(
                "provider azure-arm needs Entra ID credentials: tenant-id and client-id (AZURE_TENANT_ID, AZURE_CLIENT_ID) with client-secret (AZURE_CLIENT_SECRET), federated-token-file (AZURE_FEDERATED_TOKEN_FILE) or the GitHub Actions OIDC token; or access-token (AZURE_ACCESS_TOKEN).{github}"
            ),
        ));
    }
    let tenant_id = raw.required("tenant-id")?.to_string();
    if !plain_word(&tenant_id, &['-', '.']) {
        return Err(raw.invalid(
            "tenant-id",
            "is not a tenant id",
            "Use the directory (tenant) GUID or its domain, e.g. contoso.onmicrosoft.com.",
        ));
    }
    let client_id = raw.guid("client-id")?;
    if let Some(secret) = raw.get("client-secret") {
        return Ok(Credential::ClientSecret {
            tenant_id,
            client_id,
            secret: Secret::new(secret),
        });
    }
    if let Some(path) = raw.get("federated-token-file") {
        config::readable_file(raw, "federated-token-file", "the federated token")?;
        return Ok(Credential::FederatedTokenFile {
            tenant_id,
            client_id,
            path: path.into(),
        });
    }
    let Some((request_url, request_token)) = oidc else {
        return Err(ConfigError::new(
            Some("client-secret"),
            "input `client-secret` is required with tenant-id and client-id unless federated-token-file is set or the GitHub Actions OIDC token is available (give the job `permissions: id-token: write`; ACTIONS_ID_TOKEN_REQUEST_URL is not set)".into(),
        ));
    };
    let request_url = Url::parse(request_url)
        .ok()
        .filter(|u| github::request_url_allowed(u, raw.boolean("allow-http").unwrap_or(false)))
        .ok_or_else(|| {
            ConfigError::new(
                None,
                "ACTIONS_ID_TOKEN_REQUEST_URL is not an https URL without a user name or password; it is set by the GitHub Actions runner and should not be changed".into(),
            )
        })?;
    let audience = raw
        .get("audience")
        .unwrap_or(cloud.token_exchange_audience())
        .to_string();
    Ok(Credential::GithubOidc {
        tenant_id,
        client_id,
        request_url,
        request_token: Secret::new(request_token),
        audience,
    })
}
