//! Lua scripting and functions: EVAL, EVALSHA, SCRIPT, FUNCTION, FCALL, run on one Lua 5.1 VM
//! (through mlua) with Redis 7's sandbox, redis.* API and bundled libraries.
//!
//! A script runs atomically: the commands that run one are EXCLUSIVE (the session takes the
//! exec gate exclusively), so no other command runs on any thread meanwhile, whatever keys the
//! script touches. Each redis.call goes through the call boundary (`dispatch::execute`) like
//! any command, locking its own keys. What the script changes is captured and enters the
//! propagation stream as one unit (MULTI … EXEC when more than one command), as Redis 7
//! propagates scripts by their effects. See docs/ARCHITECTURE.md, "Scripting".

pub mod api;
pub mod busy;
pub mod commands;
pub mod convert;
pub mod functions;
pub mod lib;
pub mod run;
pub mod shebang;
#[cfg(test)]
mod tests;
pub mod vm;

use crate::sync::{AtomicUsize, Mutex, Ordering};

pub use busy::Busy;
pub use vm::Vm;

/// The scripting state of a server.
#[derive(Default)]
pub struct Scripting {
    /// The VM, built on first use (and again after SCRIPT FLUSH).
    vm: Mutex<Option<Vm>>,
    /// What other sessions see of the script running now.
    pub busy: Busy,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may run commands flagged noscript.
    pub deny_script_disabled: crate::sync::AtomicBool,
    /// The function libraries and their VM (kept apart from the EVAL VM: SCRIPT FLUSH leaves
    /// them).
    pub functions: functions::Functions,
    /// Figures INFO shows, kept outside the VM's lock (INFO may run inside a script).
    lua_memory: AtomicUsize,
    cached_scripts: AtomicUsize,
    scripts_memory: AtomicUsize,
}

impl Scripting {
    /// Runs `f` with the VM, building it first if needed. Errors are the VM failing to build
    /// (out of memory).
    pub fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> Result<R, String> {
        let mut guard = self.vm.lock();
        if guard.is_none() {
            *guard = Some(Vm::new().map_err(|e| format!("ERR could not create the Lua VM: {e}"))?);
        }
        let vm = guard.as_mut().ok_or_else(|| "ERR no Lua VM".to_string())?;
        let r = f(vm);
        self.lua_memory.store(vm.memory(), Ordering::Relaxed);
        self.cached_scripts
            .store(vm.scripts.len(), Ordering::Relaxed);
        self.scripts_memory.store(vm.scripts_mem, Ordering::Relaxed);
        Ok(r)
    }

    /// Drops the VM and every cached script (SCRIPT FLUSH): the next script gets a fresh one.
    pub fn flush(&self) {
        let old = self.vm.lock().take();
        drop(old);
        self.lua_memory.store(0, Ordering::Relaxed);
        self.cached_scripts.store(0, Ordering::Relaxed);
        self.scripts_memory.store(0, Ordering::Relaxed);
    }

    /// Bytes the eval VM holds (`used_memory_vm_eval`).
    pub fn lua_memory(&self) -> usize {
        self.lua_memory.load(Ordering::Relaxed)
    }

    /// Scripts in the EVAL cache (`number_of_cached_scripts`).
    pub fn cached_scripts(&self) -> usize {
        self.cached_scripts.load(Ordering::Relaxed)
    }

    /// Functions, libraries, bytes of the functions VM and of the libraries' code (INFO's
    /// `number_of_functions`, `number_of_libraries`, `used_memory_vm_functions`,
    /// `used_memory_functions`).
    pub fn functions_figures(&self) -> (u64, u64, u64, u64) {
        let f = &self.functions;
        (
            f.function_count() as u64,
            f.library_count() as u64,
            f.vm_memory() as u64,
            f.memory() as u64,
        )
    }

    /// Bytes of the cached scripts (`used_memory_scripts_eval`).
    pub fn scripts_memory(&self) -> usize {
        self.scripts_memory.load(Ordering::Relaxed)
    }
}
