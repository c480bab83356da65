//! CLIENT subcommands: ID, INFO, LIST, SETNAME, GETNAME, NO-EVICT, NO-TOUCH, SETINFO, UNBLOCK,
//! HELP. KILL is in client_kill.rs, PAUSE and UNPAUSE in client_pause.rs, REPLY in
//! client_reply.rs, TRACKING and its kin with client-side caching (`tracking::commands`); the
//! CLIENT LIST line itself is client_line.rs.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::client_line::{client_line, client_type, parse_type, Caller};
use super::hello::set_name_or_reply;
use super::util::{help, valid_client_name};
use crate::client::ClientHandle;
use crate::command::{Ctx, Handler};

/// The CLIENT subcommands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("client|id", id),
    ("client|info", info),
    ("client|list", list),
    ("client|kill", super::client_kill::kill),
    ("client|pause", super::client_pause::pause),
    ("client|unpause", super::client_pause::unpause),
    ("client|setname", setname),
    ("client|getname", getname),
    ("client|no-evict", no_evict),
    ("client|no-touch", no_touch),
    ("client|setinfo", setinfo),
    ("client|unblock", unblock),
    ("client|help", client_help),
];

fn id(ctx: &mut Ctx) {
    ctx.out.int(ctx.client.handle.id as i64);
}

/// `h`'s CLIENT LIST line, newline included, as the running command sees it: the caller's
/// own line shows the command it is executing.
fn line_of(ctx: &Ctx, h: &ClientHandle) -> String {
    let me = &ctx.client;
    let caller = (h.id == me.handle.id).then(|| Caller {
        args: ctx.args,
        pending: ctx.out.buf.len() + me.handle.mailbox.len(),
        close_after_reply: me.close_after_reply,
    });
    let mut line = client_line(h, caller.as_ref(), &ctx.server.commands, ctx.now.ms());
    line.push('\n');
    line
}

fn info(ctx: &mut Ctx) {
    let line = line_of(ctx, &ctx.client.handle);
    ctx.out.verbatim(b"txt", line.as_bytes());
}

fn list(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut text = String::new();
    if args.len() == 4 && args[2].eq_ignore_ascii_case(b"type") {
        let Some(t) = parse_type(&args[3]) else {
            return unknown_type(ctx, &args[3]);
        };
        for h in ctx.server.clients.snapshot() {
            if client_type(&h) == t {
                text.push_str(&line_of(ctx, &h));
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
                text.push_str(&line_of(ctx, &h));
            }
        }
    } else if args.len() != 2 {
        return ctx.syntax_error();
    } else {
        for h in ctx.server.clients.snapshot() {
            text.push_str(&line_of(ctx, &h));
        }
    }
    ctx.out.verbatim(b"txt", text.as_bytes());
}

/// "ERR Unknown client type '<name>'" (CLIENT LIST and CLIENT KILL TYPE).
pub(super) fn unknown_type(ctx: &mut Ctx, name: &[u8]) {
    let mut msg = b"ERR Unknown client type '".to_vec();
    msg.extend_from_slice(name);
    msg.push(b'\'');
    ctx.error_bytes(&msg);
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

/// The CLIENT subcommands lode registers (here, in client_kill.rs, client_pause.rs,
/// client_reply.rs and `tracking::commands`), in lode's own words.
const HELP: &[&str] = &[
    "CACHING YES|NO",
    "    With OPTIN or OPTOUT tracking, tracks (or not) the keys the next command reads.",
    "GETNAME",
    "    Replies with this connection's name, or nil when it has none.",
    "GETREDIR",
    "    Replies with the id of the client tracking invalidations go to (-1 if none).",
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
    "PAUSE <timeout> [WRITE|ALL]",
    "    Holds back every client's commands (ALL, the default), or only those that may write",
    "    (WRITE), for <timeout> milliseconds; expired keys stay until the pause ends.",
    "REPLY ON|OFF|SKIP",
    "    Turns replies to this connection on or off, or drops just the next one.",
    "SETINFO LIB-NAME|LIB-VER <value>",
    "    Records the client library's name or version for this connection.",
    "SETNAME <name>",
    "    Names this connection; an empty <name> clears it.",
    "TRACKING ON|OFF [REDIRECT <id>] [BCAST] [PREFIX <prefix> ...] [OPTIN] [OPTOUT] [NOLOOP]",
    "    Turns client-side caching invalidations for this connection on or off.",
    "TRACKINGINFO",
    "    Describes this connection's tracking settings.",
    "UNBLOCK <client-id> [TIMEOUT|ERROR]",
    "    Ends the client's blocking command as if it timed out, or with an UNBLOCKED error.",
    "UNPAUSE",
    "    Ends the pause, letting the commands it held back run.",
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
pub(super) mod tests;
