//! The libraries Redis bundles into its Lua VM (cjson, cmsgpack, struct, bit), written in Rust
//! with Redis 7.0's observable behaviour: the same results, encodings, limits and error texts.
//!
//! Errors are raised as `mlua::Error::RuntimeError` carrying the exact text the C library gives
//! `luaL_error`, position prefix included ("user_script:1: Cannot serialise function: type not
//! supported"), so the engine shows them as Redis does. mlua raises a Rust callback's error
//! inside Lua as an error userdata, not a string: for `pcall(cjson.decode, s)` to hand scripts
//! the message string as Redis does, the engine has to turn those into their message (the
//! tests' `pcall` in `capi::testutil` shows how).
//!
//! Where lode differs from Redis (all at extremes; see the tests named for them): mlua holds
//! values it hands to Rust in one auxiliary stack of about 8000 slots for the whole VM, so the
//! libraries refuse to hold more than `capi::REF_BUDGET` (5000) at once: with raised cjson depth
//! limits nesting stops at 2500 open containers (Redis: about 4000 objects / 8000 arrays), and
//! `cmsgpack.unpack`/`struct.unpack` refuse more than 5000 string or table results (Redis: about
//! 8000 results of any kind). mlua also cannot return more than about 7975 values from one
//! call.

mod bit;
mod capi;
mod cjson;
mod cmsgpack;
mod structlib;

use mlua::Lua;

/// Registers the bundled libraries as globals of `lua`: `cjson`, `cmsgpack`, `struct`, `bit`.
pub fn register_all(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.set("cjson", cjson::create(lua)?)?;
    globals.set("cmsgpack", cmsgpack::create(lua)?)?;
    globals.set("struct", structlib::create(lua)?)?;
    globals.set("bit", bit::create(lua)?)?;
    Ok(())
}
