//! `PersistStatus`: where saving and the append-only file stand, for SAVE/BGSAVE's decisions,
//! the save points, `-MISCONF` and INFO persistence. Plain atomics: read on every write
//! command (the disk-error check), written by the save and AOF threads.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicU8, Ordering};

/// No save running.
const IDLE: u8 = 0;
/// An RDB save (SAVE or BGSAVE) is running.
const SAVING_RDB: u8 = 1;
/// An AOF rewrite is running.
const REWRITING_AOF: u8 = 2;

/// What kind of snapshot is running (one at a time: Redis's one child process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Running {
    /// Nothing.
    Nothing,
    /// An RDB save.
    RdbSave,
    /// An AOF rewrite.
    AofRewrite,
}

/// Saving and AOF state (see the module docs).
pub struct PersistStatus {
    running: AtomicU8,
    /// Unix seconds of the last successful save (LASTSAVE, `rdb_last_save_time`).
    pub lastsave: AtomicU64,
    /// Whether the last save succeeded (`rdb_last_bgsave_status`).
    pub last_save_ok: AtomicBool,
    /// Unix ms the running save began at (0: none).
    pub save_started_ms: AtomicU64,
    /// Unix ms of the last save attempt, failed or not (the retry delay after a failure).
    pub last_try_ms: AtomicU64,
    /// Seconds the last save took (-1: none yet).
    pub last_save_secs: AtomicI64,
    /// Successful saves since start (`rdb_saves`).
    pub saves: AtomicU64,
    /// The change counter when the last successful save began.
    pub changes_at_save: AtomicU64,
    /// The change counter when the running save began.
    pub changes_at_begin: AtomicU64,
    /// BGSAVE SCHEDULE waits for the running AOF rewrite.
    pub bgsave_scheduled: AtomicBool,
    /// BGREWRITEAOF waits for the running save.
    pub rewrite_scheduled: AtomicBool,
    /// Keys the startup load read, and keys it dropped as already expired.
    pub loaded_keys: AtomicU64,
    /// See `loaded_keys`.
    pub loaded_expired: AtomicU64,
    /// Keys the running save has serialised, and how many there were when it began.
    pub save_keys_total: AtomicU64,
    /// Whether the append-only file is on (the AOF writer runs).
    pub aof_on: AtomicBool,
    /// Whether the last AOF write or fsync succeeded (`aof_last_write_status`).
    pub aof_write_ok: AtomicBool,
    /// The last AOF write error, as strerror text.
    pub aof_error: crate::sync::Mutex<String>,
    /// Whether the last rewrite succeeded, how long it took (-1: none), how many ran.
    pub aof_rewrite_ok: AtomicBool,
    /// See `aof_rewrite_ok`.
    pub aof_last_rewrite_secs: AtomicI64,
    /// See `aof_rewrite_ok`.
    pub aof_rewrites: AtomicU64,
    /// Bytes in the AOF (base and increments), and in the base at the last rewrite.
    pub aof_current_size: AtomicU64,
    /// See `aof_current_size`.
    pub aof_base_size: AtomicU64,
    /// Propagation stream offset written and fsynced to the AOF.
    pub aof_durable: AtomicU64,
    /// DEBUG AOF-FLUSH-SLEEP: microseconds the AOF writer sleeps before each write.
    pub aof_flush_sleep_us: AtomicU64,
    /// Stream offset where the running AOF rewrite's snapshot was taken, for the AOF writer to
    /// start a new incremental file at exactly that point (u64::MAX: none). Set while no
    /// command runs, so the writer, which checks it after each read of the stream, sees it
    /// before it can write anything past that offset.
    pub rewrite_at: AtomicU64,
    /// The database a replica's stream has selected at `rewrite_at` (u64::MAX: none to
    /// note): its stream is the primary's verbatim, with no SELECT where the new incremental
    /// file starts, so the AOF writer opens that file with one.
    pub rewrite_select: AtomicU64,
    /// DEBUG SET-SKIP-CHECKSUM-VALIDATION: RESTORE does not check payload checksums.
    pub skip_checksum: AtomicBool,
    /// The running RDB save must not replace the file (FLUSHALL saved the empty dataset since
    /// it began, as Redis kills its save child).
    pub abandon_save: AtomicBool,
}

impl Default for PersistStatus {
    fn default() -> Self {
        PersistStatus {
            running: AtomicU8::new(IDLE),
            lastsave: AtomicU64::new(0),
            last_save_ok: AtomicBool::new(true),
            save_started_ms: AtomicU64::new(0),
            last_try_ms: AtomicU64::new(0),
            last_save_secs: AtomicI64::new(-1),
            saves: AtomicU64::new(0),
            changes_at_save: AtomicU64::new(0),
            changes_at_begin: AtomicU64::new(0),
            bgsave_scheduled: AtomicBool::new(false),
            rewrite_scheduled: AtomicBool::new(false),
            loaded_keys: AtomicU64::new(0),
            loaded_expired: AtomicU64::new(0),
            save_keys_total: AtomicU64::new(0),
            aof_on: AtomicBool::new(false),
            aof_write_ok: AtomicBool::new(true),
            aof_error: crate::sync::Mutex::new(String::new()),
            aof_rewrite_ok: AtomicBool::new(true),
            aof_last_rewrite_secs: AtomicI64::new(-1),
            aof_rewrites: AtomicU64::new(0),
            aof_current_size: AtomicU64::new(0),
            aof_base_size: AtomicU64::new(0),
            aof_durable: AtomicU64::new(0),
            aof_flush_sleep_us: AtomicU64::new(0),
            abandon_save: AtomicBool::new(false),
            rewrite_at: AtomicU64::new(u64::MAX),
            rewrite_select: AtomicU64::new(u64::MAX),
            skip_checksum: AtomicBool::new(false),
        }
    }
}

impl PersistStatus {
    /// What is running.
    pub fn running(&self) -> Running {
        match self.running.load(Ordering::Acquire) {
            SAVING_RDB => Running::RdbSave,
            REWRITING_AOF => Running::AofRewrite,
            _ => Running::Nothing,
        }
    }

    /// Claims the snapshot slot for `what`; false if something else holds it.
    pub fn start(&self, what: Running, now_ms: u64, changes: u64) -> bool {
        let code = match what {
            Running::Nothing => return false,
            Running::RdbSave => SAVING_RDB,
            Running::AofRewrite => REWRITING_AOF,
        };
        if self
            .running
            .compare_exchange(IDLE, code, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        self.save_started_ms.store(now_ms, Ordering::Relaxed);
        if what == Running::RdbSave {
            self.last_try_ms.store(now_ms, Ordering::Relaxed);
            self.changes_at_begin.store(changes, Ordering::Relaxed);
        }
        true
    }

    /// An RDB save ended at `now_ms`: records the outcome and frees the slot.
    pub fn save_done(&self, ok: bool, now_ms: u64) {
        let began = self.save_started_ms.swap(0, Ordering::Relaxed);
        self.last_save_ok.store(ok, Ordering::Relaxed);
        self.last_save_secs.store(
            (now_ms.saturating_sub(began) / 1000) as i64,
            Ordering::Relaxed,
        );
        if ok {
            self.lastsave.store(now_ms / 1000, Ordering::Relaxed);
            self.saves.fetch_add(1, Ordering::Relaxed);
            let at = self.changes_at_begin.load(Ordering::Relaxed);
            self.changes_at_save.store(at, Ordering::Relaxed);
        }
        self.running.store(IDLE, Ordering::Release);
    }

    /// An RDB save was abandoned (FLUSHALL saved since it began): the slot is free, nothing
    /// else changes, and it is not a failure.
    pub fn save_abandoned(&self) {
        self.save_started_ms.store(0, Ordering::Relaxed);
        self.last_save_ok.store(true, Ordering::Relaxed);
        self.running.store(IDLE, Ordering::Release);
    }

    /// A save made outside the slot, all at once (DEBUG RELOAD), succeeded.
    pub fn saved_at_once(&self, now_ms: u64, changes: u64) {
        self.lastsave.store(now_ms / 1000, Ordering::Relaxed);
        self.saves.fetch_add(1, Ordering::Relaxed);
        self.changes_at_save.store(changes, Ordering::Relaxed);
        self.last_save_ok.store(true, Ordering::Relaxed);
    }

    /// An AOF rewrite ended at `now_ms`: records the outcome and frees the slot.
    pub fn rewrite_done(&self, ok: bool, now_ms: u64) {
        let began = self.save_started_ms.swap(0, Ordering::Relaxed);
        self.aof_rewrite_ok.store(ok, Ordering::Relaxed);
        self.aof_last_rewrite_secs.store(
            (now_ms.saturating_sub(began) / 1000) as i64,
            Ordering::Relaxed,
        );
        if ok {
            self.aof_rewrites.fetch_add(1, Ordering::Relaxed);
        }
        self.running.store(IDLE, Ordering::Release);
    }

    /// Records an AOF write or fsync failure (None: writing works again).
    pub fn aof_failed(&self, error: Option<String>) {
        self.aof_write_ok.store(error.is_none(), Ordering::Relaxed);
        if let Some(e) = error {
            *self.aof_error.lock() = e;
        }
    }

    /// The `-MISCONF` error write commands get while the disk refuses writes, if it does:
    /// the last save failed with `stop-writes-on-bgsave-error` and save points configured, or
    /// the AOF cannot be written.
    pub fn disk_error(
        &self,
        stop_writes_on_bgsave_error: bool,
        has_save_points: bool,
    ) -> Option<String> {
        if stop_writes_on_bgsave_error
            && has_save_points
            && !self.last_save_ok.load(Ordering::Relaxed)
        {
            return Some(
                "MISCONF Redis is configured to save RDB snapshots, but it's currently unable \
                 to persist to disk. Commands that may modify the data set are disabled, \
                 because this instance is configured to report errors during writes if RDB \
                 snapshotting fails (stop-writes-on-bgsave-error option). Please check the \
                 Redis logs for details about the RDB error."
                    .into(),
            );
        }
        if self.aof_on.load(Ordering::Relaxed) && !self.aof_write_ok.load(Ordering::Relaxed) {
            let e = self.aof_error.lock().clone();
            return Some(format!("MISCONF Errors writing to the AOF file: {e}"));
        }
        None
    }

    /// Whether writes may be refused at all (cheap: checked before every write command).
    pub fn may_refuse_writes(&self) -> bool {
        !self.last_save_ok.load(Ordering::Relaxed) || !self.aof_write_ok.load(Ordering::Relaxed)
    }
}
