//! The `purge-wait` binary: a single-threaded runtime around [`purge_wait::app::run`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(rt) => rt
            .block_on(purge_wait::app::run(
                std::env::args_os().collect(),
                purge_wait::app::environment(),
            ))
            .into(),
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            purge_wait::exit::Exit::Unreadable.into()
        }
    }
}
