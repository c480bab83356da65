//! `cjson`: lua-cjson 2.1.0 as Redis bundles it.
//!
//! The table holds `encode`, `decode`, the configuration functions (`encode_sparse_array`,
//! `encode_max_depth`, `decode_max_depth`, `encode_number_precision`, `encode_keep_buffer`,
//! `encode_invalid_numbers`, `decode_invalid_numbers`), `new` (a fresh table with its own
//! configuration), `null` (a NULL light userdata) and `_NAME`/`_VERSION`. Configuration is per
//! table and lasts as long as it (Redis keeps it across scripts until the VM is reset).

mod decode;
mod encode;
mod number;

use std::sync::Arc;

use mlua::{Function, Lua, MultiValue, Table, Value};
use parking_lot::Mutex;

use super::capi;

/// A table's settings, lua-cjson's defaults in `Default`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0: NaN/Inf is an error, 1: written as nan/inf, 2: written as null.
    encode_invalid_numbers: i32,
    decode_invalid_numbers: bool,
    keep_buffer: bool,
    precision: i32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
            keep_buffer: true,
            precision: 14,
        }
    }
}

/// A kept encode buffer larger than this is let go rather than held between calls.
const KEEP_BUFFER_MAX: usize = 1 << 20;

struct State {
    cfg: Config,
    /// The encode buffer reused while `keep_buffer` is on.
    buf: Vec<u8>,
    /// The base library's `next`, taken when the table is made (scripts cannot swap it).
    next_fn: Function,
}

type Shared = Arc<Mutex<State>>;

/// `json_arg_init`: at most `n` arguments.
fn arg_init(lua: &Lua, args: &MultiValue, n: usize) -> mlua::Result<()> {
    if args.len() > n {
        return Err(capi::arg_error(
            lua,
            n as i32 + 1,
            "found too many arguments",
        ));
    }
    Ok(())
}

/// `json_integer_option`: sets `setting` from argument `narg` when given (range errors name
/// argument 1, as lua-cjson does) and returns the setting.
fn integer_option(
    lua: &Lua,
    args: &MultiValue,
    narg: i32,
    setting: &mut i32,
    min: i32,
    max: i32,
) -> mlua::Result<Value> {
    if !capi::is_none_or_nil(args, narg) {
        // luaL_checkinteger's lua_Integer stored in a C int.
        let value = capi::check_integer(lua, args, narg)? as i32;
        if !(min <= value && value <= max) {
            let msg = format!("expected integer between {min} and {max}");
            return Err(capi::arg_error(lua, 1, &msg));
        }
        *setting = value;
    }
    Ok(Value::Number(f64::from(*setting)))
}

/// `json_enum_option` with "true" meaning option 1: a boolean or one of `options` by name.
fn enum_option(
    lua: &Lua,
    args: &MultiValue,
    narg: i32,
    setting: &mut i32,
    options: &[&str],
) -> mlua::Result<Value> {
    match capi::arg(args, narg) {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(b)) => *setting = i32::from(*b),
        Some(_) => {
            let name = capi::check_string(lua, args, narg)?;
            let name = name.as_bytes();
            match options.iter().position(|o| o.as_bytes() == &name[..]) {
                Some(i) => *setting = i as i32,
                None => {
                    let msg = format!("invalid option '{}'", String::from_utf8_lossy(&name));
                    return Err(capi::arg_error(lua, narg, &msg));
                }
            }
        }
    }
    Ok(match *setting {
        0 | 1 => Value::Boolean(*setting == 1),
        n => Value::String(lua.create_string(options[n as usize])?),
    })
}

fn bool_option(lua: &Lua, args: &MultiValue, narg: i32, setting: &mut bool) -> mlua::Result<Value> {
    let mut v = i32::from(*setting);
    let r = enum_option(lua, args, narg, &mut v, &["off", "on"])?;
    *setting = v != 0;
    Ok(r)
}

fn encode(lua: &Lua, st: &Shared, args: MultiValue) -> mlua::Result<mlua::String> {
    let next_fn = st.lock().next_fn.clone();
    if args.len() != 1 {
        return Err(capi::arg_error(lua, 1, "expected 1 argument"));
    }
    let (cfg, buf) = {
        let mut g = st.lock();
        let buf = if g.cfg.keep_buffer {
            std::mem::take(&mut g.buf)
        } else {
            Vec::new()
        };
        (g.cfg, buf)
    };
    let mut enc = encode::Encoder::new(lua, cfg, buf, &next_fn);
    let v = args.into_iter().next().unwrap_or(Value::Nil);
    let result = enc.encode(v);
    let mut buf = enc.out;
    let s = result.and_then(|()| lua.create_string(&buf));
    if cfg.keep_buffer && buf.capacity() <= KEEP_BUFFER_MAX {
        buf.clear();
        st.lock().buf = buf;
    }
    s
}

fn decode(lua: &Lua, st: &Shared, args: MultiValue) -> mlua::Result<Value> {
    if args.len() != 1 {
        return Err(capi::arg_error(lua, 1, "expected 1 argument"));
    }
    let cfg = st.lock().cfg;
    let s = capi::check_string(lua, &args, 1)?;
    decode::decode(lua, cfg, &s.as_bytes())
}

/// Registers `name` as a function of `t` with access to the table's state.
fn add<R, F>(lua: &Lua, t: &Table, st: &Shared, name: &str, f: F) -> mlua::Result<()>
where
    R: mlua::IntoLuaMulti,
    F: Fn(&Lua, &Shared, MultiValue) -> mlua::Result<R> + Send + 'static,
{
    let st = st.clone();
    t.set(
        name,
        lua.create_function(move |lua, args: MultiValue| f(lua, &st, args))?,
    )
}

/// Creates a `cjson` table with its own configuration.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let next_fn: Function = lua.globals().raw_get("next")?;
    let st: Shared = Arc::new(Mutex::new(State {
        cfg: Config::default(),
        buf: Vec::new(),
        next_fn,
    }));
    add(lua, &t, &st, "encode", encode)?;
    add(lua, &t, &st, "decode", decode)?;
    add(lua, &t, &st, "encode_sparse_array", |lua, st, args| {
        arg_init(lua, &args, 3)?;
        let mut g = st.lock();
        let cfg = &mut g.cfg;
        let convert = bool_option(lua, &args, 1, &mut cfg.sparse_convert)?;
        let ratio = integer_option(lua, &args, 2, &mut cfg.sparse_ratio, 0, i32::MAX)?;
        let safe = integer_option(lua, &args, 3, &mut cfg.sparse_safe, 0, i32::MAX)?;
        Ok(MultiValue::from_vec(vec![convert, ratio, safe]))
    })?;
    add(lua, &t, &st, "encode_max_depth", |lua, st, args| {
        arg_init(lua, &args, 1)?;
        integer_option(
            lua,
            &args,
            1,
            &mut st.lock().cfg.encode_max_depth,
            1,
            i32::MAX,
        )
    })?;
    add(lua, &t, &st, "decode_max_depth", |lua, st, args| {
        arg_init(lua, &args, 1)?;
        integer_option(
            lua,
            &args,
            1,
            &mut st.lock().cfg.decode_max_depth,
            1,
            i32::MAX,
        )
    })?;
    add(lua, &t, &st, "encode_number_precision", |lua, st, args| {
        arg_init(lua, &args, 1)?;
        integer_option(lua, &args, 1, &mut st.lock().cfg.precision, 1, 14)
    })?;
    add(lua, &t, &st, "encode_keep_buffer", |lua, st, args| {
        arg_init(lua, &args, 1)?;
        let mut g = st.lock();
        let r = bool_option(lua, &args, 1, &mut g.cfg.keep_buffer)?;
        if !g.cfg.keep_buffer {
            g.buf = Vec::new();
        }
        Ok(r)
    })?;
    add(lua, &t, &st, "encode_invalid_numbers", |lua, st, args| {
        arg_init(lua, &args, 1)?;
        let opts = ["off", "on", "null"];
        enum_option(
            lua,
            &args,
            1,
            &mut st.lock().cfg.encode_invalid_numbers,
            &opts,
        )
    })?;
    add(lua, &t, &st, "decode_invalid_numbers", |lua, st, args| {
        arg_init(lua, &args, 1)?;
        bool_option(lua, &args, 1, &mut st.lock().cfg.decode_invalid_numbers)
    })?;
    t.set("new", lua.create_function(|lua, ()| create(lua))?)?;
    t.set("null", Value::NULL)?;
    t.set("_NAME", "cjson")?;
    t.set("_VERSION", "2.1.0")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::capi::testutil::{check_cases, run};

    /// Snippets and the results Redis 7.0.15 gave for them.
    const CASES: &[(&str, &str)] = include!("testdata/cjson_cases.rs");

    #[test]
    fn matches_redis() {
        check_cases(CASES);
    }

    /// Redis's own test suite (tests/unit/scripting.tcl): JSON smoke test.
    #[test]
    fn redis_smoke_test() {
        let r = run(r#"
            local some_map = {s1="Some string", n1=100, a1={"Some","String","Array"},
                nil1=nil, b1=true, b2=false}
            local encoded = cjson.encode(some_map)
            local decoded = cjson.decode(encoded)
            assert(table.concat(some_map) == table.concat(decoded))
            cjson.encode_keep_buffer(false)
            encoded = cjson.encode(some_map)
            decoded = cjson.decode(encoded)
            assert(table.concat(some_map) == table.concat(decoded))
            local table1 = {one="one", [1]="one"}
            encoded = cjson.encode(table1)
            decoded = cjson.decode(encoded)
            assert(decoded["one"] == table1["one"])
            assert(decoded["1"] == table1[1])
            local array1 = {[1]="one", [2]="two"}
            encoded = cjson.encode(array1)
            decoded = cjson.decode(encoded)
            assert(table.concat(array1) == table.concat(decoded))
            local invalid_map = {}
            invalid_map[false] = "false"
            local ok, encoded = pcall(cjson.encode, invalid_map)
            assert(ok == false)
            cjson.encode_max_depth(1)
            ok, encoded = pcall(cjson.encode, some_map)
            assert(ok == false)
            cjson.decode_max_depth(1)
            ok, decoded = pcall(cjson.decode, '{"obj": {"array": [1,2,3,4]}}')
            assert(ok == false)
            ok, encoded = pcall(cjson.encode, {num1=0/0})
            assert(ok == false)
            cjson.encode_invalid_numbers(true)
            ok, encoded = pcall(cjson.encode, {num1=0/0})
            assert(ok == true)
            cjson.decode_max_depth(1000)
            cjson.encode_max_depth(1000)
            cjson.encode_invalid_numbers(false)
            return 'ok'"#);
        assert_eq!(r, "ok");
    }

    #[test]
    fn big_values_round_trip() {
        let r = run(r#"
            local arr, map = {}, {}
            for i = 1, 70000 do arr[i] = i * 1.5 map['k' .. i] = {i, tostring(i)} end
            local a = cjson.decode(cjson.encode(arr))
            local m = cjson.decode(cjson.encode(map))
            assert(#a == 70000 and a[70000] == 105000 and a[3] == 4.5)
            assert(m.k69999[1] == 69999 and m.k69999[2] == '69999')
            return 'ok'"#);
        assert_eq!(r, "ok");
    }

    /// Where lode stops short of Redis: with the depth limits raised, Redis nests until the Lua
    /// stack of a C function is full (about 4000 objects or 8000 arrays deep); lode holds up to
    /// two mlua references per open container and mlua has room for about 8000 in all, so it
    /// stops at 2500 open containers, with the same error.
    #[test]
    fn raised_depth_limits_stop_at_2500() {
        let enc = run("cjson.encode_max_depth(100000) local t = {} local c = t \
                       for i = 1, 4500 do c.k = {} c = c.k end return cjson.encode(t)");
        assert_eq!(
            enc,
            "ERR:user_script:1: Cannot serialise, excessive nesting (2501)"
        );
        let dec = run("cjson.decode_max_depth(100000) \
                       return cjson.decode(string.rep('[', 8000) .. string.rep(']', 8000))");
        assert_eq!(
            dec,
            "ERR:user_script:1: Found too many nested data structures (2501) at character 2501"
        );
        let ok = run(
            "cjson.encode_max_depth(100000) cjson.decode_max_depth(100000) \
                      local t = {} local c = t for i = 1, 2499 do c.k = {} c = c.k end \
                      return #cjson.encode(cjson.decode(cjson.encode(t)))",
        );
        assert_eq!(ok, "14996");
    }
}
