//! What reaches a session from elsewhere between its commands: a settled blocking command's
//! reply, a completed effect's, and the propagation stream a replica follows.

use super::Session;
use crate::blocking::WaitState;
use crate::client::ReplyMode;

impl Session {
    /// Moves the reply of a settled blocking command (served, timed out, unblocked) into the
    /// output; the client is no longer blocked.
    pub(super) fn deliver_settled(&mut self) {
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
    pub(super) fn pump_stream(&mut self) {
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
    pub(super) fn deliver_effect(&mut self) {
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
}
