//! What the Azure providers share and nothing else: the Azure clouds (`environment`) and the
//! inputs several Azure folders read (`subscription-id`, `environment`, `api-version`),
//! declared once. No client, no wire format.

use crate::config::Input;

pub use crate::provider::azure_arm::entra::Cloud;

/// The `--help` section of the inputs the Azure providers share.
pub const SECTION: &str = "Azure (provider: azure-china-cdn, azure-classic, azure-arm)";

pub static SUBSCRIPTION_ID: Input = Input {
    name: "subscription-id",
    help: "Subscription GUID (azure-china-cdn; azure-arm with operation-ids)",
    default: None,
    secret: false,
    cloud_env: &["AZURE_SUBSCRIPTION_ID"],
    section: SECTION,
};

pub static ENVIRONMENT: Input = Input {
    name: "environment",
    help: "Azure cloud: AzureCloud, AzureChinaCloud, AzureUSGovernment (azure-arm: login and ARM hosts, token scope; azure-classic: the Service Management endpoint)",
    default: Some("AzureCloud"),
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static API_VERSION: Input = Input {
    name: "api-version",
    help: "API version: azure-classic's x-ms-version (default 2011-06-30, not older); azure-arm's api-version for operation-ids (default 2024-05-01) or for the purge call (default 2024-02-01); monitor URLs carry their own",
    default: None,
    secret: false,
    cloud_env: &[],
    section: SECTION,
};
