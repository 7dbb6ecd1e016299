//! What the providers that exchange an OIDC token for their cloud's credentials share and
//! nothing else: the inputs several folders read (`audience`, `role-session-name`,
//! `sts-endpoint`, `access-token`), declared once. No client, no wire format. A shared input
//! reads no cloud's own variables (`cloud_env` is empty): each provider reads its own
//! (`AZURE_ACCESS_TOKEN`, `GOOGLE_OAUTH_ACCESS_TOKEN`), so one cloud's variable never
//! configures another cloud.

use crate::config::Input;

/// The `--help` section of the inputs the token-exchanging providers share.
pub const SECTION: &str = "Token exchange (provider: azure-arm, alibaba-dcdn, alibaba-cdn, aws-cloudfront, google-cloud-cdn)";

pub static AUDIENCE: Input = Input {
    name: "audience",
    help: "Audience of the GitHub OIDC token (default: api://AzureADTokenExchange, or the China / US Government one for those clouds; aws-cloudfront: sts.amazonaws.com; google-cloud-cdn: https://iam.googleapis.com/ + workload-identity-provider)",
    default: None,
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static ROLE_SESSION_NAME: Input = Input {
    name: "role-session-name",
    help: "RoleSessionName of the assumed role (2-64 characters: letters, digits, . @ - _; aws-cloudfront also + = , and AWS_ROLE_SESSION_NAME)",
    default: Some("purge-wait"),
    secret: false,
    cloud_env: &["ALIBABA_CLOUD_ROLE_SESSION_NAME"],
    section: SECTION,
};

pub static STS_ENDPOINT: Input = Input {
    name: "sts-endpoint",
    help: "Base URL of STS for AssumeRoleWithOIDC [default: https://sts.aliyuncs.com, or sts.<ALIBABA_CLOUD_STS_REGION>.aliyuncs.com]; aws-cloudfront: for AssumeRoleWithWebIdentity [default: https://sts.amazonaws.com, or sts.<aws-region>.amazonaws.com]; google-cloud-cdn: Security Token Service for workload-identity-provider, {sts-endpoint}/v1/token [default: https://sts.googleapis.com]",
    default: None,
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static ACCESS_TOKEN: Input = Input {
    name: "access-token",
    help: "An access token to use as is (a secret; cannot be refreshed, so prefer the flows above for long waits). azure-arm: an ARM token, also AZURE_ACCESS_TOKEN; google-cloud-cdn: an OAuth 2.0 token (gcloud auth print-access-token), also GOOGLE_OAUTH_ACCESS_TOKEN",
    default: None,
    secret: true,
    cloud_env: &[],
    section: SECTION,
};
