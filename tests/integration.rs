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

// Strict reading of hostile or broken answers and inputs: statusless ARM answers, keys
// given twice, purge ids not of their format, ids and URL inputs a request would mangle,
// the Alibaba STS header set.
mod wire;

// The deadline is never overrun (servers that never answer, slow rate limits, many ids,
// slow purge calls), and throttling beyond it is a timeout with the reason.
mod deadline;

// Operations the purge just created that the status API does not list yet: pending for
// not-found-grace, then not found.
mod fresh_ids;

// No server-sent delay or input crashes the process: clamped delays, ranged inputs.
mod extremes;

// Purge ids: one returned by several purge calls counts once.
mod purge_ids;

// Ids injected by purge answers: refused as malformed, never printed raw, in every CI system.
pub(crate) mod hostile_ids;

// Files that are not regular files (FIFOs, directories): refused at once, never blocking.
pub(crate) mod fifo_files;

// Output formats with hostile text and awkward secrets: JUnit, redaction in every format,
// GITHUB_OUTPUT's structure, Markdown in the summary, the 1 MiB summary limit.
mod output_formats;

// Server certificates that fail verification, on both TLS stacks and every kind of
// endpoint: exit 3 at once, in plain words, with the fix.
mod tls_errors;

// Redirects: never followed, never a success, nothing sent to the other origin.
mod redirects;

// The job summary's Mermaid gantt chart through the binary, with hostile provider text.
mod summary_chart;
