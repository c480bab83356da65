//! The parts of the redis.* API that need no running script (sha1hex, error_reply,
//! status_reply, log and its levels, the REPL_* constants, the version), and Redis's
//! math.random. The parts that act on the running script (call, pcall, setresp, set_repl,
//! acl_check_cmd) reach it through the VM's slot; see `run.rs` and `prelude.lua`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use mlua::{Lua, MultiValue, Table, Value, Variadic};

use crate::sync::Mutex;

/// Redis's log levels as scripts name them (LL_DEBUG .. LL_WARNING).
pub const LOG_LEVELS: [&str; 4] = ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"];

/// redis.log lines (level, text) waiting for the engine, which hands them to the host after
/// the script (core writes no log itself).
#[derive(Default)]
pub struct LogLines(Mutex<Vec<(u8, String)>>);

impl LogLines {
    /// Hands the lines written so far to the host's log, those `loglevel` lets through.
    pub fn flush(&self, server: &crate::server::Server) {
        let lines = std::mem::take(&mut *self.0.lock());
        if lines.is_empty() {
            return;
        }
        let min = match server.config.read().loglevel.as_str() {
            "debug" => 0,
            "verbose" => 1,
            "warning" => 3,
            _ => 2,
        };
        for (level, line) in lines {
            if level >= min {
                server.host.log(&line);
            }
        }
    }
}

/// The state Redis's `redisSrand48(0)`-less start gives its 48-bit generator.
pub const RAND48_INITIAL: u64 = 0x1234_ABCD_330E;
const RAND48_MAX: u64 = i32::MAX as u64;

/// One step of the 48-bit linear congruential generator Redis uses for math.random (the
/// lrand48 recurrence), returning 31 bits.
fn lrand48(state: &AtomicU64) -> u64 {
    let x = state.load(Ordering::Relaxed);
    let next = x.wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB) & ((1 << 48) - 1);
    state.store(next, Ordering::Relaxed);
    next >> 17
}

/// A table `{err = msg}`, the form Redis gives errors inside Lua.
pub fn error_table(lua: &Lua, msg: &str) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("err", msg)?;
    Ok(t)
}

/// Redis's `luaPushErrorBuff` text for an error line: a leading '-' is dropped and the first
/// word kept as the code (ERR when there is no second word); without '-' the code is ERR.
/// Trailing CR/LF are trimmed.
pub fn error_code_text(line: &[u8]) -> Vec<u8> {
    let trim = |s: &[u8]| -> Vec<u8> {
        let mut s = s;
        while let [b'\r' | b'\n', rest @ ..] = s {
            s = rest;
        }
        while let [rest @ .., b'\r' | b'\n'] = s {
            s = rest;
        }
        s.to_vec()
    };
    let mut out = Vec::with_capacity(line.len() + 4);
    match line.strip_prefix(b"-") {
        Some(body) => match body.iter().position(|&b| b == b' ') {
            Some(sp) => {
                out.extend_from_slice(&body[..sp]);
                out.push(b' ');
                out.extend_from_slice(&trim(&body[sp + 1..]));
            }
            None => {
                out.extend_from_slice(b"ERR ");
                out.extend_from_slice(&trim(body));
            }
        },
        None => {
            out.extend_from_slice(b"ERR ");
            out.extend_from_slice(&trim(line));
        }
    }
    out
}

/// An error Rust code raises in Lua as Redis raises an error table: final text, not
/// positioned (redis.call's error reply, SCRIPT KILL's, the redis.* argument errors).
#[derive(Debug)]
pub struct RedisError {
    /// The error text ("ERR ...", "WRONGTYPE ...").
    pub text: Vec<u8>,
    /// Whether the error statistics already counted it.
    pub counted: bool,
}

impl std::fmt::Display for RedisError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.text))
    }
}

impl std::error::Error for RedisError {}

/// Raises `text` as a redis error.
pub fn raise(text: impl Into<Vec<u8>>, counted: bool) -> mlua::Error {
    mlua::Error::external(RedisError {
        text: text.into(),
        counted,
    })
}

fn find_redis_error(e: &mlua::Error) -> Option<&RedisError> {
    match e {
        mlua::Error::CallbackError { cause, .. } => find_redis_error(cause),
        other => other.downcast_ref::<RedisError>(),
    }
}

/// What an error object that is not a table says (an error raised from Rust code reaches Lua
/// as userdata): its text, whether it is final (a [`RedisError`]) rather than a message the
/// error handler positions, and whether the statistics counted it.
pub fn error_text(lua: &Lua, v: &Value) -> mlua::Result<(mlua::String, bool, bool)> {
    let (text, last, counted) = match v {
        Value::Error(e) => match find_redis_error(e) {
            Some(r) => (r.text.clone(), true, r.counted),
            None => {
                let mut e: &mlua::Error = e;
                while let mlua::Error::CallbackError { cause, .. } = e {
                    e = cause;
                }
                let msg = match e {
                    mlua::Error::RuntimeError(m) => m.clone(),
                    other => other.to_string(),
                };
                (msg.into_bytes(), false, false)
            }
        },
        other => (
            other.to_string().unwrap_or_default().into_bytes(),
            false,
            false,
        ),
    };
    Ok((lua.create_string(text)?, last, counted))
}

/// The function the engine put in slot `i` for the running script, or the error Redis gives
/// when `what` is used outside one.
fn slot_fn(lua: &Lua, i: usize, what: &str) -> mlua::Result<mlua::Function> {
    let slot: Table = lua.named_registry_value(SLOT)?;
    match slot.raw_get::<Option<mlua::Function>>(i)? {
        Some(f) => Ok(f),
        None => Err(raise(
            format!("ERR {what} can only be called inside a script invocation"),
            false,
        )),
    }
}

/// The registry name of the slot table through which redis.* reaches the running script.
pub const SLOT: &str = "lode.slot";

/// The arguments of a redis.call / redis.pcall, read off the Lua stack.
pub struct PendingCall {
    /// The command's arguments.
    pub args: Vec<bytes::Bytes>,
    /// An argument was neither a string nor a number.
    pub bad_argument: bool,
    /// redis.call (raise errors) rather than redis.pcall.
    pub raise: bool,
}

unsafe extern "C-unwind" fn raw_call(state: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    collect_call(state, true)
}

unsafe extern "C-unwind" fn raw_pcall(state: *mut mlua::ffi::lua_State) -> std::os::raw::c_int {
    collect_call(state, false)
}

/// redis.call and redis.pcall read their arguments straight off the Lua stack (a command may
/// have as many arguments as a C function may take, which mlua's per-value references could
/// not hold), run the command, and push its reply with the C API. Numbers are given as
/// "%.17g", as Redis does.
unsafe fn collect_call(state: *mut mlua::ffi::lua_State, raise: bool) -> std::os::raw::c_int {
    use mlua::ffi;
    let n = ffi::lua_gettop(state);
    let mut args = Vec::with_capacity(n.max(0) as usize);
    let mut bad_argument = false;
    for i in 1..=n {
        match ffi::lua_type(state, i) {
            ffi::LUA_TNUMBER => {
                let text = crate::util::num::format_double(ffi::lua_tonumber(state, i));
                args.push(bytes::Bytes::from(text));
            }
            ffi::LUA_TSTRING => {
                let mut len = 0usize;
                let p = ffi::lua_tolstring(state, i, &mut len);
                let bytes = if p.is_null() {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(p as *const u8, len)
                };
                args.push(bytes::Bytes::copy_from_slice(bytes));
            }
            _ => {
                bad_argument = true;
                break;
            }
        }
    }
    ffi::lua_settop(state, 0);
    let pending = PendingCall {
        args,
        bad_argument,
        raise,
    };
    let dispatched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        super::run::dispatch(pending)
    }));
    // Every Rust value is dropped (or handed back) before lua_error, which does not return.
    match dispatched {
        Ok(super::run::Dispatched::Reply(buf)) => {
            let is_error = super::convert::push_reply(state, &buf);
            super::run::give_back(buf);
            if raise && is_error {
                ffi::lua_error(state);
            }
            1
        }
        Ok(super::run::Dispatched::Fail(text, counted)) => {
            super::convert::push_error_table(state, &text, counted);
            drop(text);
            if raise {
                ffi::lua_error(state);
            }
            1
        }
        Ok(super::run::Dispatched::Recursive) => {
            let msg = b"ERR luaRedisGenericCommand() recursive call detected. Are you doing funny \
                        stuff with Lua debug hooks?";
            super::convert::push_error_table(state, msg, false);
            1
        }
        Ok(super::run::Dispatched::Outside) => {
            let msg = b"ERR redis.call/pcall can only be called inside a script invocation";
            super::convert::push_error_table(state, msg, false);
            ffi::lua_error(state)
        }
        Err(_) => {
            super::convert::push_error_table(state, b"ERR redis.call failed internally", false);
            ffi::lua_error(state)
        }
    }
}

/// Registers redis.call, redis.pcall and the functions that act on the running script.
fn register_slot_functions(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    // SAFETY: `raw_call` and `raw_pcall` follow the Lua C API's rules (see `collect_call`).
    unsafe {
        redis.set("call", lua.create_c_function(raw_call)?)?;
        redis.set("pcall", lua.create_c_function(raw_pcall)?)?;
    }
    for op in ["setresp", "set_repl", "acl_check_cmd"] {
        redis.set(
            op,
            lua.create_function(move |lua, args: MultiValue| {
                let f = slot_fn(lua, 3, &format!("redis.{op}"))?;
                let (v, e): (Value, Value) = f.call((op, args))?;
                if let Value::Table(t) = e {
                    let text = match t.raw_get::<Value>("err")? {
                        Value::String(s) => s.as_bytes().to_vec(),
                        _ => b"ERR unknown error".to_vec(),
                    };
                    return Err(raise(text, false));
                }
                Ok(v)
            })?,
        )?;
    }
    Ok(())
}

/// Registers the redis table's context-free functions and constants, and math.random.
pub fn register(lua: &Lua, log: &Arc<LogLines>, rand: &Arc<AtomicU64>) -> mlua::Result<()> {
    let redis = lua.create_table()?;
    redis.set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise("ERR wrong number of arguments", false));
            }
            let s = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(i) => i.to_string().into_bytes(),
                Value::Number(n) => lua_number_text(*n).into_bytes(),
                _ => Vec::new(),
            };
            let hex = crate::util::sha1::hex(&crate::util::sha1::sha1(&s));
            lua.create_string(hex)
        })?,
    )?;
    redis.set(
        "error_reply",
        lua.create_function(|lua, args: MultiValue| single_field(lua, args, "err"))?,
    )?;
    redis.set(
        "status_reply",
        lua.create_function(|lua, args: MultiValue| single_field(lua, args, "ok"))?,
    )?;
    let lines = log.clone();
    redis.set(
        "log",
        lua.create_function(move |_, args: MultiValue| {
            let fail = |msg: &str| -> mlua::Result<()> { Err(raise(msg, false)) };
            if args.len() < 2 {
                return fail("ERR redis.log() requires two arguments or more.");
            }
            let level = match &args[0] {
                Value::Integer(i) => *i as f64,
                Value::Number(n) => *n,
                Value::String(s) => match std::str::from_utf8(&s.as_bytes())
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                {
                    Some(n) => n,
                    None => return fail("ERR First argument must be a number (log level)."),
                },
                _ => return fail("ERR First argument must be a number (log level)."),
            };
            let level = level as i64;
            if !(0..=3).contains(&level) {
                return fail("ERR Invalid debug level.");
            }
            let mut text = String::new();
            for (i, v) in args.iter().skip(1).enumerate() {
                let piece = match v {
                    Value::String(s) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    Value::Integer(n) => n.to_string(),
                    Value::Number(n) => lua_number_text(*n),
                    _ => continue,
                };
                if i != 0 {
                    text.push(' ');
                }
                text.push_str(&piece);
            }
            lines.0.lock().push((level as u8, text));
            Ok(())
        })?,
    )?;
    for (i, name) in LOG_LEVELS.iter().enumerate() {
        redis.set(*name, i as f64)?;
    }
    redis.set("REPL_NONE", 0.0)?;
    redis.set("REPL_AOF", 1.0)?;
    redis.set("REPL_SLAVE", 2.0)?;
    redis.set("REPL_REPLICA", 2.0)?;
    redis.set("REPL_ALL", 3.0)?;
    redis.set("REDIS_VERSION", crate::admin::hello::REDIS_VERSION)?;
    redis.set(
        "REDIS_VERSION_NUM",
        version_num(crate::admin::hello::REDIS_VERSION) as f64,
    )?;
    redis.set(
        "replicate_commands",
        lua.create_function(|_, _: MultiValue| Ok(true))?,
    )?;
    // The Lua debugger is not built: outside it Redis's breakpoint is false and debug a no-op.
    redis.set(
        "breakpoint",
        lua.create_function(|_, _: MultiValue| Ok(false))?,
    )?;
    redis.set("debug", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
    register_slot_functions(lua, &redis)?;
    lua.set_named_registry_value(SLOT, lua.create_table()?)?;
    lua.globals().set("redis", redis)?;

    let math: Table = lua.globals().get("math")?;
    let state = rand.clone();
    math.set(
        "random",
        lua.create_function(move |_, args: Variadic<f64>| {
            let r = (lrand48(&state) % RAND48_MAX) as f64 / RAND48_MAX as f64;
            match args.len() {
                0 => Ok(r),
                1 => {
                    let u = args[0] as i32;
                    if u < 1 {
                        return Err(mlua::Error::runtime(
                            "bad argument #1 to 'random' (interval is empty)",
                        ));
                    }
                    Ok((r * u as f64).floor() + 1.0)
                }
                2 => {
                    let (l, u) = (args[0] as i32, args[1] as i32);
                    if l > u {
                        return Err(mlua::Error::runtime(
                            "bad argument #2 to 'random' (interval is empty)",
                        ));
                    }
                    Ok((r * (u as f64 - l as f64 + 1.0)).floor() + l as f64)
                }
                _ => Err(mlua::Error::runtime("wrong number of arguments")),
            }
        })?,
    )?;
    let state = rand.clone();
    math.set(
        "randomseed",
        lua.create_function(move |_, seed: f64| {
            // srand48: the seed's low 32 bits above the fixed 0x330E.
            let seed = seed as i32 as u32 as u64;
            state.store((seed << 16) | 0x330E, Ordering::Relaxed);
            Ok(())
        })?,
    )?;
    Ok(())
}

/// redis.error_reply / redis.status_reply: `{field = s}` for one string argument, else an
/// error table (returned, not raised, as Redis does).
fn single_field(lua: &Lua, args: MultiValue, field: &str) -> mlua::Result<Value> {
    match (args.len(), args.front()) {
        (1, Some(Value::String(s))) => {
            let t = lua.create_table()?;
            if field == "err" {
                let bytes = s.as_bytes();
                let line = if bytes.starts_with(b"-") {
                    bytes.to_vec()
                } else {
                    [b"-", &bytes[..]].concat()
                };
                t.raw_set("err", lua.create_string(error_code_text(&line))?)?;
            } else {
                t.raw_set(field, s.clone())?;
            }
            Ok(Value::Table(t))
        }
        _ => Ok(Value::Table(error_table(
            lua,
            "ERR wrong number or type of arguments",
        )?)),
    }
}

/// Lua 5.1's own number-to-string form ("%.14g").
pub fn lua_number_text(n: f64) -> String {
    crate::util::num::format_g(n, 14)
}

/// "7.0.15" as Redis's REDIS_VERSION_NUM (0x00070015 style: one byte per part).
fn version_num(v: &str) -> u32 {
    v.split('.')
        .take(3)
        .map(|p| p.parse::<u32>().unwrap_or(0))
        .fold(0, |acc, p| (acc << 8) | p)
}
