//! The append-only file as core sees it: replaying a file's commands into the dataset (start-up
//! loading), and BGREWRITEAOF, which begins the snapshot a rewrite's base is written from. The
//! AOF writer itself — following the propagation stream into the files, fsyncing by
//! `appendfsync`, rotating and swapping files — is the server's (server/src/aof.rs).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::client::ClientState;
use crate::clock::Now;
use crate::command::{dispatch, Ctx, Handler};
use crate::effects::{Completion, Effect};
use crate::persist::aof::{parse_command, Parsed};
use crate::persist::snapshot::{Format, Snapshot};
use crate::persist::status::Running;
use crate::resp::ReplyWriter;
use crate::server::Server;

/// The commands of this module.
pub const COMMANDS: &[(&str, Handler)] = &[("bgrewriteaof", bgrewriteaof)];

/// How replaying one file went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Commands executed.
    pub commands: u64,
    /// Bytes of the file that hold whole commands (all of it unless `truncated`).
    pub valid_len: usize,
    /// The file ended inside a command or an unfinished MULTI: what follows `valid_len` was
    /// not applied, and the caller truncates the file there.
    pub truncated: bool,
}

/// Why a file could not be replayed, with Redis's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The file ends inside a command and truncation is not allowed here.
    UnexpectedEnd,
    /// Not an AOF at this offset.
    BadFormat(usize),
    /// The RDB preamble is damaged.
    Rdb(String),
    /// A command lode does not know.
    UnknownCommand(String),
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayError::UnexpectedEnd => f.write_str("Unexpected end of file"),
            ReplayError::BadFormat(at) => write!(f, "Bad file format at offset {at}"),
            ReplayError::Rdb(e) => write!(f, "Bad RDB preamble: {e}"),
            ReplayError::UnknownCommand(name) => write!(f, "Unknown command '{name}'"),
        }
    }
}

/// Applies one AOF file (a base, with or without an RDB preamble, or an incremental file) to
/// the dataset, executing its commands as Redis's fake AOF client does. `may_truncate`: a torn
/// tail is tolerated (`aof-load-truncated yes` and this is the last file).
///
/// As in Redis, nothing expires while loading (a PEXPIREAT in the past followed by an RPUSH
/// must leave one expired list, not a new one), so the commands run at time zero; and
/// nothing is propagated, since the file already holds it.
pub fn replay(
    server: &Server,
    bytes: &[u8],
    now: Now,
    may_truncate: bool,
) -> Result<Replayed, ReplayError> {
    let log = &server.keyspace.log;
    log.set_muted(true);
    let result = replay_muted(server, bytes, now, may_truncate);
    log.set_muted(false);
    result
}

fn replay_muted(
    server: &Server,
    bytes: &[u8],
    now: Now,
    may_truncate: bool,
) -> Result<Replayed, ReplayError> {
    let loading = Now(0);
    let mut at = 0;
    if bytes.starts_with(b"REDIS") {
        at = super::install_rdb(server, bytes, loading, false, true)
            .map_err(|e| ReplayError::Rdb(e.to_string()))?;
    }
    let mut client = ClientState::replayer(now.ms());
    let mut out = ReplyWriter::new();
    let mut done = Replayed {
        valid_len: at,
        ..Replayed::default()
    };
    let mut before_multi = at;
    loop {
        match parse_command(bytes, at) {
            Parsed::Command(args, next) => {
                if server.commands.resolve(&args).is_err() {
                    let name = String::from_utf8_lossy(&args[0]).into_owned();
                    return Err(ReplayError::UnknownCommand(name));
                }
                let opens = args[0].eq_ignore_ascii_case(b"multi");
                if opens {
                    before_multi = at;
                }
                dispatch::call(server, &mut client, &mut out, &args, loading);
                out.buf.clear();
                done.commands += 1;
                at = next;
                if client.multi.is_none() {
                    done.valid_len = at;
                }
            }
            Parsed::End if client.multi.is_none() => {
                // Annotations after the last command are whole too.
                done.valid_len = bytes.len();
                break;
            }
            // A MULTI never closed counts as a torn tail: its commands were never applied.
            Parsed::End | Parsed::Truncated => {
                if !may_truncate {
                    return Err(ReplayError::UnexpectedEnd);
                }
                if client.multi.is_some() {
                    done.valid_len = before_multi;
                }
                done.truncated = true;
                break;
            }
            Parsed::Malformed(at) => return Err(ReplayError::BadFormat(at)),
        }
    }
    // What was loaded is what is on disk: nothing to save.
    let changes = server.keyspace.log.changes();
    server
        .persist
        .changes_at_save
        .store(changes, Ordering::Relaxed);
    Ok(done)
}

/// A rewrite begun: the snapshot its base is written from, and the propagation stream offset
/// it was taken at (the new incremental file starts there).
pub struct RewriteJob {
    /// The dataset at the instant the rewrite began.
    pub snapshot: Arc<Snapshot>,
    /// Stream offset of that instant.
    pub offset: u64,
    /// AUX fields for the base's RDB header.
    pub aux: Vec<(&'static str, String)>,
    /// `rdbchecksum`.
    pub checksum: bool,
    /// Whether the base is an RDB file (`aof-use-rdb-preamble`), else AOF commands.
    pub rdb: bool,
}

/// Begins an AOF rewrite: call with the exec gate held exclusively. The next propagated
/// command starts with SELECT, since it opens a new incremental file.
pub fn begin_rewrite(server: &Server, now: Now) -> Result<RewriteJob, &'static str> {
    let status = &server.persist;
    match status.running() {
        Running::AofRewrite => {
            return Err("ERR Background append only file rewriting already in progress")
        }
        Running::RdbSave => return Err("busy"),
        Running::Nothing => {}
    }
    if !status.start(Running::AofRewrite, now.ms(), server.keyspace.log.changes()) {
        return Err("busy");
    }
    let ks = &server.keyspace;
    ks.log.force_select();
    let offset = ks.log.offset();
    let select = if ks.log.muted() {
        server.repl.replica.stream_db() as u64
    } else {
        u64::MAX
    };
    status.rewrite_select.store(select, Ordering::Release);
    status.rewrite_at.store(offset, Ordering::Release);
    let (compress, checksum, rdb) = {
        let c = server.config.read();
        (c.rdbcompression, c.rdbchecksum, c.aof_use_rdb_preamble)
    };
    let format = if rdb { Format::Rdb } else { Format::Aof };
    let mut aux = super::aux_fields(server, now);
    if let Some(a) = aux.iter_mut().find(|(k, _)| *k == "aof-base") {
        a.1 = "1".into();
    }
    let snapshot = Snapshot::begin_as(ks, now.ms(), compress, format);
    snapshot.set_preamble(super::functions_preamble(server, format, compress));
    Ok(RewriteJob {
        snapshot,
        offset,
        aux,
        checksum,
        rdb,
    })
}

/// Hands a begun rewrite to the host (a thread of its own writes the base).
pub fn start_rewrite(server: &Server, job: RewriteJob) {
    server
        .host
        .log("Background append only file rewriting started");
    server.effects.submit(
        server,
        Effect::RewriteAof(Box::new(job)),
        Arc::new(Completion::new(None)),
    );
}

/// Carries a rewrite out through the host and records the outcome (the effect's work).
pub fn run_rewrite(server: &Server, job: RewriteJob) -> Result<(), String> {
    let host = &*server.host;
    let snapshot = job.snapshot.clone();
    let outcome = host.rewrite_aof(server, job);
    snapshot.finish(&server.keyspace);
    let now_ms = server.last_now.load(Ordering::Relaxed) / 1000;
    server.persist.rewrite_done(outcome.is_ok(), now_ms);
    match &outcome {
        Ok(()) => host.log("Background AOF rewrite finished successfully"),
        Err(e) => host.log(&format!("Background AOF rewrite failed: {e}")),
    }
    outcome
}

/// The cron's part: a rewrite scheduled while a save ran starts once the slot is free.
pub fn cron(server: &Server, now: Now) {
    let status = &server.persist;
    if !status.rewrite_scheduled.load(Ordering::Relaxed) || status.running() != Running::Nothing {
        return;
    }
    let begun = {
        let _gate = server.exec_gate.write();
        begin_rewrite(server, now)
    };
    if let Ok(job) = begun {
        status.rewrite_scheduled.store(false, Ordering::Relaxed);
        start_rewrite(server, job);
    }
}

fn bgrewriteaof(ctx: &mut Ctx) {
    let status = &ctx.server.persist;
    match begin_rewrite(ctx.server, ctx.now) {
        Ok(job) => {
            start_rewrite(ctx.server, job);
            ctx.out
                .simple(b"Background append only file rewriting started");
        }
        Err("busy") => {
            status.rewrite_scheduled.store(true, Ordering::Relaxed);
            ctx.out
                .simple(b"Background append only file rewriting scheduled");
        }
        Err(e) => ctx.error(e),
    }
}
