//! The azure-classic inputs (certificate, publish settings, environment, api-version) and
//! `ca-file`, validated before any request.

use chrono::Utc;
use url::Url;

use super::{ConfigError, Raw, endpoint, has_userinfo, missing};
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
            let data = crate::files::read_regular(path.as_ref(), crate::files::MAX_CERT_FILE)
                .map_err(|e| {
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
    // `environment` has a default for azure-arm; here only an explicit one beats the
    // publishsettings URL.
    let default = match (publish_url, raw.given("environment")) {
        (Some(url), None) => {
            let ok = Url::parse(&url).is_ok_and(|u| u.scheme() == "https" && !has_userinfo(&u));
            if !ok {
                return Err(raw.invalid(
                    "publish-settings-file",
                    "has a ServiceManagementUrl that is not an https URL without a user name or password",
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
                    "Use AzureCloud, AzureChinaCloud or AzureUSGovernment.",
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
    let v = raw
        .get("api-version")
        .unwrap_or(azure_classic::DEFAULT_API_VERSION);
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
    let data =
        crate::files::read_regular(path.as_ref(), crate::files::MAX_CERT_FILE).map_err(|e| {
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
    let data =
        crate::files::read_regular(path.as_ref(), crate::files::MAX_CERT_FILE).map_err(|e| {
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::{Action, Config, ConfigError, ProviderConfig, parse};
    use crate::sim::tls::Pki;

    const SUB: &str = "cccccccc-1111-4222-8333-444444444444";
    const SUB2: &str = "dddddddd-1111-4222-8333-444444444444";

    fn env(pki: &Pki, extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut e: HashMap<String, String> = [
            ("PURGE_WAIT_PROVIDER", "azure-classic"),
            (
                "PURGE_WAIT_OPERATION_IDS",
                "5f0c1e2d3b4a49788796a5b4c3d2e1f0",
            ),
            ("PURGE_WAIT_SUBSCRIPTION_ID", SUB),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        e.insert("PURGE_WAIT_CERTIFICATE".into(), pki.client.pem());
        for (k, v) in extra {
            if v.is_empty() {
                e.remove(*k);
            } else {
                e.insert(k.to_string(), v.to_string());
            }
        }
        e
    }

    fn config(env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        match parse(["purge-wait"], env).expect("command line parses") {
            Action::Wait(raw) => Config::from_raw(&raw, env),
            other => panic!("not a wait: {other:?}"),
        }
    }

    fn settings(c: &Config) -> &crate::provider::azure_classic::Settings {
        let ProviderConfig::AzureClassic(s) = &c.provider else {
            panic!("azure-classic settings")
        };
        s
    }

    #[test]
    fn defaults_environment_and_identity() {
        let pki = Pki::generate().unwrap();
        let c = config(&env(&pki, &[])).unwrap();
        let s = settings(&c);
        assert_eq!(s.endpoint.as_str(), "https://management.core.windows.net/");
        assert_eq!(s.api_version, "2011-06-30");
        assert_eq!(s.subscription_id, SUB);
        assert!(c.tls.identity_pem.is_some());
        assert!(c.tls.extra_roots.is_empty());
        let c = config(&env(&pki, &[("PURGE_WAIT_ENVIRONMENT", "AzureChinaCloud")])).unwrap();
        assert_eq!(
            settings(&c).endpoint.as_str(),
            "https://management.core.chinacloudapi.cn/"
        );
        let e = config(&env(&pki, &[("PURGE_WAIT_ENVIRONMENT", "Mars")])).unwrap_err();
        assert_eq!(e.input, Some("environment"));
        let c = config(&env(&pki, &[("PURGE_WAIT_API_VERSION", "2014-10-01")])).unwrap();
        assert_eq!(settings(&c).api_version, "2014-10-01");
    }

    #[test]
    fn old_or_odd_api_versions_are_refused() {
        let pki = Pki::generate().unwrap();
        for v in [
            "2010-10-28",
            "2011-06-29",
            "2011-6-30",
            "latest",
            "2011-13-01",
        ] {
            let e = config(&env(&pki, &[("PURGE_WAIT_API_VERSION", v)])).unwrap_err();
            assert_eq!(e.input, Some("api-version"), "{v}: {e}");
        }
        let e = config(&env(&pki, &[("PURGE_WAIT_API_VERSION", "2010-10-28")])).unwrap_err();
        assert!(e.message.contains("older than 2011-06-30"), "{e}");
    }

    #[test]
    fn exactly_one_certificate_source() {
        let pki = Pki::generate().unwrap();
        let e = config(&env(&pki, &[("PURGE_WAIT_CERTIFICATE", "")])).unwrap_err();
        assert_eq!(e.input, Some("certificate"));
        assert!(e.message.contains("publish-settings-file"), "{e}");
        let e = config(&env(&pki, &[("PURGE_WAIT_CERTIFICATE_FILE", "/x.pem")])).unwrap_err();
        assert!(e.message.contains("one way only"), "{e}");
    }

    #[test]
    fn certificate_problems_name_the_input_and_hide_the_value() {
        let pki = Pki::generate().unwrap();
        let pem = pki.client.cert_pem();
        let e = config(&env(&pki, &[("PURGE_WAIT_CERTIFICATE", &pem)])).unwrap_err();
        assert_eq!(e.input, Some("certificate"));
        assert!(
            e.message
                .starts_with("input `certificate` (from PURGE_WAIT_CERTIFICATE): the certificate holds no private key"),
            "{e}"
        );
        assert!(!e.message.contains("BEGIN"), "{e}");
        let expired = pki
            .client_cert("old", Some(((2019, 1, 1), (2020, 1, 1))))
            .unwrap();
        let e = config(&env(&pki, &[("PURGE_WAIT_CERTIFICATE", &expired.pem())])).unwrap_err();
        assert!(e.message.contains("expired on 2020-01-01"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let pfx = dir.path().join("c.pfx");
        std::fs::write(&pfx, pki.client.pkcs12("pw")).unwrap();
        let pfx = pfx.to_string_lossy().into_owned();
        let file_env = |extra: &[(&str, &str)]| {
            let mut e = env(
                &pki,
                &[
                    ("PURGE_WAIT_CERTIFICATE", ""),
                    ("PURGE_WAIT_CERTIFICATE_FILE", &pfx),
                ],
            );
            for (k, v) in extra {
                e.insert(k.to_string(), v.to_string());
            }
            e
        };
        let e = config(&file_env(&[])).unwrap_err();
        assert_eq!(e.input, Some("certificate-file"));
        assert!(e.message.contains("Set certificate-password"), "{e}");
        let e = config(&file_env(&[("PURGE_WAIT_CERTIFICATE_PASSWORD", "nope")])).unwrap_err();
        assert!(e.message.contains("could not be opened"), "{e}");
        assert!(!e.message.contains("nope"), "{e}");
        let c = config(&file_env(&[("PURGE_WAIT_CERTIFICATE_PASSWORD", "pw")])).unwrap();
        assert_eq!(settings(&c).certificate.thumbprint, pki.client.thumbprint());
        let e = config(&env(
            &pki,
            &[
                ("PURGE_WAIT_CERTIFICATE", ""),
                ("PURGE_WAIT_CERTIFICATE_FILE", "/no/such.pfx"),
            ],
        ))
        .unwrap_err();
        assert!(e.message.contains("no such file"), "{e}");
    }

    fn publish_settings(pki: &Pki, subs: &[(&str, &str)]) -> String {
        use base64::Engine;
        let cert = base64::engine::general_purpose::STANDARD.encode(pki.client.pkcs12(""));
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PublishData>\n  <PublishProfile SchemaVersion=\"2.0\" PublishMethod=\"AzureServiceManagementAPI\">\n",
        );
        for (id, url) in subs {
            xml.push_str(&format!(
                "    <Subscription ServiceManagementUrl=\"{url}\" Id=\"{id}\" Name=\"Sub {id}\" ManagementCertificate=\"{cert}\" />\n"
            ));
        }
        xml.push_str("  </PublishProfile>\n</PublishData>\n");
        xml
    }

    #[test]
    fn publish_settings_pick_the_subscription_and_its_url() {
        let pki = Pki::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.publishsettings");
        std::fs::write(
            &path,
            publish_settings(
                &pki,
                &[
                    (SUB, "https://management.core.windows.net"),
                    (SUB2, "https://management.core.chinacloudapi.cn"),
                ],
            ),
        )
        .unwrap();
        let path = path.to_string_lossy().into_owned();
        let base = |extra: &[(&str, &str)]| {
            let mut e = env(
                &pki,
                &[
                    ("PURGE_WAIT_CERTIFICATE", ""),
                    ("PURGE_WAIT_PUBLISH_SETTINGS_FILE", &path),
                ],
            );
            for (k, v) in extra {
                if v.is_empty() {
                    e.remove(*k);
                } else {
                    e.insert(k.to_string(), v.to_string());
                }
            }
            e
        };
        let c = config(&base(&[("PURGE_WAIT_SUBSCRIPTION_ID", SUB2)])).unwrap();
        let s = settings(&c);
        assert_eq!(s.subscription_id, SUB2);
        assert_eq!(
            s.endpoint.as_str(),
            "https://management.core.chinacloudapi.cn/"
        );
        assert_eq!(s.certificate.thumbprint, pki.client.thumbprint());
        // Several subscriptions and none named.
        let e = config(&base(&[("PURGE_WAIT_SUBSCRIPTION_ID", "")])).unwrap_err();
        assert_eq!(e.input, Some("subscription-id"));
        assert!(e.message.contains(SUB) && e.message.contains(SUB2), "{e}");
        // Not in the file.
        let e = config(&base(&[(
            "PURGE_WAIT_SUBSCRIPTION_ID",
            "eeeeeeee-1111-4222-8333-444444444444",
        )]))
        .unwrap_err();
        assert!(e.message.contains("is not in publish-settings-file"), "{e}");
        // endpoint and environment win over the file's URL.
        let c = config(&base(&[
            ("PURGE_WAIT_SUBSCRIPTION_ID", SUB2),
            ("PURGE_WAIT_ENVIRONMENT", "AzureCloud"),
        ]))
        .unwrap();
        assert_eq!(
            settings(&c).endpoint.as_str(),
            "https://management.core.windows.net/"
        );
        let c = config(&base(&[
            ("PURGE_WAIT_SUBSCRIPTION_ID", SUB2),
            ("PURGE_WAIT_ENDPOINT", "https://127.0.0.1:8443"),
        ]))
        .unwrap();
        assert_eq!(settings(&c).endpoint.as_str(), "https://127.0.0.1:8443/");
        // One subscription: no subscription-id needed.
        std::fs::write(
            &path,
            publish_settings(&pki, &[(SUB2, "https://management.core.windows.net")]),
        )
        .unwrap();
        let c = config(&base(&[("PURGE_WAIT_SUBSCRIPTION_ID", "")])).unwrap();
        assert_eq!(settings(&c).subscription_id, SUB2);
        // Not a publishsettings file.
        std::fs::write(&path, "<Nope/>").unwrap();
        let e = config(&base(&[])).unwrap_err();
        assert_eq!(e.input, Some("publish-settings-file"));
    }

    #[test]
    fn ca_file_for_every_provider() {
        let pki = Pki::generate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, pki.ca_pem()).unwrap();
        let ca = ca.to_string_lossy().into_owned();
        let c = config(&env(&pki, &[("PURGE_WAIT_CA_FILE", &ca)])).unwrap();
        assert_eq!(c.tls.extra_roots.len(), 1);
        let c = config(&env(&pki, &[("SSL_CERT_FILE", &ca)])).unwrap();
        assert_eq!(c.tls.extra_roots.len(), 1);
        let china: HashMap<String, String> = [
            ("PURGE_WAIT_PROVIDER", "azure-china-cdn"),
            (
                "PURGE_WAIT_SUBSCRIPTION_ID",
                "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
            ),
            (
                "PURGE_WAIT_ENDPOINT_ID",
                "11111111-2222-3333-4444-555555555555",
            ),
            ("AZURE_CDN_API_KEY_ID", "key-id"),
            ("AZURE_CDN_API_KEY_SECRET", "key-secret"),
            (
                "PURGE_WAIT_OPERATION_IDS",
                "b520c544-ec34-4ac4-86f5-5394363919c3",
            ),
            ("SSL_CERT_FILE", &ca),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = config(&china).unwrap();
        assert_eq!(c.tls.extra_roots.len(), 1);
        assert!(c.tls.identity_pem.is_none());
        let e = config(&env(&pki, &[("SSL_CERT_FILE", "/no/such/ca.pem")])).unwrap_err();
        assert_eq!(e.input, Some("ca-file"));
        assert!(e.message.contains("from SSL_CERT_FILE"), "{e}");
        let e = config(&env(
            &pki,
            &[("PURGE_WAIT_CA_FILE", &pki_path_of_garbage(&dir))],
        ))
        .unwrap_err();
        assert!(e.message.contains("no PEM CERTIFICATE"), "{e}");
    }

    #[test]
    fn certificate_and_password_are_redacted_whole_and_line_by_line() {
        let pki = Pki::generate().unwrap();
        let e = env(&pki, &[("PURGE_WAIT_CERTIFICATE_PASSWORD", "hunter2-pass")]);
        let Action::Wait(raw) = parse(["purge-wait"], &e).unwrap() else {
            panic!("a wait")
        };
        let r = raw.redactor();
        let pem = pki.client.pem();
        assert_eq!(r.clean(pem.trim()), "***");
        assert_eq!(r.clean("pw hunter2-pass"), "pw ***");
        for line in pem.lines() {
            assert_eq!(r.clean(&format!("x {line} y")), "x *** y", "{line}");
        }
    }

    fn pki_path_of_garbage(dir: &tempfile::TempDir) -> String {
        let p = dir.path().join("garbage.pem");
        std::fs::write(&p, "garbage").unwrap();
        p.to_string_lossy().into_owned()
    }
}
