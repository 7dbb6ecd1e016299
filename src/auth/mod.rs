//! What several clouds share for credentials that are not a plain request signature:
//! [`github`] fetches the GitHub Actions job's OIDC token that the providers exchange for
//! their own tokens (Entra ID in `provider::azure_arm::entra`, STS credentials in
//! `provider::alibaba::credentials`); [`subject`] reads the OIDC token an STS exchanges (a file, a value or the GitHub job's);
//! [`refresh`] says when a temporary credential is
//! replaced before it expires, and [`cache`] is the one cache every such credential lives in. Never a provider's protocol.
//!
//! Every secret either holds or learns is registered with the shared
//! [`crate::secret::Redactor`] before it is used.

pub mod cache;
pub mod github;
pub mod refresh;
pub mod subject;
