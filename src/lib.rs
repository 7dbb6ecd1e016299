//! purge-wait: wait until CDN purge operations reach a terminal state, then report to the
//! CI system that ran it.
//!
//! Dependency direction, one concept per module:
//!
//! ```text
//! app ─┬─> config ──> (typed inputs)
//!      ├─> wait ────> provider (trait) <── provider::azure_china ──> sign, http
//!      │                                  <── provider::azure_classic ─> tls, http
//!      │                                  <── provider::azure_arm ───> auth::entra, http
//!      │                                  <── provider::alibaba ─────> sign, http, auth::alibaba
//!      └─> report ──> (wait::Observer)     demo ──> sim (the providers' APIs, locally)
//! ```
//!
//! [`auth`] hands out Alibaba credentials (an AccessKey, or STS credentials from OIDC role
//! assumption, refreshed before expiry) and registers every secret it meets with the
//! [`secret::Redactor`] the reporters share.
//!
//! The engine ([`wait`]) knows no wire format; a provider knows no CI system; signing
//! ([`sign`]) is pure. The binary (`src/main.rs`) only builds the runtime and calls
//! [`app::run`].

// `ProviderError` carries everything a user needs to act on a failure (code, message,
// request id, hint, Retry-After); it travels only on the cold path, so its size does not
// matter and boxing it would only add noise at every `?`.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod auth;
pub mod config;
pub mod demo;
pub mod duration;
pub mod files;
pub mod http;
pub mod provider;
pub mod purge;
pub mod report;
pub mod secret;
pub mod sign;
pub mod sim;
pub mod tls;
pub mod wait;
