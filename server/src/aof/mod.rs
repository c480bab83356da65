//! The append-only file, Redis 7's multi-part form: the directory and manifest (`files`),
//! start-up loading (`load`), the writer thread that follows the propagation stream into the
//! incremental file (`writer`), and here the handle that starts and stops it and carries out
//! rewrites (BGREWRITEAOF, turning `appendonly` on).

pub mod files;
pub mod load;
pub mod writer;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use lode_core::persistence::aof::{begin_rewrite, RewriteJob};
use lode_core::util::os_error::strerror;
use lode_core::Server;
use lode_transport_tokio::now;

use files::AofFiles;
use writer::{Inbox, Shared, Writer, RETENTION};

/// A running AOF: its writer thread.
pub struct Aof {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Aof {
    /// Starts appending to `files`. An AOF loaded at start-up continues in its last incremental
    /// file; otherwise (`afresh`: `appendonly` turned on at run time, or no AOF existed) it is
    /// written anew: a base from the dataset as it is now and a new incremental file from that
    /// instant.
    pub fn start(
        server: &Arc<Server>,
        mut files: AofFiles,
        afresh: bool,
    ) -> Result<Arc<Aof>, String> {
        let log = &server.keyspace.log;
        log.set_retention(RETENTION);
        let fresh = afresh || (files.manifest.base.is_none() && files.manifest.incrs.is_empty());
        let existing = if fresh { None } else { files.last_incr()? };
        let (file, path) = match existing {
            Some(f) => f,
            None => files.new_incr()?,
        };
        let seq = files.manifest.incrs.last().map_or(0, |i| i.seq);
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            cv: Condvar::new(),
            idle: AtomicBool::new(false),
            files: Mutex::new(files),
            resized: AtomicBool::new(false),
        });
        // Under the exec gate, so the stream the writer follows and the snapshot of a fresh
        // AOF's base meet at one instant.
        let (reader, job) = {
            let _gate = server.exec_gate.write();
            let job = if fresh {
                Some(begin_rewrite(server, now()).map_err(|e| e.to_string())?)
            } else {
                None
            };
            let wake = shared.clone();
            let reader = log.subscribe_waking(Some(Box::new(move || wake.data_arrived())));
            // This writer's first file starts at this instant already: no rotation is due.
            server.persist.rewrite_at.store(u64::MAX, Ordering::Release);
            (reader, job)
        };
        let writer = Writer {
            server: server.clone(),
            shared: shared.clone(),
            reader,
            file,
            path,
        };
        let thread = std::thread::Builder::new()
            .name("lode-aof".into())
            .spawn(move || {
                // Replies wait for this thread: if it died, they would wait forever, and the
                // AOF's promise could not be kept. Like Redis on an AOF it cannot write, exit.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| writer.run())).is_err()
                {
                    crate::log::line(
                        crate::log::LogLevel::Warning,
                        "The AOF writer failed: exiting to keep the AOF's promise.",
                    );
                    std::process::exit(1);
                }
            })
            .map_err(|e| strerror(&e))?;
        let aof = Arc::new(Aof {
            shared,
            thread: Mutex::new(Some(thread)),
        });
        server.persist.aof_on.store(true, Ordering::Relaxed);
        if let Some(job) = job {
            // The incremental file just opened starts at the snapshot's instant: the base
            // written from it and that file make the whole AOF.
            run_rewrite_with(server, &aof.shared.files, Some(seq), job)?;
        }
        Ok(aof)
    }

    /// Asks the writer to begin a new incremental file at stream offset `at`; returns its
    /// sequence number once it exists.
    fn rotate(&self, at: u64) -> Result<u64, String> {
        let (tx, rx) = mpsc::channel();
        {
            let mut inbox = self.shared.inbox.lock().map_err(|_| "AOF writer gone")?;
            inbox.rotate = Some((at, tx));
        }
        self.shared.cv.notify_one();
        rx.recv().map_err(|_| "AOF writer gone".to_string())?
    }

    /// Writes out and fsyncs everything appended so far (call with the exec gate held, so
    /// nothing more arrives meanwhile).
    pub fn flush(&self) -> Result<(), String> {
        let (tx, rx) = mpsc::channel();
        self.shared
            .inbox
            .lock()
            .map_err(|_| "AOF writer gone")?
            .flush
            .push(tx);
        self.shared.cv.notify_one();
        rx.recv().map_err(|_| "AOF writer gone".to_string())?
    }

    /// Writes out and fsyncs what the stream holds, then stops the writer.
    pub fn stop(&self, server: &Server) {
        if let Ok(mut inbox) = self.shared.inbox.lock() {
            inbox.stop = true;
        }
        self.shared.cv.notify_one();
        if let Some(t) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = t.join();
        }
        server.persist.aof_on.store(false, Ordering::Relaxed);
        server.durability.set_holding(false, 0);
    }
}

/// Carries out a rewrite (BGREWRITEAOF, the cron's automatic one, or a fresh AOF's first):
/// the running writer, if any, starts a new incremental file at the snapshot's instant; the
/// base is written from the snapshot to a temp file in the AOF directory and fsynced; then it
/// replaces the old base and the incremental files before the new one in the manifest.
pub fn rewrite(server: &Server, aof: Option<&Aof>, job: RewriteJob) -> Result<(), String> {
    match aof {
        Some(a) => {
            let keep_from = a.rotate(job.offset)?;
            let result = write_base(
                server,
                &mut *a.shared.files.lock().map_err(|_| "poisoned")?,
                keep_from,
                job,
            );
            a.shared.resized.store(true, Ordering::Relaxed);
            result
        }
        // No AOF running (appendonly no): the base alone makes the AOF.
        None => {
            let (dir, prefix) = {
                let c = server.config.read();
                (c.appenddirname.clone(), c.appendfilename.clone())
            };
            let mut files = AofFiles::open(&dir, &prefix)?.0;
            write_base(server, &mut files, u64::MAX, job)
        }
    }
}

/// Writes the rewrite's base and installs it, keeping the incremental files from `keep_from`.
fn write_base(
    server: &Server,
    files: &mut AofFiles,
    keep_from: u64,
    job: RewriteJob,
) -> Result<(), String> {
    std::fs::create_dir_all(&files.dir).map_err(|e| strerror(&e))?;
    let temp = files
        .dir
        .join(format!("temp-rewriteaof-bg-{}.aof", std::process::id()));
    let written = (|| -> std::io::Result<()> {
        let f = std::fs::File::create(&temp)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        if !job.rdb && server.config.read().aof_timestamp_enabled {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            out.write_all(format!("#TS:{secs}\r\n").as_bytes())?;
        }
        job.snapshot
            .write(&server.keyspace, &job.aux, job.checksum, |b| {
                out.write_all(b)
            })?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(strerror(&e));
    }
    files.install_base(&temp, keep_from, job.rdb)?;
    let (base, total) = files.sizes();
    server.persist.aof_base_size.store(base, Ordering::Relaxed);
    server
        .persist
        .aof_current_size
        .store(total, Ordering::Relaxed);
    Ok(())
}

/// Runs a fresh AOF's first rewrite (its incremental file `keep_from` already starts at the
/// snapshot's instant) and records the outcome in core's status.
fn run_rewrite_with(
    server: &Server,
    files: &Mutex<AofFiles>,
    keep_from: Option<u64>,
    job: RewriteJob,
) -> Result<(), String> {
    let snapshot = job.snapshot.clone();
    let outcome = files
        .lock()
        .map_err(|_| "poisoned".to_string())
        .and_then(|mut f| write_base(server, &mut f, keep_from.unwrap_or(u64::MAX), job));
    snapshot.finish(&server.keyspace);
    let now_ms = server.last_now.load(Ordering::Relaxed) / 1000;
    server.persist.rewrite_done(outcome.is_ok(), now_ms);
    outcome
}
