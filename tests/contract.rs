//! The repository contract: `action.yml` declares every input of the input table and every
//! output, passes every input to the binary as a docker action would and exposes every
//! output of the binary's step; its version is the crate's; `--help` and `--version` work.

use purge_wait::config::{INPUTS, env_names};

use crate::util::*;

fn action_yml() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap()
}

/// The keys directly under a top-level section (`inputs:` or `outputs:`), two-space indented.
fn keys(yaml: &str, section: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut inside = false;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            inside = line.trim_end() == format!("{section}:");
            continue;
        }
        if inside {
            if let Some(rest) = line.strip_prefix("  ") {
                if !rest.starts_with(' ') && rest.trim_end().ends_with(':') {
                    keys.push(rest.trim_end().trim_end_matches(':').to_string());
                }
            }
        }
    }
    keys
}

#[test]
fn action_yml_declares_every_input_with_its_default() {
    let yml = action_yml();
    let declared = keys(&yml, "inputs");
    for input in INPUTS {
        assert!(
            declared.contains(&input.name.to_string()),
            "action.yml lacks input {}",
            input.name
        );
        if let Some(d) = input.default {
            let block: String = yml
                .split(&format!("\n  {}:\n", input.name))
                .nth(1)
                .unwrap()
                .lines()
                .take_while(|l| l.starts_with("    "))
                .collect::<Vec<_>>()
                .join("\n");
            assert!(
                block.contains(&format!("default: '{d}'")),
                "{}: default {d} not in action.yml",
                input.name
            );
        }
    }
    for key in &declared {
        assert!(
            INPUTS.iter().any(|i| i.name == key) || ACTION_ONLY.contains(&key.as_str()),
            "action.yml declares unknown input {key}"
        );
    }
}

/// Inputs of the action itself (which binary to run), not of the binary.
const ACTION_ONLY: [&str; 2] = ["version", "download-base-url"];

/// The `env:` entries of the composite step with `id`, as (name, value) pairs.
fn step_env(yaml: &str, id: &str) -> Vec<(String, String)> {
    let step = yaml
        .split("\n    - ")
        .find(|s| s.lines().any(|l| l.trim() == format!("id: {id}")))
        .unwrap_or_else(|| panic!("no step with id {id}"));
    let env = &step[step.find("\n      env:\n").expect("step env") + 12..];
    env.lines()
        .take_while(|l| l.starts_with("        ") || l.trim().is_empty())
        .filter(|l| !l.trim().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.trim().split_once(": ").expect("NAME: value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn action_yml_passes_every_input_to_the_binary_as_a_docker_action_does() {
    let yml = action_yml();
    assert!(yml.contains("\n  using: 'composite'\n"));
    let env = step_env(&yml, "run");
    for input in INPUTS {
        // The name the binary reads first (`INPUT_<NAME>`, upper case, dashes kept).
        let name = &env_names(input)[0];
        let line = format!("{name}: ${{{{ inputs.{} }}}}", input.name);
        assert_eq!(
            env.iter().filter(|(k, _)| k == name).count(),
            1,
            "action.yml does not pass input {} to the binary: add `{line}` to the env of step `run`",
            input.name
        );
        let value = &env.iter().find(|(k, _)| k == name).unwrap().1;
        assert_eq!(format!("{name}: {value}"), line);
    }
    for (k, _) in &env {
        assert!(
            k == "PURGE_WAIT_BIN" || INPUTS.iter().any(|i| &env_names(i)[0] == k),
            "step `run` sets {k}, which is no input of the binary"
        );
    }
    for name in ACTION_ONLY {
        assert!(
            !env.iter()
                .any(|(_, v)| v.contains(&format!("inputs.{name} ")))
        );
    }
    assert!(yml.contains("      run: exec \"$PURGE_WAIT_BIN\"\n"));
    let install = step_env(&yml, "install");
    assert_eq!(
        install,
        [
            ("INSTALL_VERSION".into(), "${{ inputs.version }}".into()),
            (
                "INSTALL_BASE_URL".into(),
                "${{ inputs.download-base-url }}".into()
            )
        ]
    );
}

#[test]
fn action_yml_version_is_the_crate_version() {
    let yml = action_yml();
    let block = yml.split("\n  version:\n").nth(1).unwrap();
    let default = block
        .lines()
        .take_while(|l| l.starts_with("    "))
        .find_map(|l| l.trim().strip_prefix("default: "))
        .unwrap();
    assert_eq!(default, format!("'{}'", env!("CARGO_PKG_VERSION")));
}

#[test]
fn action_yml_declares_every_output() {
    let yml = action_yml();
    let declared = keys(&yml, "outputs");
    for name in purge_wait::report::Outputs::NAMES {
        assert!(
            declared.contains(&name.to_string()),
            "action.yml lacks output {name}"
        );
        let block = yml.split(&format!("\n  {name}:\n")).last().unwrap();
        assert!(
            block
                .lines()
                .take_while(|l| l.starts_with("    "))
                .any(|l| l == format!("    value: ${{{{ steps.run.outputs.{name} }}}}")),
            "output {name} is not the run step's output"
        );
    }
    assert_eq!(declared.len(), purge_wait::report::Outputs::NAMES.len());
}

#[tokio::test]
async fn help_and_version() {
    let mut env = TestEnv::new();
    env.arg("--help");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("INPUT_API-KEY-SECRET"));
    assert!(run.stdout.contains("Exit codes:"));
    let mut env = TestEnv::new();
    env.arg("--version");
    let run = env.run().await;
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.trim(),
        format!("purge-wait {}", env!("CARGO_PKG_VERSION"))
    );
}
