//! CLIENT KILL, old form and filters (ID, ADDR, LADDR, TYPE, USER, SKIPME), as Redis 7.0.15
//! has them: it has no MAXAGE (a 7.4 filter), so that option is a syntax error here too.

use crate::client::ClientHandle;
use crate::command::Ctx;
use crate::server::Server;

use super::client_line::{client_type, local_addr, parse_type, peer_addr};

/// CLIENT KILL <addr> (the old form) or CLIENT KILL <filter> <value> ...: closes the matching
/// clients at once.
pub(super) fn kill(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut ctype: Option<&str> = None;
    let mut id: u64 = 0;
    let mut user: Option<std::sync::Arc<crate::acl::User>> = None;
    let mut skipme = true;
    let old_form = args.len() == 3;
    if old_form {
        // CLIENT KILL <addr>: the old form may kill the caller too.
        addr = Some(&args[2]);
        skipme = false;
    } else {
        let mut i = 2;
        while i < args.len() {
            let opt = &args[i];
            let Some(val) = args.get(i + 1) else {
                return ctx.syntax_error();
            };
            if opt.eq_ignore_ascii_case(b"id") {
                match crate::util::num::parse_i64(val) {
                    Some(v) if v >= 1 => id = v as u64,
                    _ => return ctx.error("ERR client-id should be greater than 0"),
                }
            } else if opt.eq_ignore_ascii_case(b"type") {
                match parse_type(val) {
                    Some(t) => ctype = Some(t),
                    None => return super::client_cmd::unknown_type(ctx, val),
                }
            } else if opt.eq_ignore_ascii_case(b"addr") {
                addr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"laddr") {
                laddr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"user") {
                match ctx.server.acl.user(val) {
                    Some(u) => user = Some(u),
                    None => {
                        let mut msg = b"ERR No such user '".to_vec();
                        msg.extend_from_slice(val);
                        msg.push(b'\'');
                        return ctx.error_bytes(&msg);
                    }
                }
            } else if opt.eq_ignore_ascii_case(b"skipme") {
                if val.eq_ignore_ascii_case(b"yes") {
                    skipme = true;
                } else if val.eq_ignore_ascii_case(b"no") {
                    skipme = false;
                } else {
                    return ctx.syntax_error();
                }
            } else {
                return ctx.syntax_error();
            }
            i += 2;
        }
    }
    let me = ctx.client.handle.id;
    let mut killed = 0;
    let mut kill_me = false;
    for h in ctx.server.clients.snapshot() {
        if addr.is_some_and(|a| peer_addr(&h.info).as_bytes() != a)
            || laddr.is_some_and(|a| local_addr(&h.info).as_bytes() != a)
            || ctype.is_some_and(|t| client_type(&h) != t)
            || (id != 0 && h.id != id)
            || user.as_ref().is_some_and(|u| !is_user(&h, u))
            || (h.id == me && skipme)
        {
            continue;
        }
        if h.id == me {
            kill_me = true;
        } else {
            free(ctx.server, &h);
        }
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return ctx.error("ERR No such client");
        }
        ctx.out.ok();
    } else {
        ctx.out.int(killed);
    }
    // The caller still gets its reply: it closes after writing it.
    if kill_me {
        ctx.client.close_after_reply = true;
    }
}

/// Frees another client as Redis's freeClient does, on the spot: it leaves the client list
/// and its subscriptions now, and its session closes without writing what it had not read.
/// (The session itself goes when its transport next polls it, which the kill wakes.)
pub fn free(server: &Server, h: &ClientHandle) {
    h.kill();
    server.clients.remove(h.id);
    server.pubsub.forget(h);
}

/// Whether `h` is authenticated as `user`.
pub fn is_user(h: &ClientHandle, user: &std::sync::Arc<crate::acl::User>) -> bool {
    h.user
        .lock()
        .as_ref()
        .is_some_and(|u| std::sync::Arc::ptr_eq(u, user))
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn kill_filters_and_errors() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        let b = TestClient::new(&srv);
        let c = TestClient::new(&srv);
        let idb = b.session.id().to_string();
        for (args, reply) in [
            (&["ID", "0"][..], "-ERR client-id should be greater than 0"),
            (&["ID", "x"], "-ERR client-id should be greater than 0"),
            (&["ID", "999"], ":0"),
            (&["1.2.3.4:5"], "-ERR No such client"),
            (&["SKIPME", "maybe"], "-ERR syntax error"),
            (&["USER", "nouser"], "-ERR No such user 'nouser'"),
            (&["TYPE", "xx"], "-ERR Unknown client type 'xx'"),
            (&["TYPE", "master"], ":0"),
            (&["ID", "1", "ADDR"], "-ERR syntax error"),
            // MAXAGE came with Redis 7.4: 7.0.15 knows no such filter.
            (&["MAXAGE", "0"], "-ERR syntax error"),
        ] {
            let mut cmd = vec!["CLIENT", "KILL"];
            cmd.extend_from_slice(args);
            assert_eq!(a.cmd(&cmd), format!("{reply}\r\n"), "{args:?}");
        }
        assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &idb]), ":1\r\n");
        assert!(b.session.is_closing());
        // Gone at once: no longer listed, no longer counted.
        assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &idb]), ":0\r\n");
        assert!(!a.cmd(&["CLIENT", "LIST"]).contains(&format!("id={idb} ")));
        // The caller is skipped by default, and killed (after its reply) with SKIPME no.
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "USER", "default", "TYPE", "normal"]),
            ":1\r\n"
        );
        assert!(c.session.is_closing() && !a.session.is_closing());
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "ADDR", "?:0", "SKIPME", "no"]),
            ":1\r\n"
        );
        assert!(a.session.is_closing());
    }

    #[test]
    fn a_killed_client_closes_without_its_pending_output() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        let mut b = TestClient::new(&srv);
        let idb = b.session.id().to_string();
        assert_eq!(
            b.cmd(&["SUBSCRIBE", "ch"]),
            "*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        );
        // A message waits for b when it is killed: it is never written.
        assert_eq!(a.cmd(&["PUBLISH", "ch", "m"]), ":1\r\n");
        assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &idb]), ":1\r\n");
        assert_eq!(a.cmd(&["PUBLISH", "ch", "m"]), ":0\r\n");
        assert_eq!(
            a.cmd(&["PUBSUB", "NUMSUB", "ch"]),
            "*2\r\n$2\r\nch\r\n:0\r\n"
        );
        assert_eq!(b.poll(), "");
        assert!(b.session.is_closing() && b.session.pending_output().is_empty());
        assert_eq!(a.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
    }
}
