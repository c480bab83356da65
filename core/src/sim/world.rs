//! The world: one `Server`, several simulated clients, a simulated clock and a seeded RNG
//! that decides every step (who writes how many bytes, who reads, when time jumps, when the
//! server ticks, who disconnects mid-command). After every step global invariants are
//! checked through a separate checker connection.

use std::sync::Arc;

use bytes::BytesMut;
use fastrand::Rng;

use super::client::SimClient;
use super::cmds::{generate, DBS, KEYS};
use super::model::Model;
use crate::clock::Now;
use crate::config::Config;
use crate::resp::value::{parse, Value};
use crate::server::{NullHost, Server};
use crate::session::{ClientInfo, NoopWaker, Session};
use crate::testkit::{frame, EPOCH_MS};

/// Clients per world.
const CLIENTS: usize = 4;

/// What a run does.
#[derive(Clone, Copy, Debug)]
pub struct SimOptions {
    /// Steps per seed.
    pub steps: usize,
    /// Make a third of time jumps land exactly on the next key's expiry millisecond.
    pub land_on_expiry: bool,
}

/// A failed run: which seed, at which step, and why.
#[derive(Debug)]
pub struct Failure {
    pub seed: u64,
    pub step: usize,
    pub message: String,
}

struct World<'a> {
    seed: u64,
    step: usize,
    server: Arc<Server>,
    clients: Vec<SimClient>,
    model: Model,
    now: Now,
    rng: Rng,
    checker: Session,
    land_on_expiry: bool,
    log: &'a mut Vec<String>,
}

/// Runs seed `seed` as `opts` says, appending a line per event to `log`.
pub fn run_seed(seed: u64, opts: SimOptions, log: &mut Vec<String>) -> Result<(), Failure> {
    let now = Now::from_ms(EPOCH_MS);
    let server = Arc::new(Server::new(
        Config::default(),
        seed,
        Box::new(NullHost),
        now,
    ));
    let checker = Session::new(
        server.clone(),
        ClientInfo::Internal,
        Arc::new(NoopWaker),
        now,
    );
    let clients = (0..CLIENTS)
        .map(|_| SimClient::connect(&server, now))
        .collect();
    // Subscribed before the first command: the whole run's stream is replayed at the end.
    let mut reader = server.keyspace.log.subscribe();
    let mut w = World {
        seed,
        step: 0,
        server,
        clients,
        model: Model::default(),
        now,
        rng: Rng::with_seed(seed),
        checker,
        land_on_expiry: opts.land_on_expiry,
        log,
    };
    for step in 0..opts.steps {
        w.step = step;
        w.step_once()?;
        w.check_invariants()?;
    }
    for i in 0..CLIENTS {
        while !w.clients[i].session.pending_output().is_empty() {
            w.drain(i, true)?;
        }
        if let Some((_, cmd)) = w.clients[i].expected.front() {
            return Err(w.fail(format!("c{i}: no reply to {cmd}")));
        }
    }
    super::replay::check_replay(&w.server, &mut reader, w.now, Now::from_ms(EPOCH_MS))
        .map_err(|e| w.fail(format!("replay property: {e}")))?;
    w.server.keyspace.log.unsubscribe(reader);
    Ok(())
}

impl World<'_> {
    fn fail(&self, message: String) -> Failure {
        Failure {
            seed: self.seed,
            step: self.step,
            message,
        }
    }

    fn t(&self) -> u64 {
        self.now.micros() - EPOCH_MS * 1000
    }

    fn note(&mut self, s: String) {
        let line = format!("#{} t={}us {s}", self.step, self.t());
        self.log.push(line);
    }

    fn step_once(&mut self) -> Result<(), Failure> {
        let i = self.rng.usize(0..CLIENTS);
        match self.rng.u8(0..100) {
            0..=44 => self.send(i, false),
            45..=69 => {
                let all = self.rng.bool();
                self.drain(i, all)
            }
            70..=81 => {
                // Mostly small steps (to land exactly on expiry boundaries), sometimes
                // seconds, rarely a large jump that expires everything.
                let ms = match self.rng.u8(0..100) {
                    0..=49 => self.rng.u64(0..5),
                    50..=84 => self.rng.u64(0..300),
                    85..=96 => self.rng.u64(0..2000),
                    _ => self.rng.u64(5_000..60_000),
                };
                let mut us = ms * 1000 + self.rng.u64(0..1000);
                // Often land exactly on the next key's expiry millisecond, the boundary where
                // a key is still alive (Redis expires it only once now > expire_at).
                if self.land_on_expiry && self.rng.u8(0..3) == 0 {
                    if let Some(at) = self.model.next_expiry(self.now.ms()) {
                        us = (at * 1000 + self.rng.u64(0..1000)).saturating_sub(self.now.micros());
                    }
                }
                self.now = Now(self.now.micros() + us);
                self.note(format!("time +{us}us"));
                Ok(())
            }
            82..=93 => {
                self.note("tick".into());
                self.server.tick(self.now);
                Ok(())
            }
            94..=96 => self.send(i, true),
            _ => {
                self.note(format!("c{i} disconnects cleanly, reconnects"));
                self.clients[i] = SimClient::connect(&self.server, self.now);
                Ok(())
            }
        }
    }

    /// Client `i` writes: new commands if it has nothing pending, then part or all of its
    /// outgoing bytes reach the session. With `cut`, strictly less than all arrive and the
    /// client then disconnects (a half frame left in the dropped session's buffer).
    fn send(&mut self, i: usize, cut: bool) -> Result<(), Failure> {
        if self.clients[i].wire.is_empty() {
            let n = if self.rng.u8(0..4) == 0 {
                self.rng.usize(2..5)
            } else {
                1
            };
            for _ in 0..n {
                let c = &self.clients[i];
                let cmd = generate(&mut self.rng, c.gen_in_multi, c.gen_queued);
                self.clients[i].write(cmd);
            }
        }
        let len = self.clients[i].wire.len();
        let n = if cut {
            self.rng.usize(0..len)
        } else if self.rng.u8(0..10) < 6 {
            len
        } else {
            self.rng.usize(1..=len)
        };
        self.note(format!(
            "c{i} delivers {n}/{len} bytes{}",
            if cut { ", then disconnects" } else { "" }
        ));
        let done = self.clients[i].deliver(self.now, n);
        let now_ms = self.now.ms();
        for cmd in done {
            let db = self.clients[i].db;
            let exp = self.clients[i].execute(&cmd, &mut self.model, now_ms);
            let desc = format!("{} (db {db})", cmd.args().join(" "));
            self.note(format!("c{i} executes {desc} -> expect {exp:?}"));
            self.clients[i].expected.push_back((exp, desc));
        }
        if self.clients[i].session.is_closing() {
            return Err(self.fail(format!("c{i}: session is closing")));
        }
        if cut {
            self.clients[i] = SimClient::connect(&self.server, self.now);
        }
        Ok(())
    }

    /// Takes part (or, with `all`, all) of client `i`'s pending output and checks every
    /// complete reply in it against the next prediction.
    fn drain(&mut self, i: usize, all: bool) -> Result<(), Failure> {
        let c = &mut self.clients[i];
        let out = c.session.pending_output();
        if out.is_empty() {
            return Ok(());
        }
        let n = if all {
            out.len()
        } else {
            self.rng.usize(1..=out.len())
        };
        c.outbuf.extend_from_slice(&out[..n]);
        c.session.consume_output(n);
        loop {
            let c = &mut self.clients[i];
            let (v, used) = match parse(&c.outbuf) {
                Ok(Some(x)) => x,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(format!("c{i}: unparseable reply: {e:?}"))),
            };
            c.outbuf.drain(..used);
            let Some((exp, cmd)) = c.expected.pop_front() else {
                return Err(self.fail(format!("c{i}: unexpected reply {v:?}")));
            };
            if !exp.matches(&v) {
                return Err(self.fail(format!("c{i}: {cmd}\n  expected {exp:?}\n  got      {v:?}")));
            }
            self.note(format!("c{i} reads reply to {cmd}: ok"));
        }
    }

    /// Runs one command on the checker connection (its own complete frame, read back whole).
    fn checker_cmd(&mut self, args: &[&str]) -> Result<Value, Failure> {
        let mut buf = BytesMut::from(&frame(args)[..]);
        self.checker.handle_input(self.now, &mut buf);
        let out = self.checker.pending_output().to_vec();
        self.checker.consume_output(out.len());
        match parse(&out) {
            Ok(Some((v, used))) if used == out.len() => Ok(v),
            r => Err(self.fail(format!("checker: {args:?} gave {r:?}"))),
        }
    }

    /// Every database: live ≤ DBSIZE ≤ live + expired-not-reclaimed, every key's PTTL is the
    /// model's (so never below -2), and a full SCAN returns exactly the live model keys.
    fn check_invariants(&mut self) -> Result<(), Failure> {
        let now_ms = self.now.ms();
        for db in 0..DBS {
            self.checker_cmd(&["SELECT", &db.to_string()])?;
            let live = self.model.live_keys(db, now_ms);
            let expired = self.model.expired_count(db, now_ms);
            let size = self.checker_cmd(&["DBSIZE"])?;
            let ok = matches!(size, Value::Integer(n) if live.len() as i64 <= n && n <= (live.len() + expired) as i64);
            if !ok {
                return Err(self.fail(format!(
                    "db {db}: DBSIZE {size:?}, model has {} live + {expired} expired",
                    live.len()
                )));
            }
            let mut cursor = "0".to_string();
            let mut seen = std::collections::HashSet::new();
            for _ in 0..1000 {
                let v = self.checker_cmd(&["SCAN", &cursor, "COUNT", "3"])?;
                let Value::Array(parts) = &v else {
                    return Err(self.fail(format!("SCAN reply {v:?}")));
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
                    _ => return Err(self.fail(format!("SCAN reply {v:?}"))),
                }
                if cursor == "0" {
                    break;
                }
            }
            // Every key's PTTL: every fifth step (it is the costliest check).
            let sweep = if matches!(self.step % 5, 0) { KEYS } else { 0 };
            for k in 0..sweep {
                let key = format!("k{k}");
                let want = self.model.pttl(db, &key, now_ms);
                let got = self.checker_cmd(&["PTTL", &key])?;
                if got != Value::Integer(want) {
                    return Err(
                        self.fail(format!("db {db}: PTTL {key} = {got:?}, model says {want}"))
                    );
                }
            }
            if seen != live {
                let show = |s: &std::collections::HashSet<Vec<u8>>| {
                    let mut v: Vec<_> = s
                        .iter()
                        .map(|k| String::from_utf8_lossy(k).into_owned())
                        .collect();
                    v.sort();
                    v
                };
                return Err(self.fail(format!(
                    "db {db}: SCAN returned {:?}, model's live keys {:?}",
                    show(&seen),
                    show(&live)
                )));
            }
        }
        Ok(())
    }
}
