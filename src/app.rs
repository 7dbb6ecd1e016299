//! The command line's edge: parse, dispatch `wait` / `demo` / `simulate` / `completions`,
//! and the one place that prints a fatal error and returns the exit code.

use std::collections::HashMap;
use std::ffi::OsString;
use std::future::Future;

use crate::cli::{self, Action};
use crate::exit::{Exit, Fatal};
use crate::provider::registry;
use crate::step;

/// The process environment as a map (names and values lossily converted to UTF-8).
pub fn environment() -> HashMap<String, String> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// Runs the command line `args` (program name first) against `env`; returns the exit code.
pub async fn run(args: Vec<OsString>, env: HashMap<String, String>) -> Exit {
    // Handlers first: a SIGTERM that arrives while we start must still end in outputs.
    let shutdown = shutdown_signal();
    let action = match cli::parse(args, &env, registry::table()) {
        Ok(action) => action,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Succeeded
            };
        }
    };
    let ended: Result<Exit, Fatal> = match action {
        Action::Wait(raw) => step::run(raw, &env, shutdown, Vec::new()).await,
        Action::Demo(raw) => crate::demo::demo(raw, &env, shutdown).await,
        Action::Simulate(args, raw) => crate::demo::simulate(args, raw, shutdown).await,
        Action::Completions(shell) => {
            let mut cmd = cli::command(registry::table());
            clap_complete::generate(shell, &mut cmd, "purge-wait", &mut std::io::stdout());
            Ok(Exit::Succeeded)
        }
    };
    match ended {
        Ok(exit) => exit,
        Err(fatal) => {
            eprintln!("error: {}", fatal.message);
            fatal.exit
        }
    }
}

/// Completes on SIGINT or SIGTERM. The handlers are installed when this is called, not when
/// it is first polled.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                _ => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
