//! TLS material from the user: a client certificate with its private key (azure-classic's
//! management certificate) and extra trusted CA certificates (`ca-file`).
//!
//! Everything here is parsed and checked before any request, so that an unreadable file, a
//! wrong password, a missing key or an expired certificate is a configuration error (exit 2)
//! with a message that says what to do. No message ever carries key material: errors name
//! the certificate by subject and SHA-1 thumbprint (what the Azure portal shows), nothing
//! else.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use rustls_pki_types::pem::{self, SectionKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha1::{Digest, Sha1};

use crate::secret::Secret;

pub mod ossl;

/// Why a certificate cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Neither PEM nor PKCS#12 could be read.
    #[error(
        "could not be read as a certificate ({0}). Give PEM (CERTIFICATE and PRIVATE KEY blocks) or PKCS#12 (.pfx/.p12, binary or base64 as in a .publishsettings file's ManagementCertificate)"
    )]
    Unreadable(String),
    /// A PKCS#12 file needs a password and none was given.
    #[error("is a password-protected PKCS#12 file. Set certificate-password (from a secret)")]
    PasswordRequired,
    /// The password given does not open the PKCS#12 file.
    #[error(
        "could not be opened with certificate-password (wrong password, or a damaged file). Check the password the certificate was exported with"
    )]
    WrongPassword,
    /// A PEM private key is encrypted.
    #[error(
        "has an encrypted PEM private key, which purge-wait does not decrypt. Decrypt it (openssl pkey -in key.pem -out plain.pem) and keep it in a secret, or give a PKCS#12 file with certificate-password"
    )]
    EncryptedPem,
    /// There is no certificate.
    #[error("holds no certificate. Give the management certificate together with its private key")]
    NoCertificate,
    /// There is no private key.
    #[error(
        "holds no private key{0}. A management certificate authenticates only with its private key: give PEM with the PRIVATE KEY block, or a PKCS#12 file exported with the private key"
    )]
    NoPrivateKey(String),
    /// The key cannot sign (unknown type) or does not belong to the certificate.
    #[error("{0}")]
    BadKey(String),
    /// The certificate is past its notAfter date.
    #[error(
        "expired on {not_after} ({subject}, thumbprint {thumbprint}). Create a new management certificate, upload it to the subscription and use it here"
    )]
    Expired {
        /// The certificate's subject.
        subject: String,
        /// SHA-1 thumbprint, upper-case hex.
        thumbprint: String,
        /// notAfter, RFC 3339.
        not_after: String,
    },
    /// The certificate's notBefore is in the future.
    #[error(
        "is not valid before {not_before} ({subject}, thumbprint {thumbprint}). Check the clock of this machine, or wait"
    )]
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// SHA-1 thumbprint, upper-case hex.
        thumbprint: String,
        /// notBefore, RFC 3339.
        not_before: String,
    },
}

/// A client certificate chain and its private key, parsed and checked.
#[derive(Clone)]
pub struct ClientCert {
    chain: Vec<CertificateDer<'static>>,
    key: Secret,
    /// The leaf certificate's subject, e.g. `CN=Windows Azure Tools`.
    pub subject: String,
    /// SHA-1 thumbprint of the leaf certificate, upper-case hex (as the Azure portal shows).
    pub thumbprint: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
}

impl fmt::Debug for ClientCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCert")
            .field("subject", &self.subject)
            .field("thumbprint", &self.thumbprint)
            .field("not_after", &self.not_after)
            .field("key", &"***")
            .finish()
    }
}

impl ClientCert {
    /// Reads a certificate given as text or bytes: PEM when it holds a `-----BEGIN` line,
    /// otherwise PKCS#12, binary or base64. `password` opens PKCS#12 files (and is ignored
    /// for PEM). Does not check validity dates: see [`ClientCert::check_dates`].
    pub fn parse(data: &[u8], password: Option<&str>) -> Result<ClientCert, CertError> {
        let text = std::str::from_utf8(data).ok();
        if let Some(t) = text.filter(|t| t.contains("-----BEGIN")) {
            return ClientCert::from_pem(t);
        }
        if let Some(t) = text {
            let compact: String = t.split_whitespace().collect();
            if let Ok(der) = BASE64.decode(compact.as_bytes()) {
                return ClientCert::from_pkcs12(&der, password);
            }
        }
        // Binary DER: a PKCS#12 file starts with a SEQUENCE.
        if data.first() == Some(&0x30) {
            return ClientCert::from_pkcs12(data, password);
        }
        Err(CertError::Unreadable("neither PEM, base64 nor DER".into()))
    }

    /// Reads PEM: every CERTIFICATE block (leaf first) and one unencrypted private key
    /// (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub fn from_pem(text: &str) -> Result<ClientCert, CertError> {
        let mut chain = Vec::new();
        let mut key = None;
        let mut encrypted = false;
        let mut cursor = std::io::Cursor::new(text.as_bytes());
        loop {
            match pem::from_buf(&mut cursor) {
                Ok(Some((kind, der))) => match kind {
                    SectionKind::Certificate => chain.push(CertificateDer::from(der)),
                    SectionKind::PrivateKey => key = Some(PrivateKeyDer::Pkcs8(der.into())),
                    SectionKind::RsaPrivateKey => key = Some(PrivateKeyDer::Pkcs1(der.into())),
                    SectionKind::EcPrivateKey => key = Some(PrivateKeyDer::Sec1(der.into())),
                    _ => {}
                },
                Ok(None) => break,
                Err(e) => {
                    return Err(CertError::Unreadable(format!("bad PEM: {}", pem_error(&e))));
                }
            }
        }
        // `from_buf` skips sections it does not know, such as ENCRYPTED PRIVATE KEY.
        if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            || text.contains("Proc-Type: 4,ENCRYPTED")
        {
            encrypted = true;
        }
        if chain.is_empty() {
            return Err(CertError::NoCertificate);
        }
        let key = match key {
            Some(k) => k,
            None if encrypted => return Err(CertError::EncryptedPem),
            None => return Err(CertError::NoPrivateKey(String::new())),
        };
        ClientCert::new(chain, key)
    }

    /// Reads PKCS#12. Without a password the empty one is tried (as in `.publishsettings`).
    pub fn from_pkcs12(der: &[u8], password: Option<&str>) -> Result<ClientCert, CertError> {
        let store = match p12_keystore::KeyStore::from_pkcs12(der, password.unwrap_or("")) {
            Ok(s) => s,
            Err(p12_keystore::error::Error::MacError(_)) => {
                return Err(match password {
                    None | Some("") => CertError::PasswordRequired,
                    Some(_) => CertError::WrongPassword,
                });
            }
            Err(e) => return Err(CertError::Unreadable(format!("not PKCS#12: {e}"))),
        };
        let Some((_, chain)) = store.private_key_chain() else {
            let certs = store
                .entries()
                .filter(|(_, e)| matches!(e, p12_keystore::KeyStoreEntry::Certificate(_)))
                .count();
            return Err(if certs == 0 {
                CertError::NoCertificate
            } else {
                CertError::NoPrivateKey(" (the PKCS#12 file holds only certificates)".into())
            });
        };
        let certs = chain
            .chain()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect();
        ClientCert::new(certs, PrivateKeyDer::Pkcs8(chain.key().to_vec().into()))
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ClientCert, CertError> {
        let leaf = chain.first().ok_or(CertError::NoCertificate)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(leaf)
            .map_err(|e| CertError::Unreadable(format!("bad X.509 certificate: {e}")))?;
        let subject = parsed.subject().to_string();
        let thumbprint = hex::encode_upper(Sha1::digest(leaf.as_ref()));
        let time = |t: x509_parser::time::ASN1Time| {
            DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        let not_before = time(parsed.validity().not_before);
        let not_after = time(parsed.validity().not_after);
        // Parse the key the way the TLS stack will and check it belongs to the certificate.
        let provider = rustls::crypto::ring::default_provider();
        let pem_key = pem_block(key_label(&key), key.secret_der());
        match rustls::sign::CertifiedKey::from_der(chain.clone(), key, &provider) {
            Ok(_) => {}
            Err(rustls::Error::InconsistentKeys(_)) => {
                return Err(CertError::BadKey(format!(
                    "has a private key that does not belong to the certificate ({subject}, thumbprint {thumbprint}). Give the key the certificate was created with"
                )));
            }
            Err(_) => {
                return Err(CertError::BadKey(format!(
                    "has a private key that cannot sign TLS handshakes ({subject}, thumbprint {thumbprint}). Use an RSA or ECDSA (P-256/P-384) key"
                )));
            }
        }
        Ok(ClientCert {
            chain,
            key: Secret::new(pem_key),
            subject,
            thumbprint,
            not_before,
            not_after,
        })
    }

    /// Fails when `now` is outside the certificate's validity.
    pub fn check_dates(&self, now: DateTime<Utc>) -> Result<(), CertError> {
        let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if now > self.not_after {
            return Err(CertError::Expired {
                subject: self.subject.clone(),
                thumbprint: self.thumbprint.clone(),
                not_after: rfc(self.not_after),
            });
        }
        if now < self.not_before {
            return Err(CertError::NotYetValid {
                subject: self.subject.clone(),
                thumbprint: self.thumbprint.clone(),
                not_before: rfc(self.not_before),
            });
        }
        Ok(())
    }

    /// The chain and key as one PEM document, the form the HTTP client takes.
    pub fn identity_pem(&self) -> Secret {
        let mut pem: String = self
            .chain
            .iter()
            .map(|c| pem_block("CERTIFICATE", c.as_ref()))
            .collect();
        pem.push_str(self.key.expose());
        Secret::new(pem)
    }

    /// The leaf certificate, DER.
    pub fn leaf_der(&self) -> &[u8] {
        self.chain[0].as_ref()
    }
}

/// SHA-1 thumbprint of a DER certificate, upper-case hex.
pub fn thumbprint(der: &[u8]) -> String {
    hex::encode_upper(Sha1::digest(der))
}

/// Reads every CERTIFICATE block of a PEM bundle (a `ca-file`), checking each parses.
pub fn read_ca_bundle(pem_text: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut cursor = std::io::Cursor::new(pem_text);
    loop {
        match pem::from_buf(&mut cursor) {
            Ok(Some((SectionKind::Certificate, der))) => {
                x509_parser::parse_x509_certificate(&der)
                    .map_err(|e| format!("certificate {} is not X.509: {e}", out.len() + 1))?;
                out.push(der);
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return Err(format!("bad PEM: {}", pem_error(&e))),
        }
    }
    if out.is_empty() {
        return Err("holds no PEM CERTIFICATE block".into());
    }
    Ok(out)
}

/// A PEM block with 64-character lines.
pub fn pem_block(label: &str, der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn key_label(key: &PrivateKeyDer<'_>) -> &'static str {
    match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    }
}

/// A PEM error without the text it was reading.
fn pem_error(e: &pem::Error) -> &'static str {
    match e {
        pem::Error::MissingSectionEnd { .. } => "a BEGIN line without its END line",
        pem::Error::IllegalSectionStart { .. } => "a malformed BEGIN line",
        pem::Error::Base64Decode(_) => "invalid base64 inside a block",
        _ => "unreadable",
    }
}

#[cfg(test)]
mod tests;
