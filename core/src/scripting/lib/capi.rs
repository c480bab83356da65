//! What the C libraries get from Lua 5.1's auxiliary library and from C itself, redone for Rust
//! callbacks so that the messages and conversions come out the same:
//!
//! - `luaL_error` prefixes its message with the caller's position ("user_script:1: ") when the
//!   C function was called from a Lua function with line information (`luaL_where(L, 1)`);
//! - argument errors name the function as the caller's debug info does
//!   ("bad argument #1 to 'encode' (...)", '?' when it has no name, the `self` shift of a
//!   method call);
//! - `luaL_checknumber`/`luaL_checkinteger`/`luaL_checklstring` coerce the way Lua does
//!   (numeric strings are numbers, numbers are strings);
//! - a C cast of a double to an integer type on x86-64 gives the "integer indefinite" value
//!   when the double is out of range or NaN, where Rust's `as` saturates.
//!
//! It also counts Lua stack slots: the C code asks `lua_checkstack` for room as it nests, and
//! Lua 5.1 refuses a C function more than `LUAI_MAXCSTACK` slots; the Rust code uses no Lua
//! stack, so it counts what the C code would hold to fail where the C code fails.

use mlua::{Lua, MultiValue, Value};

/// `LUAI_MAXCSTACK`: the most stack slots a C function may hold (Redis's luaconf.h).
pub const MAX_C_STACK: usize = 8000;

/// The most mlua references (strings, tables... held from Rust) a library keeps at once.
///
/// mlua keeps every such value in one auxiliary Lua stack, which Lua 5.1 caps at
/// `LUAI_MAXCSTACK` slots for the whole VM, and panics when it is full. The libraries hold one
/// per open container while walking nested data and one per string or table result, so deep
/// nesting and long result lists are refused (with the error the C library gives at its own,
/// slightly higher, limit) before they could reach that cap.
pub const REF_BUDGET: usize = 5000;

/// Whether `lua_checkstack(L, extra)` succeeds with `used` slots already in the C frame.
pub fn stack_has_room(used: usize, extra: usize) -> bool {
    used + extra <= MAX_C_STACK
}

/// `luaL_where(L, 1)`: "chunk:line: " of the function that called the running one, when that is
/// a Lua function; empty otherwise (a C caller such as `pcall`, or no caller).
pub fn where_prefix(lua: &Lua) -> String {
    lua.inspect_stack(1, |frame| match frame.current_line() {
        Some(line) if line > 0 => {
            let src = frame
                .source()
                .short_src
                .map(|s| s.into_owned())
                .unwrap_or_default();
            format!("{src}:{line}: ")
        }
        _ => String::new(),
    })
    .unwrap_or_default()
}

/// `luaL_error`: a runtime error whose message carries the caller's position.
pub fn error(lua: &Lua, msg: impl AsRef<str>) -> mlua::Error {
    mlua::Error::RuntimeError(format!("{}{}", where_prefix(lua), msg.as_ref()))
}

/// `luaL_checkstack`: "stack overflow (<what>)" when the frame cannot grow by `extra`.
pub fn check_stack(lua: &Lua, used: usize, extra: usize, what: &str) -> mlua::Result<()> {
    if stack_has_room(used, extra) {
        Ok(())
    } else {
        Err(error(lua, format!("stack overflow ({what})")))
    }
}

/// `luaL_argerror`: "bad argument #n to 'name' (msg)", named from the running function's
/// debug info.
pub fn arg_error(lua: &Lua, narg: i32, extramsg: &str) -> mlua::Error {
    let names = lua.inspect_stack(0, |frame| {
        let names = frame.names();
        (names.name.map(|n| n.into_owned()), names.name_what)
    });
    let Some((name, name_what)) = names else {
        return error(lua, format!("bad argument #{narg} ({extramsg})"));
    };
    let mut narg = narg;
    if name_what == Some("method") {
        narg -= 1;
        if narg == 0 {
            let name = name.as_deref().unwrap_or("?");
            return error(lua, format!("calling '{name}' on bad self ({extramsg})"));
        }
    }
    let name = name.as_deref().unwrap_or("?");
    error(
        lua,
        format!("bad argument #{narg} to '{name}' ({extramsg})"),
    )
}

/// `luaL_typename` of an argument slot (`None`: past the last argument).
pub fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::LightUserData(_)) => "userdata",
        Some(Value::Integer(_)) | Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// `luaL_typerror`: "<tname> expected, got <type>" as an argument error.
pub fn type_error(lua: &Lua, args: &MultiValue, narg: i32, tname: &str) -> mlua::Error {
    let got = type_name(arg(args, narg));
    arg_error(lua, narg, &format!("{tname} expected, got {got}"))
}

/// The argument at 1-based position `narg`, `None` past the last one.
pub fn arg(args: &MultiValue, narg: i32) -> Option<&Value> {
    usize::try_from(narg)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| args.get(i))
}

/// `lua_isnoneornil`.
pub fn is_none_or_nil(args: &MultiValue, narg: i32) -> bool {
    matches!(arg(args, narg), None | Some(Value::Nil))
}

/// `lua_tonumber` of a value: numbers, and strings Lua converts to numbers.
pub fn to_number(lua: &Lua, v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        s @ Value::String(_) => lua.coerce_number(s.clone()).ok().flatten(),
        _ => None,
    }
}

/// `luaL_checknumber`.
pub fn check_number(lua: &Lua, args: &MultiValue, narg: i32) -> mlua::Result<f64> {
    to_number(lua, arg(args, narg)).ok_or_else(|| type_error(lua, args, narg, "number"))
}

/// `luaL_checkinteger` (a `lua_Integer`, the double truncated the x86-64 way).
pub fn check_integer(lua: &Lua, args: &MultiValue, narg: i32) -> mlua::Result<i64> {
    check_number(lua, args, narg).map(f64_to_i64)
}

/// `luaL_optinteger`.
pub fn opt_integer(lua: &Lua, args: &MultiValue, narg: i32, default: i64) -> mlua::Result<i64> {
    if is_none_or_nil(args, narg) {
        Ok(default)
    } else {
        check_integer(lua, args, narg)
    }
}

/// `luaL_checklstring`: strings, and numbers converted as Lua converts them.
pub fn check_string(lua: &Lua, args: &MultiValue, narg: i32) -> mlua::Result<mlua::String> {
    match arg(args, narg) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v @ (Value::Integer(_) | Value::Number(_))) => lua
            .coerce_string(v.clone())?
            .ok_or_else(|| type_error(lua, args, narg, "string")),
        _ => Err(type_error(lua, args, narg, "string")),
    }
}

/// C's `(int64_t)d` on x86-64: truncation, and `i64::MIN` when out of range or NaN.
pub fn f64_to_i64(d: f64) -> i64 {
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(int)d` on x86-64: truncation, and `i32::MIN` when out of range or NaN.
pub fn f64_to_i32(d: f64) -> i32 {
    if !(-2_147_483_648.0..2_147_483_648.0).contains(&d) {
        i32::MIN
    } else {
        d as i32
    }
}

/// C's `(uint64_t)d` as GCC compiles it for x86-64: below 2^63 (and NaN) through the signed
/// conversion, from 2^63 on through the signed conversion of `d - 2^63` with the top bit
/// flipped.
pub fn f64_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if d >= TWO_63 {
        (f64_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    } else {
        f64_to_i64(d) as u64
    }
}

/// The value of a number argument as Lua holds it (a double).
pub fn number_value(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Running snippets on a fresh VM with the libraries, named as Redis names scripts so that
    //! error positions read "user_script:1: ", and comparing them with what Redis 7.0.15 gave
    //! for the same snippets (testdata/*_cases.rs, made by testdata/gen.py).

    use mlua::{Function, Lua, MultiValue, Value};

    /// A VM with the libraries, and a `pcall` that hands back error messages as strings, as
    /// Lua's own does for the C libraries (mlua raises Rust errors as userdata).
    pub fn vm() -> Lua {
        let lua = Lua::new();
        super::super::register_all(&lua).expect("register_all");
        let pcall = lua
            .create_function(|lua, (f, args): (Function, MultiValue)| {
                let mut out = MultiValue::new();
                match f.call::<MultiValue>(args) {
                    Ok(r) => {
                        out.push_back(Value::Boolean(true));
                        out.extend(r);
                    }
                    Err(e) => {
                        out.push_back(Value::Boolean(false));
                        out.push_back(Value::String(lua.create_string(root_message(&e))?));
                    }
                }
                Ok(out)
            })
            .expect("pcall");
        lua.globals().set("pcall", pcall).expect("set pcall");
        lua
    }

    /// The message of the innermost error of a callback error chain.
    pub fn root_message(e: &mlua::Error) -> String {
        match e {
            mlua::Error::CallbackError { cause, .. } => root_message(cause),
            mlua::Error::RuntimeError(m) => m.clone(),
            other => other.to_string(),
        }
    }

    /// Runs `chunk` after the cases' prelude on a fresh VM: its string result, or "ERR:" and
    /// the error message.
    pub fn run(chunk: &str) -> String {
        let lua = vm();
        let prelude = include_str!("testdata/prelude.lua").replace('\n', " ");
        let code = format!("{} {chunk}", prelude.trim());
        match lua.load(&code).set_name("@user_script").eval::<Value>() {
            Ok(Value::String(s)) => String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            Ok(Value::Nil) => "nil".to_string(),
            Ok(Value::Integer(i)) => i.to_string(),
            Ok(other) => format!("{other:?}"),
            Err(e) => format!("ERR:{}", root_message(&e)),
        }
    }

    /// Runs every case and fails listing each one whose result differs from Redis's.
    pub fn check_cases(cases: &[(&str, &str)]) {
        let mut bad = Vec::new();
        for (chunk, expected) in cases {
            let got = run(chunk);
            if got != *expected {
                bad.push(format!("{chunk}\n   redis: {expected}\n    lode: {got}"));
            }
        }
        assert!(
            bad.is_empty(),
            "{} of {} cases differ:\n{}",
            bad.len(),
            cases.len(),
            bad.join("\n")
        );
    }
}
