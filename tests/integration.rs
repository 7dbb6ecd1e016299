//! Integration tests: the built `purge-wait` binary against the embedded simulator (which
//! verifies every signature like the real service) and mock servers. One test binary, one
//! module per area.

// The harness: an environment per test, the binary, its outputs read back with the CI
// systems' own rules.
mod util;

// Azure China CDN end to end: success, failure, timeout, throttling, faults, credentials.
mod azure_china;

// Alibaba Cloud DCDN/CDN end to end: batching, rate limit, throttling, errors, STS/OIDC.
mod alibaba;

// Purge, then wait: submit, refusals, retries that may have purged twice.
mod purge;

// Purge, then wait on Alibaba: refresh calls split by ObjectType and limits, refusals, retries.
mod purge_alibaba;

// The fault-injection matrix: every fault × every provider.
mod faults;

// Azure classic (Service Management) end to end over real mutual TLS: certificates made in
// the test, PEM, PKCS#12 and .publishsettings inputs, certificate checks before any request.
mod azure_classic;

// Every bad input: exit 2, the input named, nothing requested.
mod inputs;

// GitLab CI and Azure Pipelines: dotenv, ##vso, JUnit, read with each system's rules.
mod ci;

// Distribution and the README's CI snippets: the GitLab pipeline, the component's inputs,
// the Azure Pipelines steps run for real, the release archive install, completions.
mod distribution;

// The repository contract: action.yml and --help follow the input table.
mod contract;

// Azure Resource Manager end to end: both monitor URL styles, failures, Retry-After, token
// refresh, every Entra ID flow against a token endpoint that checks the form, each cloud.
mod azure_arm;

// Purge, then wait on Azure Resource Manager: classic CDN and Front Door endpoints.
mod purge_arm;

// AWS CloudFront end to end: SigV4, every credential source (keys, web identity from a file
// or the GitHub OIDC token, profiles, container, IMDS) with renewal mid-wait, purge with
// CallerReference replay and the in-progress queue, the wait on everything in progress.
mod aws_cloudfront;
