//! purge-wait: wait until CDN purge operations reach a terminal state, then report to the
//! CI system that ran it.
//!
//! `ARCHITECTURE.md` at the repository root is the map: the layers and their one-way
//! dependencies (`app` → `demo` → `step` → the [`provider::registry`] → one folder per
//! provider under [`provider`] → [`config`]; the engine ([`wait`]), the reporters ([`report`]),
//! [`auth`] and the simulator core ([`sim`]) below; [`error`] and [`exit`] as leaves), what each
//! folder owns, the invariants, and how to add a provider. The engine knows no wire format; a
//! provider knows no CI system; signing is pure. The binary (`src/main.rs`) only builds the
//! runtime and calls [`app::run`].

// `ProviderError` carries everything a user needs to act on a failure (code, message,
// request id, hint, Retry-After); it travels only on the cold path, so its size does not
// matter and boxing it would only add noise at every `?`.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod duration;
pub mod error;
pub mod exit;
pub mod files;
pub mod http;
pub mod provider;
pub mod purge;
pub mod report;
pub mod secret;
pub mod sim;
pub mod step;
pub mod tls;
pub mod wait;
