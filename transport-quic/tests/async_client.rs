//! The server through the async client: sessions on streams behave like TCP connections.

mod common;

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use common::Fixture;
use lode_core::resp::value::Value;
use lode_transport_quic::client::{Client, SessionStream};
use lode_transport_quic::ClientAuth;

/// Runs `body` against a fresh server on a runtime of the test's own (the fixture's runtime
/// is shut down from outside any runtime).
fn run<F, Fut>(body: F)
where
    F: FnOnce(Client, Fixture) -> Fut,
    Fut: Future<Output = Fixture>,
{
    let fx = Fixture::start(ClientAuth::No);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fx = rt.block_on(async move {
        let client = Client::connect(fx.addr, &fx.client_options())
            .await
            .expect("connect");
        let fut = tokio::time::timeout(Duration::from_secs(30), body(client, fx));
        fut.await.expect("test timed out")
    });
    drop(rt);
    drop(fx);
}

async fn call(s: &mut SessionStream, args: &[&[u8]]) -> Value {
    s.send_command(args).await.expect("send");
    s.read_reply().await.expect("reply")
}

fn simple(s: &str) -> Value {
    Value::Simple(Bytes::copy_from_slice(s.as_bytes()))
}

fn bulk(s: &[u8]) -> Value {
    Value::Bulk(Bytes::copy_from_slice(s))
}

#[test]
fn ping_set_get() {
    run(|client, fx| async move {
        let mut s = client.open_session().await.expect("session");
        assert_eq!(call(&mut s, &[b"PING"]).await, simple("PONG"));
        assert_eq!(call(&mut s, &[b"SET", b"k", b"v"]).await, simple("OK"));
        assert_eq!(call(&mut s, &[b"GET", b"k"]).await, bulk(b"v"));
        fx
    });
}

#[test]
fn sessions_on_one_connection_are_independent() {
    run(|client, fx| async move {
        let mut a = client.open_session().await.expect("a");
        let mut b = client.open_session().await.expect("b");
        assert_eq!(call(&mut a, &[b"SELECT", b"1"]).await, simple("OK"));
        assert_eq!(call(&mut a, &[b"SET", b"k", b"in-db1"]).await, simple("OK"));
        assert_eq!(call(&mut b, &[b"GET", b"k"]).await, Value::NullBulk);
        assert_eq!(call(&mut a, &[b"GET", b"k"]).await, bulk(b"in-db1"));
        let Value::Integer(ida) = call(&mut a, &[b"CLIENT", b"ID"]).await else {
            panic!("CLIENT ID is not an integer");
        };
        let Value::Integer(idb) = call(&mut b, &[b"CLIENT", b"ID"]).await else {
            panic!("CLIENT ID is not an integer");
        };
        assert_ne!(ida, idb);
        assert_eq!(fx.server.clients.len(), 2);
        fx
    });
}

#[test]
fn multi_exec() {
    run(|client, fx| async move {
        let mut s = client.open_session().await.expect("session");
        assert_eq!(call(&mut s, &[b"MULTI"]).await, simple("OK"));
        assert_eq!(call(&mut s, &[b"INCR", b"c"]).await, simple("QUEUED"));
        assert_eq!(call(&mut s, &[b"INCR", b"c"]).await, simple("QUEUED"));
        assert_eq!(
            call(&mut s, &[b"EXEC"]).await,
            Value::Array(vec![Value::Integer(1), Value::Integer(2)])
        );
        fx
    });
}

/// BLPOP blocks one session; an RPUSH from another session on the same connection wakes
/// it, and the PING pipelined behind the BLPOP runs after the reply.
#[test]
fn blpop_is_served_by_another_session() {
    run(|client, fx| async move {
        let mut waiter = client.open_session().await.expect("waiter");
        let mut pusher = client.open_session().await.expect("pusher");
        let mut batch = common::cmd(&[b"BLPOP", b"list", b"20"]);
        batch.extend_from_slice(&common::cmd(&[b"PING"]));
        waiter.send(&batch).await.expect("send");
        // Push only once the waiter is really blocked, so the wake-up path is what serves it.
        let mut blocked = false;
        for _ in 0..500 {
            let Value::Bulk(info) = call(&mut pusher, &[b"INFO", b"clients"]).await else {
                panic!("INFO is not a bulk");
            };
            if String::from_utf8_lossy(&info).contains("blocked_clients:1") {
                blocked = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(blocked, "the BLPOP never blocked");
        assert_eq!(
            call(&mut pusher, &[b"RPUSH", b"list", b"x"]).await,
            Value::Integer(1)
        );
        assert_eq!(
            waiter.read_reply().await.expect("blpop reply"),
            Value::Array(vec![bulk(b"list"), bulk(b"x")])
        );
        assert_eq!(waiter.read_reply().await.expect("ping"), simple("PONG"));
        fx
    });
}

#[test]
fn quit_flushes_then_eof() {
    run(|client, fx| async move {
        let mut s = client.open_session().await.expect("session");
        s.send(b"PING\r\nQUIT\r\nPING\r\n").await.expect("send");
        assert_eq!(s.read_reply().await.expect("pong"), simple("PONG"));
        assert_eq!(s.read_reply().await.expect("ok"), simple("OK"));
        assert_eq!(s.read_reply_or_eof().await.expect("eof"), None);
        // The connection itself stays usable for other sessions.
        let mut t = client.open_session().await.expect("second session");
        assert_eq!(call(&mut t, &[b"PING"]).await, simple("PONG"));
        fx
    });
}

#[test]
fn client_kill_id_ends_the_stream() {
    run(|client, fx| async move {
        let mut victim = client.open_session().await.expect("victim");
        let mut killer = client.open_session().await.expect("killer");
        let Value::Integer(id) = call(&mut victim, &[b"CLIENT", b"ID"]).await else {
            panic!("CLIENT ID is not an integer");
        };
        let id = id.to_string();
        assert_eq!(
            call(&mut killer, &[b"CLIENT", b"KILL", b"ID", id.as_bytes()]).await,
            Value::Integer(1)
        );
        assert_eq!(victim.read_reply_or_eof().await.expect("eof"), None);
        assert_eq!(call(&mut killer, &[b"PING"]).await, simple("PONG"));
        fx
    });
}

#[test]
fn one_mib_value_round_trip() {
    run(|client, fx| async move {
        let mut s = client.open_session().await.expect("session");
        let value: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
        assert_eq!(call(&mut s, &[b"SET", b"big", &value]).await, simple("OK"));
        assert_eq!(call(&mut s, &[b"GET", b"big"]).await, bulk(&value));
        assert_eq!(
            call(&mut s, &[b"STRLEN", b"big"]).await,
            Value::Integer(1 << 20)
        );
        fx
    });
}

#[test]
fn a_thousand_pipelined_pings() {
    run(|client, fx| async move {
        let mut s = client.open_session().await.expect("session");
        s.send(&common::cmd(&[b"PING"]).repeat(1000))
            .await
            .expect("send");
        for i in 0..1000 {
            assert_eq!(s.read_reply().await.expect("reply"), simple("PONG"), "{i}");
        }
        fx
    });
}

/// A session whose client finishes its send side gets its replies, then EOF, and the server
/// forgets it.
#[test]
fn finish_flushes_and_ends_the_session() {
    run(|client, fx| async move {
        let mut s = client.open_session().await.expect("session");
        s.send_command(&[b"SET", b"k", b"v"]).await.expect("send");
        s.finish().expect("finish");
        assert_eq!(s.read_reply().await.expect("ok"), simple("OK"));
        assert_eq!(s.read_reply_or_eof().await.expect("eof"), None);
        let server = fx.server.clone();
        let gone =
            tokio::task::spawn_blocking(move || common::wait_until(|| server.clients.is_empty()));
        assert!(gone.await.expect("join"), "session outlived its stream");
        fx
    });
}
