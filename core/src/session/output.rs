//! The session's reply buffer: replies held for the AOF's fsync, the output limit, what the
//! transport may write, and closing without writing (a client over its limit, or killed).

use std::sync::atomic::Ordering;

use bytes::Buf;

use super::Session;
use crate::clock::Now;
use crate::config::ObufLimit;
use crate::stats::Stats;

/// The output buffer capacity kept once everything is written: Redis's static reply buffer
/// (PROTO_REPLY_CHUNK_BYTES). Anything bigger is freed.
const KEPT_OUTPUT: usize = 16 * 1024;

impl Session {
    /// With `appendfsync always`: the replies produced since `from` wait until the stream is
    /// durable up to where it is now, which covers every write they could have observed.
    pub(super) fn hold_for_durability(&mut self, from: usize) {
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
    pub(super) fn releasable(&self) -> usize {
        match self.held {
            Some((start, need)) if !self.server.durability.released(need) => start,
            _ => self.out.buf.len(),
        }
    }

    /// Whether replies are waiting for the AOF's fsync (never for a killed client, which
    /// closes without its replies).
    pub fn has_held_output(&self) -> bool {
        !self.state.handle.killed.load(Ordering::Relaxed) && self.releasable() < self.out.buf.len()
    }

    /// Publishes the output's size to the handle (CLIENT LIST omem, the publishers' hard
    /// limit check) and closes the client if it went over its limit.
    pub(super) fn check_output_limit(&mut self, limit: &ObufLimit, now: Now) {
        let used = self.out.buf.len() + self.state.handle.mailbox.len();
        self.state.handle.omem.store(used, Ordering::Relaxed);
        if self.output_limit.exceeded(limit, used, now.ms()) {
            self.close_over_limit();
        }
        // After the output limit: a client it closes frees its buffers without first
        // pushing the clients' total over maxmemory-clients (Redis gives the limit
        // precedence too).
        self.publish_capacity();
    }

    /// Closes the client at once, dropping what it has not read, as Redis does with a client
    /// over its output buffer limit.
    pub(super) fn close_over_limit(&mut self) {
        if !self.closed {
            let line = crate::admin::client_line::client_line(
                &self.state.handle,
                None,
                &self.server.commands,
                self.server.last_now.load(Ordering::Relaxed) / 1000,
            );
            self.server.host.log(&format!(
                "Client {line} scheduled to be closed ASAP for overcoming of output buffer limits."
            ));
        }
        // Publishers stop queueing for it, and nothing more is written to it.
        self.state.handle.over_limit.store(true, Ordering::Relaxed);
        self.state.handle.killed.store(true, Ordering::Relaxed);
        self.close_killed();
    }

    /// Closes a client another one killed (CLIENT KILL), dropping what it has not read, as
    /// Redis frees such a client at once.
    pub(super) fn close_killed(&mut self) {
        self.closed = true;
        self.held = None;
        // Freed now, not when the transport gets round to dropping the session.
        self.out.buf = bytes::BytesMut::new();
        self.state.handle.mailbox.clear();
        self.out_written = 0;
        self.state.handle.omem.store(0, Ordering::Relaxed);
        self.state.handle.obuf_capacity.store(0, Ordering::Relaxed);
    }

    /// Replies that may be written now (not those waiting for the AOF's fsync, nor any for a
    /// client killed by another, which closes without them).
    pub fn pending_output(&self) -> &[u8] {
        if self.state.handle.killed.load(Ordering::Relaxed) {
            return &[];
        }
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
        self.out_written += n;
        if self.out.buf.is_empty() {
            if self.out.buf.capacity() > KEPT_OUTPUT {
                // A buffer grown for a big reply goes back to the allocator once written,
                // as Redis frees its reply list blocks.
                self.out.buf = bytes::BytesMut::with_capacity(KEPT_OUTPUT);
            } else {
                self.out.buf.clear();
            }
            self.out_written = 0;
        } else if self.out_written > KEPT_OUTPUT && self.out_written >= self.out.buf.len() {
            // What was written still occupies the allocation: once it outweighs what is
            // left, the rest moves to a buffer of its own (copying at most what was written
            // since the last move, so each byte is copied O(1) times).
            let mut rest = bytes::BytesMut::with_capacity(self.out.buf.len().max(KEPT_OUTPUT));
            rest.extend_from_slice(&self.out.buf);
            self.out.buf = rest;
            self.out_written = 0;
        }
        let queued = self.state.handle.mailbox.len();
        self.state
            .handle
            .omem
            .store(self.out.buf.len() + queued, Ordering::Relaxed);
        self.publish_capacity();
    }

    /// Publishes the output buffer's allocated size (`tot-mem`) and this client's memory to
    /// client eviction's total.
    fn publish_capacity(&self) {
        let handle = &self.state.handle;
        handle.obuf_capacity.store(
            self.out_written + self.out.buf.capacity(),
            Ordering::Relaxed,
        );
        self.server.eviction.clients.account(handle);
        // Over maxmemory-clients the biggest clients go now, as Redis evicts clients as soon
        // as their buffers grow (this one too, mid-read).
        crate::evict::clients::evict(&self.server, false);
    }
}
