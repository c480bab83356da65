//! What an entry's `access` field holds, and how an access updates it.
//!
//! Under an LRU (or no-eviction) policy it is the LRU clock: the last access in seconds
//! ([`lru_clock`]), which OBJECT IDLETIME reports. Under an LFU maxmemory policy it is Redis's
//! LFU pair: the time of the last decrement in minutes (16 bits, wrapping) above an 8-bit
//! logarithmic access counter, which OBJECT FREQ reports. New values start at a counter of
//! [`LFU_INIT`]; every access first lets the counter decay by one per `lfu-decay-time` minutes
//! elapsed, then increments it with probability 1 / ((counter - LFU_INIT) * lfu-log-factor + 1),
//! so it grows with the logarithm of the access count and saturates at 255. Switching policies
//! reinterprets the field, as in Redis (hence its warning that the data "will take some time
//! to adjust").

use std::sync::atomic::{AtomicU64, Ordering};

/// The counter a new value starts with under LFU, so fresh keys are not evicted at once.
pub const LFU_INIT: u8 = 5;

/// The LRU clock: seconds, as kept in each entry's access field (OBJECT IDLETIME).
#[inline]
pub fn lru_clock(now_ms: u64) -> u32 {
    (now_ms / 1000) as u32
}

/// How the access field is maintained: the configured maxmemory policy's kind plus the LFU
/// tuning (`lfu-log-factor`, `lfu-decay-time`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccessPolicy {
    /// An LFU policy is selected.
    pub lfu: bool,
    /// `lfu-log-factor`.
    pub log_factor: u32,
    /// `lfu-decay-time`, minutes.
    pub decay_time: u32,
}

impl AccessPolicy {
    /// The policy `config` selects.
    pub fn of(config: &crate::config::Config) -> Self {
        AccessPolicy {
            lfu: config.maxmemory_policy.is_lfu(),
            log_factor: config.lfu_log_factor,
            decay_time: config.lfu_decay_time,
        }
    }

    /// The access field of a value created at `now_ms`.
    #[inline]
    pub fn fresh(self, now_ms: u64) -> u32 {
        if self.lfu {
            (lfu_minutes(now_ms) << 8) | u32::from(LFU_INIT)
        } else {
            lru_clock(now_ms)
        }
    }

    /// The access field after an access at `now_ms`; `random` yields numbers in [0, 1).
    #[inline]
    pub fn touched(self, access: u32, now_ms: u64, random: impl FnOnce() -> f64) -> u32 {
        if !self.lfu {
            return lru_clock(now_ms);
        }
        let counter = self.lfu_counter(access, now_ms);
        let counter = lfu_log_incr(counter, self.log_factor, random);
        (lfu_minutes(now_ms) << 8) | u32::from(counter)
    }

    /// The LFU counter of `access` as of `now_ms`, decayed for the time since its last
    /// decrement (the field itself is left alone): what OBJECT FREQ reports.
    pub fn lfu_counter(self, access: u32, now_ms: u64) -> u8 {
        let counter = (access & 0xff) as u8;
        if self.decay_time == 0 {
            return counter;
        }
        let last = (access >> 8) & 0xffff;
        let periods = lfu_elapsed(last, lfu_minutes(now_ms)) / self.decay_time;
        counter.saturating_sub(periods.min(255) as u8)
    }

    /// Packs the policy into one word (for [`AccessPolicyCell`]).
    fn pack(self) -> u64 {
        (u64::from(self.lfu) << 63)
            | (u64::from(self.log_factor & 0x7fff_ffff) << 31)
            | u64::from(self.decay_time & 0x7fff_ffff)
    }

    fn unpack(w: u64) -> Self {
        AccessPolicy {
            lfu: w >> 63 != 0,
            log_factor: ((w >> 31) & 0x7fff_ffff) as u32,
            decay_time: (w & 0x7fff_ffff) as u32,
        }
    }
}

/// The current [`AccessPolicy`], readable with one relaxed load (both tuning values are at
/// most `i32::MAX`, so the three fit one word).
#[derive(Debug, Default)]
pub struct AccessPolicyCell(AtomicU64);

impl AccessPolicyCell {
    /// Reads the policy.
    #[inline]
    pub fn get(&self) -> AccessPolicy {
        AccessPolicy::unpack(self.0.load(Ordering::Relaxed))
    }

    /// Replaces the policy (at startup and on CONFIG SET).
    pub fn set(&self, policy: AccessPolicy) {
        self.0.store(policy.pack(), Ordering::Relaxed);
    }
}

/// Minutes of the Unix time, modulo 2^16: the LFU decrement clock.
fn lfu_minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xffff) as u32
}

/// Minutes from `last` to `now` on the 16-bit wrapping minute clock (assuming it wrapped at
/// most once), counted the way Redis counts them.
fn lfu_elapsed(last: u32, now: u32) -> u32 {
    if now >= last {
        now - last
    } else {
        65535 - last + now
    }
}

/// One probabilistic increment of a logarithmic counter.
fn lfu_log_incr(counter: u8, log_factor: u32, random: impl FnOnce() -> f64) -> u8 {
    if counter == u8::MAX {
        return counter;
    }
    let base = f64::from(counter.saturating_sub(LFU_INIT));
    if base == 0.0 {
        // Probability 1: no need to draw.
        return counter + 1;
    }
    let p = 1.0 / (base * f64::from(log_factor) + 1.0);
    if random() < p {
        counter + 1
    } else {
        counter
    }
}

/// A lock-free source of numbers in [0, 1) for the LFU increments (seeded by the server; no
/// global randomness in core): a splitmix64 sequence.
#[derive(Debug)]
pub struct LfuRandom(AtomicU64);

impl LfuRandom {
    /// A sequence starting from `seed`.
    pub fn new(seed: u64) -> Self {
        LfuRandom(AtomicU64::new(seed))
    }

    /// The next number in [0, 1).
    pub fn next_f64(&self) -> f64 {
        let mut z = self
            .0
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LFU: AccessPolicy = AccessPolicy {
        lfu: true,
        log_factor: 10,
        decay_time: 1,
    };

    #[test]
    fn lfu_starts_at_five_and_grows_logarithmically() {
        let now = 1_700_000_000_000;
        let a = LFU.fresh(now);
        assert_eq!(LFU.lfu_counter(a, now), 5);
        // Up to the initial value every access counts.
        let a = LFU.touched(a, now, || 0.99);
        assert_eq!(LFU.lfu_counter(a, now), 6);
        // Above it, only with probability 1/(base*factor+1): 1/11 at 6.
        assert_eq!(LFU.lfu_counter(LFU.touched(a, now, || 0.5), now), 6);
        assert_eq!(LFU.lfu_counter(LFU.touched(a, now, || 0.05), now), 7);
        // Saturates at 255.
        let full = (a & !0xff) | 0xff;
        assert_eq!(LFU.lfu_counter(LFU.touched(full, now, || 0.0), now), 255);
        // A thousand accesses with a real random source stay far below linear growth.
        let rnd = LfuRandom::new(7);
        let mut a = LFU.fresh(now);
        for _ in 0..1000 {
            a = LFU.touched(a, now, || rnd.next_f64());
        }
        let c = LFU.lfu_counter(a, now);
        assert!((10..40).contains(&c), "{c}");
    }

    #[test]
    fn lfu_counter_decays_per_period() {
        // At the start of a minute.
        let now = 1_700_000_040_000;
        let a = LFU.touched(LFU.fresh(now), now, || 0.0);
        assert_eq!(LFU.lfu_counter(a, now), 6);
        assert_eq!(LFU.lfu_counter(a, now + 59_999), 6);
        assert_eq!(LFU.lfu_counter(a, now + 2 * 60_000), 4);
        assert_eq!(LFU.lfu_counter(a, now + 100 * 60_000), 0);
        let slow = AccessPolicy {
            decay_time: 0,
            ..LFU
        };
        assert_eq!(slow.lfu_counter(a, now + 100 * 60_000), 6);
        // An access after decay continues from the decayed count.
        let later = now + 3 * 60_000;
        assert_eq!(LFU.lfu_counter(LFU.touched(a, later, || 0.0), later), 4);
    }

    #[test]
    fn policy_round_trips_through_its_cell() {
        let cell = AccessPolicyCell::default();
        assert_eq!(cell.get(), AccessPolicy::default());
        let p = AccessPolicy {
            lfu: true,
            log_factor: i32::MAX as u32,
            decay_time: 3,
        };
        cell.set(p);
        assert_eq!(cell.get(), p);
        let lru = AccessPolicy::default();
        assert_eq!(lru.fresh(61_500), 61);
        assert_eq!(lru.touched(5, 61_500, || 0.0), 61);
    }
}
