//! `Waiter`: one blocked client, as the registry and other sessions see it.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::admin::clients::ClientHandle;
use crate::resp::ReplyWriter;
use crate::sync::{Mutex, MutexGuard};

/// What a blocked command replies when its timeout passes (or CLIENT UNBLOCK ... TIMEOUT).
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
    /// What it replies on timeout.
    pub on_timeout: TimeoutReply,
    slot: Mutex<WaitState>,
}

impl Waiter {
    /// A waiter in the `Blocked` state.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: Arc<ClientHandle>,
        db: usize,
        keys: Vec<Bytes>,
        args: Vec<Bytes>,
        resp3: bool,
        no_touch: bool,
        deadline_ms: u64,
        on_timeout: TimeoutReply,
    ) -> Self {
        Waiter {
            client,
            db,
            keys,
            args,
            resp3,
            no_touch,
            deadline_ms,
            on_timeout,
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

    /// The reply it gets on timeout.
    pub fn timeout_reply(&self) -> BytesMut {
        let mut out = self.writer();
        match self.on_timeout {
            TimeoutReply::NullArray => out.null_array(),
            TimeoutReply::Null => out.null(),
        }
        out.buf
    }
}
