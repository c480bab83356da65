//! `Snapshot`: the keyspace at one instant, serialised into an RDB file while the server keeps
//! serving, without fork.
//!
//! The snapshot is begun while no command runs (the exec gate held exclusively) and installs
//! itself as the keyspace's shard observer. From then on the saver walks the shards in order,
//! and any command that locks a shard the saver has not reached yet first serialises that shard
//! as it still is and hands the bytes over (Dragonfly's approach): the file is the dataset at
//! the instant the snapshot began, and the extra memory is the serialised form of the shards
//! writers got to first, never a copy of the whole dataset as fork's copy-on-write can be.
//!
//! The file is the RDB header and AUX fields, one chunk per non-empty shard (a SELECTDB and
//! the entries for each database the shard holds keys of), EOF and the CRC-64. Redis's loader
//! accepts a database selected more than once; RESIZEDB is only a sizing hint and is left out.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use super::codec::{put_len, put_string};
use super::value::{self, Limits};
use super::RDB_VERSION;
use crate::keyspace::{Entry, Keyspace, Shard, ShardObserver};
use crate::sync::Mutex;

/// Opcodes (rdb.h) the writer emits.
pub(super) const OP_AUX: u8 = 250;
pub(super) const OP_EXPIRETIME_MS: u8 = 252;
pub(super) const OP_SELECTDB: u8 = 254;
pub const OP_EOF: u8 = 255;

/// What a snapshot is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An RDB file.
    Rdb,
    /// AOF commands that rebuild the dataset (an AOF base with `aof-use-rdb-preamble no`).
    Aof,
}

/// A point-in-time snapshot being serialised (see the module docs).
pub struct Snapshot {
    now_ms: u64,
    compress: bool,
    format: Format,
    /// Per shard: serialised already, by the saver or by a writer that got there first.
    done: Box<[AtomicBool]>,
    /// Chunks writers serialised, waiting for the saver.
    handed: Mutex<VecDeque<Vec<u8>>>,
    /// Bytes in `handed` (the snapshot's memory overhead).
    handed_bytes: AtomicUsize,
    /// The saver's next shard.
    cursor: AtomicUsize,
    /// Keys serialised so far.
    keys: AtomicU64,
    /// Installed as the keyspace's observer (not a snapshot taken all at once).
    installed: bool,
    /// What goes before the databases: the functions, as RDB_OPCODE_FUNCTION2 entries (an
    /// RDB file) or FUNCTION LOAD commands (an AOF base), see [`Snapshot::set_preamble`].
    preamble: Mutex<Vec<u8>>,
}

impl Snapshot {
    /// Begins a snapshot of `ks` at `now_ms` (keys expired by then are left out): call with the
    /// exec gate held exclusively. `compress`: `rdbcompression`. Only one snapshot runs at a
    /// time; the caller ends it with [`Snapshot::finish`].
    pub fn begin(ks: &Keyspace, now_ms: u64, compress: bool) -> Arc<Snapshot> {
        Self::begin_as(ks, now_ms, compress, Format::Rdb)
    }

    /// [`Snapshot::begin`] for a file of `format`.
    pub fn begin_as(ks: &Keyspace, now_ms: u64, compress: bool, format: Format) -> Arc<Snapshot> {
        let mut snap = Self::new(ks, now_ms, compress, true);
        snap.format = format;
        let snap = Arc::new(snap);
        ks.set_observer(Some(snap.clone()));
        snap
    }

    /// A snapshot serialised all at once, now, for a caller that holds the exec gate
    /// exclusively for as long as it takes (SYNC, DEBUG RELOAD). It leaves any background
    /// snapshot in progress undisturbed.
    pub fn at_once(ks: &Keyspace, now_ms: u64, compress: bool) -> Snapshot {
        let snap = Self::new(ks, now_ms, compress, false);
        for i in 0..ks.shard_count() {
            let shard = ks.guard(i);
            snap.locked(i, &shard);
        }
        snap
    }

    fn new(ks: &Keyspace, now_ms: u64, compress: bool, installed: bool) -> Snapshot {
        Snapshot {
            now_ms,
            compress,
            format: Format::Rdb,
            done: (0..ks.shard_count())
                .map(|_| AtomicBool::new(false))
                .collect(),
            handed: Mutex::new(VecDeque::new()),
            handed_bytes: AtomicUsize::new(0),
            cursor: AtomicUsize::new(0),
            keys: AtomicU64::new(0),
            installed,
            preamble: Mutex::new(Vec::new()),
        }
    }

    /// What the file is written as.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Sets the bytes written before the databases (after the header and AUX fields of an RDB
    /// file, first in an AOF base): the functions as they were when the snapshot began, in
    /// the snapshot's format. Set it right after beginning the snapshot, under the same
    /// exclusive exec gate.
    pub fn set_preamble(&self, bytes: Vec<u8>) {
        *self.preamble.lock() = bytes;
    }

    /// The instant the snapshot shows, in Unix milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    /// Keys serialised so far.
    pub fn keys(&self) -> u64 {
        self.keys.load(Ordering::Relaxed)
    }

    /// Bytes writers serialised that the saver has not taken yet.
    pub fn handed_bytes(&self) -> usize {
        self.handed_bytes.load(Ordering::Relaxed)
    }

    /// The next piece of the file body: a shard a writer handed over, else the next shard in
    /// order (locked and serialised now). None once every shard has been taken.
    pub fn next_chunk(&self, ks: &Keyspace) -> Option<Vec<u8>> {
        loop {
            if let Some(c) = self.handed.lock().pop_front() {
                self.handed_bytes.fetch_sub(c.len(), Ordering::Relaxed);
                return Some(c);
            }
            let i = self.cursor.fetch_add(1, Ordering::Relaxed);
            if i >= self.done.len() {
                // A writer may have handed the last shards over while we walked.
                let c = self.handed.lock().pop_front()?;
                self.handed_bytes.fetch_sub(c.len(), Ordering::Relaxed);
                return Some(c);
            }
            if self.installed {
                // Locking shows the shard to this snapshot, which serialises it if nobody has.
                // Locked even when done: a writer serialising it right now holds the lock, and
                // hands the chunk over before releasing it, so once we have the lock, the
                // shard's chunk is in `handed` or already taken.
                drop(ks.guard(i));
            }
        }
    }

    /// Stops observing `ks`: the snapshot is complete (or abandoned).
    pub fn finish(&self, ks: &Keyspace) {
        if self.installed {
            ks.set_observer(None);
        }
    }

    /// Streams the whole file through `emit`: header with `aux`, every chunk, EOF and the
    /// checksum (zero when `checksum` is off, as Redis writes with `rdbchecksum no`). Returns
    /// the file's length. Ends the snapshot.
    pub fn write<E>(
        &self,
        ks: &Keyspace,
        aux: &[(&str, String)],
        checksum: bool,
        mut emit: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut crc = super::crc64::Digest::new();
        let mut len = 0u64;
        let mut put = |bytes: &[u8]| {
            crc.update(bytes);
            len += bytes.len() as u64;
            emit(bytes)
        };
        let rdb = self.format == Format::Rdb;
        let result = (|| {
            if rdb {
                put(&header(aux))?;
            }
            let preamble = std::mem::take(&mut *self.preamble.lock());
            if !preamble.is_empty() {
                put(&preamble)?;
            }
            while let Some(chunk) = self.next_chunk(ks) {
                put(&chunk)?;
            }
            if rdb {
                put(&[OP_EOF])?;
            }
            Ok(())
        })();
        self.finish(ks);
        result?;
        if !rdb {
            return Ok(len);
        }
        let sum = if checksum { crc.finish() } else { 0 };
        emit(&sum.to_le_bytes())?;
        Ok(len + 8)
    }

    /// The whole file in memory (SYNC observers, DEBUG RELOAD, tests).
    pub fn to_bytes(&self, ks: &Keyspace, aux: &[(&str, String)]) -> Vec<u8> {
        self.to_bytes_with(ks, aux, true)
    }

    /// [`Snapshot::to_bytes`] with or without the checksum (`rdbchecksum`).
    pub fn to_bytes_with(&self, ks: &Keyspace, aux: &[(&str, String)], checksum: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let r: Result<u64, std::convert::Infallible> = self.write(ks, aux, checksum, |b| {
            out.extend_from_slice(b);
            Ok(())
        });
        let _ = r;
        out
    }

    fn serialise(&self, shard: &Shard) -> Vec<u8> {
        if self.format == Format::Aof {
            return self.serialise_commands(shard);
        }
        let limits = Limits {
            compress: self.compress,
            ..Limits::defaults()
        };
        let mut out = Vec::new();
        let mut value_buf = Vec::new();
        self.walk(
            shard,
            |out: &mut Vec<u8>, db| {
                out.push(OP_SELECTDB);
                put_len(out, db as u64);
            },
            |out, key, entry| {
                if entry.expire_at != 0 {
                    out.push(OP_EXPIRETIME_MS);
                    out.extend_from_slice(&entry.expire_at.to_le_bytes());
                }
                // The type byte precedes the key: encode, then splice the key in.
                value_buf.clear();
                value::encode(&mut value_buf, &entry.value, &limits);
                out.push(value_buf[0]);
                put_string(out, key, limits.compress);
                out.extend_from_slice(&value_buf[1..]);
            },
            &mut out,
        );
        out
    }

    fn serialise_commands(&self, shard: &Shard) -> Vec<u8> {
        let mut out = bytes::BytesMut::new();
        self.walk(shard, super::rewrite::select, super::rewrite::key, &mut out);
        out.to_vec()
    }

    /// Every key of `shard` not expired at the snapshot's instant, database by database:
    /// `select` once before a database's first key, `key` per key.
    fn walk<O>(
        &self,
        shard: &Shard,
        mut select: impl FnMut(&mut O, usize),
        mut key: impl FnMut(&mut O, &[u8], &Entry),
        out: &mut O,
    ) {
        let mut keys = 0;
        for (db, table) in shard.dbs.iter().enumerate() {
            let mut selected = false;
            for (k, entry) in table.iter() {
                // An RDB file keeps what expired, as Redis's: a primary loading it drops
                // those keys and tells its replicas. An AOF base leaves them out.
                if self.format == Format::Aof && entry.is_expired(self.now_ms) {
                    continue;
                }
                if !selected {
                    select(out, db);
                    selected = true;
                }
                key(out, k, entry);
                keys += 1;
            }
        }
        self.keys.fetch_add(keys, Ordering::Relaxed);
    }
}

impl ShardObserver for Snapshot {
    fn locked(&self, index: usize, shard: &Shard) {
        let Some(done) = self.done.get(index) else {
            return;
        };
        if done.swap(true, Ordering::AcqRel) {
            return;
        }
        let chunk = self.serialise(shard);
        if !chunk.is_empty() {
            self.handed_bytes.fetch_add(chunk.len(), Ordering::Relaxed);
            self.handed.lock().push_back(chunk);
        }
    }
}

/// "REDIS0010" and the AUX fields, in order.
pub fn header(aux: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!("REDIS{RDB_VERSION:04}").into_bytes();
    for (k, v) in aux {
        out.push(OP_AUX);
        put_string(&mut out, k.as_bytes(), false);
        put_string(&mut out, v.as_bytes(), false);
    }
    out
}
