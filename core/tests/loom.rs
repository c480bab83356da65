//! loom models of core's cross-thread paths (issue 3, README "Loom models").
//!
//! Run with:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p lode-core --release loom
//! ```
//!
//! Under `--cfg loom`, `lode_core::sync` builds the primitives on these paths from loom (the
//! keyspace's shard mutexes, the server's `exec_gate` and config locks, a client's `killed`
//! flag), so the models below drive the real `Keyspace`, `Server`, `Session` and `ClientHandle`
//! code and loom explores every interleaving of their lock and atomic operations (bounded to
//! `LOOM_MAX_PREEMPTIONS` preemptions per execution; 2 keeps the run to seconds).
#![cfg(loom)]

use std::sync::atomic::Ordering;

use bytes::BytesMut;
use lode_core::client::ClientHandle;
use lode_core::clock::Now;
use lode_core::keyspace::{Keyspace, Value};
use lode_core::session::{ClientInfo, NoopWaker, Session, Waker};
use lode_core::sync::{Arc, AtomicBool};
use lode_core::testkit::{frame, server, EPOCH_MS};
use loom::sync::Notify;
use loom::thread;

/// Distinct keys that land on distinct shards of `ks`, as many as it has shards.
fn keys_on_distinct_shards(ks: &Keyspace) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = Vec::new();
    let mut seen = vec![false; ks.shard_count()];
    for i in 0.. {
        let k = format!("k{i}").into_bytes();
        let s = ks.shard_of(&k);
        if !seen[s] {
            seen[s] = true;
            keys.push(k);
            if keys.len() == seen.len() {
                return keys;
            }
        }
    }
    unreachable!()
}

/// An INCR through the real `Locked` view: read the integer at `key`, write it back plus one.
fn incr(ks: &Keyspace, keys: &[&[u8]], key: &[u8]) {
    let mut l = ks.lock(0, keys, EPOCH_MS);
    let n = match l.get(key).map(|e| &e.value) {
        Some(Value::Int(n)) => *n,
        None => 0,
        Some(_) => panic!("not an integer"),
    };
    l.put(key, Value::Int(n + 1), 0);
}

fn int_at(ks: &Keyspace, key: &[u8]) -> Option<i64> {
    let mut l = ks.lock_one(0, key, EPOCH_MS);
    match l.get(key).map(|e| &e.value) {
        Some(Value::Int(n)) => Some(*n),
        None => None,
        Some(_) => panic!("not an integer"),
    }
}

/// Shard locking for multi-key commands (docs/ARCHITECTURE.md): three threads lock overlapping sets of
/// shards, each naming its keys in a different order, and each INCRs one key of its set under
/// the lock. `Keyspace::lock` sorts by shard, so no interleaving deadlocks (loom fails a model
/// whose threads all block), and every read-modify-write is atomic: no increment is lost.
///
/// Guards against: locking shards in argument order (an ABBA deadlock between `MSET a b` and
/// `MSET b a`), a shard locked twice by one command, a `Locked` that routes a key to a shard it
/// did not lock, and updates escaping the shard lock (a lost INCR).
#[test]
fn loom_shard_locking_multi_key() {
    loom::model(|| {
        let ks = Arc::new(Keyspace::new(1, 4, 7));
        let k = keys_on_distinct_shards(&ks);
        let (a, b, c) = (k[0].clone(), k[1].clone(), k[2].clone());

        let t1 = {
            let ks = ks.clone();
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || incr(&ks, &[&a, &b], &a))
        };
        let t2 = {
            let ks = ks.clone();
            let (a, b, c) = (a.clone(), b.clone(), c.clone());
            // Same shards as t1 plus one, named in the opposite order; also touches `c`.
            thread::spawn(move || {
                incr(&ks, &[&c, &b, &a], &a);
            })
        };
        // The main thread takes the third overlapping set, again in another order.
        incr(&ks, &[&b, &c, &b], &c);
        t1.join().unwrap();
        t2.join().unwrap();

        assert_eq!(
            int_at(&ks, &a),
            Some(2),
            "an INCR on the shared key was lost"
        );
        assert_eq!(int_at(&ks, &c), Some(1));
        assert_eq!(int_at(&ks, &b), None);
    });
}

/// Two threads doing INCR on the same key through single-key locks (`lock_one`) and a multi-key
/// lock naming the key second: the value written under one lock is what the other reads.
#[test]
fn loom_shard_locking_read_modify_write() {
    loom::model(|| {
        let ks = Arc::new(Keyspace::new(1, 2, 3));
        let k = keys_on_distinct_shards(&ks);
        let (a, b) = (k[0].clone(), k[1].clone());
        let t = {
            let ks = ks.clone();
            let a = a.clone();
            thread::spawn(move || incr(&ks, &[&a], &a))
        };
        incr(&ks, &[&b, &a], &a);
        t.join().unwrap();
        assert_eq!(int_at(&ks, &a), Some(2));
    });
}

/// A session on `server`, fed through a kept input buffer as a transport does.
fn session(server: &std::sync::Arc<lode_core::server::Server>) -> (Session, BytesMut) {
    let s = Session::new(
        server.clone(),
        ClientInfo::Internal,
        std::sync::Arc::new(NoopWaker),
        Now::from_ms(EPOCH_MS),
    );
    (s, BytesMut::new())
}

fn feed(s: &mut Session, buf: &mut BytesMut, cmds: &[&[&str]]) -> String {
    for c in cmds {
        buf.extend_from_slice(&frame(c));
    }
    s.handle_input(Now::from_ms(EPOCH_MS), buf);
    let out = String::from_utf8_lossy(s.pending_output()).into_owned();
    s.consume_output(out.len());
    out
}

/// The exec gate (`Server::exec_gate`): a session holds it shared for a whole input batch, and
/// EXEC takes it exclusively. One session sends a pipelined batch `SET a 1; SET b 1` (two keys
/// on different shards, so two separate shard locks); the other runs `MULTI; MGET a b; EXEC`.
/// The transaction must see the batch entirely or not at all.
///
/// Guards against: EXEC running while another session is part-way through its batch (the
/// transaction observing a half-applied pipeline), and a session re-taking the gate in a way
/// that deadlocks against a waiting EXEC.
#[test]
fn loom_exec_gate_excludes_batches() {
    loom::model(|| {
        let server = server();
        let (a, b) = {
            let k = keys_on_distinct_shards(&server.keyspace);
            (
                String::from_utf8(k[0].clone()).unwrap(),
                String::from_utf8(k[1].clone()).unwrap(),
            )
        };
        let writer = {
            let server = server.clone();
            let (a, b) = (a.clone(), b.clone());
            thread::spawn(move || {
                let (mut s, mut buf) = session(&server);
                let out = feed(&mut s, &mut buf, &[&["SET", &a, "1"], &["SET", &b, "1"]]);
                assert_eq!(out, "+OK\r\n+OK\r\n");
            })
        };
        let (mut s, mut buf) = session(&server);
        let out = feed(
            &mut s,
            &mut buf,
            &[&["MULTI"], &["MGET", &a, &b], &["EXEC"]],
        );
        writer.join().unwrap();
        let none = "+OK\r\n+QUEUED\r\n*1\r\n*2\r\n$-1\r\n$-1\r\n";
        let both = "+OK\r\n+QUEUED\r\n*1\r\n*2\r\n$1\r\n1\r\n$1\r\n1\r\n";
        assert!(
            out == none || out == both,
            "EXEC saw half of another session's batch: {out:?}"
        );
    });
}

/// The transport's wake slot (transport-tokio `WakeSlot`): a flag plus a task wake-up, here a
/// loom `Notify` standing in for the tokio task.
#[derive(Default)]
struct WakeSlot {
    woken: AtomicBool,
    task: Notify,
}

impl Waker for WakeSlot {
    fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        self.task.notify();
    }
}

/// The Waker hook: CLIENT KILL on one thread (`ClientHandle::kill`: set `killed`, then wake)
/// while the session's transport loop on another consumes its wake flag, checks `killed` (what
/// `Session::is_closing` reads) and parks. The transport must always see the kill: it may never
/// park for good after the kill was signalled.
///
/// Guards against: a lost wake-up (checking the flag, then parking after the wake already
/// fired), and the kill flag not being visible once the wake is (the Relaxed `killed` store is
/// published by the Release store of `woken`, read with Acquire).
#[test]
fn loom_waker_no_lost_wakeup() {
    loom::model(|| {
        let slot = std::sync::Arc::new(WakeSlot::default());
        let handle = Arc::new(ClientHandle::new(
            1,
            ClientInfo::Internal,
            EPOCH_MS,
            slot.clone(),
        ));
        let killer = {
            let handle = handle.clone();
            thread::spawn(move || handle.kill())
        };
        // The transport's poll loop, reduced to its wake and close handling.
        loop {
            slot.woken.swap(false, Ordering::Acquire);
            if handle.killed.load(Ordering::Relaxed) {
                break;
            }
            // Parks until woken; if the kill's wake-up were lost, loom reports a deadlock.
            slot.task.wait();
        }
        killer.join().unwrap();
    });
}

/// Blocking-command handoff: session A waits in `BLPOP k 1`; session B pushes to `k` on another
/// thread, which serves A on A's behalf (`blocking::serve_ready`), while A's transport fires A's
/// timeout. Either A gets the element and the list is gone, or A times out and the element stays
/// in the list: never both, never neither.
///
/// Guards against: a waiter settled twice (served after it timed out: the element popped and
/// lost, or both replies sent), a push that misses a waiter registering concurrently, and lock
/// order inversions between the serve path (waiter slot, then shards, then the registry) and
/// the timeout path (waiter slot, then the registry).
#[test]
fn loom_blocking_pop_served_exactly_once() {
    loom::model(|| {
        let server = server();
        let (mut a, mut abuf) = session(&server);
        assert_eq!(feed(&mut a, &mut abuf, &[&["BLPOP", "k", "1"]]), "");
        let pusher = {
            let server = server.clone();
            thread::spawn(move || {
                let (mut s, mut buf) = session(&server);
                assert_eq!(feed(&mut s, &mut buf, &[&["RPUSH", "k", "v"]]), ":1\r\n");
            })
        };
        // The deadline has passed: the timeout settles A unless the push served it first.
        a.handle_timeout(Now::from_ms(EPOCH_MS + 2_000));
        let reply = String::from_utf8_lossy(a.pending_output()).into_owned();
        pusher.join().unwrap();
        let (mut c, mut cbuf) = session(&server);
        let llen = feed(&mut c, &mut cbuf, &[&["LLEN", "k"]]);
        match reply.as_str() {
            "*2\r\n$1\r\nk\r\n$1\r\nv\r\n" => assert_eq!(llen, ":0\r\n", "served and kept"),
            "*-1\r\n" => assert_eq!(llen, ":1\r\n", "timed out and the element lost"),
            other => panic!("A got {other:?}"),
        }
    });
}

/// A stream group reader blocked in `XREADGROUP ... BLOCK` while another thread's XADD serves it
/// and its own timeout fires: either it gets the entry, which is then pending for it and
/// delivered to the group, or it times out and the entry stays undelivered: never both, never
/// neither (streams are served by re-running the command, as lists are, but the re-run writes
/// the group's state, so a double service would show as a second delivery).
///
/// Guards against: the same races as the blocking pop, on the stream path (XADD's signal, the
/// re-run's group update under the shard lock, the timeout's settle).
#[test]
fn loom_blocking_group_read_served_exactly_once() {
    loom::model(|| {
        let server = server();
        let (mut a, mut abuf) = session(&server);
        let read = [
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "BLOCK",
            "1000",
            "STREAMS",
            "s",
            ">",
        ];
        let create = ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"];
        assert_eq!(feed(&mut a, &mut abuf, &[&create, &read]), "+OK\r\n");
        let adder = {
            let server = server.clone();
            thread::spawn(move || {
                let (mut s, mut buf) = session(&server);
                let reply = feed(&mut s, &mut buf, &[&["XADD", "s", "1-1", "f", "v"]]);
                assert_eq!(reply, "$3\r\n1-1\r\n");
            })
        };
        a.handle_timeout(Now::from_ms(EPOCH_MS + 2_000));
        let reply = String::from_utf8_lossy(a.pending_output()).into_owned();
        adder.join().unwrap();
        let (mut c, mut cbuf) = session(&server);
        let pending = feed(&mut c, &mut cbuf, &[&["XPENDING", "s", "g"]]);
        let served = "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
        match reply.as_str() {
            r if r == served => assert!(pending.starts_with("*4\r\n:1\r\n"), "{pending}"),
            "*-1\r\n" => assert!(pending.starts_with("*4\r\n:0\r\n"), "{pending}"),
            other => panic!("A got {other:?}"),
        }
    });
}

/// The propagation stream as text, with the order of `needles` as they last appear in it.
fn stream_text(
    server: &lode_core::server::Server,
    reader: &mut lode_core::propagate::LogReader,
) -> String {
    let chunks = server.keyspace.log.read(reader).expect("nothing dropped");
    chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect()
}

/// Two sessions write one key at once (`SET k a`, `SET k b`). The propagation stream must
/// record them in the order they were applied: the value the stream sets last is the value
/// the key holds.
///
/// Guards against: recording a command after its shard lock is released (the call boundary's
/// ordering rule), which lets the two records swap relative to the two writes. The model with
/// that rule broken (`loom_propagation_order_broken_is_caught`) fails.
fn two_writers_one_key() {
    let server = server();
    let mut reader = server.keyspace.log.subscribe();
    let other = {
        let server = server.clone();
        thread::spawn(move || {
            let (mut s, mut buf) = session(&server);
            assert_eq!(feed(&mut s, &mut buf, &[&["SET", "k", "b"]]), "+OK\r\n");
        })
    };
    let (mut s, mut buf) = session(&server);
    assert_eq!(feed(&mut s, &mut buf, &[&["SET", "k", "a"]]), "+OK\r\n");
    other.join().unwrap();
    let value = feed(&mut s, &mut buf, &[&["GET", "k"]]);
    let text = stream_text(&server, &mut reader);
    let last_a = text.rfind("$1\r\nk\r\n$1\r\na\r\n");
    let last_b = text.rfind("$1\r\nk\r\n$1\r\nb\r\n");
    let streamed_last = if last_a > last_b { "a" } else { "b" };
    assert_eq!(
        value,
        format!("$1\r\n{streamed_last}\r\n"),
        "the stream's order differs from the order applied: {text:?}"
    );
}

#[test]
fn loom_propagation_two_writers_one_key() {
    loom::model(two_writers_one_key);
}

/// The same model with the boundary recording after it released the locks: loom finds the
/// interleaving where the stream's order and the applied order differ.
#[test]
#[should_panic(expected = "the stream's order differs")]
fn loom_propagation_order_broken_is_caught() {
    lode_core::command::dispatch::RECORD_AFTER_UNLOCK.with(|c| c.set(true));
    loom::model(two_writers_one_key);
}

/// A write to a key that has just expired races the active expiry cycle. Whichever deletes the
/// expired key records its DEL first, and the write's SET always comes after it: replaying the
/// stream leaves the key set, as it is.
///
/// Guards against: expiry deleting outside the shard lock (or recording after releasing it),
/// which could put the DEL after the SET in the stream and make a replica lose the key.
#[test]
fn loom_propagation_write_races_expiry() {
    loom::model(|| {
        let server = server();
        {
            let (mut s, mut buf) = session(&server);
            // Expires at EPOCH_MS + 1; everything below runs at EPOCH_MS + 5.
            assert_eq!(
                feed(&mut s, &mut buf, &[&["SET", "k", "old", "PX", "1"]]),
                "+OK\r\n"
            );
        }
        let later = Now::from_ms(EPOCH_MS + 5);
        let mut reader = server.keyspace.log.subscribe();
        let cycle = {
            let server = server.clone();
            thread::spawn(move || server.tick(later))
        };
        let (mut s, mut buf) = session(&server);
        buf.extend_from_slice(&frame(&["SET", "k", "new"]));
        s.handle_input(later, &mut buf);
        cycle.join().unwrap();
        let text = stream_text(&server, &mut reader);
        let del = text.rfind("$3\r\nDEL\r\n$1\r\nk\r\n");
        let set = text
            .rfind("$1\r\nk\r\n$3\r\nnew\r\n")
            .expect("the SET is streamed");
        assert!(del.is_none_or(|d| d < set), "DEL after SET: {text:?}");
        assert_eq!(text.matches("DEL").count(), usize::from(del.is_some()));
    });
}

/// A publisher sends `m1` then `m2` on a channel while its subscriber unsubscribes. Every
/// message PUBLISH counted as delivered reaches the subscriber exactly once, in publish order,
/// and before the unsubscribe confirmation; none it did not count arrives.
///
/// Guards against: a publish delivering to a client already gone from the registry, a message
/// left in the mailbox and sent after the confirmation, lost or duplicated frames between the
/// publisher's push and the subscriber's drain.
#[test]
fn loom_publish_races_unsubscribe() {
    loom::model(|| {
        let server = server();
        let (mut sub, mut sbuf) = session(&server);
        feed(&mut sub, &mut sbuf, &[&["SUBSCRIBE", "ch"]]);
        let publisher = {
            let server = server.clone();
            thread::spawn(move || {
                let (mut p, mut buf) = session(&server);
                let r1 = feed(&mut p, &mut buf, &[&["PUBLISH", "ch", "m1"]]);
                let r2 = feed(&mut p, &mut buf, &[&["PUBLISH", "ch", "m2"]]);
                (r1 == ":1\r\n", r2 == ":1\r\n")
            })
        };
        let mut out = feed(&mut sub, &mut sbuf, &[&["UNSUBSCRIBE", "ch"]]);
        let (d1, d2) = publisher.join().unwrap();
        out.push_str(&feed(&mut sub, &mut sbuf, &[]));
        let msg = |m: &str| format!("*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\n{m}\r\n");
        let mut expected = String::new();
        if d1 {
            expected.push_str(&msg("m1"));
        }
        if d2 {
            expected.push_str(&msg("m2"));
        }
        assert!(d1 || !d2, "m2 delivered but not m1");
        expected.push_str("*3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:0\r\n");
        assert_eq!(out, expected);
    });
}

/// A tracking client reads a key while another client writes it. If the read saw the old
/// value, the client must be told the key changed.
///
/// Guards against: remembering the read key after its shard lock is released, which lets the
/// write's invalidation look for the key before it is registered (the client then caches a
/// stale value forever).
#[test]
fn loom_tracking_invalidation_races_the_read() {
    loom::model(|| {
        let server = server();
        let (mut reader, mut rbuf) = session(&server);
        feed(&mut reader, &mut rbuf, &[&["HELLO", "3"]]);
        feed(&mut reader, &mut rbuf, &[&["CLIENT", "TRACKING", "on"]]);
        let writer = {
            let server = server.clone();
            thread::spawn(move || {
                let (mut w, mut buf) = session(&server);
                feed(&mut w, &mut buf, &[&["SET", "k", "v"]]);
            })
        };
        let mut out = feed(&mut reader, &mut rbuf, &[&["GET", "k"]]);
        writer.join().unwrap();
        out.push_str(&feed(&mut reader, &mut rbuf, &[]));
        let invalidated = out.contains("invalidate");
        if out.starts_with("_\r\n") {
            assert!(
                invalidated,
                "read the old value and was never told: {out:?}"
            );
        } else {
            assert!(out.starts_with("$1\r\nv\r\n"), "{out:?}");
        }
    });
}
