//! `Waiter`: one blocked client, as the registry and other sessions see it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::ClientHandle;
use crate::resp::ReplyWriter;
use crate::sync::{Mutex, MutexGuard};

/// What a blocking command replies at once inside MULTI/EXEC, where it may not block. (A
/// timeout, or CLIENT UNBLOCK ... TIMEOUT, always replies with a null array, as in Redis 7.0.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutReply {
    /// A null array (BLPOP, BRPOP, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP).
    NullArray,
    /// A null bulk string (BLMOVE, BRPOPLPUSH).
    Null,
}

/// Where a waiter stands. Moves only from `Blocked`, once, under the slot's lock.
#[derive(Debug)]
pub enum WaitState {
    /// Still waiting.
    Blocked,
    /// Settled: the reply its session must send (served, timed out or unblocked).
    Settled(BytesMut),
    /// The client disconnected.
    Gone,
}

/// A client blocked on keys.
pub struct Waiter {
    /// The client's session handle (id, waker, last command).
    pub client: Arc<ClientHandle>,
    /// The database the command runs in.
    pub db: usize,
    /// The distinct keys it waits on.
    pub keys: Vec<Bytes>,
    /// The command to re-run when a key becomes ready.
    pub args: Vec<Bytes>,
    /// Whether replies are RESP3.
    pub resp3: bool,
    /// CLIENT NO-TOUCH was on when it blocked.
    pub no_touch: bool,
    /// Unix milliseconds after which it times out; 0 = never.
    pub deadline_ms: u64,
    slot: Mutex<WaitState>,
}

impl Waiter {
    /// A waiter in the `Blocked` state.
    pub fn new(
        client: Arc<ClientHandle>,
        db: usize,
        keys: Vec<Bytes>,
        args: Vec<Bytes>,
        resp3: bool,
        no_touch: bool,
        deadline_ms: u64,
    ) -> Self {
        Waiter {
            client,
            db,
            keys,
            args,
            resp3,
            no_touch,
            deadline_ms,
            slot: Mutex::new(WaitState::Blocked),
        }
    }

    /// Locks the waiter's state. Holding it is what makes service, timeout and unblock
    /// mutually exclusive.
    pub fn lock(&self) -> MutexGuard<'_, WaitState> {
        self.slot.lock()
    }

    /// A writer for this waiter's protocol.
    pub fn writer(&self) -> ReplyWriter {
        let mut out = ReplyWriter::new();
        out.resp3 = self.resp3;
        out
    }

    /// The reply it gets on timeout: a null array, whatever the command (Redis 7.0's
    /// replyToBlockedClientTimedOut for lists and sorted sets).
    pub fn timeout_reply(&self) -> BytesMut {
        let mut out = self.writer();
        out.null_array();
        out.buf
    }
}
