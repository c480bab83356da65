//! `AofFiles`: the AOF directory on disk — the manifest, the base and incremental files —
//! and the changes made to it: opening a new incremental file, installing a rewritten base,
//! deleting what became history. Every change persists the manifest atomically before anything
//! it replaced is deleted, so a crash at any point leaves a loadable AOF.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use lode_core::persist::aof::{AofFile, FileKind, Manifest};
use lode_core::util::os_error::strerror;

use crate::files::{read_optional, write_atomically};
use crate::log::{self, LogLevel};

/// The AOF directory and its manifest.
pub struct AofFiles {
    /// `appenddirname`, relative to the working directory (Redis's `dir`).
    pub dir: PathBuf,
    /// `appendfilename`: the prefix of every file name.
    pub prefix: String,
    /// The manifest as last persisted.
    pub manifest: Manifest,
}

impl AofFiles {
    /// The directory `dir` for files named after `prefix`, with its manifest if there is one
    /// (None when the directory or its manifest does not exist yet).
    pub fn open(dir: &str, prefix: &str) -> Result<(AofFiles, bool), String> {
        let mut files = AofFiles {
            dir: PathBuf::from(dir),
            prefix: prefix.to_string(),
            manifest: Manifest::default(),
        };
        let path = files.manifest_path();
        match read_optional(&path).map_err(|e| strerror(&e))? {
            Some(text) => {
                files.manifest = Manifest::parse(&text)?;
                Ok((files, true))
            }
            None => Ok((files, false)),
        }
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join(Manifest::file_name(&self.prefix))
    }

    /// The path of a file in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The files to load, in order: the base, then the incremental files.
    pub fn load_order(&self) -> Vec<AofFile> {
        self.manifest
            .base
            .iter()
            .chain(&self.manifest.incrs)
            .cloned()
            .collect()
    }

    /// Writes the manifest (temp file, fsync, rename).
    pub fn persist(&self) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| strerror(&e))?;
        write_atomically(&self.manifest_path(), self.manifest.render().as_bytes())
            .map_err(|e| strerror(&e))
    }

    /// Starts a new incremental file, persisted in the manifest, open for appending.
    pub fn new_incr(&mut self) -> Result<(File, PathBuf), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| strerror(&e))?;
        let before = self.manifest.clone();
        let name = self.manifest.add_incr(&self.prefix);
        let path = self.path(&name);
        let file = open_append(&path).map_err(|e| strerror(&e))?;
        if let Err(e) = self.persist() {
            self.manifest = before;
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        Ok((file, path))
    }

    /// The last incremental file, open for appending (a restart continues it), if any.
    pub fn last_incr(&self) -> Result<Option<(File, PathBuf)>, String> {
        let Some(last) = self.manifest.incrs.last() else {
            return Ok(None);
        };
        let path = self.path(&last.name);
        let file = open_append(&path).map_err(|e| strerror(&e))?;
        Ok(Some((file, path)))
    }

    /// Installs a rewrite's base written to `temp` (an RDB file if `rdb`, else commands): it
    /// becomes the base, the incremental files
    /// numbered below `keep_from` become history and are deleted once the manifest is safe.
    pub fn install_base(&mut self, temp: &Path, keep_from: u64, rdb: bool) -> Result<(), String> {
        let before = self.manifest.clone();
        let (name, old) = self.manifest.rewritten(&self.prefix, rdb, keep_from);
        let path = self.path(&name);
        if let Err(e) = std::fs::rename(temp, &path) {
            self.manifest = before;
            return Err(strerror(&e));
        }
        if let Err(e) = self.persist() {
            self.manifest = before;
            return Err(e);
        }
        for f in old {
            if let Err(e) = std::fs::remove_file(self.path(&f.name)) {
                log::line(
                    LogLevel::Warning,
                    &format!(
                        "Can't remove the history AOF file {}: {}",
                        f.name,
                        strerror(&e)
                    ),
                );
            }
        }
        Ok(())
    }

    /// Bytes in the base and in every incremental file.
    pub fn sizes(&self) -> (u64, u64) {
        let len = |f: &AofFile| {
            std::fs::metadata(self.path(&f.name))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        let base = self.manifest.base.as_ref().map_or(0, len);
        let incr: u64 = self.manifest.incrs.iter().map(len).sum();
        (base, base + incr)
    }

    /// An upgrade interrupted between writing the manifest and moving the old file in: the
    /// manifest's base is the legacy name, missing from the directory but still beside it.
    pub fn finish_upgrade(&mut self, legacy: &Path) -> Result<(), String> {
        let Some(base) = &self.manifest.base else {
            return Ok(());
        };
        if base.name != self.prefix || self.path(&base.name).exists() || !legacy.is_file() {
            return Ok(());
        }
        std::fs::rename(legacy, self.path(&base.name)).map_err(|e| strerror(&e))
    }

    /// A legacy single-file AOF (`appendfilename` in the working directory, Redis < 7) becomes
    /// the base of a new AOF directory, as Redis 7 upgrades one.
    pub fn adopt_legacy(&mut self, legacy: &Path) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir).map_err(|e| strerror(&e))?;
        let name = self.prefix.clone();
        std::fs::rename(legacy, self.path(&name)).map_err(|e| strerror(&e))?;
        self.manifest = Manifest {
            base: Some(AofFile {
                name,
                seq: 1,
                kind: FileKind::Base,
            }),
            ..Manifest::default()
        };
        self.persist()
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}
