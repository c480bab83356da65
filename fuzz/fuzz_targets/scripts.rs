//! Random Lua scripts built from the redis.* API and the bundled libraries (cjson, cmsgpack,
//! struct, bit), run with EVAL through one in-process session. Each script is a list of
//! statements from a small grammar (every loop bounded, so no script can run away), some
//! wrapped in pcall. After every script: exactly one reply, the keyspace invariants hold from
//! a second session, and at the end the propagation stream replays to the same dataset (a
//! script's effects are what it propagates).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use lode_core::clock::Now;
use lode_core::sim::replay::check_replay;
use lode_core::testkit::{TestClient, EPOCH_MS};
use lode_fuzz::{call, check_invariants, server, KEYS};

const VALUES: [&str; 6] = ["1", "-7", "3.5", "x", "", "hello world"];
const COMMANDS: [&str; 16] = [
    "set",
    "get",
    "incr",
    "del",
    "lpush",
    "rpop",
    "sadd",
    "smembers",
    "hset",
    "hgetall",
    "zadd",
    "zrange",
    "expire",
    "exists",
    "type",
    "nosuchcommand",
];

/// One statement of a generated script.
#[derive(Arbitrary, Debug)]
enum Stmt {
    /// redis.call or redis.pcall of a command on the key pool.
    Call {
        cmd: u8,
        key: u8,
        val: u8,
        pcall: bool,
    },
    /// A cjson round trip of a generated value.
    Json(Shape),
    /// cjson.decode of a small fixed document, maybe broken.
    JsonDecode(u8),
    /// A cmsgpack round trip.
    Msgpack(Shape),
    /// struct.pack / unpack of a number with one of a few formats.
    Struct { fmt: u8, n: i32 },
    /// A bit operation.
    Bit { op: u8, a: i32, b: i32 },
    /// redis.setresp / set_repl / log / sha1hex / error_reply / status_reply.
    Api { which: u8, arg: u8 },
    /// math.random after a seed.
    Random(u16),
    /// A bounded loop of a statement.
    Repeat { times: u8, body: Box<Stmt> },
    /// Errors of several kinds (caught by pcall or ending the script).
    Fail(u8),
}

/// A Lua value to build.
#[derive(Arbitrary, Debug)]
enum Shape {
    Num(i32),
    Str(u8),
    Bool(bool),
    Array(Vec<Shape>),
    Map(Vec<(u8, Shape)>),
}

fn shape(s: &Shape, depth: usize) -> String {
    if depth > 6 {
        return "1".into();
    }
    match s {
        Shape::Num(n) => n.to_string(),
        Shape::Str(i) => format!("{:?}", VALUES[usize::from(*i) % VALUES.len()]),
        Shape::Bool(b) => b.to_string(),
        Shape::Array(items) => {
            let inner: Vec<String> = items.iter().take(8).map(|x| shape(x, depth + 1)).collect();
            format!("{{{}}}", inner.join(","))
        }
        Shape::Map(items) => {
            let inner: Vec<String> = items
                .iter()
                .take(8)
                .map(|(k, v)| format!("f{}={}", k % 16, shape(v, depth + 1)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
    }
}

fn stmt(s: &Stmt, depth: usize) -> String {
    let pick = |list: &[&'static str], i: u8| list[usize::from(i) % list.len()];
    match s {
        Stmt::Call {
            cmd,
            key,
            val,
            pcall,
        } => {
            let f = if *pcall { "redis.pcall" } else { "redis.call" };
            let c = pick(&COMMANDS, *cmd);
            let k = pick(&KEYS, *key);
            let v = pick(&VALUES, *val);
            let args = match c {
                "get" | "incr" | "del" | "rpop" | "smembers" | "hgetall" | "exists" | "type" => {
                    format!("'{k}'")
                }
                "zadd" => format!("'{k}', {}, '{v}'", val % 10),
                "zrange" => format!("'{k}', 0, -1"),
                "expire" => format!("'{k}', {}", val % 100),
                "hset" => format!("'{k}', 'f', '{v}'"),
                _ => format!("'{k}', '{v}'"),
            };
            format!("r = {f}('{c}', {args})")
        }
        Stmt::Json(v) => format!("r = cjson.decode(cjson.encode({}))", shape(v, 0)),
        Stmt::JsonDecode(i) => {
            let docs = [
                "[1,2,3]",
                "{\"a\":{\"b\":[null,true]}}",
                "[1,2",
                "\"\\u00e9\"",
                "1e400",
                "{",
            ];
            format!("r = cjson.decode({:?})", pick(&docs, *i))
        }
        Stmt::Msgpack(v) => format!("r = cmsgpack.unpack(cmsgpack.pack({}))", shape(v, 0)),
        Stmt::Struct { fmt, n } => {
            let f = pick(&["<i4", ">I2", "b", "<d", "i8", "c3", "x"], *fmt);
            format!("r = struct.unpack('{f}', struct.pack('{f}', {n}))")
        }
        Stmt::Bit { op, a, b } => {
            let f = pick(
                &[
                    "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "tohex",
                ],
                *op,
            );
            format!("r = bit.{f}({a}, {b})")
        }
        Stmt::Api { which, arg } => match which % 7 {
            0 => format!("redis.setresp({})", 2 + arg % 3),
            // Never REPL_NONE: what it mutes is meant to be missing from the stream, which
            // the replay check at the end would (rightly) report.
            1 => format!("redis.set_repl({})", 1 + arg % 4),
            2 => format!("redis.log({}, 'fuzz')", arg % 5),
            3 => format!("r = redis.sha1hex('{}')", pick(&VALUES, *arg)),
            4 => format!("r = redis.error_reply('E{arg} x')"),
            5 => format!("r = redis.status_reply('S{arg}')"),
            _ => "r = redis.call()".into(),
        },
        Stmt::Random(seed) => format!("math.randomseed({seed}); r = math.random(1, 10)"),
        Stmt::Repeat { times, body } if depth < 3 => {
            format!("for i = 1, {} do {} end", times % 8, stmt(body, depth + 1))
        }
        Stmt::Repeat { .. } => "r = 0".into(),
        Stmt::Fail(i) => pick(
            &[
                "error('boom')",
                "error({err='CODE custom'})",
                "r = nosuchglobal",
                "redis = nil",
                "r = ({}).x.y",
                "setmetatable(_G, {})",
            ],
            *i,
        )
        .into(),
    }
}

#[derive(Arbitrary, Debug)]
struct Script {
    stmts: Vec<(Stmt, bool)>,
    ret: u8,
}

fn script(s: &Script) -> String {
    let mut lua = String::from("local r = nil\n");
    for (st, protected) in s.stmts.iter().take(12) {
        let line = stmt(st, 0);
        if *protected {
            lua.push_str(&format!("pcall(function() {line} end)\n"));
        } else {
            lua.push_str(&line);
            lua.push('\n');
        }
    }
    lua.push_str(match s.ret % 4 {
        0 => "return r",
        1 => "return {r, 1, 'x'}",
        2 => "return type(r)",
        _ => "return {map={a=r}, set={b=true}}",
    });
    lua
}

fuzz_target!(|scripts: Vec<Script>| {
    let srv = server(None);
    let mut reader = srv.keyspace.log.subscribe();
    let mut c = TestClient::new(&srv);
    let mut checker = TestClient::new(&srv);
    for s in scripts.iter().take(8) {
        let body = script(s);
        call(&mut c, &["EVAL", body.as_str(), "0"]);
        checker.now = c.now;
        check_invariants(&mut checker);
    }
    if let Err(e) = check_replay(&srv, &mut reader, c.now, Now::from_ms(EPOCH_MS)) {
        panic!("replay property: {e}");
    }
    srv.keyspace.log.unsubscribe(reader);
});
