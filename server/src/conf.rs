//! Reading redis.conf: files, `include`, standard input and command-line options, applied in
//! order to the core's `Config`, with redis-server's fatal error report on the first bad line.
//!
//! Every directive goes to `Config::apply`, which owns parameter knowledge. The binary only
//! adds what needs the process: `include`, changing directory at `dir` (Redis does it while
//! parsing, so later relative paths resolve against it), and applying log settings as soon
//! as they are read. [`Boot`] then reads the few values the binary acts on out of `Config`.

use std::io::Read;
use std::path::{Path, PathBuf};

use lode_core::config::Config;
use lode_core::util::split_args::split_args;

use crate::log::{self, LogLevel};

/// `include` nesting beyond this is taken for a loop (Redis would recurse until it crashed).
const MAX_INCLUDE_DEPTH: usize = 64;

/// Settings only the binary acts on, read from the loaded `Config`.
#[derive(Clone, Debug)]
pub struct Boot {
    /// `pidfile` ("" = none unless daemonized).
    pub pidfile: String,
    /// `daemonize`.
    pub daemonize: bool,
    /// `io-threads`: worker threads of the transport.
    pub io_threads: usize,
    /// `always-show-logo`.
    pub always_show_logo: bool,
}

impl Boot {
    /// The binary's settings as `config` has them.
    pub fn from_config(config: &Config) -> Boot {
        Boot {
            pidfile: config.pidfile.clone(),
            daemonize: config.daemonize,
            io_threads: (config.io_threads as usize).max(1),
            always_show_logo: config.get("always-show-logo").as_deref() == Some("yes"),
        }
    }
}

/// A fatal configuration problem; `main` prints it and exits 1.
#[derive(Debug)]
pub enum ConfError {
    /// A bad line: Redis's "*** FATAL CONFIG FILE ERROR ***" report.
    Line {
        /// 1-based line number, `None` for a check made after the last line.
        line: Option<usize>,
        /// The offending line, trimmed.
        text: Vec<u8>,
        /// Why.
        reason: String,
    },
    /// A config file (or an `include`d one) could not be opened: logged, not reported.
    Open(String),
}

impl ConfError {
    /// The bytes redis-server writes to stderr for this error (empty for `Open`, which goes
    /// to the log).
    pub fn report(&self) -> Vec<u8> {
        match self {
            ConfError::Line { line, text, reason } => {
                let mut out = format!(
                    "\n*** FATAL CONFIG FILE ERROR (Redis {}) ***\n",
                    crate::REDIS_VERSION
                )
                .into_bytes();
                if let Some(n) = line {
                    out.extend_from_slice(
                        format!("Reading the configuration file, at line {n}\n>>> '").as_bytes(),
                    );
                    out.extend_from_slice(text);
                    out.extend_from_slice(b"'\n");
                }
                out.extend_from_slice(reason.as_bytes());
                out.push(b'\n');
                out
            }
            ConfError::Open(_) => Vec::new(),
        }
    }
}

/// Loads configuration into a `Config`.
pub struct Loader<'a> {
    /// The engine's configuration.
    pub config: &'a mut Config,
    depth: usize,
    /// Whether a directive set `io-threads` (otherwise io_uring runs one worker per core).
    pub io_threads_given: bool,
    /// `user` directives (name, then rules), loaded once the server exists.
    pub users: Vec<Vec<bytes::Bytes>>,
    /// A `save` directive was read: later ones add save points instead of replacing them.
    save_seen: bool,
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Files matching a shell pattern, sorted, via libc's glob (what Redis uses).
fn glob_paths(pattern: &str) -> Vec<PathBuf> {
    use std::ffi::{CStr, CString};
    let Ok(c) = CString::new(pattern) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // SAFETY: glob fills `g`, which we read within gl_pathc and free with globfree.
    unsafe {
        let mut g: libc::glob_t = std::mem::zeroed();
        if libc::glob(c.as_ptr(), 0, None, &mut g) == 0 {
            for i in 0..g.gl_pathc {
                let p = *g.gl_pathv.add(i);
                if !p.is_null() {
                    use std::os::unix::ffi::OsStrExt;
                    let bytes = CStr::from_ptr(p).to_bytes();
                    out.push(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)));
                }
            }
        }
        libc::globfree(&mut g);
    }
    out
}

fn read_file(path: &Path) -> Result<Vec<u8>, ConfError> {
    std::fs::read(path).map_err(|e| {
        ConfError::Open(format!(
            "Fatal error, can't open config file '{}': {}",
            path.display(),
            lode_core::util::os_error::strerror(&e)
        ))
    })
}

impl<'a> Loader<'a> {
    /// A loader writing into `config`.
    pub fn new(config: &'a mut Config) -> Self {
        Loader {
            config,
            depth: 0,
            io_threads_given: false,
            users: Vec::new(),
            save_seen: false,
        }
    }

    /// Redis's loadServerConfig: the file (or every file a pattern matches), then stdin,
    /// then the command-line options, parsed as one text.
    pub fn load(
        &mut self,
        file: Option<&Path>,
        stdin: Option<&mut dyn Read>,
        options: Option<&[u8]>,
    ) -> Result<(), ConfError> {
        let mut text = Vec::new();
        if let Some(path) = file {
            let name = path.to_string_lossy();
            if has_glob(&name) {
                // A pattern matching nothing is fine: it allows an empty conf.d directory.
                for p in glob_paths(&name) {
                    text.extend_from_slice(&read_file(&p)?);
                }
            } else {
                text.extend_from_slice(&read_file(path)?);
            }
        }
        if let Some(input) = stdin {
            log::line(LogLevel::Warning, "Reading config from stdin");
            let _ = input.read_to_end(&mut text);
        }
        if let Some(opts) = options {
            text.push(b'\n');
            text.extend_from_slice(opts);
        }
        self.load_string(&text)
    }

    /// Applies config-file text line by line.
    pub fn load_string(&mut self, text: &[u8]) -> Result<(), ConfError> {
        for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fail = |reason: String| ConfError::Line {
                line: Some(i + 1),
                text: line.to_vec(),
                reason,
            };
            let Some(argv) = split_args(line) else {
                return Err(fail("Unbalanced quotes in configuration line".into()));
            };
            let Some((name, rest)) = argv.split_first() else {
                continue;
            };
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            let args: Vec<String> = rest
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if name == "include" && args.len() == 1 {
                if self.depth >= MAX_INCLUDE_DEPTH {
                    return Err(fail("Too many nested includes".into()));
                }
                self.depth += 1;
                let r = self.load(Some(Path::new(&args[0])), None, None);
                self.depth -= 1;
                r?;
                continue;
            }
            if name == "user" && !rest.is_empty() {
                // Kept as bytes: a password need not be UTF-8.
                let words: Vec<bytes::Bytes> = rest.iter().map(|a| a.clone().into()).collect();
                self.add_user(words).map_err(fail)?;
                continue;
            }
            self.apply(&name, &args).map_err(fail)?;
        }
        // Redis checks the log file can be opened once everything is read: failing later,
        // when nobody would see the message, would be worse.
        if !self.config.logfile.is_empty() {
            if let Err(e) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.config.logfile)
            {
                return Err(ConfError::Line {
                    line: None,
                    text: Vec::new(),
                    reason: format!(
                        "Can't open the log file: {}",
                        lode_core::util::os_error::strerror(&e)
                    ),
                });
            }
        }
        Ok(())
    }

    /// A `user` directive (name, then rules), kept for loading once the server exists; a
    /// name given twice is Redis's error.
    fn add_user(&mut self, words: Vec<bytes::Bytes>) -> Result<(), String> {
        if self.users.iter().any(|u| u[0] == words[0]) {
            return Err(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be \
                 defined once in config files",
                String::from_utf8_lossy(&words[0])
            ));
        }
        self.users.push(words);
        Ok(())
    }

    /// One directive: the core's table, then what the process must do about it at once.
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        match name {
            // Not parameters: Redis handles them while loading. lode has no command renaming,
            // modules or sentinel yet, and says so rather than ignoring them.
            "rename-command" | "loadmodule" | "sentinel" => {
                return Err(format!("'{name}' is not supported by lode yet"));
            }
            _ => {}
        }
        // As Redis: the first `save` replaces the built-in points, later ones add theirs
        // (a config file's `save 900 1` and `--save 100 100` give both), `save ""` clears.
        let kept = if name == "save" && self.save_seen {
            std::mem::take(&mut self.config.save)
        } else {
            Vec::new()
        };
        self.config.apply(name, args)?;
        if name == "save" {
            self.save_seen = true;
            if !self.config.save.is_empty() {
                let added = std::mem::replace(&mut self.config.save, kept);
                self.config.save.extend(added);
            }
        }
        match name {
            "io-threads" => self.io_threads_given = true,
            "loglevel" => {
                log::set_level(LogLevel::parse(&self.config.loglevel).unwrap_or(LogLevel::Notice))
            }
            "logfile" => log::set_file(&self.config.logfile),
            "dir" => {
                let dir = args.first().map(String::as_str).unwrap_or_default();
                std::env::set_current_dir(dir)
                    .map_err(|e| lode_core::util::os_error::strerror(&e))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Records the working directory as `dir` (Redis reports `getcwd()` for it).
pub fn record_cwd(config: &mut Config) {
    if let Ok(cwd) = std::env::current_dir() {
        let cwd = cwd.to_string_lossy().into_owned();
        let _ = config.apply("dir", &[cwd]);
    }
}

/// Trims the characters Redis trims from both ends of a config line.
fn trim(mut s: &[u8]) -> &[u8] {
    let ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    while s.first().is_some_and(ws) {
        s = &s[1..];
    }
    while s.last().is_some_and(ws) {
        s = &s[..s.len() - 1];
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<(Config, Boot), ConfError> {
        let mut config = Config::default();
        Loader::new(&mut config).load_string(text.as_bytes())?;
        let boot = Boot::from_config(&config);
        Ok((config, boot))
    }

    #[test]
    fn user_lines_are_kept_as_bytes_and_once_per_name() {
        let mut config = Config::default();
        let mut loader = Loader::new(&mut config);
        loader
            .load_string(b"user alice on \">p\\xffw\" ~*\nuser bob off\n")
            .expect("valid");
        assert_eq!(loader.users.len(), 2);
        assert_eq!(loader.users[0][2].as_ref(), b">p\xffw");
        assert!(report("user a on\nuser a off\n").contains("Duplicate user found"));
        assert!(report("user\n").contains("Bad directive or wrong number of arguments"));
    }

    #[test]
    fn later_save_lines_add_points_and_an_empty_one_clears() {
        let (c, _) = load("save 900 1\nsave 100 100\n").expect("valid");
        assert_eq!(c.save, vec![(900, 1), (100, 100)]);
        let (c, _) = load("save 900 1\nsave \"\"\n").expect("valid");
        assert!(c.save.is_empty());
        let (c, _) = load("port 7000\n").expect("valid");
        assert_eq!(c.save, vec![(3600, 1), (300, 100), (60, 10000)]);
    }

    fn report(text: &str) -> String {
        match load(text) {
            Ok(_) => panic!("expected an error for {text:?}"),
            Err(e) => String::from_utf8_lossy(&e.report()).into_owned(),
        }
    }

    #[test]
    fn later_directives_override() {
        let (c, _) = load("port 7000\n# comment\n\n  port 7001  \r\n").unwrap_or_else(|e| {
            panic!("{}", String::from_utf8_lossy(&e.report()));
        });
        assert_eq!(c.port, 7001);
    }

    #[test]
    fn errors_name_line_and_reason() {
        assert_eq!(
            report("port 7000\nfoo bar\n"),
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, \
             at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"
        );
        assert!(report("port \"7000\n")
            .ends_with(">>> 'port \"7000'\nUnbalanced quotes in configuration line\n"));
    }

    #[test]
    fn binary_settings() {
        let (_, b) = load("pidfile /tmp/x.pid\ndaemonize no\nio-threads 2\n").unwrap_or_else(|e| {
            panic!("{}", String::from_utf8_lossy(&e.report()));
        });
        assert_eq!(b.pidfile, "/tmp/x.pid");
        assert_eq!(b.io_threads, 2);
        assert!(report("loglevel foo\n").ends_with(
            "argument(s) must be one of the following: debug, verbose, notice, warning\n"
        ));
        assert!(report("io-threads 0\n").ends_with("between 1 and 128 inclusive\n"));
        assert!(report("daemonize maybe\n").ends_with("argument must be 'yes' or 'no'\n"));
    }

    #[test]
    fn missing_include_is_open_error() {
        match load("include /nonexistent/lode-test.conf\n") {
            Err(ConfError::Open(msg)) => assert_eq!(
                msg,
                "Fatal error, can't open config file '/nonexistent/lode-test.conf': No such file or directory"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }
}
