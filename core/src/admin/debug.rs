//! DEBUG: the testing helpers Redis's test suite and client libraries use (LOG, SLEEP,
//! SET-ACTIVE-EXPIRE, OBJECT, DIGEST, DIGEST-VALUE, POPULATE, PROTOCOL, ERROR, HELP), allowed
//! only as `enable-debug-command` says.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::digest::{dataset_digest, object_digest};
use super::util::{help, subcommand_syntax_error};
use crate::command::{errors, Ctx, Handler};
use crate::effects::{AfterEffect, Completion, Effect};
use crate::keyspace::{Entry, Value};
use crate::util::sha1::hex;

/// The DEBUG command.
pub const COMMANDS: &[(&str, Handler)] = &[("debug", debug)];

fn debug(ctx: &mut Ctx) {
    let sub = String::from_utf8_lossy(ctx.arg(1)).to_ascii_lowercase();
    let argc = ctx.args.len();
    match (sub.as_str(), argc) {
        ("help", 2) => help(ctx, HELP),
        ("log", 3) => {
            let msg = format!("DEBUG LOG: {}", String::from_utf8_lossy(ctx.arg(2)));
            // Nobody waits for a log line.
            let done = std::sync::Arc::new(Completion::new(None));
            let server = ctx.server;
            server.effects.submit(server, Effect::Log(msg), done);
            ctx.out.ok();
        }
        ("sleep", 3) => {
            let secs = c_atof(ctx.arg(2));
            if secs > 0.0 && secs.is_finite() {
                let sleep = Effect::Sleep(Duration::from_secs_f64(secs));
                return ctx.request_effect(sleep, AfterEffect::ReplyOk);
            }
            ctx.out.ok();
        }
        ("replicate", n) if n >= 3 => {
            // Straight to the replicas, in the database the stream has selected: a test's
            // way to make a replica diverge (Redis's DEBUG REPLICATE).
            let args: Vec<&[u8]> = ctx.args[2..].iter().map(|a| &a[..]).collect();
            ctx.server.keyspace.log.append_for_replicas(&args);
            ctx.out.ok();
        }
        ("set-active-expire", 3) => {
            let on = c_atoi(ctx.arg(2)) != 0;
            ctx.server
                .active_expire_enabled
                .store(on, Ordering::Relaxed);
            ctx.out.ok();
        }
        ("set-disable-deny-scripts", 3) => {
            let off = c_atoi(ctx.arg(2)) != 0;
            ctx.server
                .scripting
                .deny_script_disabled
                .store(off, Ordering::Relaxed);
            ctx.out.ok();
        }
        ("pause-cron", 3) => {
            let paused = c_atoi(ctx.arg(2)) != 0;
            ctx.server.cron_paused.store(paused, Ordering::Relaxed);
            ctx.out.ok();
        }
        // lode's reply buffer is never resized on a timer (CLIENT LIST's rbs stays 16 KiB;
        // buffers grown for big replies are freed once written), so Redis's switches for
        // that resizing are accepted with nothing to change.
        ("replybuffer", 4) => {
            let what = ctx.arg(2).to_ascii_lowercase();
            let value = ctx.arg(3);
            let ok = match &what[..] {
                b"peak-reset-time" => {
                    value.eq_ignore_ascii_case(b"never")
                        || value.eq_ignore_ascii_case(b"reset")
                        || crate::util::num::parse_i64(value).is_some()
                }
                b"resizing" => true,
                _ => false,
            };
            if !ok && what == b"peak-reset-time" {
                return ctx.error("ERR value is not an integer or out of range");
            }
            if !ok {
                return subcommand_syntax_error(ctx);
            }
            ctx.out.ok();
        }
        ("object", 3) => object(ctx),
        ("reload", _) => reload(ctx),
        ("loadaof", 2) => loadaof(ctx),
        ("set-skip-checksum-validation", 3) => {
            let skip = c_atoi(ctx.arg(2)) != 0;
            ctx.server
                .persist
                .skip_checksum
                .store(skip, Ordering::Relaxed);
            ctx.out.ok();
        }
        ("aof-flush-sleep", 3) => {
            let us = c_atoi(ctx.arg(2)).max(0) as u64;
            ctx.server
                .persist
                .aof_flush_sleep_us
                .store(us, Ordering::Relaxed);
            ctx.out.ok();
        }
        ("digest", 2) => {
            let d = dataset_digest(&ctx.server.keyspace, ctx.now.ms());
            ctx.out.simple(hex(&d).as_bytes());
        }
        ("digest-value", _) => digest_value(ctx),
        ("populate", 3..=5) => populate(ctx),
        ("protocol", 3) => protocol(ctx),
        ("error", 3) => {
            // Sent as is: Redis doesn't count it as an error reply of its own.
            let mut msg = ctx.arg(2).to_vec();
            for b in msg.iter_mut() {
                if *b == b'\r' || *b == b'\n' {
                    *b = b' ';
                }
            }
            ctx.out.error_bytes(&msg);
        }
        ("change-repl-id", 2) => ctx.out.ok(),
        ("config-rewrite-force-all", 2) => super::config_cmd::rewrite_file(ctx, true),
        ("quicklist-packed-threshold", 3) => {
            // Redis stores list elements above this size in nodes of their own; lode's chunks
            // hold an element of any size, so the threshold is validated and has no effect.
            let size = crate::config::value::memtoull(&String::from_utf8_lossy(ctx.arg(2)));
            match size {
                Some(n) if n <= (1 << 32) - (1 << 20) => ctx.out.ok(),
                _ => ctx.error(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                ),
            }
        }
        _ => subcommand_syntax_error(ctx),
    }
}

/// C's atoi: leading digits with an optional sign; anything else is 0.
fn c_atoi(s: &[u8]) -> i64 {
    let s = String::from_utf8_lossy(s);
    let t = s.trim_start();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(t.len(), |(i, _)| i);
    t[..end].parse().unwrap_or(0)
}

/// C's strtod without an end check: the longest numeric prefix, else 0.
fn c_atof(s: &[u8]) -> f64 {
    let s = String::from_utf8_lossy(s);
    let t = s.trim_start();
    (1..=t.len())
        .rev()
        .filter(|&n| t.is_char_boundary(n))
        .find_map(|n| t[..n].parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// Bytes Redis's RDB format uses for a string value (without LZF compression, which lode
/// doesn't apply here: long compressible strings report more than Redis does).
fn serialized_len(v: &Value) -> usize {
    let mut tmp = itoa::Buffer::new();
    let bytes = v.as_bytes(&mut tmp).unwrap_or_default();
    // Short canonical integers are stored as 1-, 2- or 4-byte integers.
    if bytes.len() <= 11 {
        if let Some(n) = crate::util::num::parse_i64(bytes) {
            if n.to_string().as_bytes() == bytes {
                if (-128..=127).contains(&n) {
                    return 2;
                } else if (-32768..=32767).contains(&n) {
                    return 3;
                } else if i32::try_from(n).is_ok() {
                    return 5;
                }
            }
        }
    }
    let len = bytes.len();
    let prefix = match len {
        0..=63 => 1,
        64..=16383 => 2,
        _ if len as u64 <= u32::MAX as u64 => 5,
        _ => 9,
    };
    prefix + len
}

fn object(ctx: &mut Ctx) {
    let key = ctx.arg(2);
    let now = ctx.now.ms();
    let shared_ok = ctx.server.config.read().shares_integers();
    let mut locked = ctx.lock();
    // Like Redis, look the key up without expiring it.
    let line = locked.shard_mut(key).peek(key).map(|e: &Entry| {
        let refcount = match e.value {
            // Redis shares the objects of small integers.
            Value::Int(n) if (0..10_000).contains(&n) && shared_ok => 2_147_483_647,
            _ => 1,
        };
        let lru = e.access & 0xFF_FFFF;
        let clock = ((now / 1000) & 0xFF_FFFF) as u32;
        let idle = if clock >= lru {
            clock - lru
        } else {
            clock + (0xFF_FFFF - lru)
        };
        format!(
            "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} \
             lru_seconds_idle:{}",
            &e.value as *const Value,
            refcount,
            e.value.encoding(),
            serialized_len(&e.value),
            lru,
            idle
        )
    });
    drop(locked);
    match line {
        Some(l) => ctx.out.simple(l.as_bytes()),
        None => ctx.error(errors::NO_SUCH_KEY),
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves `dbfilename` (unless NOSAVE), empties the
/// keyspace (unless NOFLUSH) and loads the file, as Redis does. DEBUG is EXCLUSIVE: nothing
/// runs between the snapshot and the load. The file I/O happens on this worker, as Redis's
/// DEBUG RELOAD stalls its one thread: a debugging command, not a serving path.
fn reload(ctx: &mut Ctx) {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for a in &ctx.args[2..] {
        if a.eq_ignore_ascii_case(b"merge") {
            merge = true;
        } else if a.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if a.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else {
            return ctx
                .error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
    }
    let server = ctx.server;
    let path = server.config.read().dbfilename.clone();
    let bytes = if save {
        match crate::persistence::save_to_bytes(server, ctx.now) {
            Ok(b) => b,
            Err(_) => return ctx.error("ERR"),
        }
    } else {
        match server.host.read_file(&path) {
            Ok(Some(b)) => b,
            _ => return ctx.error("ERR Error trying to load the RDB dump"),
        }
    };
    if let Err(e) = crate::persistence::install_rdb(server, &bytes, ctx.now, flush, merge) {
        server.host.log(&format!("Error loading the RDB dump: {e}"));
        return ctx.error("ERR Error trying to load the RDB dump");
    }
    server.host.log("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
}

/// DEBUG LOADAOF: the AOF is written out and fsynced, the dataset emptied and the AOF loaded
/// back from disk. DEBUG is EXCLUSIVE, so nothing runs meanwhile. Redis exits when the AOF
/// cannot be loaded back; lode replies the error instead and leaves what was loaded.
fn loadaof(ctx: &mut Ctx) {
    let server = ctx.server;
    if let Err(e) = server.host.flush_aof() {
        return ctx.error(&format!("ERR {e}"));
    }
    server.keyspace.clear_all(ctx.now.ms());
    server.scripting.functions.flush();
    match server.host.load_aof(server) {
        Ok(()) => {
            server.host.log("Append Only File loaded by DEBUG LOADAOF");
            ctx.out.ok();
        }
        Err(e) => ctx.error(&format!("ERR {e}")),
    }
}

fn digest_value(ctx: &mut Ctx) {
    let keys = &ctx.args[2..];
    let mut locked = ctx.lock();
    let digests: Vec<String> = keys
        .iter()
        .map(|k| {
            let mut d = [0u8; 20];
            if let Some(e) = locked.shard_mut(k).peek(k) {
                object_digest(&mut d, e);
            }
            hex(&d)
        })
        .collect();
    drop(locked);
    ctx.out.array(digests.len());
    for d in digests {
        ctx.out.simple(d.as_bytes());
    }
}

/// Parses a non-negative integer the way Redis's getPositiveLongFromObjectOrReply does.
fn positive(ctx: &mut Ctx, i: usize) -> Option<u64> {
    match crate::util::num::parse_i64(ctx.arg(i)) {
        Some(n) if n >= 0 => Some(n as u64),
        _ => {
            ctx.error("ERR value is out of range, must be positive");
            None
        }
    }
}

fn populate(ctx: &mut Ctx) {
    let Some(count) = positive(ctx, 2) else {
        return;
    };
    let size = if ctx.args.len() == 5 {
        let Some(s) = positive(ctx, 4) else { return };
        s as usize
    } else {
        0
    };
    let prefix = if ctx.args.len() >= 4 {
        ctx.arg(3).to_vec()
    } else {
        b"key".to_vec()
    };
    let mut locked = ctx.lock();
    for j in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{j}").as_bytes());
        if locked.contains(&key) {
            continue;
        }
        let mut val = format!("value:{j}").into_bytes();
        if size > 0 {
            // Exactly `size` bytes: the text truncated, or padded with zero bytes.
            val.resize(size, 0);
        }
        locked.set(&key, Value::string(&val));
    }
    drop(locked);
    ctx.out.ok();
}

fn protocol(ctx: &mut Ctx) {
    let name = String::from_utf8_lossy(ctx.arg(2)).to_ascii_lowercase();
    let out = &mut *ctx.out;
    match name.as_str() {
        "string" => out.bulk(b"Hello World"),
        "integer" => out.int(12345),
        // Redis's test value (not meant as pi).
        #[allow(clippy::approx_constant)]
        "double" => out.double(3.141),
        "bignum" => {
            let n = b"1234567999999999999999999999999999999";
            if out.resp3 {
                out.raw(b"(");
                out.raw(n);
                out.raw(b"\r\n");
            } else {
                out.bulk(n);
            }
        }
        "null" => out.null(),
        "array" | "set" => {
            if name == "set" {
                out.set(3);
            } else {
                out.array(3);
            }
            for j in 0..3 {
                out.int(j);
            }
        }
        "map" => {
            out.map(3);
            for j in 0..3 {
                out.int(j);
                out.boolean(j == 1);
            }
        }
        "attrib" => {
            if out.resp3 {
                out.raw(b"|1\r\n");
                out.bulk(b"key-popularity");
                out.array(2);
                out.bulk(b"key:123");
                out.int(90);
            }
            out.bulk(b"Some real reply following the attribute");
        }
        "push" => {
            if !out.resp3 {
                return ctx.error("ERR RESP2 is not supported by this command");
            }
            out.push(2);
            out.bulk(b"server-cpu-usage");
            out.int(42);
            out.bulk(b"Some real reply following the push reply");
        }
        "true" => out.boolean(true),
        "false" => out.boolean(false),
        "verbatim" => out.verbatim(b"txt", b"This is a verbatim\nstring"),
        _ => ctx.error(
            "ERR Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ),
    }
}

/// DEBUG HELP: the subcommands lode implements, in Redis's HELP layout (header, pairs of
/// usage and description lines, then HELP) but in lode's own words; a subcommand lode lacks is
/// not listed and answers with the unknown-subcommand error.
const HELP: &[&str] = &[
    "CHANGE-REPL-ID",
    "    Accepted for compatibility; lode has no replication IDs yet.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE, but writes every parameter, defaults included.",
    "DIGEST",
    "    Prints a digest of the whole dataset (all zeros when it is empty).",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Prints a digest of each key's value.",
    "ERROR <string>",
    "    Replies with <string> as an error.",
    "LOG <message>",
    "    Writes <message> to the server log.",
    "OBJECT <key>",
    "    Shows low-level details of the value stored at <key>.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Creates <count> string keys named <prefix>:<n> (default \"key\"), with values",
    "    \"value:<n>\" padded or cut to <size> bytes when given.",
    "PROTOCOL <type>",
    "    Replies with a sample of a RESP type: string, integer, double, bignum, null, array,",
    "    set, map, attrib, push, verbatim, true, false.",
    "REPLYBUFFER PEAK-RESET-TIME <never||reset|time>",
    "    Accepted for Redis's tests; lode never resizes reply buffers on a timer.",
    "REPLYBUFFER RESIZING <0|1>",
    "    Accepted for Redis's tests; lode never resizes reply buffers on a timer.",
    "PAUSE-CRON <0|1>",
    "    Stops or resumes the periodic work (expiry cycle, save points, tracking limits).",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Turns the active expiry cycle off or on (lazy expiry on access always runs).",
    "SLEEP <seconds>",
    "    Stops the server for <seconds>, which may be fractional.",
];

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::testkit::{server, server_with, TestClient};

    fn debug_server() -> std::sync::Arc<crate::server::Server> {
        server_with(Config {
            enable_debug_command: "yes".into(),
            ..Config::default()
        })
    }

    #[test]
    fn gated_by_enable_debug_command() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert!(c
            .cmd(&["DEBUG", "DIGEST"])
            .starts_with("-ERR DEBUG command not allowed. If the enable-debug-command"));
        let srv = server_with(Config {
            enable_debug_command: "local".into(),
            ..Config::default()
        });
        let mut c = TestClient::new(&srv);
        assert!(c.cmd(&["DEBUG", "DIGEST"]).starts_with("+0000"));
        // As Redis, the gate comes before authentication: no NOAUTH for a refused DEBUG.
        let srv = server_with(Config {
            requirepass: "pw".into(),
            ..Config::default()
        });
        let mut c = TestClient::new(&srv);
        assert!(c
            .cmd(&["DEBUG", "DIGEST"])
            .starts_with("-ERR DEBUG command not allowed."));
        assert_eq!(c.cmd(&["GET", "k"]), "-NOAUTH Authentication required.\r\n");
    }

    #[test]
    fn digests_match_redis() {
        let srv = debug_server();
        let mut c = TestClient::new(&srv);
        assert_eq!(
            c.cmd(&["DEBUG", "DIGEST"]),
            "+0000000000000000000000000000000000000000\r\n"
        );
        c.cmd(&["SET", "k", "123"]);
        c.cmd(&["SET", "s", "hello"]);
        c.cmd(&[
            "SET",
            "big",
            "1234567890123456789012345678901234567890123456789",
        ]);
        // Reference values from redis-server 7.0.15 with the same data.
        assert_eq!(
            c.cmd(&["DEBUG", "DIGEST"]),
            "+231c9203851045b4f80a4c214d49dff356d53d3c\r\n"
        );
        assert_eq!(
            c.cmd(&["DEBUG", "DIGEST-VALUE", "k", "s", "nokey"]),
            "*3\r\n+89f7f51b707418f666d5b45e053bd5bbbf82ac2b\r\n\
             +36b23a1456b2dce2c3ed252c456761301dba8060\r\n\
             +0000000000000000000000000000000000000000\r\n"
        );
    }

    #[test]
    fn object_populate_and_friends() {
        let srv = debug_server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "k", "123"]);
        c.cmd(&["SET", "s", "hello"]);
        c.cmd(&["SET", "n", "99999"]);
        let k = c.cmd(&["DEBUG", "OBJECT", "k"]);
        assert!(k.starts_with("+Value at:0x"), "{k}");
        assert!(k.contains(" refcount:2147483647 encoding:int serializedlength:2 lru:"));
        let s = c.cmd(&["DEBUG", "OBJECT", "s"]);
        assert!(
            s.contains(" refcount:1 encoding:embstr serializedlength:6 lru:"),
            "{s}"
        );
        assert!(s.ends_with(" lru_seconds_idle:0\r\n"));
        let n = c.cmd(&["DEBUG", "OBJECT", "n"]);
        assert!(
            n.contains(" refcount:1 encoding:int serializedlength:5 "),
            "{n}"
        );
        assert_eq!(c.cmd(&["DEBUG", "OBJECT", "nokey"]), "-ERR no such key\r\n");
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "3"]), "+OK\r\n");
        assert_eq!(c.cmd(&["GET", "key:2"]), "$7\r\nvalue:2\r\n");
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "2", "p", "3"]), "+OK\r\n");
        assert_eq!(c.cmd(&["GET", "p:0"]), "$3\r\nval\r\n");
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "2", "q", "12"]), "+OK\r\n");
        assert_eq!(c.cmd(&["GET", "q:1"]), "$12\r\nvalue:1\0\0\0\0\0\r\n");
        assert_eq!(c.cmd(&["DBSIZE"]), ":10\r\n");
        for bad in [
            &["DEBUG", "POPULATE", "-1"][..],
            &["DEBUG", "POPULATE", "1", "a", "b"],
        ] {
            assert_eq!(
                c.cmd(bad),
                "-ERR value is out of range, must be positive\r\n"
            );
        }
        assert_eq!(
            c.cmd(&["DEBUG", "foo"]),
            "-ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(
            c.cmd(&["DEBUG", "digest", "x"]),
            "-ERR unknown subcommand or wrong number of arguments for 'digest'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0"]), "+OK\r\n");
        assert_eq!(c.cmd(&["DEBUG", "LOG", "hi"]), "+OK\r\n");
        assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), "+OK\r\n");
        assert!(!srv
            .active_expire_enabled
            .load(std::sync::atomic::Ordering::Relaxed));
        assert_eq!(c.cmd(&["DEBUG", "ERROR", "FOO bar"]), "-FOO bar\r\n");
        assert_eq!(c.cmd(&["DEBUG", "PROTOCOL", "double"]), "$5\r\n3.141\r\n");
        assert_eq!(
            c.cmd(&["DEBUG", "PROTOCOL", "bignum"]),
            "$37\r\n1234567999999999999999999999999999999\r\n"
        );
        // Redis's HELP layout: header, the listing, then HELP and its description.
        let help = c.cmd(&["DEBUG", "HELP"]);
        assert!(help.starts_with(
            "*33\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +CHANGE-REPL-ID\r\n"
        ));
        assert!(help.ends_with("+HELP\r\n+    Prints this help.\r\n"));
    }

    #[test]
    fn digest_sees_expiry_and_is_order_independent() {
        let srv = debug_server();
        let mut a = TestClient::new(&srv);
        for k in ["x", "y", "z"] {
            a.cmd(&["SET", k, k]);
        }
        let d1 = a.cmd(&["DEBUG", "DIGEST"]);
        let srv2 = debug_server();
        let mut b = TestClient::new(&srv2);
        for k in ["z", "x", "y"] {
            b.cmd(&["SET", k, k]);
        }
        assert_eq!(d1, b.cmd(&["DEBUG", "DIGEST"]));
        b.cmd(&["SELECT", "1"]);
        b.cmd(&["SET", "w", "1"]);
        assert_ne!(d1, b.cmd(&["DEBUG", "DIGEST"]));
    }
}
