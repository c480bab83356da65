//! One simulated connection: its session, the bytes it has written but not yet delivered
//! (so a command can arrive in several partial writes), its read buffer, the replies it
//! awaits, and its MULTI state as the model sees it.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::cmds::Cmd;
use super::model::{Expected, Model};
use crate::clock::Now;
use crate::resp::value::Value;
use crate::server::Server;
use crate::session::{ClientInfo, NoopWaker, Session};

/// A simulated client connection.
pub struct SimClient {
    pub session: Session,
    /// Bytes the client has written that the transport has not delivered yet.
    pub wire: Vec<u8>,
    /// Commands on the wire or partly delivered: (end offset in `wire`, command).
    pub frames: VecDeque<(usize, Cmd)>,
    /// The session's read buffer: unconsumed bytes stay here, new ones are appended.
    pub inbuf: BytesMut,
    /// Reply bytes taken from the session but not yet parsed.
    pub outbuf: Vec<u8>,
    /// Predicted replies, in order, with the command that produced each.
    pub expected: VecDeque<(Expected, String)>,
    /// Selected database, as the model tracks it.
    pub db: usize,
    /// MULTI open at execution, and the commands queued in it.
    pub in_multi: bool,
    pub queue: Vec<Cmd>,
    /// MULTI state at generation time (commands are generated ahead of execution).
    pub gen_in_multi: bool,
    pub gen_queued: usize,
}

impl SimClient {
    pub fn connect(server: &Arc<Server>, now: Now) -> Self {
        SimClient {
            session: Session::new(
                server.clone(),
                ClientInfo::Internal,
                Arc::new(NoopWaker),
                now,
            ),
            wire: Vec::new(),
            frames: VecDeque::new(),
            inbuf: BytesMut::new(),
            outbuf: Vec::new(),
            expected: VecDeque::new(),
            db: 0,
            in_multi: false,
            queue: Vec::new(),
            gen_in_multi: false,
            gen_queued: 0,
        }
    }

    /// Appends `cmd` to the client's outgoing bytes.
    pub fn write(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Multi => {
                self.gen_in_multi = true;
                self.gen_queued = 0;
            }
            Cmd::Exec => self.gen_in_multi = false,
            _ if self.gen_in_multi => self.gen_queued += 1,
            _ => {}
        }
        self.wire.extend_from_slice(&cmd.frame());
        self.frames.push_back((self.wire.len(), cmd));
    }

    /// Delivers the first `n` bytes of the wire to the session and returns the commands
    /// completed (and so executed) by them, in order.
    pub fn deliver(&mut self, now: Now, n: usize) -> Vec<Cmd> {
        self.inbuf.extend_from_slice(&self.wire[..n]);
        self.wire.drain(..n);
        self.session.handle_input(now, &mut self.inbuf);
        let mut done = Vec::new();
        while self.frames.front().is_some_and(|(end, _)| *end <= n) {
            done.push(self.frames.pop_front().unwrap().1);
        }
        for (end, _) in self.frames.iter_mut() {
            *end -= n;
        }
        done
    }

    /// Runs `cmd` against the model at the moment the engine executes it.
    pub fn execute(&mut self, cmd: &Cmd, model: &mut Model, now_ms: u64) -> Expected {
        let simple =
            |s: &'static str| Expected::Exact(Value::Simple(Bytes::from_static(s.as_bytes())));
        match (self.in_multi, cmd) {
            (false, Cmd::Multi) => {
                self.in_multi = true;
                simple("OK")
            }
            (false, Cmd::Exec) => {
                Expected::Exact(Value::Error(Bytes::from_static(b"ERR EXEC without MULTI")))
            }
            (false, c) => model.apply(c, &mut self.db, now_ms),
            (true, Cmd::Exec) => {
                self.in_multi = false;
                let queue = std::mem::take(&mut self.queue);
                Expected::Exec(
                    queue
                        .iter()
                        .map(|c| model.apply(c, &mut self.db, now_ms))
                        .collect(),
                )
            }
            (true, Cmd::Multi) => Expected::Exact(Value::Error(Bytes::from_static(
                b"ERR MULTI calls can not be nested",
            ))),
            (true, c) => {
                self.queue.push(c.clone());
                simple("QUEUED")
            }
        }
    }
}
