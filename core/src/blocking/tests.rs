//! A blocked client leaves nothing behind: its `Waiter` holds its `ClientHandle` and the handle
//! names the waiter (CLIENT UNBLOCK, CLIENT LIST), so every way a wait ends must break that
//! cycle, or both stay allocated after the client is gone.

use std::sync::{Arc, Weak};

use super::Waiter;
use crate::client::ClientHandle;
use crate::server::Server;
use crate::testkit::{server, TestClient};

/// Blocking commands on the key `k` (a list command, a list move, a sorted-set command).
const BLOCKING: &[&[&str]] = &[
    &["BLPOP", "k", "0"],
    &["BLMOVE", "k", "dst", "LEFT", "RIGHT", "0"],
    &["BZPOPMIN", "k", "0"],
];

/// What lets a test see whether the blocked client's structures were freed.
struct Watch {
    handle: Weak<ClientHandle>,
    waiter: Weak<Waiter>,
}

impl Watch {
    fn freed(&self) -> bool {
        self.handle.strong_count() == 0 && self.waiter.strong_count() == 0
    }
}

/// A client blocked in `cmd`, and weak references to its handle and its waiter.
fn blocked(srv: &Arc<Server>, cmd: &[&str]) -> (TestClient, Watch) {
    let mut c = TestClient::new(srv);
    assert_eq!(c.cmd(cmd), "", "{cmd:?} blocks");
    let handle = srv.clients.get(c.session.id()).expect("registered");
    let waiter = handle.blocked.lock().clone().expect("blocked");
    let watch = Watch {
        handle: Arc::downgrade(&handle),
        waiter: Arc::downgrade(&waiter),
    };
    (c, watch)
}

fn data_for(cmd: &[&str]) -> Vec<&'static str> {
    if cmd[0] == "BZPOPMIN" {
        vec!["ZADD", "k", "1", "a"]
    } else {
        vec!["RPUSH", "k", "a"]
    }
}

#[test]
fn a_client_that_disconnects_while_blocked_is_freed() {
    for cmd in BLOCKING {
        let srv = server();
        let (c, watch) = blocked(&srv, cmd);
        assert!(!watch.freed());
        drop(c);
        assert!(
            watch.freed(),
            "{cmd:?}: handle or waiter outlived the session"
        );
        assert_eq!(srv.keyspace.blocking.blocked_clients(), 0);
        assert!(srv.clients.is_empty());
    }
}

#[test]
fn a_blocked_client_killed_with_client_kill_is_freed() {
    for cmd in BLOCKING {
        let srv = server();
        let (mut c, watch) = blocked(&srv, cmd);
        let mut killer = TestClient::new(&srv);
        let id = c.session.id().to_string();
        assert_eq!(killer.cmd(&["CLIENT", "KILL", "ID", &id]), ":1\r\n");
        // The transport polls the killed session, sees it closing, and drops it.
        c.poll();
        assert!(c.session.is_closing());
        drop(c);
        assert!(
            watch.freed(),
            "{cmd:?}: handle or waiter outlived the session"
        );
    }
}

#[test]
fn a_client_unblocked_or_served_then_gone_before_its_reply_is_freed() {
    for cmd in BLOCKING {
        let srv = server();
        let mut other = TestClient::new(&srv);
        // CLIENT UNBLOCK settles the wait; the client disconnects before reading the reply.
        let (c, watch) = blocked(&srv, cmd);
        let id = c.session.id().to_string();
        assert_eq!(other.cmd(&["CLIENT", "UNBLOCK", &id]), ":1\r\n");
        let handle = watch.handle.upgrade().expect("still connected");
        assert!(
            handle.blocked.lock().is_none(),
            "a settled wait is no longer the client's"
        );
        drop(handle);
        drop(c);
        assert!(watch.freed(), "{cmd:?} unblocked: not freed");
        // Data arrives and is served to the client, which disconnects before the delivery.
        let (c, watch) = blocked(&srv, cmd);
        other.cmd(&data_for(cmd));
        assert!(watch
            .waiter
            .upgrade()
            .is_some_and(|w| !matches!(*w.lock(), super::WaitState::Blocked)));
        drop(c);
        assert!(watch.freed(), "{cmd:?} served: not freed");
    }
}

#[test]
fn a_delivered_or_timed_out_wait_is_freed_with_the_client() {
    for cmd in BLOCKING {
        let srv = server();
        let mut other = TestClient::new(&srv);
        let (mut c, watch) = blocked(&srv, cmd);
        other.cmd(&data_for(cmd));
        assert_ne!(c.poll(), "", "{cmd:?} is served");
        assert_eq!(
            watch.waiter.strong_count(),
            0,
            "{cmd:?}: delivered wait kept"
        );
        drop(c);
        assert!(watch.freed());
        let mut timed: Vec<&str> = cmd.to_vec();
        *timed.last_mut().expect("timeout") = "1";
        let (mut c, watch) = blocked(&srv, &timed);
        c.advance_ms(1000);
        assert_eq!(c.fire_timeout(), "*-1\r\n");
        assert_eq!(
            watch.waiter.strong_count(),
            0,
            "{cmd:?}: timed-out wait kept"
        );
        drop(c);
        assert!(watch.freed());
    }
}
