//! One cache for every credential an identity provider issues for a while (Entra ID access
//! tokens, Alibaba STS credentials, AWS temporary credentials): one refresh margin
//! ([`refresh_margin`]), one clock (`tokio::time::Instant`), one fetch at a time.
//!
//! The rule for a failed refresh: while the cached value still has more than [`LAST_USE`]
//! left it is handed out (the next call tries again); an expired value, or one that close to
//! its expiry, is never handed out: the fetch's error is returned.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

pub use crate::auth::refresh::refresh_margin;
use crate::duration;
use crate::error::ProviderError;

/// The clock the cache reads; tests inject a shifted one.
pub type Clock = fn() -> Instant;

/// A credential as issued, with how long it lasts from when its fetch started.
pub struct Issued<T> {
    pub value: T,
    pub lifetime: Duration,
}

/// Longest lifetime believed (a day): an absurd expiry from a server never overflows.
pub const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// A value this close to its expiry is never handed out, even when a refresh failed.
pub const LAST_USE: Duration = Duration::from_secs(30);

struct Entry<T> {
    value: T,
    refresh_at: Instant,
    expires_at: Instant,
}

/// The cached credential, shared by every concurrent call: one fetch at a time, the others
/// wait for its value.
pub struct TokenCache<T> {
    slot: tokio::sync::Mutex<Option<Entry<T>>>,
    clock: Clock,
}

impl<T: Clone + PartialEq> Default for TokenCache<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone + PartialEq> TokenCache<T> {
    /// An empty cache on `tokio::time::Instant::now`.
    pub fn new() -> Self {
        Self::with_clock(Instant::now)
    }

    /// An empty cache reading `clock`.
    pub fn with_clock(clock: Clock) -> Self {
        TokenCache {
            slot: tokio::sync::Mutex::new(None),
            clock,
        }
    }

    /// The cached value before its refresh time; else `fetch()`'s, cached. Concurrent callers
    /// wait for one fetch. A failed fetch hands out the cached value while it has more than
    /// [`LAST_USE`] left, else the error.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<T, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Issued<T>, ProviderError>>,
    {
        let mut slot = self.slot.lock().await;
        let now = (self.clock)();
        if let Some(e) = slot.as_ref().filter(|e| now < e.refresh_at) {
            return Ok(e.value.clone());
        }
        match fetch().await {
            Ok(issued) => Ok(self.store(&mut slot, now, issued)),
            Err(err) => {
                let now = (self.clock)();
                match slot.as_ref() {
                    Some(e) if duration::after(now, LAST_USE) < e.expires_at => Ok(e.value.clone()),
                    _ => Err(err),
                }
            }
        }
    }

    /// A value to use instead of `refused`: the cached one when another caller already
    /// replaced it and it is before its refresh time, else `fetch()`'s. A failed fetch is an
    /// error (a refused value is never handed back).
    pub async fn replace<F, Fut>(&self, refused: &T, fetch: F) -> Result<T, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Issued<T>, ProviderError>>,
    {
        let mut slot = self.slot.lock().await;
        let now = (self.clock)();
        if let Some(e) = slot
            .as_ref()
            .filter(|e| &e.value != refused && now < e.refresh_at)
        {
            return Ok(e.value.clone());
        }
        let issued = fetch().await?;
        Ok(self.store(&mut slot, now, issued))
    }

    fn store(&self, slot: &mut Option<Entry<T>>, now: Instant, issued: Issued<T>) -> T {
        let life = issued.lifetime.min(MAX_LIFETIME);
        let value = issued.value;
        *slot = Some(Entry {
            value: value.clone(),
            refresh_at: duration::after(now, life.saturating_sub(refresh_margin(life))),
            expires_at: duration::after(now, life),
        });
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::cell::Cell;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn failure() -> ProviderError {
        ProviderError::new(ErrorKind::Transient, "STS is down")
    }

    async fn issue(
        count: &Cell<u32>,
        value: u32,
        lifetime: Duration,
    ) -> Result<Issued<u32>, ProviderError> {
        count.set(count.get() + 1);
        Ok(Issued { value, lifetime })
    }

    async fn fail(count: &Cell<u32>) -> Result<Issued<u32>, ProviderError> {
        count.set(count.get() + 1);
        Err(failure())
    }

    #[tokio::test(start_paused = true)]
    async fn a_value_is_cached_until_its_refresh_time() {
        let cache = TokenCache::new();
        let n = Cell::new(0);
        assert_eq!(cache.get(|| issue(&n, 1, s(3600))).await.unwrap(), 1);
        tokio::time::advance(s(3600 - 301)).await;
        assert_eq!(
            cache.get(|| issue(&n, 2, s(3600))).await.unwrap(),
            1,
            "fresh"
        );
        assert_eq!(n.get(), 1);
        // Within the 5-minute margin: replaced.
        tokio::time::advance(s(2)).await;
        assert_eq!(
            cache.get(|| issue(&n, 2, s(3600))).await.unwrap(),
            2,
            "refreshed"
        );
        assert_eq!(n.get(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_value_is_replaced_once() {
        let cache = TokenCache::new();
        let n = Cell::new(0);
        assert_eq!(cache.get(|| issue(&n, 1, s(3600))).await.unwrap(), 1);
        assert_eq!(
            cache.replace(&1, || issue(&n, 2, s(3600))).await.unwrap(),
            2
        );
        // A second caller refused the same old value: it gets the replacement, no fetch.
        assert_eq!(
            cache.replace(&1, || issue(&n, 3, s(3600))).await.unwrap(),
            2
        );
        assert_eq!(n.get(), 2);
        // A failed replacement is an error, never the refused value.
        assert!(cache.replace(&2, || fail(&n)).await.is_err());
        assert_eq!(n.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_keeps_a_value_with_time_left() {
        let cache = TokenCache::new();
        let n = Cell::new(0);
        assert_eq!(cache.get(|| issue(&n, 1, s(3600))).await.unwrap(), 1);
        tokio::time::advance(s(3400)).await;
        assert_eq!(cache.get(|| fail(&n)).await.unwrap(), 1, "kept while valid");
        assert_eq!(n.get(), 2, "a refresh was tried");
        assert_eq!(
            cache.get(|| issue(&n, 2, s(3600))).await.unwrap(),
            2,
            "tried again"
        );
        assert_eq!(n.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_refresh_near_expiry_is_an_error() {
        let cache = TokenCache::new();
        let n = Cell::new(0);
        assert_eq!(cache.get(|| issue(&n, 1, s(3600))).await.unwrap(), 1);
        tokio::time::advance(s(3600 - 20)).await;
        assert!(cache.get(|| fail(&n)).await.is_err(), "20 s left");
        tokio::time::advance(s(60)).await;
        assert!(cache.get(|| fail(&n)).await.is_err(), "expired");
        assert_eq!(n.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn absurd_lifetimes_are_capped() {
        let cache = TokenCache::new();
        let n = Cell::new(0);
        let forever = Duration::from_secs(u64::MAX);
        assert_eq!(cache.get(|| issue(&n, 1, forever)).await.unwrap(), 1);
        tokio::time::advance(MAX_LIFETIME).await;
        assert_eq!(cache.get(|| issue(&n, 2, forever)).await.unwrap(), 2);
        assert_eq!(n.get(), 2);
    }
}
