//! The libraries and their functions (functions.c's functionsLibCtx): every library by name,
//! every function by its name (case-insensitive, as FCALL finds them), the per-engine counts
//! FUNCTION STATS shows, and the rules by which a library joins: a library name taken fails
//! (or replaces, with REPLACE), a function name taken by another library always fails, and a
//! failure leaves everything as it was.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use crate::scripting::shebang::ScriptFlags;

/// One function a library registered.
#[derive(Clone)]
pub struct Func {
    /// Its name, as registered.
    pub name: String,
    /// Its description, if it was given one.
    pub desc: Option<Bytes>,
    /// Its flags.
    pub flags: ScriptFlags,
    /// The Lua function FCALL calls (in the functions VM).
    pub callback: mlua::Function,
}

/// A library: its name, its code as loaded (the metadata line included) and its functions in
/// the order they were registered.
#[derive(Clone)]
pub struct Library {
    /// Its name.
    pub name: String,
    /// Its whole code, as FUNCTION LOAD received it.
    pub code: Bytes,
    /// Its functions.
    pub functions: Vec<std::sync::Arc<Func>>,
}

impl Library {
    /// Bytes this library's bookkeeping takes (`used_memory_functions`' share).
    fn memory(&self) -> usize {
        let funcs: usize = self
            .functions
            .iter()
            .map(|f| 64 + f.name.len() + f.desc.as_ref().map_or(0, |d| d.len()))
            .sum();
        96 + self.name.len() + self.code.len() + funcs
    }
}

/// Every library loaded.
#[derive(Clone, Default)]
pub struct Catalog {
    libraries: BTreeMap<String, Library>,
    /// Lowercase function name → the library that registered it.
    index: HashMap<String, String>,
    functions: usize,
    memory: usize,
}

impl Catalog {
    /// The library named `name` (case-sensitive, as Redis's library dictionary).
    pub fn library(&self, name: &str) -> Option<&Library> {
        self.libraries.get(name)
    }

    /// Every library, by name.
    pub fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    /// The function FCALL names (case-insensitive).
    pub fn function(&self, name: &[u8]) -> Option<&std::sync::Arc<Func>> {
        // FCALL looks its function up on every call: lowercased without allocating.
        let lower: smallvec::SmallVec<[u8; 64]> = name.iter().map(u8::to_ascii_lowercase).collect();
        let key = std::str::from_utf8(&lower).ok()?;
        let lib = self.libraries.get(self.index.get(key)?)?;
        lib.functions
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(key))
    }

    /// Libraries loaded.
    pub fn library_count(&self) -> usize {
        self.libraries.len()
    }

    /// Functions registered (as Redis counts them: every function of every library).
    pub fn function_count(&self) -> usize {
        self.functions
    }

    /// Bytes of the libraries' bookkeeping (`used_memory_functions`).
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Whether another library registered a function of this name.
    fn taken(&self, name: &str) -> bool {
        self.index.contains_key(&name.to_ascii_lowercase())
    }

    fn link(&mut self, lib: Library) {
        for f in &lib.functions {
            // Two names of one library that differ only in case: the first stays reachable,
            // as Redis's dictAdd keeps the first.
            self.index
                .entry(f.name.to_ascii_lowercase())
                .or_insert_with(|| lib.name.clone());
        }
        self.functions += lib.functions.len();
        self.memory += lib.memory();
        self.libraries.insert(lib.name.clone(), lib);
    }

    /// Removes the library `name` and its functions; returns it.
    pub fn unlink(&mut self, name: &str) -> Option<Library> {
        let lib = self.libraries.remove(name)?;
        for f in &lib.functions {
            let key = f.name.to_ascii_lowercase();
            if self.index.get(&key) == Some(&lib.name) {
                self.index.remove(&key);
            }
        }
        self.functions -= lib.functions.len();
        self.memory -= lib.memory();
        Some(lib)
    }

    /// Adds a library just created (FUNCTION LOAD, a library read from an RDB file): it
    /// replaces a library of the same name only when `replace`. Errors are Redis's messages
    /// (without "ERR "); on error nothing changed.
    pub fn add(&mut self, lib: Library, replace: bool) -> Result<(), String> {
        let old = match self.libraries.contains_key(&lib.name) {
            true if !replace => {
                return Err(format!("Library '{}' already exists", lib.name));
            }
            true => self.unlink(&lib.name),
            false => None,
        };
        if let Some(f) = lib.functions.iter().find(|f| self.taken(&f.name)) {
            let msg = format!("Function {} already exists", f.name);
            if let Some(old) = old {
                self.link(old);
            }
            return Err(msg);
        }
        self.link(lib);
        Ok(())
    }

    /// Moves every library of `other` in (FUNCTION RESTORE APPEND or REPLACE): a library name
    /// already loaded fails unless `replace`, which replaces it; a function name another
    /// library holds fails. Errors are Redis's messages; on error nothing changed.
    pub fn join(&mut self, other: Catalog, replace: bool) -> Result<(), String> {
        let mut replaced = Vec::new();
        let mut failure = None;
        for name in other.libraries.keys() {
            if self.libraries.contains_key(name) {
                if !replace {
                    failure = Some(format!("Library {name} already exists"));
                    break;
                }
                replaced.extend(self.unlink(name));
            }
        }
        if failure.is_none() {
            failure = other
                .libraries
                .values()
                .flat_map(|l| l.functions.iter())
                .find(|f| self.taken(&f.name))
                .map(|f| format!("Function {} already exists", f.name));
        }
        if let Some(msg) = failure {
            for lib in replaced {
                self.link(lib);
            }
            return Err(msg);
        }
        for (_, lib) in other.libraries {
            self.link(lib);
        }
        Ok(())
    }
}
