//! The world: one `Server`, several simulated clients, a simulated clock and a seeded RNG
//! that decides every step (who writes how many bytes, who reads how many, when time jumps,
//! when the server ticks, who disconnects mid-command, who floods its output, who is
//! killed). Each client talks to a `Connection` through the simulated transport
//! (`super::conn`); after every step the connections that were woken run (`super::poll`),
//! then global invariants are checked through a separate checker connection.

use std::sync::Arc;

use fastrand::Rng;

use super::check::Checker;
use super::client::SimClient;
use super::cmds::{flood, generate};
use super::model::Model;
use crate::clock::Now;
use crate::config::Config;
use crate::server::Server;
use crate::testkit::MemHost;
use crate::testkit::EPOCH_MS;

/// Clients per world.
pub(super) const CLIENTS: usize = 4;

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

/// How often a run went through each of the connection's paths (so a test can show that
/// the simulation reaches them, not only that nothing failed).
#[derive(Clone, Copy, Debug, Default)]
pub struct SimCounts {
    /// Connection polls, and rounds of the transport loop in them.
    pub polls: u64,
    pub rounds: u64,
    /// Writes that took only part of the output (the socket's send buffer was full).
    pub partial_writes: u64,
    /// Floods started, input pauses at the output limit, and resumes of held-back commands.
    pub floods: u64,
    pub pauses: u64,
    pub resumes: u64,
    /// Timers fired, and cross-session wake-ups taken.
    pub timers_fired: u64,
    pub wakes: u64,
    /// Clients killed, closed for idleness, ended by the closing flush limit, hung up.
    pub kills: u64,
    pub idle_closes: u64,
    pub flush_limit_closes: u64,
    pub hang_ups: u64,
}

impl SimCounts {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, o: &SimCounts) {
        self.polls += o.polls;
        self.rounds += o.rounds;
        self.partial_writes += o.partial_writes;
        self.floods += o.floods;
        self.pauses += o.pauses;
        self.resumes += o.resumes;
        self.timers_fired += o.timers_fired;
        self.wakes += o.wakes;
        self.kills += o.kills;
        self.idle_closes += o.idle_closes;
        self.flush_limit_closes += o.flush_limit_closes;
        self.hang_ups += o.hang_ups;
    }
}

pub(super) struct World<'a> {
    pub(super) seed: u64,
    pub(super) step: usize,
    pub(super) server: Arc<Server>,
    pub(super) clients: Vec<SimClient>,
    /// Clients that hung up, kept until the server side notices and drops the connection
    /// (commands they sent before hanging up may still execute).
    pub(super) orphans: Vec<SimClient>,
    pub(super) model: Model,
    pub(super) now: Now,
    pub(super) rng: Rng,
    pub(super) checker: Checker,
    land_on_expiry: bool,
    /// The idle `timeout` (seconds) of this run, 0 for none.
    pub(super) timeout: u64,
    pub(super) counts: SimCounts,
    log: &'a mut Vec<String>,
}

/// Runs seed `seed` as `opts` says, appending a line per event to `log`.
pub fn run_seed(seed: u64, opts: SimOptions, log: &mut Vec<String>) -> Result<SimCounts, Failure> {
    let now = Now::from_ms(EPOCH_MS);
    let mut rng = Rng::with_seed(seed);
    // A third of the runs have an idle timeout, so connections arm timers that fire.
    let timeout = if rng.u8(0..3) == 0 { rng.u64(1..=5) } else { 0 };
    let config = Config {
        timeout,
        ..Config::default()
    };
    let server = Arc::new(Server::new(config, seed, Box::new(MemHost::default()), now));
    let checker = Checker::new(&server, now);
    let clients = (0..CLIENTS)
        .map(|_| SimClient::connect(&server, now, window(&mut rng)))
        .collect();
    // Subscribed before the first command: the whole run's stream is replayed at the end.
    let mut reader = server.keyspace.log.subscribe();
    let mut w = World {
        seed,
        step: 0,
        server,
        clients,
        orphans: Vec::new(),
        model: Model::default(),
        now,
        rng,
        checker,
        land_on_expiry: opts.land_on_expiry,
        timeout,
        counts: SimCounts::default(),
        log,
    };
    if timeout > 0 {
        w.note(format!("idle timeout {timeout}s"));
    }
    w.run_ready()?;
    for step in 0..opts.steps {
        w.step = step;
        w.step_once()?;
        w.run_ready()?;
        w.check_deadlines()?;
        let sweep = step % 5 == 0;
        w.checker
            .invariants(&w.model, w.now, sweep)
            .map_err(|e| w.fail(e))?;
    }
    w.finish()?;
    super::replay::check_replay(&w.server, &mut reader, w.now, Now::from_ms(EPOCH_MS))
        .map_err(|e| w.fail(format!("replay property: {e}")))?;
    w.server.keyspace.log.unsubscribe(reader);
    Ok(w.counts)
}

/// A new connection's socket send buffer: often small (a slow reader: writes are partial),
/// sometimes unbounded (one write takes any output, however large).
pub(super) fn window(rng: &mut Rng) -> usize {
    match rng.u8(0..4) {
        0 => rng.usize(16..4096),
        1 | 2 => rng.usize(4096..=1 << 20),
        _ => usize::MAX,
    }
}

impl World<'_> {
    pub(super) fn fail(&self, message: String) -> Failure {
        Failure {
            seed: self.seed,
            step: self.step,
            message,
        }
    }

    fn t(&self) -> u64 {
        self.now.micros() - EPOCH_MS * 1000
    }

    pub(super) fn note(&mut self, s: String) {
        let line = format!("#{} t={}us {s}", self.step, self.t());
        self.log.push(line);
    }

    fn step_once(&mut self) -> Result<(), Failure> {
        let i = self.rng.usize(0..CLIENTS);
        match self.rng.u8(0..100) {
            0..=44 => self.send(i, false),
            45..=69 if self.rng.u8(0..8) == 0 => {
                // The socket's send buffer changes size (autotuning, a reader that speeds
                // up or slows down): a slow reader's whole backlog may go out in one write.
                let w = window(&mut self.rng);
                let size = match w {
                    usize::MAX => "unbounded".to_string(),
                    w => format!("{w} bytes"),
                };
                self.note(format!("c{i}'s socket buffer becomes {size}"));
                self.clients[i].conn.set_window(w);
                Ok(())
            }
            45..=69 => {
                let all = self.rng.bool();
                self.read(i, all)
            }
            70..=81 => {
                self.advance_time();
                Ok(())
            }
            82..=93 => match self.rng.u8(0..120) {
                0 => self.flood(i),
                1..=4 => self.kill(i),
                _ => {
                    self.note("tick".into());
                    self.server.tick(self.now);
                    Ok(())
                }
            },
            94..=96 => self.send(i, true),
            _ => {
                self.note(format!("c{i} disconnects cleanly, reconnects"));
                self.hang_up(i);
                Ok(())
            }
        }
    }

    /// Time jumps; connections whose timer it passes are due.
    fn advance_time(&mut self) {
        // Mostly small steps (to land exactly on expiry boundaries), sometimes seconds,
        // rarely a large jump that expires everything.
        let ms = match self.rng.u8(0..100) {
            0..=49 => self.rng.u64(0..5),
            50..=84 => self.rng.u64(0..300),
            85..=96 => self.rng.u64(0..2000),
            _ => self.rng.u64(5_000..60_000),
        };
        let mut us = ms * 1000 + self.rng.u64(0..1000);
        // Often land exactly on the next key's expiry millisecond, the boundary where a key
        // is still alive (Redis expires it only once now > expire_at).
        if self.land_on_expiry && self.rng.u8(0..3) == 0 {
            if let Some(at) = self.model.next_expiry(self.now.ms()) {
                us = (at * 1000 + self.rng.u64(0..1000)).saturating_sub(self.now.micros());
            }
        }
        self.now = Now(self.now.micros() + us);
        self.note(format!("time +{us}us"));
    }

    /// Client `i` writes: new commands if it has nothing pending, then sends part or all of
    /// its outgoing bytes. With `cut`, strictly less than all go out and the client then
    /// hangs up (a half frame left in the dropped connection's buffer).
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
            "c{i} sends {n}/{len} bytes{}",
            if cut { ", then hangs up" } else { "" }
        ));
        self.clients[i].send(n);
        if cut {
            // The bytes reach the server before the hang-up does.
            self.run_ready()?;
            self.hang_up(i);
        }
        Ok(())
    }

    /// Client `i` closes its socket and connects again; the old connection lives on, on the
    /// server side, until its transport sees the hang-up.
    fn hang_up(&mut self, i: usize) {
        let fresh = SimClient::connect(&self.server, self.now, window(&mut self.rng));
        let mut old = std::mem::replace(&mut self.clients[i], fresh);
        old.conn.hang_up();
        self.counts.hang_ups += 1;
        self.orphans.push(old);
    }

    /// Client `i` pipelines a flood (see `cmds::flood`) and sends it in one write. Skipped
    /// inside a MULTI, and while another client still holds a large output (one flood's
    /// worth of memory at a time).
    fn flood(&mut self, i: usize) -> Result<(), Failure> {
        let busy = self.clients.iter().any(|c| {
            c.conn.connection().output().len() + c.conn.unread() > super::cmds::FLOOD_VALUE
        });
        if self.clients[i].gen_in_multi || busy {
            self.note(format!("c{i} would flood, skipped"));
            return Ok(());
        }
        let cmds = flood(&mut self.rng);
        self.note(format!(
            "c{i} floods: {} then {} GETs",
            cmds[0].describe(),
            cmds.len() - 1
        ));
        for cmd in cmds {
            self.clients[i].write(cmd);
        }
        self.counts.floods += 1;
        let n = self.clients[i].wire.len();
        self.clients[i].send(n);
        Ok(())
    }

    /// The checker kills client `i` (CLIENT KILL ID): the kill wakes the client's task, and
    /// the server must close it, without the replies it had not written yet.
    fn kill(&mut self, i: usize) -> Result<(), Failure> {
        let id = self.clients[i].conn.connection().session().id().to_string();
        self.note(format!("checker kills c{i} (id {id})"));
        let got = self
            .checker
            .cmd(self.now, &["CLIENT", "KILL", "ID", &id])
            .map_err(|e| self.fail(e))?;
        if got != crate::resp::value::Value::Integer(1) {
            return Err(self.fail(format!("CLIENT KILL ID {id} gave {got:?}")));
        }
        self.clients[i].killed = true;
        self.counts.kills += 1;
        // The kill woke the client's task: polled, it must have begun closing (or closed,
        // and been replaced by a fresh client).
        self.run_ready()?;
        let c = &self.clients[i];
        if c.killed && c.conn.closing_since().is_none() {
            return Err(self.fail(format!("c{i} was killed but is not closing: lost wake-up")));
        }
        Ok(())
    }
}
