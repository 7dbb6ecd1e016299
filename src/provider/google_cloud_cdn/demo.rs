//! `purge-wait demo --provider google-cloud-cdn` and `simulate --provider google-cloud-cdn`:
//! the simulator of [`super::sim`] on a local port, with a real, authorised wait against it.

use crate::config::Raw;
use crate::exit::{Exit, Fatal};
use crate::provider::cloud::{Demo, Served, Simulate};

pub async fn demo(_raw: &Raw) -> Result<Demo, Fatal> {
    Err(Fatal::new(
        Exit::Unreadable,
        "the google-cloud-cdn simulator is not ready".to_string(),
    ))
}

pub async fn simulate(_how: Simulate<'_>) -> Result<Served, Fatal> {
    Err(Fatal::new(
        Exit::Usage,
        "the google-cloud-cdn simulator is not ready".to_string(),
    ))
}
