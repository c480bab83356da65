//! The connection's rules: closing, output backpressure, timers, the input buffer.

use super::*;
use crate::testkit::frame;

fn conn() -> Connection {
    Connection::new(
        crate::testkit::server(),
        ClientInfo::Internal,
        Now(1_000_000),
    )
}

fn feed(c: &mut Connection, bytes: &[u8]) {
    c.input_buffer().extend_from_slice(bytes);
    c.received(Now(1_000_000), bytes.len());
}

#[test]
fn replies_then_close_after_quit() {
    let mut c = conn();
    feed(&mut c, b"PING\r\nQUIT\r\nPING\r\n");
    assert_eq!(c.output(), b"+PONG\r\n+OK\r\n");
    // Closing with replies unwritten: stop reading, arm the flush limit.
    let (next, timer) = c.settle(Now(1_000_000), false);
    assert_eq!(next, Next::Again);
    assert_eq!(timer, Some(TimerChange::Arm(Now(11_000_000))));
    assert!(c.is_closing() && !c.wants_input());
    let n = c.output().len();
    c.consume_output(n);
    assert_eq!(c.settle(Now(1_000_001), true).0, Next::Sleep);
    assert_eq!(c.settle(Now(1_000_001), false).0, Next::Done);
    // A client that never drains: the flush limit ends it.
    let mut d = conn();
    feed(&mut d, b"QUIT\r\n");
    d.settle(Now(1_000_000), false);
    assert!(!d.timer_fired(Now(11_000_000)));
}

#[test]
fn paused_input_resumes_once_output_drains() {
    let mut c = conn();
    let value = vec![b'v'; 1 << 20];
    feed(&mut c, &frame(&[b"SET".as_slice(), b"k", &value]));
    let n = c.output().len();
    c.consume_output(n);
    let gets = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(100);
    feed(&mut c, &gets);
    assert!(c.output().len() >= OUTPUT_PAUSE_BYTES);
    assert!(!c.wants_input(), "reading must pause at the output limit");
    // (The first settle arms the timer that releases an idle input buffer.)
    c.settle(Now(1_000_000), false);
    assert_eq!(c.settle(Now(1_000_000), false).0, Next::Sleep);
    // One write drains everything: settle must ask for another round, which resumes.
    let n = c.output().len();
    c.consume_output(n);
    assert_eq!(c.settle(Now(1_000_000), false).0, Next::Again);
    assert!(c.resume(Now(1_000_000)));
    assert!(!c.output().is_empty());
}

/// Found by the simulator: reading paused with nothing left in `input` (the last command
/// read filled the output), then one write drained everything. Bytes that reached the
/// socket during the pause wake nothing, so settle must ask for a round that reads.
#[test]
fn paused_reading_restarts_once_output_drains() {
    let mut c = conn();
    let value = vec![b'v'; 1 << 20];
    feed(&mut c, &frame(&[b"SET".as_slice(), b"k", &value]));
    let n = c.output().len();
    c.consume_output(n);
    let gets = OUTPUT_PAUSE_BYTES.div_ceil(value.len() + 12);
    feed(&mut c, &b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".repeat(gets));
    assert!(
        c.input_mut().is_empty(),
        "the last GET read is the one that fills the output"
    );
    assert!(!c.wants_input());
    c.settle(Now(1_000_000), false);
    assert_eq!(c.settle(Now(1_000_000), false).0, Next::Sleep);
    let n = c.output().len();
    c.consume_output(n);
    assert_eq!(c.settle(Now(1_000_000), false).0, Next::Again);
    assert!(c.wants_input());
    assert_eq!(c.settle(Now(1_000_000), false).0, Next::Sleep);
}

fn feed_at(c: &mut Connection, at: Now, bytes: &[u8]) {
    c.input_buffer().extend_from_slice(bytes);
    c.received(at, bytes.len());
}

#[test]
fn timer_moves_only_earlier_and_disarms() {
    let server = crate::testkit::server();
    server.config.write().timeout = 10;
    let mut c = Connection::new(server, ClientInfo::Internal, Now(1_000_000));
    let (_, timer) = c.settle(Now(1_000_000), false);
    assert_eq!(timer, Some(TimerChange::Arm(Now(11_000_000))));
    // Input allocates the buffer, to be released 3 s after the client's last bytes:
    // that deadline comes first.
    feed(&mut c, b"PING\r\n");
    let (_, timer) = c.settle(Now(1_000_000), false);
    assert_eq!(timer, Some(TimerChange::Arm(Now(4_000_000))));
    // Both deadlines moved later: the armed timer stays.
    feed_at(&mut c, Now(2_000_000), b"PING\r\n");
    assert_eq!(c.settle(Now(2_000_000), false), (Next::Sleep, None));
    // Once the buffer is released, only the idle `timeout` is left; without it, nothing.
    assert!(c.timer_fired(Now(5_000_000)));
    assert_eq!(
        c.settle(Now(5_000_000), false).1,
        Some(TimerChange::Arm(Now(12_000_000)))
    );
    c.session.server().config.write().timeout = 0;
    assert_eq!(c.settle(Now(5_000_000), false).1, Some(TimerChange::Disarm));
}

#[test]
fn an_idle_clients_input_buffer_is_released() {
    let mut c = conn();
    let id = c.session.id();
    let qbuf = |c: &Connection| {
        let h = c.session.server().clients.get(id).expect("listed");
        let qbuf = h.qbuf.load(Ordering::Relaxed);
        qbuf + h.qbuf_free.load(Ordering::Relaxed)
    };
    assert_eq!(qbuf(&c), 0, "no buffer before the first read");
    feed(&mut c, b"PING\r\n");
    assert!(
        (READ_CHUNK..2 * READ_CHUNK).contains(&qbuf(&c)),
        "{}",
        qbuf(&c)
    );
    // Not idle long enough yet: kept.
    assert!(c.timer_fired(Now(3_999_999)));
    assert!(qbuf(&c) > 4096);
    assert!(c.timer_fired(Now(4_000_000)));
    assert_eq!((qbuf(&c), c.input_mut().capacity()), (0, 0));
    // A partial command keeps its bytes and stays decodable.
    feed_at(&mut c, Now(5_000_000), b"*1\r\n$4\r\nPI");
    assert!(c.timer_fired(Now(8_000_000)));
    assert_eq!(c.input_mut().capacity(), 10);
    feed_at(&mut c, Now(8_000_000), b"NG\r\n");
    assert_eq!(c.output(), b"+PONG\r\n+PONG\r\n");
}

#[test]
fn wake_flag_parks_unless_woken() {
    use crate::Waker as _;
    let mut c = conn();
    let noop = std::task::Waker::noop();
    assert!(c.wake_flag().park(noop));
    c.wake.wake();
    assert!(!c.wake_flag().park(noop));
    assert!(c.take_wake(Now(1_000_000)));
    assert!(!c.take_wake(Now(1_000_000)));
}

#[test]
fn a_paused_command_runs_when_the_pause_ends() {
    let server = crate::testkit::server();
    let mut a = Connection::new(server.clone(), ClientInfo::Internal, Now(1_000_000));
    let mut b = Connection::new(server, ClientInfo::Internal, Now(1_000_000));
    feed(&mut a, b"CLIENT PAUSE 500 WRITE\r\n");
    assert_eq!(a.output(), b"+OK\r\n");
    feed(&mut b, b"SET k v\r\nGET k\r\n");
    assert!(b.output().is_empty());
    // The timer goes to the millisecond after the pause's last; nothing else wakes it.
    let (_, timer) = b.settle(Now(1_000_000), false);
    assert_eq!(timer, Some(TimerChange::Arm(Now(1_501_000))));
    assert!(!b.take_wake(Now(1_000_000)));
    assert!(b.timer_fired(Now(1_501_000)));
    assert_eq!(b.output(), b"+OK\r\n$1\r\nv\r\n");
}

#[test]
fn unpause_wakes_the_paused_connections() {
    let server = crate::testkit::server();
    let mut a = Connection::new(server.clone(), ClientInfo::Internal, Now(1_000_000));
    let mut b = Connection::new(server, ClientInfo::Internal, Now(1_000_000));
    feed(&mut a, b"CLIENT PAUSE 100000 WRITE\r\n");
    feed(&mut b, b"SET k v\r\n");
    assert!(b.output().is_empty());
    feed(&mut a, b"CLIENT UNPAUSE\r\n");
    assert_eq!(a.output(), b"+OK\r\n+OK\r\n");
    assert!(b.take_wake(Now(1_000_000)));
    assert_eq!(b.output(), b"+OK\r\n");
}
