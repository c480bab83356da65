//! SLOWLOG GET [count] / LEN / RESET / HELP over the server's slow log (`observe::slowlog`).

use super::util::{help, subcommand_syntax_error};
use crate::command::{Ctx, Handler};
use crate::util::num::parse_i64;

/// The SLOWLOG subcommands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("slowlog|get", get),
    ("slowlog|len", len),
    ("slowlog|reset", reset),
    ("slowlog|help", slowlog_help),
];

/// GET's count when none is given.
const DEFAULT_COUNT: usize = 10;

/// GET [count]: the newest `count` entries (-1: all), each as
/// [id, unix time, µs, [args...], "ip:port", client name].
fn get(ctx: &mut Ctx) {
    if ctx.args.len() > 3 {
        return subcommand_syntax_error(ctx);
    }
    let count = match ctx.args.get(2) {
        None => Some(DEFAULT_COUNT),
        Some(arg) => match parse_i64(arg) {
            Some(-1) => None,
            Some(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return ctx.error("ERR count should be greater than or equal to -1"),
        },
    };
    let entries = ctx.server.observe.slowlog.newest(count);
    let out = &mut *ctx.out;
    out.array(entries.len());
    for e in entries {
        out.array(6);
        out.int(e.id as i64);
        out.int(e.time as i64);
        out.int(e.duration_us as i64);
        out.array(e.argv.len());
        for a in &e.argv {
            out.bulk(a);
        }
        out.bulk(e.peer.as_bytes());
        out.bulk(&e.name);
    }
}

fn len(ctx: &mut Ctx) {
    let n = ctx.server.observe.slowlog.len();
    ctx.out.int(n as i64);
}

fn reset(ctx: &mut Ctx) {
    ctx.server.observe.slowlog.reset();
    ctx.out.ok();
}

/// Redis's help text: clients show it as is.
const HELP: &[&str] = &[
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
];

fn slowlog_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{debug_server as server, TestClient};

    fn client() -> TestClient {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
            "+OK\r\n"
        );
        assert_eq!(c.cmd(&["SLOWLOG", "RESET"]), "+OK\r\n");
        c
    }

    #[test]
    fn entries_newest_first_with_duration_args_and_client() {
        let mut c = client();
        c.cmd(&["CLIENT", "SETNAME", "alice"]);
        // The test host's clock moves only when DEBUG SLEEP advances it.
        c.cmd(&["DEBUG", "SLEEP", "0.25"]);
        c.cmd(&["SET", "k", "v"]);
        let got = c.cmd(&["SLOWLOG", "GET", "2"]);
        let t = crate::testkit::EPOCH_MS / 1000;
        assert_eq!(
            got,
            format!(
                "*2\r\n\
                 *6\r\n:4\r\n:{t}\r\n:0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n\
                 $3\r\n?:0\r\n$5\r\nalice\r\n\
                 *6\r\n:3\r\n:{t}\r\n:250000\r\n*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n\
                 $4\r\n0.25\r\n$3\r\n?:0\r\n$5\r\nalice\r\n",
                t = t
            )
        );
        // SLOWLOG RESET itself, CLIENT SETNAME, DEBUG, SET, the GET above.
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":5\r\n");
        assert_eq!(c.cmd(&["SLOWLOG", "GET", "0"]), "*0\r\n");
        assert!(c.cmd(&["SLOWLOG", "GET", "-1"]).starts_with("*7\r\n"));
        assert!(c.cmd(&["SLOWLOG", "GET"]).starts_with("*8\r\n"));
    }

    #[test]
    fn threshold_and_length_settings() {
        let mut c = client();
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "100000"]);
        c.cmd(&["SLOWLOG", "RESET"]);
        c.cmd(&["PING"]);
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n");
        c.cmd(&["DEBUG", "SLEEP", "0.2"]);
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":1\r\n");
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        c.cmd(&["CONFIG", "SET", "slowlog-max-len", "10"]);
        for _ in 0..100 {
            c.cmd(&["PING"]);
        }
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":10\r\n");
        // Disabling keeps what is logged but logs nothing more, CONFIG SET's own call
        // included.
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        c.cmd(&["SLOWLOG", "RESET"]);
        c.cmd(&["DEBUG", "SLEEP", "0.2"]);
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":0\r\n");
    }

    #[test]
    fn exec_is_not_logged_but_its_commands_are() {
        let mut c = client();
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "100000"]);
        c.cmd(&["SLOWLOG", "RESET"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["DEBUG", "SLEEP", "0.2"]);
        c.cmd(&["EXEC"]);
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":1\r\n");
        let got = c.cmd(&["SLOWLOG", "GET"]);
        assert!(
            got.contains("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n"),
            "{got}"
        );
    }

    #[test]
    fn sensitive_arguments_are_redacted() {
        let mut c = client();
        c.cmd(&["CONFIG", "SET", "masterauth", ""]);
        let got = c.cmd(&["SLOWLOG", "GET", "1"]);
        assert!(
            got.contains(
                "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$10\r\nmasterauth\r\n$10\r\n(redacted)\r\n"
            ),
            "{got}"
        );
    }

    #[test]
    fn errors() {
        let mut c = client();
        for bad in ["-2", "x", "-222"] {
            assert_eq!(
                c.cmd(&["SLOWLOG", "GET", bad]),
                "-ERR count should be greater than or equal to -1\r\n"
            );
        }
        assert_eq!(
            c.cmd(&["SLOWLOG", "GET", "1", "2"]),
            "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"
        );
        assert_eq!(
            c.cmd(&["SLOWLOG", "LEN", "1"]),
            "-ERR wrong number of arguments for 'slowlog|len' command\r\n"
        );
        assert!(c.cmd(&["SLOWLOG", "HELP"]).starts_with(
            "*12\r\n+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
        ));
    }
}
