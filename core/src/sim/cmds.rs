//! The commands the simulation sends: a small structured vocabulary, generated from the seeded
//! RNG with keys from a small pool so that clients collide on the same keys.

use fastrand::Rng;

/// Keys per database the generator draws from (small, so that clients collide).
pub const KEYS: usize = 6;
/// Databases the generator uses.
pub const DBS: usize = 3;

const VALUES: &[&str] = &["0", "1", "7", "42", "-3", "x", "ab", "10", "99", "012"];
const SUFFIXES: &[&str] = &["1", "0", "z", "-", "5"];

/// SET's NX / XX condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cond {
    Nx,
    Xx,
}

/// SET's expiry option.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetTtl {
    Ex(u64),
    Px(u64),
    KeepTtl,
}

/// One command of a client's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cmd {
    Set {
        key: String,
        val: String,
        cond: Option<Cond>,
        ttl: Option<SetTtl>,
        get: bool,
    },
    Get(String),
    Del(Vec<String>),
    Exists(Vec<String>),
    Incr(String),
    IncrBy(String, i64),
    Append(String, String),
    Expire(String, i64),
    PExpire(String, i64),
    Persist(String),
    Pttl(String),
    MSet(Vec<(String, String)>),
    MGet(Vec<String>),
    Rename(String, String),
    Select(usize),
    FlushDb,
    DbSize,
    Scan,
    Multi,
    Exec,
}

impl Cmd {
    /// The command's arguments as sent on the wire.
    pub fn args(&self) -> Vec<String> {
        let s = |x: &str| x.to_string();
        match self {
            Cmd::Set {
                key,
                val,
                cond,
                ttl,
                get,
            } => {
                let mut a = vec![s("SET"), key.clone(), val.clone()];
                match cond {
                    Some(Cond::Nx) => a.push(s("NX")),
                    Some(Cond::Xx) => a.push(s("XX")),
                    None => {}
                }
                match ttl {
                    Some(SetTtl::Ex(n)) => a.extend([s("EX"), n.to_string()]),
                    Some(SetTtl::Px(n)) => a.extend([s("PX"), n.to_string()]),
                    Some(SetTtl::KeepTtl) => a.push(s("KEEPTTL")),
                    None => {}
                }
                if *get {
                    a.push(s("GET"));
                }
                a
            }
            Cmd::Get(k) => vec![s("GET"), k.clone()],
            Cmd::Del(ks) => std::iter::once(s("DEL"))
                .chain(ks.iter().cloned())
                .collect(),
            Cmd::Exists(ks) => std::iter::once(s("EXISTS"))
                .chain(ks.iter().cloned())
                .collect(),
            Cmd::Incr(k) => vec![s("INCR"), k.clone()],
            Cmd::IncrBy(k, n) => vec![s("INCRBY"), k.clone(), n.to_string()],
            Cmd::Append(k, v) => vec![s("APPEND"), k.clone(), v.clone()],
            Cmd::Expire(k, n) => vec![s("EXPIRE"), k.clone(), n.to_string()],
            Cmd::PExpire(k, n) => vec![s("PEXPIRE"), k.clone(), n.to_string()],
            Cmd::Persist(k) => vec![s("PERSIST"), k.clone()],
            Cmd::Pttl(k) => vec![s("PTTL"), k.clone()],
            Cmd::MSet(kvs) => {
                let mut a = vec![s("MSET")];
                for (k, v) in kvs {
                    a.push(k.clone());
                    a.push(v.clone());
                }
                a
            }
            Cmd::MGet(ks) => std::iter::once(s("MGET"))
                .chain(ks.iter().cloned())
                .collect(),
            Cmd::Rename(a, b) => vec![s("RENAME"), a.clone(), b.clone()],
            Cmd::Select(db) => vec![s("SELECT"), db.to_string()],
            Cmd::FlushDb => vec![s("FLUSHDB")],
            Cmd::DbSize => vec![s("DBSIZE")],
            Cmd::Scan => vec![s("SCAN"), s("0"), s("COUNT"), s("1000")],
            Cmd::Multi => vec![s("MULTI")],
            Cmd::Exec => vec![s("EXEC")],
        }
    }

    /// The RESP frame for this command.
    pub fn frame(&self) -> Vec<u8> {
        crate::testkit::frame(&self.args())
    }

    /// The command for the step log: arguments longer than 64 bytes are shown by length.
    pub fn describe(&self) -> String {
        let show = |a: String| {
            if a.len() > 64 {
                format!("<{} bytes>", a.len())
            } else {
                a
            }
        };
        let args: Vec<String> = self.args().into_iter().map(show).collect();
        args.join(" ")
    }
}

/// Size of a flood's value: a 1 MiB reply, so that some 64 GETs of it reach the session's
/// output pause threshold (`OUTPUT_PAUSE_BYTES`, 64 MiB).
pub const FLOOD_VALUE: usize = 1 << 20;

/// A pipeline whose replies outgrow the output pause threshold: SET of a 1 MiB value to a
/// pool key, then enough GETs of it that a client which does not read them all at once
/// has its input paused, and the GETs after the threshold wait in the input buffer until
/// the replies drain (other clients may change the key in between: the model follows).
pub fn flood(rng: &mut Rng) -> Vec<Cmd> {
    let key = key(rng);
    let fill = char::from(b'a' + rng.u8(0..26)).to_string();
    let set = Cmd::Set {
        key: key.clone(),
        val: fill.repeat(FLOOD_VALUE + rng.usize(0..1000)),
        cond: None,
        ttl: None,
        get: false,
    };
    let gets = crate::session::OUTPUT_PAUSE_BYTES / FLOOD_VALUE + rng.usize(1..=16);
    std::iter::once(set)
        .chain((0..gets).map(|_| Cmd::Get(key.clone())))
        .collect()
}

fn key(rng: &mut Rng) -> String {
    format!("k{}", rng.usize(0..KEYS))
}

fn keys(rng: &mut Rng) -> Vec<String> {
    (0..rng.usize(1..4)).map(|_| key(rng)).collect()
}

fn val(rng: &mut Rng) -> String {
    if rng.u8(0..10) == 0 {
        // Occasionally a long value (beyond any small-string encoding).
        "v".repeat(rng.usize(30..80))
    } else {
        VALUES[rng.usize(0..VALUES.len())].to_string()
    }
}

/// Generates the next command of a script; `in_multi` says whether a MULTI is open, `queued`
/// how many commands it has queued so far.
pub fn generate(rng: &mut Rng, in_multi: bool, queued: usize) -> Cmd {
    if in_multi && (queued >= 4 || rng.u8(0..3) == 0) {
        return Cmd::Exec;
    }
    match rng.u8(0..100) {
        0..=19 => {
            let cond = match rng.u8(0..6) {
                0 => Some(Cond::Nx),
                1 => Some(Cond::Xx),
                _ => None,
            };
            let ttl = match rng.u8(0..8) {
                0 | 1 => Some(SetTtl::Ex(rng.u64(1..4))),
                2 | 3 => Some(SetTtl::Px(rng.u64(1..3000))),
                4 => Some(SetTtl::KeepTtl),
                _ => None,
            };
            Cmd::Set {
                key: key(rng),
                val: val(rng),
                cond,
                ttl,
                get: rng.u8(0..4) == 0,
            }
        }
        20..=29 => Cmd::Get(key(rng)),
        30..=33 => Cmd::Del(keys(rng)),
        34..=37 => Cmd::Exists(keys(rng)),
        38..=42 => Cmd::Incr(key(rng)),
        43..=46 => Cmd::IncrBy(key(rng), rng.i64(-100..100)),
        47..=51 => Cmd::Append(key(rng), SUFFIXES[rng.usize(0..SUFFIXES.len())].to_string()),
        52..=55 => Cmd::Expire(key(rng), rng.i64(-1..4)),
        56..=60 => Cmd::PExpire(key(rng), rng.i64(-5..3000)),
        61..=63 => Cmd::Persist(key(rng)),
        64..=69 => Cmd::Pttl(key(rng)),
        70..=73 => Cmd::MSet((0..rng.usize(1..4)).map(|_| (key(rng), val(rng))).collect()),
        74..=77 => Cmd::MGet(keys(rng)),
        78..=81 => Cmd::Rename(key(rng), key(rng)),
        82..=86 => Cmd::Select(rng.usize(0..DBS)),
        87 => Cmd::FlushDb,
        88..=90 => Cmd::DbSize,
        91..=93 => Cmd::Scan,
        _ if !in_multi => Cmd::Multi,
        _ => Cmd::Get(key(rng)),
    }
}
