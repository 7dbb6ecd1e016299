//! The azure-classic inputs (certificate, publish settings, environment, api-version) and
//! `ca-file`, validated before any request.

use chrono::Utc;
use url::Url;

use super::{ConfigError, Raw, endpoint, missing};
use crate::provider::azure_classic::{self, PublishSubscription, Settings};
use crate::tls::{self, CertError, ClientCert};

/// The inputs that can hold the management certificate; exactly one must be set.
const CERT_SOURCES: [&str; 3] = ["certificate", "certificate-file", "publish-settings-file"];

/// Reads and checks everything azure-classic needs.
pub(super) fn azure_classic_settings(raw: &Raw) -> Result<Settings, ConfigError> {
    let api_version = api_version(raw)?;
    let given: Vec<&'static str> = CERT_SOURCES
        .into_iter()
        .filter(|n| raw.get(n).is_some())
        .collect();
    let password = raw.get("certificate-password");
    let (certificate, subscription_id, publish_url) = match given[..] {
        [] => {
            return Err(ConfigError::new(
                Some("certificate"),
                "input `certificate` is required for azure-classic: set the management certificate with `certificate` (PEM or base64 PKCS#12, from a secret), `certificate-file` or `publish-settings-file` (flags --NAME, or PURGE_WAIT_<NAME>)".to_string(),
            ));
        }
        ["certificate"] => {
            let text = raw.get("certificate").expect("given");
            let cert = ClientCert::parse(text.as_bytes(), password)
                .map_err(|e| cert_error(raw, "certificate", e))?;
            (cert, raw.guid("subscription-id")?, None)
        }
        ["certificate-file"] => {
            let path = raw.get("certificate-file").expect("given");
            let data = std::fs::read(path).map_err(|e| {
                raw.invalid(
                    "certificate-file",
                    &format!("could not be read ({})", io_reason(&e)),
                    "Check the path (in a container, the file must be inside the workspace).",
                )
            })?;
            let cert = ClientCert::parse(&data, password)
                .map_err(|e| cert_error(raw, "certificate-file", e))?;
            (cert, raw.guid("subscription-id")?, None)
        }
        ["publish-settings-file"] => {
            let sub = publish_subscription(raw)?;
            let b64 = sub.certificate.as_deref().ok_or_else(|| {
                raw.invalid(
                    "publish-settings-file",
                    &format!("has no ManagementCertificate for subscription {}", sub.id),
                    "Download a new file from https://manage.windowsazure.com/publishsettings or give certificate instead.",
                )
            })?;
            let cert = ClientCert::parse(b64.as_bytes(), password.or(Some("")))
                .map_err(|e| cert_error(raw, "publish-settings-file", e))?;
            (cert, sub.id.to_ascii_lowercase(), sub.url.clone())
        }
        _ => {
            return Err(ConfigError::new(
                Some(given[1]),
                format!(
                    "inputs {} are all set: give the management certificate one way only",
                    given
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            ));
        }
    };
    let source = given[0];
    certificate
        .check_dates(Utc::now())
        .map_err(|e| cert_error(raw, source, e))?;
    let default = match (publish_url, raw.get("environment")) {
        (Some(url), None) => {
            let ok = Url::parse(&url).is_ok_and(|u| u.scheme() == "https");
            if !ok {
                return Err(raw.invalid(
                    "publish-settings-file",
                    "has a ServiceManagementUrl that is not an https URL",
                    "Set endpoint to the Service Management URL.",
                ));
            }
            url
        }
        (_, Some(env)) => azure_classic::environment_endpoint(env)
            .ok_or_else(|| {
                raw.invalid(
                    "environment",
                    "is not an Azure cloud with classic Service Management",
                    "Use AzureCloud or AzureChinaCloud.",
                )
            })?
            .to_string(),
        (None, None) => azure_classic::DEFAULT_ENDPOINT.to_string(),
    };
    Ok(Settings {
        endpoint: endpoint(raw, &default)?,
        subscription_id,
        api_version,
        certificate,
    })
}

/// `YYYY-MM-DD`, not older than 2011-06-30.
fn api_version(raw: &Raw) -> Result<String, ConfigError> {
    let v = raw.required("api-version")?;
    let shaped = v.len() == 10
        && v.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped || chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() {
        return Err(raw.invalid(
            "api-version",
            "is not a Service Management version (YYYY-MM-DD)",
            "Use 2011-06-30 or a later version date.",
        ));
    }
    if v < azure_classic::DEFAULT_API_VERSION {
        return Err(raw.invalid(
            "api-version",
            "is older than 2011-06-30, the first version of Get CDN Operation Status",
            "Use 2011-06-30 or later.",
        ));
    }
    Ok(v.to_string())
}

/// The subscription of the `.publishsettings` file: the one `subscription-id` names, or
/// the only one.
fn publish_subscription(raw: &Raw) -> Result<PublishSubscription, ConfigError> {
    let path = raw.get("publish-settings-file").expect("given");
    let data = std::fs::read(path).map_err(|e| {
        raw.invalid(
            "publish-settings-file",
            &format!("could not be read ({})", io_reason(&e)),
            "Check the path (in a container, the file must be inside the workspace).",
        )
    })?;
    let subs = azure_classic::parse_publish_settings(&data).map_err(|why| {
        raw.invalid(
            "publish-settings-file",
            &format!("is not a .publishsettings file ({why})"),
            "Download one from https://manage.windowsazure.com/publishsettings.",
        )
    })?;
    let listed = || {
        subs.iter()
            .map(|s| match &s.name {
                Some(n) => format!("{} ({n})", s.id),
                None => s.id.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if raw.get("subscription-id").is_some() {
        let want = raw.guid("subscription-id")?;
        return subs
            .iter()
            .find(|s| s.id.eq_ignore_ascii_case(&want))
            .cloned()
            .ok_or_else(|| {
                raw.invalid(
                    "subscription-id",
                    "is not in publish-settings-file",
                    &format!("The file lists: {}.", listed()),
                )
            });
    }
    match &subs[..] {
        [one] => Ok(one.clone()),
        _ => Err(missing_with(
            "subscription-id",
            &format!(
                "publish-settings-file lists {} subscriptions: set subscription-id to one of {}",
                subs.len(),
                listed()
            ),
        )),
    }
}

fn missing_with(name: &'static str, why: &str) -> ConfigError {
    let base = missing(name);
    ConfigError::new(Some(name), format!("{why}. {}", base.message))
}

/// A certificate problem, naming the input and where it came from, never its value.
fn cert_error(raw: &Raw, name: &'static str, e: CertError) -> ConfigError {
    let source = &raw.values.get(name).expect("only set inputs fail").1;
    let what = match name {
        "publish-settings-file" => "the ManagementCertificate of the file",
        _ => "the certificate",
    };
    ConfigError::new(
        Some(name),
        format!("input `{name}` ({source}): {what} {e}."),
    )
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// The extra trusted CAs of `ca-file` (or `SSL_CERT_FILE`), DER.
pub(super) fn ca_roots(raw: &Raw) -> Result<Vec<Vec<u8>>, ConfigError> {
    let Some(path) = raw.get("ca-file") else {
        return Ok(Vec::new());
    };
    let data = std::fs::read(path).map_err(|e| {
        raw.invalid(
            "ca-file",
            &format!("could not be read ({})", io_reason(&e)),
            "Give the path of a PEM file of CA certificates.",
        )
    })?;
    tls::read_ca_bundle(&data).map_err(|why| {
        raw.invalid(
            "ca-file",
            &why,
            "Give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks.",
        )
    })
}
