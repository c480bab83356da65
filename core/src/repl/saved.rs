//! The replication history an RDB file carries (Redis's rdbSaveInfo): the AUX fields
//! `repl-stream-db`, `repl-id` and `repl-offset` written by SAVE, BGSAVE and shutdown, and what
//! a restart makes of them. A restarted replica continues from them with PSYNC; a restarted
//! primary keeps them as its secondary id, so its replicas continue too.

use crate::server::Server;

/// The history an RDB file recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedRepl {
    /// `repl-id`.
    pub replid: Option<String>,
    /// `repl-offset`.
    pub offset: Option<i64>,
    /// `repl-stream-db`: the database the stream had selected.
    pub stream_db: Option<i64>,
}

impl SavedRepl {
    /// Takes in one AUX field read from a file (others are ignored).
    pub fn note_aux(&mut self, name: &[u8], value: &[u8]) {
        let text = String::from_utf8_lossy(value);
        match name {
            b"repl-id" => self.replid = Some(text.into_owned()),
            b"repl-offset" => self.offset = text.parse().ok(),
            b"repl-stream-db" => self.stream_db = text.parse().ok(),
            _ => {}
        }
    }
}

/// The fields to save, when the history is worth keeping (Redis's rdbPopulateSaveInfo): a
/// primary with a backlog, or a replica (connected or with a cached primary). The stream's
/// database is the one its next command runs in.
pub fn aux_fields(server: &Server) -> Vec<(&'static str, String)> {
    let repl = &server.repl;
    let log = &server.keyspace.log;
    let (db, offset) = if let Some((_, offset)) = repl.replica.cached() {
        (repl.replica.stream_db(), offset.max(0) as u64)
    } else if !repl.replica.is_replica() && log.backlog().is_some() {
        (log.selected_db().unwrap_or(0), log.offset())
    } else {
        return Vec::new();
    };
    vec![
        ("repl-stream-db", db.to_string()),
        ("repl-id", repl.primary.replid()),
        ("repl-offset", offset.to_string()),
    ]
}

/// After the startup load: a replica takes the file's history as its cached primary (PSYNC
/// continues from it); a primary keeps it as `replid2` up to the offset and continues the
/// offset, with an empty backlog from there (Redis's loadDataFromDisk).
pub fn restore(server: &Server, saved: &SavedRepl) {
    let (Some(replid), Some(offset), Some(db)) = (&saved.replid, saved.offset, saved.stream_db)
    else {
        return;
    };
    if replid.len() != 40 || offset < 0 || db < 0 {
        return;
    }
    let repl = &server.repl;
    let log = &server.keyspace.log;
    log.restart_at(offset as u64);
    log.set_backlog(server.config.read().repl_backlog_size.max(1) as usize);
    if repl.replica.is_replica() {
        repl.primary.set_replid(replid.clone());
        repl.replica.note_stream_db(db as usize);
        repl.replica.set_cached(Some((replid.clone(), offset)));
    } else {
        let own = repl.primary.replid();
        repl.primary.set_replid(replid.clone());
        repl.primary.shift_replid(own, offset as u64);
    }
}
