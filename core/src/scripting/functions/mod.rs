//! Redis 7.0 functions: libraries of Lua functions loaded with FUNCTION LOAD, called with
//! FCALL and FCALL_RO, kept in a VM of their own (functions.c, function_lua.c).
//!
//! - [`meta`]: a library's metadata line and the naming rule;
//! - [`library`]: the libraries and functions loaded, and how a library joins them;
//! - [`engine`]: the functions VM and the run of a library's code at load time;
//! - [`payload`]: the saved forms (RDB entries, FUNCTION DUMP's payload, AOF commands);
//! - [`commands`]: FUNCTION's subcommands, FCALL and FCALL_RO.
//!
//! Two locks: the engine's (the VM, held while a library loads and while a function runs) and
//! the catalog's (the libraries, held briefly). The engine's is taken first when both are
//! held; code that runs while a function runs (a FLUSHALL it calls saves the functions) takes
//! only the catalog's. FUNCTION STATS, which may run while a function runs, takes neither.

pub mod commands;
pub mod engine;
pub mod library;
pub mod meta;
pub mod payload;
#[cfg(all(test, not(loom)))]
mod tests;

use bytes::Bytes;

use self::engine::Engine;
use self::library::{Catalog, Library};
use crate::server::Server;
use crate::sync::{AtomicUsize, Mutex, MutexGuard, Ordering};

/// The function running now, as FUNCTION STATS shows it.
#[derive(Clone)]
pub struct Running {
    /// The function's name.
    pub name: String,
    /// The FCALL or FCALL_RO that runs it.
    pub argv: Vec<Bytes>,
    /// When it started (the host's monotonic clock, µs).
    pub started_us: u64,
}

/// How FUNCTION RESTORE treats the libraries already loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Drop them all first.
    Flush,
    /// Keep them; a library name in both fails the restore.
    Append,
    /// Keep them; a library in both is replaced by the payload's.
    Replace,
}

/// The functions of a server.
#[derive(Default)]
pub struct Functions {
    /// The functions VM, built on first use.
    engine: Mutex<Option<Engine>>,
    /// The libraries loaded.
    catalog: Mutex<Catalog>,
    /// The function running now.
    running: Mutex<Option<Running>>,
    /// Figures INFO shows, readable while a function runs.
    libraries: AtomicUsize,
    functions: AtomicUsize,
    vm_memory: AtomicUsize,
    memory: AtomicUsize,
}

impl Functions {
    /// Runs `f` with the engine, building it first if needed. The error is the reply line.
    pub fn with_engine<R>(&self, f: impl FnOnce(&Engine) -> R) -> Result<R, String> {
        let mut guard = self.engine.lock();
        if guard.is_none() {
            *guard =
                Some(Engine::new().map_err(|e| format!("ERR could not create the Lua VM: {e}"))?);
        }
        let engine = guard.as_ref().ok_or_else(|| "ERR no Lua VM".to_string())?;
        let r = f(engine);
        self.vm_memory.store(engine.vm.memory(), Ordering::Relaxed);
        Ok(r)
    }

    /// The libraries loaded (FUNCTION LIST, DUMP, FCALL's lookup). Do not hold it while taking
    /// the engine.
    pub fn catalog(&self) -> MutexGuard<'_, Catalog> {
        self.catalog.lock()
    }

    /// Publishes the catalog's figures for INFO.
    fn settle(&self, catalog: &Catalog) {
        self.libraries
            .store(catalog.library_count(), Ordering::Relaxed);
        self.functions
            .store(catalog.function_count(), Ordering::Relaxed);
        self.memory.store(catalog.memory(), Ordering::Relaxed);
    }

    /// FUNCTION LOAD: creates the library `code` defines and adds it (replacing a library of
    /// the same name only when `replace`), stopping its code after `timeout_ms` (0: never).
    /// Returns the library's name; the error is the reply line.
    pub fn load(
        &self,
        server: &Server,
        code: &Bytes,
        replace: bool,
        timeout_ms: u64,
    ) -> Result<String, String> {
        self.with_engine(|engine| {
            let lib = create(server, engine, code, timeout_ms, |name| {
                let catalog = self.catalog.lock();
                match catalog.library(name) {
                    Some(_) if !replace => Err(format!("Library '{name}' already exists")),
                    _ => Ok(()),
                }
            })?;
            let name = lib.name.clone();
            let mut catalog = self.catalog.lock();
            catalog.add(lib, replace)?;
            self.settle(&catalog);
            Ok(name)
        })
        .and_then(|r| r.map_err(|e: String| format!("ERR {e}")))
    }

    /// A library read from an RDB file: added, replacing one of the same name only when
    /// `replace` (DEBUG RELOAD MERGE, an AOF's RDB preamble). The error is Redis's message.
    pub fn load_from_rdb(&self, server: &Server, code: &[u8], replace: bool) -> Result<(), String> {
        let code = Bytes::copy_from_slice(code);
        self.with_engine(|engine| {
            let lib = create(server, engine, &code, 0, |name| {
                match self.catalog.lock().library(name) {
                    Some(_) if !replace => Err(format!("Library '{name}' already exists")),
                    _ => Ok(()),
                }
            })?;
            let mut catalog = self.catalog.lock();
            catalog.add(lib, replace)?;
            self.settle(&catalog);
            Ok(())
        })?
    }

    /// FUNCTION DELETE. The error is the reply line.
    pub fn delete(&self, name: &[u8]) -> Result<(), String> {
        let mut catalog = self.catalog.lock();
        let name = String::from_utf8_lossy(name);
        let lib = catalog
            .unlink(&name)
            .ok_or_else(|| "ERR Library not found".to_string())?;
        self.settle(&catalog);
        drop(catalog);
        drop(lib);
        Ok(())
    }

    /// FUNCTION FLUSH (and what empties the dataset with its functions: DEBUG RELOAD, DEBUG
    /// LOADAOF).
    pub fn flush(&self) {
        let old = {
            let mut catalog = self.catalog.lock();
            let old = std::mem::take(&mut *catalog);
            self.settle(&catalog);
            old
        };
        drop(old);
    }

    /// FUNCTION RESTORE of a payload whose footer was verified: every library in it is created
    /// first, then they join the loaded ones as `policy` says; on error nothing changed. The
    /// error is the reply line.
    pub fn restore(&self, server: &Server, payload: &[u8], policy: Policy) -> Result<(), String> {
        let restored = self
            .with_engine(|engine| {
                let mut fresh = Catalog::default();
                payload::read_restore(payload, |code| {
                    let code = Bytes::from(code);
                    let lib = create(server, engine, &code, 0, |name| match fresh.library(name) {
                        Some(_) => Err(format!("Library '{name}' already exists")),
                        None => Ok(()),
                    })?;
                    fresh.add(lib, false)
                })
                .map(|()| fresh)
            })?
            .map_err(|e| format!("ERR {e}"))?;
        let mut catalog = self.catalog.lock();
        let old = match policy {
            Policy::Flush => std::mem::replace(&mut *catalog, restored),
            Policy::Append | Policy::Replace => {
                catalog
                    .join(restored, policy == Policy::Replace)
                    .map_err(|e| format!("ERR {e}"))?;
                Catalog::default()
            }
        };
        self.settle(&catalog);
        drop(catalog);
        drop(old);
        Ok(())
    }

    /// The libraries' codes, by library name.
    fn codes(&self) -> Vec<Bytes> {
        self.catalog
            .lock()
            .libraries()
            .map(|l| l.code.clone())
            .collect()
    }

    /// The functions as an RDB file holds them, before the databases (`compress`:
    /// `rdbcompression`).
    pub fn rdb_entries(&self, compress: bool) -> Vec<u8> {
        let codes = self.codes();
        payload::rdb_entries(codes.iter().map(|c| &c[..]), compress)
    }

    /// FUNCTION DUMP's payload.
    pub fn dump(&self, compress: bool) -> Vec<u8> {
        let codes = self.codes();
        payload::dump(codes.iter().map(|c| &c[..]), compress)
    }

    /// The functions as an AOF base written as commands holds them: FUNCTION LOAD each.
    pub fn aof_commands(&self) -> Vec<u8> {
        let codes = self.codes();
        payload::aof_commands(codes.iter().map(|c| &c[..]))
    }

    /// Records the function that starts running (FUNCTION STATS shows it), or that none runs.
    pub fn set_running(&self, running: Option<Running>) {
        *self.running.lock() = running;
    }

    /// The function running now.
    pub fn running(&self) -> Option<Running> {
        self.running.lock().clone()
    }

    /// Libraries loaded (`number_of_libraries`).
    pub fn library_count(&self) -> usize {
        self.libraries.load(Ordering::Relaxed)
    }

    /// Functions registered (`number_of_functions`).
    pub fn function_count(&self) -> usize {
        self.functions.load(Ordering::Relaxed)
    }

    /// Bytes the functions VM holds (`used_memory_vm_functions`).
    pub fn vm_memory(&self) -> usize {
        self.vm_memory.load(Ordering::Relaxed)
    }

    /// Bytes of the libraries' bookkeeping (`used_memory_functions`).
    pub fn memory(&self) -> usize {
        self.memory.load(Ordering::Relaxed)
    }
}

/// Creates the library `code` defines (functionsCreateWithLibraryCtx up to the join): its
/// metadata, its name, its engine, `may_add` (whether a library of its name may be added:
/// checked before the code runs, as Redis checks), then its code, run to register its
/// functions. The error is Redis's message without "ERR ".
fn create(
    server: &Server,
    engine: &Engine,
    code: &Bytes,
    timeout_ms: u64,
    may_add: impl FnOnce(&str) -> Result<(), String>,
) -> Result<Library, String> {
    let md = meta::parse(code)?;
    if !meta::valid_name(&md.name) {
        return Err(meta::BAD_NAME.into());
    }
    if !md.engine.eq_ignore_ascii_case(b"lua") {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&md.engine)
        ));
    }
    let name = String::from_utf8_lossy(&md.name).into_owned();
    may_add(&name)?;
    let functions = engine.create(server, &code[md.body_at..], timeout_ms)?;
    if functions.is_empty() {
        return Err("No functions registered".into());
    }
    Ok(Library {
        name,
        code: code.clone(),
        functions: functions.into_iter().map(std::sync::Arc::new).collect(),
    })
}
