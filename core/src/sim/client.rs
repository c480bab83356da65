//! One simulated client: its connection to the server (through the simulated transport), the
//! bytes it has written but not sent yet (so a command can arrive in several partial writes),
//! the commands sent but not yet executed, its read buffer, the replies it awaits, and its
//! MULTI state as the model sees it.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};

use super::cmds::Cmd;
use super::conn::SimConn;
use super::model::{Expected, Model};
use crate::clock::Now;
use crate::resp::value::{parse, Value};
use crate::server::Server;

/// A simulated client connection.
pub struct SimClient {
    pub conn: SimConn,
    /// Bytes the client has written that it has not sent yet.
    pub wire: BytesMut,
    /// Bytes ever written to `wire`, and ever sent from it.
    written: u64,
    sent: u64,
    /// Commands written and not yet executed: (end offset in the client's byte stream,
    /// command). The server has executed a command once it consumed its frame's last byte.
    pub frames: VecDeque<(u64, Cmd)>,
    /// Reply bytes read from the socket but not yet parsed.
    outbuf: BytesMut,
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
    /// The simulation killed it (CLIENT KILL): the server closing it is expected.
    pub killed: bool,
}

impl SimClient {
    /// A new client of `server` at `now`, whose socket buffers `window` unread reply bytes.
    pub fn connect(server: &Arc<Server>, now: Now, window: usize) -> Self {
        SimClient {
            conn: SimConn::new(server, now, window),
            wire: BytesMut::new(),
            written: 0,
            sent: 0,
            frames: VecDeque::new(),
            outbuf: BytesMut::new(),
            expected: VecDeque::new(),
            db: 0,
            in_multi: false,
            queue: Vec::new(),
            gen_in_multi: false,
            gen_queued: 0,
            killed: false,
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
        let frame = cmd.frame();
        self.wire.extend_from_slice(&frame);
        self.written += frame.len() as u64;
        self.frames.push_back((self.written, cmd));
    }

    /// Sends the first `n` bytes of the wire into the socket.
    pub fn send(&mut self, n: usize) {
        let bytes = self.wire.split_to(n);
        self.conn.send(&bytes);
        self.sent += n as u64;
    }

    /// The commands the server has executed since the last call, in order.
    pub fn executed(&mut self) -> Vec<Cmd> {
        let consumed = self.conn.consumed();
        let mut done = Vec::new();
        while self.frames.front().is_some_and(|(end, _)| *end <= consumed) {
            done.extend(self.frames.pop_front().map(|(_, cmd)| cmd));
        }
        done
    }

    /// The first command whose frame was sent whole but that has not executed.
    pub fn unexecuted(&self) -> Option<&Cmd> {
        self.frames
            .front()
            .filter(|(end, _)| *end <= self.sent)
            .map(|(_, cmd)| cmd)
    }

    /// The first command complete in the connection's input buffer but not executed (call
    /// after [`SimClient::executed`]).
    pub fn waiting_in_input(&self) -> Option<&Cmd> {
        let read = self.conn.read_total();
        self.frames
            .front()
            .filter(|(end, _)| *end <= read)
            .map(|(_, cmd)| cmd)
    }

    /// Reads up to `max` reply bytes from the socket and returns the complete replies in
    /// what has been read so far.
    pub fn read(&mut self, max: usize) -> Result<Vec<Value>, String> {
        let got: Bytes = self.conn.recv(max);
        self.outbuf.extend_from_slice(&got);
        let mut replies = Vec::new();
        loop {
            match parse(&self.outbuf) {
                Ok(Some((v, used))) => {
                    self.outbuf.advance(used);
                    replies.push(v);
                }
                Ok(None) => return Ok(replies),
                Err(e) => return Err(format!("unparseable reply: {e:?}")),
            }
        }
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
