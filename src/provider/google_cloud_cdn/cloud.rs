//! Google Cloud CDN (`google-cloud-cdn`) in the registry: the [`Cloud`] this folder implements.

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use super::{demo, inputs};
use crate::config::{ConfigError, Input, Raw};
use crate::exit::Fatal;
use crate::provider::Provider;
use crate::provider::cloud::{self, Cloud, Configured, Demo, Inputs, Runtime, Served, Simulate};

/// Google Cloud CDN (`google-cloud-cdn`) in the registry.
pub struct GoogleCloudCdnCloud;

impl Cloud for GoogleCloudCdnCloud {
    fn names(&self) -> &'static [&'static str] {
        &[super::NAME]
    }

    fn inputs(&self) -> &'static [&'static Input] {
        inputs::INPUTS
    }

    fn configure(
        &self,
        _name: &'static str,
        inputs: &Inputs<'_>,
    ) -> Result<Configured, ConfigError> {
        inputs::configure(inputs)
    }

    fn demo<'a>(
        &'a self,
        _name: &'static str,
        raw: &'a Raw,
    ) -> LocalBoxFuture<'a, Result<Demo, Fatal>> {
        demo::demo(raw).boxed_local()
    }

    fn simulate<'a>(
        &'a self,
        _name: &'static str,
        how: Simulate<'a>,
    ) -> LocalBoxFuture<'a, Result<Served, Fatal>> {
        demo::simulate(how).boxed_local()
    }
}

impl cloud::Settings for super::Settings {
    fn build(self: Box<Self>, runtime: Runtime) -> Result<Box<dyn Provider>, Fatal> {
        Ok(Box::new(super::GoogleCloudCdn::new(
            *self,
            runtime.http,
            runtime.request_timeout,
            runtime.redactor,
        )))
    }
}
