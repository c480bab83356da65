//! DUMP and RESTORE under the fake clock: propagation of TTLs, expired restores, and hostile
//! payloads (never a panic, always one of Redis's replies).

use crate::persist::{crc64::crc64, dump, value::Limits};
use crate::sim::replay::check_replay;
use crate::testkit::{frame, server, TestClient, EPOCH_MS};
use crate::Now;

/// DUMP of `key` as raw payload bytes.
fn dump_of(c: &mut TestClient, key: &str) -> Vec<u8> {
    let out = c.raw(&frame(&["DUMP", key]));
    let nl = out.iter().position(|&b| b == b'\n').unwrap();
    out[nl + 1..out.len() - 2].to_vec()
}

fn restore(c: &mut TestClient, args: &[&[u8]]) -> String {
    let mut all: Vec<&[u8]> = vec![b"RESTORE"];
    all.extend_from_slice(args);
    String::from_utf8_lossy(&c.raw(&frame(&all))).into_owned()
}

#[test]
fn relative_ttl_propagates_as_absttl_and_replays() {
    let srv = server();
    let mut reader = srv.keyspace.log.subscribe();
    let mut replay = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    c.cmd(&["RPUSH", "l", "a", "b", "1"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    let p = dump_of(&mut c, "l");
    assert_eq!(restore(&mut c, &[b"l2", b"5000", &p]), "+OK\r\n");
    let h = dump_of(&mut c, "h");
    assert_eq!(restore(&mut c, &[b"h", b"0", &h, b"REPLACE"]), "+OK\r\n");
    // Restoring with a TTL already past deletes under REPLACE (propagated as DEL) and is
    // otherwise a no-op.
    assert_eq!(
        restore(&mut c, &[b"l", b"1", &p, b"ABSTTL", b"REPLACE"]),
        "+OK\r\n"
    );
    assert_eq!(restore(&mut c, &[b"gone", b"1", &p, b"ABSTTL"]), "+OK\r\n");
    assert_eq!(c.cmd(&["EXISTS", "l", "gone"]), ":0\r\n");
    assert_eq!(
        c.cmd(&["PEXPIRETIME", "l2"]),
        format!(":{}\r\n", EPOCH_MS + 5000)
    );
    let chunks = srv.keyspace.log.read(&mut reader).unwrap();
    let stream: Vec<u8> = chunks.iter().flat_map(|b| b.to_vec()).collect();
    let text = String::from_utf8_lossy(&stream);
    assert!(text.contains("ABSTTL"), "{text}");
    assert!(text.contains(&(EPOCH_MS + 5000).to_string()), "{text}");
    assert!(text.contains("DEL"), "{text}");
    assert!(!text.contains("gone"), "{text}");
    c.cmd(&["DEL", "l2"]);
    c.cmd(&["RPUSH", "src", "x"]);
    let p = dump_of(&mut c, "src");
    assert_eq!(restore(&mut c, &[b"r", b"60000", &p]), "+OK\r\n");
    assert_eq!(
        check_replay(&srv, &mut replay, c.now, Now::from_ms(EPOCH_MS)),
        Ok(())
    );
}

#[test]
fn hostile_payloads_get_redis_errors() {
    let srv = server();
    let mut c = TestClient::new(&srv);
    c.cmd(&["RPUSH", "l", "a", "b", "12345", "x".repeat(300).as_str()]);
    c.cmd(&["SADD", "s", "1", "2", "3"]);
    c.cmd(&["ZADD", "z", "1", "a", "2", "b"]);
    c.cmd(&["HSET", "h", "f", "v", "g", "w"]);
    c.cmd(&["SET", "str", "x".repeat(100).as_str()]);
    let limits = Limits::defaults();
    let mut rng = fastrand::Rng::with_seed(3);
    let ok = |r: &str| {
        r == "+OK\r\n"
            || r == "-ERR Bad data format\r\n"
            || r == "-ERR DUMP payload version or checksum are wrong\r\n"
    };
    for key in ["l", "s", "z", "h", "str"] {
        let p = dump_of(&mut c, key);
        assert!(dump::verify(&p));
        assert!(dump::load(&p, &limits).is_ok());
        let body = &p[..p.len() - 10];
        let seal = |b: &[u8]| {
            let mut v = b.to_vec();
            v.extend_from_slice(&10u16.to_le_bytes());
            let crc = crc64(&v);
            v.extend_from_slice(&crc.to_le_bytes());
            v
        };
        for n in 0..body.len() {
            let r = restore(&mut c, &[b"t", b"0", &seal(&body[..n]), b"REPLACE"]);
            assert!(ok(&r), "{r}");
            let r = restore(&mut c, &[b"t", b"0", &p[..n], b"REPLACE"]);
            assert!(ok(&r), "{r}");
        }
        for _ in 0..200 {
            let mut b = body.to_vec();
            let i = rng.usize(..b.len());
            b[i] = rng.u8(..);
            let r = restore(&mut c, &[b"t", b"0", &seal(&b), b"REPLACE"]);
            assert!(ok(&r), "{r}");
        }
    }
    for _ in 0..2000 {
        let b: Vec<u8> = (0..rng.usize(..40)).map(|_| rng.u8(..)).collect();
        let r = restore(&mut c, &[b"t", b"0", &b, b"REPLACE"]);
        assert!(ok(&r), "{r}");
    }
    // The server is still fine.
    assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
}
