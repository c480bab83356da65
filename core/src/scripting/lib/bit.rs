//! `bit`: LuaBitOp 1.0.2's operations on 32-bit integers held in Lua numbers.
//!
//! An argument becomes 32 bits the way LuaBitOp does it on doubles: add 2^52 + 2^51 and keep
//! the low 32 bits of the sum's representation (so fractions round to nearest-even and numbers
//! past 32 bits wrap modulo 2^32). Results are signed 32-bit values. A non-number argument
//! (after Lua's string coercion) is "number expected" for that argument.

use mlua::{Lua, MultiValue, Table};

use super::capi;

/// LuaBitOp's normalisation of an argument to 32 bits.
fn to_bits(n: f64) -> u32 {
    (n + 6_755_399_441_055_744.0).to_bits() as u32
}

/// Argument `narg` as 32 bits (`barg`).
fn barg(lua: &Lua, args: &MultiValue, narg: i32) -> mlua::Result<u32> {
    match capi::to_number(lua, capi::arg(args, narg)) {
        Some(n) => Ok(to_bits(n)),
        None => Err(capi::type_error(lua, args, narg, "number")),
    }
}

/// A result as Lua sees it: the 32 bits read as a signed integer.
fn ret(b: u32) -> f64 {
    f64::from(b as i32)
}

fn tohex(lua: &Lua, args: &MultiValue) -> mlua::Result<mlua::String> {
    let mut b = barg(lua, args, 1)?;
    let mut n: i32 = if capi::arg(args, 2).is_none() {
        8
    } else {
        barg(lua, args, 2)? as i32
    };
    let digits: &[u8; 16] = if n < 0 {
        // LuaBitOp 1.0.2 negates i32::MIN into itself and then asks for a string of 2^31 bytes;
        // later LuaBitOp (and Redis from 7.0.16) treat it as the largest width, as here.
        n = n.checked_neg().unwrap_or(i32::MAX);
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let n = n.min(8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    lua.create_string(&buf[..n])
}

/// `band`/`bor`/`bxor`: the first argument combined with the others, read from the last one
/// down as LuaBitOp does (so the highest bad argument is the one reported).
fn fold(lua: &Lua, args: &MultiValue, op: fn(u32, u32) -> u32) -> mlua::Result<f64> {
    let mut b = barg(lua, args, 1)?;
    let top = i32::try_from(args.len()).unwrap_or(i32::MAX);
    for i in (2..=top).rev() {
        b = op(b, barg(lua, args, i)?);
    }
    Ok(ret(b))
}

/// Shifts and rotations: the count is the second argument's low 5 bits.
fn shift(lua: &Lua, args: &MultiValue, op: fn(u32, u32) -> u32) -> mlua::Result<f64> {
    let b = barg(lua, args, 1)?;
    let n = barg(lua, args, 2)? & 31;
    Ok(ret(op(b, n)))
}

/// Creates the `bit` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set(
        "tobit",
        lua.create_function(|lua, args: MultiValue| Ok(ret(barg(lua, &args, 1)?)))?,
    )?;
    t.set(
        "bnot",
        lua.create_function(|lua, args: MultiValue| Ok(ret(!barg(lua, &args, 1)?)))?,
    )?;
    t.set(
        "band",
        lua.create_function(|lua, args: MultiValue| fold(lua, &args, |a, b| a & b))?,
    )?;
    t.set(
        "bor",
        lua.create_function(|lua, args: MultiValue| fold(lua, &args, |a, b| a | b))?,
    )?;
    t.set(
        "bxor",
        lua.create_function(|lua, args: MultiValue| fold(lua, &args, |a, b| a ^ b))?,
    )?;
    t.set(
        "lshift",
        lua.create_function(|lua, args: MultiValue| shift(lua, &args, |b, n| b << n))?,
    )?;
    t.set(
        "rshift",
        lua.create_function(|lua, args: MultiValue| shift(lua, &args, |b, n| b >> n))?,
    )?;
    t.set(
        "arshift",
        lua.create_function(|lua, args: MultiValue| {
            shift(lua, &args, |b, n| ((b as i32) >> n) as u32)
        })?,
    )?;
    t.set(
        "rol",
        lua.create_function(|lua, args: MultiValue| shift(lua, &args, u32::rotate_left))?,
    )?;
    t.set(
        "ror",
        lua.create_function(|lua, args: MultiValue| shift(lua, &args, u32::rotate_right))?,
    )?;
    t.set(
        "bswap",
        lua.create_function(|lua, args: MultiValue| Ok(ret(barg(lua, &args, 1)?.swap_bytes())))?,
    )?;
    t.set(
        "tohex",
        lua.create_function(|lua, args: MultiValue| tohex(lua, &args))?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::capi::testutil::{check_cases, run};

    /// Snippets and the results Redis 7.0.15 gave for them.
    const CASES: &[(&str, &str)] = include!("testdata/bit_cases.rs");

    #[test]
    fn matches_redis() {
        check_cases(CASES);
    }

    #[test]
    fn redis_test_suite_minimal_bitop() {
        let r = run("assert(bit.tobit(1) == 1); assert(bit.band(1) == 1); \
                     assert(bit.bxor(1,2) == 3); assert(bit.bor(1,2,4,8,16,32,64,128) == 255) \
                     return 'ok'");
        assert_eq!(r, "ok");
    }

    #[test]
    fn tohex_most_negative_width_is_eight_upper_case() {
        assert_eq!(run("return bit.tohex(0xabc, -2^31)"), "00000ABC");
    }
}
