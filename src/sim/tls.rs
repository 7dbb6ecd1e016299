//! The simulator over HTTPS with client certificates, and the throwaway certificates the
//! demo and the tests use.
//!
//! Two servers: rustls ([`Simulator::start_tls`]), which asks for the client certificate in
//! the first handshake, and OpenSSL ([`Simulator::start_openssl`]), which by default asks the
//! way Service Management (IIS / HTTP.sys) does: it reads the request line, then requests the
//! certificate by a TLS 1.2 renegotiation ([`AskCert`]).
//!
//! Like Service Management, the server asks every client for a certificate but accepts any
//! (or none) at the TLS layer: which certificate is allowed is the API's decision, so that a
//! missing or unknown certificate gets the API's own error body (`ForbiddenError`), not a
//! handshake failure. The TLS layer passes the client certificate's SHA-1 thumbprint to the
//! API in the [`CLIENT_CERT_HEADER`] request header (after removing any the client sent),
//! the way a TLS-terminating front end forwards it.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use openssl::ssl::{Ssl, SslAcceptor, SslMethod, SslOptions, SslVerifyMode, SslVersion};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};

use super::{Api, Simulator};
use crate::tls::{ossl, pem_block, thumbprint};

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

impl Pki {
    /// An OpenSSL server presenting the server certificate, for [`Simulator::start_openssl`].
    pub fn openssl_acceptor(&self) -> Result<Arc<SslAcceptor>, openssl::error::ErrorStack> {
        self.openssl_acceptor_for(&self.server)
    }

    /// An OpenSSL server presenting `server` (another name, expired, a CA…).
    pub fn openssl_acceptor_for(
        &self,
        server: &Issued,
    ) -> Result<Arc<SslAcceptor>, openssl::error::ErrorStack> {
        let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())?;
        let cert = openssl::x509::X509::from_der(&server.cert_der)?;
        let key = openssl::pkey::PKey::private_key_from_der(&server.key_der)?;
        b.set_certificate(&cert)?;
        b.set_private_key(&key)?;
        b.check_private_key()?;
        // A renegotiation asking for a certificate must be a full handshake, as HTTP.sys's.
        b.set_options(SslOptions::NO_SESSION_RESUMPTION_ON_RENEGOTIATION);
        b.set_session_id_context(b"purge-wait-sim")?;
        Ok(Arc::new(b.build()))
    }

    /// A server certificate for `names` with the given `validity`, signed by the CA; with
    /// `ca`, it carries CA basic constraints (a CA certificate used as a server's).
    pub fn server_cert(
        &self,
        names: &[&str],
        validity: Option<(Ymd, Ymd)>,
        ca: bool,
    ) -> Result<Issued, rcgen::Error> {
        let key = KeyPair::generate()?;
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("server"),
        );
        if let Some(((y1, m1, d1), (y2, m2, d2))) = validity {
            params.not_before = rcgen::date_time_ymd(y1, m1, d1);
            params.not_after = rcgen::date_time_ymd(y2, m2, d2);
        }
        if ca {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        }
        let cert = params.signed_by(&key, &self.ca, &self.ca_key)?;
        Ok(Issued {
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        })
    }

    /// A rustls server configuration presenting `server`, without client authentication.
    pub fn server_config_for(
        &self,
        server: &Issued,
    ) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(server.cert_der.clone())],
                PrivateKeyDer::Pkcs8(server.key_der.clone().into()),
            )?;
        Ok(Arc::new(config))
    }
}

/// When the OpenSSL simulator asks for the client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AskCert {
    /// After reading the request line, by a TLS 1.2 renegotiation, as IIS / HTTP.sys does
    /// for per-path client certificates (Service Management). The default.
    #[default]
    Renegotiate,
    /// In the first handshake.
    InHandshake,
    /// By renegotiation, twice: a client that renegotiates only once must refuse.
    RenegotiateTwice,
    /// Never.
    Never,
}

impl Simulator {
    /// Serves `api` over HTTPS with OpenSSL on `listen`, asking for the client certificate
    /// as `ask` says. The client certificate's thumbprint reaches the API in
    /// [`CLIENT_CERT_HEADER`].
    pub async fn start_openssl(
        api: impl Api,
        listen: SocketAddr,
        echo: bool,
        acceptor: Arc<SslAcceptor>,
        ask: AskCert,
    ) -> std::io::Result<Self> {
        Simulator::spawn(api, listen, echo, "https", move |tcp, conn| {
            let acceptor = acceptor.clone();
            async move {
                // A failed handshake is the client's problem; the server goes on.
                let Some((stream, head)) = openssl_accept(&acceptor, ask, tcp).await else {
                    return;
                };
                let peer = stream
                    .ssl()
                    .peer_certificate()
                    .and_then(|c| c.to_der().ok())
                    .map(|der| thumbprint(&der));
                let stream = Replay {
                    head,
                    at: 0,
                    inner: stream,
                };
                conn.serve(stream, Some((CLIENT_CERT_HEADER, peer))).await
            }
        })
        .await
    }
}

/// The handshake, and for the renegotiating modes the request line read (returned, to be
/// replayed to the HTTP server) and the certificate asked for.
async fn openssl_accept(
    acceptor: &SslAcceptor,
    ask: AskCert,
    tcp: TcpStream,
) -> Option<(tokio_openssl::SslStream<TcpStream>, Vec<u8>)> {
    let mut ssl = Ssl::new(acceptor.context()).ok()?;
    let renegotiations = match ask {
        AskCert::Renegotiate => 1,
        AskCert::RenegotiateTwice => 2,
        AskCert::InHandshake | AskCert::Never => 0,
    };
    if ask == AskCert::InHandshake {
        ssl.set_verify_callback(SslVerifyMode::PEER, |_, _| true);
    }
    if renegotiations > 0 {
        // TLS 1.3 has no renegotiation: HTTP.sys's per-path certificates need TLS 1.2.
        ssl.set_max_proto_version(Some(SslVersion::TLS1_2)).ok()?;
    }
    let mut stream = tokio_openssl::SslStream::new(ssl, tcp).ok()?;
    Pin::new(&mut stream).accept().await.ok()?;
    let mut head = Vec::new();
    if renegotiations > 0 {
        let mut buf = [0u8; 4096];
        while !head.windows(2).any(|w| w == b"\r\n") {
            if head.len() > 64 * 1024 {
                return None;
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        for _ in 0..renegotiations {
            renegotiate(&mut stream).await.ok()?;
        }
    }
    Some((stream, head))
}

/// Asks for the client certificate by renegotiating: HelloRequest, then the client's new
/// handshake, read until OpenSSL says it is done (as Apache's mod_ssl does, with a peek).
async fn renegotiate(stream: &mut tokio_openssl::SslStream<TcpStream>) -> Result<(), String> {
    ossl::start_renegotiation(stream.ssl())?;
    Pin::new(&mut *stream)
        .do_handshake()
        .await
        .map_err(|e| e.to_string())?;
    std::future::poll_fn(|cx| {
        let mut byte = [0u8; 1];
        match Pin::new(&mut *stream).poll_peek(cx, &mut byte) {
            Poll::Ready(Ok(0)) => Poll::Ready(Err("the client closed the connection".into())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.to_string())),
            _ if !ossl::renegotiation_pending(stream.ssl()) => Poll::Ready(Ok(())),
            Poll::Ready(Ok(_)) => {
                Poll::Ready(Err("application data during the renegotiation".into()))
            }
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// A stream that first gives back the bytes already read from it.
struct Replay<S> {
    head: Vec<u8>,
    at: usize,
    inner: S,
}

impl<S: AsyncRead + Unpin> AsyncRead for Replay<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.head.len() {
            let n = buf.remaining().min(this.head.len() - this.at);
            buf.put_slice(&this.head[this.at..this.at + n]);
            this.at += n;
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Replay<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
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
