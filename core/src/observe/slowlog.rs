//! The slow log (Redis's slowlog.c): the latest `slowlog-max-len` calls that took at least
//! `slowlog-log-slower-than` microseconds, newest first, each with an id that keeps counting
//! across SLOWLOG RESET, the Unix time it was logged, its duration and a trimmed copy of its
//! arguments (so a huge MSET costs the log little), the client's address and name.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use bytes::Bytes;

use crate::sync::Mutex;

/// Arguments kept per entry; a longer command keeps 31 and says how many more there were.
pub const MAX_ARGC: usize = 32;
/// Bytes kept per argument; a longer one is cut and says how many more bytes it had.
pub const MAX_STRING: usize = 128;
/// What an argument a command marked as sensitive (a password) is logged as.
pub const REDACTED: &[u8] = b"(redacted)";

/// One logged call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowEntry {
    /// Unique, increasing id.
    pub id: u64,
    /// When it was logged, Unix seconds.
    pub time: u64,
    /// How long the call took, microseconds.
    pub duration_us: u64,
    /// The arguments, trimmed (see [`entry_argv`]).
    pub argv: Vec<Bytes>,
    /// The client's address, "ip:port".
    pub peer: String,
    /// The client's name ("" if unnamed).
    pub name: Bytes,
}

/// The slow log and its two settings (mirrored from the configuration so the call boundary
/// reads them without taking the configuration lock).
pub struct SlowLog {
    slower_than: AtomicI64,
    max_len: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Newest first.
    entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl Default for SlowLog {
    fn default() -> Self {
        SlowLog {
            // Redis's defaults; `configure` installs the real values.
            slower_than: AtomicI64::new(10_000),
            max_len: AtomicU64::new(128),
            inner: Mutex::new(Inner::default()),
        }
    }
}

impl SlowLog {
    /// Installs `slowlog-log-slower-than` (µs; negative disables) and `slowlog-max-len`. An
    /// enabled log is trimmed to the new length at once: Redis trims after every call it
    /// considers for the log, CONFIG SET's own included.
    pub fn configure(&self, slower_than: i64, max_len: u64) {
        self.slower_than.store(slower_than, Ordering::Relaxed);
        self.max_len.store(max_len, Ordering::Relaxed);
        if slower_than >= 0 {
            let mut inner = self.inner.lock();
            inner
                .entries
                .truncate(max_len.min(usize::MAX as u64) as usize);
        }
    }

    /// Whether a call of `duration_us` is to be logged.
    #[inline]
    pub fn wants(&self, duration_us: u64) -> bool {
        let t = self.slower_than.load(Ordering::Relaxed);
        t >= 0 && duration_us >= t as u64
    }

    /// Logs a call (the caller checked [`SlowLog::wants`]): `argv` as [`entry_argv`] made it.
    pub fn push(&self, time: u64, duration_us: u64, argv: Vec<Bytes>, peer: String, name: Bytes) {
        let max_len = self.max_len.load(Ordering::Relaxed);
        let mut inner = self.inner.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        inner.entries.push_front(SlowEntry {
            id,
            time,
            duration_us,
            argv,
            peer,
            name,
        });
        inner
            .entries
            .truncate(max_len.min(usize::MAX as u64) as usize);
    }

    /// Entries logged and still kept.
    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// Whether no entry is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest `count` entries (all of them for None), newest first.
    pub fn newest(&self, count: Option<usize>) -> Vec<SlowEntry> {
        let inner = self.inner.lock();
        let n = count.unwrap_or(usize::MAX);
        inner.entries.iter().take(n).cloned().collect()
    }

    /// Drops every entry (ids keep counting).
    pub fn reset(&self) {
        self.inner.lock().entries.clear();
    }
}

/// The arguments an entry keeps: at most [`MAX_ARGC`], the last of them then replaced by
/// "... (N more arguments)"; each longer than [`MAX_STRING`] bytes cut there and followed by
/// "... (N more bytes)"; those at the indexes in `redacted` shown as "(redacted)".
pub fn entry_argv(args: &[Bytes], redacted: &[usize]) -> Vec<Bytes> {
    let kept = args.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(kept);
    for (i, arg) in args.iter().take(kept).enumerate() {
        if kept != args.len() && i == kept - 1 {
            let more = args.len() - kept + 1;
            out.push(Bytes::from(format!("... ({more} more arguments)")));
        } else if redacted.contains(&i) {
            out.push(Bytes::from_static(REDACTED));
        } else if arg.len() > MAX_STRING {
            let mut cut = arg[..MAX_STRING].to_vec();
            cut.extend_from_slice(
                format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes(),
            );
            out.push(Bytes::from(cut));
        } else {
            // Copied, not shared: an argument may be a slice of a large input buffer.
            out.push(Bytes::copy_from_slice(arg));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    fn push(log: &SlowLog, name: &str) {
        log.push(7, 1, args(&[name]), "1.2.3.4:5".into(), Bytes::new());
    }

    #[test]
    fn newest_first_with_increasing_ids_and_a_length_limit() {
        let log = SlowLog::default();
        log.configure(0, 3);
        for n in ["a", "b", "c", "d"] {
            push(&log, n);
        }
        assert_eq!(log.len(), 3);
        let e = log.newest(None);
        assert_eq!(
            e.iter().map(|e| (e.id, &e.argv[0][..])).collect::<Vec<_>>(),
            vec![(3, &b"d"[..]), (2, b"c"), (1, b"b")]
        );
        assert_eq!(log.newest(Some(1)).len(), 1);
        assert_eq!(log.newest(Some(0)).len(), 0);
        log.reset();
        assert!(log.is_empty());
        push(&log, "e");
        assert_eq!(log.newest(None)[0].id, 4);
    }

    #[test]
    fn thresholds() {
        let log = SlowLog::default();
        log.configure(-1, 10);
        assert!(!log.wants(u64::MAX));
        log.configure(0, 10);
        assert!(log.wants(0));
        log.configure(100, 10);
        assert!(!log.wants(99));
        assert!(log.wants(100));
    }

    #[test]
    fn shrinking_trims_an_enabled_log_only() {
        let log = SlowLog::default();
        log.configure(0, 10);
        for n in ["a", "b", "c"] {
            push(&log, n);
        }
        log.configure(-1, 1);
        assert_eq!(log.len(), 3);
        log.configure(0, 1);
        assert_eq!(log.len(), 1);
        assert_eq!(&log.newest(None)[0].argv[0][..], b"c");
    }

    #[test]
    fn long_commands_and_arguments_are_trimmed() {
        let many: Vec<String> = (0..34).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let argv = entry_argv(&args(&many), &[]);
        assert_eq!(argv.len(), 32);
        assert_eq!(&argv[30][..], b"30");
        assert_eq!(&argv[31][..], b"... (3 more arguments)");
        // Exactly 32 arguments are kept as they are.
        assert_eq!(entry_argv(&args(&many[..32]), &[])[31], "31");
        let long = "A".repeat(129);
        let argv = entry_argv(&args(&["sadd", "set", &long]), &[]);
        assert_eq!(argv[2], format!("{}... (1 more bytes)", "A".repeat(128)));
        assert_eq!(entry_argv(&args(&[&long[..128]]), &[])[0].len(), 128);
    }

    #[test]
    fn redacted_arguments() {
        let argv = entry_argv(&args(&["config", "set", "masterauth", "secret"]), &[3]);
        assert_eq!(argv, args(&["config", "set", "masterauth", "(redacted)"]));
    }
}
