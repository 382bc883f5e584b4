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
}
