//! Running the connections, as the transport's runtime would between two of the world's
//! steps: every task that is due (woken by its socket, its timer or another session) is
//! polled, in a seeded random order, until none is. After each poll the commands the server
//! executed are run on the model (in the order and at the time the server ran them), and a
//! connection that ended is checked for a cause and replaced.

use super::client::SimClient;
use super::conn::{Closed, Polled};
use super::model::{brief, brief_value, Model};
use super::world::{window, Failure, World, CLIENTS};
use crate::connection::CLOSE_FLUSH_LIMIT;
use crate::session::OUTPUT_PAUSE_BYTES;
use crate::testkit::EPOCH_MS;

/// Polls per `run_ready` before the world calls it a livelock.
const MAX_POLLS: usize = 100_000;

/// Rounds of reading everything and polling before the final drain gives up.
const MAX_DRAIN_ROUNDS: usize = 100_000;

#[derive(Clone, Copy)]
enum Who {
    Live(usize),
    Orphan(usize),
}

impl World<'_> {
    /// Polls due connections until none is.
    pub(super) fn run_ready(&mut self) -> Result<(), Failure> {
        for _ in 0..MAX_POLLS {
            let now = self.now;
            let live = (0..CLIENTS)
                .filter(|&i| self.clients[i].conn.due(now))
                .map(Who::Live);
            let orphans = (0..self.orphans.len())
                .filter(|&j| self.orphans[j].conn.due(now))
                .map(Who::Orphan);
            let due: Vec<Who> = live.chain(orphans).collect();
            if due.is_empty() {
                return Ok(());
            }
            match due[self.rng.usize(0..due.len())] {
                Who::Live(i) => self.poll_live(i)?,
                Who::Orphan(j) => self.poll_orphan(j)?,
            }
        }
        Err(self.fail("connections never stop being due (livelock)".into()))
    }

    fn poll_live(&mut self, i: usize) -> Result<(), Failure> {
        let p = self.clients[i].conn.poll(self.now);
        let name = format!("c{i}");
        let out = self.clients[i].conn.connection().output().len();
        self.account(&name, &p, out)?;
        let lines = run_model(&mut self.clients[i], &mut self.model, self.now, &name, true);
        self.log_lines(lines);
        let closing = self.clients[i].conn.connection().session().is_closing();
        if closing || p.closed.is_some() {
            self.check_cause(i)?;
        }
        match p.closed {
            None => self.check_sleeping(i),
            Some(why) => self.server_closed(i, why),
        }
    }

    fn poll_orphan(&mut self, j: usize) -> Result<(), Failure> {
        let p = self.orphans[j].conn.poll(self.now);
        let id = self.orphans[j].conn.connection().session().id();
        let name = format!("hung-up id {id}");
        let out = self.orphans[j].conn.connection().output().len();
        self.account(&name, &p, out)?;
        let lines = run_model(
            &mut self.orphans[j],
            &mut self.model,
            self.now,
            &name,
            false,
        );
        self.log_lines(lines);
        if let Some(why) = p.closed {
            self.note(format!("{name} dropped by its transport ({why:?})"));
            self.orphans.remove(j);
        }
        Ok(())
    }

    /// Counts and logs what a poll did; `out` is the output it left unwritten.
    fn account(&mut self, name: &str, p: &Polled, out: usize) -> Result<(), Failure> {
        if p.spun {
            return Err(self.fail(format!("{name}: the transport loop never settles")));
        }
        if p.read_while_paused {
            return Err(self.fail(format!(
                "{name}: wants_input allowed a read with {out} bytes of replies unwritten"
            )));
        }
        let k = &mut self.counts;
        k.polls += 1;
        k.rounds += p.rounds as u64;
        k.partial_writes += u64::from(p.partial_write);
        k.pauses += u64::from(p.paused);
        k.resumes += p.resumed as u64;
        k.timers_fired += u64::from(p.timer_fired);
        k.wakes += u64::from(p.woken);
        if p.woken {
            self.note(format!("{name} takes a wake-up"));
        }
        if p.timer_fired {
            self.note(format!("{name}: its timer fires"));
        }
        if p.paused {
            self.note(format!(
                "{name} pauses its input: {out} bytes of replies unwritten"
            ));
        }
        if p.resumed > 0 {
            let n = p.resumed;
            self.note(format!("{name} resumes held-back commands ({n}x)"));
        }
        Ok(())
    }

    fn log_lines(&mut self, lines: Vec<String>) {
        for line in lines {
            self.note(line);
        }
    }

    /// The server may close a client only when told to (killed) or when it was idle for
    /// `timeout` since the transport last read from it.
    fn check_cause(&self, i: usize) -> Result<(), Failure> {
        let c = &self.clients[i];
        let idle = self.now.micros() - c.conn.last_read().micros();
        if c.killed || (self.timeout > 0 && idle >= self.timeout * 1_000_000) {
            return Ok(());
        }
        Err(self.fail(format!(
            "c{i}: the server closes it without a cause (not killed, idle {idle}us, timeout {}s)",
            self.timeout
        )))
    }

    /// Timers the connections must have fired by now: an idle client is closing once
    /// `timeout` passed since the connection last handed its session input (each such
    /// hand-off resets the idle clock, and the timer is never armed later than the new
    /// deadline), and a closing client is gone once the flush limit passed.
    pub(super) fn check_deadlines(&self) -> Result<(), Failure> {
        let now = self.now.micros();
        for (i, c) in self.clients.iter().enumerate() {
            match c.conn.closing_since() {
                Some(since) if now >= since.micros() + CLOSE_FLUSH_LIMIT => {
                    return Err(self.fail(format!(
                        "c{i}: closing since t={}us, still open after the flush limit",
                        since.micros() - EPOCH_MS * 1000
                    )));
                }
                None if self.timeout > 0
                    && now >= c.conn.last_input().micros() + self.timeout * 1_000_000 =>
                {
                    return Err(self.fail(format!(
                        "c{i}: idle since t={}us, not closing after the {}s timeout",
                        c.conn.last_input().micros() - EPOCH_MS * 1000,
                        self.timeout
                    )));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A sleeping connection may hold a complete command unexecuted only while its output
    /// is at the pause threshold (or it is closing): otherwise it would wait for input that
    /// may never come.
    fn check_sleeping(&self, i: usize) -> Result<(), Failure> {
        let c = &self.clients[i];
        let conn = c.conn.connection();
        let held = conn.is_closing() || conn.output().len() >= OUTPUT_PAUSE_BYTES;
        match c.waiting_in_input() {
            Some(cmd) if !held => Err(self.fail(format!(
                "c{i} sleeps with {} complete in its input buffer",
                cmd.describe()
            ))),
            _ => Ok(()),
        }
    }

    /// Client `i`'s connection ended at the server's initiative: the client reads what was
    /// written before the close, and connects again.
    fn server_closed(&mut self, i: usize, why: Closed) -> Result<(), Failure> {
        if matches!(why, Closed::Eof | Closed::WriteFailed) {
            return Err(self.fail(format!(
                "c{i}: ended as if hung up ({why:?}), but it is not"
            )));
        }
        self.read_replies(i, usize::MAX)?;
        let cause = if self.clients[i].killed {
            "killed"
        } else {
            self.counts.idle_closes += 1;
            "idle"
        };
        if why == Closed::FlushLimit {
            self.counts.flush_limit_closes += 1;
            let lost = self.clients[i].expected.len();
            self.note(format!(
                "c{i} closed ({cause}): flush limit passed, {lost} replies unwritten"
            ));
        } else if self.clients[i].killed && !self.clients[i].expected.is_empty() {
            // CLIENT KILL frees the client at once, as Redis does: what it had not read is
            // dropped.
            let lost = self.clients[i].expected.len();
            self.note(format!("c{i} closed (killed), {lost} replies dropped"));
        } else if let Some((_, cmd)) = self.clients[i].expected.front() {
            return Err(self.fail(format!("c{i}: closed ({cause}) without replying to {cmd}")));
        } else {
            self.note(format!("c{i} closed by the server ({cause}), reconnects"));
        }
        self.clients[i] = SimClient::connect(&self.server, self.now, window(&mut self.rng));
        Ok(())
    }

    /// Client `i` reads part (or, with `all`, all) of the replies waiting in its socket.
    pub(super) fn read(&mut self, i: usize, all: bool) -> Result<(), Failure> {
        let unread = self.clients[i].conn.unread();
        if unread == 0 {
            return Ok(());
        }
        let n = if all {
            unread
        } else {
            self.rng.usize(1..=unread)
        };
        self.read_replies(i, n)
    }

    /// Reads up to `max` reply bytes of client `i` and checks every complete reply against
    /// the next prediction.
    fn read_replies(&mut self, i: usize, max: usize) -> Result<(), Failure> {
        let replies = self.clients[i]
            .read(max)
            .map_err(|e| self.fail(format!("c{i}: {e}")))?;
        for v in replies {
            let Some((exp, cmd)) = self.clients[i].expected.pop_front() else {
                return Err(self.fail(format!("c{i}: unexpected reply {}", brief_value(&v))));
            };
            if !exp.matches(&v) {
                return Err(self.fail(format!(
                    "c{i}: {cmd}\n  expected {}\n  got      {}",
                    brief(&exp),
                    brief_value(&v)
                )));
            }
            self.note(format!("c{i} reads reply to {cmd}: ok"));
        }
        Ok(())
    }

    /// The end of a run: every client sends what it still has and becomes a fast reader
    /// (an unbounded socket buffer, everything read every round) until nothing moves. Then
    /// every complete command sent must have executed and been answered, and every hung-up
    /// connection must have been dropped.
    pub(super) fn finish(&mut self) -> Result<(), Failure> {
        self.note("final drain".into());
        for c in &mut self.clients {
            let n = c.wire.len();
            c.send(n);
            c.conn.set_window(usize::MAX);
        }
        for _ in 0..MAX_DRAIN_ROUNDS {
            self.run_ready()?;
            let mut moved = false;
            for i in 0..CLIENTS {
                if self.clients[i].conn.unread() > 0 {
                    self.read_replies(i, usize::MAX)?;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        for i in 0..CLIENTS {
            if let Some(cmd) = self.clients[i].unexecuted() {
                let cmd = cmd.describe();
                return Err(self.fail(format!("c{i}: {cmd} was sent whole but never executed")));
            }
            if let Some((_, cmd)) = self.clients[i].expected.front() {
                return Err(self.fail(format!("c{i}: no reply to {cmd}")));
            }
        }
        if !self.orphans.is_empty() {
            let n = self.orphans.len();
            return Err(self.fail(format!(
                "{n} hung-up connections were never dropped (their tasks were never woken)"
            )));
        }
        Ok(())
    }
}

/// Runs on the model the commands `c`'s connection executed in its last poll, in order, at
/// `now`; keeps the predicted replies if the client will read them (`keep`). Returns the
/// step log's lines.
fn run_model(
    c: &mut SimClient,
    model: &mut Model,
    now: crate::clock::Now,
    name: &str,
    keep: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    for cmd in c.executed() {
        let db = c.db;
        let exp = c.execute(&cmd, model, now.ms());
        let desc = format!("{} (db {db})", cmd.describe());
        lines.push(format!("{name} executes {desc} -> expect {}", brief(&exp)));
        if keep {
            c.expected.push_back((exp, desc));
        }
    }
    lines
}
