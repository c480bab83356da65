//! The checker: a connection of its own that the world uses between steps to check global
//! invariants against the model (and to kill clients). It is a [`Connection`] like every
//! client, fed whole frames and read back whole: it never lags, pauses or times out.

use std::collections::HashSet;
use std::sync::Arc;

use super::cmds::{DBS, KEYS};
use super::model::Model;
use crate::clock::Now;
use crate::connection::Connection;
use crate::resp::value::{parse, Value};
use crate::server::Server;
use crate::session::ClientInfo;
use crate::testkit::frame;

/// The checker connection.
pub struct Checker {
    conn: Connection,
}

impl Checker {
    /// A checker connected to `server` at `now`.
    pub fn new(server: &Arc<Server>, now: Now) -> Self {
        Checker {
            conn: Connection::new(server.clone(), ClientInfo::Internal, now),
        }
    }

    /// Runs one command (its own complete frame, the reply read back whole).
    pub fn cmd(&mut self, now: Now, args: &[&str]) -> Result<Value, String> {
        let f = frame(args);
        self.conn.input_buffer().extend_from_slice(&f);
        self.conn.received(now, f.len());
        let out = self.conn.output().to_vec();
        self.conn.consume_output(out.len());
        if self.conn.session().is_closing() {
            return Err(format!("checker: {args:?} closed the checker"));
        }
        match parse(&out) {
            Ok(Some((v, used))) if used == out.len() => Ok(v),
            r => Err(format!("checker: {args:?} gave {r:?}")),
        }
    }

    /// Every database: live ≤ DBSIZE ≤ live + expired-not-reclaimed, every key's PTTL is the
    /// model's (so never below -2; checked when `sweep_ttls`, it is the costliest check), and
    /// a full SCAN returns exactly the live model keys.
    pub fn invariants(&mut self, model: &Model, now: Now, sweep_ttls: bool) -> Result<(), String> {
        let now_ms = now.ms();
        for db in 0..DBS {
            self.cmd(now, &["SELECT", &db.to_string()])?;
            let live = model.live_keys(db, now_ms);
            let expired = model.expired_count(db, now_ms);
            let size = self.cmd(now, &["DBSIZE"])?;
            let ok = matches!(size, Value::Integer(n) if live.len() as i64 <= n && n <= (live.len() + expired) as i64);
            if !ok {
                return Err(format!(
                    "db {db}: DBSIZE {size:?}, model has {} live + {expired} expired",
                    live.len()
                ));
            }
            let seen = self.scan(now)?;
            if sweep_ttls {
                for k in 0..KEYS {
                    let key = format!("k{k}");
                    let want = model.pttl(db, &key, now_ms);
                    let got = self.cmd(now, &["PTTL", &key])?;
                    if got != Value::Integer(want) {
                        return Err(format!("db {db}: PTTL {key} = {got:?}, model says {want}"));
                    }
                }
            }
            if seen != live {
                return Err(format!(
                    "db {db}: SCAN returned {:?}, model's live keys {:?}",
                    sorted(&seen),
                    sorted(&live)
                ));
            }
        }
        Ok(())
    }

    /// A full SCAN of the selected database, in small pages.
    fn scan(&mut self, now: Now) -> Result<HashSet<Vec<u8>>, String> {
        let mut cursor = "0".to_string();
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let v = self.cmd(now, &["SCAN", &cursor, "COUNT", "3"])?;
            let Value::Array(parts) = &v else {
                return Err(format!("SCAN reply {v:?}"));
            };
            match parts.as_slice() {
                [Value::Bulk(c), Value::Array(keys)] => {
                    for k in keys {
                        if let Value::Bulk(k) = k {
                            seen.insert(k.to_vec());
                        }
                    }
                    cursor = String::from_utf8_lossy(c).into_owned();
                }
                _ => return Err(format!("SCAN reply {v:?}")),
            }
            if cursor == "0" {
                break;
            }
        }
        Ok(seen)
    }
}

fn sorted(s: &HashSet<Vec<u8>>) -> Vec<String> {
    let mut v: Vec<_> = s
        .iter()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    v.sort();
    v
}
