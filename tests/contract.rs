//! The repository contract: `action.yml` declares every input of the input table and every
//! output; `--help` and `--version` work.

use purge_wait::provider::registry;

use crate::util::*;

pub(crate) fn action_yml() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap()
}

/// The keys directly under a top-level section (`inputs:` or `outputs:`), two-space indented.
pub(crate) fn keys(yaml: &str, section: &str) -> Vec<String> {
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
    for input in registry::table().inputs.iter().copied() {
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
            registry::table().inputs.iter().any(|i| i.name == key),
            "action.yml declares unknown input {key}"
        );
    }
}

#[test]
fn action_yml_declares_every_output() {
    let declared = keys(&action_yml(), "outputs");
    for name in purge_wait::report::Outputs::NAMES {
        assert!(
            declared.contains(&name.to_string()),
            "action.yml lacks output {name}"
        );
    }
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
