//! Persistence as the server runs it: when snapshots begin (SAVE, BGSAVE, save points,
//! shutdown), how a save job is carried out through the host's files, and how a loaded file
//! enters the keyspace. The encodings are `persist`'s; the file I/O is the host's
//! ([`crate::host::Host::create_file`]), run by the effect runner or a save thread, never by a
//! worker serving clients.

pub mod aof;
pub mod commands;
pub mod durable;
#[cfg(all(test, not(loom)))]
mod tests;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::clock::Now;
use crate::effects::{Completion, Effect};
use crate::persist::rdb::{self, Item, LoadError};
use crate::persist::snapshot::{Format, Snapshot};
use crate::persist::status::Running;
use crate::repl::saved::SavedRepl;
use crate::server::Server;

/// A save failed after a failure less than this long ago is not retried by the save points.
const SAVE_RETRY_DELAY_MS: u64 = 5_000;

/// Redis's reply when another snapshot holds the slot.
pub const ANOTHER_CHILD: &str = "ERR Another child process is active (AOF?): can't BGSAVE right \
                                 now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever \
                                 possible.";

/// Why a save did not replace the file (FLUSHALL saved a newer one meanwhile).
const ABANDONED: &str = "abandoned";

/// An RDB save begun and not yet written.
pub struct SaveJob {
    snapshot: Arc<Snapshot>,
    path: String,
    checksum: bool,
    aux: Vec<(&'static str, String)>,
    /// BGSAVE (logged as a background save).
    pub background: bool,
}

/// Begins an RDB save of the dataset as it is now. Call with the exec gate held exclusively
/// (SAVE and BGSAVE are EXCLUSIVE commands; the cron and shutdown take the gate): the snapshot
/// is then one instant. Err: the reply when another save or rewrite is running.
pub fn begin_save(server: &Server, now: Now, background: bool) -> Result<SaveJob, &'static str> {
    let status = &server.persist;
    match status.running() {
        Running::RdbSave => return Err("ERR Background save already in progress"),
        Running::AofRewrite => return Err(ANOTHER_CHILD),
        Running::Nothing => {}
    }
    if !status.start(Running::RdbSave, now.ms(), server.keyspace.log.changes()) {
        return Err("ERR Background save already in progress");
    }
    let c = server.config.read();
    let snapshot = Snapshot::begin(&server.keyspace, now.ms(), c.rdbcompression);
    snapshot.set_preamble(functions_preamble(server, Format::Rdb, c.rdbcompression));
    status
        .save_keys_total
        .store(server.keyspace.key_count() as u64, Ordering::Relaxed);
    Ok(SaveJob {
        snapshot,
        path: c.dbfilename.clone(),
        checksum: c.rdbchecksum,
        aux: aux_fields(server, now),
        background,
    })
}

/// The functions as a snapshot in `format` holds them before the databases: RDB_OPCODE_FUNCTION2
/// entries in an RDB file, FUNCTION LOAD commands in an AOF base (as Redis 7.0 writes both).
pub fn functions_preamble(server: &Server, format: Format, compress: bool) -> Vec<u8> {
    let functions = &server.scripting.functions;
    match format {
        Format::Rdb => functions.rdb_entries(compress),
        Format::Aof => functions.aof_commands(),
    }
}

/// The AUX fields Redis 7.0 writes at the head of an RDB file.
pub fn aux_fields(server: &Server, now: Now) -> Vec<(&'static str, String)> {
    let mut aux = vec![
        ("redis-ver", crate::admin::hello::REDIS_VERSION.to_string()),
        ("redis-bits", usize::BITS.to_string()),
        ("ctime", now.secs().to_string()),
        ("used-mem", server.host.memory().used.to_string()),
    ];
    aux.extend(crate::repl::saved::aux_fields(server));
    aux.push(("aof-base", "0".to_string()));
    aux
}

/// Writes the job's file through the host, then records and logs the outcome. Runs on the
/// effect runner or a save thread.
pub fn run_save(server: &Server, job: SaveJob) -> Result<(), String> {
    let ks = &server.keyspace;
    let written = (|| {
        let mut sink = server.host.create_file(&job.path)?;
        job.snapshot
            .write(ks, &job.aux, job.checksum, |b| sink.write(b))?;
        if server.persist.abandon_save.swap(false, Ordering::Relaxed) {
            // Dropped uncommitted: the temp file goes, the newer file stays.
            return Err(ABANDONED.to_string());
        }
        sink.commit()
    })();
    // The snapshot stops observing even when the host failed before writing anything.
    job.snapshot.finish(ks);
    if matches!(&written, Err(e) if e == ABANDONED) {
        server.persist.save_abandoned();
        server
            .host
            .log("Background saving terminated: FLUSHALL saved the dataset meanwhile");
        return Ok(());
    }
    let now_ms = server.last_now.load(Ordering::Relaxed) / 1000;
    server.persist.save_done(written.is_ok(), now_ms);
    match (&written, job.background) {
        (Ok(()), true) => server.host.log("Background saving terminated with success"),
        (Ok(()), false) => server.host.log("DB saved on disk"),
        (Err(e), _) => {
            let what = if job.background {
                "Background saving error"
            } else {
                "Error saving DB on disk"
            };
            server.host.log(&format!("{what}: {e}"));
        }
    }
    written
}

/// Saves `dbfilename` at once, on the calling thread, which holds the exec gate exclusively
/// (DEBUG RELOAD), and returns the file's bytes so they can be loaded without reading the file
/// back. A background save in progress is left undisturbed.
pub fn save_to_bytes(server: &Server, now: Now) -> Result<Vec<u8>, String> {
    let ks = &server.keyspace;
    let (path, checksum, compress) = {
        let c = server.config.read();
        (c.dbfilename.clone(), c.rdbchecksum, c.rdbcompression)
    };
    let changes = ks.log.changes();
    let snapshot = Snapshot::at_once(ks, now.ms(), compress);
    snapshot.set_preamble(functions_preamble(server, Format::Rdb, compress));
    let bytes = snapshot.to_bytes_with(ks, &aux_fields(server, now), checksum);
    let mut sink = server.host.create_file(&path)?;
    sink.write(&bytes)?;
    sink.commit()?;
    server.persist.saved_at_once(now.ms(), changes);
    Ok(bytes)
}

/// FLUSHALL with save points configured saves the now empty dataset, as Redis does, so a
/// restart cannot bring the flushed keys back; a save in progress is abandoned (it holds the
/// old data). Call from FLUSHALL's handler, which holds every shard: the file is written by the
/// effect runner, and the reply waits for it.
pub fn save_after_flushall(ctx: &mut crate::command::Ctx) {
    let server = ctx.server;
    let (path, checksum, compress) = {
        let c = server.config.read();
        if c.save.is_empty() {
            return ctx.out.ok();
        }
        (c.dbfilename.clone(), c.rdbchecksum, c.rdbcompression)
    };
    if server.persist.running() == Running::RdbSave {
        server.persist.abandon_save.store(true, Ordering::Relaxed);
    }
    // FLUSHALL keeps the functions: the file holds them.
    let mut bytes = crate::persist::snapshot::header(&aux_fields(server, ctx.now));
    bytes.extend_from_slice(&functions_preamble(server, Format::Rdb, compress));
    bytes.push(crate::persist::snapshot::OP_EOF);
    let crc = if checksum {
        crate::persist::crc64::crc64(&bytes)
    } else {
        0
    };
    bytes.extend_from_slice(&crc.to_le_bytes());
    // FLUSHALL itself is recorded once this returns: the count after it is the saved state.
    let changes = server.keyspace.log.changes() + 1;
    let effect = Effect::WriteRdb {
        path,
        bytes,
        changes,
    };
    ctx.request_effect(effect, crate::effects::AfterEffect::ReplyOk);
}

/// Writes a whole RDB file made in memory (FLUSHALL's empty one) and records it as a save.
/// FLUSHALL answers +OK whatever happens, as Redis's does; a failure is logged.
pub fn write_rdb(server: &Server, path: &str, bytes: &[u8], changes: u64) -> Result<(), String> {
    let written = (|| {
        let mut sink = server.host.create_file(path)?;
        sink.write(bytes)?;
        sink.commit()
    })();
    match written {
        Ok(()) => {
            let now_ms = server.last_now.load(Ordering::Relaxed) / 1000;
            server.persist.saved_at_once(now_ms, changes);
            server.host.log("DB saved on disk");
        }
        Err(e) => server.host.log(&format!("Error saving DB on disk: {e}")),
    }
    Ok(())
}

/// Takes the exec gate exclusively and begins a save (the cron's and shutdown's way in; a
/// command's handler already holds the gate).
pub fn begin_save_gated(
    server: &Server,
    now: Now,
    background: bool,
) -> Result<SaveJob, &'static str> {
    let _gate = server.exec_gate.write();
    begin_save(server, now, background)
}

/// Starts a background save: the host's effect runner writes it on a thread of its own.
pub fn start_background_save(server: &Server, job: SaveJob) {
    server.host.log("Background saving started");
    server.effects.submit(
        server,
        Effect::Save(Box::new(job)),
        Arc::new(Completion::new(None)),
    );
}

/// The cron's part (every tick): a scheduled BGSAVE whose slot came free, and the save points
/// (`save <seconds> <changes>`): a background save once enough changes are older than the
/// last save, not retried sooner than 5 s after a failure.
pub fn cron(server: &Server, now: Now) {
    aof::cron(server, now);
    let status = &server.persist;
    if status.running() != Running::Nothing {
        return;
    }
    let due = status.bgsave_scheduled.load(Ordering::Relaxed) || {
        let points = server.config.read().save.clone();
        let dirty = server
            .keyspace
            .log
            .changes()
            .saturating_sub(status.changes_at_save.load(Ordering::Relaxed));
        let since_save = now
            .secs()
            .saturating_sub(status.lastsave.load(Ordering::Relaxed));
        let retry_ok = status.last_save_ok.load(Ordering::Relaxed)
            || now
                .ms()
                .saturating_sub(status.last_try_ms.load(Ordering::Relaxed))
                > SAVE_RETRY_DELAY_MS;
        retry_ok
            && points
                .iter()
                .any(|&(secs, changes)| dirty >= changes && since_save > secs)
    };
    if !due {
        return;
    }
    if let Ok(job) = begin_save_gated(server, now, true) {
        status.bgsave_scheduled.store(false, Ordering::Relaxed);
        start_background_save(server, job);
    }
}

/// The save a shutdown makes: when SHUTDOWN SAVE asks, or save points exist and NOSAVE was not
/// given. A save in progress is waited for first. Err: why it failed (logged).
pub fn shutdown_save(server: &Server, now: Now, save: bool, nosave: bool) -> Result<(), String> {
    let wanted = save || (!nosave && !server.config.read().save.is_empty());
    if !wanted {
        return Ok(());
    }
    server
        .host
        .log("Saving the final RDB snapshot before exiting.");
    loop {
        match begin_save_gated(server, now, false) {
            Ok(job) => return run_save(server, job),
            // Another save or rewrite runs: wait for it, as Redis waits for its child.
            Err(_) => server.host.sleep(std::time::Duration::from_millis(10)),
        }
    }
}

/// Loads an RDB file into the keyspace: keys already expired at `now` are dropped (and
/// counted), as a primary loads. `flush` empties the keyspace (and the functions) first;
/// without it a key that exists is kept unless `merge` lets the file's replace it (DEBUG
/// RELOAD's options), and a library that exists fails the load unless `merge` replaces it.
pub fn install_rdb(
    server: &Server,
    bytes: &[u8],
    now: Now,
    flush: bool,
    merge: bool,
) -> Result<usize, LoadError> {
    install_rdb_noting(server, bytes, now, flush, merge, None)
}

/// [`install_rdb`] for the startup load, `saved` given: the replication history the file's
/// AUX fields hold is restored once they are read (they come first), and a primary drops the
/// keys that expired meanwhile with a DEL its replicas see (Redis's RDBFLAGS_FEED_REPL), so
/// replicas that continue with PSYNC drop them too.
fn install_rdb_noting(
    server: &Server,
    bytes: &[u8],
    now: Now,
    flush: bool,
    merge: bool,
    mut saved: Option<&mut SavedRepl>,
) -> Result<usize, LoadError> {
    let mut restored = false;
    let ks = &server.keyspace;
    let now_ms = now.ms();
    if flush {
        ks.clear_all(now_ms);
        server.scripting.functions.flush();
    }
    let databases = ks.databases();
    let (mut loaded, mut expired) = (0u64, 0u64);
    let replica = server.repl.replica.is_replica();
    let lazy_expire = server.config.read().lazyfree_lazy_expire;
    let limits = server.rdb_limits();
    let end = rdb::load_items(bytes, &limits, |item| {
        let (db, key, value, expire_at) = match item {
            Item::Key(k) => k,
            Item::Aux(name, value) => {
                if let Some(saved) = saved.as_deref_mut() {
                    saved.note_aux(&name, &value);
                }
                return Ok(());
            }
            Item::Function(code) => {
                return server
                    .scripting
                    .functions
                    .load_from_rdb(server, &code, merge)
                    .map_err(|e| format!("Failed loading library, {e}"));
            }
        };
        if db >= databases {
            return Err(format!(
                "FATAL: Data file was created with a Redis server configured to handle more \
                 than {databases} databases. Exiting"
            ));
        }
        if let Some(saved) = saved.as_deref() {
            if !restored {
                restored = true;
                crate::repl::saved::restore(server, saved);
            }
        }
        // A replica keeps what expired: its primary's DEL removes it (Redis 7).
        if expire_at != 0 && expire_at <= now_ms && !replica {
            expired += 1;
            if restored && ks.log.backlog().is_some() {
                let del: &[u8] = if lazy_expire { b"UNLINK" } else { b"DEL" };
                let args = [bytes::Bytes::from_static(del), bytes::Bytes::from(key)];
                ks.log.append_one(db, &args);
            }
            return Ok(());
        }
        let mut locked = ks.lock_one(db, &key, now_ms);
        if !merge && !flush && locked.contains(&key) {
            return Ok(());
        }
        locked.put(&key, value, expire_at);
        loaded += 1;
        Ok(())
    })?;
    if let (Some(saved), false) = (saved, restored) {
        // No key came to trigger it.
        crate::repl::saved::restore(server, saved);
    }
    server.persist.loaded_keys.store(loaded, Ordering::Relaxed);
    server
        .persist
        .loaded_expired
        .store(expired, Ordering::Relaxed);
    Ok(end)
}

/// The startup load of `dbfilename` (when the AOF is off): Ok(false) when there is no file.
/// The file counts as the last save: LASTSAVE and the save points start from it.
pub fn load_rdb_file(server: &Server, now: Now) -> Result<bool, String> {
    let path = server.config.read().dbfilename.clone();
    let Some(bytes) = server.host.read_file(&path)? else {
        return Ok(false);
    };
    let mut saved = SavedRepl::default();
    install_rdb_noting(server, &bytes, now, false, false, Some(&mut saved)).map_err(|e| {
        format!("Short read or OOM loading DB. Unrecoverable error, aborting now. ({e})")
    })?;

    let status = &server.persist;
    status.lastsave.store(now.secs(), Ordering::Relaxed);
    let changes = server.keyspace.log.changes();
    status.changes_at_save.store(changes, Ordering::Relaxed);
    Ok(true)
}
