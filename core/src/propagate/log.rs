//! `PropagationLog`: the offset-numbered stream of propagated commands.
//!
//! With no reader registered an append only advances the offset and the change counter
//! (atomics, no lock, nothing encoded), so a server nobody replicates or persists pays almost
//! nothing. Once a reader registers, appends encode their commands and retain them, under a
//! short mutex, until every reader has been given them or the retention limit drops them.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

use super::encode::{encode_command, select};
use super::Op;
use crate::sync::{AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};

/// No database selected yet: the next entry starts with SELECT.
const NO_DB: usize = usize::MAX;

/// Bytes retained for readers before the oldest are dropped (a reader that far behind must
/// start over, as a replica beyond the backlog needs a full resync).
const DEFAULT_RETENTION: usize = 64 * 1024 * 1024;

/// A reader fell so far behind that entries it had not read were dropped.
#[derive(Debug, PartialEq, Eq)]
pub struct Lagged;

/// A registered reader's position in the stream.
#[derive(Debug)]
pub struct LogReader {
    next: u64,
    id: u64,
    /// A replica: it is also given the replication-only chunks (PING, REPLCONF GETACK).
    replication: bool,
}

impl LogReader {
    /// The offset of the next byte this reader will be given.
    pub fn offset(&self) -> u64 {
        self.next
    }
}

/// Called when a reader has something new to read (it wakes the reader's session).
pub type ReaderWake = Box<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct Retained {
    /// (offset of the chunk's first byte, encoded commands), oldest first.
    /// (offset, bytes, replication only: the primary's PING and REPLCONF, which only readers
    /// that are replicas are given).
    chunks: VecDeque<(u64, Bytes, bool)>,
    bytes: usize,
    readers: usize,
    /// Each reader's next offset, by reader id: chunks every reader has read are dropped.
    positions: Vec<(u64, u64)>,
    /// Readers to wake after an append, by reader id.
    wakes: Vec<(u64, ReaderWake)>,
    next_id: u64,
}

/// The stream of propagated commands (see the module docs of `propagate`).
pub struct PropagationLog {
    retaining: AtomicBool,
    offset: AtomicU64,
    last_db: AtomicUsize,
    changes: AtomicU64,
    retention: AtomicUsize,
    /// The replication backlog's size (`repl-backlog-size`); 0 until a replica first attaches.
    /// While it is set, the newest `backlog` bytes are kept even once every reader has them,
    /// so a replica whose link broke can continue (PSYNC) from where it was.
    backlog: AtomicUsize,
    retained: Mutex<Retained>,
    /// While EXEC runs (holding the exec gate exclusively, so nothing else appends): its
    /// commands' ops, lazy expiry's included, gathered to be appended as one unit.
    capturing: AtomicBool,
    /// Appends are dropped: the dataset is being loaded from what the stream already wrote.
    muted: AtomicBool,
    captured: Mutex<Vec<Op>>,
}

impl Default for PropagationLog {
    fn default() -> Self {
        PropagationLog {
            retaining: AtomicBool::new(false),
            offset: AtomicU64::new(0),
            last_db: AtomicUsize::new(NO_DB),
            changes: AtomicU64::new(0),
            retention: AtomicUsize::new(DEFAULT_RETENTION),
            backlog: AtomicUsize::new(0),
            retained: Mutex::new(Retained::default()),
            capturing: AtomicBool::new(false),
            muted: AtomicBool::new(false),
            captured: Mutex::new(Vec::new()),
        }
    }
}

impl PropagationLog {
    /// Appends one command. Call with the shard locks of its keys held. Allocates nothing
    /// while no reader is registered: this is every write command's path.
    pub fn append_one(&self, db: usize, args: &[Bytes]) {
        self.append_patched(db, args, &[]);
    }

    /// Appends `args` with the arguments at the given indexes replaced (XADD's generated ID).
    /// The command is built only when it is kept (a reader or a capture wants it); otherwise
    /// only its length counts, and nothing is allocated.
    pub fn append_patched(&self, db: usize, args: &[Bytes], patches: &[(usize, Bytes)]) {
        if self.muted.load(Ordering::Relaxed) {
            return;
        }
        if self.capturing.load(Ordering::Acquire) || self.retaining.load(Ordering::Acquire) {
            let mut cmd = args.to_vec();
            for (i, value) in patches {
                if let Some(a) = cmd.get_mut(*i) {
                    *a = value.clone();
                }
            }
            return self.append(&[(db, cmd)], false);
        }
        // Nobody reads the stream and there is no backlog: like Redis's replicationFeedSlaves
        // without a backlog, the offset stays where it is (a fresh server reports
        // master_repl_offset 0 until its first replica).
        self.changes.fetch_add(1, Ordering::Relaxed);
        self.last_db.store(db, Ordering::Relaxed);
    }

    /// Appends `ops` as one unit; a `transaction` of more than one command is wrapped in
    /// MULTI … EXEC, as Redis 7.0 propagates EXEC. Call with the shard locks of every key the
    /// ops change held (or the exec gate exclusively).
    pub fn append(&self, ops: &[Op], transaction: bool) {
        if ops.is_empty() || self.muted.load(Ordering::Relaxed) {
            return;
        }
        if self.capturing.load(Ordering::Acquire) {
            self.captured.lock().extend(ops.iter().cloned());
            return;
        }
        self.changes.fetch_add(ops.len() as u64, Ordering::Relaxed);
        let wrap = transaction && ops.len() > 1;
        if !self.retaining.load(Ordering::Acquire) {
            // Unread and without a backlog: no offset to advance (see append_patched).
            if let Some((db, _)) = ops.last() {
                self.last_db.store(*db, Ordering::Relaxed);
            }
            return;
        }
        let mut retained = self.retained.lock();
        let mut buf = BytesMut::new();
        let put = |buf: &mut BytesMut, db: usize, args: &[Bytes]| {
            if self.last_db.swap(db, Ordering::Relaxed) != db {
                encode_command(buf, &select(db));
            }
            encode_command(buf, args);
        };
        if wrap {
            put(&mut buf, ops[0].0, &[Bytes::from_static(b"MULTI")]);
        }
        for (db, args) in ops {
            put(&mut buf, *db, args);
        }
        if wrap {
            encode_command(&mut buf, &[&b"EXEC"[..]]);
        }
        let start = self.offset.fetch_add(buf.len() as u64, Ordering::Relaxed);
        retained.bytes += buf.len();
        retained.chunks.push_back((start, buf.freeze(), false));
        let limit = self
            .retention
            .load(Ordering::Relaxed)
            .max(self.backlog.load(Ordering::Relaxed));
        while retained.bytes > limit && retained.chunks.len() > 1 {
            if let Some((_, c, _)) = retained.chunks.pop_front() {
                retained.bytes -= c.len();
            }
        }
        self.trim(&mut retained);
        for (_, wake) in &retained.wakes {
            wake();
        }
    }

    /// Starts gathering appends instead of writing them (EXEC, under the exclusive exec gate).
    ///
    /// Returns false, changing nothing, when a capture is already on (a script run by EXEC:
    /// the transaction's capture takes in the script's changes); only a capture that began
    /// is ended.
    pub fn begin_capture(&self) -> bool {
        if self.capturing.load(Ordering::Acquire) {
            return false;
        }
        self.captured.lock().clear();
        self.capturing.store(true, Ordering::Release);
        true
    }

    /// Stops gathering and appends what was gathered as one transaction.
    pub fn end_capture(&self) {
        self.capturing.store(false, Ordering::Release);
        let ops = std::mem::take(&mut *self.captured.lock());
        self.append(&ops, true);
    }

    /// The stream's length in bytes so far (INFO `master_repl_offset`).
    pub fn offset(&self) -> u64 {
        self.offset.load(Ordering::Relaxed)
    }

    /// Commands appended so far (the dirty counter behind `rdb_changes_since_last_save`).
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Relaxed)
    }

    /// Drops appends (true) or records them again: replaying an AOF re-executes what the stream
    /// already wrote, which must not be written again nor counted as changes.
    pub fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    /// Whether appends are dropped (an AOF is being replayed).
    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// The database the stream last selected (None: the next append starts with SELECT).
    pub fn selected_db(&self) -> Option<usize> {
        let db = self.last_db.load(Ordering::Relaxed);
        (db != NO_DB).then_some(db)
    }

    /// Makes the next append start with SELECT (a new AOF file begins there).
    pub fn force_select(&self) {
        self.last_db.store(NO_DB, Ordering::Relaxed);
    }

    /// Sets how many bytes are retained for readers.
    pub fn set_retention(&self, bytes: usize) {
        self.retention.store(bytes.max(1), Ordering::Relaxed);
    }

    /// Registers a reader that is given everything appended from now on (starting with a
    /// SELECT). For a gap-free start, call it while no command executes (`Server`'s
    /// `subscribe_propagation` holds the exec gate exclusively).
    pub fn subscribe(&self) -> LogReader {
        self.subscribe_waking(None)
    }

    /// Like [`PropagationLog::subscribe`], calling `wake` after every append from now on (a
    /// session streaming the log to a replica or SYNC observer).
    pub fn subscribe_waking(&self, wake: Option<ReaderWake>) -> LogReader {
        let mut retained = self.retained.lock();
        retained.readers += 1;
        retained.next_id += 1;
        let id = retained.next_id;
        let at = self.offset.load(Ordering::Relaxed);
        retained.positions.push((id, at));
        if let Some(wake) = wake {
            retained.wakes.push((id, wake));
        }
        self.retaining.store(true, Ordering::Release);
        self.last_db.store(NO_DB, Ordering::Relaxed);
        LogReader {
            next: self.offset.load(Ordering::Relaxed),
            id,
            replication: false,
        }
    }

    /// [`PropagationLog::subscribe_waking`] for a replica, which is also given the
    /// replication-only chunks.
    pub fn subscribe_replica(&self, wake: Option<ReaderWake>) -> LogReader {
        let mut reader = self.subscribe_waking(wake);
        reader.replication = true;
        reader
    }

    /// Unregisters a reader; with none left, nothing more is retained.
    pub fn unsubscribe(&self, reader: LogReader) {
        let mut retained = self.retained.lock();
        retained.wakes.retain(|(id, _)| *id != reader.id);
        retained.positions.retain(|(id, _)| *id != reader.id);
        retained.readers = retained.readers.saturating_sub(1);
        if retained.readers == 0 && self.backlog.load(Ordering::Relaxed) == 0 {
            self.retaining.store(false, Ordering::Release);
            retained.chunks.clear();
            retained.bytes = 0;
        } else {
            self.trim(&mut retained);
        }
    }

    /// Everything appended since `reader` last read, in order.
    pub fn read(&self, reader: &mut LogReader) -> Result<Vec<Bytes>, Lagged> {
        let mut retained = self.retained.lock();
        let mut out = Vec::new();
        let Some(&(first, _, _)) = retained.chunks.front() else {
            return Ok(out);
        };
        if reader.next < first {
            return Err(Lagged);
        }
        // Chunks are in offset order: skip those already read without walking them.
        let from = retained
            .chunks
            .partition_point(|(start, c, _)| start + c.len() as u64 <= reader.next);
        for (start, chunk, replication_only) in retained.chunks.range(from..) {
            let end = start + chunk.len() as u64;
            if reader.replication || !replication_only {
                out.push(chunk.slice((reader.next.saturating_sub(*start)) as usize..));
            }
            reader.next = end;
        }
        // Drop what every reader has now read: retention only holds back for the slowest.
        let id = reader.id;
        if let Some(p) = retained.positions.iter_mut().find(|(r, _)| *r == id) {
            p.1 = reader.next;
        }
        self.trim(&mut retained);
        Ok(out)
    }

    /// Drops the oldest chunks every reader has read, as long as what stays still covers
    /// the backlog.
    fn trim(&self, retained: &mut Retained) {
        let slowest = retained
            .positions
            .iter()
            .map(|(_, at)| *at)
            .min()
            .unwrap_or(u64::MAX);
        let backlog = self.backlog.load(Ordering::Relaxed);
        while let Some((start, c, _)) = retained.chunks.front() {
            let n = c.len();
            if start + n as u64 > slowest || retained.bytes - n < backlog {
                break;
            }
            retained.chunks.pop_front();
            retained.bytes -= n;
        }
    }

    /// Creates the replication backlog of `size` bytes if there is none (Redis does when the
    /// first replica attaches), or resizes it. From then on appends are kept, for readers or
    /// not. Returns whether it was created now.
    pub fn set_backlog(&self, size: usize) -> bool {
        let mut retained = self.retained.lock();
        let created = self.backlog.swap(size.max(1), Ordering::Relaxed) == 0;
        self.retaining.store(true, Ordering::Release);
        self.trim(&mut retained);
        created
    }

    /// Frees the backlog (`repl-backlog-ttl` passed without replicas); with no reader left,
    /// nothing more is retained.
    pub fn free_backlog(&self) {
        let mut retained = self.retained.lock();
        self.backlog.store(0, Ordering::Relaxed);
        if retained.readers == 0 {
            self.retaining.store(false, Ordering::Release);
            retained.chunks.clear();
            retained.bytes = 0;
        }
    }

    /// Bytes the log holds (for readers and the backlog): Redis's replication buffer.
    pub fn retained_bytes(&self) -> u64 {
        self.retained.lock().bytes as u64
    }

    /// The backlog as INFO shows it: (size, offset of its first byte counted from 1 as Redis
    /// counts, bytes held); None without a backlog.
    pub fn backlog(&self) -> Option<(usize, u64, u64)> {
        let retained = self.retained.lock();
        let size = self.backlog.load(Ordering::Relaxed);
        if size == 0 {
            return None;
        }
        let end = self.offset.load(Ordering::Relaxed);
        let held = retained
            .chunks
            .front()
            .map_or(0, |(start, _, _)| end - start);
        let histlen = held.min(size as u64);
        Some((size, end - histlen + 1, histlen))
    }

    /// A reader that is given the stream from offset `at` (counted from 0: the first byte
    /// not yet given to the replica), if the backlog still holds everything from there;
    /// PSYNC's partial resynchronisation. Unlike [`PropagationLog::subscribe`] no SELECT is
    /// forced: the replica continues in the database its stream had selected.
    pub fn subscribe_at(&self, at: u64, wake: Option<ReaderWake>) -> Option<LogReader> {
        let (_, first, histlen) = self.backlog()?;
        let mut retained = self.retained.lock();
        let end = self.offset.load(Ordering::Relaxed);
        // `first` counts from 1: the byte at offset `first - 1` (from 0) is the oldest held.
        if at + 1 < first || at > end || (histlen == 0 && at != end) {
            return None;
        }
        retained.readers += 1;
        retained.next_id += 1;
        let id = retained.next_id;
        retained.positions.push((id, at));
        if let Some(wake) = wake {
            retained.wakes.push((id, wake));
        }
        Some(LogReader {
            next: at,
            id,
            replication: true,
        })
    }

    /// Appends a command only replicas see (the primary's PING and REPLCONF GETACK): it
    /// counts as no change and is dropped when nothing is retained.
    pub fn append_for_replicas(&self, args: &[&[u8]]) {
        if !self.retaining.load(Ordering::Acquire) || self.muted.load(Ordering::Relaxed) {
            return;
        }
        let mut buf = BytesMut::new();
        encode_command(&mut buf, args);
        self.push_chunk(buf.freeze(), true);
    }

    /// Appends a chunk of the stream as it is, muted or not: on a replica, the primary's
    /// stream verbatim, so its offsets and bytes are the primary's (sub-replicas and PSYNC
    /// after a promotion rely on that). `replication_only` chunks (PING, REPLCONF) are not
    /// given to the AOF and count as no change.
    pub fn append_raw(&self, bytes: Bytes, replication_only: bool) {
        if !replication_only {
            self.changes.fetch_add(1, Ordering::Relaxed);
        }
        if !self.retaining.load(Ordering::Acquire) {
            self.offset.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            return;
        }
        self.push_chunk(bytes, replication_only);
    }

    fn push_chunk(&self, bytes: Bytes, replication_only: bool) {
        let mut retained = self.retained.lock();
        let start = self.offset.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        retained.bytes += bytes.len();
        retained.chunks.push_back((start, bytes, replication_only));
        self.trim(&mut retained);
        for (_, wake) in &retained.wakes {
            wake();
        }
    }

    /// Starts the stream over at `offset` with nothing retained: a replica's full sync, after
    /// which its stream continues the primary's from the offset the primary announced.
    /// Readers behind it are told they lagged at their next read.
    pub fn restart_at(&self, offset: u64) {
        let mut retained = self.retained.lock();
        retained.chunks.clear();
        retained.bytes = 0;
        for p in &mut retained.positions {
            p.1 = offset;
        }
        self.offset.store(offset, Ordering::Relaxed);
        self.last_db.store(NO_DB, Ordering::Relaxed);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<Bytes> {
        a.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    fn text(chunks: Vec<Bytes>) -> String {
        chunks
            .iter()
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect()
    }

    #[test]
    fn selects_wraps_and_counts_offsets() {
        let log = PropagationLog::default();
        // Unread, without a backlog: counted as a change, not as stream bytes.
        log.append_one(0, &args(&["SET", "a", "1"]));
        let before = log.offset();
        assert_eq!(before, 0);
        let mut r = log.subscribe();
        assert_eq!(r.offset(), before);
        log.append_one(0, &args(&["SET", "b", "2"]));
        log.append(
            &[(0, args(&["SET", "c", "3"])), (2, args(&["DEL", "d"]))],
            true,
        );
        log.append(&[(2, args(&["DEL", "e"]))], true);
        let got = text(log.read(&mut r).unwrap_or_default());
        assert_eq!(
            got,
            "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n\
             *1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n\
             *2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*2\r\n$3\r\nDEL\r\n$1\r\nd\r\n*1\r\n$4\r\nEXEC\r\n\
             *2\r\n$3\r\nDEL\r\n$1\r\ne\r\n"
        );
        assert_eq!(log.offset(), before + got.len() as u64);
        assert_eq!(r.offset(), log.offset());
        assert_eq!(log.changes(), 5);
        log.unsubscribe(r);
    }

    #[test]
    fn chunks_every_reader_has_read_are_dropped() {
        let log = PropagationLog::default();
        let mut a = log.subscribe();
        let mut b = log.subscribe();
        for i in 0..100 {
            log.append_one(0, &args(&["SET", "k", &i.to_string()]));
        }
        let held = log.retained.lock().bytes;
        assert!(held > 0);
        assert_eq!(text(log.read(&mut a).unwrap()).matches("SET").count(), 100);
        assert_eq!(log.retained.lock().bytes, held, "b has not read them yet");
        log.append_one(0, &args(&["SET", "k", "last"]));
        assert_eq!(text(log.read(&mut b).unwrap()).matches("SET").count(), 101);
        let after_b = log.retained.lock().bytes;
        assert!(
            after_b > 0 && after_b < held,
            "only what a has not read is left"
        );
        assert_eq!(text(log.read(&mut a).unwrap()).matches("SET").count(), 1);
        assert_eq!(log.retained.lock().bytes, 0);
        assert_eq!(log.retained.lock().chunks.len(), 0);
        log.unsubscribe(a);
        log.unsubscribe(b);
    }

    #[test]
    fn a_reader_beyond_retention_is_told_it_lagged() {
        let log = PropagationLog::default();
        log.set_retention(40);
        let mut r = log.subscribe();
        for i in 0..10 {
            log.append_one(0, &args(&["SET", "k", &i.to_string()]));
        }
        assert_eq!(log.read(&mut r), Err(Lagged));
    }
}
