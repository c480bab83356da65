//! Start-up loading of the AOF: the manifest's base and incremental files in order, or a
//! legacy single-file AOF; a torn tail of the last file is cut off (`aof-load-truncated`),
//! anything else wrong stops the server.

use std::path::Path;
use std::time::Instant;

use lode_core::persistence::aof::{replay, ReplayError};
use lode_core::util::os_error::strerror;
use lode_core::{Now, Server};

use super::files::AofFiles;
use crate::log::{self, LogLevel};

/// Loads the AOF into `server`'s empty dataset. Returns the directory (its manifest, if the
/// AOF existed). Err: the message to exit with.
pub fn load(server: &Server, now: Now) -> Result<AofFiles, String> {
    let (dir, prefix, truncate_ok) = {
        let c = server.config.read();
        (
            c.appenddirname.clone(),
            c.appendfilename.clone(),
            c.aof_load_truncated,
        )
    };
    let (mut files, exists) = AofFiles::open(&dir, &prefix)?;
    if exists {
        files.finish_upgrade(Path::new(&prefix))?;
    } else {
        let legacy = Path::new(&prefix);
        if !legacy.is_file() {
            log::line(
                LogLevel::Notice,
                "The AOF directory does not exist or is empty: starting with an empty dataset",
            );
            return Ok(files);
        }
        log::line(
            LogLevel::Notice,
            &format!("Loading the old single-file AOF {prefix} and moving it into {dir}"),
        );
        files.adopt_legacy(legacy)?;
    }
    let order = files.load_order();
    let started = Instant::now();
    for (i, f) in order.iter().enumerate() {
        let last = i + 1 == order.len();
        let path = files.path(&f.name);
        let bytes = std::fs::read(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "The append log file {} doesn't exist: {}",
                    f.name,
                    strerror(&e)
                )
            } else {
                format!(
                    "Fatal error: can't open the append log file {} for reading: {}",
                    f.name,
                    strerror(&e)
                )
            }
        })?;
        let done = match replay(server, &bytes, now, truncate_ok && last) {
            Ok(d) => d,
            Err(ReplayError::UnexpectedEnd) => {
                return Err(format!(
                    "Unexpected end of file reading the append only file {}. You can: 1) Make a \
                     backup of your AOF file, then use ./redis-check-aof --fix \
                     <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' \
                     configuration option to yes and restart the server.",
                    f.name
                ));
            }
            Err(ReplayError::UnknownCommand(name)) => {
                return Err(format!(
                    "Unknown command '{name}' reading the append only file {}",
                    f.name
                ));
            }
            Err(e) => {
                return Err(format!(
                    "Bad file format reading the append only file {}: {e}. Make a backup of \
                     your AOF file, then use ./redis-check-aof --fix <filename.manifest>",
                    f.name
                ));
            }
        };
        if done.truncated {
            log::line(
                LogLevel::Warning,
                &format!(
                    "!!! Warning: short read while loading the AOF file {}!!!",
                    f.name
                ),
            );
            log::line(
                LogLevel::Warning,
                &format!(
                    "!!! Truncating the AOF {} at offset {} !!!",
                    f.name, done.valid_len
                ),
            );
            let cut = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|file| {
                    file.set_len(done.valid_len as u64)?;
                    file.sync_all()
                });
            if let Err(e) = cut {
                return Err(format!(
                    "Error truncating the AOF file {}: {}",
                    f.name,
                    strerror(&e)
                ));
            }
            log::line(
                LogLevel::Warning,
                &format!(
                    "AOF {} loaded anyway because aof-load-truncated is enabled",
                    f.name
                ),
            );
        }
        let kind = if i == 0 && files.manifest.base.is_some() {
            "base"
        } else {
            "incr"
        };
        log::line(
            LogLevel::Notice,
            &format!(
                "DB loaded from {kind} file {}: {:.3} seconds",
                f.name,
                started.elapsed().as_secs_f64()
            ),
        );
    }
    Ok(files)
}
