//! The architecture of ARCHITECTURE.md, held as tests: config knows no provider and stays
//! small, simulators import no client code, lower layers import no upper ones, and the
//! provider-free layers name no provider.

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir` (or `dir` itself when it is a file), sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    if dir.is_file() {
        return vec![dir.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The code of a file: no test files, no `#[cfg(test)] mod tests { … }` at its end, no
/// comment lines. (name, line number, line)
fn code(path: &Path) -> Vec<(String, usize, String)> {
    let name = path.strip_prefix(src()).unwrap().display().to_string();
    let file = path.file_name().unwrap().to_string_lossy();
    if file == "tests.rs" || file == "ci_tests.rs" {
        return Vec::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if *line == "#[cfg(test)]"
            && lines
                .get(i + 1)
                .is_some_and(|l| l.starts_with("mod tests {"))
        {
            break;
        }
        if line.trim_start().starts_with("//") {
            continue;
        }
        out.push((name.clone(), i + 1, line.to_string()));
    }
    out
}

fn lines_of(paths: &[&str]) -> Vec<(String, usize, String)> {
    paths
        .iter()
        .flat_map(|p| rust_files(&src().join(p)))
        .flat_map(|p| code(&p))
        .collect()
}

/// Provider names, as code spells them.
const PROVIDER_NAMES: &[&str] = &[
    "azure-china",
    "azure_china",
    "azurechina",
    "azure china",
    "azure-classic",
    "azure_classic",
    "azureclassic",
    "azure classic",
    "azure-arm",
    "azure_arm",
    "azurearm",
    "resource manager",
    "azurecloud",
    "alibaba",
    "aliyun",
    "dcdn",
    "entra",
    "acs3",
    "front door",
    "afd",
    "service management",
    "cloudfront",
    "google",
    "tencent",
    "edgeone",
];

/// Provider input names and wire words.
const PROVIDER_INPUTS: &[&str] = &[
    "subscription",
    "api-key",
    "access-key",
    "tenant",
    "client-secret",
    "role-arn",
    "endpoint-id",
    "operation-url",
    "certificate-file",
    "publish-settings",
    "sts-endpoint",
    "tasktrackid",
    "refreshtask",
    "distribution-id",
    "role-to-assume",
    "secret-id",
    "zone-id",
    "flush-type",
];

fn offenders(lines: &[(String, usize, String)], words: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|(file, n, line)| {
            let lower = line
                .to_lowercase()
                .replace("azure pipelines", "")
                .replace("azure_pipelines", "")
                .replace("azurepipelines", "");
            words
                .iter()
                .find(|w| lower.contains(*w))
                .map(|w| format!("{file}:{n}: {w}: {}", line.trim()))
        })
        .collect()
}

#[test]
fn config_knows_no_provider() {
    let lines = lines_of(&["config.rs", "config", "cli.rs"]);
    let words: Vec<&str> = PROVIDER_NAMES
        .iter()
        .chain(PROVIDER_INPUTS)
        .copied()
        .collect();
    let found = offenders(&lines, &words);
    assert!(
        found.is_empty(),
        "config names a provider:\n{}",
        found.join("\n")
    );
}

#[test]
fn config_is_under_800_lines_of_code() {
    let n = lines_of(&["config.rs", "config"])
        .iter()
        .filter(|(_, _, l)| !l.trim().is_empty())
        .count();
    assert!(n <= 800, "config has {n} lines of code");
}

/// The layers above the folders go through the registry; they name no provider.
#[test]
fn the_generic_layers_name_no_provider() {
    let lines = lines_of(&[
        "app.rs",
        "main.rs",
        "lib.rs",
        "cli.rs",
        "step.rs",
        "demo.rs",
        "exit.rs",
        "error.rs",
        "provider/cloud.rs",
        "auth/mod.rs",
        "auth/github.rs",
    ]);
    let found = offenders(&lines, PROVIDER_NAMES);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// A simulator is `sim.rs` or a `sim/` folder; in a file `depth` modules below its provider
/// folder, `super::` repeated `depth` times is the client.
fn simulator_files(dir: &Path) -> Vec<(PathBuf, usize)> {
    let mut files = Vec::new();
    if dir.join("sim.rs").is_file() {
        files.push((dir.join("sim.rs"), 1));
    }
    let folder = dir.join("sim");
    if folder.is_dir() {
        for file in rust_files(&folder) {
            let below = file.strip_prefix(&folder).unwrap().components().count();
            let depth = if file.ends_with("mod.rs") {
                below
            } else {
                below + 1
            };
            files.push((file, depth));
        }
    }
    files
}

#[test]
fn simulators_import_no_client_code() {
    let mut checked = 0;
    for dir in std::fs::read_dir(src().join("provider")).unwrap() {
        let dir = dir.unwrap().path();
        let folder = dir.file_name().unwrap().to_string_lossy().to_string();
        for (sim, depth) in simulator_files(&dir) {
            checked += 1;
            let client = "super::".repeat(depth);
            for (file, n, line) in code(&sim) {
                let allowed = |path: &str| ["sign", "acs3"].iter().any(|ok| path.starts_with(ok));
                if let Some(rest) = line.split(client.as_str()).nth(1) {
                    assert!(allowed(rest), "{file}:{n}: {}", line.trim());
                }
                let own = format!("crate::provider::{folder}::");
                if let Some(rest) = line.split(own.as_str()).nth(1) {
                    assert!(
                        allowed(rest) || rest.starts_with("sim"),
                        "{file}:{n}: {}",
                        line.trim()
                    );
                }
                if let Some(rest) = line.split("crate::provider::").nth(1) {
                    assert!(
                        rest.starts_with(&folder) || rest.starts_with("azure_common"),
                        "{file}:{n}: a simulator imports another provider: {}",
                        line.trim()
                    );
                }
            }
        }
    }
    assert!(checked >= 5, "only {checked} simulator files found");
}

const ALL_MODULES: &[&str] = &[
    "config", "cli", "provider", "report", "wait", "purge", "auth", "sim", "step", "app", "demo",
    "http", "tls",
];
/// (files, the modules they must not import).
const RULES: &[(&[&str], &[&str])] = &[
    (&["error.rs", "exit.rs"], ALL_MODULES),
    (&["secret.rs", "duration.rs", "files.rs"], ALL_MODULES),
    (
        &["http.rs", "http", "tls.rs", "tls"],
        &[
            "config", "cli", "provider", "report", "wait", "auth", "sim", "step", "app", "demo",
        ],
    ),
    (
        &["auth"],
        &[
            "config", "cli", "provider", "report", "wait", "sim", "step", "app", "demo",
        ],
    ),
    (
        &["sim"],
        &[
            "config", "cli", "provider", "report", "wait", "auth", "step", "app", "demo",
        ],
    ),
    (
        &["wait", "purge.rs"],
        &[
            "config",
            "cli",
            "report",
            "auth",
            "sim",
            "step",
            "app",
            "demo",
            "provider::cloud",
            "provider::registry",
            "provider::azure",
        ],
    ),
    (
        &["report"],
        &[
            "config",
            "cli",
            "auth",
            "sim",
            "step",
            "app",
            "demo",
            "provider::cloud",
            "provider::registry",
            "provider::azure",
            "provider::alibaba",
            "provider::aws_cloudfront",
        ],
    ),
    (
        &["config.rs", "config"],
        &[
            "cli",
            "auth",
            "sim",
            "step",
            "app",
            "demo",
            "provider::cloud",
            "provider::registry",
            "provider::azure",
            "provider::alibaba",
            "provider::aws_cloudfront",
        ],
    ),
    (
        &["provider/cloud.rs"],
        &[
            "cli",
            "step",
            "app",
            "demo",
            "report",
            "provider::registry",
            "provider::azure",
            "provider::alibaba",
            "provider::aws_cloudfront",
        ],
    ),
    (
        &["step.rs", "demo.rs", "cli.rs"],
        &[
            "app",
            "provider::azure",
            "provider::alibaba",
            "provider::aws_cloudfront",
        ],
    ),
];

#[test]
fn lower_layers_import_no_upper_ones() {
    let mut found = Vec::new();
    for (files, forbidden) in RULES {
        for (file, n, line) in lines_of(files) {
            for module in *forbidden {
                let path = format!("crate::{module}");
                if let Some(at) = line.find(&path) {
                    let next = line[at + path.len()..].chars().next();
                    if !next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        found.push(format!("{file}:{n}: {path}: {}", line.trim()));
                    }
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
