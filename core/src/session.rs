//! `Session`: one client connection's protocol state machine. The transport feeds it bytes
//! and time, and takes replies, deadlines and events out (docs/ARCHITECTURE.md).

mod deliver;
mod gate;
mod output;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::blocking::WaitState;
use crate::client::{ClientHandle, OutputLimit};
use crate::clock::Now;
use crate::command::dispatch::{self, Called};
use crate::command::CommandFlags;
use crate::config::ObufLimit;
use crate::resp::decoder::{DecodeError, DecodeLimits, RequestDecoder};
use crate::resp::ReplyWriter;
use crate::server::Server;
use crate::stats::Stats;
use crate::sync::RwLockReadGuard;

/// Pending output at which `handle_input` stops executing commands, leaving the rest of the
/// input in the buffer until the transport has written replies out and calls it again: this
/// bounds what one pipelined batch can make the server buffer for a client that reads slowly
/// (replies and their order are unchanged; only when they are produced).
pub const OUTPUT_PAUSE_BYTES: usize = 64 * 1024 * 1024;
/// A request with more arguments than this does not leave its argument vector to the next
/// one (Redis frees a client's argv after every command): 100,000 arguments are 3 MB.
const KEPT_ARGS: usize = 1024;

pub use crate::client::{ClientInfo, ClientState, NoopWaker, ReplyMode, Waker};

/// What every command of one batch is checked against.
struct Batch {
    /// The client's output limit.
    limit: ObufLimit,
    /// The output size below which the limit cannot be reached.
    threshold: usize,
}

/// One client connection.
pub struct Session {
    server: Arc<Server>,
    decoder: RequestDecoder,
    args: Vec<Bytes>,
    out: ReplyWriter,
    state: ClientState,
    closed: bool,
    last_input: Now,
    /// Replies from this offset of `out` on wait until the AOF is durable up to the stream
    /// offset given (`appendfsync always`; see `persistence::durable`).
    held: Option<(usize, u64)>,
    /// Bytes written from the front of `out` since its allocation began: still allocated
    /// until the buffer drains or is compacted (`consume_output`).
    out_written: usize,
    /// Where the client stands against `client-output-buffer-limit`.
    output_limit: OutputLimit,
    /// The allocation holding the transport's input buffer, when the transport tracks it
    /// (see [`Session::set_input_room`]).
    input_room: usize,
    /// The command in `args` waits for CLIENT PAUSE to end: no further input runs until it
    /// has run (Redis blocks the client with BLOCKED_POSTPONE).
    postponed: bool,
}

impl Session {
    /// A new session on `server`, registered as a connected client.
    pub fn new(server: Arc<Server>, info: ClientInfo, waker: Arc<dyn Waker>, now: Now) -> Self {
        let handle = Arc::new(ClientHandle::new(
            server.clients.next_id(),
            info,
            now.ms(),
            waker,
        ));
        server.clients.insert(handle.clone());
        Stats::add(&server.stats.total_connections_received, 1);
        let default = server.acl.default_user().clone();
        *handle.user.lock() = Some(default.clone());
        let mut state = ClientState::new(handle);
        // As Redis's createClient: authenticated unless the default user has a password.
        state.authenticated = !server.auth_required();
        state.acl = Some(crate::acl::ClientAcl::new(&server.acl, default));
        Session {
            server,
            decoder: RequestDecoder::new(),
            args: Vec::with_capacity(8),
            out: ReplyWriter::new(),
            state,
            closed: false,
            last_input: now,
            held: None,
            out_written: 0,
            output_limit: OutputLimit::default(),
            input_room: 0,
            postponed: false,
        }
    }

    /// This client's id.
    pub fn id(&self) -> u64 {
        self.state.handle.id
    }

    /// Bytes still to arrive for a big bulk argument being read (see
    /// `RequestDecoder::big_bulk_remaining`).
    pub fn big_bulk_remaining(&self, buffered: usize) -> Option<usize> {
        self.decoder.big_bulk_remaining(buffered)
    }

    /// See `RequestDecoder::take_header_prefix`.
    pub fn take_header_prefix(&mut self) -> usize {
        self.decoder.take_header_prefix()
    }

    /// This client's entry in the client registry.
    pub fn handle(&self) -> &Arc<ClientHandle> {
        &self.state.handle
    }

    /// Executes every complete command in `buf`, consuming it; a partial frame stays in `buf`.
    pub fn handle_input(&mut self, now: Now, buf: &mut BytesMut) {
        let produced_from = self.out.buf.len();
        self.run_input(now, buf);
        self.hold_for_durability(produced_from);
    }

    fn run_input(&mut self, now: Now, buf: &mut BytesMut) {
        if self.state.handle.over_limit.load(Ordering::Relaxed) {
            return self.close_over_limit();
        }
        if self.state.handle.killed.load(Ordering::Relaxed) {
            return self.close_killed();
        }
        self.deliver_settled();
        self.deliver_effect();
        self.pump_stream();
        // The configuration is read once per batch.
        let (limit, limits) = {
            let c = self.server.config.read();
            let decode = DecodeLimits {
                proto_max_bulk_len: c.proto_max_bulk_len,
                query_buffer_limit: c.client_query_buffer_limit,
            };
            (
                c.client_output_buffer_limit[self.state.handle.class() as usize],
                decode,
            )
        };
        self.state.output_hard_limit = limit.hard;
        // Checked before the mailbox is copied out: a client already over its limit is closed
        // without first growing its output buffer by what it will never read.
        self.check_output_limit(&limit, now);
        if self.closed {
            return;
        }
        self.state.handle.mailbox.drain_into(&mut self.out.buf);
        let room = self.input_room.max(buf.capacity());
        if self.state.blocked.is_some() || self.state.awaiting.is_some() {
            // Input waits in `buf` until the blocking command is settled (or the effect done),
            // as in Redis.
            self.check_waiting_input(buf);
            self.publish_input(buf.len(), room);
            self.check_output_limit(&limit, now);
            return;
        }
        // Only input the client sent counts as interaction (a wake-up or a timer that polls
        // the session does not), so the idle `timeout` runs from the client's last bytes.
        if !buf.is_empty() {
            self.last_input = now;
            self.state
                .handle
                .last_interaction_ms
                .store(now.ms(), Ordering::Relaxed);
        }
        let server = self.server.clone();
        let batch = Batch {
            limit,
            threshold: OutputLimit::threshold(&limit),
        };
        // While the batch runs, CLIENT LIST shows all of it as the query buffer, as Redis
        // trims its buffer only once the batch is done; after it, what is left in the room
        // the batch had (Redis moves the rest to the front of the same allocation).
        self.note_input(buf.len(), room);
        let mut gate = gate::shared(&server);
        if self.postponed {
            // Try the command the pause held back; it waits on if the pause still holds it.
            let resolved = server.commands.resolve(&self.args);
            self.run_command(&server, now, resolved, &mut gate, &batch);
        }
        while !self.is_closing()
            && self.out.buf.len() < OUTPUT_PAUSE_BYTES
            && self.state.blocked.is_none()
            && self.state.awaiting.is_none()
            && !self.postponed
        {
            // Redis's small request limits for a client that has yet to authenticate.
            self.decoder
                .set_auth_required(!self.state.authenticated && server.auth_required());
            match self.decoder.decode(buf, &limits, &mut self.args) {
                Ok(true) => {
                    let resolved = server.commands.resolve(&self.args);
                    self.run_command(&server, now, resolved, &mut gate, &batch);
                    if self.args.capacity() > KEPT_ARGS && !self.postponed {
                        self.args = Vec::with_capacity(8);
                    }
                }
                Ok(false) => break,
                Err(DecodeError::QueryBufferOverflow) => {
                    self.closed = true;
                    buf.clear();
                }
                Err(err) => {
                    let line = err.error_line();
                    self.out.error_bytes(&line);
                    self.server.stats.record_error(&line);
                    self.state.close_after_reply = true;
                    buf.clear();
                }
            }
        }
        drop(gate);
        if self.postponed {
            self.check_waiting_input(buf);
        }
        self.publish_input(buf.len(), room);
        // What the batch's own commands sent this client (its invalidations) follows their
        // replies.
        if !self.closed {
            self.state.handle.mailbox.drain_into(&mut self.out.buf);
        }
        self.check_output_limit(&batch.limit, now);
    }

    /// A client that waits (blocked, paused, awaiting an effect) parses nothing it sends
    /// meanwhile; as in Redis, it is still closed once its query buffer passes
    /// `client-query-buffer-limit`.
    fn check_waiting_input(&mut self, buf: &mut BytesMut) {
        if buf.len() > self.server.config.read().client_query_buffer_limit {
            self.closed = true;
            buf.clear();
        }
    }

    /// Runs one decoded command (`resolved` was looked up once, here: its flags decide the
    /// gate, the boundary runs it), then checks the output against the client's limit.
    fn run_command<'g>(
        &mut self,
        server: &'g Server,
        now: Now,
        resolved: Result<&crate::command::Command, Vec<u8>>,
        gate: &mut Option<RwLockReadGuard<'g, ()>>,
        batch: &Batch,
    ) {
        let flags = resolved
            .as_ref()
            .map_or(CommandFlags::default(), |c| c.flags);
        if gate.is_none() {
            // A script was past its busy threshold when this batch began: maybe it ended since.
            *gate = server.exec_gate.try_read();
        }
        if gate.is_none() && !flags.has(CommandFlags::ALLOW_BUSY) {
            self.reply_busy(server, resolved.ok());
        } else if flags.has(CommandFlags::EXCLUSIVE) {
            // EXEC, SYNC, scripts: no other command may interleave, on any thread.
            drop(gate.take());
            match gate::exclusive(server) {
                Some(held) => {
                    self.execute(now, resolved);
                    drop(held);
                }
                None => self.reply_busy(server, resolved.ok()),
            }
            *gate = gate::shared(server);
        } else {
            self.execute(now, resolved);
        }
        if self.out.buf.len() >= batch.threshold {
            self.check_output_limit(&batch.limit, now);
        }
    }

    /// Refuses a command while a script runs past its busy threshold, as Redis's
    /// processCommand does (a refused command inside MULTI makes EXEC fail).
    fn reply_busy(&mut self, server: &Server, cmd: Option<&crate::command::Command>) {
        let msg = server.scripting.busy.busy_error();
        self.out.error(msg);
        server.stats.record_error(msg.as_bytes());
        if let Some(cmd) = cmd {
            cmd.rejected_calls.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(multi) = self.state.multi.as_mut() {
            multi.aborted = true;
        }
    }

    /// Tells the session how big the allocation holding its input buffer is (CLIENT LIST
    /// `qbuf` + `qbuf-free`), for a transport that tracks it: a `BytesMut` loses sight of the
    /// bytes consumed from its front. Without it the buffer's own capacity counts.
    pub fn set_input_room(&mut self, room: usize) {
        self.input_room = room;
    }

    /// Publishes the query buffer to the handle (CLIENT LIST `qbuf`, `qbuf-free`): `len`
    /// bytes in an allocation of `room`. A transport that resizes its buffer between batches
    /// calls this with the new size.
    pub fn note_input(&self, len: usize, room: usize) {
        let handle = &self.state.handle;
        handle.qbuf.store(len, Ordering::Relaxed);
        handle
            .qbuf_free
            .store(room.saturating_sub(len), Ordering::Relaxed);
    }

    /// Publishes what the client holds between batches to its handle: the query buffer and
    /// the arguments it keeps (`argv-mem`): a paused or blocked command's, or the complete
    /// ones of a command still arriving.
    fn publish_input(&self, len: usize, room: usize) {
        self.note_input(len, room);
        let handle = &self.state.handle;
        let held = |args: &[Bytes]| (args.iter().map(|a| a.len()).sum(), args.len());
        let (len, argc) = if self.postponed {
            held(&self.args)
        } else if let Some(w) = &self.state.blocked {
            held(&w.args)
        } else {
            self.decoder.partial_args()
        };
        handle.set_held_args(len, argc);
    }

    fn execute(&mut self, now: Now, resolved: Result<&crate::command::Command, Vec<u8>>) {
        let server = &*self.server;
        // Over tracking-table-max-keys (lowered since the last read): evicted keys are
        // invalidated before the command runs, as Redis's processCommand does.
        if server.tracking.active() {
            let max_keys = server.config.read().tracking_table_max_keys;
            server.tracking.evict(&server.clients, max_keys);
        }
        // Messages that arrived before this command go out before its reply.
        self.state.handle.mailbox.drain_into(&mut self.out.buf);
        let mut before = self.out.buf.len();
        let skipping = self.state.reply == ReplyMode::SkipNext;
        // CLIENT CACHING YES/NO applies to the next command (or transaction) only; the name is
        // looked at only while it is armed.
        let caching_ends = self
            .state
            .handle
            .tracking
            .flags()
            .has(crate::tracking::TrackingFlags::CACHING)
            && !resolved
                .as_ref()
                .is_ok_and(|c| c.name.starts_with("client|"));
        // (Un)subscribe confirmations, like messages, are pushed: CLIENT REPLY OFF does not
        // silence them (in RESP2 either, as in Redis).
        let pushes = resolved
            .as_ref()
            .is_ok_and(|c| c.flags.has(CommandFlags::PUBSUB) && c.name.ends_with("subscribe"));
        let called = dispatch::call_resolved(
            server,
            &mut self.state,
            &mut self.out,
            &self.args,
            resolved,
            now,
        );
        let postponed = called == Called::Postponed;
        set_postponed(&mut self.postponed, &self.state.handle, server, postponed);
        if postponed {
            return;
        }
        crate::blocking::serve_ready(server, now);
        server.tracking.broadcast(&server.clients);
        if caching_ends && self.state.multi.is_none() {
            self.state
                .handle
                .tracking
                .remove(crate::tracking::TrackingFlags::CACHING);
        }
        if pushes {
            before = self.out.buf.len();
        }
        // CLIENT REPLY: the reply was produced (stats and side effects happen) but is not sent.
        match self.state.reply {
            ReplyMode::On => {}
            ReplyMode::Off => self.out.buf.truncate(before),
            ReplyMode::SkipArmed => {
                self.out.buf.truncate(before);
                self.state.reply = ReplyMode::SkipNext;
            }
            ReplyMode::SkipNext => {
                if skipping {
                    self.out.buf.truncate(before);
                    self.state.reply = ReplyMode::On;
                }
            }
        }
    }

    /// Whether the session will close once its pending output is written.
    pub fn is_closing(&self) -> bool {
        self.closed
            || self.state.close_after_reply
            || self.state.handle.killed.load(Ordering::Relaxed)
    }

    /// When the transport must call `handle_timeout` (a blocking command's timeout, the end
    /// of a CLIENT PAUSE holding a command back, or the idle `timeout`, which does not apply
    /// to blocked or paused clients), if ever.
    pub fn poll_timeout(&self) -> Option<Now> {
        if self.state.awaiting.is_some() {
            return None;
        }
        if self.postponed {
            // The millisecond after the pause's last (long past once it was lifted early).
            let end = self.server.keyspace.pause.end_ms();
            return Some(Now::from_ms(end.saturating_add(1)));
        }
        if let Some(waiter) = &self.state.blocked {
            return (waiter.deadline_ms > 0).then(|| Now::from_ms(waiter.deadline_ms));
        }
        let secs = self.server.config.read().timeout;
        (secs > 0).then(|| Now(self.last_input.micros() + secs * 1_000_000))
    }

    /// Time has passed: closes an idle client whose `timeout` expired. (A command held back
    /// by a pause is tried again by the next `handle_input`, which transports call after this.)
    pub fn handle_timeout(&mut self, now: Now) {
        if self.state.awaiting.is_some() {
            return self.deliver_effect();
        }
        if self.postponed {
            return;
        }
        if let Some(waiter) = self.state.blocked.clone() {
            if waiter.deadline_ms > 0 && now.ms() >= waiter.deadline_ms {
                crate::blocking::settle(&self.server, &waiter, waiter.timeout_reply());
            }
            self.deliver_settled();
            return;
        }
        if let Some(deadline) = self.poll_timeout() {
            if now >= deadline {
                self.closed = true;
            }
        }
    }

    /// The server this session belongs to.
    pub fn server(&self) -> &Arc<Server> {
        &self.server
    }
}

/// Marks a session's command as waiting for CLIENT PAUSE to end (`postponed`) or no longer
/// waiting; the handle (CLIENT LIST flag `b`) and INFO's `blocked_clients` follow.
fn set_postponed(flag: &mut bool, handle: &ClientHandle, server: &Server, postponed: bool) {
    if *flag == postponed {
        return;
    }
    *flag = postponed;
    // Paired with CLIENT UNPAUSE's reading of it (see `ClientPause::unpause`).
    handle.paused.store(postponed, Ordering::SeqCst);
    server.keyspace.blocking.count_paused(postponed);
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(waiter) = self.state.blocked.take() {
            // Waits for a service in progress on another thread, then leaves nothing behind.
            *waiter.lock() = WaitState::Gone;
            self.server.keyspace.blocking.remove(&waiter);
        }
        if let Some(reader) = self.state.observer.take() {
            self.server.keyspace.log.unsubscribe(reader);
        }
        // The waiter holds the handle: left here (blocked, or settled but never delivered),
        // it would keep both alive after the client is gone.
        let left = self.state.handle.blocked.lock().take();
        drop(left);
        self.server.keyspace.watches.clear(&mut self.state.watched);
        crate::pubsub::commands::leave_all(&self.server, &mut self.state);
        crate::tracking::commands::disable(&self.server, &self.state.handle);
        self.server.monitors.remove(&self.state.handle);
        set_postponed(&mut self.postponed, &self.state.handle, &self.server, false);
        self.state.handle.mailbox.clear();
        self.server.clients.remove(self.state.handle.id);
        self.server.eviction.clients.forget(&self.state.handle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{frame, server, EPOCH_MS};

    #[test]
    fn a_request_with_many_arguments_does_not_keep_its_vector() {
        let now = Now::from_ms(EPOCH_MS);
        let mut s = Session::new(server(), ClientInfo::Internal, Arc::new(NoopWaker), now);
        let mut args = vec!["SADD".to_string(), "s".into()];
        args.extend((0..5000).map(|i| i.to_string()));
        let mut buf = BytesMut::from(&frame(&args)[..]);
        s.handle_input(now, &mut buf);
        assert_eq!(s.pending_output(), b":5000\r\n");
        assert!(s.args.capacity() <= KEPT_ARGS, "{}", s.args.capacity());
    }
}
