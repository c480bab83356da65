//! `OutputLimit`: Redis's `client-output-buffer-limit` rule for one client — over the hard
//! limit at any moment, or over the soft limit for longer than its seconds, and the client is
//! closed.

use crate::config::ObufLimit;

/// The class whose limits apply to a client (the order of `client-output-buffer-limit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientClass {
    /// Every other client (MONITOR included).
    Normal = 0,
    /// A replica (a SYNC/PSYNC stream).
    Replica = 1,
    /// A subscriber.
    Pubsub = 2,
}

impl ClientClass {
    /// The name CLIENT LIST/KILL TYPE use.
    pub fn name(self) -> &'static str {
        match self {
            ClientClass::Normal => "normal",
            ClientClass::Replica => "replica",
            ClientClass::Pubsub => "pubsub",
        }
    }
}

/// One client's standing against its output limit.
#[derive(Default)]
pub struct OutputLimit {
    /// When (Unix ms) the output first went over the soft limit, while it stays over.
    soft_since_ms: Option<u64>,
}

impl OutputLimit {
    /// The output size below which `limit` cannot be reached (the check's fast path).
    pub fn threshold(limit: &ObufLimit) -> usize {
        let lowest = match (limit.hard, limit.soft) {
            (0, 0) => u64::MAX,
            (0, s) => s,
            (h, 0) => h,
            (h, s) => h.min(s),
        };
        usize::try_from(lowest).unwrap_or(usize::MAX)
    }

    /// Whether a client holding `used` bytes of output at `now_ms` must be closed. Going over
    /// the soft limit starts its clock; falling back under it stops the clock.
    pub fn exceeded(&mut self, limit: &ObufLimit, used: usize, now_ms: u64) -> bool {
        let used = used as u64;
        if limit.hard > 0 && used >= limit.hard {
            return true;
        }
        if limit.soft == 0 || used < limit.soft {
            self.soft_since_ms = None;
            return false;
        }
        let since = *self.soft_since_ms.get_or_insert(now_ms);
        now_ms.saturating_sub(since) / 1000 > limit.soft_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_at_once_soft_after_its_seconds() {
        let limit = ObufLimit {
            hard: 100,
            soft: 50,
            soft_seconds: 2,
        };
        assert_eq!(OutputLimit::threshold(&limit), 50);
        let mut o = OutputLimit::default();
        assert!(o.exceeded(&limit, 100, 0));
        assert!(!o.exceeded(&limit, 60, 1_000));
        assert!(
            !o.exceeded(&limit, 60, 3_000),
            "2 s over soft is still allowed"
        );
        assert!(o.exceeded(&limit, 60, 4_000));
        // Falling under the soft limit resets its clock.
        assert!(!o.exceeded(&limit, 10, 5_000));
        assert!(!o.exceeded(&limit, 60, 6_000));
        let none = ObufLimit::default();
        assert_eq!(OutputLimit::threshold(&none), usize::MAX);
        assert!(!o.exceeded(&none, usize::MAX, 0));
    }
}
