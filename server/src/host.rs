//! `LodeHost`: what the core may ask of the process (DESIGN.md §2: the core never does I/O).
//!
//! Each `Host` method is a thin adapter over a piece of `HostShared`: the shutdown channel
//! the main thread waits on, the config file path, the log. A new `Host` method gets a
//! field here if it needs state, and a one-line impl below.

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::Arc;

use lode_core::server::Host;
use parking_lot::Mutex;

use crate::log::{self, LogLevel};

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
}

/// The host the core talks to.
#[derive(Clone)]
pub struct LodeHost(pub Arc<HostShared>);

impl Host for LodeHost {
    fn request_shutdown(&self) -> Result<(), String> {
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
        rewrite_file(path, lines).map_err(|e| {
            let msg = format!(
                "CONFIG REWRITE failed: {}",
                lode_transport_tokio::strerror(&e)
            );
            log::line(LogLevel::Warning, &msg);
            format!(
                "ERR Rewriting config file: {}",
                lode_transport_tokio::strerror(&e)
            )
        })
    }

    fn log(&self, message: &str) {
        log::line(LogLevel::Warning, message);
    }
}

/// Replaces the config file atomically: a temp file in the same directory, fsynced, renamed
/// over the old one, so a crash leaves either the old or the new file, never half of one.
fn rewrite_file(path: &std::path::Path, lines: &[String]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            // Keep the original file's permissions (it may hold a password).
            f.set_permissions(meta.permissions())?;
        }
        let mut text = lines.join("\n");
        text.push('\n');
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
