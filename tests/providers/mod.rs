//! Each provider end to end through the binary, one file each, and its purge tests.

// Azure China CDN end to end: success, failure, timeout, throttling, faults, credentials.
pub mod azure_china;

// Purge, then wait: submit, refusals, retries that may have purged twice.
pub mod azure_china_purge;

// Azure classic (Service Management) end to end over real mutual TLS: certificates made in
// the test, PEM, PKCS#12 and .publishsettings inputs, certificate checks before any request.
pub mod azure_classic;

// Azure Resource Manager end to end: both monitor URL styles, failures, Retry-After, token
// refresh, every Entra ID flow against a token endpoint that checks the form, each cloud.
pub mod azure_arm;

// Purge, then wait on Azure Resource Manager: classic CDN and Front Door endpoints.
pub mod azure_arm_purge;

// Alibaba Cloud DCDN/CDN end to end: batching, rate limit, throttling, errors, STS/OIDC.
pub mod alibaba;

// Purge, then wait on Alibaba: refresh calls split by ObjectType and limits, refusals, retries.
pub mod alibaba_purge;

// AWS CloudFront end to end: SigV4, every credential source (keys, web identity from a file
// or the GitHub OIDC token, profiles, container, IMDS) with renewal mid-wait, purge with
// CallerReference replay and the in-progress queue, the wait on everything in progress.
pub mod aws_cloudfront;

// Google Cloud CDN end to end: the wait long-poll (one request per operation), the get
// fallback, service-account JWT, workload identity (native GitHub OIDC, external_account
// files with file and URL sources), the metadata server, invalidateCache with requestId
// replay and rate limits, Google's errors, bad inputs before any request.
pub mod google_cloud_cdn;
// Tencent Cloud CDN and EdgeOne end to end: TC3, purge then wait for both, failures naming
// the URL, throttling, refused keys, OIDC through STS renewed mid-wait, inputs checked first.
pub mod tencent;
