//! Google's token services: the OAuth 2.0 JWT bearer grant, STS, IAM Credentials, the
//! GitHub OIDC token service, a URL credential source and the metadata server.

use super::{GoogleCloudCdnSim, json};
use crate::sim::{Answer, SimRequest};

/// The RSAPublicKey (DER) of a PKCS#8 PEM private key.
pub(super) fn public_key(_pem: &str) -> Option<Vec<u8>> {
    None
}

impl GoogleCloudCdnSim {
    pub(super) fn oauth(&self, _req: &SimRequest) -> Answer {
        json(501, "{}".into(), "oauth: not yet".into())
    }

    pub(super) fn sts(&self, _req: &SimRequest) -> Answer {
        json(501, "{}".into(), "sts: not yet".into())
    }

    pub(super) fn generate_access_token(&self, _req: &SimRequest) -> Answer {
        json(501, "{}".into(), "iamcredentials: not yet".into())
    }

    pub(super) fn github(&self, _req: &SimRequest) -> Answer {
        json(501, "{}".into(), "github: not yet".into())
    }

    pub(super) fn subject_token(&self, _req: &SimRequest) -> Answer {
        json(501, "{}".into(), "subject: not yet".into())
    }

    pub(super) fn metadata_server(&self, _req: &SimRequest) -> Answer {
        json(501, "{}".into(), "metadata: not yet".into())
    }
}
