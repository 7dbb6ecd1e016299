//! Simulated Tencent Cloud CDN and EdgeOne purge APIs and STS `AssumeRoleWithWebIdentity`: an
//! independent check of the client, as the real service is.
