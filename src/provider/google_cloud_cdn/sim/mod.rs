//! Simulated Compute Engine global operations and `urlMaps.invalidateCache`, Google's OAuth 2.0
//! token endpoint, STS, IAM Credentials and the metadata server: an independent check of the
//! client, as the real service is.
