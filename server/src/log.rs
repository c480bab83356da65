//! The server log in redis-server's format:
//! `<pid>:<role> <dd Mon yyyy hh:mm:ss.mmm> <level> <message>`.
//!
//! Every crate logs through `tracing`; this module is the subscriber. Levels map onto Redis's
//! four: TRACE = debug (`.`), DEBUG = verbose (`-`), INFO = notice (`*`), WARN/ERROR =
//! warning (`#`). The level and the destination (`logfile`, "" = stdout) can change while the
//! server runs. A log file is opened for every line, as Redis does, so that a rotated file is
//! picked up without a signal.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use parking_lot::Mutex;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Redis's log levels, least to most severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `debug`: everything.
    Debug = 0,
    /// `verbose`.
    Verbose = 1,
    /// `notice` (the default).
    Notice = 2,
    /// `warning`: only what needs attention.
    Warning = 3,
}

impl LogLevel {
    /// Parses a `loglevel` value (case-insensitive, as Redis's enum configs are).
    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.to_ascii_lowercase().as_str() {
            "debug" => Some(LogLevel::Debug),
            "verbose" => Some(LogLevel::Verbose),
            "notice" => Some(LogLevel::Notice),
            "warning" => Some(LogLevel::Warning),
            _ => None,
        }
    }

    fn from_tracing(l: &Level) -> LogLevel {
        match *l {
            Level::TRACE => LogLevel::Debug,
            Level::DEBUG => LogLevel::Verbose,
            Level::INFO => LogLevel::Notice,
            _ => LogLevel::Warning,
        }
    }

    fn mark(self) -> char {
        match self {
            LogLevel::Debug => '.',
            LogLevel::Verbose => '-',
            LogLevel::Notice => '*',
            LogLevel::Warning => '#',
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Notice as u8);
/// 'C' while the configuration is being read (as Redis marks it), 'M' once serving.
static ROLE: AtomicU8 = AtomicU8::new(b'C');
/// `logfile`; empty = stdout.
static FILE: Mutex<String> = Mutex::new(String::new());

/// Sets the minimum level written.
pub fn set_level(level: LogLevel) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Sets the destination: a file path, or "" for standard output.
pub fn set_file(path: &str) {
    *FILE.lock() = path.to_string();
}

/// Marks the process as the serving master ('M' in the log prefix).
pub fn set_role_master() {
    ROLE.store(b'M', Ordering::Relaxed);
}

fn enabled(level: LogLevel) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Local time as Redis prints it: "22 Nov 2026 03:10:00.123".
fn timestamp() -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: localtime_r only writes the tm we own; a zeroed tm is a valid initial value.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        tm
    };
    let month = MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("Jan");
    format!(
        "{} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        month,
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        now.subsec_millis()
    )
}

/// Writes `text` to the log destination in one write.
fn emit(text: &[u8]) {
    let path = FILE.lock().clone();
    if path.is_empty() {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text);
        let _ = out.flush();
    } else if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    {
        let _ = f.write_all(text);
    }
}

/// Logs one line at `level` with the Redis prefix.
pub fn line(level: LogLevel, msg: &str) {
    if !enabled(level) {
        return;
    }
    let role = ROLE.load(Ordering::Relaxed) as char;
    let text = format!(
        "{}:{} {} {} {}\n",
        std::process::id(),
        role,
        timestamp(),
        level.mark(),
        msg
    );
    emit(text.as_bytes());
}

/// Logs `text` as is, without prefix (Redis's LL_RAW, used for the logo).
pub fn raw(level: LogLevel, text: &str) {
    if enabled(level) {
        emit(text.as_bytes());
    }
}

/// Logs a line the way Redis's signal handler does: `<pid>:signal-handler (<unix time>) msg`.
pub fn from_signal_handler(msg: &str) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let text = format!("{}:signal-handler ({secs}) {msg}\n", std::process::id());
    emit(text.as_bytes());
}

/// Collects an event's message and fields into one line.
struct Line(String);

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            self.0.push_str(&format!(" {}={}", field.name(), value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={:?}", field.name(), value));
        }
    }
}

/// The `tracing` subscriber writing the Redis-format log. Spans are accepted and ignored.
pub struct RedisLog;

impl Subscriber for RedisLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        enabled(LogLevel::from_tracing(metadata.level()))
    }

    fn register_callsite(&self, _: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        // The level can change at run time (CONFIG SET loglevel): ask `enabled` every time.
        tracing::subscriber::Interest::sometimes()
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let level = LogLevel::from_tracing(event.metadata().level());
        let mut l = Line(String::new());
        event.record(&mut l);
        line(level, &l.0);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Installs the subscriber (notice level, stdout) for the whole process.
pub fn init() {
    let _ = tracing::subscriber::set_global_default(RedisLog);
}
