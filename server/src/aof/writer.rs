//! The AOF writer: a thread that follows the propagation stream into the current incremental
//! file and fsyncs it as `appendfsync` says. With `always` it is woken by every append and
//! fsyncs whatever accumulated since its last fsync in one go (group commit), then releases
//! the replies waiting for it; with `everysec` it writes every few milliseconds and fsyncs
//! once a second; with `no` it leaves flushing to the kernel.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use lode_core::config::AppendFsync;
use lode_core::persist::status::Running;
use lode_core::propagate::LogReader;
use lode_core::util::os_error::strerror;
use lode_core::Server;

use super::files::AofFiles;
use crate::log::{self, LogLevel};

/// How long the writer sleeps when nothing wakes it, so `everysec` fsyncs on time.
const IDLE_ROUND: Duration = Duration::from_millis(100);

/// Bytes the propagation stream retains for a writer that falls behind (a slow disk).
pub const RETENTION: usize = 1 << 30;

/// Requests to the writer thread.
#[derive(Default)]
pub struct Inbox {
    /// The stream has new data (set by the append wake-up).
    pub data: bool,
    /// Flush, fsync and exit.
    pub stop: bool,
    /// The sequence number of the incremental file that starts at this stream offset (a
    /// rewrite's), once it exists.
    pub rotate: Option<(u64, Sender<Result<u64, String>>)>,
    /// Write out and fsync everything, then reply (DEBUG LOADAOF).
    pub flush: Vec<Sender<Result<(), String>>>,
}

/// What the writer thread and its handle share.
pub struct Shared {
    /// Requests, and the condition the writer waits on.
    pub inbox: Mutex<Inbox>,
    /// Signalled when the inbox changes.
    pub cv: Condvar,
    /// Whether the writer is waiting for data (an append then wakes it).
    pub idle: AtomicBool,
    /// The AOF directory.
    pub files: Mutex<AofFiles>,
    /// A rewrite replaced files: the sizes must be measured again.
    pub resized: AtomicBool,
}

impl Shared {
    /// Wakes the writer (from the stream's append path, so nothing when it is busy anyway:
    /// it reads again before it waits).
    pub fn data_arrived(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
        if !self.idle.swap(false, Ordering::SeqCst) {
            return;
        }
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.data = true;
        }
        self.cv.notify_one();
    }
}

/// The writer thread's own state.
pub struct Writer {
    /// The server whose stream is followed.
    pub server: Arc<Server>,
    /// Shared with the handle.
    pub shared: Arc<Shared>,
    /// Position in the stream.
    pub reader: LogReader,
    /// The incremental file being appended to, and its path.
    pub file: File,
    /// See `file`.
    pub path: PathBuf,
}

struct Round {
    /// Read from the stream, not yet written.
    pending: Vec<u8>,
    /// Stream offset of `pending[0]`.
    pending_from: u64,
    /// Stream offset written and fsynced.
    synced: u64,
    last_fsync: Instant,
    base_size: u64,
    current_size: u64,
    /// The second of the last `#TS:` annotation written (`aof-timestamp-enabled`).
    last_ts: u64,
    /// write(2) and fsync calls made, for the log line at stop (group commit's effect).
    writes: u64,
    /// See `writes`.
    fsyncs: u64,
}

impl Writer {
    /// Runs until asked to stop.
    pub fn run(mut self) {
        let start = self.reader.offset();
        let (base_size, current_size) = self
            .shared
            .files
            .lock()
            .map(|f| f.sizes())
            .unwrap_or((0, 0));
        let mut r = Round {
            pending: Vec::new(),
            pending_from: start,
            synced: start,
            last_fsync: Instant::now(),
            base_size,
            current_size,
            last_ts: 0,
            writes: 0,
            fsyncs: 0,
        };
        let server = self.server.clone();
        let status = &server.persist;
        status.aof_base_size.store(base_size, Ordering::Relaxed);
        let mut rotate: Option<(u64, Sender<Result<u64, String>>)> = None;
        // The last rotation made: its stream offset and outcome (the new file's sequence).
        let mut rotated: Option<(u64, Result<u64, String>)> = None;
        let mut flushes: Vec<Sender<Result<(), String>>>;
        loop {
            let policy = self.server.config.read().appendfsync;
            let always = policy == AppendFsync::Always;
            // Replies wait for the write (every policy, as Redis writes its AOF buffer before
            // replying), and with `always` for the fsync too.
            self.server
                .durability
                .set_holding(true, if always { r.synced } else { r.pending_from });
            let stop = {
                let Ok(mut inbox) = self.shared.inbox.lock() else {
                    return;
                };
                self.shared.idle.store(true, Ordering::SeqCst);
                std::sync::atomic::fence(Ordering::SeqCst);
                // An append between the last read and `idle` going up saw it down and did not
                // wake us: look at the stream once more before sleeping.
                let log = &self.server.keyspace.log;
                if !inbox.data
                    && !inbox.stop
                    && inbox.rotate.is_none()
                    && inbox.flush.is_empty()
                    && rotate.is_none()
                    && log.offset() == self.reader.offset()
                {
                    // Bounded: a wake-up lost to a race costs one round, never a hang.
                    inbox = match self.shared.cv.wait_timeout(inbox, IDLE_ROUND) {
                        Ok((g, _)) => g,
                        Err(_) => return,
                    };
                }
                self.shared.idle.store(false, Ordering::Release);
                inbox.data = false;
                if let Some(r) = inbox.rotate.take() {
                    rotate = Some(r);
                }
                flushes = std::mem::take(&mut inbox.flush);
                inbox.stop
            };
            self.read(&mut r);
            // A rewrite began: the new incremental file starts exactly where its snapshot was
            // taken. Checked after the read, so nothing past that point is written before.
            let due = status.rewrite_at.load(Ordering::Acquire);
            if due != u64::MAX {
                if let Some(outcome) = self.try_rotate(&mut r, due, always) {
                    let _ = status.rewrite_at.compare_exchange(
                        due,
                        u64::MAX,
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    rotated = Some((due, outcome));
                }
            }
            // The rewrite asks for the file that starts at its offset once it needs it.
            if let Some((at, reply)) = rotate.take() {
                match &rotated {
                    Some((done_at, outcome)) if *done_at == at => {
                        let _ = reply.send(outcome.clone());
                    }
                    _ if status.rewrite_at.load(Ordering::Acquire) == at => {
                        rotate = Some((at, reply));
                    }
                    _ => {
                        let _ = reply.send(Err("no rotation pending at that offset".into()));
                    }
                }
            }
            self.write(&mut r, always);
            let due = match policy {
                AppendFsync::Always => true,
                AppendFsync::Everysec => r.last_fsync.elapsed() >= Duration::from_secs(1),
                AppendFsync::No => false,
            };
            let flushing = !flushes.is_empty();
            if (due || stop || flushing) && r.synced < r.pending_from {
                self.fsync(&mut r, always);
            }
            for f in flushes.drain(..) {
                let outcome = if r.pending.is_empty() && r.synced == r.pending_from {
                    Ok(())
                } else {
                    Err("Error writing to the AOF file".to_string())
                };
                let _ = f.send(outcome);
            }
            if self.shared.resized.swap(false, Ordering::Relaxed) {
                if let Ok(f) = self.shared.files.lock() {
                    (r.base_size, r.current_size) = f.sizes();
                }
            }
            status
                .aof_current_size
                .store(r.current_size, Ordering::Relaxed);
            self.check_auto_rewrite(&r);
            if stop && r.pending.is_empty() {
                break;
            }
        }
        log::line(
            LogLevel::Notice,
            &format!("AOF writer: {} writes, {} fsyncs", r.writes, r.fsyncs),
        );
        self.server.keyspace.log.unsubscribe(self.reader);
    }

    fn read(&mut self, r: &mut Round) {
        let log = &self.server.keyspace.log;
        match log.read(&mut self.reader) {
            Ok(chunks) => chunks.iter().for_each(|c| r.pending.extend_from_slice(c)),
            Err(_) => {
                // Fell beyond the stream's retention: what was dropped is only in memory, so a
                // rewrite captures the dataset afresh; the stream continues from its head.
                log::line(
                    LogLevel::Warning,
                    "The AOF writer fell too far behind the write stream: rewriting the AOF",
                );
                let fresh = log.subscribe();
                let old = std::mem::replace(&mut self.reader, fresh);
                log.unsubscribe(old);
                r.pending_from = self.reader.offset() - r.pending.len() as u64;
                self.server
                    .persist
                    .rewrite_scheduled
                    .store(true, Ordering::Relaxed);
            }
        }
    }

    /// Starts a new incremental file at stream offset `at`, once everything before it is in
    /// the current file. None: not reached yet.
    fn try_rotate(&mut self, r: &mut Round, at: u64, always: bool) -> Option<Result<u64, String>> {
        if at < r.pending_from {
            // Already written past the snapshot's instant: a new file from here would miss
            // what lies between. Cannot happen while the offset is set under the exec gate.
            return Some(Err("the AOF was written past the rewrite's offset".into()));
        }
        let end = r.pending_from + r.pending.len() as u64;
        if end < at {
            return None;
        }
        let head = (at - r.pending_from) as usize;
        let tail = r.pending.split_off(head);
        self.write(r, always);
        if !r.pending.is_empty() {
            // The write failed: keep everything and try again next round.
            r.pending.extend_from_slice(&tail);
            return None;
        }
        self.fsync(r, always);
        let opened = self
            .shared
            .files
            .lock()
            .map_err(|_| "poisoned".to_string())
            .and_then(|mut f| {
                let (file, path) = f.new_incr()?;
                let seq = f.manifest.incrs.last().map_or(0, |i| i.seq);
                Ok((file, path, seq))
            });
        r.pending = tail;
        match opened {
            Ok((mut file, path, seq)) => {
                // A replica's file starts in the database its primary's stream is in.
                let status = &self.server.persist;
                let db = status.rewrite_select.swap(u64::MAX, Ordering::AcqRel);
                if db != u64::MAX {
                    let db = db.to_string();
                    let select = format!("*2\r\n$6\r\nSELECT\r\n${}\r\n{db}\r\n", db.len());
                    if let Err(e) = file.write_all(select.as_bytes()) {
                        return Some(Err(lode_core::util::os_error::strerror(&e)));
                    }
                }
                self.file = file;
                self.path = path;
                r.last_ts = 0;
                Some(Ok(seq))
            }
            Err(e) => Some(Err(e)),
        }
    }

    fn write(&mut self, r: &mut Round, always: bool) {
        if r.pending.is_empty() {
            return;
        }
        let nap = self
            .server
            .persist
            .aof_flush_sleep_us
            .load(Ordering::Relaxed);
        if nap > 0 {
            // DEBUG AOF-FLUSH-SLEEP: widens the window between a write and its reply.
            std::thread::sleep(Duration::from_micros(nap));
        }
        let stat_started = Instant::now();
        let before = self.file.metadata().map(|m| m.len()).ok();
        self.latency_event("aof-fstat", stat_started);
        // `aof-timestamp-enabled`: a `#TS:<unix secs>` line whenever the second changed, as
        // Redis annotates its AOF (redis-check-aof can truncate an AOF at one).
        let annotation = if self.server.config.read().aof_timestamp_enabled {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            (secs != r.last_ts).then(|| (secs, format!("#TS:{secs}\r\n").into_bytes()))
        } else {
            None
        };
        let write_started = Instant::now();
        let written = match &annotation {
            Some((_, a)) => {
                let mut buf = a.clone();
                buf.extend_from_slice(&r.pending);
                self.file.write_all(&buf)
            }
            None => self.file.write_all(&r.pending),
        };
        // Redis's names: a write while a save or rewrite runs competes with it for the disk.
        // (Its "pending-fsync" case cannot happen here: this thread fsyncs itself.)
        let saving = self.server.persist.running() != Running::Nothing;
        self.latency_event(
            if saving {
                "aof-write-active-child"
            } else {
                "aof-write-alone"
            },
            write_started,
        );
        self.latency_event("aof-write", write_started);
        match written {
            Ok(()) => {
                r.writes += 1;
                if let Some((secs, a)) = annotation {
                    r.current_size += a.len() as u64;
                    r.last_ts = secs;
                }
                r.current_size += r.pending.len() as u64;
                r.pending_from += r.pending.len() as u64;
                r.pending.clear();
                if !always {
                    self.server.durability.advance(r.pending_from);
                }
                if !self.server.persist.aof_write_ok.load(Ordering::Relaxed) {
                    log::line(
                        LogLevel::Warning,
                        "AOF write error looks solved. Redis can write again.",
                    );
                    self.server.persist.aof_failed(None);
                }
            }
            Err(e) => {
                // Cut a partial write off, keep the data and retry next round, as Redis does.
                if let Some(len) = before {
                    let _ = self.file.set_len(len);
                }
                self.failed(&e, always);
            }
        }
    }

    /// Records `event`, which began at `started` and ends now, in the latency monitor (when
    /// it is on and the event reached its threshold).
    fn latency_event(&self, event: &str, started: Instant) {
        let monitor = &self.server.observe.latency;
        if monitor.threshold_ms() == 0 {
            return;
        }
        let ms = started.elapsed().as_millis() as u64;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        monitor.add_if_needed(event, ms, now);
    }

    fn fsync(&mut self, r: &mut Round, always: bool) {
        let started = Instant::now();
        let synced = self.file.sync_data();
        if always {
            self.latency_event("aof-fsync-always", started);
        }
        match synced {
            Ok(()) => {
                r.fsyncs += 1;
                r.synced = r.pending_from;
                r.last_fsync = Instant::now();
                self.server.durability.advance(r.synced);
            }
            Err(e) => self.failed(&e, always),
        }
    }

    fn failed(&self, e: &std::io::Error, always: bool) {
        let msg = strerror(e);
        log::line(
            LogLevel::Warning,
            &format!("Error writing to the AOF file: {msg}"),
        );
        if always {
            // Replies are waiting on this fsync: with `always`, Redis cannot keep its promise
            // and exits rather than serve writes it may lose.
            log::line(
                LogLevel::Warning,
                "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...",
            );
            std::process::exit(1);
        }
        self.server.persist.aof_failed(Some(msg));
    }

    /// `auto-aof-rewrite-percentage` / `-min-size`: schedules a rewrite once the AOF grew that
    /// much over its base (the cron starts it when no other snapshot runs).
    fn check_auto_rewrite(&self, r: &Round) {
        let (percent, min) = {
            let c = self.server.config.read();
            (
                c.get("auto-aof-rewrite-percentage")
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0),
                c.get("auto-aof-rewrite-min-size")
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(u64::MAX),
            )
        };
        let base = r.base_size.max(1);
        if percent > 0
            && r.current_size > min
            && (r.current_size.saturating_sub(base)) * 100 / base >= percent
        {
            let status = &self.server.persist;
            if status.running() == lode_core::persist::status::Running::Nothing {
                status.rewrite_scheduled.store(true, Ordering::Relaxed);
            }
        }
    }
}
