//! `Session`: one client connection's protocol state machine. The transport feeds it bytes
//! and time, and takes replies, deadlines and events out (docs/ARCHITECTURE.md).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};

use crate::blocking::WaitState;
use crate::client::{ClientHandle, OutputLimit};
use crate::clock::Now;
use crate::command::dispatch;
use crate::command::CommandFlags;
use crate::config::ObufLimit;
use crate::resp::decoder::{DecodeError, DecodeLimits, RequestDecoder};
use crate::resp::ReplyWriter;
use crate::server::Server;
use crate::stats::Stats;

/// Pending output at which `handle_input` stops executing commands, leaving the rest of the
/// input in the buffer until the transport has written replies out and calls it again: this
/// bounds what one pipelined batch can make the server buffer for a client that reads slowly
/// (replies and their order are unchanged; only when they are produced).
pub const OUTPUT_PAUSE_BYTES: usize = 64 * 1024 * 1024;

pub use crate::client::{ClientInfo, ClientState, NoopWaker, ReplyMode, Waker};

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
    /// Where the client stands against `client-output-buffer-limit`.
    output_limit: OutputLimit,
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
        Session {
            server,
            decoder: RequestDecoder::new(),
            args: Vec::with_capacity(8),
            out: ReplyWriter::new(),
            state: ClientState::new(handle),
            closed: false,
            last_input: now,
            held: None,
            output_limit: OutputLimit::default(),
        }
    }

    /// This client's id.
    pub fn id(&self) -> u64 {
        self.state.handle.id
    }

    /// Executes every complete command in `buf`, consuming it; a partial frame stays in `buf`.
    pub fn handle_input(&mut self, now: Now, buf: &mut BytesMut) {
        let produced_from = self.out.buf.len();
        self.run_input(now, buf);
        self.hold_for_durability(produced_from);
    }

    /// With `appendfsync always`: the replies produced since `from` wait until the stream is
    /// durable up to where it is now, which covers every write they could have observed.
    fn hold_for_durability(&mut self, from: usize) {
        let durability = &self.server.durability;
        if !durability.holding() || self.out.buf.len() == from {
            return;
        }
        let need = self.server.keyspace.log.offset();
        if durability.wait_for(need, &self.state.handle.waker) {
            let start = self.held.map_or(from, |(start, _)| start);
            self.held = Some((start, need));
        }
    }

    /// How many bytes of `out` may be written now.
    fn releasable(&self) -> usize {
        if self.state.handle.over_limit.load(Ordering::Relaxed) {
            return 0;
        }
        match self.held {
            Some((start, need)) if !self.server.durability.released(need) => start,
            _ => self.out.buf.len(),
        }
    }

    /// Whether replies are waiting for the AOF's fsync.
    pub fn has_held_output(&self) -> bool {
        self.held.is_some() && self.releasable() < self.out.buf.len()
    }

    fn run_input(&mut self, now: Now, buf: &mut BytesMut) {
        if self.state.handle.over_limit.load(Ordering::Relaxed) {
            return self.close_over_limit();
        }
        self.deliver_settled();
        self.deliver_effect();
        self.pump_stream();
        let limit = self.server.config.read().client_output_buffer_limit
            [self.state.handle.class() as usize];
        // Checked before the mailbox is copied out: a client already over its limit is closed
        // without first growing its output buffer by what it will never read.
        self.check_output_limit(&limit, now);
        if self.closed {
            return;
        }
        self.state.handle.mailbox.drain_into(&mut self.out.buf);
        if self.state.blocked.is_some() || self.state.awaiting.is_some() {
            // Input waits in `buf` until the blocking command is settled (or the effect done),
            // as in Redis.
            self.state.handle.qbuf.store(buf.len(), Ordering::Relaxed);
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
        let limits = {
            let c = self.server.config.read();
            DecodeLimits {
                proto_max_bulk_len: c.proto_max_bulk_len,
                query_buffer_limit: c.client_query_buffer_limit,
            }
        };
        let server = self.server.clone();
        let threshold = OutputLimit::threshold(&limit);
        let mut gate = Some(server.exec_gate.read());
        while !self.is_closing()
            && self.out.buf.len() < OUTPUT_PAUSE_BYTES
            && self.state.blocked.is_none()
            && self.state.awaiting.is_none()
        {
            match self.decoder.decode(buf, &limits, &mut self.args) {
                Ok(true) => {
                    // Resolved once, here: the flags decide the gate, the boundary runs it.
                    let resolved = server.commands.resolve(&self.args);
                    let exclusive = resolved
                        .as_ref()
                        .is_ok_and(|c| c.flags.has(CommandFlags::EXCLUSIVE));
                    if exclusive {
                        // EXEC, SYNC: no other command may interleave, on any thread.
                        drop(gate.take());
                        let held = server.exec_gate.write();
                        self.execute(now, resolved);
                        drop(held);
                        gate = Some(server.exec_gate.read());
                    } else {
                        self.execute(now, resolved);
                    }
                    if self.out.buf.len() >= threshold {
                        self.check_output_limit(&limit, now);
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
        self.state.handle.qbuf.store(buf.len(), Ordering::Relaxed);
        // What the batch's own commands sent this client (its invalidations) follows their
        // replies.
        if !self.closed {
            self.state.handle.mailbox.drain_into(&mut self.out.buf);
        }
        self.check_output_limit(&limit, now);
    }

    /// Publishes the output's size to the handle (CLIENT LIST omem, the publishers' hard
    /// limit check) and closes the client if it went over its limit.
    fn check_output_limit(&mut self, limit: &ObufLimit, now: Now) {
        let used = self.out.buf.len() + self.state.handle.mailbox.len();
        self.state.handle.omem.store(used, Ordering::Relaxed);
        if self.output_limit.exceeded(limit, used, now.ms()) {
            self.close_over_limit();
        }
    }

    /// Closes the client at once, dropping what it has not read, as Redis does with a client
    /// over its output buffer limit.
    fn close_over_limit(&mut self) {
        if !self.closed {
            let line = crate::admin::client_cmd::client_line(
                &self.state.handle,
                &self.server.commands,
                self.server.last_now.load(Ordering::Relaxed) / 1000,
            );
            self.server.host.log(&format!(
                "Client {line} scheduled to be closed ASAP for overcoming of output buffer limits."
            ));
        }
        self.closed = true;
        self.held = None;
        self.out.buf.clear();
        // Publishers stop queueing for it, and nothing more is written to it.
        self.state.handle.over_limit.store(true, Ordering::Relaxed);
        self.state.handle.mailbox.clear();
        self.state.handle.omem.store(0, Ordering::Relaxed);
    }

    fn execute(&mut self, now: Now, resolved: Result<&crate::command::Command, Vec<u8>>) {
        let server = &*self.server;
        // Messages that arrived before this command go out before its reply.
        self.state.handle.mailbox.drain_into(&mut self.out.buf);
        let mut before = self.out.buf.len();
        let skipping = self.state.reply == ReplyMode::SkipNext;
        let resolved_is_client = resolved
            .as_ref()
            .is_ok_and(|c| c.name.starts_with("client|"));
        // (Un)subscribe confirmations, like messages, are pushed: CLIENT REPLY OFF does not
        // silence them (in RESP2 either, as in Redis).
        let pushes = resolved
            .as_ref()
            .is_ok_and(|c| c.flags.has(CommandFlags::PUBSUB) && c.name.ends_with("subscribe"));
        dispatch::call_resolved(
            server,
            &mut self.state,
            &mut self.out,
            &self.args,
            resolved,
            now,
        );
        crate::blocking::serve_ready(server, now);
        server.tracking.broadcast(&server.clients);
        self.end_caching(resolved_is_client);
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

    /// CLIENT CACHING YES/NO applies to the next command (or transaction) only.
    fn end_caching(&self, was_client: bool) {
        use crate::tracking::TrackingFlags as T;
        let tracking = &self.state.handle.tracking;
        if self.state.multi.is_none() && !was_client && tracking.flags().has(T::CACHING) {
            tracking.remove(T::CACHING);
        }
    }

    /// Replies that may be written now (not those waiting for the AOF's fsync).
    pub fn pending_output(&self) -> &[u8] {
        &self.out.buf[..self.releasable()]
    }

    /// Marks `n` bytes of pending output as written.
    pub fn consume_output(&mut self, n: usize) {
        Stats::add(&self.server.stats.total_net_output_bytes, n as u64);
        let n = n.min(self.releasable());
        self.held = match self.held {
            Some((start, need)) if !self.server.durability.released(need) => {
                Some((start - n, need))
            }
            _ => None,
        };
        self.out.buf.advance(n);
        if self.out.buf.is_empty() {
            self.out.buf.clear();
        }
        let queued = self.state.handle.mailbox.len();
        self.state
            .handle
            .omem
            .store(self.out.buf.len() + queued, Ordering::Relaxed);
    }

    /// Whether the session will close once its pending output is written.
    pub fn is_closing(&self) -> bool {
        self.closed
            || self.state.close_after_reply
            || self.state.handle.killed.load(Ordering::Relaxed)
    }

    /// Moves the reply of a settled blocking command (served, timed out, unblocked) into the
    /// output; the client is no longer blocked.
    fn deliver_settled(&mut self) {
        let Some(waiter) = &self.state.blocked else {
            return;
        };
        let reply = {
            let mut slot = waiter.lock();
            match std::mem::replace(&mut *slot, WaitState::Gone) {
                WaitState::Settled(reply) => reply,
                other => {
                    *slot = other;
                    return;
                }
            }
        };
        if self.state.reply == ReplyMode::On {
            self.out.buf.extend_from_slice(&reply);
        }
        self.state.blocked = None;
        *self.state.handle.blocked.lock() = None;
    }

    /// A SYNC observer: copies what the propagation stream gained since the last pump into the
    /// output. An observer too slow for the stream's retention is disconnected, as Redis drops
    /// a replica beyond its output buffer limit.
    fn pump_stream(&mut self) {
        let Some(reader) = self.state.observer.as_mut() else {
            return;
        };
        match self.server.keyspace.log.read(reader) {
            Ok(chunks) => chunks
                .iter()
                .for_each(|c| self.out.buf.extend_from_slice(c)),
            Err(_) => self.closed = true,
        }
    }

    /// Writes the reply of a command whose effect has completed; the client reads on.
    fn deliver_effect(&mut self) {
        let Some(outcome) = self
            .state
            .awaiting
            .as_ref()
            .and_then(|a| a.completion.take())
        else {
            return;
        };
        let Some(awaiting) = self.state.awaiting.take() else {
            return;
        };
        let server = &*self.server;
        if let Some(msg) = crate::command::ctx::finish_effect(
            server,
            &mut self.state,
            &mut self.out,
            awaiting.then,
            outcome,
        ) {
            server.stats.record_error(msg.as_bytes());
        }
    }

    /// When the transport must call `handle_timeout` (a blocking command's timeout, or the
    /// idle `timeout`, which does not apply to blocked clients), if ever.
    pub fn poll_timeout(&self) -> Option<Now> {
        if self.state.awaiting.is_some() {
            return None;
        }
        if let Some(waiter) = &self.state.blocked {
            return (waiter.deadline_ms > 0).then(|| Now::from_ms(waiter.deadline_ms));
        }
        let secs = self.server.config.read().timeout;
        (secs > 0).then(|| Now(self.last_input.micros() + secs * 1_000_000))
    }

    /// Time has passed: closes an idle client whose `timeout` expired.
    pub fn handle_timeout(&mut self, now: Now) {
        if self.state.awaiting.is_some() {
            return self.deliver_effect();
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
        self.state.handle.mailbox.clear();
        self.server.clients.remove(self.state.handle.id);
    }
}
