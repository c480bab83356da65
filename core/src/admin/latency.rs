//! LATENCY LATEST / HISTORY / RESET / GRAPH / DOCTOR / HISTOGRAM / HELP: the latency monitor's
//! events (`observe::latency`) and the per-command latency histograms. GRAPH's and DOCTOR's
//! text is made in `latency_report`.

use super::latency_report;
use super::util::help;
use crate::command::{Command, Ctx, Handler};
use crate::resp::ReplyWriter;

/// The LATENCY subcommands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("latency|latest", latest),
    ("latency|history", history),
    ("latency|reset", reset),
    ("latency|graph", graph),
    ("latency|doctor", doctor),
    ("latency|histogram", histogram),
    ("latency|help", latency_help),
];

/// LATEST: [event, time of its latest sample, that sample's latency, its all-time high] for
/// every event.
fn latest(ctx: &mut Ctx) {
    let all = ctx.server.observe.latency.all();
    ctx.out.array(all.len());
    for (name, series) in all {
        let last = series.latest();
        ctx.out.array(4);
        ctx.out.bulk(name.as_bytes());
        ctx.out.int(last.time as i64);
        ctx.out.int(last.latency as i64);
        ctx.out.int(series.max as i64);
    }
}

/// HISTORY event: its samples, oldest first, as [time, latency] (none for an unknown event).
fn history(ctx: &mut Ctx) {
    let samples = ctx
        .server
        .observe
        .latency
        .series(ctx.arg(2))
        .map(|s| s.history())
        .unwrap_or_default();
    ctx.out.array(samples.len());
    for s in samples {
        ctx.out.array(2);
        ctx.out.int(s.time as i64);
        ctx.out.int(s.latency as i64);
    }
}

/// RESET [event ...]: forgets those events (every event without arguments); replies how
/// many were forgotten.
fn reset(ctx: &mut Ctx) {
    let latency = &ctx.server.observe.latency;
    let n = if ctx.args.len() == 2 {
        latency.reset(None)
    } else {
        ctx.args[2..].iter().map(|e| latency.reset(Some(e))).sum()
    };
    ctx.out.int(n as i64);
}

/// GRAPH event: an ASCII graph of the event's samples.
fn graph(ctx: &mut Ctx) {
    let event = ctx.arg(2);
    let Some(series) = ctx.server.observe.latency.series(event) else {
        let mut msg = b"ERR No samples available for event '".to_vec();
        msg.extend_from_slice(event);
        msg.push(b'\'');
        return ctx.error_bytes(&msg);
    };
    let name = String::from_utf8_lossy(event);
    let text = latency_report::graph(&name, &series, ctx.now.secs());
    ctx.out.verbatim(b"txt", text.as_bytes());
}

/// DOCTOR: a report on every event, with advice.
fn doctor(ctx: &mut Ctx) {
    let text = latency_report::doctor(ctx.server, ctx.now.secs());
    ctx.out.verbatim(b"txt", text.as_bytes());
}

/// HISTOGRAM [command ...]: for each command named (or every command without arguments) that
/// has a latency histogram, {calls, histogram_usec: {bucket upper bound µs: calls up to it}}.
/// A container command also lists its subcommands'; unknown names are skipped.
fn histogram(ctx: &mut Ctx) {
    let commands = &ctx.server.commands;
    let mut chosen: Vec<&Command> = Vec::new();
    if ctx.args.len() == 2 {
        let mut all: Vec<&Command> = Vec::new();
        for cmd in commands.iter() {
            all.push(cmd);
            all.extend(cmd.subcommands.values());
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        chosen = all;
    } else {
        for name in &ctx.args[2..] {
            let Some(cmd) = commands.by_full_name(name) else {
                continue;
            };
            chosen.push(cmd);
            let mut subs: Vec<&Command> = cmd.subcommands.values().collect();
            subs.sort_by(|a, b| a.name.cmp(&b.name));
            chosen.extend(subs);
        }
    }
    let with_data: Vec<(&Command, _)> = chosen
        .into_iter()
        .filter_map(|c| c.latency.snapshot().map(|s| (c, s)))
        .collect();
    let out = &mut *ctx.out;
    out.map(with_data.len());
    for (cmd, snapshot) in with_data {
        out.bulk(cmd.name.as_bytes());
        write_cdf(out, snapshot.total(), &snapshot.cdf());
    }
}

fn write_cdf(out: &mut ReplyWriter, calls: u64, buckets: &[(u64, u64)]) {
    out.map(2);
    out.bulk(b"calls");
    out.int(calls as i64);
    out.bulk(b"histogram_usec");
    out.map(buckets.len());
    for &(usec, count) in buckets {
        out.int(usec as i64);
        out.int(count as i64);
    }
}

/// Redis's help text: clients show it as is.
const HELP: &[&str] = &[
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
];

fn latency_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{debug_server as server, TestClient, EPOCH_MS};

    #[test]
    fn histogram_of_commands_and_subcommands() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["CONFIG", "RESETSTAT"]);
        assert_eq!(
            c.cmd(&["LATENCY", "HISTOGRAM"]),
            "*2\r\n$16\r\nconfig|resetstat\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n\
             *2\r\n:1\r\n:1\r\n"
        );
        c.cmd(&["SET", "a", "b"]);
        c.cmd(&["DEBUG", "SLEEP", "0.003"]);
        c.cmd(&["SET", "c", "d"]);
        c.cmd(&["CLIENT", "ID"]);
        c.cmd(&["HELLO", "3"]);
        assert_eq!(
            c.cmd(&["LATENCY", "HISTOGRAM", "set", "debug", "nosuch"]),
            "%2\r\n$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:2\r\n$14\r\nhistogram_usec\r\n%1\r\n:1\r\n:2\r\n\
             $5\r\ndebug\r\n%2\r\n$5\r\ncalls\r\n:1\r\n$14\r\nhistogram_usec\r\n%1\r\n:4227\r\n:1\r\n"
        );
        let client = c.cmd(&["LATENCY", "HISTOGRAM", "client"]);
        assert!(client.starts_with("%1\r\n$9\r\nclient|id\r\n"), "{client}");
        assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "CLIENT|ID"]), client);
        assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "blabla"]), "%0\r\n");
    }

    #[test]
    fn events_latest_history_reset() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
        c.cmd(&["CONFIG", "SET", "latency-monitor-threshold", "200"]);
        c.cmd(&["DEBUG", "SLEEP", "0.1"]);
        assert_eq!(c.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
        c.cmd(&["DEBUG", "SLEEP", "0.3"]);
        let t = EPOCH_MS / 1000;
        assert_eq!(
            c.cmd(&["LATENCY", "LATEST"]),
            format!("*1\r\n*4\r\n$7\r\ncommand\r\n:{t}\r\n:300\r\n:300\r\n")
        );
        c.now = crate::Now::from_ms(EPOCH_MS + 2000);
        c.cmd(&["DEBUG", "SLEEP", "0.25"]);
        assert_eq!(
            c.cmd(&["LATENCY", "HISTORY", "command"]),
            format!("*2\r\n*2\r\n:{t}\r\n:300\r\n*2\r\n:{}\r\n:250\r\n", t + 2)
        );
        assert_eq!(c.cmd(&["LATENCY", "HISTORY", "blabla"]), "*0\r\n");
        assert_eq!(
            c.cmd(&["LATENCY", "GRAPH", "blabla"]),
            "-ERR No samples available for event 'blabla'\r\n"
        );
        assert_eq!(c.cmd(&["LATENCY", "RESET", "blabla"]), ":0\r\n");
        assert_eq!(c.cmd(&["LATENCY", "RESET"]), ":1\r\n");
        assert_eq!(c.cmd(&["LATENCY", "LATEST"]), "*0\r\n");
        assert_eq!(
            c.cmd(&["LATENCY", "HELP", "xxx"]),
            "-ERR wrong number of arguments for 'latency|help' command\r\n"
        );
    }
}
