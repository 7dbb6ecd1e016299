//! The exit codes, as a type: what a run of purge-wait ended in. A leaf: it imports nothing
//! of the crate. Only `app.rs` (and `main.rs`, before there is a runtime) turns one into the
//! process's exit status and prints a fatal error.

use std::fmt;

/// How a run ended. The numbers are the documented contract (`--help`, README, action.yml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: every operation succeeded (or a timeout was tolerated: `fail-on-timeout: false`),
    /// or `--help`, `--version`, `completions`.
    Succeeded,
    /// 1: an operation failed or was cancelled.
    Failed,
    /// 2: a usage or configuration error, reported before any request.
    Usage,
    /// 3: the status could not be read (or the HTTP client or a simulator could not start).
    Unreadable,
    /// 124: the deadline passed with operations still pending.
    DeadlineReached,
    /// 130: interrupted by SIGINT or SIGTERM.
    Interrupted,
}

impl Exit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Succeeded => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Unreadable => 3,
            Exit::DeadlineReached => 124,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit.code())
    }
}

/// An error that ends the run before (or instead of) a report: printed once, as
/// `error: {message}`, by `app.rs`, which then exits with `exit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fatal {
    pub exit: Exit,
    pub message: String,
}

impl Fatal {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Fatal {
            exit,
            message: message.into(),
        }
    }
}

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_documented_table() {
        let table = [
            (Exit::Succeeded, 0),
            (Exit::Failed, 1),
            (Exit::Usage, 2),
            (Exit::Unreadable, 3),
            (Exit::DeadlineReached, 124),
            (Exit::Interrupted, 130),
        ];
        for (exit, code) in table {
            assert_eq!(exit.code(), code, "{exit:?}");
        }
    }
}
