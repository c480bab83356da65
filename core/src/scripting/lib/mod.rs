//! The libraries Redis bundles into its Lua VM (cjson, cmsgpack, struct, bit), written in Rust
//! with Redis 7.0's observable behaviour: the same results, encodings, limits and error texts.
//!
//! Errors are raised as `mlua::Error::RuntimeError` carrying the exact text the C library gives
//! `luaL_error`, position prefix included ("user_script:1: Cannot serialise function: type not
//! supported"), so the engine shows them as Redis does.

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
