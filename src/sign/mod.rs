//! Request signing: pure functions of the request, the key and an injected clock.
//!
//! Nothing here does I/O or reads the time, so every signature can be reproduced from its
//! inputs and each stage has known-answer tests from the provider's own documentation.
//! The same functions let the simulator verify what the client signed.

pub mod acs3;
pub mod azure_china;
