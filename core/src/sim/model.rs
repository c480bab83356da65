//! The reference model: a plain map from (db, key) to (value, expiry), updated by the same
//! commands at the moment the engine executes them, predicting each reply.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;

use super::cmds::{Cmd, Cond, SetTtl};
use crate::resp::value::Value;

/// One key's model state.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Shared, so that predicting a reply to a large value does not copy it.
    pub val: Bytes,
    /// Absolute expiry, Unix ms; the key is alive while `now_ms <= expire_at` (as Redis).
    pub expire_at: Option<u64>,
}

impl Entry {
    fn alive(&self, now_ms: u64) -> bool {
        !matches!(self.expire_at, Some(e) if now_ms > e)
    }
}

/// A predicted reply.
#[derive(Clone, Debug)]
pub enum Expected {
    Exact(Value),
    /// An integer in `lo..=hi` (DBSIZE counts expired keys not yet reclaimed).
    IntRange(i64, i64),
    /// `SCAN 0`: a page of distinct live keys; all of them when the cursor comes back 0.
    ScanPage(HashSet<Vec<u8>>),
    /// EXEC's array of replies.
    Exec(Vec<Expected>),
}

impl Expected {
    /// Whether `got` satisfies this prediction.
    pub fn matches(&self, got: &Value) -> bool {
        match (self, got) {
            (Expected::Exact(v), g) => v == g,
            (Expected::IntRange(lo, hi), Value::Integer(n)) => lo <= n && n <= hi,
            (Expected::ScanPage(live), Value::Array(parts)) => match parts.as_slice() {
                [Value::Bulk(cursor), Value::Array(keys)] => {
                    let mut seen = HashSet::new();
                    for k in keys {
                        let Value::Bulk(k) = k else { return false };
                        if !live.contains(&k[..]) || !seen.insert(k.to_vec()) {
                            return false;
                        }
                    }
                    &cursor[..] != b"0" || seen.len() == live.len()
                }
                _ => false,
            },
            (Expected::Exec(es), Value::Array(vs)) => {
                es.len() == vs.len() && es.iter().zip(vs).all(|(e, v)| e.matches(v))
            }
            _ => false,
        }
    }
}

/// `v` for the step log: values longer than 64 bytes are shown by length and first bytes,
/// so a simulation moving megabyte values does not format (or keep) them whole.
pub fn brief_value(v: &Value) -> String {
    match v {
        Value::Bulk(b) if b.len() > 64 => {
            format!(
                "Bulk({} bytes: {:?}..)",
                b.len(),
                Bytes::copy_from_slice(&b[..16])
            )
        }
        Value::Array(vs) => format!("Array([{}])", brief_list(vs.iter().map(brief_value))),
        v => format!("{v:?}"),
    }
}

/// `e` for the step log, shortened as [`brief_value`] does.
pub fn brief(e: &Expected) -> String {
    match e {
        Expected::Exact(v) => format!("Exact({})", brief_value(v)),
        Expected::Exec(es) => format!("Exec([{}])", brief_list(es.iter().map(brief))),
        e => format!("{e:?}"),
    }
}

fn brief_list(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn ok() -> Expected {
    Expected::Exact(Value::Simple(Bytes::from_static(b"OK")))
}
fn int(n: i64) -> Expected {
    Expected::Exact(Value::Integer(n))
}
fn err(msg: &'static str) -> Expected {
    Expected::Exact(Value::Error(Bytes::from_static(msg.as_bytes())))
}
fn bulk(v: Option<&Bytes>) -> Value {
    v.map_or(Value::NullBulk, |v| Value::Bulk(v.clone()))
}

/// Redis's `string2ll`: optional '-', no '+', no leading zeros, no spaces, fits an i64.
pub fn parse_int(v: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(v).ok()?;
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.starts_with('0') && s != "0" {
        return None;
    }
    s.parse().ok()
}

/// The keyspace model.
#[derive(Default)]
pub struct Model {
    pub keys: HashMap<(usize, Vec<u8>), Entry>,
}

impl Model {
    fn live(&self, db: usize, key: &str, now_ms: u64) -> Option<&Entry> {
        self.keys
            .get(&(db, key.as_bytes().to_vec()))
            .filter(|e| e.alive(now_ms))
    }

    fn put(&mut self, db: usize, key: &str, val: Bytes, expire_at: Option<u64>) {
        self.keys
            .insert((db, key.as_bytes().to_vec()), Entry { val, expire_at });
    }

    /// Removes `key` if alive; whether it was.
    fn remove_live(&mut self, db: usize, key: &str, now_ms: u64) -> bool {
        let alive = self.live(db, key, now_ms).is_some();
        self.keys.remove(&(db, key.as_bytes().to_vec()));
        alive
    }

    /// Live keys of `db`.
    pub fn live_keys(&self, db: usize, now_ms: u64) -> HashSet<Vec<u8>> {
        self.keys
            .iter()
            .filter(|((d, _), e)| *d == db && e.alive(now_ms))
            .map(|((_, k), _)| k.clone())
            .collect()
    }

    /// The earliest expiry (Unix ms) at or after `now_ms`.
    pub fn next_expiry(&self, now_ms: u64) -> Option<u64> {
        self.keys
            .values()
            .filter_map(|e| e.expire_at)
            .filter(|&at| at >= now_ms)
            .min()
    }

    /// Keys of `db` the model holds as expired (the server may not have reclaimed them yet).
    pub fn expired_count(&self, db: usize, now_ms: u64) -> usize {
        self.keys
            .iter()
            .filter(|((d, _), e)| *d == db && !e.alive(now_ms))
            .count()
    }

    /// Executes `cmd` on the model for a client whose selected database is `*db`, returning
    /// the predicted reply. MULTI/EXEC are handled by the caller.
    pub fn apply(&mut self, cmd: &Cmd, db: &mut usize, now_ms: u64) -> Expected {
        let d = *db;
        match cmd {
            Cmd::Set {
                key,
                val,
                cond,
                ttl,
                get,
            } => {
                let old = self.live(d, key, now_ms).cloned();
                let proceed = match cond {
                    Some(Cond::Nx) => old.is_none(),
                    Some(Cond::Xx) => old.is_some(),
                    None => true,
                };
                if proceed {
                    let exp = match ttl {
                        Some(SetTtl::Ex(s)) => Some(now_ms + s * 1000),
                        Some(SetTtl::Px(ms)) => Some(now_ms + ms),
                        Some(SetTtl::KeepTtl) => old.as_ref().and_then(|e| e.expire_at),
                        None => None,
                    };
                    self.put(d, key, Bytes::copy_from_slice(val.as_bytes()), exp);
                }
                if *get {
                    Expected::Exact(bulk(old.as_ref().map(|e| &e.val)))
                } else if proceed {
                    ok()
                } else {
                    Expected::Exact(Value::NullBulk)
                }
            }
            Cmd::Get(k) => Expected::Exact(bulk(self.live(d, k, now_ms).map(|e| &e.val))),
            Cmd::Del(ks) => {
                int(ks.iter().filter(|k| self.remove_live(d, k, now_ms)).count() as i64)
            }
            Cmd::Exists(ks) => int(ks
                .iter()
                .filter(|k| self.live(d, k, now_ms).is_some())
                .count() as i64),
            Cmd::Incr(k) => self.incr_by(d, k, 1, now_ms),
            Cmd::IncrBy(k, n) => self.incr_by(d, k, *n, now_ms),
            Cmd::Append(k, suffix) => {
                let (mut v, exp) = match self.live(d, k, now_ms) {
                    Some(e) => (e.val.to_vec(), e.expire_at),
                    None => (Vec::new(), None),
                };
                v.extend_from_slice(suffix.as_bytes());
                let n = v.len() as i64;
                self.put(d, k, Bytes::from(v), exp);
                int(n)
            }
            Cmd::Expire(k, secs) => self.expire(d, k, now_ms as i64 + secs * 1000, now_ms),
            Cmd::PExpire(k, ms) => self.expire(d, k, now_ms as i64 + ms, now_ms),
            Cmd::Persist(k) => match self.live(d, k, now_ms).cloned() {
                Some(Entry {
                    val,
                    expire_at: Some(_),
                }) => {
                    self.put(d, k, val, None);
                    int(1)
                }
                _ => int(0),
            },
            Cmd::Pttl(k) => int(self.pttl(d, k, now_ms)),
            Cmd::MSet(kvs) => {
                for (k, v) in kvs {
                    self.put(d, k, Bytes::copy_from_slice(v.as_bytes()), None);
                }
                ok()
            }
            Cmd::MGet(ks) => Expected::Exact(Value::Array(
                ks.iter()
                    .map(|k| bulk(self.live(d, k, now_ms).map(|e| &e.val)))
                    .collect(),
            )),
            Cmd::Rename(a, b) => match self.live(d, a, now_ms).cloned() {
                None => err("ERR no such key"),
                Some(_) if a == b => ok(),
                Some(e) => {
                    self.keys.remove(&(d, a.as_bytes().to_vec()));
                    self.put(d, b, e.val, e.expire_at);
                    ok()
                }
            },
            Cmd::Select(n) => {
                *db = *n;
                ok()
            }
            Cmd::FlushDb => {
                self.keys.retain(|(kd, _), _| *kd != d);
                ok()
            }
            Cmd::DbSize => {
                let live = self.live_keys(d, now_ms).len() as i64;
                Expected::IntRange(live, live + self.expired_count(d, now_ms) as i64)
            }
            Cmd::Scan => Expected::ScanPage(self.live_keys(d, now_ms)),
            Cmd::Multi | Cmd::Exec => unreachable!("handled by the client"),
        }
    }

    /// PTTL as Redis answers it: -2 missing, -1 no expiry, else milliseconds left.
    pub fn pttl(&self, d: usize, k: &str, now_ms: u64) -> i64 {
        match self.live(d, k, now_ms) {
            None => -2,
            Some(Entry {
                expire_at: None, ..
            }) => -1,
            Some(Entry {
                expire_at: Some(e), ..
            }) => (e - now_ms) as i64,
        }
    }

    fn incr_by(&mut self, d: usize, k: &str, by: i64, now_ms: u64) -> Expected {
        let (cur, exp) = match self.live(d, k, now_ms) {
            None => (0, None),
            Some(e) => match parse_int(&e.val) {
                Some(n) => (n, e.expire_at),
                None => return err("ERR value is not an integer or out of range"),
            },
        };
        match cur.checked_add(by) {
            None => err("ERR increment or decrement would overflow"),
            Some(n) => {
                self.put(d, k, Bytes::from(n.to_string()), exp);
                int(n)
            }
        }
    }

    fn expire(&mut self, d: usize, k: &str, when: i64, now_ms: u64) -> Expected {
        let Some(e) = self.live(d, k, now_ms).cloned() else {
            return int(0);
        };
        if when <= now_ms as i64 {
            self.keys.remove(&(d, k.as_bytes().to_vec()));
        } else {
            self.put(d, k, e.val, Some(when as u64));
        }
        int(1)
    }
}
