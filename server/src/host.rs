//! `LodeHost`: what the core may ask of the process (docs/ARCHITECTURE.md: the core never does I/O).
//!
//! Each `Host` method is a thin adapter over a piece of `HostShared` (the shutdown channel
//! the main thread waits on, the config file path, the transport's control handle) or over
//! a system call in `sys`. A new `Host` method gets a field here if it needs state, and a
//! short impl below.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, OnceLock};

use lode_core::config::Config;
use lode_core::host::{ApplyError, FileSink};
use lode_core::server::{CpuInfo, Host, MemoryInfo, ProcessInfo, ShutdownOptions};
use lode_core::util::os_error::strerror;
use parking_lot::Mutex;

use crate::listen::{rebind_tcp, rebind_tls, ListenConfig, TcpControl};
use crate::log::{self, LogLevel};
use crate::{sys, tls};

/// Why the main thread should stop the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// SIGTERM or SIGINT (the signal number).
    Signal(i32),
    /// The SHUTDOWN command.
    Command,
}

/// State shared between the host handle given to the core and the main thread.
pub struct HostShared {
    /// Wakes the main thread to shut down.
    pub shutdown: Mutex<Sender<Shutdown>>,
    /// The absolute path of the config file, if the server was started with one.
    pub config_file: Option<PathBuf>,
    /// The transport's listener control, set once it is running (CONFIG SET port/bind).
    pub control: OnceLock<Box<dyn TcpControl>>,
    /// The listener settings the TCP listeners were last bound from (a failed rebind's
    /// fallback).
    pub listen: Mutex<ListenConfig>,
    /// The TLS configuration new TLS clients get, once TLS is configured.
    pub tls: Mutex<Option<lode_tls::Acceptor>>,
    /// Bytes allocated once the server was up (INFO used_memory_startup).
    pub startup_allocated: AtomicU64,
    /// `uname` text, read once.
    pub os: String,
    /// The running AOF writer (`appendonly yes`).
    pub aof: Mutex<Option<Arc<crate::aof::Aof>>>,
    /// The server, once created (for what the host starts on its behalf, such as the AOF
    /// writer when `appendonly` is turned on).
    pub server: OnceLock<std::sync::Weak<lode_core::Server>>,
    /// The origin of `Host::monotonic_us`.
    pub clock_origin: quanta::Instant,
    /// The TSC-calibrated clock behind `monotonic_us` (CLOCK_MONOTONIC where the TSC is not
    /// usable).
    pub clock: quanta::Clock,
    /// The lazyfree thread (`Host::free_in_background`).
    pub freer: crate::lazyfree::Freer,
}

impl HostShared {
    /// Shared host state for a server started with `config_file`.
    pub fn new(
        shutdown: Sender<Shutdown>,
        config_file: Option<PathBuf>,
        listen: ListenConfig,
    ) -> Self {
        let clock = quanta::Clock::new();
        HostShared {
            shutdown: Mutex::new(shutdown),
            config_file,
            control: OnceLock::new(),
            listen: Mutex::new(listen),
            tls: Mutex::new(None),
            startup_allocated: AtomicU64::new(0),
            os: sys::os_name(),
            aof: Mutex::new(None),
            server: OnceLock::new(),
            clock_origin: clock.now(),
            clock,
            freer: Default::default(),
        }
    }
}

/// The host the core talks to.
#[derive(Clone)]
pub struct LodeHost(pub Arc<HostShared>);

impl LodeHost {
    /// CONFIG SET of a `tls-*` option (or `tls-port` while TLS is not configured yet):
    /// builds the new TLS configuration and gives it to new connections. Nothing changes if
    /// it does not load (the reason is logged), as Redis's `applyTlsCfg`.
    fn reload_tls(&self, names: &[&str], config: &Config) -> Result<(), String> {
        let options_changed = names.iter().any(|n| tls::is_tls_option(n));
        let mut slot = self.0.tls.lock();
        let port_needs_it = names.contains(&"tls-port") && slot.is_none();
        if !(options_changed || port_needs_it) || !tls::wanted(config) {
            return Ok(());
        }
        let cfg = tls::server_config(config).ok_or_else(|| tls::RELOAD_FAILED.to_string())?;
        match &*slot {
            Some(acceptor) => acceptor.replace(cfg),
            None => *slot = Some(lode_tls::Acceptor::new(cfg)),
        }
        Ok(())
    }

    /// CONFIG SET port, tls-port or bind: rebinds the listeners they concern (both kinds
    /// for `bind`, as Redis's `changeBindAddr`); a failure leaves the old ones bound.
    fn rebind(&self, names: &[&str], config: &Config) -> Result<(), String> {
        let has = |n: &str| names.contains(&n);
        let Some(control) = self.0.control.get() else {
            return Ok(());
        };
        let control = control.as_ref();
        let mut listen = self.0.listen.lock();
        let new = listen_config(config);
        let failed = |port: bool| -> String {
            if port {
                "Unable to listen on this port. Check server logs.".into()
            } else {
                "Failed to bind to specified addresses.".into()
            }
        };
        let plain = has("port") || has("bind");
        if plain && rebind_tcp(control, &listen, &new).is_err() {
            return Err(failed(has("port")));
        }
        if has("tls-port") || (has("bind") && new.tls_port != 0) {
            let acceptor = self.0.tls.lock().clone();
            let bound = match &acceptor {
                Some(acceptor) => rebind_tls(control, &listen, &new, acceptor),
                None => {
                    control.close_tls();
                    Ok(())
                }
            };
            if bound.is_err() {
                if plain {
                    let _ = rebind_tcp(control, &new, &listen);
                }
                return Err(failed(has("tls-port")));
            }
        }
        *listen = new;
        Ok(())
    }

    /// CONFIG SET appendonly: starts the AOF with a rewrite of the dataset, or stops it after
    /// writing out and fsyncing what it has.
    fn switch_aof(&self, on: bool) -> Result<(), String> {
        let Some(server) = self.0.server.get().and_then(|w| w.upgrade()) else {
            return Err("the server is not running".into());
        };
        let mut slot = self.0.aof.lock();
        match (on, slot.is_some()) {
            (true, false) => {
                let (dir, prefix) = {
                    let c = server.config.read();
                    (c.appenddirname.clone(), c.appendfilename.clone())
                };
                let files = crate::aof::files::AofFiles::open(&dir, &prefix)?.0;
                *slot = Some(crate::aof::Aof::start(&server, files, true)?);
            }
            (false, true) => {
                if let Some(aof) = slot.take() {
                    aof.stop(&server);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The listener settings in `config`.
pub fn listen_config(config: &Config) -> ListenConfig {
    ListenConfig {
        bind: config.bind.clone(),
        port: config.port,
        tls_port: tls::port(config),
        unixsocket: config.unixsocket.clone(),
        unixsocketperm: config.unixsocketperm,
        backlog: config.tcp_backlog,
    }
}

impl Host for LodeHost {
    fn shutdown(&self, opts: &ShutdownOptions) -> Result<(), String> {
        if opts.abort {
            return Err("ERR No shutdown in progress.".into());
        }
        self.0
            .shutdown
            .lock()
            .send(Shutdown::Command)
            .map_err(|_| "ERR Errors trying to SHUTDOWN. Check logs.".to_string())
    }

    fn rewrite_config(&self, lines: &[String]) -> Result<(), String> {
        let Some(path) = &self.0.config_file else {
            return Err("ERR The server is running without a config file".into());
        };
        let old = match std::fs::read(path) {
            Ok(b) => b,
            // A config file deleted meanwhile is recreated, as Redis does.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(format!("ERR Rewriting config file: {}", strerror(&e))),
        };
        let text = merge_config(&old, lines);
        crate::files::write_atomically(path, text.as_bytes()).map_err(|e| {
            log::line(
                LogLevel::Warning,
                &format!("CONFIG REWRITE failed: {}", strerror(&e)),
            );
            format!("ERR Rewriting config file: {}", strerror(&e))
        })?;
        log::line(LogLevel::Notice, "CONFIG REWRITE executed with success.");
        Ok(())
    }

    fn log(&self, message: &str) {
        log::line(LogLevel::Warning, message);
    }

    fn create_file(&self, path: &str) -> Result<Box<dyn FileSink>, String> {
        crate::files::AtomicFile::create(Path::new(path))
            .map(|f| Box::new(f) as Box<dyn FileSink>)
            .map_err(|e| strerror(&e))
    }

    fn rewrite_aof(
        &self,
        server: &lode_core::Server,
        job: lode_core::persistence::aof::RewriteJob,
    ) -> Result<(), String> {
        let aof = self.0.aof.lock().clone();
        crate::aof::rewrite(server, aof.as_deref(), job)
    }

    fn migrate(
        &self,
        req: &lode_core::keyspace::commands::migrate::MigrateRequest,
    ) -> Result<(), String> {
        crate::migrate::migrate(req)
    }

    fn migrate_cached_sockets(&self) -> u64 {
        crate::migrate::cached_sockets()
    }

    fn flush_aof(&self) -> Result<(), String> {
        match self.0.aof.lock().clone() {
            Some(aof) => aof.flush(),
            None => Ok(()),
        }
    }

    fn load_aof(&self, server: &lode_core::Server) -> Result<(), String> {
        crate::aof::load::load(server, lode_transport_tokio::now()).map(|_| ())
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        crate::sys::random_bytes(buf);
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        crate::files::read_optional(Path::new(path)).map_err(|e| strerror(&e))
    }

    fn config_changed(&self, names: &[&str], config: &Config) -> Result<(), ApplyError> {
        let has = |n: &str| names.contains(&n);
        // Fallible changes first, each undone if a later one fails, so a failed CONFIG SET
        // leaves the process as it was.
        let old_cwd = std::env::current_dir().ok();
        if has("dir") {
            std::env::set_current_dir(&config.dir).map_err(|e| ApplyError {
                param: "dir",
                message: strerror(&e),
            })?;
        }
        let undo_dir = || {
            if let (true, Some(d)) = (has("dir"), &old_cwd) {
                let _ = std::env::set_current_dir(d);
            }
        };
        if has("maxclients") {
            let fits = sys::fit_open_files(config.maxclients as u64);
            if fits < config.maxclients as u64 {
                undo_dir();
                return Err(ApplyError {
                    param: "maxclients",
                    message: format!(
                        "The operating system is not able to handle the specified number of clients, try with {fits}"
                    ),
                });
            }
        }
        if has("jemalloc-bg-thread") {
            sys::set_jemalloc_bg_thread(!matches!(
                config.other.get("jemalloc-bg-thread"),
                Some(lode_core::config::value::ConfigValue::Bool(false))
            ));
        }
        if let Err(message) = self.reload_tls(names, config) {
            undo_dir();
            let param = names
                .iter()
                .find(|n| tls::is_tls_option(n))
                .and_then(|n| lode_core::config::params::lookup(n))
                .map_or("tls-port", |p| p.name);
            return Err(ApplyError { param, message });
        }
        if has("port") || has("bind") || has("tls-port") {
            if let Err(message) = self.rebind(names, config) {
                undo_dir();
                let param = ["port", "tls-port", "bind"]
                    .into_iter()
                    .find(|p| has(p))
                    .unwrap_or("bind");
                return Err(ApplyError { param, message });
            }
        }
        if has("appendonly") {
            if let Err(message) = self.switch_aof(config.appendonly) {
                undo_dir();
                return Err(ApplyError {
                    param: "appendonly",
                    message,
                });
            }
        }
        if has("loglevel") {
            if let Some(level) = LogLevel::parse(&config.loglevel) {
                log::set_level(level);
            }
        }
        Ok(())
    }

    fn memory(&self) -> MemoryInfo {
        sys::memory(self.0.startup_allocated.load(Ordering::Relaxed))
    }

    fn used_memory(&self) -> u64 {
        crate::alloc::used()
    }

    fn cpu(&self) -> CpuInfo {
        sys::cpu()
    }

    fn process(&self) -> ProcessInfo {
        let file = self
            .0
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        sys::process(&file, &self.0.os)
    }

    fn script_busy(&self) {
        if let Some(control) = self.0.control.get() {
            control.rescue();
        }
    }

    fn monotonic_us(&self) -> u64 {
        // Read twice per command (and twice per command a script runs): the TSC through quanta
        // costs a few nanoseconds where CLOCK_MONOTONIC through the vDSO costs tens.
        self.0
            .clock
            .now()
            .duration_since(self.0.clock_origin)
            .as_micros() as u64
    }

    fn free_in_background(&self, garbage: Box<dyn Send>) {
        self.0.freer.free(garbage);
    }

    fn sleep(&self, duration: std::time::Duration) {
        // Called by the effect runner, which holds the exec gate exclusively meanwhile: every
        // command stalls, as Redis's only thread sleeps.
        std::thread::sleep(duration);
    }
}

/// The parameter a config line sets, by canonical name, if it is one.
fn param_of(line: &[u8]) -> Option<&'static str> {
    let words = lode_core::util::split_args::split_args(line)?;
    let first = String::from_utf8_lossy(words.first()?).to_ascii_lowercase();
    // `user` lines are CONFIG REWRITE's too: it writes every ACL user (or none with an aclfile).
    if first == "user" {
        return Some("user");
    }
    lode_core::config::params::lookup(&first).map(|p| p.name)
}

/// The signature line Redis writes above the directives CONFIG REWRITE appends.
const REWRITE_SIGNATURE: &str = "# Generated by CONFIG REWRITE";

/// Merges `lines` (the directives of every non-default parameter) into the old file: the
/// first line of a parameter becomes its new line(s), its other lines go, lines of known
/// parameters not in `lines` go (they are back to their defaults), comments and everything
/// else stay; parameters the file did not mention are appended at the end, under Redis's
/// signature line unless the file has it already.
pub fn merge_config(old: &[u8], lines: &[String]) -> String {
    let param_name = |l: &String| param_of(l.as_bytes()).unwrap_or("");
    let mut out: Vec<String> = Vec::new();
    let mut emitted: std::collections::HashSet<&'static str> = Default::default();
    let text = String::from_utf8_lossy(old);
    let mut old_lines: Vec<&str> = text.split('\n').collect();
    if old_lines.last() == Some(&"") {
        old_lines.pop();
    }
    let mut needs_signature = true;
    for raw in old_lines {
        let trimmed = raw.trim_matches([' ', '\t', '\r']);
        if trimmed == REWRITE_SIGNATURE {
            needs_signature = false;
        }
        let param = if trimmed.starts_with('#') {
            None
        } else {
            param_of(trimmed.as_bytes())
        };
        match param {
            None => out.push(raw.to_string()),
            Some(p) => {
                if emitted.insert(p) {
                    out.extend(lines.iter().filter(|l| param_name(l) == p).cloned());
                }
            }
        }
    }
    let rest: Vec<&String> = lines
        .iter()
        .filter(|l| !emitted.contains(param_name(l)))
        .collect();
    if !rest.is_empty() {
        if needs_signature {
            out.push(REWRITE_SIGNATURE.to_string());
        }
        out.extend(rest.into_iter().cloned());
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::merge_config;

    #[test]
    fn rewrite_keeps_comments_and_replaces_in_place() {
        let old = b"# my server\nport 7000\ninclude other.conf\nmaxmemory 1mb\nsave 900 1\nsave 300 10\n\n# end\n";
        let lines = vec![
            "port 7001".to_string(),
            "save 60 5".to_string(),
            "save 30 50".to_string(),
            "hz 20".to_string(),
        ];
        assert_eq!(
            merge_config(old, &lines),
            "# my server\nport 7001\ninclude other.conf\nsave 60 5\nsave 30 50\n\n# end\n\
             # Generated by CONFIG REWRITE\nhz 20\n"
        );
    }

    #[test]
    fn rewrite_twice_is_stable() {
        let lines = vec!["hz 20".to_string()];
        let once = merge_config(b"port 7000\n", &lines);
        assert_eq!(once, "# Generated by CONFIG REWRITE\nhz 20\n");
        assert_eq!(merge_config(once.as_bytes(), &lines), once);
    }
}
