//! Running a script or function: KEYS and ARGV, redis.call's dispatch through the call
//! boundary with Redis's script checks, setresp/set_repl, the busy hook, and the reply (or
//! Redis's error text) for the caller.

use std::cell::{Cell, RefCell};

use bytes::Bytes;
use mlua::{Debug, Function, HookTriggers, Lua, MultiValue, Table, Value, VmState};

use super::convert;
use super::vm::Vm;
use crate::client::ClientState;
use crate::clock::Now;
use crate::command::{dispatch, CommandFlags};
use crate::resp::ReplyWriter;
use crate::server::Server;

/// How often (in Lua instructions) a running script looks at the clock and for SCRIPT KILL.
const HOOK_EVERY: u32 = 100_000;

/// What a run is.
pub struct RunSpec<'a> {
    /// The name errors and logs show: the script's SHA-1, or the function's name.
    pub name: &'a str,
    /// EVAL (KEYS and ARGV globals) rather than FCALL (keys and args as parameters).
    pub eval: bool,
    /// Writes are refused (`*_RO` commands, `no-writes`).
    pub read_only: bool,
    /// DENYOOM commands may run while memory is over `maxmemory` (the `allow-oom` flag).
    pub allow_oom: bool,
    /// The command that runs it (FUNCTION STATS shows a busy function's).
    pub command: &'a [Bytes],
}

/// The caller's side of a run.
pub struct Caller<'a> {
    /// The server.
    pub server: &'a Server,
    /// The calling client's state (its commands run as it, in the script's database).
    pub client: &'a mut ClientState,
    /// The time the whole script sees (Redis freezes it for the run).
    pub now: Now,
}

/// How the run ended, for the caller's statistics.
pub struct Outcome {
    /// The reply was an error, and whether the error statistics already counted it.
    pub error: Option<(Vec<u8>, bool)>,
}

/// The engine's control over the running script (redis.setresp, set_repl).
struct Control {
    resp3: Cell<bool>,
    repl: Cell<u8>,
}

/// What the redis.* functions reach while a script runs: set for the run in a thread-local
/// (Lua runs on the calling thread), so the functions are registered once with the VM rather
/// than created for every run.
struct RunCtx<'a> {
    server: &'a Server,
    spec: &'a RunSpec<'a>,
    now: Now,
    started_us: u64,
    threshold_ms: i64,
    control: Control,
    /// What only one redis.call at a time may use: a second one while the first runs (a
    /// __gc metamethod calling redis) is refused, as Redis refuses recursive calls.
    calls: RefCell<Calls<'a>>,
}

struct Calls<'a> {
    client: &'a mut ClientState,
    out: ReplyWriter,
    argv: Vec<Bytes>,
}

thread_local! {
    static CURRENT: Cell<*const RunCtx<'static>> = const { Cell::new(std::ptr::null()) };
}

/// Clears the thread's run context when the run ends, however it ends.
struct CurrentGuard;

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(std::ptr::null()));
    }
}

/// Runs `f` with the running script's context, or returns `None` between runs.
fn with_current<R>(f: impl FnOnce(&RunCtx<'_>) -> R) -> Option<R> {
    let ptr = CURRENT.with(|c| c.get());
    // SAFETY: CURRENT is set only by `run`, to a context that outlives the Lua call it makes,
    // and cleared (CurrentGuard) before that context is dropped; Lua calls back only on this
    // thread, and only shared references are made from it (mutation goes through Cell and
    // RefCell).
    (!ptr.is_null()).then(|| f(unsafe { &*ptr }))
}

/// The functions the VM's redis.* reach the running script through; registered once, when
/// the VM is built.
pub fn register(lua: &Lua, slot: &Table) -> mlua::Result<()> {
    let interrupt = lua.create_function(|_, ()| Ok(with_current(interrupt).unwrap_or(false)))?;
    slot.raw_set(2, interrupt)?;
    let control =
        lua.create_function(|lua, (op, args): (String, MultiValue)| {
            match with_current(|ctx| control_op(lua, &op, args, ctx.server, &ctx.control)) {
                Some(r) => r,
                None => Ok((
                    Value::Nil,
                    Value::Table(super::api::error_table(
                        lua,
                        &format!("ERR redis.{op} can only be called inside a script invocation"),
                    )?),
                )),
            }
        })?;
    slot.raw_set(3, control)?;
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        busy_hook,
    )?;
    Ok(())
}

/// The busy check: past the threshold, other clients get -BUSY from now on; returns whether
/// SCRIPT KILL / FUNCTION KILL asked the script to stop.
fn interrupt(ctx: &RunCtx<'_>) -> bool {
    let busy = &ctx.server.scripting.busy;
    if ctx.threshold_ms <= 0 || busy.timed_out() {
        return busy.killed();
    }
    let elapsed_ms = ctx
        .server
        .host
        .monotonic_us()
        .saturating_sub(ctx.started_us)
        / 1000;
    if elapsed_ms >= ctx.threshold_ms as u64 {
        ctx.server.host.log(&format!(
            "Slow script detected: still in execution after {elapsed_ms} milliseconds. You can \
             try killing the script using the {} command. Script name is: {}.",
            if ctx.spec.eval {
                "SCRIPT KILL"
            } else {
                "FUNCTION KILL"
            },
            ctx.spec.name
        ));
        if !ctx.spec.eval {
            // FUNCTION STATS runs only while the function is busy: this is when it can ask.
            ctx.server
                .scripting
                .functions
                .set_running(Some(super::functions::Running {
                    name: ctx.spec.name.to_string(),
                    argv: ctx.spec.command.to_vec(),
                    started_us: ctx.started_us,
                }));
        }
        busy.set_timed_out();
        ctx.server.host.script_busy();
    }
    busy.killed()
}

/// Runs `func` (a compiled EVAL chunk, or a function called with keys and args) and writes its
/// reply into `out`.
pub fn run(
    vm: &Vm,
    func: &Function,
    spec: &RunSpec<'_>,
    keys: &[Bytes],
    args: &[Bytes],
    caller: Caller<'_>,
    out: &mut ReplyWriter,
) -> Outcome {
    let Caller {
        server,
        client,
        now,
    } = caller;
    let busy = &server.scripting.busy;
    busy.begin(spec.eval);
    let saved_db = client.db;
    client.in_script = true;
    let log = &server.keyspace.log;
    let began = log.begin_capture();
    let ctx = RunCtx {
        server,
        spec,
        now,
        started_us: server.host.monotonic_us(),
        threshold_ms: server.config.read().busy_reply_threshold,
        control: Control {
            resp3: Cell::new(false),
            repl: Cell::new(3),
        },
        calls: RefCell::new(Calls {
            client,
            out: ReplyWriter {
                buf: vm.call_buf.take().unwrap_or_default(),
                resp3: false,
            },
            argv: Vec::new(),
        }),
    };
    let result = {
        let ptr: *const RunCtx<'static> = std::ptr::from_ref(&ctx).cast();
        CURRENT.with(|c| c.set(ptr));
        let _clear = CurrentGuard;
        call(vm, func, spec, keys, args, &ctx.control.resp3, out)
    };
    if busy.killed() {
        // The kill switched the hook to every line: back to counting instructions.
        let _ = vm.lua.set_hook(
            HookTriggers::new().every_nth_instruction(HOOK_EVERY),
            busy_hook,
        );
    }
    if !spec.eval && busy.timed_out() {
        server.scripting.functions.set_running(None);
    }
    let Calls {
        client, out: inner, ..
    } = ctx.calls.into_inner();
    if inner.buf.capacity() <= 64 * 1024 {
        vm.call_buf.set(Some(inner.buf));
    }
    if began {
        log.end_capture();
    }
    client.in_script = false;
    client.db = saved_db;
    vm.log.flush(server);
    let error = match result {
        Ok(error) => error,
        Err(e) => {
            let msg = format!(
                "ERR Error running script {}, {:.100}",
                spec.name,
                e.to_string()
            );
            out.error(&msg);
            Some((msg.into_bytes(), false))
        }
    };
    // As Redis, a collector step every 50 runs on top of Lua's own pacing, so the garbage of
    // many small scripts does not double the VM's memory before the collector catches up.
    if vm.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 50 == 49 {
        let _ = vm.lua.gc_step_kbytes(50);
    }
    busy.end();
    Outcome { error }
}

/// The Lua call itself (KEYS and ARGV for EVAL, parameters for a function), then the reply
/// for its result, written into `out`. The argument tables are built and the result read with
/// the C API (one string per argument, no reference kept per value). Returns the error reply
/// written, if any, and whether the statistics already counted it.
#[allow(clippy::too_many_arguments)]
fn call(
    vm: &Vm,
    func: &Function,
    spec: &RunSpec<'_>,
    keys: &[Bytes],
    args: &[Bytes],
    resp3: &Cell<bool>,
    out: &mut ReplyWriter,
) -> mlua::Result<Option<(Vec<u8>, bool)>> {
    use mlua::ffi;
    unsafe fn push_array(state: *mut ffi::lua_State, items: &[Bytes]) {
        ffi::lua_createtable(state, items.len().min(i32::MAX as usize) as i32, 0);
        for (i, item) in items.iter().enumerate() {
            ffi::lua_pushlstring(state, item.as_ptr() as *const _, item.len());
            ffi::lua_rawseti(state, -2, (i + 1) as i64);
        }
    }
    let eval = spec.eval;
    let mut outcome = None;
    // SAFETY: the closure works on the stack mlua hands it (invoke, func, globals), calls
    // invoke (which never raises: its errors come back as its results) and leaves the stack
    // empty.
    unsafe {
        vm.lua
            .exec_raw::<()>((&vm.invoke, func, &vm.globals), |state| {
                ffi::luaL_checkstack(state, 4, std::ptr::null());
                if eval {
                    push_array(state, keys);
                    ffi::lua_setfield(state, 3, c"KEYS".as_ptr());
                    push_array(state, args);
                    ffi::lua_setfield(state, 3, c"ARGV".as_ptr());
                    ffi::lua_settop(state, 2);
                    ffi::lua_pushnil(state);
                    ffi::lua_pushnil(state);
                } else {
                    ffi::lua_settop(state, 2);
                    push_array(state, keys);
                    push_array(state, args);
                }
                ffi::lua_call(state, 3, 2);
                // ok, result
                outcome = if ffi::lua_toboolean(state, 1) != 0 {
                    convert::write_top(state, out, resp3.get()).map(|e| (e.text, e.counted))
                } else if ffi::lua_type(state, 2) == ffi::LUA_TTABLE {
                    Some(convert::write_error_top(state, out, spec.name))
                } else {
                    let msg = format!("ERR Error running script {}, execution failure", spec.name);
                    out.error(&msg);
                    Some((msg.into_bytes(), false))
                };
                ffi::lua_settop(state, 0);
            })?;
    }
    Ok(outcome)
}

/// The busy hook: every `HOOK_EVERY` instructions, the clock and SCRIPT KILL. Once killed it
/// fires on every line, so a pcall in the script cannot swallow the kill for long.
fn busy_hook(lua: &Lua, _: &Debug) -> mlua::Result<VmState> {
    let slot: Table = lua.named_registry_value(super::api::SLOT)?;
    let Ok(check) = slot.raw_get::<Function>(2) else {
        return Ok(VmState::Continue);
    };
    if check.call::<bool>(())? {
        lua.set_hook(HookTriggers::EVERY_LINE, busy_hook)?;
        return Err(super::api::raise(KILLED, false));
    }
    Ok(VmState::Continue)
}

/// The error a killed script ends with.
pub const KILLED: &str = "ERR Script killed by user with SCRIPT KILL...";

/// What a redis.call / redis.pcall came to.
pub enum Dispatched {
    /// The command ran: its reply, in RESP (the buffer goes back with [`give_back`]).
    Reply(bytes::BytesMut),
    /// Refused before running: the error text, and whether the statistics counted it.
    Fail(Vec<u8>, bool),
    /// No script is running.
    Outside,
    /// Called while another redis.call runs (a __gc metamethod).
    Recursive,
}

/// Runs a redis.call / redis.pcall for the running script.
pub fn dispatch(pending: super::api::PendingCall) -> Dispatched {
    with_current(|ctx| match ctx.calls.try_borrow_mut() {
        Ok(mut calls) => call_command(pending, ctx, &mut calls),
        Err(_) => Dispatched::Recursive,
    })
    .unwrap_or(Dispatched::Outside)
}

/// Returns a reply buffer to the running script, for its next call.
pub fn give_back(buf: bytes::BytesMut) {
    with_current(|ctx| {
        if let Ok(mut calls) = ctx.calls.try_borrow_mut() {
            calls.out.buf = buf;
        }
    });
}

/// Redis's checks for commands run by scripts, then the call boundary.
fn call_command(
    pending: super::api::PendingCall,
    ctx: &RunCtx<'_>,
    calls: &mut Calls<'_>,
) -> Dispatched {
    let (server, spec, now, control) = (ctx.server, ctx.spec, ctx.now, &ctx.control);
    let Calls { client, out, argv } = calls;
    if pending.args.is_empty() && !pending.bad_argument {
        let msg = "ERR Please specify at least one argument for this redis lib call";
        return Dispatched::Fail(msg.into(), false);
    }
    if pending.bad_argument {
        let msg = "ERR Lua redis lib command arguments must be strings or integers";
        return Dispatched::Fail(msg.into(), false);
    }
    *argv = pending.args;
    let reject = |msg: &str| {
        server.stats.record_error(msg.as_bytes());
        Dispatched::Fail(msg.as_bytes().to_vec(), true)
    };
    let cmd = match server.commands.resolve(argv) {
        Ok(cmd) => cmd,
        Err(_) => return reject("ERR Unknown Redis command called from script"),
    };
    let rejected = |msg: &str| {
        cmd.rejected_calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        reject(msg)
    };
    if !cmd.arity_ok(argv.len()) {
        return rejected("ERR Wrong number of args calling Redis command from script");
    }
    if cmd.flags.has(CommandFlags::NOSCRIPT)
        && !server
            .scripting
            .deny_script_disabled
            .load(std::sync::atomic::Ordering::Relaxed)
    {
        return rejected("ERR This Redis command is not allowed from script");
    }
    if client.acl.is_some() {
        let context = crate::acl::log::Context::Lua;
        if let Some(d) = crate::acl::enforce::refusal(server, client, cmd, argv, context, now) {
            let why = crate::acl::check::short_message(d.reason);
            return rejected(&format!("ERR The user executing the script {why}"));
        }
    }
    let writes = cmd.flags.has(CommandFlags::WRITE);
    if spec.read_only && (writes || cmd.flags.has(CommandFlags::MAY_REPLICATE)) {
        return rejected("ERR Write commands are not allowed from read-only scripts.");
    }
    if writes {
        if let Some(msg) = crate::repl::replica::script_write_refusal(server, client) {
            return rejected(msg);
        }
        if let Some(msg) = server.write_refusal() {
            return rejected(msg.trim_start_matches('-'));
        }
        if !client.replaying {
            if let Some(msg) = crate::repl::primary::min_replicas_refusal(server) {
                return rejected(msg);
            }
        }
    }
    // Over maxmemory when the script began: a DENYOOM command is refused unless the script
    // allows OOM or has already written (it cannot stop half way), as Redis's
    // scriptVerifyOOM.
    if !spec.allow_oom
        && client.oom_at_start
        && !client.replaying
        && cmd.flags.has(CommandFlags::DENYOOM)
        && !server.scripting.busy.wrote()
        && server
            .eviction
            .maxmemory
            .load(std::sync::atomic::Ordering::Relaxed)
            != 0
    {
        return rejected(crate::evict::OOM_ERROR);
    }
    if writes {
        server.scripting.busy.set_wrote();
    }
    out.buf.clear();
    out.resp3 = control.resp3.get();
    let log = &server.keyspace.log;
    let mute = control.repl.get() == 0;
    if mute {
        log.set_muted(true);
    }
    dispatch::execute(server, cmd, client, out, argv, now);
    if mute {
        log.set_muted(false);
    }
    Dispatched::Reply(std::mem::take(&mut out.buf))
}

/// redis.setresp, redis.set_repl and redis.acl_check_cmd. Returns the result and an error
/// table to raise, if any.
fn control_op(
    lua: &Lua,
    op: &str,
    args: MultiValue,
    server: &Server,
    control: &Control,
) -> mlua::Result<(Value, Value)> {
    let raise = |msg: &str| -> mlua::Result<(Value, Value)> {
        Ok((Value::Nil, Value::Table(super::api::error_table(lua, msg)?)))
    };
    let number = |v: Option<&Value>| match v {
        Some(Value::Integer(i)) => *i as f64,
        Some(Value::Number(n)) => *n,
        Some(Value::String(s)) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0.0),
        _ => 0.0,
    };
    match op {
        "setresp" => {
            if args.len() != 1 {
                return raise("ERR redis.setresp() requires one argument.");
            }
            match number(args.front()) as i64 {
                2 => control.resp3.set(false),
                3 => control.resp3.set(true),
                _ => return raise("ERR RESP version must be 2 or 3."),
            }
        }
        "set_repl" => {
            if args.len() != 1 {
                return raise("ERR redis.set_repl() requires two arguments.");
            }
            let flags = number(args.front()) as i64;
            if flags & !3 != 0 {
                return raise(
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                );
            }
            control.repl.set(flags as u8);
        }
        _ => {
            let mut argv = Vec::with_capacity(args.len());
            for v in args.iter() {
                match v {
                    Value::String(s) => argv.push(Bytes::copy_from_slice(&s.as_bytes())),
                    Value::Integer(i) => argv.push(Bytes::from(i.to_string())),
                    Value::Number(n) => argv.push(Bytes::from(crate::util::num::format_double(*n))),
                    _ => {
                        return raise(
                            "ERR Lua redis lib command arguments must be strings or integers",
                        )
                    }
                }
            }
            if argv.is_empty() {
                return raise("ERR Please specify at least one argument for this redis lib call");
            }
            // Every user may run every command until ACLs exist.
            return match server.commands.resolve(&argv) {
                Ok(_) => Ok((Value::Boolean(true), Value::Nil)),
                Err(_) => raise("ERR Invalid command passed to redis.acl_check_cmd()"),
            };
        }
    }
    Ok((Value::Nil, Value::Nil))
}
