//! A small time-bounded cache for per-request lookups (who is this token,
//! which tenant is this slug) that would otherwise hit the database each time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Entries expire after `ttl`; the whole map is dropped when it grows past a
/// bound, which is simpler than LRU and fine for a cache this cheap to refill.
pub struct TtlCache<V> {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

const MAX_ENTRIES: usize = 10_000;

impl<V: Clone> TtlCache<V> {
    pub fn new(ttl: Duration) -> Self {
        TtlCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        match entries.get(key) {
            Some((at, v)) if at.elapsed() < self.ttl => Some(v.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: String, value: V) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), value));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

/// Counts failed logins per key (an e-mail, an address) in a sliding window,
/// so password guessing is slowed per account and per client.
pub struct Throttle {
    window: Duration,
    limit: u32,
    failures: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    pub fn new(limit: u32, window: Duration) -> Self {
        Throttle {
            window,
            limit,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `key` may try again, if it is over the limit.
    pub fn blocked_for(&self, key: &str) -> Option<u64> {
        let failures = self.failures.lock().ok()?;
        let (since, n) = failures.get(key)?;
        let left = self.window.checked_sub(since.elapsed())?;
        (*n >= self.limit).then(|| left.as_secs().max(1))
    }

    pub fn fail(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() >= MAX_ENTRIES {
                failures.retain(|_, (since, _)| since.elapsed() < self.window);
            }
            let entry = failures
                .entry(key.to_string())
                .or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= self.window {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }

    pub fn succeed(&self, key: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clear() {
        let c = TtlCache::new(Duration::from_millis(30));
        c.put("a".into(), 1);
        assert_eq!(c.get("a"), Some(1));
        assert_eq!(c.get("b"), None);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(c.get("a"), None);
        c.put("a".into(), 2);
        c.clear();
        assert_eq!(c.get("a"), None);
    }

    #[test]
    fn throttle_blocks_after_the_limit_and_forgets_on_success() {
        let t = Throttle::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            t.fail("a");
        }
        assert_eq!(t.blocked_for("a"), None);
        t.fail("a");
        assert!(t.blocked_for("a").is_some_and(|s| s <= 60));
        assert_eq!(t.blocked_for("b"), None);
        t.succeed("a");
        assert_eq!(t.blocked_for("a"), None);
    }
}
