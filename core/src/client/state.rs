//! `ClientState`: the per-connection state a command may change (database, transaction,
//! watched keys, reply mode, blocking), which the call boundary hands to handlers.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::{ClientHandle, Waiter};
use crate::effects::Awaiting;
use crate::keyspace::{WatchRegistry, Watched};
use crate::propagate::LogReader;

/// An open transaction: the commands queued since MULTI.
#[derive(Default)]
pub struct Multi {
    /// Queued commands, arguments included.
    pub queue: Vec<Vec<Bytes>>,
    /// A command was rejected while queueing: EXEC must fail with EXECABORT.
    pub aborted: bool,
    /// A queued command may write or replicate (Redis's `mstate.cmd_flags` for WRITE and
    /// MAY_REPLICATE): a CLIENT PAUSE ... WRITE holds the EXEC back.
    pub may_replicate: bool,
    /// A queued command is flagged DENYOOM (Redis's `mstate.cmd_flags`): EXEC is refused
    /// while memory is over `maxmemory`.
    pub deny_oom: bool,
    /// Bytes of the queued arguments plus a pointer per argument (Redis's
    /// `mstate.argv_len_sums`, CLIENT LIST `multi-mem`).
    pub argv_len_sums: usize,
}

impl Multi {
    /// Queues `args`; `may_replicate` says whether the command may write or replicate.
    pub fn push(&mut self, args: &[Bytes], may_replicate: bool, deny_oom: bool) {
        let len: usize = args.iter().map(|a| a.len()).sum();
        self.argv_len_sums += len + ARG_POINTER * args.len();
        self.may_replicate |= may_replicate;
        self.deny_oom |= deny_oom;
        self.queue.push(args.to_vec());
    }
}

/// What Redis counts per argument of a queued command (a `robj *`).
pub const ARG_POINTER: usize = 8;

/// Per-connection state a command may change.
pub struct ClientState {
    /// Selected database.
    pub db: usize,
    /// Close once the pending replies are written (QUIT, protocol error).
    pub close_after_reply: bool,
    /// CLIENT NO-EVICT.
    pub no_evict: bool,
    /// CLIENT NO-TOUCH.
    pub no_touch: bool,
    /// The registry entry other sessions see.
    pub handle: Arc<ClientHandle>,
    /// The open transaction (MULTI), if any.
    pub multi: Option<Multi>,
    /// The keys this client WATCHes.
    pub watched: Watched,
    /// CLIENT REPLY mode.
    pub reply: ReplyMode,
    /// EXEC is running this client's queued commands.
    pub in_exec: bool,
    /// A script or function this client called is running commands (redis.call): blocking
    /// commands answer as if their timeout had passed, effects run inline.
    pub in_script: bool,
    /// A client that must never wait (the AOF loader's, as Redis's CLIENT_DENY_BLOCKING):
    /// blocking commands answer as if their timeout had passed, effects run inline.
    pub deny_blocking: bool,
    /// The replication offset this client's last write reached (what WAIT waits for).
    pub woff: u64,
    /// The client has authenticated, or needed not (no password was set when it connected):
    /// Redis's `c->authenticated`.
    pub authenticated: bool,
    /// The client's user and the rules it last saw; None for internal clients (the AOF
    /// loader's), which may run anything, as Redis's clients without a user.
    pub acl: Option<crate::acl::ClientAcl>,
    /// Memory was over `maxmemory`, with nothing left to evict, when this client's current
    /// top-level command began (Redis's `pre_command_oom_state`): a script it runs may not
    /// call DENYOOM commands.
    pub oom_at_start: bool,
    /// Replays commands that were already accepted once (the AOF loader): Redis's
    /// mustObeyClient, for which a few checks are relaxed (XADD/XTRIM's LIMIT without `~`).
    pub replaying: bool,
    /// The blocking command this client waits in, if any: no further input is executed
    /// until it is settled.
    pub blocked: Option<Arc<Waiter>>,
    /// The effect (CONFIG REWRITE, SHUTDOWN...) this client waits for, if any: like a blocked
    /// client, no further input is executed until it completes.
    pub awaiting: Option<Awaiting>,
    /// After SYNC or PSYNC: this client's place in the propagation stream, which the session
    /// copies into its output as it grows.
    pub observer: Option<LogReader>,
    /// This state runs a blocked client's command on its behalf: a command that finds no data
    /// must write nothing (the client stays blocked) rather than block again.
    pub serving_blocked: bool,
    /// The hard output limit of the client's class (0 = none), for commands that can tell
    /// before building it that a reply would go over it.
    pub output_hard_limit: u64,
    /// Channels, patterns and shard channels the client is subscribed to.
    pub subs: crate::pubsub::Subscriptions,
}

/// What CLIENT REPLY asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replies are sent.
    On,
    /// Replies are discarded (CLIENT REPLY OFF).
    Off,
    /// CLIENT REPLY SKIP just ran: its own reply is discarded, and the next command's too.
    SkipArmed,
    /// The next command's reply is discarded.
    SkipNext,
}

impl ClientState {
    /// An internal client that replays what the server already accepted (the AOF loader, a
    /// replica's master client): obeyed as Redis's mustObeyClient, never blocked.
    pub fn replayer(now_ms: u64) -> Self {
        let handle = Arc::new(ClientHandle::new(
            0,
            super::ClientInfo::Internal,
            now_ms,
            Arc::new(super::NoopWaker),
        ));
        Self::obeyed(handle)
    }

    /// A client whose commands are obeyed, not checked (see [`ClientState::replayer`]),
    /// registered as `handle`.
    pub fn obeyed(handle: Arc<ClientHandle>) -> Self {
        let mut client = ClientState::new(handle);
        client.deny_blocking = true;
        client.replaying = true;
        client
    }

    /// The state of a freshly connected client registered as `handle`.
    pub fn new(handle: Arc<ClientHandle>) -> Self {
        let watched = Watched::sharing(handle.watch.clone());
        ClientState {
            db: 0,
            close_after_reply: false,
            no_evict: false,
            no_touch: false,
            handle,
            multi: None,
            watched,
            reply: ReplyMode::On,
            in_exec: false,
            in_script: false,
            deny_blocking: false,
            woff: 0,
            replaying: false,
            oom_at_start: false,
            authenticated: true,
            acl: None,
            blocked: None,
            awaiting: None,
            observer: None,
            serving_blocked: false,
            output_hard_limit: 0,
            subs: Default::default(),
        }
    }

    /// A state for `dispatch::execute`, used by whichever session serves
    /// `waiter` when a key it waits on becomes ready.
    pub fn serving(waiter: &Waiter) -> Self {
        ClientState {
            db: waiter.db,
            no_touch: waiter.no_touch,
            serving_blocked: true,
            // Its own, not the client's: nothing done on its behalf may clear its watches.
            watched: Watched::default(),
            ..ClientState::new(waiter.client.clone())
        }
    }

    /// Whether a blocking command may block now: not inside MULTI/EXEC (where it answers as
    /// if its timeout had passed) and not when serving a blocked client.
    pub fn may_block(&self) -> bool {
        !self.in_exec
            && !self.in_script
            && self.multi.is_none()
            && !self.serving_blocked
            && !self.deny_blocking
    }

    /// Whether a command may leave its reply to a later completion (an effect): not inside
    /// EXEC, whose replies are written in one go, nor when serving a blocked client.
    pub fn may_wait(&self) -> bool {
        !self.in_exec && !self.in_script && !self.serving_blocked && !self.deny_blocking
    }

    /// Ends any transaction and forgets watched keys (RESET, disconnect).
    pub fn reset_transaction(&mut self, watches: &WatchRegistry) {
        self.multi = None;
        self.handle.multi.store(-1, Ordering::Relaxed);
        self.handle.multi_mem.store(0, Ordering::Relaxed);
        watches.clear(&mut self.watched);
    }
}
