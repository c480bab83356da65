//! `Vm`: the one Lua 5.1 state every script and function runs in, built with Redis 7's
//! globals, libraries, redis.* API and sandbox, plus the EVAL script cache.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use bytes::Bytes;
use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value};

use super::api;
use super::shebang::ScriptFlags;

/// The EVAL cache: looked up on every EVALSHA, by SHA-1s clients cannot choose freely, so
/// foldhash rather than SipHash.
pub type ScriptCache = std::collections::HashMap<String, Script, foldhash::fast::FixedState>;

/// A script in the EVAL cache.
pub struct Script {
    /// Its source, as the client sent it (shebang included).
    pub body: Bytes,
    /// Its shebang flags (`COMPAT` when it has no shebang).
    pub flags: ScriptFlags,
    /// The compiled chunk.
    pub func: Function,
}

/// The script VM and what lives in it.
pub struct Vm {
    /// The Lua state.
    pub lua: Lua,
    /// The real globals table, behind the read-only `_G` (KEYS and ARGV are set here).
    pub globals: Table,
    /// Runs a function under the error handler: `invoke(f [, keys, args])` → ok, result.
    pub invoke: Function,
    /// `slot[1]`: the dispatch behind redis.call while a script runs; `slot[2]`: the
    /// interrupt check the busy hook calls.
    pub slot: Table,
    /// The EVAL script cache, by lowercase SHA-1 hex.
    pub scripts: ScriptCache,
    /// Bytes of the cached scripts' bodies and names (`used_memory_scripts_eval`).
    pub scripts_mem: usize,
    /// Lines redis.log wrote, waiting for the engine to hand them to the host.
    pub log: Arc<api::LogLines>,
    /// Redis's 48-bit random state behind math.random.
    pub rand: Arc<AtomicU64>,
    /// Scripts run on this VM (a collector step every 50).
    pub runs: AtomicU64,
    /// The buffer redis.call's replies are written into, kept from one run to the next.
    pub call_buf: std::cell::Cell<Option<bytes::BytesMut>>,
}

/// The sandbox prelude (see the file's own comment).
const PRELUDE: &str = include_str!("prelude.lua");

impl Vm {
    /// A fresh VM, as Redis builds one at start-up and on SCRIPT FLUSH.
    pub fn new() -> mlua::Result<Vm> {
        // SAFETY: the debug library is loaded only for the prelude, which keeps getinfo in its
        // error handler and removes `debug` from the globals before any script runs.
        let lua = unsafe {
            Lua::unsafe_new_with(
                StdLib::TABLE | StdLib::STRING | StdLib::MATH | StdLib::DEBUG,
                LuaOptions::new(),
            )
        };
        let g = lua.globals();
        // Base functions Redis does not load at all (its base library predates them or they
        // come from the package library).
        for name in ["module", "require", "package"] {
            g.raw_set(name, Value::Nil)?;
        }
        super::lib::register_all(&lua)?;
        let log = Arc::new(api::LogLines::default());
        let rand = Arc::new(AtomicU64::new(api::RAND48_INITIAL));
        api::register(&lua, &log, &rand)?;
        let slot: Table = lua.named_registry_value(api::SLOT)?;
        super::run::register(&lua, &slot)?;
        let errtext = lua.create_function(|lua, v: Value| api::error_text(lua, &v))?;
        let (globals, invoke): (Table, Function) =
            lua.load(PRELUDE).set_name("=lode").call(errtext)?;
        Ok(Vm {
            lua,
            globals,
            invoke,
            slot,
            scripts: ScriptCache::default(),
            scripts_mem: 0,
            log,
            rand,
            runs: AtomicU64::new(0),
            call_buf: std::cell::Cell::new(None),
        })
    }

    /// Bytes the Lua state holds (`used_memory_vm_eval`).
    pub fn memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// Compiles `code` (a script body without its shebang line) as Redis names user scripts.
    pub fn compile(&self, code: &[u8], name: &str) -> Result<Function, String> {
        self.lua
            .load(code)
            .set_name(name)
            // Precompiled bytecode is never loaded: Lua 5.1 does not verify it.
            .set_mode(mlua::ChunkMode::Text)
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })
    }
}
