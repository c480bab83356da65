//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis bundles it (`pack`, `unpack`, `unpack_one`,
//! `unpack_limit`).
//!
//! Packing picks the smallest encoding: integers (numbers a 64-bit integer holds exactly) as
//! fixint, uint 8/16/32/64 or int 8/16/32/64; other numbers as float 32 when a float holds them
//! exactly, else float 64; strings as fixstr, str 8/16/32; tables whose keys are exactly 1..n as
//! arrays (the empty table too), others as maps, with fix/16/32 headers; booleans; everything
//! else (nil, functions, userdata, threads) as nil, and so are tables nested 16 deep, which is
//! what keeps cycles finite. Several arguments pack to the concatenation of their encodings.
//!
//! Unpacking returns every value of the stream (`unpack`), or a next offset and at most a limit
//! of values (`unpack_one`, `unpack_limit`; offset -1 once the input is used up). uint 64 comes
//! back as a signed 64-bit integer, as the library reads it. Input that ends early is "Missing
//! bytes in input.", an unknown type byte (bin, ext, 0xc1) "Bad data format in input.".

mod pack;
mod unpack;

use mlua::{Lua, MultiValue, Table};

use super::capi;
use pack::pack;
use unpack::unpack_full;

/// Creates the `cmsgpack` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            let s = capi::check_string(lua, &args, 1)?;
            unpack_full(lua, &s, 0, 0, args.len())
        })?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let offset = capi::opt_integer(lua, &args, 2, 0)?;
            let args: MultiValue = args.into_iter().take(1).collect();
            let s = capi::check_string(lua, &args, 1)?;
            unpack_full(lua, &s, 1, offset, 1)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let limit = capi::check_integer(lua, &args, 2)?;
            let offset = capi::opt_integer(lua, &args, 3, 0)?;
            let args: MultiValue = args.into_iter().take(1).collect();
            let s = capi::check_string(lua, &args, 1)?;
            unpack_full(lua, &s, limit, offset, 1)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::capi::testutil::{check_cases, run};

    /// Snippets and the results Redis 7.0.15 gave for them.
    const CASES: &[(&str, &str)] = include!("testdata/cmsgpack_cases.rs");

    #[test]
    fn matches_redis() {
        check_cases(CASES);
    }

    /// Redis's own test suite (tests/unit/scripting.tcl): pack/unpack smoke test.
    #[test]
    fn redis_smoke_test() {
        let r = run(r#"
            local str_lt_32 = string.rep("x", 30)
            local str_lt_255 = string.rep("x", 250)
            local str_lt_65535 = string.rep("x", 65530)
            local str_long = string.rep("x", 100000)
            local array_big = {}
            for i=1, 100000 do array_big[i] = i end
            local map_big = {}
            for i=1, 100000 do map_big[tostring(i)] = i end
            local some_map = {s1=str_lt_32, s2=str_lt_255, s3=str_lt_65535, s4=str_long,
                d1=0.1, i1=1, i2=250, i3=65530, i4=100000, i5=2^40, i6=-1, i7=-120,
                i8=-32000, i9=-100000, i10=-3147483648, a1={1, 2, 3, 4, 5},
                a2={1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18},
                a3=array_big, m1={a=1, b=2}, m2=map_big, b1=false, b2=true, n=nil}
            local encoded = cmsgpack.pack(some_map)
            local decoded = cmsgpack.unpack(encoded)
            assert(decoded.s4 == str_long and #decoded.a3 == 100000 and decoded.m2["77777"] == 77777 and decoded.i10 == -3147483648 and decoded.d1 == 0.1)
            local offset, decoded_one = cmsgpack.unpack_one(encoded, 0)
            assert(decoded_one.s3 == str_lt_65535 and decoded_one.a3[100000] == 100000)
            assert(offset == -1)
            local encoded_multiple = cmsgpack.pack(str_lt_32, str_lt_255, str_lt_65535, str_long)
            local offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, 0)
            assert(obj == str_lt_32)
            offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
            assert(obj == str_lt_255)
            offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
            assert(obj == str_lt_65535)
            offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
            assert(obj == str_long)
            assert(offset == -1)
            return 'ok'"#);
        assert_eq!(r, "ok");
    }

    /// Redis's own test suite: circular references pack 16 levels deep.
    #[test]
    fn redis_circular_references() {
        let r = run(r#"local a = {x=nil,y=5} local b = {x=a} a['x'] = b
            local encoded = cmsgpack.pack(a)
            local re = cmsgpack.unpack(encoded)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
            return hex(encoded)"#);
        assert_eq!(
            r,
            "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881\
             a17882a17905a17881a17882a17905a17881a17882a17905a17881a178c0"
        );
    }

    /// Where lode stops short of Redis: string and table results are mlua references, of which
    /// mlua has room for about 8000 in the whole VM, so `unpack` refuses more than 5000 of them
    /// (with the error Redis gives near 8000 values); numbers are not limited that way.
    #[test]
    fn reference_results_stop_at_the_budget() {
        let many = run("return #{cmsgpack.unpack(string.rep(string.char(0xa1, 0x61), 6000))}");
        assert_eq!(
            many,
            "ERR:user_script:1: stack overflow (too many return values at once; use unpack_one \
             or unpack_limit instead.)"
        );
        let fine = run("return #{cmsgpack.unpack(string.rep(string.char(0xa1, 0x61), 4999))}");
        assert_eq!(fine, "4999");
        let numbers = run("return #{cmsgpack.unpack(string.rep(string.char(7), 7000))}");
        assert_eq!(numbers, "7000");
    }
}
