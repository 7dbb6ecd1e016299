//! The registry walk: for every provider the registry lists, its inputs are in `--help`,
//! `action.yml` and the GitLab component (secrets excepted there), its simulator starts and
//! its demo exits 0; an unknown provider exits 2 naming every valid one.

use std::time::Duration;

use purge_wait::config::env_names;
use purge_wait::provider::registry::{self, CLOUDS};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::contract::{action_yml, keys};
use crate::distribution::{component_inputs, read};
use crate::util::*;

#[tokio::test]
async fn every_provider_input_is_in_help_action_yml_and_the_component() {
    let mut help = TestEnv::new();
    help.arg("--help");
    let help = help.run().await.stdout;
    let yml = action_yml();
    let declared = keys(&yml, "inputs");
    let template = read("templates/purge-wait.yml");
    let component = component_inputs(&template);
    for cloud in CLOUDS {
        let provider = cloud.names()[0];
        for input in cloud.inputs() {
            let name = input.name;
            assert!(help.contains(&format!("--{name}")), "{provider}: --{name}");
            for var in env_names(input) {
                assert!(help.contains(&var), "{provider}: {var} not in --help");
            }
            if let Some(d) = input.default {
                assert!(
                    help.contains(&format!("[default: {d}]")),
                    "{provider}: {name}"
                );
            }
            assert!(
                declared.iter().any(|k| k == name),
                "{provider}: action.yml lacks {name}"
            );
            let var = format!(
                "PURGE_WAIT_{}: \"$[[ inputs.{name} ]]\"",
                name.to_ascii_uppercase().replace('-', "_")
            );
            let listed = component.iter().any(|(n, _)| n == name);
            assert_eq!(listed, !input.secret, "{provider}: component input {name}");
            assert_eq!(
                template.contains(&var),
                !input.secret,
                "{provider}: component passes {name}"
            );
        }
    }
}

/// The `provider` input's description in action.yml and the component, and the README's
/// provider table, name every provider the registry lists.
#[test]
fn every_provider_name_is_in_the_provider_descriptions_and_the_readme_table() {
    let description = |yml: &str, indent: &str| -> String {
        let key = format!("{indent}provider:\n");
        let at = yml.find(&key).expect("a provider input") + key.len();
        yml[at..].lines().next().unwrap_or_default().to_string()
    };
    let action = description(&action_yml(), "  ");
    let component = description(&read("templates/purge-wait.yml"), "    ");
    let readme = read("README.md");
    for name in registry::names() {
        let word = |text: &str| {
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .any(|w| w == name)
        };
        assert!(
            word(&action),
            "action.yml's provider description lacks {name}"
        );
        assert!(
            word(&component),
            "the component's provider description lacks {name}"
        );
        assert!(
            readme.contains(&format!("| `{name}`")) || readme.contains(&format!(", `{name}` |")),
            "README's provider table lacks {name}"
        );
    }
}

/// The address in the first line `simulate` prints: what follows "://" up to a space.
fn address(line: &str) -> String {
    let rest = line
        .split("://")
        .nth(1)
        .expect("the first line names a URL");
    rest.split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn every_provider_simulates() {
    for name in registry::names() {
        let mut env = TestEnv::new();
        env.args(&["simulate", "--provider", name, "--listen", "127.0.0.1:0"]);
        let mut sim = env.command().spawn().unwrap();
        let mut lines = BufReader::new(sim.stderr.take().unwrap()).lines();
        let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("{name}: no line within 10 s"))
            .unwrap()
            .unwrap_or_else(|| panic!("{name}: simulate printed nothing"));
        let addr = address(&first);
        tokio::net::TcpStream::connect(&addr)
            .await
            .unwrap_or_else(|e| panic!("{name}: {addr} refuses connections: {e} ({first})"));
        sim.start_kill().unwrap();
        let _ = sim.wait().await;
    }
}

#[tokio::test]
async fn every_provider_demo_exits_0() {
    let runs = registry::names().map(|name| async move {
        let mut env = TestEnv::new();
        env.args(&["demo", "--provider", name, "--report", "plain"]);
        (name, env.run().await)
    });
    for (name, run) in futures_util::future::join_all(runs).await {
        assert_eq!(run.code, 0, "{name}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("operations succeeded"),
            "{name}: {}",
            run.stdout
        );
    }
}

#[tokio::test]
async fn an_unknown_provider_exits_2_listing_the_names() {
    for args in [
        &["--provider", "nope", "--report", "plain"][..],
        &["demo", "--provider", "nope"][..],
        &["simulate", "--provider", "nope", "--listen", "127.0.0.1:0"][..],
    ] {
        let mut env = TestEnv::new();
        env.args(args);
        let run = env.run().await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(
            said.contains("\"nope\" is not a provider"),
            "{args:?}: {said}"
        );
        for name in registry::names() {
            assert!(said.contains(name), "{args:?}: {name} not listed in {said}");
        }
    }
}
