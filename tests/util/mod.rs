//! The harness: a [`TestEnv`] per test (its own temp dir, env and arguments), the binary run
//! with a clean environment, and a [`Run`] whose GitHub outputs are parsed with the runner's
//! own rules.

#![allow(dead_code)]

pub mod ci_parsers;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use purge_wait::provider::azure_china::sim::{self as azure_china, AzureChinaSim, Setup};
use purge_wait::sim::{Scenario, Simulator};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_purge-wait"))
}

/// A test's environment and arguments.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
}

impl TestEnv {
    /// A bare environment (PATH only).
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().unwrap(),
            env: vec![("PATH".into(), std::env::var("PATH").unwrap_or_default())],
            args: Vec::new(),
        }
    }

    /// As inside a GitHub Actions docker step: GITHUB_ACTIONS, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
    pub fn github() -> Self {
        let mut t = TestEnv::new();
        let out = t.path("github_output");
        let sum = t.path("step_summary");
        t.set("GITHUB_ACTIONS", "true");
        t.set("CI", "true");
        t.set("GITHUB_OUTPUT", &out);
        t.set("GITHUB_STEP_SUMMARY", &sum);
        t
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn unset(&mut self, key: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self
    }

    pub fn arg(&mut self, a: &str) -> &mut Self {
        self.args.push(a.into());
        self
    }

    pub fn args(&mut self, args: &[&str]) -> &mut Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub fn command(&self) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(bin());
        c.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    /// Runs the binary to completion (at most 60 s).
    pub async fn run(&self) -> Run {
        let child = self.command().spawn().expect("binary starts");
        self.collect(child).await
    }

    /// Waits for a spawned binary and reads what it wrote.
    pub async fn collect(&self, child: tokio::process::Child) -> Run {
        let output = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("binary finishes within 60 s")
            .expect("binary output");
        let read = |name: &str| std::fs::read_to_string(self.path(name)).unwrap_or_default();
        let output_file = read("github_output");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            outputs: parse_github_file(&output_file),
            output_file,
            summary: read("step_summary"),
        }
    }
}

/// What one run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub outputs: HashMap<String, String>,
    pub output_file: String,
    pub summary: String,
}

impl Run {
    /// The `result` output as JSON.
    pub fn result(&self) -> serde_json::Value {
        serde_json::from_str(&self.outputs["result"]).expect("result is JSON")
    }

    /// Every output the contract promises is present.
    pub fn assert_all_outputs(&self) {
        for name in purge_wait::report::Outputs::NAMES {
            assert!(
                self.outputs.contains_key(name),
                "output {name} missing: {:?}",
                self.outputs
            );
        }
    }

    /// `secret` appears nowhere: not in stderr, outputs or summary, and on stdout only in
    /// the `::add-mask::` line that registers it with the runner.
    pub fn assert_no_secret(&self, secret: &str) {
        assert!(
            !self.stderr.contains(secret),
            "secret in stderr:\n{}",
            self.stderr
        );
        assert!(
            !self.output_file.contains(secret),
            "secret in GITHUB_OUTPUT"
        );
        assert!(!self.summary.contains(secret), "secret in the summary");
        for line in self.stdout.lines() {
            if line.contains(secret) {
                assert_eq!(line, format!("::add-mask::{secret}"), "secret on stdout");
            }
        }
    }

    /// The lines of stdout that start with `::name`.
    pub fn commands(&self, name: &str) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(&format!("::{name}")))
            .collect()
    }
}

/// What the runner reads from a `$GITHUB_OUTPUT` file (an empty map for an empty file).
pub fn parse_github_file(text: &str) -> HashMap<String, String> {
    purge_wait::report::github::parse_output_file(text).expect("the runner accepts GITHUB_OUTPUT")
}

pub const SECRET: &str = azure_china::DEMO_KEY_SECRET;

/// Starts the Azure China simulator with scripted operations (`ID:key=value,…`).
pub async fn china_sim(ops: &[&str]) -> Simulator {
    china_sim_with(ops, Setup::default()).await
}

/// The same, from a custom setup.
pub async fn china_sim_with(ops: &[&str], mut setup: Setup) -> Simulator {
    let default = Scenario::succeeds_after(Duration::from_millis(300));
    setup.default = default.clone();
    for spec in ops {
        setup.ops.push(Scenario::parse(spec, &default).unwrap());
    }
    Simulator::start(
        AzureChinaSim::new(setup),
        "127.0.0.1:0".parse().unwrap(),
        false,
    )
    .await
    .unwrap()
}

/// A GitHub step environment pointed at `sim`, waiting on `ids`, with fast test timings.
pub fn china_env(sim: &Simulator, ids: &[&str]) -> TestEnv {
    let mut t = TestEnv::github();
    t.set("INPUT_PROVIDER", "azure-china-cdn")
        .set("INPUT_ENDPOINT", &sim.url())
        .set("INPUT_SUBSCRIPTION-ID", azure_china::DEMO_SUBSCRIPTION)
        .set("INPUT_ENDPOINT-ID", azure_china::DEMO_ENDPOINT)
        .set("AZURE_CDN_API_KEY_ID", azure_china::DEMO_KEY_ID)
        .set("INPUT_API-KEY-SECRET", SECRET)
        .set("INPUT_OPERATION-IDS", &ids.join("\n"))
        .set("INPUT_TIMEOUT", "20s")
        .set("INPUT_INTERVAL", "200ms")
        .set("INPUT_MAX-INTERVAL", "400ms")
        .set("INPUT_FAIL-ON-TIMEOUT", "true")
        .set("INPUT_REPORT", "auto");
    t
}

/// GUID-shaped test ids.
pub fn guid(n: u32) -> String {
    format!("{n:08x}-0000-4000-8000-{n:012x}")
}
