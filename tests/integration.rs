//! Integration tests: the built `purge-wait` binary against the embedded simulator (which
//! verifies every signature like the real service) and mock servers. One test binary, one
//! module per area.

// The harness: an environment per test, the binary, its outputs read back with the CI
// systems' own rules.
mod util;

// Each provider end to end, one file each, plus its purge tests (tests/providers/).
mod providers;

// The fault-injection matrix: every fault × every provider.
mod faults;

// Every bad input: exit 2, the input named, nothing requested.
mod inputs;

// GitLab CI and Azure Pipelines: dotenv, ##vso, JUnit, read with each system's rules.
mod ci;

// Distribution and the README's CI snippets: the GitLab pipeline, the component's inputs,
// the Azure Pipelines steps run for real, the release archive install, completions.
mod distribution;

// The repository contract: action.yml and --help follow the input table.
mod contract;

// Strict reading of hostile or broken answers and inputs: statusless ARM answers, keys
// given twice, purge ids not of their format, ids and URL inputs a request would mangle,
// the Alibaba STS header set.
mod wire;

// The registry walk: every provider's inputs in --help, action.yml and the component, its
// simulator, its demo; an unknown provider exits 2 listing the names.
mod registry;

// The architecture rules of ARCHITECTURE.md as tests.
mod layout;
