//! The OpenSSL side of purge-wait's TLS: azure-classic's client, which accepts one
//! server-initiated TLS 1.2 renegotiation, and the simulator's server, which asks for the
//! client certificate by one.
//!
//! Service Management (IIS / HTTP.sys, per-path client certificates) reads the request line,
//! then sends a HelloRequest and asks for the management certificate in the renegotiated
//! handshake. Azure's Go SDK accepts that with `Renegotiation: tls.RenegotiateOnceAsClient`;
//! rustls refuses any renegotiation by design. OpenSSL (vendored: built from source and
//! linked statically) accepts it, and [`client_connector`] makes it accept it once per
//! connection, as Go does: a second HelloRequest is declined with a `no_renegotiation` alert.
//!
//! Certificate verification is the same as on the rustls side: the bundled Mozilla roots
//! (the list webpki-roots carries) plus `ca-file`, host name or IP address checked, and a CA
//! certificate presented as the server's own refused (as webpki refuses it). A failure keeps
//! what the user needs to fix it: the OpenSSL verify code and the server's leaf certificate.
//!
//! The safe `openssl` API lacks the renegotiation calls; the few used here are declared
//! below. They are part of OpenSSL's public API since 0.9.8 (`SSL_set_options` as a function
//! since 1.1.0), and the vendored build is OpenSSL 3.

use std::ffi::c_int;
use std::sync::{Arc, Mutex};

use foreign_types::ForeignTypeRef;
use openssl::pkey::PKey;
use openssl::ssl::{SslConnector, SslMethod, SslRef, SslVerifyMode, SslVersion};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509VerifyResult};
use openssl_sys::{SSL, X509_STORE_CTX};

unsafe extern "C" {
    fn SSL_renegotiate(s: *mut SSL) -> c_int;
    fn SSL_renegotiate_pending(s: *const SSL) -> c_int;
    fn SSL_set_options(s: *mut SSL, op: u64) -> u64;
    fn SSL_CTX_set_info_callback(
        ctx: *mut openssl_sys::SSL_CTX,
        cb: Option<unsafe extern "C" fn(ssl: *const SSL, kind: c_int, ret: c_int)>,
    );
}

/// `SSL_CB_HANDSHAKE_DONE` (ssl.h).
const SSL_CB_HANDSHAKE_DONE: c_int = 0x20;
/// `SSL_CTRL_GET_TOTAL_RENEGOTIATIONS` (ssl.h), what `SSL_total_renegotiations` asks.
const SSL_CTRL_GET_TOTAL_RENEGOTIATIONS: c_int = 12;
/// `SSL_OP_NO_RENEGOTIATION` (ssl.h, OpenSSL 1.1.0h and later).
const SSL_OP_NO_RENEGOTIATION: u64 = 0x4000_0000;

/// Called by OpenSSL at each step of a handshake. When a renegotiation has completed (the
/// server sent a HelloRequest and this client went through with it), any further one on
/// the connection is declined with a `no_renegotiation` alert: "once", as Go's
/// `RenegotiateOnceAsClient`.
unsafe extern "C" fn renegotiate_once(ssl: *const SSL, kind: c_int, _ret: c_int) {
    if kind & SSL_CB_HANDSHAKE_DONE == 0 {
        return;
    }
    let ssl = ssl as *mut SSL;
    // SAFETY: OpenSSL passes the live connection the callback is about, on the thread that
    // drives it; the option only matters at the next HelloRequest.
    unsafe {
        let renegotiations = openssl_sys::SSL_ctrl(
            ssl,
            SSL_CTRL_GET_TOTAL_RENEGOTIATIONS,
            0,
            std::ptr::null_mut(),
        );
        if renegotiations >= 1 {
            SSL_set_options(ssl, SSL_OP_NO_RENEGOTIATION);
        }
    }
}

/// A client-side connector: Mozilla roots plus `extra_roots` (DER), TLS 1.2 or later, the
/// client certificate chain and key from `identity_pem` (PEM, as
/// [`crate::tls::ClientCert::identity_pem`] writes it), and one server-initiated
/// renegotiation per connection.
pub fn client_connector(
    extra_roots: &[Vec<u8>],
    identity_pem: Option<&str>,
) -> Result<SslConnector, String> {
    let e = |what: &str| {
        let what = what.to_string();
        move |err: openssl::error::ErrorStack| format!("{what}: {err}")
    };
    if openssl::version::number() < 0x3000_0000 {
        return Err(format!(
            "OpenSSL 3 is required, this build has {}",
            openssl::version::version()
        ));
    }
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(e("OpenSSL setup"))?;
    builder
        .set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(e("OpenSSL setup"))?;
    let mut store = X509StoreBuilder::new().map_err(e("OpenSSL trust store"))?;
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        // A root OpenSSL cannot read is skipped, as webpki-roots would not list it.
        if let Ok(cert) = X509::from_der(der.as_ref()) {
            let _ = store.add_cert(cert);
        }
    }
    for der in extra_roots {
        let cert = X509::from_der(der).map_err(e("a ca-file certificate"))?;
        // A duplicate of a bundled root is fine.
        let _ = store.add_cert(cert);
    }
    builder.set_cert_store(store.build());
    if let Some(pem) = identity_pem {
        let mut chain = X509::stack_from_pem(pem.as_bytes())
            .map_err(e("the client certificate"))?
            .into_iter();
        let leaf = chain
            .next()
            .ok_or("the client certificate: no CERTIFICATE block")?;
        builder
            .set_certificate(&leaf)
            .map_err(e("the client certificate"))?;
        for cert in chain {
            builder
                .add_extra_chain_cert(cert)
                .map_err(e("the client certificate chain"))?;
        }
        let key =
            PKey::private_key_from_pem(pem.as_bytes()).map_err(e("the client certificate key"))?;
        builder
            .set_private_key(&key)
            .map_err(e("the client certificate key"))?;
        builder
            .check_private_key()
            .map_err(e("the client certificate key"))?;
    }
    // SAFETY: the context is alive (we hold its builder); the callback is a plain function.
    unsafe { SSL_CTX_set_info_callback(builder.as_ptr(), Some(renegotiate_once)) };
    Ok(builder.build())
}

/// What a connection's certificate check saw: the server's leaf certificate (DER).
#[derive(Debug, Default, Clone)]
pub struct Seen {
    /// The leaf certificate, once OpenSSL has looked at it.
    pub leaf: Option<Vec<u8>>,
}

/// Installs the per-connection verify callback on a client `ssl`: OpenSSL's verdict, and
/// also refusal of a CA certificate as the server's own (`X509_V_ERR_INVALID_NON_CA`, as
/// webpki's `CaUsedAsEndEntity`). The leaf is kept in the returned cell for error messages.
pub fn verify_server(ssl: &mut SslRef) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let cell = seen.clone();
    ssl.set_verify_callback(SslVerifyMode::PEER, move |ok, ctx| {
        if ctx.error_depth() != 0 {
            return ok;
        }
        let Some(der) = ctx.current_cert().and_then(|c| c.to_der().ok()) else {
            return ok;
        };
        let is_ca = x509_parser::parse_x509_certificate(&der)
            .ok()
            .and_then(|(_, c)| c.basic_constraints().ok().flatten().map(|b| b.value.ca))
            .unwrap_or(false);
        if let Ok(mut s) = cell.lock() {
            s.leaf = Some(der);
        }
        if ok && is_ca {
            // SAFETY: a verify code OpenSSL defines.
            let code =
                unsafe { X509VerifyResult::from_raw(openssl_sys::X509_V_ERR_INVALID_NON_CA) };
            ctx.set_error(code);
            return false;
        }
        ok
    });
    seen
}

/// A server certificate OpenSSL refused: the verify code and what was seen of the server.
#[derive(Debug, Clone)]
pub struct VerifyFailed {
    /// The `X509_V_ERR_*` code.
    pub code: c_int,
    /// OpenSSL's text for it.
    pub reason: String,
    /// The host (or IP address) connected to.
    pub host: String,
    /// The server's leaf certificate, DER, when the check got that far.
    pub leaf: Option<Vec<u8>>,
}

impl std::fmt::Display for VerifyFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "certificate verify failed: {} ({})",
            self.reason, self.code
        )
    }
}

impl std::error::Error for VerifyFailed {}

/// Accepts any client certificate at the TLS layer (the simulated API decides).
extern "C" fn accept_any(_ok: c_int, _ctx: *mut X509_STORE_CTX) -> c_int {
    1
}

/// Server side: asks the client for a certificate by renegotiating on `ssl` (TLS 1.2), as
/// HTTP.sys does. Call [`renegotiation_pending`] until it is done while reading.
pub fn start_renegotiation(ssl: &SslRef) -> Result<(), String> {
    // SAFETY: `ssl` is a live connection owned by the caller's stream.
    unsafe {
        let raw = ssl.as_ptr();
        openssl_sys::SSL_set_verify(raw, openssl_sys::SSL_VERIFY_PEER, Some(accept_any));
        if SSL_renegotiate(raw) != 1 {
            return Err(format!(
                "OpenSSL refused to renegotiate ({})",
                openssl::error::ErrorStack::get()
            ));
        }
    }
    Ok(())
}

/// Whether a renegotiation started on `ssl` has not finished yet.
pub fn renegotiation_pending(ssl: &SslRef) -> bool {
    // SAFETY: `ssl` is a live connection.
    unsafe { SSL_renegotiate_pending(ssl.as_ptr()) != 0 }
}
