//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the parameter table.

use std::sync::atomic::Ordering;

use super::util::{allowed, help};
use crate::command::{Ctx, Handler};
use crate::config::value::ConfigValue;
use crate::config::{lookup, Config, Param};
use crate::effects::{AfterEffect, Effect};
use crate::server::Server;

/// The CONFIG subcommands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("config|get", get),
    ("config|set", set),
    ("config|resetstat", resetstat),
    ("config|rewrite", rewrite),
    ("config|help", config_help),
];

/// Parameters whose values are secrets (Redis's SENSITIVE_CONFIG): never shown in the slow log.
const SENSITIVE: &[&str] = &["masteruser", "masterauth", "requirepass"];

/// The configuration as CONFIG GET and REWRITE show it: `replicaof` is the primary this server
/// follows now, not the one it started with, since REPLICAOF changes it (Redis renders it from
/// its master host and port). Sentinel's failover sends REPLICAOF then CONFIG REWRITE so that
/// a restarted server keeps its new role.
fn shown(server: &Server) -> Config {
    let mut config = server.config.read().clone();
    if let Some(p) = lookup("replicaof") {
        let primary = server.repl.replica.target();
        let words = primary.map_or_else(Vec::new, |(host, port, _)| vec![host, port.to_string()]);
        config.set_value(p, ConfigValue::List(words));
    }
    config
}

fn get(ctx: &mut Ctx) {
    let patterns: Vec<&[u8]> = ctx.args[2..].iter().map(|a| &a[..]).collect();
    let pairs = shown(ctx.server).matching(&patterns);
    ctx.out.map(pairs.len());
    for (name, value) in pairs {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
}

fn set_failed(ctx: &mut Ctx, name: &str, why: &str) {
    let msg = format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}");
    ctx.error(&msg);
}

/// CONFIG SET name value [name value ...]: all or nothing. Every name is checked first
/// (unknown, immutable, protected, duplicate: the first problem is reported), then the values
/// are set in order on a copy, which replaces the live configuration only if every value
/// parsed and the host accepted the change.
fn set(ctx: &mut Ctx) {
    let args = ctx.args;
    if args.len() % 2 == 1 {
        return ctx.syntax_error();
    }
    // Every sensitive value is hidden from the slow log, even when the command fails on an
    // earlier parameter, as Redis does.
    for (i, pair) in args[2..].chunks(2).enumerate() {
        let name = String::from_utf8_lossy(&pair[0]);
        if lookup(&name).is_some_and(|p| SENSITIVE.contains(&p.name)) {
            ctx.redact(2 + i * 2 + 1);
        }
    }
    let mut chosen: Vec<(&'static Param, &str, String)> = Vec::new();
    for pair in args[2..].chunks(2) {
        let typed = String::from_utf8_lossy(&pair[0]).into_owned();
        let Some(p) = lookup(&typed) else {
            let msg =
                format!("ERR Unknown option or number of arguments for CONFIG SET - '{typed}'");
            return ctx.error(&msg);
        };
        // Redis reports an alias under the alias's own name.
        let registered = if p.name.eq_ignore_ascii_case(&typed) {
            p.name
        } else {
            p.alias.unwrap_or(p.name)
        };
        if p.immutable() {
            return set_failed(ctx, &typed, "can't set immutable config");
        }
        if p.protected() {
            let setting = ctx.server.config.read().enable_protected_configs.clone();
            if !allowed(&setting, &ctx.client.handle.info) {
                return set_failed(ctx, &typed, "can't set protected config");
            }
        }
        if chosen.iter().any(|(_, r, _)| *r == registered) {
            return set_failed(ctx, &typed, "duplicate parameter");
        }
        let value = String::from_utf8_lossy(&pair[1]).into_owned();
        chosen.push((p, registered, value));
    }
    let old = ctx.server.config.read().clone();
    let mut new = old.clone();
    for (p, registered, value) in &chosen {
        if let Err(e) = new.set_str(p, value) {
            return set_failed(ctx, registered, &e);
        }
    }
    new.apply_config_set(&old);
    let names: Vec<&'static str> = chosen.iter().map(|(p, _, _)| p.name).collect();
    // The host applies what it owns (rebinding listeners...) off the worker threads; the new
    // configuration is installed only once it did.
    let effect = Effect::ApplyConfig {
        names,
        config: Box::new(new.clone()),
    };
    let then = AfterEffect::InstallConfig {
        config: Box::new(new),
    };
    ctx.request_effect(effect, then);
}

/// Zeroes what INFO stats, commandstats, errorstats and latencystats report (and LATENCY
/// HISTOGRAM), as Redis's RESETSTAT does; the slow log and the latency events stay.
pub fn reset_stats(server: &crate::server::Server) {
    server.stats.reset();
    let ks = &server.keyspace;
    for c in [&ks.expired_keys, &ks.keyspace_hits, &ks.keyspace_misses] {
        c.store(0, Ordering::Relaxed);
    }
    for cmd in server.commands.iter() {
        cmd.reset_stats();
    }
    server.keyspace.lazyfree.reset_stats();
    server.eviction.reset_stats(server.host.monotonic_us());
}

fn resetstat(ctx: &mut Ctx) {
    reset_stats(ctx.server);
    ctx.out.ok();
}

fn rewrite(ctx: &mut Ctx) {
    rewrite_file(ctx, false);
}

/// Rewrites the config file (CONFIG REWRITE; with `all`, every parameter even at its default,
/// as DEBUG CONFIG-REWRITE-FORCE-ALL) and the ACL users, replying +OK or the error.
pub fn rewrite_file(ctx: &mut Ctx, all: bool) {
    let config = shown(ctx.server);
    let mut lines = if all {
        config.all_lines()
    } else {
        config.rewrite_lines()
    };
    lines.extend(super::acl::rewrite_lines(ctx.server));
    ctx.request_effect(Effect::RewriteConfig(lines), AfterEffect::ReplyOk);
}

/// The CONFIG subcommands, in lode's own words.
const HELP: &[&str] = &[
    "GET <pattern> [<pattern> ...]",
    "    Replies with every parameter whose name matches a glob <pattern>, and its value.",
    "SET <parameter> <value> [<parameter> <value> ...]",
    "    Changes parameters at runtime; if any change is refused, none is made.",
    "RESETSTAT",
    "    Zeroes the statistics that INFO reports.",
    "REWRITE",
    "    Writes the running configuration back to the config file.",
];

fn config_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    fn set_failed(name: &str, why: &str) -> String {
        format!("-ERR CONFIG SET failed (possibly related to argument '{name}') - {why}\r\n")
    }

    #[test]
    fn config_get_exact_alias_and_patterns() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "hz"]),
            "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "Hz"]),
            "*2\r\n$2\r\nHz\r\n$2\r\n10\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "slave-read-only"]),
            "*2\r\n$15\r\nslave-read-only\r\n$3\r\nyes\r\n"
        );
        assert_eq!(c.cmd(&["CONFIG", "GET", "nope"]), "*0\r\n");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "hz", "maxmemory"]),
            "*4\r\n$2\r\nhz\r\n$2\r\n10\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        );
        let r = c.cmd(&["CONFIG", "GET", "maxmem*"]);
        assert!(r.starts_with("*10\r\n"), "{r}");
        for n in ["maxmemory-clients", "maxmemory-samples", "maxmemory-policy"] {
            assert!(r.contains(n));
        }
        // Hidden parameters answer exact names only.
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "rdb-key-save-delay"]),
            "*2\r\n$18\r\nrdb-key-save-delay\r\n$1\r\n0\r\n"
        );
        assert!(!c
            .cmd(&["CONFIG", "GET", "*"])
            .contains("rdb-key-save-delay"));
        c.cmd(&["HELLO", "3"]);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "hz"]),
            "%1\r\n$2\r\nhz\r\n$2\r\n10\r\n"
        );
    }

    #[test]
    fn replicaof_shows_the_primary_followed_now() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["REPLICAOF", "127.0.0.1", "6390"]), "+OK\r\n");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "slaveof"]),
            "*2\r\n$7\r\nslaveof\r\n$14\r\n127.0.0.1 6390\r\n"
        );
        let lines = super::shown(&srv).rewrite_lines();
        assert!(lines.contains(&"replicaof 127.0.0.1 6390".to_string()));
        assert_eq!(c.cmd(&["REPLICAOF", "NO", "ONE"]), "+OK\r\n");
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "replicaof"]),
            "*2\r\n$9\r\nreplicaof\r\n$0\r\n\r\n"
        );
        let lines = super::shown(&srv).rewrite_lines();
        assert!(
            !lines.iter().any(|l| l.starts_with("replicaof")),
            "{lines:?}"
        );
    }

    #[test]
    fn config_get_star_lists_every_redis_parameter() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let r = c.cmd(&["CONFIG", "GET", "*"]);
        // 192 names in redis-server 7.0.15's CONFIG GET * plus set-max-listpack-entries/value.
        assert!(r.starts_with("*388\r\n"), "{}", &r[..10]);
    }

    #[test]
    fn config_set_values_and_errors() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let ok = "+OK\r\n";
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory", "1kb"]), ok);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "maxmemory"]),
            "*2\r\n$9\r\nmaxmemory\r\n$4\r\n1024\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory", "-1"]),
            set_failed("maxmemory", "argument must be a memory value")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "abc"]),
            set_failed("hz", "argument couldn't be parsed into an integer")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "-1"]),
            set_failed("hz", "argument must be between 0 and 2147483647 inclusive")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxclients", "-1"]),
            set_failed(
                "maxclients",
                "argument must be between 1 and 4294967295 inclusive"
            )
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "foo", "bar"]),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "databases", "3"]),
            set_failed("databases", "can't set immutable config")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "dir", "/tmp"]),
            set_failed("dir", "can't set protected config")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "11", "hz", "12"]),
            set_failed("hz", "duplicate parameter")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "appendonly", "maybe"]),
            set_failed("appendonly", "argument must be 'yes' or 'no'")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory-policy", "foo"]),
            set_failed(
                "maxmemory-policy",
                "argument(s) must be one of the following: volatile-lru, volatile-lfu, \
                 volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, \
                 noeviction"
            )
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "save", "1 2 3"]),
            set_failed("save", "Invalid save parameters")
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz"]),
            "-ERR wrong number of arguments for 'config|set' command\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "1", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            c.cmd(&[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 1x 1 1"
            ]),
            set_failed(
                "client-output-buffer-limit",
                "Error in hard, soft or soft_seconds setting in buffer limit configuration."
            )
        );
        assert_eq!(
            c.cmd(&[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "replica 1 2 3"
            ]),
            ok
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "client-output-buffer-limit"]),
            "*2\r\n$26\r\nclient-output-buffer-limit\r\n$51\r\n\
             normal 0 0 0 slave 1 2 3 pubsub 33554432 8388608 60\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
            ok
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
            "*2\r\n$22\r\nnotify-keyspace-events\r\n$3\r\nAKE\r\n"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "maxmemory-clients", "10%"]), ok);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "maxmemory-clients"]),
            "*2\r\n$17\r\nmaxmemory-clients\r\n$3\r\n10%\r\n"
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "maxmemory-clients", "200%"]),
            set_failed(
                "maxmemory-clients",
                "percentage argument must be less or equal to 100"
            )
        );
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "shutdown-on-sigint", "now nosave"]),
            ok
        );
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "shutdown-on-sigint"]),
            "*2\r\n$18\r\nshutdown-on-sigint\r\n$10\r\nnosave now\r\n"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "oom-score-adj", "relative"]), ok);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "oom-score-adj"]),
            "*2\r\n$13\r\noom-score-adj\r\n$3\r\nyes\r\n"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "1000"]), ok);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "hz"]),
            "*2\r\n$2\r\nhz\r\n$3\r\n500\r\n"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "save", ""]), ok);
        assert_eq!(
            c.cmd(&["CONFIG", "GET", "save"]),
            "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"
        );
        assert_eq!(c.cmd(&["CONFIG", "SET", "slave-read-only", "no"]), ok);
        assert!(!srv.config.read().replica_read_only);
    }

    #[test]
    fn repl_backlog_size_set_below_16k_is_raised_to_16k() {
        // What redis-server 7.0.15 does: CONFIG SET raises a changed size below 16 KiB to
        // 16 KiB; an unchanged one is left alone, as are the config file and command line.
        let get = |c: &mut TestClient| c.cmd(&["CONFIG", "GET", "repl-backlog-size"]);
        let reply = |v: &str| format!("*2\r\n$17\r\nrepl-backlog-size\r\n${}\r\n{v}\r\n", v.len());
        let srv = server();
        let mut c = TestClient::new(&srv);
        for (set, shown) in [
            ("1", "16384"),
            ("16383", "16384"),
            ("1k", "16384"),
            ("16385", "16385"),
            ("1mb", "1048576"),
        ] {
            assert_eq!(
                c.cmd(&["CONFIG", "SET", "repl-backlog-size", set]),
                "+OK\r\n"
            );
            assert_eq!(get(&mut c), reply(shown), "{set}");
        }
        assert!(c
            .cmd(&["INFO", "replication"])
            .contains("repl_backlog_size:1048576\r\n"));
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "repl-backlog-size", "0"]),
            set_failed(
                "repl-backlog-size",
                "argument must be between 1 and 9223372036854775807 inclusive"
            )
        );
        let mut config = crate::config::Config::default();
        config
            .apply("repl-backlog-size", &["1".to_string()])
            .expect("valid");
        let srv = crate::testkit::server_with(config);
        let mut c = TestClient::new(&srv);
        assert_eq!(get(&mut c), reply("1"));
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "repl-backlog-size", "1"]),
            "+OK\r\n"
        );
        assert_eq!(get(&mut c), reply("1"), "unchanged: left alone");
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "repl-backlog-size", "2"]),
            "+OK\r\n"
        );
        assert_eq!(get(&mut c), reply("16384"));
        assert!(c
            .cmd(&["INFO", "replication"])
            .contains("repl_backlog_size:16384\r\n"));
    }

    #[test]
    fn config_set_is_all_or_nothing() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "11", "maxmemory", "1x"]),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument \
             must be a memory value\r\n"
        );
        assert_eq!(srv.config.read().hz, 10);
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "hz", "11", "maxmemory", "1mb"]),
            "+OK\r\n"
        );
        assert_eq!(srv.config.read().hz, 11);
        assert_eq!(srv.config.read().maxmemory, 1 << 20);
    }

    #[test]
    fn config_help_resetstat_rewrite() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let h = c.cmd(&["config", "help"]);
        assert!(h.starts_with(
            "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +GET <pattern> [<pattern> ...]\r\n"
        ));
        assert!(h.contains("\r\n+RESETSTAT\r\n+    Zeroes the statistics that INFO reports.\r\n"));
        assert!(h.ends_with("+HELP\r\n+    Prints this help.\r\n"));
        c.cmd(&["GET", "x"]);
        assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), "+OK\r\n");
        let info = c.cmd(&["INFO", "commandstats"]);
        assert!(!info.contains("cmdstat_get"), "{info}");
        assert_eq!(
            c.cmd(&["CONFIG", "REWRITE"]),
            "-ERR The server is running without a config file\r\n"
        );
    }
}
