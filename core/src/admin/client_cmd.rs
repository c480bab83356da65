//! CLIENT subcommands: ID, INFO, LIST, KILL, SETNAME, GETNAME, NO-EVICT, NO-TOUCH, SETINFO,
//! UNBLOCK, HELP (REPLY is in client_reply.rs). (PAUSE/UNPAUSE and TRACKING belong to features
//! lode lacks yet.)

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::hello::set_name_or_reply;
use super::util::{help, valid_client_name};
use crate::client::ClientHandle;
use crate::client::ClientInfo;
use crate::command::{CommandTable, Ctx, Handler};

/// The CLIENT subcommands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("client|id", id),
    ("client|info", info),
    ("client|list", list),
    ("client|kill", kill),
    ("client|setname", setname),
    ("client|getname", getname),
    ("client|no-evict", no_evict),
    ("client|no-touch", no_touch),
    ("client|setinfo", setinfo),
    ("client|unblock", unblock),
    ("client|help", client_help),
];

/// The client's address as Redis prints it ("ip:port", "[ipv6]:port", "/path:0").
pub fn peer_addr(info: &ClientInfo) -> String {
    info.peer_id()
}

/// The local address the client connected to, as Redis prints it.
pub fn local_addr(info: &ClientInfo) -> String {
    info.local_id()
}

/// Client types CLIENT LIST/KILL TYPE accept (lode has no "master" client yet).
fn parse_type(name: &[u8]) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    match &lower[..] {
        b"normal" => Some("normal"),
        b"slave" | b"replica" => Some("replica"),
        b"pubsub" => Some("pubsub"),
        b"master" => Some("master"),
        _ => None,
    }
}

fn client_type(h: &ClientHandle) -> &'static str {
    h.class().name()
}

/// One CLIENT LIST / CLIENT INFO line (without its newline), with Redis 7.0's fields in
/// Redis 7.0's order. Where lode has no equivalent the value is a plausible constant: `fd`
/// is -1 (the transport doesn't report descriptors), `qbuf-free`, `argv-mem`, `multi-mem` 0,
/// `rbs`/`rbp` Redis's initial 1024/0 reply buffer, `tot-mem` a rough estimate,
/// `user=default`.
pub fn client_line(h: &ClientHandle, commands: &CommandTable, now_ms: u64) -> String {
    let mut flags = String::new();
    if h.monitor.load(Ordering::Relaxed) {
        flags.push('O');
    } else if h.replica.load(Ordering::Relaxed) {
        flags.push('S');
    }
    if h.is_subscriber() {
        flags.push('P');
    }
    let multi = h.multi.load(Ordering::Relaxed);
    if multi >= 0 {
        flags.push('x');
    }
    if h.is_blocked() {
        flags.push('b');
    }
    let tracking = h.tracking.flags();
    {
        use crate::tracking::TrackingFlags as T;
        for (flag, c) in [(T::ON, 't'), (T::BROKEN_REDIR, 'R'), (T::BCAST, 'B')] {
            if tracking.has(flag) {
                flags.push(c);
            }
        }
    }
    if matches!(h.info, ClientInfo::Unix { .. }) {
        flags.push('U');
    }
    if h.no_evict.load(Ordering::Relaxed) {
        flags.push('e');
    }
    if h.no_touch.load(Ordering::Relaxed) {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = h
        .name
        .lock()
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let age = now_ms.saturating_sub(h.created_ms) / 1000;
    let idle = now_ms.saturating_sub(h.last_interaction_ms.load(Ordering::Relaxed)) / 1000;
    let qbuf = h.qbuf.load(Ordering::Relaxed);
    // Redis keeps the first 16 KiB of output in a static buffer (obl) and the rest in a list
    // of 16 KiB blocks (oll, whose bytes are omem); the same split of lode's pending output.
    let pending = h.omem.load(Ordering::Relaxed);
    let obl = pending.min(16 * 1024);
    let omem = pending - obl;
    let oll = omem.div_ceil(16 * 1024);
    let [sub, psub, ssub] = [0, 1, 2].map(|i| h.subscriptions[i].load(Ordering::Relaxed));
    let mut s = String::with_capacity(256);
    let _ = write!(
        s,
        "id={} addr={} laddr={} fd=-1 name={} age={} idle={} flags={} db={} sub={} psub={} \
         ssub={} multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl={} \
         oll={} omem={} tot-mem={} events={} cmd={} user=default redir={} resp={}",
        h.id,
        peer_addr(&h.info),
        local_addr(&h.info),
        name,
        age,
        idle,
        flags,
        h.db.load(Ordering::Relaxed),
        sub,
        psub,
        ssub,
        multi,
        qbuf,
        obl,
        oll,
        omem,
        // Session state, buffers and pending input/output, roughly as Redis accounts them.
        20_000 + qbuf + pending,
        if pending > 0 { "rw" } else { "r" },
        commands.name_of(h.last_cmd_id()),
        if tracking.has(crate::tracking::TrackingFlags::ON) {
            h.tracking.redirect() as i64
        } else {
            -1
        },
        h.resp.load(Ordering::Relaxed),
    );
    s
}

fn id(ctx: &mut Ctx) {
    ctx.out.int(ctx.client.handle.id as i64);
}

fn info(ctx: &mut Ctx) {
    let mut line = client_line(&ctx.client.handle, &ctx.server.commands, ctx.now.ms());
    line.push('\n');
    ctx.out.verbatim(b"txt", line.as_bytes());
}

fn list(ctx: &mut Ctx) {
    let now = ctx.now.ms();
    let args = ctx.args;
    let mut text = String::new();
    if args.len() == 4 && args[2].eq_ignore_ascii_case(b"type") {
        let Some(t) = parse_type(&args[3]) else {
            return unknown_type(ctx, &args[3]);
        };
        for h in ctx.server.clients.snapshot() {
            if client_type(&h) == t {
                text.push_str(&client_line(&h, &ctx.server.commands, now));
                text.push('\n');
            }
        }
    } else if args.len() > 3 && args[2].eq_ignore_ascii_case(b"id") {
        for a in &args[3..] {
            let Some(id) = crate::util::num::parse_i64(a) else {
                return ctx.error("ERR Invalid client ID");
            };
            if let Some(h) = u64::try_from(id)
                .ok()
                .and_then(|id| ctx.server.clients.get(id))
            {
                text.push_str(&client_line(&h, &ctx.server.commands, now));
                text.push('\n');
            }
        }
    } else if args.len() != 2 {
        return ctx.syntax_error();
    } else {
        for h in ctx.server.clients.snapshot() {
            text.push_str(&client_line(&h, &ctx.server.commands, now));
            text.push('\n');
        }
    }
    ctx.out.verbatim(b"txt", text.as_bytes());
}

fn unknown_type(ctx: &mut Ctx, name: &[u8]) {
    let mut msg = b"ERR Unknown client type '".to_vec();
    msg.extend_from_slice(name);
    msg.push(b'\'');
    ctx.error_bytes(&msg);
}

fn kill(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut ctype: Option<&str> = None;
    let mut id: u64 = 0;
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
                    None => return unknown_type(ctx, val),
                }
            } else if opt.eq_ignore_ascii_case(b"addr") {
                addr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"laddr") {
                laddr = Some(val);
            } else if opt.eq_ignore_ascii_case(b"user") {
                // Only the default user exists until ACLs do.
                if &val[..] != b"default" {
                    let mut msg = b"ERR No such user '".to_vec();
                    msg.extend_from_slice(val);
                    msg.push(b'\'');
                    return ctx.error_bytes(&msg);
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
            || (h.id == me && skipme)
        {
            continue;
        }
        if h.id == me {
            kill_me = true;
        } else {
            h.kill();
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

fn setname(ctx: &mut Ctx) {
    if set_name_or_reply(ctx, ctx.arg(2)) {
        ctx.out.ok();
    }
}

fn getname(ctx: &mut Ctx) {
    let name = ctx.client.handle.name.lock().clone();
    match name {
        Some(n) => ctx.out.bulk(&n),
        None => ctx.out.null(),
    }
}

/// Parses ON/OFF, replying with a syntax error otherwise.
fn on_off(ctx: &mut Ctx) -> Option<bool> {
    let v = ctx.arg(2);
    if v.eq_ignore_ascii_case(b"on") {
        Some(true)
    } else if v.eq_ignore_ascii_case(b"off") {
        Some(false)
    } else {
        ctx.syntax_error();
        None
    }
}

fn no_evict(ctx: &mut Ctx) {
    let Some(on) = on_off(ctx) else { return };
    ctx.client.no_evict = on;
    ctx.client.handle.no_evict.store(on, Ordering::Relaxed);
    ctx.out.ok();
}

fn no_touch(ctx: &mut Ctx) {
    let Some(on) = on_off(ctx) else { return };
    ctx.client.no_touch = on;
    ctx.client.handle.no_touch.store(on, Ordering::Relaxed);
    ctx.out.ok();
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2).
fn setinfo(ctx: &mut Ctx) {
    let attr = ctx.arg(2);
    let val = ctx.arg(3);
    let is_name = attr.eq_ignore_ascii_case(b"lib-name");
    if !is_name && !attr.eq_ignore_ascii_case(b"lib-ver") {
        let mut msg = b"ERR Unrecognized option '".to_vec();
        msg.extend_from_slice(attr);
        msg.push(b'\'');
        return ctx.error_bytes(&msg);
    }
    if !valid_client_name(val) {
        let mut msg = b"ERR ".to_vec();
        msg.extend_from_slice(attr);
        msg.extend_from_slice(b" cannot contain spaces, newlines or special characters.");
        return ctx.error_bytes(&msg);
    }
    let value = (!val.is_empty()).then(|| Bytes::copy_from_slice(val));
    let mut lib = ctx.client.handle.lib.lock();
    if is_name {
        lib.0 = value;
    } else {
        lib.1 = value;
    }
    drop(lib);
    ctx.out.ok();
}

/// The CLIENT subcommands lode registers (here and in client_reply.rs), in lode's own words.
const HELP: &[&str] = &[
    "GETNAME",
    "    Replies with this connection's name, or nil when it has none.",
    "ID",
    "    Replies with this connection's numeric id.",
    "INFO",
    "    Describes this connection in the same format as one CLIENT LIST line.",
    "KILL <ip:port>",
    "    Closes the connection whose peer address is <ip:port>, even this one.",
    "KILL <filter> <value> [<filter> <value> ...]",
    "    Closes every connection matching all the filters, which are:",
    "    * ID <client-id>",
    "    * ADDR <ip:port> and LADDR <ip:port> (peer and local address)",
    "    * TYPE NORMAL|MASTER|REPLICA|PUBSUB",
    "    * USER <username>",
    "    * SKIPME YES|NO (whether this connection is spared; YES unless told)",
    "    Replies with how many connections were closed.",
    "LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB | ID <client-id> ...]",
    "    Describes the connections, one line each, optionally filtered.",
    "NO-EVICT ON|OFF",
    "    Exempts this connection from client eviction, or makes it subject again.",
    "NO-TOUCH ON|OFF",
    "    Stops this connection's commands from updating keys' access times, or resumes.",
    "REPLY ON|OFF|SKIP",
    "    Turns replies to this connection on or off, or drops just the next one.",
    "SETINFO LIB-NAME|LIB-VER <value>",
    "    Records the client library's name or version for this connection.",
    "SETNAME <name>",
    "    Names this connection; an empty <name> clears it.",
    "UNBLOCK <client-id> [TIMEOUT|ERROR]",
    "    Ends the client's blocking command as if it timed out, or with an UNBLOCKED error.",
];

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 if the client was blocked and is now released.
fn unblock(ctx: &mut Ctx) {
    let as_error = match ctx.args.get(3) {
        None => false,
        Some(r) if r.eq_ignore_ascii_case(b"timeout") => false,
        Some(r) if r.eq_ignore_ascii_case(b"error") => true,
        Some(_) => return ctx.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
    };
    let Some(id) = ctx.int_arg(2) else { return };
    let waiter = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.server.clients.get(id))
        .and_then(|h| h.blocked.lock().clone());
    let released = waiter.is_some_and(|w| {
        let reply = if as_error {
            let mut out = w.writer();
            out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
            out.buf
        } else {
            w.timeout_reply()
        };
        crate::blocking::settle(ctx.server, &w, reply)
    });
    ctx.out.int(released as i64);
}

fn client_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn id_name_info_list() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        let b = TestClient::new(&srv);
        let (ida, idb) = (a.session.id(), b.session.id());
        assert_eq!(a.cmd(&["CLIENT", "ID"]), format!(":{ida}\r\n"));
        assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(
            a.cmd(&["CLIENT", "SETNAME", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(a.cmd(&["CLIENT", "SETNAME", "alpha"]), "+OK\r\n");
        assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), "$5\r\nalpha\r\n");
        let info = a.cmd(&["CLIENT", "INFO"]);
        let expected = format!(
            "id={ida} addr=?:0 laddr=?:0 fd=-1 name=alpha age=0 idle=0 flags=N db=0 sub=0 \
             psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 \
             obl=0 oll=0 omem=0 tot-mem=20000 events=r cmd=client|info user=default redir=-1 \
             resp=2\n"
        );
        assert_eq!(info, format!("${}\r\n{expected}\r\n", expected.len()));
        let list = a.cmd(&["CLIENT", "LIST"]);
        assert!(list.contains(&format!("id={ida} ")) && list.contains(&format!("id={idb} ")));
        let one = a.cmd(&["CLIENT", "LIST", "ID", &idb.to_string(), "999"]);
        assert!(one.contains(&format!("id={idb} ")) && !one.contains(&format!("id={ida} ")));
        assert_eq!(
            a.cmd(&["CLIENT", "LIST", "ID", "x"]),
            "-ERR Invalid client ID\r\n"
        );
        assert!(a
            .cmd(&["CLIENT", "LIST", "TYPE", "normal"])
            .contains("name=alpha"));
        assert_eq!(a.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]), "$0\r\n\r\n");
        assert_eq!(
            a.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(
            a.cmd(&["CLIENT", "LIST", "foo", "bar"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(a.cmd(&["CLIENT", "SETNAME", ""]), "+OK\r\n");
        assert_eq!(a.cmd(&["CLIENT", "GETNAME"]), "$-1\r\n");
    }

    #[test]
    fn kill_filters() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        let b = TestClient::new(&srv);
        let idb = b.session.id().to_string();
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "ID", "0"]),
            "-ERR client-id should be greater than 0\r\n"
        );
        assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", "999"]), ":0\r\n");
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "1.2.3.4:5"]),
            "-ERR No such client\r\n"
        );
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "SKIPME", "maybe"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "USER", "nouser"]),
            "-ERR No such user 'nouser'\r\n"
        );
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "TYPE", "xx"]),
            "-ERR Unknown client type 'xx'\r\n"
        );
        assert_eq!(a.cmd(&["CLIENT", "KILL", "ID", &idb]), ":1\r\n");
        assert!(b.session.is_closing());
        // The caller is skipped by default, and killed (after its reply) with SKIPME no.
        assert_eq!(a.cmd(&["CLIENT", "KILL", "TYPE", "normal"]), ":1\r\n");
        assert!(!a.session.is_closing());
        assert_eq!(
            a.cmd(&["CLIENT", "KILL", "ADDR", "?:0", "SKIPME", "no"]),
            ":2\r\n"
        );
        assert!(a.session.is_closing());
    }

    #[test]
    fn no_evict_no_touch_setinfo() {
        let srv = server();
        let mut a = TestClient::new(&srv);
        assert_eq!(
            a.cmd(&["CLIENT", "NO-EVICT", "maybe"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(a.cmd(&["CLIENT", "NO-EVICT", "on"]), "+OK\r\n");
        assert_eq!(a.cmd(&["CLIENT", "NO-TOUCH", "ON"]), "+OK\r\n");
        assert!(a.cmd(&["CLIENT", "INFO"]).contains(" flags=eT "));
        assert_eq!(a.cmd(&["CLIENT", "NO-TOUCH", "off"]), "+OK\r\n");
        assert_eq!(
            a.cmd(&["CLIENT", "NO-TOUCH"]),
            "-ERR wrong number of arguments for 'client|no-touch' command\r\n"
        );
        assert_eq!(
            a.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]),
            "+OK\r\n"
        );
        assert_eq!(a.cmd(&["CLIENT", "SETINFO", "lib-ver", "5.0"]), "+OK\r\n");
        {
            let lib = a.session_handle_lib();
            assert_eq!(lib.0.as_deref(), Some(&b"redis-py"[..]));
            assert_eq!(lib.1.as_deref(), Some(&b"5.0"[..]));
        }
        assert_eq!(
            a.cmd(&["CLIENT", "SETINFO", "foo", "x"]),
            "-ERR Unrecognized option 'foo'\r\n"
        );
        assert_eq!(
            a.cmd(&["CLIENT", "SETINFO", "lib-name", "a b"]),
            "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n"
        );
        // Only the subcommands lode registers, in its own words; HELP's entry closes it.
        let h = a.cmd(&["CLIENT", "HELP"]);
        assert!(h.starts_with(
            "*33\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +GETNAME\r\n"
        ));
        assert!(h.contains("\r\n+REPLY ON|OFF|SKIP\r\n"), "{h}");
        assert!(!h.contains("TRACKING") && !h.contains("PAUSE"), "{h}");
        assert!(h.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{h}");
        assert_eq!(
            a.cmd(&["CLIENT", "NOPE"]),
            "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n"
        );
    }

    trait LibOf {
        fn session_handle_lib(&self) -> (Option<bytes::Bytes>, Option<bytes::Bytes>);
    }

    impl LibOf for TestClient {
        fn session_handle_lib(&self) -> (Option<bytes::Bytes>, Option<bytes::Bytes>) {
            let srv = self.session.server();
            let h = srv.clients.get(self.session.id()).expect("registered");
            let lib = h.lib.lock().clone();
            lib
        }
    }
}
