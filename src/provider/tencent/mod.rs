//! Tencent Cloud CDN (`tencent-cdn`) and EdgeOne (`tencent-edgeone`): TC3-HMAC-SHA256 signed
//! purges and purge-task queries.

pub mod sign;
pub mod sim;
