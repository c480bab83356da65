//! Connection commands: PING, ECHO, QUIT, RESET (SELECT and SWAPDB are with the keyspace,
//! `keyspace::commands::db`).

use std::sync::atomic::Ordering;

use crate::command::{Ctx, Handler};

/// The connection commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("ping", ping),
    ("echo", echo),
    ("quit", quit),
    ("reset", reset),
];

// The RESP2 subscribed-client form ("*2 pong <msg>") belongs with pub/sub, which tracks
// whether the client is subscribed.
fn ping(ctx: &mut Ctx) {
    // A RESP2 subscriber's replies are all arrays, so its PING gets one too.
    if !ctx.out.resp3 && !ctx.client.subs.is_empty() && ctx.args.len() <= 2 {
        ctx.out.array(2);
        ctx.out.bulk(b"pong");
        ctx.out.bulk(ctx.args.get(1).map_or(&b""[..], |a| &a[..]));
        return;
    }
    match ctx.args.len() {
        1 => ctx.out.simple(b"PONG"),
        2 => ctx.out.bulk(ctx.arg(1)),
        _ => ctx.arity_error(),
    }
}

fn echo(ctx: &mut Ctx) {
    ctx.out.bulk(ctx.arg(1));
}

fn quit(ctx: &mut Ctx) {
    ctx.out.ok();
    ctx.client.close_after_reply = true;
}

/// RESET: back to a freshly connected client's state (db 0, RESP2, no name, no-evict and
/// no-touch off, the default user). State owned by other modules (transactions, subscriptions, tracking) is
/// reset by those modules when they exist.
fn reset(ctx: &mut Ctx) {
    ctx.client.reset_transaction(&ctx.server.keyspace.watches);
    crate::pubsub::commands::leave_all(ctx.server, ctx.client);
    crate::tracking::commands::disable(ctx.server, &ctx.client.handle);
    ctx.server.monitors.remove(&ctx.client.handle);
    ctx.client.handle.monitor.store(false, Ordering::Relaxed);
    ctx.client.reply = crate::client::ReplyMode::On;
    ctx.client.db = 0;
    ctx.client.no_evict = false;
    ctx.client.no_touch = false;
    ctx.out.resp3 = false;
    let h = &ctx.client.handle;
    h.db.store(0, Ordering::Relaxed);
    h.resp.store(2, Ordering::Relaxed);
    h.no_evict.store(false, Ordering::Relaxed);
    h.no_touch.store(false, Ordering::Relaxed);
    *h.name.lock() = None;
    // Back to the default user, authenticated only if it needs no password (Redis's
    // clearClientConnectionState).
    if ctx.client.acl.is_some() {
        let server = ctx.server;
        let default = server.acl.default_user().clone();
        *h.user.lock() = Some(default.clone());
        ctx.client.authenticated = !server.auth_required();
        ctx.client.acl = Some(crate::acl::ClientAcl::new(&server.acl, default));
    }
    ctx.out.simple(b"RESET");
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn ping_echo_select() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["PING"]), "+PONG\r\n");
        assert_eq!(c.cmd(&["PING", "hi"]), "$2\r\nhi\r\n");
        assert_eq!(
            c.cmd(&["PING", "a", "b"]),
            "-ERR wrong number of arguments for 'ping' command\r\n"
        );
        assert_eq!(
            c.cmd(&["ECHO"]),
            "-ERR wrong number of arguments for 'echo' command\r\n"
        );
        assert_eq!(
            c.cmd(&["SELECT", "16"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["SELECT", "-1"]),
            "-ERR DB index is out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["SELECT", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        // Each answer below is what redis-server 7.0.15 replied.
        let not_int32 =
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n";
        for outside_int in [
            "2147483648",
            "-2147483649",
            "4294967296",
            "9223372036854775807",
        ] {
            assert_eq!(c.cmd(&["SELECT", outside_int]), not_int32, "{outside_int}");
        }
        for not_int in ["9223372036854775808", "1.5", "", " 1", "0x1", "-0", "1e3"] {
            assert_eq!(
                c.cmd(&["SELECT", not_int]),
                "-ERR value is not an integer or out of range\r\n",
                "{not_int:?}"
            );
        }
        for no_db in ["2147483647", "-2147483648", "-1", "16"] {
            assert_eq!(
                c.cmd(&["SELECT", no_db]),
                "-ERR DB index is out of range\r\n",
                "{no_db}"
            );
        }
        assert_eq!(c.cmd(&["SELECT", "3"]), "+OK\r\n");
    }

    #[test]
    fn quit_and_reset() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["SELECT", "2"]);
        c.cmd(&["CLIENT", "SETNAME", "me"]);
        c.cmd(&["HELLO", "3"]);
        assert_eq!(c.cmd(&["RESET"]), "+RESET\r\n");
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
        c.cmd(&["SELECT", "2"]);
        assert_eq!(c.cmd(&["GET", "k"]), "$-1\r\n");
        assert_eq!(c.cmd(&["QUIT"]), "+OK\r\n");
        assert!(c.session.is_closing());
    }
}
