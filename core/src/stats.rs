//! Server-wide counters reported by INFO stats and INFO errorstats.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::sync::Mutex;

/// Counters shared by all sessions (relaxed atomics: they are statistics, not synchronisation).
#[derive(Default)]
pub struct Stats {
    /// Connections accepted.
    pub total_connections_received: AtomicU64,
    /// Connections refused (maxclients).
    pub rejected_connections: AtomicU64,
    /// Commands executed.
    pub total_commands_processed: AtomicU64,
    /// Bytes read from clients.
    pub total_net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub total_net_output_bytes: AtomicU64,
    /// Error replies sent.
    pub total_error_replies: AtomicU64,
    /// Commands rejected before execution (unknown, arity, ...).
    pub unexpected_error_replies: AtomicU64,
    /// Full resynchronisations served to replicas (SYNC, PSYNC answered +FULLRESYNC).
    pub sync_full: AtomicU64,
    /// PSYNCs answered +CONTINUE.
    pub sync_partial_ok: AtomicU64,
    /// PSYNCs naming a history that could not be continued (not `?`), served in full.
    pub sync_partial_err: AtomicU64,
    /// Highest memory use seen (INFO used_memory_peak), when the host doesn't track it.
    pub peak_memory: AtomicU64,
    /// Error replies by error code ("ERR", "WRONGTYPE", ...), for INFO errorstats.
    errors: Mutex<BTreeMap<Vec<u8>, u64>>,
}

/// Longest prefix Redis searches for the error code's end.
const ERROR_CODE_SCAN: usize = 32;

impl Stats {
    /// Adds `n` to a counter.
    #[inline]
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// Reads a counter.
    #[inline]
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    /// Counts an error reply: `total_error_replies` and the errorstats entry of its code, the
    /// first word of `msg` ("ERR" when there is no space within Redis's 32-byte window).
    pub fn record_error(&self, msg: &[u8]) {
        Stats::add(&self.total_error_replies, 1);
        let msg = msg.strip_prefix(b"-").unwrap_or(msg);
        let window = &msg[..msg.len().min(ERROR_CODE_SCAN - 1)];
        let code = match window.iter().position(|&b| b == b' ') {
            Some(end) => &msg[..end],
            None => b"ERR".as_slice(),
        };
        let mut errors = self.errors.lock();
        match errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                errors.insert(code.to_vec(), 1);
            }
        }
    }

    /// (code, count) of every error code seen, in code order.
    pub fn error_stats(&self) -> Vec<(Vec<u8>, u64)> {
        self.errors
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    /// Zeroes the counters CONFIG RESETSTAT resets.
    pub fn reset(&self) {
        for c in [
            &self.total_connections_received,
            &self.rejected_connections,
            &self.total_commands_processed,
            &self.total_net_input_bytes,
            &self.total_net_output_bytes,
            &self.total_error_replies,
            &self.unexpected_error_replies,
            &self.peak_memory,
            &self.sync_full,
            &self.sync_partial_ok,
            &self.sync_partial_err,
        ] {
            c.store(0, Ordering::Relaxed);
        }
        self.errors.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_like_redis() {
        let s = Stats::default();
        s.record_error(b"ERR syntax error");
        s.record_error(b"WRONGTYPE Operation against a key");
        s.record_error(b"ERR x");
        s.record_error(b"NOSPACEHERE");
        assert_eq!(
            s.error_stats(),
            vec![(b"ERR".to_vec(), 3), (b"WRONGTYPE".to_vec(), 1)]
        );
        assert_eq!(Stats::get(&s.total_error_replies), 4);
        s.reset();
        assert!(s.error_stats().is_empty());
    }
}
