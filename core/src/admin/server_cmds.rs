//! Server commands: TIME, SHUTDOWN, FUNCTION FLUSH (DBSIZE, FLUSHDB and FLUSHALL are with the
//! keyspace, `keyspace::commands::db`).

use crate::command::{Ctx, Handler};
use crate::effects::{AfterEffect, Effect};
use crate::server::ShutdownOptions;

/// The server commands lode implements.
pub const COMMANDS: &[(&str, Handler)] =
    &[("time", time), ("shutdown", shutdown), ("monitor", monitor)];

/// MONITOR: from now on the client receives a line for every command the server runs.
fn monitor(ctx: &mut Ctx) {
    if ctx.client.deny_blocking && !ctx.client.in_exec {
        return ctx.error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    }
    let h = &ctx.client.handle;
    // A replica or a client already monitoring: ignored, as in Redis.
    if h.replica.load(std::sync::atomic::Ordering::Relaxed)
        || h.monitor.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        return;
    }
    ctx.server.monitors.add(h);
    ctx.out.ok();
}

fn time(ctx: &mut Ctx) {
    let us = ctx.now.micros();
    let mut buf = itoa::Buffer::new();
    ctx.out.array(2);
    ctx.out.bulk(buf.format(us / 1_000_000).as_bytes());
    ctx.out.bulk(buf.format(us % 1_000_000).as_bytes());
}

fn shutdown(ctx: &mut Ctx) {
    let mut opts = ShutdownOptions::default();
    for a in &ctx.args[1..] {
        if a.eq_ignore_ascii_case(b"nosave") {
            opts.nosave = true;
        } else if a.eq_ignore_ascii_case(b"save") {
            opts.save = true;
        } else if a.eq_ignore_ascii_case(b"now") {
            opts.now = true;
        } else if a.eq_ignore_ascii_case(b"force") {
            opts.force = true;
        } else if a.eq_ignore_ascii_case(b"abort") {
            opts.abort = true;
        } else {
            return ctx.syntax_error();
        }
    }
    let any_flag = opts.save || opts.nosave || opts.now || opts.force;
    if (opts.abort && any_flag) || (opts.save && opts.nosave) {
        return ctx.syntax_error();
    }
    // ABORT answers +OK; a shutdown that goes ahead answers nothing: the server exits.
    let then = if opts.abort {
        AfterEffect::ReplyOk
    } else {
        AfterEffect::Close
    };
    ctx.request_effect(Effect::Shutdown(opts), then);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient, EPOCH_MS};

    #[test]
    fn time_comes_from_the_clock() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.advance_ms(1_234);
        let secs = (EPOCH_MS + 1_234) / 1000;
        assert_eq!(
            c.cmd(&["TIME"]),
            format!("*2\r\n$10\r\n{secs}\r\n$6\r\n234000\r\n")
        );
    }

    #[test]
    fn shutdown_options() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["SHUTDOWN", "foo"]), "-ERR syntax error\r\n");
        assert_eq!(
            c.cmd(&["SHUTDOWN", "nosave", "save"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            c.cmd(&["SHUTDOWN", "abort", "now"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            c.cmd(&["SHUTDOWN", "ABORT"]),
            "-ERR No shutdown in progress.\r\n"
        );
        assert_eq!(
            c.cmd(&["SHUTDOWN", "NOSAVE"]),
            "-ERR shutdown is not supported by this host\r\n"
        );
    }
}
