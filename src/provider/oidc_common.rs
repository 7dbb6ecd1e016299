//! What the providers that exchange an OIDC token for their cloud's credentials share and
//! nothing else: the inputs several folders read (`audience`, `role-session-name`,
//! `sts-endpoint`, `role-arn`, `oidc-token-file`, `access-token`), declared once. No client,
//! no wire format. A shared input reads no cloud's variables itself (`cloud_env` is empty
//! where the clouds differ): each provider reads its own (`Raw::or_cloud_env`:
//! `AZURE_ACCESS_TOKEN`, `GOOGLE_OAUTH_ACCESS_TOKEN`, `ALIBABA_CLOUD_ROLE_ARN`, …), so one
//! cloud's variable never configures another.

use crate::config::Input;

/// The `--help` section of the inputs the token-exchanging providers share.
pub const SECTION: &str = "Token exchange (provider: azure-arm, alibaba-dcdn, alibaba-cdn, aws-cloudfront, google-cloud-cdn, tencent-cdn, tencent-edgeone)";

pub static AUDIENCE: Input = Input {
    name: "audience",
    help: "Audience of the GitHub OIDC token (default: api://AzureADTokenExchange, or the China / US Government one for those clouds; aws-cloudfront: sts.amazonaws.com; google-cloud-cdn: https://iam.googleapis.com/ + workload-identity-provider; tencent-*: sts.tencentcloudapi.com)",
    default: None,
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static ROLE_SESSION_NAME: Input = Input {
    name: "role-session-name",
    help: "RoleSessionName of the assumed role (2-64 characters: letters, digits, . @ - _; alibaba-*: also ALIBABA_CLOUD_ROLE_SESSION_NAME; aws-cloudfront: also + = , and AWS_ROLE_SESSION_NAME; tencent-*: up to 128, also + = , and TENCENTCLOUD_ROLE_SESSION_NAME)",
    default: Some("purge-wait"),
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static STS_ENDPOINT: Input = Input {
    name: "sts-endpoint",
    help: "Base URL of STS for AssumeRoleWithOIDC [default: https://sts.aliyuncs.com, or sts.<ALIBABA_CLOUD_STS_REGION>.aliyuncs.com]; aws-cloudfront: for AssumeRoleWithWebIdentity [default: https://sts.amazonaws.com, or sts.<aws-region>.amazonaws.com]; google-cloud-cdn: Security Token Service for workload-identity-provider, {sts-endpoint}/v1/token [default: https://sts.googleapis.com]; tencent-*: [default: https://sts.tencentcloudapi.com]",
    default: None,
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static ROLE_ARN: Input = Input {
    name: "role-arn",
    help: "Role to assume with OIDC when no key is given: alibaba-*: a RAM role, acs:ram::<uid>:role/<name> (also ALIBABA_CLOUD_ROLE_ARN); tencent-*: a CAM role, qcs::cam::uin/<uin>:roleName/<name> (also TKE_ROLE_ARN)",
    default: None,
    secret: false,
    cloud_env: &[],
    section: SECTION,
};

pub static OIDC_TOKEN_FILE: Input = Input {
    name: "oidc-token-file",
    help: "File holding the OIDC token (alibaba-*: also ALIBABA_CLOUD_OIDC_TOKEN_FILE; tencent-*: also TKE_WEB_IDENTITY_TOKEN_FILE); in GitHub Actions without it, the job's own token is used (needs permissions: id-token: write)",
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
