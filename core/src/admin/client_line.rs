//! One CLIENT LIST / CLIENT INFO line, with Redis 7.0's fields in Redis 7.0's order, computed
//! as Redis's catClientInfoString computes them wherever lode has the data.
//!
//! Where lode has no equivalent the value is Redis's for a fresh client: `fd` is -1 (the
//! transport doesn't report descriptors), `rbs`/`rbp` are the 16 KiB reply buffer Redis starts
//! every client with, `user` is `default`. `tot-mem` adds up what Redis's
//! getClientMemoryUsage counts, with Redis's own sizes for its structures.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use crate::client::{ClientHandle, ClientInfo, WaitState};
use crate::command::CommandTable;
use crate::tracking::TrackingFlags;

/// Redis's static reply buffer (PROTO_REPLY_CHUNK_BYTES): `rbs`, `rbp`, and the output
/// counted in `obl` before the rest goes to the reply list.
const REPLY_CHUNK: usize = 16 * 1024;
/// What Redis's allocator gives a `client` struct (7.0.15, jemalloc).
const CLIENT_STRUCT: usize = 768;
/// Sizes of Redis structures counted in `tot-mem`: a list node, a dict entry, a bucket
/// pointer, a watched key, a queued command's slot.
const LIST_NODE: usize = 24;
const DICT_ENTRY: usize = 24;
const DICT_SLOT: usize = 8;
const WATCHED_KEY: usize = 32;
const MULTI_CMD: usize = 24;
/// What Redis counts per argument (a `robj *`).
const ARG_POINTER: usize = crate::client::ARG_POINTER;

/// What only the client running CLIENT LIST or CLIENT INFO knows of itself, mid-command: Redis
/// lists that client with the command it is executing.
pub struct Caller<'a> {
    /// The running command's arguments (`argv-mem`).
    pub args: &'a [Bytes],
    /// Output produced and not yet written, this command's earlier replies included.
    pub pending: usize,
    /// The client closes once its replies are written (flag `c`).
    pub close_after_reply: bool,
}

/// The client's address as Redis prints it ("ip:port", "[ipv6]:port", "/path:0").
pub fn peer_addr(info: &ClientInfo) -> String {
    info.peer_id()
}

/// The local address the client connected to, as Redis prints it.
pub fn local_addr(info: &ClientInfo) -> String {
    info.local_id()
}

/// The client type CLIENT LIST/KILL TYPE name (Redis's getClientTypeByName): lode has no
/// "master" client, so that type matches none.
pub fn parse_type(name: &[u8]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    match &lower[..] {
        b"normal" => Some("normal"),
        b"slave" | b"replica" => Some("replica"),
        b"pubsub" => Some("pubsub"),
        b"master" => Some("master"),
        _ => None,
    }
}

/// The client's type for CLIENT LIST/KILL TYPE.
pub fn client_type(h: &ClientHandle) -> &'static str {
    if h.master.load(Ordering::Relaxed) {
        return "master";
    }
    h.class().name()
}

/// Redis's flag letters for `h`, in Redis's order (`N` when there are none).
fn flags(h: &ClientHandle, caller: Option<&Caller<'_>>) -> String {
    let mut f = String::new();
    if h.monitor.load(Ordering::Relaxed) {
        f.push('O');
    } else if h.replica.load(Ordering::Relaxed) {
        f.push('S');
    }
    if h.master.load(Ordering::Relaxed) {
        f.push('M');
    }
    if h.is_subscriber() {
        f.push('P');
    }
    if h.multi.load(Ordering::Relaxed) >= 0 {
        f.push('x');
    }
    if is_blocked(h) {
        f.push('b');
    }
    let tracking = h.tracking.flags();
    for (flag, c) in [
        (TrackingFlags::ON, 't'),
        (TrackingFlags::BROKEN_REDIR, 'R'),
        (TrackingFlags::BCAST, 'B'),
    ] {
        if tracking.has(flag) {
            f.push(c);
        }
    }
    if h.watch.is_dirty() {
        f.push('d');
    }
    if caller.is_some_and(|c| c.close_after_reply) {
        f.push('c');
    }
    if h.over_limit.load(Ordering::Relaxed) {
        f.push('A');
    }
    if matches!(h.info, ClientInfo::Unix { .. }) {
        f.push('U');
    }
    if h.no_evict.load(Ordering::Relaxed) {
        f.push('e');
    }
    if h.no_touch.load(Ordering::Relaxed) {
        f.push('T');
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// Whether the client waits on keys (a blocking command) or for a pause to end.
fn is_blocked(h: &ClientHandle) -> bool {
    h.paused.load(Ordering::Relaxed)
        || h.blocked
            .lock()
            .as_ref()
            .is_some_and(|w| matches!(*w.lock(), WaitState::Blocked))
}

/// The slots of a Redis dict holding `n` entries (it starts at 4 and doubles when full).
fn dict_slots(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.next_power_of_two().max(4)
    }
}

/// What Redis's pubsubMemOverhead counts for the client's subscriptions.
fn pubsub_mem(sub: usize, psub: usize, ssub: usize) -> usize {
    psub * LIST_NODE + (sub + ssub) * DICT_ENTRY + (dict_slots(sub) + dict_slots(ssub)) * DICT_SLOT
}

/// What Redis's multiStateMemOverhead counts: the queued arguments, the watched keys (none
/// once one was touched: Redis unwatches them then) and the queue's slots.
fn multi_overhead(h: &ClientHandle) -> usize {
    let queued = h.multi.load(Ordering::Relaxed).max(0) as usize;
    let slots = if queued == 0 {
        0
    } else {
        queued.next_power_of_two().max(2)
    };
    let watched = if h.watch.is_dirty() {
        0
    } else {
        h.watch.keys()
    };
    h.multi_mem.load(Ordering::Relaxed) + watched * (LIST_NODE + WATCHED_KEY) + slots * MULTI_CMD
}

/// The memory a client holds, as CLIENT LIST's `tot-mem` counts it for a client not running
/// a command (INFO's `mem_clients_normal` adds these up).
pub fn total_memory(h: &ClientHandle) -> usize {
    memory_with(
        h,
        h.omem.load(Ordering::Relaxed),
        h.argv_mem.load(Ordering::Relaxed),
        h.argc.load(Ordering::Relaxed),
    )
}

/// `tot-mem` for `pending` bytes of output and a command of `argc` arguments totalling
/// `argv_mem` bytes (the caller's own, while it runs CLIENT LIST).
fn memory_with(h: &ClientHandle, pending: usize, argv_mem: usize, argc: usize) -> usize {
    let [sub, psub, ssub] = [0, 1, 2].map(|i| h.subscriptions[i].load(Ordering::Relaxed));
    // What the output buffer holds allocated, when that is more than its contents, plus
    // messages queued for the client since (invalidations, published messages).
    let allocated = h.obuf_capacity.load(Ordering::Relaxed) + h.mailbox.len();
    let pending = pending.max(allocated);
    pending - pending.min(REPLY_CHUNK)
        + h.qbuf.load(Ordering::Relaxed)
        + h.qbuf_free.load(Ordering::Relaxed)
        + CLIENT_STRUCT
        + REPLY_CHUNK
        + argv_mem
        + ARG_POINTER * argc
        + multi_overhead(h)
        + pubsub_mem(sub, psub, ssub)
        + tracking_prefixes_mem(h)
}

/// What a client's BCAST prefixes cost (Redis counts its rax's nodes): each prefix is a
/// `Bytes` in a B-tree.
fn tracking_prefixes_mem(h: &ClientHandle) -> usize {
    const PER_PREFIX: usize = 48;
    if !h.tracking.flags().has(TrackingFlags::BCAST) {
        return 0;
    }
    h.tracking.prefixes.lock().len() * PER_PREFIX
}

/// One CLIENT LIST / CLIENT INFO line (without its newline). `caller` is given when `h` is the
/// client running the command.
pub fn client_line(
    h: &ClientHandle,
    caller: Option<&Caller<'_>>,
    commands: &CommandTable,
    now_ms: u64,
) -> String {
    let name = h
        .name
        .lock()
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let age = now_ms.saturating_sub(h.created_ms) / 1000;
    let idle = now_ms.saturating_sub(h.last_interaction_ms.load(Ordering::Relaxed)) / 1000;
    let qbuf = h.qbuf.load(Ordering::Relaxed);
    let qbuf_free = h.qbuf_free.load(Ordering::Relaxed);
    let (argv_mem, argc) = match caller {
        Some(c) => (c.args.iter().map(|a| a.len()).sum(), c.args.len()),
        None => (
            h.argv_mem.load(Ordering::Relaxed),
            h.argc.load(Ordering::Relaxed),
        ),
    };
    // Redis keeps the first 16 KiB of output in its static buffer (obl) and the rest in a list
    // of 16 KiB blocks (oll, whose bytes are omem); the same split of lode's pending output.
    let pending = caller.map_or(h.omem.load(Ordering::Relaxed), |c| c.pending);
    let obl = pending.min(REPLY_CHUNK);
    let omem = pending - obl;
    let oll = omem.div_ceil(REPLY_CHUNK);
    let [sub, psub, ssub] = [0, 1, 2].map(|i| h.subscriptions[i].load(Ordering::Relaxed));
    let tot_mem = memory_with(h, pending, argv_mem, argc);
    // Redis watches for writability only when a write could not finish: the caller's own
    // replies are still being produced, anyone else's are waiting for the socket.
    let events = if pending > 0 && caller.is_none() {
        "rw"
    } else {
        "r"
    };
    let tracking = h.tracking.flags();
    let redir = if tracking.has(TrackingFlags::ON) {
        h.tracking.redirect() as i64
    } else {
        -1
    };
    let mut s = String::with_capacity(320);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd=-1 name={name} age={age} idle={idle} flags={} db={} \
         sub={sub} psub={psub} ssub={ssub} multi={} qbuf={qbuf} qbuf-free={qbuf_free} \
         argv-mem={argv_mem} multi-mem={} rbs={REPLY_CHUNK} rbp={REPLY_CHUNK} obl={obl} \
         oll={oll} omem={omem} tot-mem={tot_mem} events={events} cmd={} user={} \
         redir={redir} resp={}",
        h.id,
        peer_addr(&h.info),
        local_addr(&h.info),
        flags(h, caller),
        h.db.load(Ordering::Relaxed),
        h.multi.load(Ordering::Relaxed),
        h.multi_mem.load(Ordering::Relaxed),
        commands.name_of(h.last_cmd_id()),
        String::from_utf8_lossy(&h.user_name()),
        h.resp.load(Ordering::Relaxed),
    );
    s
}
