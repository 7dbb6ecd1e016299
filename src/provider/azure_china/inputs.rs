//! The azure-china-cdn inputs (subscription, endpoint, API key) and their validation.

use super::{DEFAULT_ENDPOINT, Settings, check_purge};
use crate::config::{ConfigError, Input, endpoint, is_guid, operation_ids, paths_error};
use crate::provider::azure_common;
use crate::provider::cloud::{Configured, Inputs};
use crate::secret::Secret;

const SECTION: &str = "Azure China CDN (provider: azure-china-cdn)";

/// Every input azure-china-cdn reads, in `--help` order.
pub static INPUTS: &[&Input] = &[
    &azure_common::SUBSCRIPTION_ID,
    &Input {
        name: "endpoint-id",
        help: "CDN endpoint GUID (GET /subscriptions/{id}/endpoints lists them)",
        default: None,
        secret: false,
        cloud_env: &[],
        section: SECTION,
    },
    &Input {
        name: "api-key-id",
        help: "Key ID from the portal's Key management page",
        default: None,
        secret: false,
        cloud_env: &["AZURE_CDN_API_KEY_ID"],
        section: SECTION,
    },
    &Input {
        name: "api-key-secret",
        help: "Key value from the same page (a secret)",
        default: None,
        secret: true,
        cloud_env: &["AZURE_CDN_API_KEY_SECRET"],
        section: SECTION,
    },
];

/// Validates the azure-china-cdn inputs into its settings and the ids to wait on.
pub fn configure(inputs: &Inputs<'_>) -> Result<Configured, ConfigError> {
    let raw = inputs.raw;
    let ids = match inputs.purge {
        Some(purge) => {
            check_purge(purge).map_err(paths_error)?;
            Vec::new()
        }
        None => operation_ids(raw)?,
    };
    for id in &ids {
        if !is_guid(id) {
            return Err(ConfigError::new(
                Some("operation-ids"),
                format!(
                    "input `operation-ids`: {id:?} is not a GUID. Azure China CDN operation ids are the TaskTrackId GUIDs that purge and preload calls return."
                ),
            ));
        }
    }
    let settings = Settings {
        endpoint: endpoint(raw, DEFAULT_ENDPOINT)?,
        subscription_id: raw.guid("subscription-id")?,
        endpoint_id: raw.guid("endpoint-id")?,
        api_key_id: raw.required("api-key-id")?.to_string(),
        api_key_secret: Secret::new(raw.required("api-key-secret")?),
    };
    Ok(Configured {
        ids,
        settings: Box::new(settings),
    })
}
