//! What the Azure providers share and nothing else: the Azure clouds (`environment`) and the
//! inputs several Azure folders read (`subscription-id`, `environment`, `api-version`),
//! declared once. No client, no wire format.

use crate::config::Input;

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

/// An Azure cloud: where to log in, where ARM is, what to ask GitHub for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// `AzureCloud`: the public cloud.
    Public,
    /// `AzureChinaCloud`: operated by 21Vianet.
    China,
    /// `AzureUSGovernment`.
    UsGovernment,
}

impl Cloud {
    /// Every cloud, in the order documented.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::UsGovernment];

    /// The cloud named `name` (case-insensitive, as `az cloud list` spells them).
    pub fn parse(name: &str) -> Option<Cloud> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name().eq_ignore_ascii_case(name.trim()))
    }

    /// `AzureCloud`, `AzureChinaCloud`, `AzureUSGovernment`.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "AzureCloud",
            Cloud::China => "AzureChinaCloud",
            Cloud::UsGovernment => "AzureUSGovernment",
        }
    }

    /// The Entra ID authority host.
    pub fn authority_host(self) -> &'static str {
        match self {
            Cloud::Public => "https://login.microsoftonline.com",
            Cloud::China => "https://login.chinacloudapi.cn",
            Cloud::UsGovernment => "https://login.microsoftonline.us",
        }
    }

    /// The Resource Manager endpoint.
    pub fn resource_manager(self) -> &'static str {
        match self {
            Cloud::Public => "https://management.azure.com",
            Cloud::China => "https://management.chinacloudapi.cn",
            Cloud::UsGovernment => "https://management.usgovcloudapi.net",
        }
    }

    /// The token scope for Resource Manager: `{resource_manager}/.default`.
    pub fn scope(self) -> String {
        format!("{}/.default", self.resource_manager())
    }

    /// The audience of a federated (GitHub OIDC) token for this cloud.
    pub fn token_exchange_audience(self) -> &'static str {
        match self {
            Cloud::Public => "api://AzureADTokenExchange",
            Cloud::China => "api://AzureADTokenExchangeChina",
            Cloud::UsGovernment => "api://AzureADTokenExchangeUSGov",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_have_their_hosts_scopes_and_audiences() {
        assert_eq!(Cloud::parse("azurecloud"), Some(Cloud::Public));
        assert_eq!(Cloud::parse("AzureChinaCloud"), Some(Cloud::China));
        assert_eq!(
            Cloud::parse(" AZUREUSGOVERNMENT "),
            Some(Cloud::UsGovernment)
        );
        assert_eq!(Cloud::parse("AzureGermanCloud"), None);
        assert_eq!(
            Cloud::Public.authority_host(),
            "https://login.microsoftonline.com"
        );
        assert_eq!(
            Cloud::China.authority_host(),
            "https://login.chinacloudapi.cn"
        );
        assert_eq!(
            Cloud::UsGovernment.authority_host(),
            "https://login.microsoftonline.us"
        );
        assert_eq!(
            Cloud::Public.scope(),
            "https://management.azure.com/.default"
        );
        assert_eq!(
            Cloud::China.scope(),
            "https://management.chinacloudapi.cn/.default"
        );
        assert_eq!(
            Cloud::UsGovernment.scope(),
            "https://management.usgovcloudapi.net/.default"
        );
        assert_eq!(
            Cloud::Public.token_exchange_audience(),
            "api://AzureADTokenExchange"
        );
        assert_eq!(
            Cloud::China.token_exchange_audience(),
            "api://AzureADTokenExchangeChina"
        );
        assert_eq!(
            Cloud::UsGovernment.token_exchange_audience(),
            "api://AzureADTokenExchangeUSGov"
        );
    }
}
