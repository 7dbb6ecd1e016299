//! Google Cloud CDN (`google-cloud-cdn`): `urlMaps.invalidateCache` and the Compute Engine
//! global operations it returns, waited on with the operations `wait` long-poll.

pub mod sim;
