//! CLIENT PAUSE's server-wide state: which commands wait, and until when (Redis's
//! `pauseClients`, networking.c). One word read with a relaxed load, so every command can
//! afford the check. While a pause lasts, expiry deletes nothing (Redis keeps the dataset
//! static so a failover loses nothing): the keyspace reads [`ClientPause::holds_expiry`].

use crate::sync::{AtomicBool, AtomicU64, Ordering};

/// Which commands a pause holds back, least restrictive first (the order Redis compares).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseMode {
    /// No pause.
    Off = 0,
    /// Commands that may change the dataset or the replication stream wait (CLIENT PAUSE
    /// ... WRITE).
    Write = 1,
    /// Every command waits (CLIENT PAUSE ... ALL).
    All = 2,
}

/// The largest end time the packed word holds (far beyond any real clock).
const MAX_END_MS: u64 = (1 << 62) - 1;

/// The pause in force: its mode and the Unix millisecond it lasts through, packed as
/// `end << 2 | mode` so readers need one load. Every command reads it and almost nothing
/// writes it, so it gets a cache line of its own, away from the keyspace's busy counters.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct ClientPause {
    word: AtomicU64,
    /// This server is a replica: its primary's DELs alone remove expired keys (Redis 7), so
    /// expiry holds as during a pause (see [`ClientPause::hold_for_replica`]).
    replica: AtomicBool,
    /// FAILOVER holds writes until it ends or is aborted (Redis's PAUSE_DURING_FAILOVER), a
    /// pause of its own that CLIENT UNPAUSE does not lift.
    failover: AtomicBool,
}

fn unpack(w: u64) -> (PauseMode, u64) {
    let mode = match w & 3 {
        0 => PauseMode::Off,
        1 => PauseMode::Write,
        _ => PauseMode::All,
    };
    (mode, w >> 2)
}

impl ClientPause {
    /// Pauses `mode` commands through Unix millisecond `end_ms`. A pause already in force is
    /// extended, never shortened or relaxed: the stricter mode and the later end win, as
    /// Redis merges pauses of one purpose. A pause that already ended counts for nothing.
    pub fn pause(&self, mode: PauseMode, end_ms: u64, now_ms: u64) {
        let end_ms = end_ms.min(MAX_END_MS);
        let _ = self
            .word
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |w| {
                let (old_mode, old_end) = unpack(w);
                let (old_mode, old_end) = if old_mode != PauseMode::Off && old_end >= now_ms {
                    (old_mode, old_end)
                } else {
                    (PauseMode::Off, 0)
                };
                Some((old_end.max(end_ms) << 2) | old_mode.max(mode) as u64)
            });
    }

    /// Ends the pause (CLIENT UNPAUSE). Sequentially consistent with [`ClientPause::end_ms`]
    /// and the clients' `paused` flags: a client that starts waiting as the pause is lifted
    /// either is woken by UNPAUSE or finds its deadline already past.
    pub fn unpause(&self) {
        self.word.store(0, Ordering::SeqCst);
    }

    /// The mode in force at `now_ms`: a pause lasts through its end millisecond and is off
    /// the millisecond after (Redis ends it once `end < mstime`).
    #[inline]
    pub fn mode_at(&self, now_ms: u64) -> PauseMode {
        let (mode, end) = unpack(self.word.load(Ordering::Relaxed));
        let mode = if mode == PauseMode::Off || end < now_ms {
            PauseMode::Off
        } else {
            mode
        };
        if self.failover.load(Ordering::Relaxed) {
            return mode.max(PauseMode::Write);
        }
        mode
    }

    /// The last millisecond of the pause (0 when there is none): a paused client looks
    /// again the millisecond after.
    pub fn end_ms(&self) -> u64 {
        if self.failover.load(Ordering::SeqCst) {
            return MAX_END_MS;
        }
        unpack(self.word.load(Ordering::SeqCst)).1
    }

    /// Holds writes for a FAILOVER (on) until it ends (off); the caller wakes the clients
    /// it held back, as after CLIENT UNPAUSE.
    pub fn set_failover(&self, on: bool) {
        self.failover.store(on, Ordering::SeqCst);
    }

    /// Whether expiry must leave expired keys in place at `now_ms`: lookups treat them as
    /// missing without deleting them, and the active cycle does not run.
    #[inline]
    pub fn holds_expiry(&self, now_ms: u64) -> bool {
        self.replica.load(Ordering::Relaxed) || self.mode_at(now_ms) != PauseMode::Off
    }

    /// Holds expiry (and eviction) while this server is a replica: reads hide logically
    /// expired keys, nothing deletes them but the primary's stream (REPLICAOF sets it,
    /// REPLICAOF NO ONE clears it).
    pub fn hold_for_replica(&self, on: bool) {
        self.replica.store(on, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn pauses_merge_stricter_and_later_and_end_after_their_last_ms() {
        let p = ClientPause::default();
        assert_eq!(p.mode_at(100), PauseMode::Off);
        p.pause(PauseMode::All, 200, 100);
        p.pause(PauseMode::Write, 300, 100);
        assert_eq!(p.mode_at(300), PauseMode::All);
        assert_eq!(p.mode_at(301), PauseMode::Off);
        assert!(p.holds_expiry(250) && !p.holds_expiry(301));
        // An ended pause does not lend its mode to the next one.
        p.pause(PauseMode::Write, 500, 400);
        assert_eq!(p.mode_at(450), PauseMode::Write);
        p.unpause();
        assert_eq!((p.mode_at(450), p.end_ms()), (PauseMode::Off, 0));
        // A zero timeout is a pause that is already over.
        p.pause(PauseMode::All, 0, 400);
        assert_eq!(p.mode_at(400), PauseMode::Off);
        p.pause(PauseMode::Write, u64::MAX, 400);
        assert_eq!(p.end_ms(), MAX_END_MS);
        // A failover's pause outlasts CLIENT UNPAUSE and ends only with the failover.
        p.unpause();
        p.set_failover(true);
        p.unpause();
        assert_eq!((p.mode_at(500), p.end_ms()), (PauseMode::Write, MAX_END_MS));
        p.pause(PauseMode::All, 600, 500);
        assert_eq!(p.mode_at(550), PauseMode::All);
        p.set_failover(false);
        assert_eq!(p.mode_at(650), PauseMode::Off);
    }
}
