//! Shared pieces of lode's fuzz targets: an `Arbitrary` model of command sequences over a
//! small key pool, and helpers to run them through in-process sessions.

use std::collections::BTreeSet;
use std::sync::Arc;

use arbitrary::Arbitrary;
use lode_core::config::Config;
use lode_core::resp::value::{parse, Value};
use lode_core::testkit::{frame, TestClient, EPOCH_MS};
use lode_core::Server;

/// Keys collide on purpose: two of them share a hash tag.
pub const KEYS: [&str; 4] = ["a", "b", "{t}1", "{t}2"];
/// Databases the servers have; the sequences also name one past the end (SELECT, MOVE, SWAPDB,
/// COPY DB). The checker visits each.
pub const DBS: i64 = 3;

/// String values: integers at the edges, non-canonical integers, floats, text.
const VALUES: [&str; 20] = [
    "0",
    "1",
    "-1",
    "42",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "01",
    "+1",
    " 1",
    "-0",
    "1.5",
    "3.0e2",
    "inf",
    "abc",
    "",
    "12345678901234567890",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "\u{0}\r\n$",
];

/// Integer arguments: counts, offsets, TTLs (kept small where they size allocations).
const INTS: [i64; 14] = [
    0,
    1,
    -1,
    2,
    3,
    10,
    100,
    1000,
    -100,
    i64::MAX,
    i64::MIN,
    i64::MAX / 1000,
    EPOCH_MS as i64 / 1000 + 5,
    EPOCH_MS as i64 + 5000,
];

#[derive(Arbitrary, Debug, Clone)]
pub enum Val {
    Pool(u8),
    Bytes(Vec<u8>),
    Int(i64),
}

impl Val {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Val::Pool(i) => VALUES[usize::from(*i) % VALUES.len()].as_bytes().to_vec(),
            Val::Bytes(b) => b.iter().take(64).copied().collect(),
            Val::Int(n) => n.to_string().into_bytes(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Int {
    Pool(u8),
    Small(i16),
    Any(i64),
}

impl Int {
    fn get(self) -> i64 {
        match self {
            Int::Pool(i) => INTS[usize::from(i) % INTS.len()],
            Int::Small(n) => i64::from(n),
            Int::Any(n) => n,
        }
    }
    /// For offsets and lengths that size an allocation: at most a few KiB.
    fn small(self) -> i64 {
        match self {
            Int::Any(n) => n % 4096,
            other => {
                let n = other.get();
                if (-4096..=4096).contains(&n) {
                    n
                } else {
                    n % 4096
                }
            }
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Name {
    Get,
    Set,
    SetNx,
    SetEx,
    PSetEx,
    GetSet,
    GetDel,
    GetEx,
    Incr,
    Decr,
    IncrBy,
    DecrBy,
    IncrByFloat,
    Append,
    SetRange,
    GetRange,
    Substr,
    Strlen,
    MSet,
    MSetNx,
    MGet,
    Del,
    Unlink,
    Exists,
    Touch,
    Expire,
    PExpire,
    ExpireAt,
    PExpireAt,
    Persist,
    Ttl,
    PTtl,
    ExpireTime,
    Rename,
    RenameNx,
    Copy,
    Move,
    Select,
    SwapDb,
    FlushDb,
    FlushAll,
    Scan,
    Keys,
    Type,
    ObjectEncoding,
    Lcs,
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
    DbSize,
    RandomKey,
    // Collections (no command with a random outcome: the differential target compares replies).
    Push,
    Pop,
    LRange,
    LRem,
    LInsert,
    LSet,
    LTrim,
    LMove,
    HSet,
    HDel,
    HIncrBy,
    HGetAll,
    SAdd,
    SRem,
    SMove,
    SStore,
    SMembers,
    ZAdd,
    ZIncrBy,
    ZRem,
    ZPop,
    ZRange,
    ZStore,
    ZRangeStore,
    Sort,
    XAdd,
    XDel,
    XTrim,
    XRange,
    XGroup,
    XReadGroup,
    XAck,
    XClaim,
    XAutoClaim,
}

/// One structured command: a name plus enough material for any of its forms.
#[derive(Arbitrary, Debug, Clone)]
pub struct Op {
    pub name: Name,
    pub keys: [u8; 3],
    pub vals: [Val; 2],
    pub ints: [Int; 2],
    pub flags: u16,
}

/// One step: a command, then time passes and maybe the server cron runs.
#[derive(Arbitrary, Debug, Clone)]
pub struct Step {
    pub op: Op,
    pub advance: u8,
    pub tick: bool,
}

impl Step {
    /// Milliseconds the clock moves after this step.
    pub fn advance_ms(&self) -> u64 {
        match self.advance {
            0..=127 => 0,
            128..=191 => u64::from(self.advance & 15),
            192..=247 => u64::from(self.advance - 190) * 100,
            _ => 10_000,
        }
    }
}

/// A stream ID from a small pool, so that commands meet each other's entries.
fn stream_id(i: Int) -> Vec<u8> {
    let n = i.get().unsigned_abs();
    format!("{}-{}", n % 40, (n / 40) % 3).into_bytes()
}

/// One of two consumer group names (flags bits 0-1).
fn group(f: u16) -> Vec<u8> {
    if f & 1 == 0 {
        b"g".to_vec()
    } else {
        b"h".to_vec()
    }
}

/// One of three consumer names (flags bits 4-5).
fn consumer(f: u16) -> Vec<u8> {
    format!("c{}", (f >> 4) % 3).into_bytes()
}

fn db(i: Int) -> Vec<u8> {
    let n = i.get();
    // Mostly valid databases, sometimes one out of range or malformed.
    let d = if (-1..=DBS).contains(&n) {
        n
    } else {
        n.rem_euclid(DBS)
    };
    d.to_string().into_bytes()
}

impl Op {
    /// The command's arguments.
    pub fn args(&self) -> Vec<Vec<u8>> {
        let k = |i: usize| {
            KEYS[usize::from(self.keys[i]) % KEYS.len()]
                .as_bytes()
                .to_vec()
        };
        let v = |i: usize| self.vals[i].bytes();
        let n = |i: usize| self.ints[i].get().to_string().into_bytes();
        let small = |i: usize| self.ints[i].small().to_string().into_bytes();
        let f = self.flags;
        let bit = |b: u32| f & (1 << b) != 0;
        let s = |x: &str| x.as_bytes().to_vec();
        let mut a: Vec<Vec<u8>> = Vec::new();
        let expiry = |a: &mut Vec<Vec<u8>>, sel: u16| match sel % 6 {
            0 => {}
            1 => a.extend([s("EX"), n(0)]),
            2 => a.extend([s("PX"), n(0)]),
            3 => a.extend([s("EXAT"), n(0)]),
            4 => a.extend([s("PXAT"), n(0)]),
            _ => a.push(s("KEEPTTL")),
        };
        match self.name {
            Name::Get => a.extend([s("GET"), k(0)]),
            Name::Set => {
                a.extend([s("SET"), k(0), v(0)]);
                match f % 3 {
                    1 => a.push(s("NX")),
                    2 => a.push(s("XX")),
                    _ => {}
                }
                if bit(2) {
                    a.push(s("GET"));
                }
                expiry(&mut a, f >> 3);
            }
            Name::SetNx => a.extend([s("SETNX"), k(0), v(0)]),
            Name::SetEx => a.extend([s("SETEX"), k(0), n(0), v(0)]),
            Name::PSetEx => a.extend([s("PSETEX"), k(0), n(0), v(0)]),
            Name::GetSet => a.extend([s("GETSET"), k(0), v(0)]),
            Name::GetDel => a.extend([s("GETDEL"), k(0)]),
            Name::GetEx => {
                a.extend([s("GETEX"), k(0)]);
                if f % 7 == 6 {
                    a.push(s("PERSIST"));
                } else {
                    expiry(&mut a, f % 5);
                }
            }
            Name::Incr => a.extend([s("INCR"), k(0)]),
            Name::Decr => a.extend([s("DECR"), k(0)]),
            Name::IncrBy => a.extend([s("INCRBY"), k(0), n(0)]),
            Name::DecrBy => a.extend([s("DECRBY"), k(0), n(0)]),
            Name::IncrByFloat => a.extend([s("INCRBYFLOAT"), k(0), v(0)]),
            Name::Append => a.extend([s("APPEND"), k(0), v(0)]),
            Name::SetRange => a.extend([s("SETRANGE"), k(0), small(0), v(0)]),
            Name::GetRange => a.extend([s("GETRANGE"), k(0), n(0), n(1)]),
            Name::Substr => a.extend([s("SUBSTR"), k(0), n(0), n(1)]),
            Name::Strlen => a.extend([s("STRLEN"), k(0)]),
            Name::MSet => a.extend([s("MSET"), k(0), v(0), k(1), v(1)]),
            Name::MSetNx => a.extend([s("MSETNX"), k(0), v(0), k(1), v(1)]),
            Name::MGet => a.extend([s("MGET"), k(0), k(1), k(2)]),
            Name::Del => a.extend([s("DEL"), k(0), k(1)]),
            Name::Unlink => a.extend([s("UNLINK"), k(0), k(1)]),
            Name::Exists => a.extend([s("EXISTS"), k(0), k(1), k(0)]),
            Name::Touch => a.extend([s("TOUCH"), k(0), k(1)]),
            Name::Expire | Name::PExpire | Name::ExpireAt | Name::PExpireAt => {
                let name = match self.name {
                    Name::Expire => "EXPIRE",
                    Name::PExpire => "PEXPIRE",
                    Name::ExpireAt => "EXPIREAT",
                    _ => "PEXPIREAT",
                };
                a.extend([s(name), k(0), n(0)]);
                match f % 6 {
                    1 => a.push(s("NX")),
                    2 => a.push(s("XX")),
                    3 => a.push(s("GT")),
                    4 => a.push(s("LT")),
                    _ => {}
                }
            }
            Name::Persist => a.extend([s("PERSIST"), k(0)]),
            Name::Ttl => a.extend([s("TTL"), k(0)]),
            Name::PTtl => a.extend([s("PTTL"), k(0)]),
            Name::ExpireTime => {
                a.extend([s(if bit(0) { "PEXPIRETIME" } else { "EXPIRETIME" }), k(0)])
            }
            Name::Rename => a.extend([s("RENAME"), k(0), k(1)]),
            Name::RenameNx => a.extend([s("RENAMENX"), k(0), k(1)]),
            Name::Copy => {
                a.extend([s("COPY"), k(0), k(1)]);
                if bit(0) {
                    a.extend([s("DB"), db(self.ints[0])]);
                }
                if bit(1) {
                    a.push(s("REPLACE"));
                }
            }
            Name::Move => a.extend([s("MOVE"), k(0), db(self.ints[0])]),
            Name::Select => a.extend([s("SELECT"), db(self.ints[0])]),
            Name::SwapDb => a.extend([s("SWAPDB"), db(self.ints[0]), db(self.ints[1])]),
            Name::FlushDb => a.push(s("FLUSHDB")),
            Name::FlushAll => a.push(s("FLUSHALL")),
            Name::Scan => {
                a.extend([s("SCAN"), n(0)]);
                if bit(0) {
                    a.extend([s("MATCH"), if bit(1) { s("{t}*") } else { v(0) }]);
                }
                if bit(2) {
                    a.extend([s("COUNT"), small(1)]);
                }
                if bit(3) {
                    a.extend([s("TYPE"), if bit(4) { s("string") } else { s("list") }]);
                }
            }
            Name::Keys => a.extend([s("KEYS"), if bit(0) { s("*") } else { v(0) }]),
            Name::Type => a.extend([s("TYPE"), k(0)]),
            Name::ObjectEncoding => a.extend([s("OBJECT"), s("ENCODING"), k(0)]),
            Name::Lcs => {
                a.extend([s("LCS"), k(0), k(1)]);
                match f % 4 {
                    1 => a.push(s("LEN")),
                    2 => {
                        a.push(s("IDX"));
                        if bit(2) {
                            a.extend([s("MINMATCHLEN"), small(0)]);
                        }
                        if bit(3) {
                            a.push(s("WITHMATCHLEN"));
                        }
                    }
                    _ => {}
                }
            }
            Name::Multi => a.push(s("MULTI")),
            Name::Exec => a.push(s("EXEC")),
            Name::Discard => a.push(s("DISCARD")),
            Name::Watch => a.extend([s("WATCH"), k(0), k(1)]),
            Name::Unwatch => a.push(s("UNWATCH")),
            Name::DbSize => a.push(s("DBSIZE")),
            Name::RandomKey => a.push(s("RANDOMKEY")),
            Name::Push => {
                let cmd = ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"][usize::from(f % 4)];
                a.extend([s(cmd), k(0), v(0)]);
                if bit(2) {
                    a.push(v(1));
                }
            }
            Name::Pop => {
                a.extend([s(if bit(0) { "LPOP" } else { "RPOP" }), k(0)]);
                if bit(1) {
                    a.push(small(0));
                }
            }
            Name::LRange => a.extend([s("LRANGE"), k(0), n(0), n(1)]),
            Name::LRem => a.extend([s("LREM"), k(0), n(0), v(0)]),
            Name::LInsert => a.extend([
                s("LINSERT"),
                k(0),
                s(if bit(0) { "BEFORE" } else { "AFTER" }),
                v(0),
                v(1),
            ]),
            Name::LSet => a.extend([s("LSET"), k(0), n(0), v(0)]),
            Name::LTrim => a.extend([s("LTRIM"), k(0), n(0), n(1)]),
            Name::LMove => a.extend([
                s("LMOVE"),
                k(0),
                k(1),
                s(if bit(0) { "LEFT" } else { "RIGHT" }),
                s(if bit(1) { "LEFT" } else { "RIGHT" }),
            ]),
            Name::HSet => {
                a.extend([s("HSET"), k(0), v(0), v(1)]);
                if bit(0) {
                    a.extend([n(0), v(0)]);
                }
            }
            Name::HDel => a.extend([s("HDEL"), k(0), v(0), v(1)]),
            Name::HIncrBy => a.extend([s("HINCRBY"), k(0), v(0), n(0)]),
            Name::HGetAll => a.extend([s("HGETALL"), k(0)]),
            Name::SAdd => a.extend([s("SADD"), k(0), v(0), v(1), n(0)]),
            Name::SRem => a.extend([s("SREM"), k(0), v(0), n(0)]),
            Name::SMove => a.extend([s("SMOVE"), k(0), k(1), v(0)]),
            Name::SStore => {
                let cmd = ["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"][usize::from(f % 3)];
                a.extend([s(cmd), k(0), k(1), k(2)]);
            }
            Name::SMembers => a.extend([s("SMEMBERS"), k(0)]),
            Name::ZAdd => {
                a.extend([s("ZADD"), k(0)]);
                match f % 5 {
                    1 => a.push(s("NX")),
                    2 => a.push(s("XX")),
                    3 => a.push(s("GT")),
                    4 => a.push(s("LT")),
                    _ => {}
                }
                if bit(3) {
                    a.push(s("CH"));
                }
                a.extend([n(0), v(0)]);
                if bit(4) {
                    a.extend([v(1), v(1)]);
                }
            }
            Name::ZIncrBy => a.extend([s("ZINCRBY"), k(0), n(0), v(0)]),
            Name::ZRem => a.extend([s("ZREM"), k(0), v(0), v(1)]),
            Name::ZPop => {
                a.extend([s(if bit(0) { "ZPOPMIN" } else { "ZPOPMAX" }), k(0)]);
                if bit(1) {
                    a.push(small(0));
                }
            }
            Name::ZRange => {
                a.extend([s("ZRANGE"), k(0), n(0), n(1)]);
                if bit(0) {
                    a.push(s("WITHSCORES"));
                }
            }
            Name::ZStore => {
                let cmd = ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"][usize::from(f % 3)];
                a.extend([s(cmd), k(0), s("2"), k(1), k(2)]);
            }
            Name::ZRangeStore => a.extend([s("ZRANGESTORE"), k(0), k(1), n(0), n(1)]),
            Name::XAdd => {
                a.extend([s("XADD"), k(0)]);
                if bit(0) {
                    a.extend([s("MAXLEN"), s(if bit(1) { "~" } else { "=" }), small(1)]);
                }
                a.push(if bit(2) {
                    s("*")
                } else {
                    stream_id(self.ints[0])
                });
                a.extend([v(0), v(1)]);
            }
            Name::XDel => a.extend([s("XDEL"), k(0), stream_id(self.ints[0])]),
            Name::XTrim => {
                let how = if bit(0) { "MAXLEN" } else { "MINID" };
                let at = if bit(0) {
                    small(0)
                } else {
                    stream_id(self.ints[0])
                };
                a.extend([
                    s("XTRIM"),
                    k(0),
                    s(how),
                    s(if bit(1) { "~" } else { "=" }),
                    at,
                ]);
            }
            Name::XRange => {
                a.extend([
                    s("XRANGE"),
                    k(0),
                    stream_id(self.ints[0]),
                    stream_id(self.ints[1]),
                ]);
            }
            Name::XGroup => {
                let g = group(f);
                match (f >> 2) % 5 {
                    0 => a.extend([s("XGROUP"), s("CREATE"), k(0), g, stream_id(self.ints[0])]),
                    1 => a.extend([s("XGROUP"), s("SETID"), k(0), g, stream_id(self.ints[0])]),
                    2 => a.extend([s("XGROUP"), s("DESTROY"), k(0), g]),
                    3 => a.extend([s("XGROUP"), s("CREATECONSUMER"), k(0), g, consumer(f)]),
                    _ => a.extend([s("XGROUP"), s("DELCONSUMER"), k(0), g, consumer(f)]),
                }
                if (f >> 2).is_multiple_of(5) && bit(8) {
                    a.push(s("MKSTREAM"));
                }
            }
            Name::XReadGroup => {
                a.extend([s("XREADGROUP"), s("GROUP"), group(f), consumer(f)]);
                a.extend([s("COUNT"), small(1)]);
                if bit(6) {
                    a.push(s("NOACK"));
                }
                let from = if bit(7) {
                    stream_id(self.ints[0])
                } else {
                    s(">")
                };
                a.extend([s("STREAMS"), k(0), from]);
            }
            Name::XAck => a.extend([s("XACK"), k(0), group(f), stream_id(self.ints[0])]),
            Name::XClaim => {
                a.extend([s("XCLAIM"), k(0), group(f), consumer(f), s("0")]);
                a.push(stream_id(self.ints[0]));
                if bit(6) {
                    a.push(s("JUSTID"));
                }
                if bit(7) {
                    a.push(s("FORCE"));
                }
            }
            Name::XAutoClaim => {
                a.extend([s("XAUTOCLAIM"), k(0), group(f), consumer(f), s("0")]);
                a.extend([stream_id(self.ints[0]), s("COUNT"), small(1)]);
            }
            Name::Sort => {
                a.extend([s(if bit(0) { "SORT" } else { "SORT_RO" }), k(0)]);
                if bit(1) {
                    a.push(s("ALPHA"));
                }
                if bit(2) {
                    a.extend([s("LIMIT"), n(0), n(1)]);
                }
                if bit(0) && bit(3) {
                    a.extend([s("STORE"), k(1)]);
                }
            }
        }
        a
    }
}

/// The configuration fuzzed servers run on: small size limits so no input allocates much, and
/// only the databases the sequences use (building 16 x 64 empty shards per input was most of
/// the time spent per run).
pub fn config() -> Config {
    Config {
        proto_max_bulk_len: 1 << 20,
        databases: DBS as usize,
        // Small thresholds, so sequences cross the compact encodings' limits.
        list_max_listpack_size: 3,
        hash_max_listpack_entries: HASH_ENTRIES,
        hash_max_listpack_value: PACKED_VALUE,
        set_max_intset_entries: SET_INTS,
        zset_max_listpack_entries: ZSET_ENTRIES,
        zset_max_listpack_value: PACKED_VALUE,
        ..Config::default()
    }
}

/// Sends one command and returns its single reply (panics unless the session wrote exactly
/// one complete RESP value).
pub fn call<A: AsRef<[u8]>>(c: &mut TestClient, args: &[A]) -> Value {
    let out = c.raw(&frame(args));
    one_reply(&out, args)
}

/// Parses `out` as exactly one reply.
pub fn one_reply<A: AsRef<[u8]>>(out: &[u8], args: &[A]) -> Value {
    let show = || {
        args.iter()
            .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
            .collect::<Vec<_>>()
    };
    match parse(out) {
        Ok(Some((v, n))) if n == out.len() => v,
        other => panic!(
            "command {:?} did not produce exactly one reply: {:?} from {:?}",
            show(),
            other,
            String::from_utf8_lossy(out)
        ),
    }
}

fn int(v: &Value, what: &str) -> i64 {
    match v {
        Value::Integer(n) => *n,
        other => panic!("{what}: expected an integer, got {other:?}"),
    }
}

fn bulk(v: &Value) -> Vec<u8> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => b.to_vec(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// Every key of the checker's current database, by a full SCAN (COUNT 1000 per call).
pub fn scan_all(c: &mut TestClient) -> BTreeSet<Vec<u8>> {
    let mut keys = BTreeSet::new();
    let mut cursor = b"0".to_vec();
    for _ in 0..10_000 {
        let r = call(c, &[&b"SCAN"[..], &cursor, b"COUNT", b"1000"]);
        let Value::Array(parts) = r else {
            panic!("SCAN reply is not an array: {r:?}")
        };
        assert_eq!(parts.len(), 2, "SCAN reply shape");
        cursor = bulk(&parts[0]);
        let Value::Array(batch) = &parts[1] else {
            panic!("SCAN keys are not an array")
        };
        keys.extend(batch.iter().map(bulk));
        if cursor == b"0" {
            return keys;
        }
    }
    panic!("SCAN did not finish in 10000 calls");
}

/// Checks the keyspace invariants in every database the sequences touch, from a separate
/// client (so a MULTI open on the fuzzed client does not queue the checks).
pub fn check_invariants(checker: &mut TestClient) {
    for d in 0..DBS {
        let r = call(checker, &["SELECT", &d.to_string()]);
        assert_eq!(r, Value::Simple("OK".into()));
        let keys = scan_all(checker);
        // After the SCAN every logically expired key it passed over has been reclaimed.
        let size = int(&call(checker, &["DBSIZE"]), "DBSIZE");
        assert_eq!(
            size as usize,
            keys.len(),
            "db {d}: DBSIZE {size} but SCAN found {:?}",
            keys
        );
        let mut all: Vec<Vec<u8>> = Vec::new();
        if let Value::Array(ks) = call(checker, &["KEYS", "*"]) {
            all.extend(ks.iter().map(bulk));
        }
        all.sort();
        assert_eq!(
            all,
            keys.iter().cloned().collect::<Vec<_>>(),
            "db {d}: KEYS * != SCAN"
        );
        for key in &keys {
            assert!(
                KEYS.iter().any(|k| k.as_bytes() == key),
                "unknown key {key:?}"
            );
            let ttl = int(&call(checker, &[&b"TTL"[..], key]), "TTL");
            assert!(
                ttl == -1 || ttl >= 0,
                "db {d}: TTL of live key {key:?} is {ttl}"
            );
            let pttl = int(&call(checker, &[&b"PTTL"[..], key]), "PTTL");
            assert!(
                pttl == -1 || pttl >= 0,
                "db {d}: PTTL of live key {key:?} is {pttl}"
            );
            assert_eq!(ttl == -1, pttl == -1, "TTL {ttl} vs PTTL {pttl}");
            if pttl >= 0 {
                assert!(ttl == (pttl + 500) / 1000, "TTL {ttl} vs PTTL {pttl}");
            }
            let ty = bulk(&call(checker, &[&b"TYPE"[..], key]));
            if ty != b"string" {
                check_collection(checker, key, &ty);
                continue;
            }
            let value = bulk(&call(checker, &[&b"GET"[..], key]));
            let enc = bulk(&call(checker, &[&b"OBJECT"[..], b"ENCODING", key]));
            let as_int = std::str::from_utf8(&value)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .filter(|n| n.to_string().as_bytes() == value.as_slice());
            match &enc[..] {
                b"int" => assert!(
                    as_int.is_some(),
                    "db {d}: {key:?} = {:?} encoded as int",
                    String::from_utf8_lossy(&value)
                ),
                b"embstr" => assert!(
                    value.len() <= 44,
                    "db {d}: {key:?} of {} bytes encoded as embstr",
                    value.len()
                ),
                b"raw" => {}
                other => panic!(
                    "db {d}: string encoding {:?}",
                    String::from_utf8_lossy(other)
                ),
            }
            let len = int(&call(checker, &[&b"STRLEN"[..], key]), "STRLEN");
            assert_eq!(len as usize, value.len(), "STRLEN of {key:?}");
        }
    }
}

/// The compact-encoding thresholds of the fuzzing configuration.
const HASH_ENTRIES: usize = 4;
const SET_INTS: usize = 4;
const ZSET_ENTRIES: usize = 4;
const PACKED_VALUE: usize = 8;

/// A collection's invariants: never empty, its length agrees with its enumeration, and a
/// compact encoding only while within its thresholds (conversions never go back).
fn check_collection(c: &mut TestClient, key: &[u8], ty: &[u8]) {
    let enc = bulk(&call(c, &[&b"OBJECT"[..], b"ENCODING", key]));
    let items = |v: Value| match v {
        Value::Array(items) => items.iter().map(bulk).collect::<Vec<_>>(),
        other => panic!("{key:?}: expected an array, got {other:?}"),
    };
    let (len, elements, compact_ok) = match ty {
        b"list" => {
            let len = int(&call(c, &[&b"LLEN"[..], key]), "LLEN");
            let all = items(call(c, &[&b"LRANGE"[..], key, b"0", b"-1"]));
            (len, all.len(), enc == b"quicklist")
        }
        b"hash" => {
            let len = int(&call(c, &[&b"HLEN"[..], key]), "HLEN");
            let all = items(call(c, &[&b"HGETALL"[..], key]));
            let fits = all.len() / 2 <= HASH_ENTRIES && all.iter().all(|x| x.len() <= PACKED_VALUE);
            (
                len,
                all.len() / 2,
                enc == b"hashtable" || (enc == b"listpack" && fits),
            )
        }
        b"set" => {
            let len = int(&call(c, &[&b"SCARD"[..], key]), "SCARD");
            let all = items(call(c, &[&b"SMEMBERS"[..], key]));
            let ints = all.len() <= SET_INTS
                && all.iter().all(|m| {
                    std::str::from_utf8(m)
                        .ok()
                        .and_then(|t| t.parse::<i64>().ok())
                        .is_some_and(|n| n.to_string().as_bytes() == m.as_slice())
                });
            (
                len,
                all.len(),
                enc == b"hashtable" || (enc == b"intset" && ints),
            )
        }
        b"zset" => {
            let len = int(&call(c, &[&b"ZCARD"[..], key]), "ZCARD");
            let all = items(call(c, &[&b"ZRANGE"[..], key, b"0", b"-1"]));
            let fits = all.len() <= ZSET_ENTRIES && all.iter().all(|m| m.len() <= PACKED_VALUE);
            (
                len,
                all.len(),
                enc == b"skiplist" || (enc == b"listpack" && fits),
            )
        }
        b"stream" => return check_stream(c, key, &enc),
        other => panic!(
            "{key:?}: unexpected type {:?}",
            String::from_utf8_lossy(other)
        ),
    };
    assert!(
        len > 0,
        "{key:?}: an empty {:?} is stored",
        String::from_utf8_lossy(ty)
    );
    assert_eq!(len as usize, elements, "{key:?}: length vs enumeration");
    assert!(
        compact_ok,
        "{key:?}: {} of {len} elements encoded as {:?}",
        String::from_utf8_lossy(ty),
        String::from_utf8_lossy(&enc)
    );
}

/// A server on the fuzzing configuration with `shards` keyspace shards, or the default
/// layout for `None`. Replacing the keyspace right after construction is the only public
/// way to choose the shard count.
pub fn server(shards: Option<usize>) -> Arc<Server> {
    let cfg = config();
    let mut srv = Server::new(
        cfg.clone(),
        1,
        Box::new(lode_core::testkit::MemHost::default()),
        lode_core::Now::from_ms(EPOCH_MS),
    );
    if let Some(n) = shards {
        srv.keyspace = lode_core::keyspace::Keyspace::new(cfg.databases, n, 7);
        srv.keyspace
            .access_policy
            .set(lode_core::keyspace::access::AccessPolicy::of(&cfg));
    }
    Arc::new(srv)
}

/// A stream's invariants: XLEN agrees with XRANGE, and each group's pending count agrees with
/// XPENDING's summary and with the sum over its consumers.
fn check_stream(c: &mut TestClient, key: &[u8], enc: &[u8]) {
    assert_eq!(enc, b"stream", "{key:?}: stream encoding");
    let len = int(&call(c, &[&b"XLEN"[..], key]), "XLEN");
    let Value::Array(entries) = call(c, &[&b"XRANGE"[..], key, b"-", b"+"]) else {
        panic!("{key:?}: XRANGE is not an array");
    };
    assert_eq!(len as usize, entries.len(), "{key:?}: XLEN vs XRANGE");
    let Value::Array(groups) = call(c, &[&b"XINFO"[..], b"GROUPS", key]) else {
        panic!("{key:?}: XINFO GROUPS is not an array");
    };
    for g in groups {
        let Value::Array(fields) = g else {
            panic!("{key:?}: a group is not an array");
        };
        let name = bulk(&fields[1]);
        let pending = int(&fields[5], "pending");
        let summary = call(c, &[&b"XPENDING"[..], key, &name]);
        let Value::Array(summary) = summary else {
            panic!("{key:?}: XPENDING is not an array");
        };
        assert_eq!(
            int(&summary[0], "XPENDING"),
            pending,
            "{key:?}: XPENDING count"
        );
        let Value::Array(consumers) = call(c, &[&b"XINFO"[..], b"CONSUMERS", key, &name]) else {
            panic!("{key:?}: XINFO CONSUMERS is not an array");
        };
        let owned: i64 = consumers
            .iter()
            .map(|c| match c {
                Value::Array(f) => int(&f[3], "consumer pending"),
                _ => panic!("{key:?}: a consumer is not an array"),
            })
            .sum();
        assert_eq!(owned, pending, "{key:?}: consumers' pending vs the group's");
    }
}
