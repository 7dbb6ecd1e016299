//! The command line: `wait` (the default), `demo`, `simulate`, `completions`, and a flag
//! for every input of the table it is given (the registry's: common inputs, then each
//! provider's), with its env names and default in `--help`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Arg, ArgAction, Command};

use crate::config::{Raw, Table, env_names};
use crate::duration;

/// What the command line asks for.
#[derive(Debug)]
pub enum Action {
    /// Wait on operations (the default).
    Wait(Raw),
    /// Run a wait against the embedded simulator.
    Demo(Raw),
    /// Serve the simulator.
    Simulate(SimulateArgs, Raw),
    /// Print a shell completion script.
    Completions(clap_complete::Shell),
}

/// Options of `purge-wait simulate`.
#[derive(Debug, Clone)]
pub struct SimulateArgs {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Scripted operations, `ID` or `ID:key=value,…`.
    pub ops: Vec<String>,
    /// How long an operation that was not scripted takes.
    pub default_duration: Duration,
}

const EXIT_CODES: &str = "\
Exit codes:
  0    every operation succeeded
  1    an operation failed or was cancelled
  2    usage or configuration error (nothing was requested)
  3    status could not be read (credentials, permission, not found, retries exhausted)
  124  deadline reached while operations were still in progress
  130  interrupted (SIGINT/SIGTERM); outputs and summary are still written";

const EXAMPLES: &str = "\
Examples:
  purge-wait demo
      a real, signed wait against the embedded simulator
  purge-wait --provider NAME --operation-ids \"$TASK_ID\" --timeout 20m
      wait; each input also comes from PURGE_WAIT_<NAME> or the cloud's own variables listed with it
  purge-wait --report json ... | jq .status
      one JSON object on stdout
  purge-wait completions zsh > \"${fpath[1]}/_purge-wait\"
      shell completions (bash, zsh, fish, elvish, powershell)

Reports: `--report auto` picks GitHub Actions (GITHUB_ACTIONS=true), GitLab CI (GITLAB_CI=true:
dotenv report, sections, colours) or Azure Pipelines (TF_BUILD=True: ##vso variables and
issues), else plain. `--junit-file FILE` adds a JUnit XML report anywhere.";

/// The command line: every input as a global flag, plus the subcommands.
pub fn command(table: &Table) -> Command {
    let mut cmd = Command::new("purge-wait")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Wait until CDN purge operations finish, then report to the CI system that ran it.")
        .long_about(
            "Wait until CDN purge operations reach a terminal state, then report to the CI system \
             that ran it: step outputs, annotations, a job summary and an exit code.\n\n\
             Every input can be given as a flag, as PURGE_WAIT_<NAME> (upper case, - becomes _), \
             or in a GitHub Action as INPUT_<NAME>. Flags win over the environment; empty values \
             count as unset.",
        )
        .after_help(EXIT_CODES)
        .after_long_help(format!("{EXIT_CODES}\n\n{EXAMPLES}"))
        .subcommand_required(false)
        .subcommand(
            Command::new("wait").about("Wait on operations (the default when no command is given)"),
        )
        .subcommand(
            Command::new("completions")
                .about("Print a completion script: purge-wait completions bash > /etc/bash_completion.d/purge-wait")
                .arg(
                    Arg::new("shell")
                        .value_name("SHELL")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell))
                        .help("bash, zsh, fish, elvish or powershell"),
                ),
        )
        .subcommand(Command::new("demo").about(
            "Start the embedded simulator on a free port and run a real, signed wait against it",
        ))
        .subcommand(
            Command::new("simulate")
                .about(
                    "Serve the provider APIs locally, verifying signatures like the real service",
                )
                .arg(
                    Arg::new("listen")
                        .long("listen")
                        .value_name("ADDR")
                        .default_value("127.0.0.1:8640")
                        .value_parser(clap::value_parser!(SocketAddr))
                        .help("Address to listen on"),
                )
                .arg(
                    Arg::new("op")
                        .long("op")
                        .value_name("SPEC")
                        .action(ArgAction::Append)
                        .help(
                            "Script an operation: ID or ID:key=value,... with after=DURATION, \
                             outcome=succeeded|failed|stuck|STATUS-WORD, message=TEXT, throttle=N, \
                             retry-after=SECONDS, errors=N (5xx answers first)",
                        ),
                )
                .arg(
                    Arg::new("default-duration")
                        .long("default-duration")
                        .value_name("DURATION")
                        .default_value("10s")
                        .help("How long an operation that was not scripted takes to succeed"),
                ),
        );
    for input in table.inputs.iter().copied() {
        let mut help = input.help.to_string();
        if input.name == "provider" {
            help.push_str(": ");
            help.push_str(&table.provider_list());
        }
        let envs = env_names(input);
        help.push_str(&format!(" [env: {}]", envs.join(", ")));
        if let Some(d) = input.default {
            help.push_str(&format!(" [default: {d}]"));
        }
        cmd = cmd.arg(
            Arg::new(input.name)
                .long(input.name)
                .value_name("VALUE")
                .allow_hyphen_values(true)
                .global(true)
                .help(help)
                .help_heading(input.section),
        );
    }
    cmd
}

/// Parses the command line (`args` include the program name) and finds every input's text
/// in the flags and `env`.
pub fn parse<I, T>(
    args: I,
    env: &HashMap<String, String>,
    table: &'static Table,
) -> Result<Action, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let matches = command(table).try_get_matches_from(args)?;
    let raw = Raw::resolve(&matches, env, table);
    Ok(match matches.subcommand() {
        Some(("demo", _)) => Action::Demo(raw),
        Some(("completions", sub)) => Action::Completions(
            *sub.get_one::<clap_complete::Shell>("shell")
                .expect("required"),
        ),
        Some(("simulate", sub)) => {
            let text = sub
                .get_one::<String>("default-duration")
                .expect("has a default");
            let default_duration = duration::parse(text).ok_or_else(|| {
                command(table).error(
                    clap::error::ErrorKind::ValueValidation,
                    format!("--default-duration: {text:?} is not a duration; use e.g. 10s"),
                )
            })?;
            let args = SimulateArgs {
                listen: *sub.get_one::<SocketAddr>("listen").expect("has a default"),
                ops: sub
                    .get_many::<String>("op")
                    .map(|v| v.cloned().collect())
                    .unwrap_or_default(),
                default_duration,
            };
            Action::Simulate(args, raw)
        }
        _ => Action::Wait(raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The command line over the registry's table.
    fn parse_all<I, T>(args: I, env: &HashMap<String, String>) -> Result<Action, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        parse(args, env, crate::provider::registry::table())
    }

    #[test]
    fn simulate_options_parse() {
        let Action::Simulate(args, _) = parse_all(
            [
                "purge-wait",
                "simulate",
                "--listen",
                "127.0.0.1:0",
                "--op",
                "x:after=1s",
                "--default-duration",
                "3s",
            ],
            &HashMap::new(),
        )
        .unwrap() else {
            panic!("not simulate")
        };
        assert_eq!(args.ops, vec!["x:after=1s".to_string()]);
        assert_eq!(args.default_duration, Duration::from_secs(3));
        assert!(
            parse_all(
                ["purge-wait", "simulate", "--default-duration", "x"],
                &HashMap::new()
            )
            .is_err()
        );
    }
}
