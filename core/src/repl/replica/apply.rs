//! Applying the primary's command stream: Redis's master client. Each whole command is
//! executed through the call boundary as a client that must be obeyed (`replaying`: no
//! read-only refusal, no OOM refusal, never blocks), its reply discarded, and the offset
//! advanced by the command's length in the stream. `REPLCONF GETACK` is answered here, not
//! executed. What the commands change enters this server's own propagation stream like any
//! client's writes, so sub-replicas and the AOF see it (chained replication).

use bytes::Bytes;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::client::{ClientHandle, ClientInfo, ClientState, NoopWaker};
use crate::clock::Now;
use crate::command::dispatch::{self, Called};
use crate::command::CommandFlags;
use crate::persist::aof::{parse_command, Parsed};
use crate::resp::ReplyWriter;
use crate::server::Server;

/// `REPLCONF ACK <offset>` as the replica sends it.
pub fn ack_frame(offset: i64) -> Vec<u8> {
    let off = offset.to_string();
    format!(
        "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n${}\r\n{off}\r\n",
        off.len()
    )
    .into_bytes()
}

/// The master client: its state (database, MULTI) survives a broken link, as Redis's cached
/// master does, so a partial resync continues exactly where the stream stopped.
pub struct Applier {
    client: ClientState,
    out: ReplyWriter,
    pending: Vec<u8>,
    /// The offset of the last byte read (`slave_read_repl_offset`).
    pub read_offset: i64,
    /// The offset of the last byte applied (`slave_repl_offset`).
    pub applied_offset: i64,
}

/// What applying a chunk asks of the driver.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Bytes to send to the primary (ACKs answering GETACK).
    pub reply: Vec<u8>,
    /// Commands executed.
    pub commands: u64,
    /// The stream is not RESP: the link must be dropped.
    pub malformed: bool,
    /// CLIENT KILL ended the link: what is left is not applied (a PSYNC asks for it again).
    pub killed: bool,
}

impl Applier {
    /// A master client starting at `offset` (FULLRESYNC's).
    pub fn new(offset: i64, now: Now) -> Applier {
        let client = ClientState::replayer(now.ms());
        Applier {
            client,
            out: ReplyWriter::new(),
            pending: Vec::new(),
            read_offset: offset,
            applied_offset: offset,
        }
    }

    /// Shows the master client as a connection of this server while the link from `info`
    /// is up (CLIENT LIST flag M, CLIENT KILL TYPE master or its address ends the link).
    /// Its database carries over from the last link (Redis's cached master).
    pub fn connect(&mut self, server: &Server, info: ClientInfo, now: Now) {
        self.disconnect(server);
        let handle = Arc::new(ClientHandle::new(
            server.clients.next_id(),
            info,
            now.ms(),
            Arc::new(NoopWaker),
        ));
        handle.master.store(true, Ordering::Relaxed);
        let db = self.client.db;
        self.client = ClientState::obeyed(handle.clone());
        self.client.db = db;
        handle.db.store(db, Ordering::Relaxed);
        server.clients.insert(handle);
    }

    /// The link ended: the master client is no longer a connection.
    pub fn disconnect(&mut self, server: &Server) {
        let h = &self.client.handle;
        if h.master.swap(false, Ordering::Relaxed) {
            server.clients.remove(h.id);
        }
    }

    /// Whether CLIENT KILL asked for the link to end.
    pub fn killed(&self) -> bool {
        let h = &self.client.handle;
        h.master.load(Ordering::Relaxed) && h.killed.load(Ordering::Relaxed)
    }

    /// Drops bytes read but not yet applied (a partial command when the link broke: the
    /// primary sends it again from `applied_offset + 1`).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
        self.read_offset = self.applied_offset;
    }

    /// Applies every whole command in `bytes` (after what an earlier call kept).
    pub fn apply(&mut self, server: &Server, bytes: &[u8], _now: Now) -> Applied {
        self.pending.extend_from_slice(bytes);
        self.read_offset += bytes.len() as i64;
        let mut done = Applied::default();
        let mut at = 0;
        loop {
            // Redis's primaries send nothing but multibulk commands here; a newline (an inline
            // keepalive) counts as read and applied.
            let start = at;
            while matches!(self.pending.get(at), Some(b'\n') | Some(b'\r')) {
                at += 1;
                self.applied_offset += 1;
            }
            if at > start {
                let raw = Bytes::copy_from_slice(&self.pending[start..at]);
                server.keyspace.log.append_raw(raw, true);
            }
            if self.killed() {
                done.killed = true;
                break;
            }
            match parse_command(&self.pending, at) {
                Parsed::Command(args, next) => {
                    let len = (next - at) as i64;
                    // This server's stream is the primary's, byte for byte (its log is muted
                    // while it follows one): the same offsets, for sub-replicas and PSYNC.
                    let raw = Bytes::copy_from_slice(&self.pending[at..next]);
                    let replication_only = is_replication_only(&args);
                    if is_getack(&args) {
                        // The offset a GETACK reports includes the GETACK itself.
                        self.applied_offset += len;
                        server.keyspace.log.append_raw(raw, true);
                        done.reply.extend(ack_frame(self.applied_offset));
                        at = next;
                        continue;
                    }
                    // At time zero, as Redis's master client: no key is expired for it, so
                    // the primary's DEL of an expired key finds it, and what the stream says
                    // (absolute expiry times) applies as it says.
                    if self.execute(server, &args, Now(0)) == Called::Postponed {
                        break;
                    }
                    server.keyspace.log.append_raw(raw, replication_only);
                    // Per command: an AOF rewrite may begin between two of them.
                    server.repl.replica.note_stream_db(self.client.db);
                    self.applied_offset += len;
                    done.commands += 1;
                    at = next;
                }
                Parsed::End | Parsed::Truncated => break,
                Parsed::Malformed(_) => {
                    done.malformed = true;
                    break;
                }
            }
        }
        self.pending.drain(..at);
        done
    }

    /// Starts in database `db` (a partial resync continues a stream whose last SELECT this
    /// master client never saw: after a restart, the database the RDB file recorded).
    pub fn in_db(mut self, db: usize) -> Applier {
        self.client.db = db;
        self
    }

    fn execute(&mut self, server: &Server, args: &[Bytes], now: Now) -> Called {
        let resolved = server.commands.resolve(args);
        let exclusive = resolved
            .as_ref()
            .is_ok_and(|c| c.flags.has(CommandFlags::EXCLUSIVE));
        let called = if exclusive {
            let _gate = server.exec_gate.write();
            dispatch::call_resolved(server, &mut self.client, &mut self.out, args, resolved, now)
        } else {
            let _gate = server.exec_gate.read();
            dispatch::call_resolved(server, &mut self.client, &mut self.out, args, resolved, now)
        };
        if let Some(err) = self.out.buf.strip_prefix(b"-") {
            // The datasets diverged (a writable replica, a command the primary accepted):
            // Redis says so loudly, as nobody reads the master client's replies.
            let err = String::from_utf8_lossy(err);
            let name = String::from_utf8_lossy(args.first().map_or(&[][..], |a| &a[..]));
            server.host.log(&format!(
                "== CRITICAL == This replica is sending an error to its master: '{}' after \
                 processing the command '{}'",
                err.trim_end(),
                name.to_ascii_lowercase()
            ));
        }
        self.out.buf.clear();
        called
    }
}

/// What the primary sends replicas but not its AOF (PING, REPLCONF, PUBLISH, SPUBLISH):
/// proxied to sub-replicas, neither written to this server's AOF nor counted as a change.
fn is_replication_only(args: &[Bytes]) -> bool {
    args.first().is_some_and(|a| {
        [&b"ping"[..], b"replconf", b"publish", b"spublish"]
            .iter()
            .any(|name| a.eq_ignore_ascii_case(name))
    })
}

fn is_getack(args: &[Bytes]) -> bool {
    args.len() >= 2
        && args[0].eq_ignore_ascii_case(b"replconf")
        && args[1].eq_ignore_ascii_case(b"getack")
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::testkit::{frame, server, TestClient};

    #[test]
    fn commands_apply_at_every_split_and_getack_answers_with_the_offset() {
        let mut stream = Vec::new();
        stream.extend(frame(&["SELECT", "1"]));
        stream.extend(frame(&["SET", "k", "v"]));
        stream.extend(frame(&["PING"]));
        stream.extend(frame(&["RPUSH", "l", "a", "b"]));
        let before_getack = stream.len() as i64;
        stream.extend(frame(&["REPLCONF", "GETACK", "*"]));
        let total = stream.len() as i64;
        for cut in 0..=stream.len() {
            let srv = server();
            let mut a = Applier::new(100, Now(0));
            let first = a.apply(&srv, &stream[..cut], Now(0));
            let second = a.apply(&srv, &stream[cut..], Now(0));
            assert_eq!(a.applied_offset, 100 + total);
            assert_eq!(a.read_offset, 100 + total);
            assert_eq!(first.commands + second.commands, 4);
            let reply = [first.reply, second.reply].concat();
            assert_eq!(reply, ack_frame(100 + total), "cut at {cut}");
            assert!(before_getack < total);
            let mut c = TestClient::new(&srv);
            c.cmd(&["SELECT", "1"]);
            assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
            assert_eq!(c.cmd(&["LLEN", "l"]), ":2\r\n");
        }
    }

    #[test]
    fn a_partial_command_is_read_but_not_applied() {
        let srv = server();
        let mut a = Applier::new(0, Now(0));
        let f = frame(&["SET", "k", "v"]);
        a.apply(&srv, &f[..5], Now(0));
        assert_eq!((a.read_offset, a.applied_offset), (5, 0));
        a.discard_pending();
        a.apply(&srv, &f, Now(0));
        assert_eq!(a.applied_offset, f.len() as i64);
    }
}
