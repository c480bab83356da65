//! Files the server writes whole: a temp file in the target's directory, fsynced, renamed over
//! the target and the directory fsynced, so a crash leaves the old file or the new one, never
//! half of one (Redis saves dump.rdb and rewrites its config file the same way).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use lode_core::host::FileSink;
use lode_core::util::os_error::strerror;

/// Buffer between the snapshot's chunks and the file.
const WRITE_BUFFER: usize = 1 << 20;

/// Distinguishes temp files of one process.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// A file being written under a temp name (see the module docs).
pub struct AtomicFile {
    out: Option<BufWriter<File>>,
    tmp: PathBuf,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`. The temp file is `temp-<pid>-<n>.<ext>` beside it, named as
    /// Redis names its own (`temp-<pid>.rdb`) so tools that clean those up find it.
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().into_owned())
            .unwrap_or_else(|| "tmp".into());
        let tmp = dir.join(format!(
            "temp-{}-{}.{ext}",
            std::process::id(),
            TEMP_SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let f = File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            // Keep the original file's permissions (a config file may hold a password).
            let _ = f.set_permissions(meta.permissions());
        }
        Ok(AtomicFile {
            out: Some(BufWriter::with_capacity(WRITE_BUFFER, f)),
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// Appends `bytes`.
    pub fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.out {
            Some(w) => w.write_all(bytes),
            None => Err(std::io::Error::other("file already committed")),
        }
    }

    /// Flushes, fsyncs, renames over the target and fsyncs the directory.
    pub fn commit(mut self) -> std::io::Result<()> {
        let Some(w) = self.out.take() else {
            return Err(std::io::Error::other("file already committed"));
        };
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&self.tmp, &self.path)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not committed: the temp file goes.
        if self.out.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl FileSink for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.write_all(bytes).map_err(|e| strerror(&e))
    }

    fn commit(self: Box<Self>) -> Result<(), String> {
        AtomicFile::commit(*self).map_err(|e| strerror(&e))
    }
}

/// Replaces `path` with `bytes` atomically.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// The contents of `path`, or None if it does not exist.
pub fn read_optional(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appears_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("lode-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("dump.rdb");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"half").unwrap();
        assert!(!path.exists());
        drop(f);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "temp file removed"
        );
        write_atomically(&path, b"whole").unwrap();
        assert_eq!(
            read_optional(&path).unwrap().as_deref(),
            Some(&b"whole"[..])
        );
        assert_eq!(read_optional(&dir.join("none")).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
