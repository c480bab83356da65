//! The libraries Redis bundles into its Lua VM (cjson, cmsgpack, struct, bit), written in Rust
//! with Redis's observable behaviour.

use mlua::Lua;

/// Registers the bundled libraries as globals of `lua`.
pub fn register_all(_lua: &Lua) -> mlua::Result<()> {
    Ok(())
}
