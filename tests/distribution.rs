//! Distribution and the README's CI snippets: the GitLab snippet is the pipeline that
//! gitlab-ci-local runs (`.ci/gitlab-local.sh`), the component's inputs mirror the input
//! table, the Azure Pipelines snippet's two scripts run here (install from a release-shaped
//! archive with its checksum, then the wait, read back with the agent's grammar), the
//! component's download step installs the same archive, the action runs the prebuilt image,
//! and the shell completions parse.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use purge_wait::config::INPUTS;
use purge_wait::sim::azure_china;

use crate::util::ci_parsers::*;
use crate::util::*;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The fenced block that follows `<!-- README snippet: NAME`.
fn readme_snippet(name: &str) -> String {
    let readme = read("README.md");
    let marker = format!("<!-- README snippet: {name}");
    let after = &readme[readme.find(&marker).expect("snippet marker")..];
    let body = &after[after.find("```yaml\n").unwrap() + 8..];
    body[..body.find("\n```").unwrap() + 1].to_string()
}

/// The fenced YAML block of the README's GitHub Actions section.
fn readme_github_snippet() -> String {
    let readme = read("README.md");
    let section = &readme[readme.find("### GitHub Actions").unwrap()..];
    let body = &section[section.find("```yaml\n").unwrap() + 8..];
    body[..body.find("\n```").unwrap() + 1].to_string()
}

#[test]
fn gitlab_readme_snippet_is_the_pipeline_gitlab_ci_local_runs() {
    let pipeline = read(".gitlab-ci.yml");
    let start = pipeline.find("# README snippet: gitlab\n").unwrap();
    let end = pipeline.find("# README snippet end\n").unwrap();
    let tested = pipeline[start..end].split_once('\n').unwrap().1.replace(
        "  - local: templates/purge-wait.yml\n",
        "  - component: $CI_SERVER_FQDN/purge-wait/purge-wait/purge-wait@v0\n",
    );
    assert_eq!(readme_snippet("gitlab"), tested);
    assert!(tested.contains("exit_codes: [124]"));
}

/// `spec: inputs:` of the component: name → default (`None` when required).
fn component_inputs(yml: &str) -> Vec<(String, Option<String>)> {
    let spec = yml.split("\n---\n").next().unwrap();
    let mut inputs: Vec<(String, Option<String>)> = Vec::new();
    for line in spec.lines() {
        if let Some(rest) = line.strip_prefix("    ") {
            if !rest.starts_with(' ') {
                inputs.push((rest.trim_end_matches(':').to_string(), None));
            }
        }
        if let Some(d) = line.strip_prefix("      default: ") {
            inputs.last_mut().unwrap().1 = Some(d.trim_matches('\'').to_string());
        }
    }
    inputs
}

#[test]
fn component_inputs_mirror_the_input_table() {
    let yml = read("templates/purge-wait.yml");
    let inputs = component_inputs(&yml);
    let extra = ["job-name", "stage", "image", "version"];
    for (name, _) in &inputs {
        assert!(
            extra.contains(&name.as_str()) || INPUTS.iter().any(|i| i.name == name),
            "unknown component input {name}"
        );
    }
    for input in INPUTS {
        let found = inputs.iter().find(|(n, _)| n == input.name);
        if input.secret {
            assert!(found.is_none(), "{}: secrets are not inputs", input.name);
            continue;
        }
        let (_, default) = found.unwrap_or_else(|| panic!("component lacks {}", input.name));
        match (input.default, input.name) {
            (_, "junit-file") => assert_eq!(default.as_deref(), Some("purge-wait-junit.xml")),
            (Some(d), _) => assert_eq!(default.as_deref(), Some(d), "{}", input.name),
            (None, "provider") => assert!(default.is_none()),
            (None, _) => assert_eq!(default.as_deref(), Some(""), "{}", input.name),
        }
        let var = format!(
            "PURGE_WAIT_{}: \"$[[ inputs.{} ]]\"",
            input.name.to_ascii_uppercase().replace('-', "_"),
            input.name
        );
        assert!(yml.contains(&var), "component does not pass {}", input.name);
    }
    assert!(yml.contains("    when: always\n"));
    assert!(yml.contains("dotenv: $[[ inputs.dotenv-file ]]"));
    assert!(yml.contains("junit: $[[ inputs.junit-file ]]"));
}

#[test]
fn github_readme_snippet_uses_declared_inputs_and_outputs() {
    let action = read("action.yml");
    let snippet = readme_github_snippet();
    let mut in_with = false;
    for line in snippet.lines() {
        if line.trim() == "with:" {
            in_with = true;
            continue;
        }
        if in_with {
            if !line.starts_with("    ") {
                in_with = false;
                continue;
            }
            let key = line.trim().split(':').next().unwrap();
            assert!(
                action.contains(&format!("\n  {key}:\n")),
                "README uses undeclared input {key}"
            );
        }
    }
    for part in snippet.split("steps.purge.outputs.").skip(1) {
        let name: String = part
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(action.contains(&format!("\n  {name}:\n")), "output {name}");
    }
}

#[test]
fn action_is_composite_and_ci_runs_it_on_every_runner_os_and_the_image_stays() {
    let action = read("action.yml");
    assert!(action.contains("\n  using: 'composite'\n"));
    assert!(!action.contains("using: 'docker'"));
    let ci = read(".github/workflows/ci.yml");
    for os in ["ubuntu-latest", "macos-latest", "windows-latest"] {
        assert!(ci.contains(os), "{os}");
    }
    assert!(ci.contains("        uses: ./\n"));
    assert!(ci.contains("docker build --target nonroot"));
    let release = read(".github/workflows/release.yml");
    assert!(release.contains("images: ghcr.io/${{ github.repository }}"));
    assert!(release.contains("type=raw,value=v0,"));
    assert!(release.contains("platforms: linux/amd64,linux/arm64"));
    assert!(release.contains("cp dist/SHA256SUMS \"action/checksums/$TAG.sha256\""));
    for target in RELEASE_TARGETS {
        assert!(release.contains(&format!("target: {target},")), "{target}");
    }
    // The workflow act runs uses no remote action at all (it runs offline).
    for line in read(".ci/act/action-test.yml").lines() {
        if let Some(uses) = line.trim().trim_start_matches("- ").strip_prefix("uses: ") {
            assert_eq!(uses, "./", "act workflow uses {uses}");
        }
    }
    // Every third-party action is pinned by commit.
    for line in release.lines().chain(ci.lines()) {
        if let Some(uses) = line.trim().strip_prefix("- uses: ") {
            let rev = uses.split('@').nth(1).unwrap().split(' ').next().unwrap();
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "{uses}"
            );
        }
        if let Some(uses) = line.trim().strip_prefix("uses: ") {
            if !uses.starts_with("./") {
                let rev = uses.split('@').nth(1).unwrap().split(' ').next().unwrap();
                assert_eq!(rev.len(), 40, "{uses}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Installing from a release-shaped archive, with a stand-in for curl.

/// A release directory as `.github/workflows/release.yml` packages it: the binary at the
/// root of `purge-wait-<target>.tar.gz` (`tar -C stage -czf … .`) and `<asset>.sha256`.
fn release_dir(root: &Path, target: &str) -> PathBuf {
    let stage = root.join("stage");
    let dist = root.join("dist");
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::copy(bin(), stage.join("purge-wait")).unwrap();
    let asset = format!("purge-wait-{target}.tar.gz");
    let ok = Command::new("tar")
        .arg("-C")
        .arg(&stage)
        .arg("-czf")
        .arg(dist.join(&asset))
        .arg(".")
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = Command::new("sha256sum")
        .arg(&asset)
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(sum.status.success());
    std::fs::write(dist.join(format!("{asset}.sha256")), sum.stdout).unwrap();
    dist
}

/// A `curl` that serves files from `dist` by URL basename (`-O`: to the current
/// directory, `-o FILE`: to FILE) and logs every URL to `urls.log`.
fn fake_curl(root: &Path, dist: &Path) -> PathBuf {
    let bin_dir = root.join("fakebin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let script = format!(
        r#"#!/bin/sh
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    -*) shift ;;
    *) echo "$1" >> "{log}"
       name="$(basename "$1")"
       cp "{dist}/$name" "${{out:-$name}}" || exit 22
       out=""; shift ;;
  esac
done
"#,
        log = root.join("urls.log").display(),
        dist = dist.display()
    );
    let path = bin_dir.join("curl");
    std::fs::write(&path, script).unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    bin_dir
}

/// Azure's macro syntax `$(Name)` replaced as the agent does before a script runs.
fn expand_macros(text: &str, values: &HashMap<&str, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        out = out.replace(&format!("$({k})"), v);
    }
    assert!(
        !out.contains("$(Agent.") && !out.contains("$(Azure"),
        "{out}"
    );
    out
}

struct AzureSteps {
    install: String,
    wait: String,
    wait_env: Vec<(String, String)>,
    last: String,
}

fn azure_steps() -> AzureSteps {
    let snippet = readme_snippet("azure-pipelines");
    let lines: Vec<&str> = snippet.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "- script: |")
        .unwrap();
    let install: Vec<&str> = lines[start + 1..]
        .iter()
        .take_while(|l| l.starts_with("      "))
        .map(|l| &l[6..])
        .collect();
    let wait_at = lines
        .iter()
        .position(|l| l.starts_with("  - script: purge-wait "))
        .unwrap();
    let wait = lines[wait_at]
        .trim_start_matches("  - script: ")
        .to_string();
    let env_at = wait_at
        + lines[wait_at..]
            .iter()
            .position(|l| l.trim() == "env:")
            .unwrap();
    let wait_env = lines[env_at + 1..]
        .iter()
        .take_while(|l| l.starts_with("      "))
        .map(|l| {
            let l = l.split(" #").next().unwrap().trim();
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    let last = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("  - script: "))
        .unwrap()
        .trim_start_matches("  - script: ")
        .to_string();
    AzureSteps {
        install: install.join("\n") + "\n",
        wait,
        wait_env,
        last,
    }
}

#[tokio::test]
async fn azure_readme_snippet_installs_with_the_checksum_and_waits() {
    let root = tempfile::tempdir().unwrap();
    let dist = release_dir(root.path(), "x86_64-unknown-linux-musl");
    let fakebin = fake_curl(root.path(), &dist);
    let tools = root.path().join("tools");
    let work = root.path().join("work");
    std::fs::create_dir_all(&tools).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let steps = azure_steps();
    let sim = china_sim(&[]).await;
    let ids = [guid(201), guid(202)];
    let macros: HashMap<&str, String> = [
        ("Agent.ToolsDirectory", tools.display().to_string()),
        ("TaskId", ids.join(",")),
        (
            "AzureCdnSubscriptionId",
            azure_china::DEMO_SUBSCRIPTION.into(),
        ),
        ("AzureCdnEndpointId", azure_china::DEMO_ENDPOINT.into()),
        ("AzureCdnApiKeyId", azure_china::DEMO_KEY_ID.into()),
        ("AzureCdnApiKeySecret", SECRET.into()),
    ]
    .into_iter()
    .collect();
    let path = format!("{}:/usr/bin:/bin", fakebin.display());

    // Step 1: install (the archive is the release's shape, fetched by the stand-in curl).
    let install = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(expand_macros(&steps.install, &macros))
        .current_dir(&work)
        .env_clear()
        .env("PATH", &path)
        .env("TF_BUILD", "True")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&install.stdout);
    assert!(
        install.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&install.stderr)
    );
    assert!(tools.join("purge-wait").exists());
    let prepend = vso_commands(&stdout);
    assert_eq!(prepend[0].command, "task.prependpath");
    assert_eq!(prepend[0].data, tools.display().to_string());
    let urls = std::fs::read_to_string(root.path().join("urls.log")).unwrap();
    assert!(urls.contains("https://github.com/purge-wait/purge-wait/releases/latest/download/purge-wait-x86_64-unknown-linux-musl.tar.gz\n"));

    // A tampered archive is refused by the checksum.
    std::fs::write(
        dist.join("purge-wait-x86_64-unknown-linux-musl.tar.gz"),
        b"evil",
    )
    .unwrap();
    let tampered = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg("-c")
        .arg(expand_macros(&steps.install, &macros))
        .current_dir(root.path().join("stage"))
        .env_clear()
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(!tampered.status.success(), "checksum mismatch must fail");

    // Step 2: the wait, with the step's env mapping, on the PATH the agent prepended.
    let mut env = TestEnv::new();
    env.set("PATH", &format!("{}:/usr/bin:/bin", tools.display()))
        .set("TF_BUILD", "True")
        .set("PURGE_WAIT_ENDPOINT", &sim.url());
    for (k, v) in &steps.wait_env {
        env.set(k, &expand_macros(v, &macros));
    }
    let child = tokio::process::Command::new("bash")
        .arg("-c")
        .arg(expand_macros(&steps.wait, &macros))
        .current_dir(&work)
        .env_clear()
        .envs(env.env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let run = env.collect(child).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let first = parse_vso_line(run.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first.command, "task.setsecret");
    let outputs = vso_outputs(&run.stdout);
    assert_eq!(outputs["status"], "succeeded");
    assert_eq!(outputs["operation_ids"], ids.join(","));
    let junit = parse_junit(&std::fs::read_to_string(work.join("purge-wait-junit.xml")).unwrap());
    assert_eq!(junit.len(), 2);

    // Step 4 reads outputs that exist.
    for part in steps.last.split("$(purge.").skip(1) {
        let name = part.split(')').next().unwrap();
        assert!(outputs.contains_key(name), "README reads purge.{name}");
    }
}

#[test]
fn component_download_step_installs_the_release_archive() {
    let root = tempfile::tempdir().unwrap();
    let arch = String::from_utf8(Command::new("uname").arg("-m").output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let target = match arch.as_str() {
        "x86_64" => "x86_64-unknown-linux-musl",
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => return,
    };
    let dist = release_dir(root.path(), target);
    let fakebin = fake_curl(root.path(), &dist);
    let yml = read("templates/purge-wait.yml");
    let block_start = yml.find("    - |\n").unwrap() + 8;
    let block: String = yml[block_start..]
        .lines()
        .take_while(|l| l.starts_with("      "))
        .map(|l| format!("{}\n", &l[6..]))
        .collect();
    for (version, url) in [
        (
            "latest",
            format!(
                "https://github.com/purge-wait/purge-wait/releases/latest/download/purge-wait-{target}.tar.gz"
            ),
        ),
        (
            "v0.2.0",
            format!(
                "https://github.com/purge-wait/purge-wait/releases/download/v0.2.0/purge-wait-{target}.tar.gz"
            ),
        ),
    ] {
        let out = Command::new("sh")
            .arg("-ec")
            .arg(format!("{block}purge-wait --version\n"))
            .current_dir(root.path())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", fakebin.display()))
            .env("PURGE_WAIT_VERSION", version)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("purge-wait "));
        let urls = std::fs::read_to_string(root.path().join("urls.log")).unwrap();
        assert!(urls.contains(&format!("{url}\n")), "{urls}");
    }
}

#[tokio::test]
async fn completions_are_valid_scripts() {
    for shell in ["bash", "zsh", "fish"] {
        let mut env = TestEnv::new();
        env.arg("completions").arg(shell);
        let run = env.run().await;
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("operation-ids"), "{shell}");
        assert!(run.stdout.contains("completions"), "{shell}");
        let checker = Command::new(shell).arg("--version").output();
        if checker.is_ok_and(|o| o.status.success()) {
            let file = env.path("completion");
            std::fs::write(&file, &run.stdout).unwrap();
            let ok = Command::new(shell).arg("-n").arg(&file).status().unwrap();
            assert!(ok.success(), "{shell} -n rejects the script");
        }
    }
    let mut env = TestEnv::new();
    env.arg("completions").arg("tcsh");
    assert_eq!(env.run().await.code, 2);
}

#[test]
fn readme_install_snippet_verifies_the_checksum_and_installs() {
    let readme = read("README.md");
    let section = &readme[readme.find("### Install\n").unwrap()..];
    let body = &section[section.find("```sh\n").unwrap() + 6..];
    let script = &body[..body.find("```").unwrap()];
    assert!(script.contains("sha256sum -c"));
    let root = tempfile::tempdir().unwrap();
    let dist = release_dir(root.path(), "x86_64-unknown-linux-musl");
    let fakebin = fake_curl(root.path(), &dist);
    // `sudo mv … /usr/local/bin/` installs into the test's own directory instead.
    let dest = root.path().join("usr-local-bin");
    std::fs::create_dir_all(&dest).unwrap();
    let sudo = fakebin.join("sudo");
    std::fs::write(
        &sudo,
        "#!/bin/bash\nargs=()\nfor a in \"$@\"; do [[ $a == /usr/local/bin/ ]] && a=\"$DEST/\"; args+=(\"$a\"); done\nexec \"${args[@]}\"\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&sudo).status().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    let run = |dir: &Path| {
        Command::new("bash")
            .arg("-euo")
            .arg("pipefail")
            .arg("-c")
            .arg(script)
            .current_dir(dir)
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", fakebin.display()))
            .env("DEST", &dest)
            .output()
            .unwrap()
    };
    let out = run(&work);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = Command::new(dest.join("purge-wait"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("purge-wait "));

    std::fs::write(
        dist.join("purge-wait-x86_64-unknown-linux-musl.tar.gz"),
        b"evil",
    )
    .unwrap();
    std::fs::remove_file(dest.join("purge-wait")).unwrap();
    let tampered = root.path().join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    assert!(
        !run(&tampered).status.success(),
        "checksum mismatch must fail"
    );
    assert!(!dest.join("purge-wait").exists());
}

// ---------------------------------------------------------------------------------------
// The release assets: one name for the workflow, the action and cargo-binstall.

/// What the release workflow builds, and the archive each is packed in.
const RELEASE_TARGETS: [&str; 6] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
    "aarch64-pc-windows-msvc",
];

fn archive_of(target: &str) -> &'static str {
    if target.contains("-windows-") {
        "zip"
    } else {
        "tar.gz"
    }
}

#[test]
fn release_assets_are_what_the_action_and_cargo_binstall_fetch() {
    let release = read(".github/workflows/release.yml");
    assert!(release.contains(r#"asset="purge-wait-$TARGET.$ARCHIVE""#));
    let install = read("action/install.sh");
    assert!(install.contains(r#"asset="purge-wait-$target.$ext""#));
    assert!(install.contains(r#"url="$base/v$version/$asset""#));
    let cargo = read("Cargo.toml");
    let binstall = &cargo[cargo
        .find("[package.metadata.binstall]")
        .expect("binstall metadata")..];
    assert!(
        binstall.contains("bin-dir = \"{ bin }{ binary-ext }\""),
        "binary at the root"
    );
    for target in RELEASE_TARGETS {
        let archive = archive_of(target);
        assert!(
            release
                .lines()
                .any(|l| l.contains(&format!("target: {target},"))
                    && l.contains(&format!("archive: {archive} "))),
            "{target}: {archive}"
        );
        // action/install.sh maps RUNNER_OS/RUNNER_ARCH to the same target and archive.
        assert!(
            install
                .lines()
                .any(|l| l.contains(&format!("target={target} ext={archive}"))),
            "install.sh lacks {target}"
        );
        // cargo-binstall: the override for the target, else the default.
        let section = format!("[package.metadata.binstall.overrides.{target}]");
        let (url, fmt) = match binstall.find(&section) {
            Some(at) => {
                let body = binstall[at + section.len()..].split("\n[").next().unwrap();
                (value(body, "pkg-url"), value(body, "pkg-fmt"))
            }
            None => {
                let body = binstall.split("\n[").next().unwrap();
                (value(body, "pkg-url"), value(body, "pkg-fmt"))
            }
        };
        let url = url
            .replace("{ repo }", "https://github.com/purge-wait/purge-wait")
            .replace("{ version }", "1.2.3")
            .replace("{ name }", "purge-wait")
            .replace("{ target }", target);
        assert_eq!(
            url,
            format!(
                "https://github.com/purge-wait/purge-wait/releases/download/v1.2.3/purge-wait-{target}.{archive}"
            )
        );
        assert_eq!(
            fmt,
            if archive == "zip" { "zip" } else { "tgz" },
            "{target}"
        );
    }
}

/// `key = "value"` in a TOML section body.
fn value(body: &str, key: &str) -> String {
    body.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{key} in {body}"))
        .trim_matches('"')
        .to_string()
}

// ---------------------------------------------------------------------------------------
// action/install.sh on its own (the act job in .ci/act.sh runs it inside the action).

/// A copy of the action (action.yml, action/, Cargo.toml) and a runner-like environment.
struct ActionDir {
    root: tempfile::TempDir,
}

impl ActionDir {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let action = root.path().join("action-ref");
        std::fs::create_dir_all(action.join("action/checksums")).unwrap();
        for f in ["action.yml", "Cargo.toml", "action/install.sh"] {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(f),
                action.join(f),
            )
            .unwrap();
        }
        for d in ["tmp", "cache", "bin"] {
            std::fs::create_dir_all(root.path().join(d)).unwrap();
        }
        ActionDir { root }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.path().join(p)
    }

    /// Runs install.sh for `version` with `path` first on PATH; (exit ok, stdout, outputs).
    fn install(&self, version: &str, base: &str) -> (bool, String, String) {
        let out = self.path("github_output");
        let _ = std::fs::remove_file(&out);
        let run = Command::new("bash")
            .arg(self.path("action-ref/action/install.sh"))
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("bin").display()),
            )
            .env("GITHUB_ACTION_PATH", self.path("action-ref"))
            .env("GITHUB_OUTPUT", &out)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.path("tmp"))
            .env("RUNNER_TOOL_CACHE", self.path("cache"))
            .env("INSTALL_VERSION", version)
            .env("INSTALL_BASE_URL", base)
            .output()
            .unwrap();
        (
            run.status.success(),
            String::from_utf8_lossy(&run.stdout).into_owned()
                + &String::from_utf8_lossy(&run.stderr),
            std::fs::read_to_string(&out).unwrap_or_default(),
        )
    }
}

#[test]
fn action_install_builds_an_unreleased_version_from_source_and_says_so() {
    let dir = ActionDir::new();
    // A cargo that "builds" by copying the test binary into --root/bin, logging its arguments.
    let cargo = dir.path("bin/cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/sh\necho \"$@\" >> \"{log}\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\" && cp \"{bin}\" \"$root/bin/purge-wait\"\n",
            log = dir.path("cargo.log").display(),
            bin = bin().display()
        ),
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(&cargo)
        .status()
        .unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let (ok, log, outputs) = dir.install(version, "");
    assert!(ok, "{log}");
    assert!(log.contains(&format!("::notice title=purge-wait action::this action ref has no checksums for purge-wait {version}")), "{log}");
    assert!(outputs.contains("source=source\n"), "{outputs}");
    let args = std::fs::read_to_string(dir.path("cargo.log")).unwrap();
    assert!(
        args.starts_with(&format!(
            "install --locked --path {}",
            dir.path("action-ref").display()
        )),
        "{args}"
    );
    // Not cached: a source build is no release.
    assert!(!dir.path("cache/purge-wait").exists());

    // Another version than this ref's source cannot be built from it.
    let (ok, log, _) = dir.install("0.0.1", "");
    assert!(!ok);
    assert!(log.contains("::error title=purge-wait action::"), "{log}");
    assert!(log.contains("this action ref's source is version"), "{log}");
}

#[test]
fn action_install_takes_path_then_the_tool_cache_and_refuses_bad_inputs() {
    let dir = ActionDir::new();
    let version = env!("CARGO_PKG_VERSION");
    // purge-wait on PATH at the action's version is used as is.
    std::os::unix::fs::symlink(bin(), dir.path("bin/purge-wait")).unwrap();
    let (ok, log, outputs) = dir.install(version, "");
    assert!(ok, "{log}");
    assert!(outputs.contains("source=path\n"), "{outputs}");
    std::fs::remove_file(dir.path("bin/purge-wait")).unwrap();
    // A completed tool cache entry is next.
    let cached = dir.path(&format!("cache/purge-wait/{version}/x64"));
    std::fs::create_dir_all(&cached).unwrap();
    std::fs::copy(bin(), cached.join("purge-wait")).unwrap();
    std::fs::write(
        dir.path(&format!("cache/purge-wait/{version}/x64.complete")),
        "",
    )
    .unwrap();
    let (ok, log, outputs) = dir.install(&format!("v{version}"), "");
    assert!(ok, "{log}");
    assert!(
        outputs.contains(&format!("bin={}\n", cached.join("purge-wait").display())),
        "{outputs}"
    );
    assert!(outputs.contains("source=tool-cache\n"));
    // Bad inputs stop before any download.
    std::fs::write(
        dir.path("action-ref/action/checksums/v9.9.9.sha256"),
        format!(
            "{}  purge-wait-x86_64-unknown-linux-musl.tar.gz\n",
            "a".repeat(64)
        ),
    )
    .unwrap();
    for (version, base, says) in [
        ("../../etc", "", "is not a version"),
        ("9.9.9", "http://example.com/r", "must be an https:// URL"),
        (
            "9.9.9",
            "http://127.0.0.1.example.com/r",
            "must be an https:// URL",
        ),
        (
            "9.9.9",
            "http://127.0.0.1@example.com/r",
            "must be an https:// URL",
        ),
        ("9.9.9", "ftp://127.0.0.1/r", "must be an https:// URL"),
    ] {
        let (ok, log, outputs) = dir.install(version, base);
        assert!(!ok, "{version} {base}: {log}");
        assert!(log.contains(says), "{version} {base}: {log}");
        assert!(!outputs.contains("bin="), "{outputs}");
    }
}
