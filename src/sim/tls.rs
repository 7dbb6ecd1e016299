//! The simulator over HTTPS with client certificates, and the throwaway certificates the
//! demo and the tests use.
//!
//! Like Service Management, the server asks every client for a certificate but accepts any
//! (or none) at the TLS layer: which certificate is allowed is the API's decision, so that a
//! missing or unknown certificate gets the API's own error body (`ForbiddenError`), not a
//! handshake failure. The TLS layer passes the client certificate's SHA-1 thumbprint to the
//! API in the [`CLIENT_CERT_HEADER`] request header (after removing any the client sent),
//! the way a TLS-terminating front end forwards it.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use super::{Api, Simulator};
use crate::tls::{pem_block, thumbprint};

/// The request header that carries the client certificate's thumbprint to the API.
pub const CLIENT_CERT_HEADER: &str = "x-sim-client-cert-thumbprint";

/// A date as `(year, month, day)`.
pub type Ymd = (i32, u8, u8);

/// A certificate and its private key (PKCS#8), both DER.
#[derive(Clone)]
pub struct Issued {
    /// The certificate.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8.
    pub key_der: Vec<u8>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Issued({})", self.thumbprint())
    }
}

impl Issued {
    /// Certificate and key as PEM.
    pub fn pem(&self) -> String {
        pem_block("CERTIFICATE", &self.cert_der) + &pem_block("PRIVATE KEY", &self.key_der)
    }

    /// The certificate alone as PEM.
    pub fn cert_pem(&self) -> String {
        pem_block("CERTIFICATE", &self.cert_der)
    }

    /// SHA-1 thumbprint, upper-case hex.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.cert_der)
    }

    /// PKCS#12 with `password`, encrypted like a `.publishsettings` certificate (3DES,
    /// HMAC-SHA1).
    pub fn pkcs12(&self, password: &str) -> Vec<u8> {
        use p12_keystore::{
            Certificate, EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm,
            PrivateKeyChain,
        };
        let cert = Certificate::from_der(&self.cert_der).expect("rcgen certificates parse");
        let chain = PrivateKeyChain::new(&self.key_der, [1u8; 20], [cert]);
        let mut store = KeyStore::new();
        store.add_entry("purge-wait", KeyStoreEntry::PrivateKeyChain(chain));
        store
            .writer(password)
            .encryption_algorithm(EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc)
            .mac_algorithm(MacAlgorithm::HmacSha1)
            .encryption_iterations(2000)
            .mac_iterations(2000)
            .write()
            .expect("PKCS#12 writes")
    }
}

/// A throwaway CA with a server certificate for `localhost`/`127.0.0.1` and a client
/// certificate, generated in memory (ECDSA P-256).
pub struct Pki {
    ca: rcgen::Certificate,
    ca_key: KeyPair,
    /// The server's certificate (signed by the CA).
    pub server: Issued,
    /// A client (management) certificate (signed by the CA).
    pub client: Issued,
}

impl Pki {
    /// Generates the CA, the server and one client certificate.
    pub fn generate() -> Result<Pki, rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "purge-wait throwaway CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = params.self_signed(&ca_key)?;
        let mut pki = Pki {
            ca,
            ca_key,
            server: Issued {
                cert_der: Vec::new(),
                key_der: Vec::new(),
            },
            client: Issued {
                cert_der: Vec::new(),
                key_der: Vec::new(),
            },
        };
        pki.server = pki.issue(
            "localhost",
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            None,
        )?;
        pki.client = pki.client_cert("purge-wait demo management certificate", None)?;
        Ok(pki)
    }

    /// Another client certificate; `validity` as `(not_before, not_after)`.
    pub fn client_cert(
        &self,
        common_name: &str,
        validity: Option<(Ymd, Ymd)>,
    ) -> Result<Issued, rcgen::Error> {
        self.issue(common_name, Vec::new(), validity)
    }

    fn issue(
        &self,
        common_name: &str,
        names: Vec<String>,
        validity: Option<(Ymd, Ymd)>,
    ) -> Result<Issued, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names)?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        if let Some(((y1, m1, d1), (y2, m2, d2))) = validity {
            params.not_before = rcgen::date_time_ymd(y1, m1, d1);
            params.not_after = rcgen::date_time_ymd(y2, m2, d2);
        }
        let cert = params.signed_by(&key, &self.ca, &self.ca_key)?;
        Ok(Issued {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        })
    }

    /// The CA certificate, DER.
    pub fn ca_der(&self) -> &[u8] {
        self.ca.der()
    }

    /// The CA certificate as PEM (what `ca-file` takes).
    pub fn ca_pem(&self) -> String {
        pem_block("CERTIFICATE", self.ca.der())
    }

    /// A server configuration that presents the server certificate and asks for (but does
    /// not require) a client certificate.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(Arc::new(AnyClientCert { provider }))
            .with_single_cert(
                vec![CertificateDer::from(self.server.cert_der.clone())],
                PrivateKeyDer::Pkcs8(self.server.key_der.clone().into()),
            )?;
        Ok(Arc::new(config))
    }

    /// A server configuration that never asks for a client certificate, like a
    /// TLS-terminating proxy that does not forward it.
    pub fn server_config_without_client_auth(
        &self,
    ) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(self.server.cert_der.clone())],
                PrivateKeyDer::Pkcs8(self.server.key_der.clone().into()),
            )?;
        Ok(Arc::new(config))
    }
}

/// Accepts any client certificate (or none) whose handshake signature verifies; the API
/// decides which certificates it allows.
#[derive(Debug)]
struct AnyClientCert {
    provider: Arc<CryptoProvider>,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl Simulator {
    /// Serves `api` over HTTPS with `tls` on `listen` (port 0: a free one). The client
    /// certificate's thumbprint reaches the API in [`CLIENT_CERT_HEADER`].
    pub async fn start_tls(
        api: impl Api,
        listen: SocketAddr,
        echo: bool,
        tls: Arc<rustls::ServerConfig>,
    ) -> std::io::Result<Self> {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        Simulator::spawn(api, listen, echo, "https", move |stream, conn| {
            let acceptor = acceptor.clone();
            async move {
                // A failed handshake is the client's problem; the server goes on.
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let peer = stream
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .map(|c| thumbprint(c.as_ref()));
                conn.serve(stream, Some((CLIENT_CERT_HEADER, peer))).await
            }
        })
        .await
    }
}
