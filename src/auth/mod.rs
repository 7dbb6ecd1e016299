//! Credentials that are not a request signature: bearer tokens obtained from an identity
//! provider and refreshed during a wait.
//!
//! [`entra`] gets Microsoft Entra ID access tokens for Azure Resource Manager (client secret,
//! workload identity federation from a token file or the GitHub Actions OIDC token, or a
//! token given as is), caches them and refreshes them before they expire. Every secret it
//! holds or learns is registered with the shared [`crate::secret::Redactor`].

pub mod entra;
