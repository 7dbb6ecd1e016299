//! The service account's JWT assertion for Google's OAuth 2.0 token endpoint (RFC 7523 JWT
//! bearer grant), signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256) with `ring`: pure, with the
//! known-answer vectors of RFC 7515 Appendix A.2 and a project-shaped one.
//!
//! Header `{"alg":"RS256","typ":"JWT","kid":"<private_key_id>"}`; claims `iss` (the
//! `client_email`), `scope`, `aud` (always `https://oauth2.googleapis.com/token`, google-auth's
//! constant, whatever the file's `token_uri`), `iat`, `exp` (`iat` + 3600). Each part is
//! base64url without padding of its compact JSON; the signature covers `header.claims`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use rustls_pki_types::pem::{self, SectionKind};
use serde::Serialize;

/// The audience of every assertion (google-auth's `_GOOGLE_OAUTH2_TOKEN_ENDPOINT`).
pub const AUDIENCE: &str = "https://oauth2.googleapis.com/token";
/// How long an assertion is valid (google-auth's `_DEFAULT_TOKEN_LIFETIME_SECS`; Google takes
/// at most an hour).
pub const LIFETIME_SECS: i64 = 3600;

/// base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The RSA key of a service account's `private_key`: PKCS#8 (`BEGIN PRIVATE KEY`, what Google
/// issues) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Why not, in words that never show the key.
pub fn signing_key(pem_text: &str) -> Result<RsaKeyPair, String> {
    let mut cursor = std::io::Cursor::new(pem_text.as_bytes());
    loop {
        match pem::from_buf(&mut cursor) {
            Ok(Some((SectionKind::PrivateKey, der))) => {
                return RsaKeyPair::from_pkcs8(&der)
                    .map_err(|e| format!("is not an RSA key ring can sign with ({e})"));
            }
            Ok(Some((SectionKind::RsaPrivateKey, der))) => {
                return RsaKeyPair::from_der(&der)
                    .map_err(|e| format!("is not an RSA key ring can sign with ({e})"));
            }
            Ok(Some((SectionKind::EcPrivateKey, _))) => {
                return Err("is an EC key; service account keys are RSA".into());
            }
            Ok(Some(_)) => continue,
            Ok(None) => return Err("holds no PEM private key (-----BEGIN PRIVATE KEY-----)".into()),
            Err(_) => return Err("is not valid PEM".into()),
        }
    }
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

/// What the assertion claims.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Claims<'a> {
    /// The service account's `client_email`.
    pub iss: &'a str,
    /// Space-separated OAuth scopes.
    pub scope: &'a str,
    /// [`AUDIENCE`].
    pub aud: &'a str,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
}

impl<'a> Claims<'a> {
    /// The claims of an assertion issued at `iat` (Unix seconds) for `email` and `scope`.
    pub fn new(email: &'a str, scope: &'a str, iat: i64) -> Self {
        Claims {
            iss: email,
            scope,
            aud: AUDIENCE,
            iat,
            exp: iat.saturating_add(LIFETIME_SECS),
        }
    }
}

/// `b64(header).b64(claims)`: what is signed.
pub fn signing_input(key_id: Option<&str>, claims: &Claims<'_>) -> String {
    let header = Header {
        alg: "RS256",
        typ: "JWT",
        kid: key_id.filter(|k| !k.is_empty()),
    };
    // Serialising these plain structs cannot fail.
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    format!("{}.{}", b64url(&header), b64url(&claims))
}

/// The RS256 signature of `input`, base64url.
pub fn sign_rs256(key: &RsaKeyPair, input: &str) -> Result<String, String> {
    let mut signature = vec![0u8; key.public().modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| "RSA signing failed".to_string())?;
    Ok(b64url(&signature))
}

/// The whole signed assertion.
pub fn assertion(
    key: &RsaKeyPair,
    key_id: Option<&str>,
    claims: &Claims<'_>,
) -> Result<String, String> {
    let input = signing_input(key_id, claims);
    let signature = sign_rs256(key, &input)?;
    Ok(format!("{input}.{signature}"))
}

/// The RSA key of RFC 7515 Appendix A.2, as PKCS#8.
#[cfg(test)]
pub const TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCh+BYK4uPJtGXO
jS1lYmM2K5J9vinh8CR3/BYlzJChNuOL2TSXxbbqY913EeZ8dCn5VrD7io8ImtxL
aYk8wTM/U+3QGbh3hCUv7JFP5IV3aVlL6kKA0ywPVb9ilE8TA5a8bpvfbr3SvaNn
juygxmj3AbONv/s4yDQs4v5tJ/reSlpIdJed1LnPmt7Ex1sFhSwsD174pcF1A5L5
ROjtZMEQxrZHYJqkeDrrnGya11UxMFBji4NmXG9veoKjlnAqH2QbgtPr8jkiGUkf
toaHLFcW9Qr4NY2ai50Xw0Byj3+H2JoY2PyrZ62EWQwuz3WTOTY8BwNNb2BvniHg
VFbK5emhAgMBAAECggEAEq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyW
PEAeP88vLNO97IjlA7/GQ5sLKMgvfTeXZx9SE+7YwVol2NXOoAJe46sui395IW/G
O+pWJ1O0BkTGoVEn2bKVRUCgu+GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzj
kn439X0M/V51gfpRLI9JYanrC4D4qAdGcopV/0ZHHzQlBjudU2QvXt4ehNYTCBr6
XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl/x/jTj3ccPDVZFD9pIuhLhBOneufuBiB
4cS98l2SR/RQyGWSeWjnczT0QU91p1DhOVRuOopznQKBgQDgHMQQ60imZV1URk0K
pLttoLhyt3SmqdEf/kgHePDdtzEafpAu+cS191R2JiuoF2yzWXnwFDcqGigp5BNr
0AHQfD8/Lk8l1Mk09jxxCfui5nYooNyac8YFjm3vItzVCVDnEd3BbVWG8qf6deqE
lMGAg+C2V0L4oNXnP7LZcPAZRwKBgQC5A8R+CZW2MvRTLLHzwZkUXV866cff7tx6
kqa0finGG0KgeqlaZPxgCZnFp7AeAcCMtiynVlJ7vMVgePsLq6XtON4tB5kP9jAP
rq3rbAOal78eUH5OcED6eNuCV8ixEu1eWcPNCS/l1OW1EnXUEoEHKl54Xrrz2uNw
kgMTP1FZ1wKBgAcCn1dwJKufzBWQxWQp1vsM5fggqPN1qGb5y0MAk3g7/Ls5bkUp
5u9SN0Ai3Ya6hNnvWJMb7sXQX6U/zyO2M/hTip7tUeh7CXgwo59dkpN75gJLVds2
9+DAncu3KXU4f2Fa+7bLNrur53k8KwPOq2bbuTG69QtV7Jr5MR0AHWKNAoGBAIf/
evpitUf+4JYbLpvNXWcY052Mpz22aR84mY3nh3F2LF2mjMJDpTg7FmuyPcVw6EcG
yoAe9fa65iNqCq+jdw6PVNGo2hxfjSiZ8IIzHdsPXI89//pMjZcQK9r+CCoRjaZj
OYiIDktVWZzmevJuv6WywUqd57LE3Zar3dLSIkx1AoGAIYd7DHOhrWvxkwPQsRM2
tOgrjbcrfvtQJipd+DlcxyVuuM9sQLdgjVk2oy26F0EmpScGLq2MowX7fhd/QJQ3
ydy5cY7YIBi87w93IKLEdfnbJtoOPLUW0ITrJReOgo1cq9SbsxYawBgfp/gh6A56
03k2+ZQwVK0JKSHuLFkuQ3U=
-----END PRIVATE KEY-----
";

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

    #[test]
    fn rfc7515_a2_known_answer() {
        let key = signing_key(TEST_KEY).unwrap();
        let input = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        assert_eq!(
            sign_rs256(&key, input).unwrap(),
            "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
        );
    }

    #[test]
    fn the_service_account_assertion_header_claims_and_signature() {
        let key = signing_key(TEST_KEY).unwrap();
        let email = "purge-wait@example-project.iam.gserviceaccount.com";
        let claims = Claims::new(
            email,
            "https://www.googleapis.com/auth/cloud-platform",
            1_700_000_000,
        );
        let kid = "0123456789abcdef0123456789abcdef01234567";
        let jwt = assertion(&key, Some(kid), &claims).unwrap();
        // Byte for byte the research notes' vector 2 (ring and `cryptography` agree on it).
        assert_eq!(
            jwt,
            "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6IjAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1NjcifQ.eyJpc3MiOiJwdXJnZS13YWl0QGV4YW1wbGUtcHJvamVjdC5pYW0uZ3NlcnZpY2VhY2NvdW50LmNvbSIsInNjb3BlIjoiaHR0cHM6Ly93d3cuZ29vZ2xlYXBpcy5jb20vYXV0aC9jbG91ZC1wbGF0Zm9ybSIsImF1ZCI6Imh0dHBzOi8vb2F1dGgyLmdvb2dsZWFwaXMuY29tL3Rva2VuIiwiaWF0IjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDM2MDB9.NBKvB3Izo-Lzzci-FRj_cNXw9HDi2NbvXjpFi4uQq9-9fNBnZpyr_Fn2TuVgkZ2_n7RM3G9P43Q41kc3yeNQoRi2KS1R9rpHI3FoVHP1-hFO4fjr39U9CTPQbt0lS9mDW_5HNYz5mEuy7Khjgk8W4RJneV78pb1hZFzgeOLgZy8sZMNu9v4h8cmCjPyYzCo0IzT3RWfCq1PuKGaHvdZiDl1j8jUOe-m5UJv87pv9N92w9FedhVhVtHLPahDAnFAprszagFnx10b-OainTAWIlzhY8qM_62p6Ritu09caDwvkek_ERjSVIGXhxwu1PY9gtaVmoROAuNks_6_deP_vzw"
        );
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |p: &str| -> serde_json::Value {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
        };
        assert_eq!(
            decode(parts[0]),
            serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": kid})
        );
        assert_eq!(
            decode(parts[1]),
            serde_json::json!({
                "iss": email,
                "scope": "https://www.googleapis.com/auth/cloud-platform",
                "aud": "https://oauth2.googleapis.com/token",
                "iat": 1_700_000_000,
                "exp": 1_700_003_600,
            })
        );
        // Verified with the public key.
        let public = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, key.public_key().as_ref());
        let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        let signed = format!("{}.{}", parts[0], parts[1]);
        public.verify(signed.as_bytes(), &signature).unwrap();
        assert!(public.verify(b"tampered", &signature).is_err());
        // No key id: no kid.
        let input = signing_input(None, &claims);
        let header = input.split('.').next().unwrap();
        assert_eq!(
            decode(header),
            serde_json::json!({"alg": "RS256", "typ": "JWT"})
        );
    }

    #[test]
    fn keys_that_are_not_rsa_pem_are_refused_in_words() {
        for bad in [
            "",
            "not a key",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
        ] {
            let e = signing_key(bad).unwrap_err();
            assert!(!e.contains("AAAA"), "{e}");
        }
    }
}
