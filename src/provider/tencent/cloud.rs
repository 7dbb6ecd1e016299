//! Tencent Cloud CDN and EdgeOne (`tencent-cdn`, `tencent-edgeone`: one folder, two names) in the registry: the [`Cloud`] this folder implements.

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;

use super::{demo, inputs};
use crate::config::{ConfigError, Input, Raw};
use crate::exit::Fatal;
use crate::provider::Provider;
use crate::provider::cloud::{self, Cloud, Configured, Demo, Inputs, Runtime, Served, Simulate};

/// Tencent Cloud CDN and EdgeOne (`tencent-cdn`, `tencent-edgeone`: one folder, two names) in the registry.
pub struct TencentCloud;

impl Cloud for TencentCloud {
    fn names(&self) -> &'static [&'static str] {
        &[super::CDN, super::EDGEONE]
    }

    fn inputs(&self) -> &'static [&'static Input] {
        inputs::INPUTS
    }

    fn configure(
        &self,
        name: &'static str,
        inputs: &Inputs<'_>,
    ) -> Result<Configured, ConfigError> {
        inputs::configure(name, inputs)
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
    fn build(self: Box<Self>, runtime: Runtime) -> Result<Box<dyn Provider>, Fatal> {
        Ok(Box::new(super::Tencent::new(
            *self,
            runtime.http,
            runtime.redactor,
        )))
    }
}
