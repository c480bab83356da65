//! The simulated transport: one [`Connection`] driven the way the Tokio transport drives it
//! (transport-tokio/src/connection.rs), with simulated sockets instead of real ones.
//!
//! The socket is two byte queues. `sock_in` holds what the client sent and the transport has
//! not read; `sock_out` holds replies the transport wrote and the client has not read, at most
//! `window` bytes (the socket's send buffer), so a slow reader makes writes partial and the
//! connection's output back up until backpressure pauses its input.
//!
//! Readiness follows Tokio's rules, because a lost wake-up is exactly what the simulation
//! must be able to see: a read or write that would block registers interest, and only the
//! matching event (bytes arrive, space frees, the peer hangs up) wakes the task. The task is
//! also woken by its timer and by the connection's wake flag (another session's write). The
//! world polls a connection only when it is woken, never "just in case".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};

use crate::clock::Now;
use crate::connection::{Connection, Next, TimerChange};
use crate::server::Server;
use crate::session::{ClientInfo, OUTPUT_PAUSE_BYTES};

/// Rounds one poll may take before the simulation calls it a spin (the real task would
/// never yield).
const MAX_ROUNDS: usize = 100_000;

/// The task's waker: what the transport's runtime would do, record that the task must run.
struct TaskFlag(AtomicBool);

impl std::task::Wake for TaskFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Why a poll ended the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// `Next::Done`: the session asked to close and everything was flushed.
    Done,
    /// The closing flush limit passed with replies unwritten (`timer_fired` said false).
    FlushLimit,
    /// The peer hung up: the read hit end of file.
    Eof,
    /// The peer hung up: a write failed.
    WriteFailed,
}

/// What one poll did, for the world's log and counters.
#[derive(Debug, Default)]
pub struct Polled {
    /// Set when the connection ended; the transport drops it.
    pub closed: Option<Closed>,
    /// Reading stopped because unread replies reached the pause threshold.
    pub paused: bool,
    /// `resume` ran commands held back at the output limit, this many times.
    pub resumed: usize,
    /// The timer fired.
    pub timer_fired: bool,
    /// `take_wake` found a cross-session wake-up.
    pub woken: bool,
    /// A write took only part of the output (the socket's send buffer was full).
    pub partial_write: bool,
    /// The transport read while the output was at the pause threshold (`wants_input` should
    /// have said no).
    pub read_while_paused: bool,
    /// Rounds of the transport's loop.
    pub rounds: usize,
    /// The loop never settled (the real task would spin without yielding).
    pub spun: bool,
}

/// A [`Connection`] with its simulated socket and transport state.
pub struct SimConn {
    conn: Connection,
    sock_in: BytesMut,
    sock_out: BytesMut,
    /// The socket's send buffer size.
    window: usize,
    /// The peer closed: reads end in EOF once `sock_in` is empty, and writes fail.
    hung_up: bool,
    /// A read would have blocked: arriving bytes (or a hang-up) wake the task.
    read_interest: bool,
    /// A write would have blocked: freed space (or a hang-up) wakes the task.
    write_interest: bool,
    /// The transport's one timer, armed where `end_round` says.
    timer: Option<Now>,
    task: Arc<TaskFlag>,
    waker: std::task::Waker,
    /// Bytes ever moved from `sock_in` into the connection's input buffer.
    read_total: u64,
    /// When the transport last read bytes (an idle close before `timeout` after it is a bug).
    last_read: Now,
    /// When the connection last handed the session input (a read, a resume, a wake-up, a
    /// timer): each resets the session's idle clock, so an idle close is due `timeout` later.
    last_input: Now,
    /// When the connection was first seen closing (its flush limit runs from there).
    closing_since: Option<Now>,
    /// Reading is paused by backpressure (for logging each pause once).
    paused: bool,
}

impl SimConn {
    /// A new connection to `server` at `now` whose socket buffers `window` unread bytes.
    pub fn new(server: &Arc<Server>, now: Now, window: usize) -> Self {
        // Woken from the start: a spawned task runs once right away.
        let task = Arc::new(TaskFlag(AtomicBool::new(true)));
        SimConn {
            conn: Connection::new(server.clone(), ClientInfo::Internal, now),
            sock_in: BytesMut::new(),
            sock_out: BytesMut::new(),
            window,
            hung_up: false,
            read_interest: false,
            write_interest: false,
            timer: None,
            waker: std::task::Waker::from(task.clone()),
            task,
            read_total: 0,
            last_read: now,
            last_input: now,
            closing_since: None,
            paused: false,
        }
    }

    /// The connection (its session, its output).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The client sends `bytes`: they queue in the socket, and wake a task waiting to read.
    pub fn send(&mut self, bytes: &[u8]) {
        self.sock_in.extend_from_slice(bytes);
        if std::mem::take(&mut self.read_interest) {
            self.wake();
        }
    }

    /// The client reads up to `max` bytes of replies; freed space wakes a blocked writer.
    pub fn recv(&mut self, max: usize) -> Bytes {
        let n = max.min(self.sock_out.len());
        let got = self.sock_out.split_to(n).freeze();
        if n > 0 && std::mem::take(&mut self.write_interest) {
            self.wake();
        }
        got
    }

    /// Replies written to the socket and not read yet.
    pub fn unread(&self) -> usize {
        self.sock_out.len()
    }

    /// The client closes its socket: both directions report it to a registered task.
    pub fn hang_up(&mut self) {
        self.hung_up = true;
        if std::mem::take(&mut self.read_interest) | std::mem::take(&mut self.write_interest) {
            self.wake();
        }
    }

    /// Sets the socket's send buffer size; a larger one wakes a blocked writer.
    pub fn set_window(&mut self, window: usize) {
        self.window = window;
        if self.sock_out.len() < window && std::mem::take(&mut self.write_interest) {
            self.wake();
        }
    }

    /// Whether the task is due to run at `now`: woken, or its timer has passed.
    pub fn due(&self, now: Now) -> bool {
        self.task.0.load(Ordering::Relaxed) || self.timer.is_some_and(|at| now >= at)
    }

    /// Input bytes the session has consumed, ever: the commands whose frames end at or
    /// before this offset have executed.
    pub fn consumed(&mut self) -> u64 {
        self.read_total - self.conn.input_mut().len() as u64
    }

    /// Bytes ever read into the connection's input buffer.
    pub fn read_total(&self) -> u64 {
        self.read_total
    }

    /// When the transport last read bytes.
    pub fn last_read(&self) -> Now {
        self.last_read
    }

    /// When the connection last handed the session input (see the field).
    pub fn last_input(&self) -> Now {
        self.last_input
    }

    /// When the connection was first seen closing, if it is.
    pub fn closing_since(&self) -> Option<Now> {
        self.closing_since
    }

    fn wake(&self) {
        self.task.0.store(true, Ordering::Relaxed);
    }

    /// Runs the task once at `now`, as `Future::poll` of the Tokio transport does: rounds of
    /// wake-up, resume-or-read, timer, flush, `end_round`, until it sleeps or ends.
    pub fn poll(&mut self, now: Now) -> Polled {
        self.task.0.store(false, Ordering::Relaxed);
        let mut p = Polled::default();
        while p.rounds < MAX_ROUNDS {
            p.rounds += 1;
            let mut progressed = self.conn.take_wake(now);
            p.woken |= progressed;
            if self.conn.resume(now) {
                p.resumed += 1;
                progressed = true;
            } else if self.conn.wants_input() {
                self.paused = false;
                if !self.sock_in.is_empty() {
                    p.read_while_paused |= self.conn.output().len() >= OUTPUT_PAUSE_BYTES;
                    self.read_once(now);
                    progressed = true;
                } else if self.hung_up {
                    p.closed = Some(Closed::Eof);
                    return p;
                } else {
                    self.read_interest = true;
                }
            } else if !self.paused && self.conn.output().len() >= OUTPUT_PAUSE_BYTES {
                self.paused = true;
                p.paused = true;
            }
            if self.timer.is_some_and(|at| now >= at) {
                self.timer = None;
                p.timer_fired = true;
                if !self.conn.timer_fired(now) {
                    p.closed = Some(Closed::FlushLimit);
                    return p;
                }
                progressed = true;
            }
            if progressed && self.closing_since.is_none() {
                self.last_input = now;
            }
            if !self.flush(&mut p) {
                p.closed = Some(Closed::WriteFailed);
                return p;
            }
            let (next, timer) = self.conn.end_round(now, false, progressed, &self.waker);
            match timer {
                Some(TimerChange::Arm(at)) => self.timer = Some(at),
                Some(TimerChange::Disarm) => self.timer = None,
                None => {}
            }
            if self.conn.is_closing() {
                self.closing_since.get_or_insert(now);
            }
            match next {
                Next::Done => {
                    p.closed = Some(Closed::Done);
                    return p;
                }
                Next::Sleep => return p,
                Next::Again => {}
            }
        }
        p.spun = true;
        p
    }

    /// One read: what the socket holds, up to the input buffer's free space.
    fn read_once(&mut self, now: Now) {
        let input = self.conn.input_buffer();
        let n = (input.capacity() - input.len()).min(self.sock_in.len());
        input.extend_from_slice(&self.sock_in[..n]);
        self.sock_in.advance(n);
        self.read_total += n as u64;
        self.last_read = now;
        self.conn.received(now, n);
    }

    /// Writes output until done or the send buffer is full; `false`: the peer is gone.
    fn flush(&mut self, p: &mut Polled) -> bool {
        let pending = self.conn.output().len();
        if pending == 0 {
            return true;
        }
        if self.hung_up {
            return false;
        }
        let n = pending.min(self.window.saturating_sub(self.sock_out.len()));
        self.sock_out.extend_from_slice(&self.conn.output()[..n]);
        self.conn.consume_output(n);
        if n < pending {
            // The next write would block: register, as a Pending `poll_write` does.
            p.partial_write = true;
            self.write_interest = true;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{frame, EPOCH_MS};

    /// A reader whose whole backlog goes out in one write, after reading was paused by
    /// backpressure with nothing left in the input buffer: bytes that arrived meanwhile wait
    /// in the socket, and the connection must read them (nothing else will wake it).
    #[test]
    fn paused_reading_resumes_when_one_write_drains_everything() {
        let server = crate::testkit::server();
        let now = Now::from_ms(EPOCH_MS);
        let mut c = SimConn::new(&server, now, 4096);
        // 64 replies pass the threshold by more than one write takes: still paused after it.
        let value = vec![b'v'; (1 << 20) + 200];
        c.send(&frame(&[b"SET".as_slice(), b"k", &value]));
        let gets = OUTPUT_PAUSE_BYTES.div_ceil(value.len());
        c.send(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(gets));
        assert!(c.poll(now).paused);
        assert_eq!(
            c.conn.input_mut().len(),
            0,
            "every GET ran before the pause"
        );
        c.send(b"PING\r\n");
        c.set_window(usize::MAX);
        assert!(c.due(now));
        c.poll(now);
        let out = c.recv(usize::MAX);
        assert!(
            out.ends_with(b"+PONG\r\n"),
            "PING never read: the connection stalled"
        );
    }
}
