//! Diskless full syncs driven by the tick on a fake clock.

use bytes::BytesMut;

use crate::clock::Now;
use crate::testkit::{frame, server, TestClient, EPOCH_MS};

/// A replica as Redis 7.0's handshake leaves it, before its PSYNC.
fn replica(srv: &std::sync::Arc<crate::server::Server>, port: &str) -> TestClient {
    let mut c = TestClient::new(srv);
    assert_eq!(c.cmd(&["REPLCONF", "listening-port", port]), "+OK\r\n");
    assert_eq!(
        c.cmd(&["REPLCONF", "capa", "eof", "capa", "psync2"]),
        "+OK\r\n"
    );
    c
}

fn tick(srv: &crate::server::Server, ms: u64) {
    srv.tick(Now::from_ms(EPOCH_MS + ms));
}

/// A diskless payload: the `+FULLRESYNC` offset (None for SYNC), the mark, the RDB.
struct Payload {
    offset: Option<u64>,
    mark: String,
    rdb: Vec<u8>,
}

/// Parses `+FULLRESYNC <id> <offset>\r\n` (if any) and `$EOF:<mark>\r\n<rdb><mark>`, which
/// must end `out`: nothing may follow the mark.
fn payload(out: &[u8]) -> Payload {
    let text = String::from_utf8_lossy(out).into_owned();
    let mut rest = out;
    let mut offset = None;
    if text.starts_with("+FULLRESYNC ") {
        let end = text.find("\r\n").expect("a line");
        let line = &text[..end];
        offset = line.rsplit(' ').next().and_then(|o| o.parse().ok());
        rest = &out[end + 2..];
    }
    assert!(rest.starts_with(b"$EOF:"), "{text}");
    let mark = String::from_utf8_lossy(&rest[5..45]).into_owned();
    assert!(mark.chars().all(|c| c.is_ascii_hexdigit()), "{mark}");
    assert_eq!(&rest[45..47], b"\r\n");
    let body = &rest[47..];
    assert!(body.ends_with(mark.as_bytes()), "nothing after the mark");
    let rdb = body[..body.len() - 40].to_vec();
    assert!(rdb.starts_with(b"REDIS0010"));
    Payload { offset, mark, rdb }
}

fn slave_line(c: &mut TestClient) -> String {
    let info = c.cmd(&["INFO", "replication"]);
    info.lines()
        .find(|l| l.starts_with("slave0:"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn redis_defaults_in_config_get() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    let get = c.cmd(&["CONFIG", "GET", "repl-diskless-sync*"]);
    for (name, value) in [
        ("repl-diskless-sync", "yes"),
        ("repl-diskless-sync-delay", "5"),
        ("repl-diskless-sync-max-replicas", "0"),
    ] {
        let pair = format!(
            "${}\r\n{name}\r\n${}\r\n{value}\r\n",
            name.len(),
            value.len()
        );
        assert!(get.contains(&pair), "{get}");
    }
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "-1"]),
        "-ERR CONFIG SET failed (possibly related to argument 'repl-diskless-sync-delay') - \
         argument must be between 0 and 2147483647 inclusive\r\n"
    );
}

#[test]
fn the_delay_is_honoured_with_a_keepalive_every_second() {
    let srv = server();
    let mut writer = TestClient::new(&srv);
    writer.cmd(&["SET", "before", "1"]);
    let mut r = replica(&srv, "6380");
    assert_eq!(r.cmd(&["PSYNC", "?", "-1"]), "", "no reply yet");
    assert!(
        slave_line(&mut writer).contains("state=wait_bgsave"),
        "{}",
        slave_line(&mut writer)
    );
    // Not yet online: ROLE leaves it out, INFO counts it.
    assert_eq!(writer.cmd(&["ROLE"]), "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    tick(&srv, 1000);
    assert_eq!(r.poll(), "\n");
    tick(&srv, 1500);
    assert_eq!(r.poll(), "", "one keepalive a second");
    tick(&srv, 2000);
    tick(&srv, 3000);
    tick(&srv, 4000);
    tick(&srv, 4999);
    assert_eq!(r.poll(), "\n\n\n", "still waiting before the delay");
    tick(&srv, 5000);
    let out = r.raw(b"");
    let p = payload(&out);
    assert_eq!(p.offset, Some(srv.keyspace.log.offset()));
    // The payload went out: online at the next tick.
    tick(&srv, 5100);
    let line = slave_line(&mut writer);
    assert!(line.contains("state=online"), "{line}");
}

#[test]
fn max_replicas_starts_the_transfer_before_the_delay() {
    let srv = server();
    let mut admin = TestClient::new(&srv);
    admin.cmd(&["CONFIG", "SET", "repl-diskless-sync-max-replicas", "2"]);
    let mut a = replica(&srv, "6380");
    assert_eq!(a.cmd(&["PSYNC", "?", "-1"]), "");
    tick(&srv, 100);
    assert!(!a.poll().contains("FULLRESYNC"), "one replica waits");
    let mut b = replica(&srv, "6381");
    assert_eq!(b.cmd(&["SYNC"]), "");
    tick(&srv, 200);
    let pa = payload(a.poll().trim_start_matches('\n').as_bytes());
    let pb = payload(&b.raw(b""));
    assert_eq!(pb.offset, None, "SYNC gets no +FULLRESYNC line");
    assert_eq!(pa.mark, pb.mark, "one transfer");
}

#[test]
fn one_snapshot_at_one_offset_serves_every_waiting_replica() {
    let srv = server();
    let mut writer = TestClient::new(&srv);
    writer.cmd(&["SET", "k1", "v1"]);
    let mut a = replica(&srv, "6380");
    a.cmd(&["PSYNC", "?", "-1"]);
    writer.cmd(&["SET", "k2", "v2"]);
    writer.advance_ms(2000);
    let mut b = replica(&srv, "6381");
    b.now = writer.now;
    b.cmd(&["PSYNC", "?", "-1"]);
    // The delay counts from the first replica's arrival.
    tick(&srv, 5000);
    let pa = payload(&a.raw(b"")[..]);
    let pb = payload(&b.raw(b"")[..]);
    assert_eq!(pa.offset, pb.offset);
    assert_eq!(pa.offset, Some(srv.keyspace.log.offset()));
    assert_eq!(pa.rdb, pb.rdb, "one snapshot");
    assert!(
        pa.rdb.windows(2).any(|w| w == b"k2"),
        "taken when it started"
    );
}

#[test]
fn nothing_is_streamed_before_the_first_ack() {
    let srv = server();
    let mut writer = TestClient::new(&srv);
    writer.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    let mut r = replica(&srv, "6380");
    // A delay of 0 starts the transfer in the PSYNC itself.
    let p = payload(&r.raw(&frame(&["PSYNC", "?", "-1"])));
    let offset = p.offset.expect("an offset");
    writer.cmd(&["SET", "k", "v"]);
    tick(&srv, 1000);
    tick(&srv, 2000);
    assert_eq!(r.poll(), "", "the mark must stay the last bytes");
    assert!(slave_line(&mut writer).contains("state=online"));
    // Until it acknowledges, a WAIT for it waits.
    assert_eq!(writer.cmd(&["WAIT", "1", "1"]), "");
    r.raw(&frame(&["REPLCONF", "ACK", &offset.to_string()]));
    assert_eq!(
        r.poll(),
        "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
         *3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"
    );
    let role = TestClient::new(&srv).cmd(&["ROLE"]);
    assert!(
        role.contains("*1\r\n*3\r\n$9\r\n127.0.0.1\r\n$4\r\n6380\r\n"),
        "{role}"
    );
    // Live from now on.
    TestClient::new(&srv).cmd(&["INCR", "n"]);
    assert_eq!(r.poll(), "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
}

#[test]
fn a_replica_arriving_during_a_transfer_waits_for_the_next() {
    let srv = server();
    let mut writer = TestClient::new(&srv);
    writer.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    let mut a = replica(&srv, "6380");
    // A's payload is produced but not written yet.
    let mut input = BytesMut::from(&frame(&["PSYNC", "?", "-1"])[..]);
    a.session.handle_input(a.now, &mut input);
    assert!(!a.session.pending_output().is_empty());
    writer.cmd(&["SET", "between", "1"]);
    let mut b = replica(&srv, "6381");
    assert_eq!(b.cmd(&["PSYNC", "?", "-1"]), "");
    tick(&srv, 100);
    assert!(
        !b.poll().contains("FULLRESYNC"),
        "A's transfer is going out"
    );
    let written = a.session.pending_output().len();
    a.session.consume_output(written);
    tick(&srv, 200);
    let pb = payload(b.poll().trim_start_matches('\n').as_bytes());
    assert_eq!(pb.offset, Some(srv.keyspace.log.offset()));
}

#[test]
fn a_replica_that_reads_nothing_of_its_payload_is_dropped_after_repl_timeout() {
    let srv = server();
    let mut admin = TestClient::new(&srv);
    admin.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    admin.cmd(&["CONFIG", "SET", "repl-timeout", "5"]);
    let mut a = replica(&srv, "6380");
    let mut input = BytesMut::from(&frame(&["PSYNC", "?", "-1"])[..]);
    a.session.handle_input(a.now, &mut input);
    let mut b = replica(&srv, "6381");
    assert_eq!(b.cmd(&["PSYNC", "?", "-1"]), "");
    tick(&srv, 100);
    tick(&srv, 5000);
    assert!(!a
        .session
        .handle()
        .killed
        .load(std::sync::atomic::Ordering::Relaxed));
    tick(&srv, 5200);
    assert!(a
        .session
        .handle()
        .killed
        .load(std::sync::atomic::Ordering::Relaxed));
    // The next transfer no longer waits for it.
    tick(&srv, 5300);
    let pb = payload(b.poll().trim_start_matches('\n').as_bytes());
    assert!(pb.offset.is_some());
}

#[test]
fn a_replica_gone_before_its_ack_releases_its_place_in_the_stream() {
    let srv = server();
    let mut writer = TestClient::new(&srv);
    writer.cmd(&["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    let mut r = replica(&srv, "6380");
    payload(&r.raw(&frame(&["PSYNC", "?", "-1"])));
    assert_eq!(srv.repl.primary.fullsync.pending.lock().len(), 1);
    drop(r);
    tick(&srv, 100);
    assert!(srv.repl.primary.fullsync.pending.lock().is_empty());
}

#[test]
fn disk_mode_answers_at_once_and_streams_right_after() {
    let srv = server();
    let mut writer = TestClient::new(&srv);
    writer.cmd(&["CONFIG", "SET", "repl-diskless-sync", "no"]);
    let mut r = replica(&srv, "6380");
    let out = r.cmd(&["PSYNC", "?", "-1"]);
    let prefix = format!("+FULLRESYNC {} 0\r\n$", srv.repl.primary.replid());
    assert!(out.starts_with(&prefix), "{out}");
    assert!(slave_line(&mut writer).contains("state=online"));
    writer.cmd(&["SET", "k", "v"]);
    assert!(r
        .poll()
        .ends_with("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"));
}

#[test]
fn a_replica_without_capa_eof_gets_the_disk_payload() {
    let srv = server();
    let mut r = TestClient::new(&srv);
    let out = r.cmd(&["SYNC"]);
    assert!(out.starts_with('$') && !out.starts_with("$EOF:"), "{out}");
}
