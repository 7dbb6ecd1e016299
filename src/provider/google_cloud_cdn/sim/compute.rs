//! Compute Engine: global operations (`get`, `wait`) and `urlMaps.invalidateCache`.

use std::time::Duration;

use super::{GoogleCloudCdnSim, json};
use crate::sim::{Answer, SimRequest};

impl GoogleCloudCdnSim {
    /// A Compute call.
    pub(super) fn compute(&self, req: &SimRequest) -> Answer {
        let _ = (&self.setup, req);
        json(501, "{}".into(), "compute: not yet".into())
    }

    /// How long a `wait` is held.
    pub(super) fn wait_hold(&self, _req: &SimRequest) -> Duration {
        Duration::ZERO
    }
}
