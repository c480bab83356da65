//! The transport-independent half of a client connection: a `Session` with its input buffer,
//! the cross-session wake-up, output backpressure, the idle/blocking timer and the closing
//! flush limit. Every transport (Tokio, io_uring, QUIC) wraps one of these and only moves
//! bytes: it reads into [`Connection::input_buffer`] when [`Connection::wants_input`], writes
//! [`Connection::output`], keeps one timer where [`Connection::settle`] says, and calls
//! [`Connection::timer_fired`] when it fires. The rules live here once, so a bug fixed in
//! them (a paused client whose output drains in one write must still resume) is fixed for
//! every transport.
//!
//! No I/O and no clock: every method that needs the time takes `now`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use atomic_waker::AtomicWaker;
use bytes::BytesMut;

mod querybuf;

use querybuf::QueryBuf;

use crate::session::OUTPUT_PAUSE_BYTES;
use crate::stats::Stats;
use crate::{ClientInfo, Now, Server, Session};

/// Read size: large enough for a deep pipeline of small commands in one read.
pub const READ_CHUNK: usize = 16 * 1024;

/// Below this much free space the input buffer grows before the next read.
const MIN_SPARE: usize = 4 * 1024;

/// An idle connection's input buffer is shrunk back to `READ_CHUNK` above this capacity, so
/// one large request does not pin memory for the connection's lifetime.
pub const SHRINK_ABOVE: usize = 256 * 1024;

/// How long a closing connection may take to flush its last replies to a client that does
/// not read them, in µs. Public so that the simulator can check that it is enforced.
pub const CLOSE_FLUSH_LIMIT: u64 = 10_000_000;

/// After the timer fired, it is not armed again sooner than this (µs): a session whose
/// deadline did not move after `handle_timeout` must not make the task spin.
const MIN_REARM: u64 = 1000;

/// The session's waker: another session (PUBLISH, CLIENT KILL, a push serving BLPOP) sets the
/// flag and wakes the transport's task, which then polls the connection again.
#[derive(Default)]
pub struct WakeFlag {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl crate::Waker for WakeFlag {
    fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl WakeFlag {
    /// Registers the task to wake before it sleeps; `false` if a wake-up raced in meanwhile,
    /// so the task must poll again instead of sleeping (no lost wake-ups).
    pub fn park(&self, task: &std::task::Waker) -> bool {
        self.task.register(task);
        !self.woken.load(Ordering::Acquire)
    }
}

/// What the transport should do with its timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerChange {
    /// Arm (or move) it to fire at this instant.
    Arm(Now),
    /// Drop it: nothing is due.
    Disarm,
}

/// Where the connection stands after a round of I/O.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Everything is flushed and the session asked to close: close the connection.
    Done,
    /// Something changed (paused commands may resume, the timer moved, closing began): run
    /// another round before sleeping.
    Again,
    /// Nothing more to do until I/O, a wake-up or the timer.
    Sleep,
}

/// One client connection's state, whatever carries its bytes.
pub struct Connection {
    session: Session,
    input: BytesMut,
    wake: Arc<WakeFlag>,
    /// The session asked to close: no more reading; flush, then end.
    closing: bool,
    /// The client finished sending (a QUIC stream's FIN): close once the replies are out.
    peer_finished: bool,
    /// The session stopped at the output limit with commands left in `input`: run them once
    /// the output has drained, even if no new bytes arrive.
    input_pending: bool,
    /// `wants_input` refused a read for unread replies. Bytes that arrive meanwhile wake
    /// nothing (the task is not reading), so once the replies drain below the threshold the
    /// transport must be told to read again, even if nothing is left in `input` to resume.
    input_paused: bool,
    /// Whether the backpressure notice was logged for this connection.
    throttled_logged: bool,
    /// Earliest instant (µs) the timer may be armed for after it fired.
    min_rearm: u64,
    /// The instant (µs) the transport's timer is armed for.
    armed: Option<u64>,
    /// The input buffer's allocation and recent peak, as Redis sizes its query buffer.
    querybuf: QueryBuf,
}

impl Connection {
    /// A new client of `server`, connected at `now`.
    pub fn new(server: Arc<Server>, info: ClientInfo, now: Now) -> Self {
        let wake = Arc::new(WakeFlag::default());
        let session = Session::new(server, info, wake.clone(), now);
        Connection {
            session,
            // Allocated by the first read, as Redis's query buffer starts empty.
            input: BytesMut::new(),
            wake,
            closing: false,
            peer_finished: false,
            input_pending: false,
            input_paused: false,
            throttled_logged: false,
            min_rearm: 0,
            armed: None,
            querybuf: QueryBuf::default(),
        }
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The wake-up flag the task parks on.
    pub fn wake_flag(&self) -> &WakeFlag {
        &self.wake
    }

    /// Whether the transport should read from the client now: not while closing, and not
    /// while unread replies hold the session at the output limit.
    pub fn wants_input(&mut self) -> bool {
        if self.closing || self.peer_finished || self.input_pending {
            return false;
        }
        let pending = self.session.pending_output().len();
        self.input_paused = pending >= OUTPUT_PAUSE_BYTES;
        if self.input_paused {
            if !self.throttled_logged {
                self.throttled_logged = true;
                tracing::debug!(
                    "Client id={} has {pending} bytes of unread replies: pausing its input",
                    self.session.id()
                );
            }
            return false;
        }
        true
    }

    /// The input buffer, with room for a read of at least `MIN_SPARE` bytes.
    pub fn input_buffer(&mut self) -> &mut BytesMut {
        let spare = self.input.capacity() - self.input.len();
        match self.session.big_bulk_remaining(self.input.len()) {
            // A big argument: room for exactly what it still needs, not double (Redis's
            // non-greedy growth), so the buffer holds no more than the request.
            Some(want) if want > spare => {
                let skip = self.session.take_header_prefix().min(self.input.len());
                let mut exact = BytesMut::with_capacity(self.input.len() - skip + want);
                exact.extend_from_slice(&self.input[skip..]);
                self.input = exact;
            }
            _ if spare < MIN_SPARE => self.input.reserve(READ_CHUNK),
            _ => {}
        }
        &mut self.input
    }

    /// The input buffer as it is (a transport that lends its allocation to the kernel).
    pub fn input_mut(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// `n` bytes were added to the input buffer: counts them and executes what is complete.
    pub fn received(&mut self, now: Now, n: usize) {
        Stats::add(&self.session.server().stats.total_net_input_bytes, n as u64);
        if !self.closing {
            self.process_input(now);
        }
    }

    /// Takes a cross-session wake-up: delivers a settled blocking command's reply and runs
    /// the commands that waited behind it. `true` if there was one.
    pub fn take_wake(&mut self, now: Now) -> bool {
        if !self.wake.woken.swap(false, Ordering::Acquire) {
            return false;
        }
        if !self.closing {
            self.process_input(now);
        }
        true
    }

    /// Runs the commands paused at the output limit once the output drained below it;
    /// `true` if it did.
    pub fn resume(&mut self, now: Now) -> bool {
        if !self.resumable() {
            return false;
        }
        self.input_pending = false;
        self.process_input(now);
        true
    }

    fn resumable(&self) -> bool {
        self.input_pending
            && !self.closing
            && self.session.pending_output().len() < OUTPUT_PAUSE_BYTES
    }

    /// Replies waiting to be written.
    pub fn output(&self) -> &[u8] {
        self.session.pending_output()
    }

    /// `n` bytes of [`Connection::output`] were written.
    pub fn consume_output(&mut self, n: usize) {
        self.session.consume_output(n);
    }

    /// The client finished its sending side: like a TCP half-close, it is gone once the
    /// replies to what it sent are written.
    pub fn peer_finished(&mut self) {
        self.peer_finished = true;
    }

    /// Whether the connection stopped reading to close.
    pub fn is_closing(&self) -> bool {
        self.closing
    }

    /// The transport's timer fired at `now`. `false`: it was the closing flush limit, and the
    /// client never drained its last replies, so give up on them and close.
    pub fn timer_fired(&mut self, now: Now) -> bool {
        self.armed = None;
        if self.closing {
            return false;
        }
        self.session.handle_timeout(now);
        self.free_idle_input(now);
        self.min_rearm = now.micros() + MIN_REARM;
        self.process_input(now);
        true
    }

    /// The client's last interaction, Unix ms (its idleness decides when the input buffer is
    /// released).
    fn last_interaction_ms(&self) -> u64 {
        self.session
            .handle()
            .last_interaction_ms
            .load(Ordering::Relaxed)
    }

    /// When the input buffer is due to be released for idleness, if it holds room worth
    /// releasing.
    fn idle_free_deadline(&self) -> Option<Now> {
        QueryBuf::idle_deadline_ms(&self.input, self.last_interaction_ms()).map(Now::from_ms)
    }

    /// Releases the input buffer's free room if the client has been idle long enough, as
    /// Redis does, so idle connections do not each pin a read buffer.
    fn free_idle_input(&mut self, now: Now) {
        let last = self.last_interaction_ms();
        if QueryBuf::free_if_idle(&mut self.input, last, now.ms()) {
            self.input_resized();
        }
    }

    /// Tells the session the input buffer was replaced (CLIENT LIST `qbuf-free`).
    fn input_resized(&mut self) {
        let room = self.querybuf.room(&self.input);
        self.session.note_input(self.input.len(), room);
    }

    /// Decides, after a round of I/O, whether to close, run again or sleep, and where the
    /// timer goes. `sending`: a write is still in flight (its bytes already left `output`).
    pub fn settle(&mut self, now: Now, sending: bool) -> (Next, Option<TimerChange>) {
        if self.session.is_closing() || self.closing || self.peer_finished {
            if self.session.pending_output().is_empty()
                && !sending
                && !self.session.has_held_output()
            {
                return (Next::Done, None);
            }
            if !self.closing {
                self.closing = true;
                let limit = now.micros() + CLOSE_FLUSH_LIMIT;
                self.armed = Some(limit);
                return (Next::Again, Some(TimerChange::Arm(Now(limit))));
            }
            return (Next::Sleep, None);
        }
        let timer = self.sync_timer();
        // The output may have drained below the limit in one write: the paused commands must
        // run, and the paused reading start again, now, since nothing else will wake the task
        // once the output is all written.
        let read_again =
            self.input_paused && self.session.pending_output().len() < OUTPUT_PAUSE_BYTES;
        let next = if timer.is_some() || self.resumable() || read_again {
            Next::Again
        } else {
            Next::Sleep
        };
        (next, timer)
    }

    /// Ends a poll round: [`Connection::settle`], then, if nothing happened this round
    /// (`progressed` false) and nothing is left to do, parks the task on the wake-up flag.
    /// `Next::Sleep` means parked: the task returns `Pending`. A wake-up that raced with the
    /// parking turns it into `Next::Again`, so none is lost.
    pub fn end_round(
        &mut self,
        now: Now,
        sending: bool,
        progressed: bool,
        task: &std::task::Waker,
    ) -> (Next, Option<TimerChange>) {
        let (next, timer) = self.settle(now, sending);
        let next = match next {
            Next::Sleep if progressed || !self.wake.park(task) => Next::Again,
            other => other,
        };
        (next, timer)
    }

    /// The timer moves only when the deadline comes earlier: a later deadline (new input
    /// pushed the idle timeout back) is picked up when the timer fires, so a busy connection
    /// does not touch the timer per request.
    fn sync_timer(&mut self) -> Option<TimerChange> {
        let deadline = match (self.session.poll_timeout(), self.idle_free_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(deadline) = deadline else {
            return self.armed.take().map(|_| TimerChange::Disarm);
        };
        let at = deadline.micros().max(self.min_rearm);
        if self.armed.is_some_and(|armed| armed <= at) {
            return None;
        }
        self.armed = Some(at);
        Some(TimerChange::Arm(Now(at)))
    }

    fn process_input(&mut self, now: Now) {
        self.querybuf.saw(&self.input);
        self.session.set_input_room(self.querybuf.room(&self.input));
        self.session.handle_input(now, &mut self.input);
        if self.session.pending_output().len() >= OUTPUT_PAUSE_BYTES && !self.input.is_empty() {
            self.input_pending = true;
        }
        if self.input.is_empty() && self.input.capacity() > SHRINK_ABOVE {
            self.input = BytesMut::with_capacity(READ_CHUNK);
            self.input_resized();
        } else if self.querybuf.trim(&mut self.input, now.ms()) {
            self.input_resized();
        }
    }
}

#[cfg(test)]
mod tests;
