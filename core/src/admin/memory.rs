//! MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP.

use super::util::help;
use crate::command::{Ctx, Handler};
use crate::keyspace::Value;
use crate::types::{hash::Hash, set::Set, zset::ZSet};

/// The MEMORY subcommands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("memory|usage", usage),
    ("memory|stats", stats),
    ("memory|doctor", doctor),
    ("memory|malloc-stats", malloc_stats),
    ("memory|purge", purge),
    ("memory|help", memory_help),
];

/// What one key costs before its key bytes and its value's own allocations: the node's
/// 32-byte entry and the table's 9-byte element and 5-byte index slot.
const PER_KEY: usize = 32 + 9 + 5;

/// What `used_memory` holds besides the dataset, as Redis's getMemoryOverheadData counts it:
/// what was allocated at startup, the clients' buffers and the keyspace's tables.
pub struct Overhead {
    /// Replicas' memory (`mem_clients_slaves`).
    pub clients_slaves: u64,
    /// Other clients' memory (`mem_clients_normal`).
    pub clients_normal: u64,
    /// Per database: the main table's and the expires set's overhead in bytes.
    pub tables: Vec<(usize, usize)>,
    /// Everything above plus startup, at most `used` (`used_memory_overhead`).
    pub total: u64,
}

impl Overhead {
    /// The overhead now, out of `m`'s figures.
    pub fn measure(server: &crate::server::Server, m: &crate::host::MemoryInfo) -> Self {
        let (slaves, normal) = super::info::clients_memory(server);
        let tables = server.keyspace.overhead_bytes();
        let table_total: usize = tables.iter().map(|(a, b)| a + b).sum();
        let total = (m.startup + (slaves + normal + table_total) as u64).min(m.used);
        Overhead {
            clients_slaves: slaves as u64,
            clients_normal: normal as u64,
            tables,
            total,
        }
    }
}

/// What a key holding `value` occupies, by lode's own sizes (MEMORY USAGE; eviction counts
/// what it frees with it).
pub fn key_bytes(key: &[u8], value: &crate::keyspace::Value) -> usize {
    PER_KEY + key.len() + value_bytes(value)
}

/// MEMORY USAGE key [SAMPLES count]: an estimate of the bytes the key and its value occupy.
/// lode's representations are not Redis's, so the figure is lode's own (sizes of its
/// allocations, computed from the structures, not sampled); SAMPLES is accepted for
/// compatibility.
fn usage(ctx: &mut Ctx) {
    let mut j = 3;
    while j < ctx.args.len() {
        if ctx.arg(j).eq_ignore_ascii_case(b"samples") && j + 1 < ctx.args.len() {
            let Some(n) = ctx.int_arg(j + 1) else { return };
            if n < 0 {
                return ctx.syntax_error();
            }
            j += 2;
        } else {
            return ctx.syntax_error();
        }
    }
    let key = ctx.arg(2);
    let mut db = ctx.lock();
    // Like Redis, an expired key not yet reclaimed is still measured.
    let size = db
        .shard_mut(key)
        .peek(key)
        .map(|e| key_bytes(key, &e.value));
    drop(db);
    match size {
        Some(n) => ctx.out.int(n as i64),
        None => ctx.out.null(),
    }
}

/// MEMORY STATS: Redis 7.0's fields, from the allocator figures INFO memory reports; the
/// overhead is startup, the clients and the keyspace's tables ([`Overhead`]), the dataset the
/// rest.
fn stats(ctx: &mut Ctx) {
    let server = ctx.server;
    let m = server.host.memory();
    let peak = server
        .stats
        .peak_memory
        .fetch_max(m.used, std::sync::atomic::Ordering::Relaxed)
        .max(m.used)
        .max(m.peak);
    let o = Overhead::measure(server, &m);
    let (replicas, normal, overhead) = (o.clients_slaves, o.clients_normal, o.total);
    let dataset = m.used - overhead;
    let keys = server.keyspace.key_count() as u64;
    let net = m.used.saturating_sub(m.startup).max(1);
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let diff = |a: u64, b: u64| a as i64 - b as i64;
    let ints: [(&str, i64); 10] = [
        ("peak.allocated", peak as i64),
        ("total.allocated", m.used as i64),
        ("startup.allocated", m.startup as i64),
        ("replication.backlog", 0),
        ("clients.slaves", replicas as i64),
        ("clients.normal", normal as i64),
        ("cluster.links", 0),
        ("aof.buffer", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ];
    let used_dbs: Vec<(usize, (usize, usize))> = o
        .tables
        .iter()
        .enumerate()
        .filter(|&(d, _)| server.keyspace.db_counts(d).0 > 0)
        .map(|(d, &t)| (d, t))
        .collect();
    ctx.out.map(ints.len() + used_dbs.len() + 17);
    for (name, v) in ints {
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(v);
    }
    for (d, (main, expires)) in used_dbs {
        ctx.out.bulk(format!("db.{d}").as_bytes());
        ctx.out.map(3);
        ctx.out.bulk(b"overhead.hashtable.main");
        ctx.out.int(main as i64);
        ctx.out.bulk(b"overhead.hashtable.expires");
        ctx.out.int(expires as i64);
        // Redis 7.0's cluster-mode key index; lode has no cluster mode.
        ctx.out.bulk(b"overhead.hashtable.slot-to-keys");
        ctx.out.int(0);
    }
    for (name, v) in [
        ("overhead.total", overhead),
        ("keys.count", keys),
        ("keys.bytes-per-key", net.checked_div(keys).unwrap_or(0)),
    ] {
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(v as i64);
    }
    ctx.out.bulk(b"dataset.bytes");
    ctx.out.int(dataset as i64);
    ctx.out.bulk(b"dataset.percentage");
    ctx.out.double(pct(dataset, net));
    ctx.out.bulk(b"peak.percentage");
    ctx.out.double(pct(m.used, peak));
    let floats = [
        ("allocator.allocated", m.allocator_allocated as i64, None),
        ("allocator.active", m.allocator_active as i64, None),
        ("allocator.resident", m.allocator_resident as i64, None),
        (
            "allocator-fragmentation.ratio",
            0,
            Some(ratio(m.allocator_active, m.allocator_allocated)),
        ),
        (
            "allocator-fragmentation.bytes",
            diff(m.allocator_active, m.allocator_allocated),
            None,
        ),
        (
            "allocator.rss-ratio",
            0,
            Some(ratio(m.allocator_resident, m.allocator_active)),
        ),
        (
            "allocator.rss-bytes",
            diff(m.allocator_resident, m.allocator_active),
            None,
        ),
        (
            "rss-overhead.ratio",
            0,
            Some(ratio(m.rss, m.allocator_resident)),
        ),
        (
            "rss-overhead.bytes",
            diff(m.rss, m.allocator_resident),
            None,
        ),
        ("fragmentation", 0, Some(ratio(m.rss, m.used))),
        ("fragmentation.bytes", diff(m.rss, m.used), None),
    ];
    for (name, int, float) in floats {
        ctx.out.bulk(name.as_bytes());
        match float {
            Some(f) => ctx.out.double(f),
            None => ctx.out.int(int),
        }
    }
}

/// Bytes a short string costs beyond its 24-byte inline slot.
fn spill(len: usize) -> usize {
    if len > 22 {
        len
    } else {
        0
    }
}

/// The heap bytes of a value, estimated from its structure.
fn value_bytes(v: &Value) -> usize {
    match v {
        Value::Int(_) => 0,
        Value::Str(s) => {
            if s.is_heap() {
                s.len()
            } else {
                0
            }
        }
        Value::Raw(r) => 24 + r.capacity(),
        Value::List(l) => l.allocated(),
        Value::Hash(h) => match &**h {
            Hash::Packed(p) => 16 + p.bytes(),
            Hash::Table(t) => {
                let strings: usize = t.iter().map(|(f, v)| spill(f.len()) + spill(v.len())).sum();
                16 + t.len() * (48 + 6) + strings
            }
        },
        Value::Set(s) => match &**s {
            Set::Ints(i) => 16 + i.len() * i.width(),
            Set::Table(_) => {
                let strings: usize = s
                    .iter()
                    .map(|m| match m {
                        crate::types::set::MemberRef::Bytes(b) => spill(b.len()),
                        crate::types::set::MemberRef::Int(_) => 0,
                    })
                    .sum();
                16 + s.len() * (24 + 6) + strings
            }
        },
        Value::ZSet(z) => zset_bytes(z),
        // The nodes' listpacks plus a B-tree slot (key and pointer) per node.
        Value::Stream(s) => {
            let nodes: usize = s.nodes().map(|(_, n)| n.bytes() + 40).sum();
            // A group: its struct and name; a pending entry: its map slot, owner handle and
            // the consumer's copy of the ID; a consumer: its struct and name.
            let groups: usize = s
                .groups
                .iter()
                .map(|(name, g)| {
                    let consumers: usize = g.consumers.keys().map(|c| 64 + c.len()).sum();
                    96 + name.len() + g.pel.len() * 88 + consumers
                })
                .sum();
            64 + nodes + groups
        }
    }
}

fn zset_bytes(z: &ZSet) -> usize {
    let mut strings = 0;
    z.for_range(0, z.len(), false, |m, _| strings += m.len());
    // Packed: member bytes plus a score and a header each; larger: an index item and a
    // member-table slot per member.
    match z {
        ZSet::Packed(_) => 16 + strings + z.len() * 10,
        _ => 16 + strings + z.len() * 72,
    }
}

/// MEMORY DOCTOR: lode keeps no memory-problem heuristics yet.
fn doctor(ctx: &mut Ctx) {
    ctx.out
        .verbatim(b"txt", b"lode has no memory problems to report.");
}

/// MEMORY MALLOC-STATS: the allocator's own report is not exposed.
fn malloc_stats(ctx: &mut Ctx) {
    ctx.out
        .verbatim(b"txt", b"Allocator statistics are not available in lode.");
}

/// MEMORY PURGE: jemalloc returns dirty pages on its own schedule; nothing to force.
fn purge(ctx: &mut Ctx) {
    ctx.out.ok();
}

const HELP: &[&str] = &[
    "DOCTOR",
    "    Reports memory problems, if any are known.",
    "MALLOC-STATS",
    "    Reports the memory allocator's statistics, where available.",
    "PURGE",
    "    Asks the allocator to return unused memory.",
    "USAGE <key> [SAMPLES <count>]",
    "    Estimates the bytes <key> and its value occupy.",
];

fn memory_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}
