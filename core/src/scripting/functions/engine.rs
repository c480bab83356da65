//! The Lua engine of Redis functions (function_lua.c): a VM of its own, separate from EVAL's
//! so SCRIPT FLUSH leaves functions alone, and the run of a library's code at load time.
//!
//! A library's code runs once, when it is loaded, in a restricted environment: while it runs
//! the globals read through to a table holding only `redis`, and that `redis` offers only
//! `register_function`, `log`, the log levels and the version. Anything else a load reads is
//! Redis's "Script attempted to access nonexistent global variable" error, and writing a global
//! is "Attempt to modify a readonly table", so a load leaves nothing behind but the functions
//! it registered. Functions defined by the code resolve globals when they run, by which time
//! the globals read through to the full API again (so `redis.call` works in them, and
//! `redis.register_function` is nil). A load that runs longer than 500 ms is stopped.

use std::sync::Arc;

use bytes::Bytes;
use mlua::{Debug, Function, HookTriggers, Lua, MultiValue, Table, Value, VmState};

use super::library::Func;
use super::meta::{valid_name, BAD_NAME};
use crate::host::Host;
use crate::scripting::api::raise;
use crate::scripting::shebang::ScriptFlags;
use crate::scripting::vm::Vm;
use crate::server::Server;
use crate::sync::Mutex;

/// How long a load may run, unless it comes from the AOF (Redis's LOAD_TIMEOUT_MS).
pub const LOAD_TIMEOUT_MS: u64 = 500;

/// How often (in Lua instructions) a running load looks at the clock.
const HOOK_EVERY: u32 = 100_000;

/// The registry name of the load's clock check while a load runs.
const LOAD_CHECK: &str = "lode.functions.load_check";

/// Builds the environment a load runs in (see the module docs). Chunks named "=lode" are
/// skipped by the error handler, so errors point at the library's own line.
const LOAD_API: &str = r#"
local register, log, consts = ...
local tostring, error, setmetatable, next = tostring, error, setmetatable, next
local function readonly()
  error('Attempt to modify a readonly table', 2)
end
local function view(t)
  return setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if v == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
      end
      return v
    end,
    __newindex = readonly,
    __metatable = false,
  })
end
return function()
  local r = { register_function = register, log = log }
  for k, v in next, consts do
    r[k] = v
  end
  return view({ redis = view(r) })
end
"#;

/// The functions VM and what a load needs of it.
pub struct Engine {
    /// The VM functions run in.
    pub vm: Vm,
    /// Returns a fresh load environment (each load gets its own, so nothing one library's
    /// functions do to the `redis` table they captured reaches another load).
    make_api: Function,
    /// What the load running now registered; None outside a load.
    pending: Arc<Mutex<Option<Vec<Func>>>>,
}

impl Engine {
    /// A new functions VM.
    pub fn new() -> mlua::Result<Engine> {
        let vm = Vm::new()?;
        let pending: Arc<Mutex<Option<Vec<Func>>>> = Arc::new(Mutex::new(None));
        let register = {
            let pending = pending.clone();
            vm.lua.create_function(move |lua, args: MultiValue| {
                if pending.lock().is_none() {
                    return Err(raise(
                        "ERR redis.register_function can only be called on FUNCTION LOAD command",
                        false,
                    ));
                }
                // Read before locking: reading the arguments may run the caller's metamethods.
                let f = read_args(lua, args).map_err(|m| raise(format!("ERR {m}"), false))?;
                let mut guard = pending.lock();
                let Some(list) = guard.as_mut() else {
                    return Err(raise(
                        "ERR redis.register_function can only be called on FUNCTION LOAD command",
                        false,
                    ));
                };
                if list.iter().any(|g| g.name == f.name) {
                    return Err(raise("ERR Function already exists in the library", false));
                }
                list.push(f);
                Ok(())
            })?
        };
        let redis: Table = vm.globals.raw_get("redis")?;
        let consts = vm.lua.create_table()?;
        for name in crate::scripting::api::LOG_LEVELS
            .iter()
            .chain(&["REDIS_VERSION", "REDIS_VERSION_NUM"])
        {
            consts.raw_set(*name, redis.get::<Value>(*name)?)?;
        }
        let log: Function = redis.get("log")?;
        let make_api: Function = vm
            .lua
            .load(LOAD_API)
            .set_name("=lode")
            .call((register, log, consts))?;
        Ok(Engine {
            vm,
            make_api,
            pending,
        })
    }

    /// Runs a library's code (`code`: after its metadata line) so it registers its
    /// functions, stopping it after `timeout_ms` (0: never). Returns what it registered (maybe
    /// nothing); the error is Redis's message without "ERR ".
    pub fn create(
        &self,
        server: &Server,
        code: &[u8],
        timeout_ms: u64,
    ) -> Result<Vec<Func>, String> {
        let host: &dyn Host = &*server.host;
        let lua = &self.vm.lua;
        let chunk = self
            .vm
            .compile(code, "@user_function")
            .map_err(|e| format!("Error compiling function: {e}"))?;
        let api: Table = self.make_api.call(()).map_err(|e| e.to_string())?;
        let gmt = lua
            .globals()
            .metatable()
            .ok_or_else(|| "the functions VM has no globals metatable".to_string())?;
        *self.pending.lock() = Some(Vec::new());
        let ran = gmt.raw_set("__index", api).and_then(|()| {
            lua.scope(|scope| {
                if timeout_ms > 0 {
                    let started = host.monotonic_us();
                    let check = scope.create_function(move |_, ()| {
                        Ok(host.monotonic_us().saturating_sub(started) / 1000 > timeout_ms)
                    })?;
                    lua.set_named_registry_value(LOAD_CHECK, check)?;
                    lua.set_hook(
                        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
                        load_hook,
                    )?;
                }
                let r = self
                    .vm
                    .invoke
                    .call::<(bool, Value)>((chunk, Value::Nil, Value::Nil));
                lua.remove_hook();
                lua.set_named_registry_value(LOAD_CHECK, Value::Nil)?;
                r
            })
        });
        let restored = gmt.raw_set("__index", self.vm.globals.clone());
        let registered = self.pending.lock().take().unwrap_or_default();
        self.vm.log.flush(server);
        restored.map_err(|e| e.to_string())?;
        match ran {
            Ok((true, _)) => Ok(registered),
            Ok((false, Value::Table(t))) => {
                let msg = match t.raw_get::<Value>("err") {
                    Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
                    _ => "ERR unknown error".into(),
                };
                Err(format!("Error registering functions: {msg}"))
            }
            Ok((false, other)) => Err(format!(
                "Error registering functions: ERR {}",
                other.to_string().unwrap_or_default()
            )),
            Err(e) => Err(format!("Error registering functions: ERR {e}")),
        }
    }
}

/// The load's hook: past the timeout, the load ends with Redis's error (and the hook fires on
/// every line from then on, so a pcall cannot swallow it for long).
fn load_hook(lua: &Lua, _: &Debug) -> mlua::Result<VmState> {
    let check: Option<Function> = lua.named_registry_value(LOAD_CHECK)?;
    if let Some(check) = check {
        if check.call::<bool>(())? {
            lua.set_hook(HookTriggers::EVERY_LINE, load_hook)?;
            return Err(raise("ERR FUNCTION LOAD timeout", false));
        }
    }
    Ok(VmState::Continue)
}

/// A string argument as Lua's lua_isstring sees one: a string, or a number in its string form.
fn string_arg(lua: &Lua, v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(_) | Value::Number(_) => lua
            .coerce_string(v.clone())
            .ok()
            .flatten()
            .map(|s| s.as_bytes().to_vec()),
        _ => None,
    }
}

/// redis.register_function's arguments: (name, callback), or one table of named arguments
/// (function_name, callback, flags, description). The error is Redis's message.
fn read_args(lua: &Lua, args: MultiValue) -> Result<Func, String> {
    let (name, desc, flags, callback) = match args.len() {
        1 => named_args(lua, &args[0])?,
        2 => {
            let name = string_arg(lua, &args[0])
                .ok_or("first argument to redis.register_function must be a string")?;
            let Value::Function(f) = &args[1] else {
                return Err("second argument to redis.register_function must be a function".into());
            };
            (name, None, ScriptFlags::default(), f.clone())
        }
        _ => return Err("wrong number of arguments to redis.register_function".into()),
    };
    if !valid_name(&name) {
        return Err(BAD_NAME.into());
    }
    Ok(Func {
        name: String::from_utf8_lossy(&name).into_owned(),
        desc,
        flags,
        callback,
    })
}

type Named = (Vec<u8>, Option<Bytes>, ScriptFlags, Function);

fn named_args(lua: &Lua, arg: &Value) -> Result<Named, String> {
    let Value::Table(t) = arg else {
        return Err(
            "calling redis.register_function with a single argument is only applicable \
                    to Lua table (representing named arguments)."
                .into(),
        );
    };
    let (mut name, mut desc, mut flags, mut callback) = (None, None, ScriptFlags::default(), None);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair.map_err(|e| e.to_string())?;
        let key = string_arg(lua, &k)
            .ok_or("named argument key given to redis.register_function is not a string")?;
        if key.eq_ignore_ascii_case(b"function_name") {
            name = Some(string_arg(lua, &v).ok_or(
                "function_name argument given to redis.register_function must be a string",
            )?);
        } else if key.eq_ignore_ascii_case(b"description") {
            desc = Some(Bytes::from(string_arg(lua, &v).ok_or(
                "description argument given to redis.register_function must be a string",
            )?));
        } else if key.eq_ignore_ascii_case(b"callback") {
            let Value::Function(f) = v else {
                return Err(
                    "callback argument given to redis.register_function must be a function".into(),
                );
            };
            callback = Some(f);
        } else if key.eq_ignore_ascii_case(b"flags") {
            let Value::Table(list) = v else {
                return Err("flags argument to redis.register_function must be a table \
                            representing function flags"
                    .into());
            };
            flags = read_flags(lua, &list).ok_or("unknown flag given")?;
        } else {
            return Err("unknown argument given to redis.register_function".into());
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok((name, desc, flags, callback))
}

/// The flags in `list[1]`, `list[2]`... up to the first nil; None at a flag Redis does not
/// know (names compare case-insensitively).
fn read_flags(lua: &Lua, list: &Table) -> Option<ScriptFlags> {
    let mut flags = ScriptFlags::default();
    for i in 1.. {
        let v: Value = list.get(i).ok()?;
        if v.is_nil() {
            break;
        }
        let name = string_arg(lua, &v)?;
        let (_, f) = ScriptFlags::NAMES
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(&name))?;
        flags.add(*f);
    }
    Some(flags)
}
