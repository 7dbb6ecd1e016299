//! azure-classic's HTTP client: hyper's pooled HTTP/1 client over OpenSSL
//! ([`crate::tls::ossl`]), because Service Management asks for the management certificate
//! by TLS 1.2 renegotiation, which rustls refuses. Every other provider uses the rustls
//! client of [`super::client_with`].
//!
//! It keeps the shared rules: the user agent, connect and request timeouts, no redirects
//! ([`super::check_redirect`]), the body cap, transport errors transient and certificate
//! verification failures permanent ([`super::chain_error`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Uri;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use openssl::ssl::SslConnector;
use openssl::x509::X509VerifyResult;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use url::Url;

use super::{Response, Tls, USER_AGENT};
use crate::provider::{ErrorKind, ProviderError};
use crate::tls::ossl;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The OpenSSL client. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Client {
    inner: HyperClient<Connector, Empty<Bytes>>,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("openssl_client::Client")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with `tls`'s extra roots and client certificate; `request_timeout` bounds
    /// each request, as for the rustls client.
    pub fn new(request_timeout: Duration, tls: &Tls) -> Result<Client, String> {
        let identity = tls.identity_pem.as_ref().map(|s| s.expose());
        let connector = Connector {
            tls: Arc::new(ossl::client_connector(&tls.extra_roots, identity)?),
            connect_timeout: request_timeout.min(Duration::from_secs(10)),
        };
        let inner = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .build(connector);
        Ok(Client {
            inner,
            timeout: request_timeout,
        })
    }

    /// GETs `url` with `headers` and reads the whole response.
    pub async fn get(
        &self,
        url: &Url,
        headers: &[(&str, &str)],
    ) -> Result<Response, ProviderError> {
        let uri: Uri = url.as_str().parse().map_err(|_| {
            ProviderError::new(ErrorKind::Invalid, "the request URL is not a valid URI")
        })?;
        let mut request = hyper::Request::get(uri).header(hyper::header::USER_AGENT, USER_AGENT);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Empty::new()).map_err(|e| {
            ProviderError::new(
                ErrorKind::Invalid,
                format!("could not build the request: {e}"),
            )
        })?;
        let host = url.host_str().map(str::to_string);
        let exchange = async {
            let response = self.inner.request(request).await.map_err(|e| {
                let what = if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                super::chain_error(&e, what, host.as_deref(), !e.is_connect())
            })?;
            let status = response.status().as_u16();
            super::check_redirect(Some(url), status, response.headers())?;
            let (parts, mut body) = response.into_parts();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    super::chain_error(&e, "response cut short", host.as_deref(), true)
                })?;
                if let Ok(data) = frame.into_data() {
                    super::append_capped(&mut bytes, &data, status)?;
                }
            }
            Ok(Response {
                status,
                headers: parts.headers,
                body: bytes,
            })
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(ProviderError::new(
                ErrorKind::Transient,
                "request timed out",
            )),
        }
    }
}

/// Opens TCP (and TLS for https) connections for the pool.
#[derive(Clone)]
struct Connector {
    tls: Arc<SslConnector>,
    connect_timeout: Duration,
}

impl tower_service::Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(uri).await })
    }
}

impl Connector {
    async fn connect(self, uri: Uri) -> Result<Conn, BoxError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("only http and https URLs are supported".into()),
        };
        let host = uri
            .host()
            .ok_or("the URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let timed_out = |what: &str| io::Error::new(io::ErrorKind::TimedOut, what.to_string());
        let tcp = tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect((host.as_str(), port)),
        )
        .await
        .map_err(|_| timed_out("connect timed out"))??;
        let _ = tcp.set_nodelay(true);
        if !https {
            return Ok(Conn(TokioIo::new(Stream::Plain(tcp))));
        }
        let mut ssl = self.tls.configure()?.into_ssl(&host)?;
        let seen = ossl::verify_server(&mut ssl);
        let mut stream = tokio_openssl::SslStream::new(ssl, tcp)?;
        match tokio::time::timeout(self.connect_timeout, Pin::new(&mut stream).connect()).await {
            Err(_) => Err(timed_out("TLS handshake timed out").into()),
            Ok(Err(e)) => {
                let verdict = stream.ssl().verify_result();
                if verdict == X509VerifyResult::OK {
                    return Err(Box::new(e));
                }
                Err(Box::new(ossl::VerifyFailed {
                    code: verdict.as_raw(),
                    reason: verdict.error_string().to_string(),
                    host,
                    leaf: seen.lock().ok().and_then(|s| s.leaf.clone()),
                }))
            }
            Ok(Ok(())) => Ok(Conn(TokioIo::new(Stream::Tls(Box::new(stream))))),
        }
    }
}

/// A plain or TLS connection.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_openssl::SslStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A connection as hyper's pool takes it.
struct Conn(TokioIo<Stream>);

impl hyper::rt::Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}
