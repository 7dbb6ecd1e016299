//! Azure classic Service Management (`azure-classic`) in the registry: the [`Cloud`] this folder implements.

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use super::{demo, inputs};
use crate::config::{ConfigError, Input, Raw};
use crate::exit::{Exit, Fatal};
use crate::provider::Provider;
use crate::provider::cloud::{self, Cloud, Configured, Demo, Inputs, Runtime, Served, Simulate};
use crate::secret::Secret;

/// Azure classic Service Management (`azure-classic`) in the registry.
pub struct AzureClassicCloud;

impl Cloud for AzureClassicCloud {
    fn names(&self) -> &'static [&'static str] {
        &[super::NAME]
    }

    fn inputs(&self) -> &'static [&'static Input] {
        inputs::INPUTS
    }

    fn configure(
        &self,
        name: &'static str,
        inputs: &Inputs<'_>,
    ) -> Result<Configured, ConfigError> {
        let _ = name;
        inputs::configure(inputs)
    }

    fn demo<'a>(
        &'a self,
        name: &'static str,
        raw: &'a Raw,
    ) -> LocalBoxFuture<'a, Result<Demo, Fatal>> {
        demo::demo(name, raw).boxed_local()
    }

    fn simulate<'a>(
        &'a self,
        name: &'static str,
        how: Simulate<'a>,
    ) -> LocalBoxFuture<'a, Result<Served, Fatal>> {
        demo::simulate(name, how).boxed_local()
    }
}

impl cloud::Settings for super::Settings {
    /// Over OpenSSL, for Service Management's renegotiation (see [`crate::tls::ossl`]).
    fn build(self: Box<Self>, runtime: Runtime) -> Result<Box<dyn Provider>, Fatal> {
        let http = crate::http::openssl_client::Client::new(runtime.request_timeout, &runtime.tls)
            .map_err(|e| {
                Fatal::new(
                    Exit::Unreadable,
                    format!("could not set up the HTTP client: {e}"),
                )
            })?;
        Ok(Box::new(super::AzureClassic::new(*self, http)))
    }

    fn identity_pem(&self) -> Option<Secret> {
        Some(self.certificate.identity_pem())
    }
}
