//! Credentials that are not a plain request signature: tokens obtained from an identity
//! provider and refreshed during a wait.
//!
//! - [`entra`] gets Microsoft Entra ID access tokens for Azure Resource Manager (client
//!   secret, workload identity federation from a token file or the GitHub Actions OIDC token,
//!   or a token given as is), caches them and refreshes them before they expire.
//! - [`alibaba`] hands out Alibaba Cloud AccessKeys: static ones, or temporary ones from STS
//!   `AssumeRoleWithOIDC` (a token file or the GitHub Actions OIDC token), refreshed before
//!   they expire.
//!
//! - [`github`] fetches the GitHub Actions job's OIDC token that both exchange.
//!
//! Every secret either holds or learns is registered with the shared
//! [`crate::secret::Redactor`] before it is used.

pub mod github;
