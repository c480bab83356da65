//! lode-server: starts lode with redis-server's command line and configuration syntax.

mod alloc;
mod aof;
mod bridge;
mod cli;
mod conf;
mod effects;
mod files;
mod host;
mod lazyfree;
mod listen;
mod log;
mod migrate;
mod replica;
mod sys;
mod tls;
mod transport;
mod users;

use std::io::Write;
use std::sync::{mpsc, Arc};

use lode_core::config::Config;
use lode_core::util::os_error::strerror;
use lode_core::Server;
use lode_transport_tokio::now;

use crate::cli::{Cli, RunArgs};
use crate::conf::{Boot, ConfError, Loader};
use crate::host::{listen_config, HostShared, LodeHost};
use crate::listen::Listeners;
use crate::log::LogLevel;

#[global_allocator]
static GLOBAL: alloc::CountingJemalloc = alloc::CountingJemalloc;

/// jemalloc's start-up options (read by the prefixed jemalloc that tikv-jemallocator builds).
/// Dirty pages go back to the OS after 1 s instead of 10 s: lode's I/O buffers are allocated
/// and freed per batch of reads, so after a bulk load the default decay leaves a few MB of
/// garbage resident for seconds; Redis reuses its query buffers and does not churn as much.
/// The background thread does the purging, so an idle server returns its garbage too (Redis's
/// `jemalloc-bg-thread yes`; the option can still turn it off at start-up or at run time).
/// Purged pages are released at once (`muzzy_decay_ms:0`, as Redis configures its jemalloc)
/// rather than lazily with MADV_FREE, which leaves them counted in RSS until the kernel wants
/// them back.
/// A thin pointer to a NUL-terminated string, as C's `const char *malloc_conf` is.
#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: &[u8; 60] =
    b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

/// The Redis version lode is compatible with (error banners, INFO).
pub const REDIS_VERSION: &str = "7.0.15";

/// The pid file a daemonized server writes when none is configured (Redis's default).
const DEFAULT_PIDFILE: &str = "/var/run/redis.pid";

fn main() {
    log::init();
    let argv: Vec<Vec<u8>> = {
        use std::os::unix::ffi::OsStringExt;
        std::env::args_os().map(|a| a.into_vec()).collect()
    };
    let prog = argv
        .first()
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .unwrap_or_else(|| "lode-server".into());
    match cli::parse(argv.get(1..).unwrap_or(&[])) {
        Cli::Version => {
            println!("{}", cli::version_line());
            std::process::exit(0);
        }
        Cli::Help => {
            eprint!("{}", cli::usage());
            std::process::exit(1);
        }
        Cli::TestMemory => {
            eprintln!("lode-server does not implement --test-memory.");
            std::process::exit(1);
        }
        Cli::CheckSystem => std::process::exit(0),
        Cli::CheckRdb(path) => std::process::exit(check_rdb(&path)),
        Cli::Run(args) => run(&prog, args),
        Cli::Bridge(argv) => match bridge::parse(&argv) {
            Ok(args) => {
                let signals = block_shutdown_signals();
                std::process::exit(bridge::run(args, signals));
            }
            Err(e) => {
                eprintln!("{e}\n{}", bridge::USAGE);
                std::process::exit(1);
            }
        },
    }
}

/// Loads the configuration or exits as redis-server does on a bad one; also says whether
/// `io-threads` was given, and returns the `user` directives.
fn load_config(args: &RunArgs) -> (Config, bool, Vec<Vec<bytes::Bytes>>) {
    let mut config = Config::default();
    let mut io_threads_given = false;
    let mut users = Vec::new();
    if args.any_args {
        let mut stdin = std::io::stdin();
        let stdin: Option<&mut dyn std::io::Read> = if args.from_stdin {
            Some(&mut stdin)
        } else {
            None
        };
        let mut loader = Loader::new(&mut config);
        let result = loader.load(args.config_file.as_deref(), stdin, Some(&args.options));
        io_threads_given = loader.io_threads_given;
        users = std::mem::take(&mut loader.users);
        match result {
            Ok(()) => {}
            Err(ConfError::Open(msg)) => {
                log::line(LogLevel::Warning, &msg);
                std::process::exit(1);
            }
            Err(e) => {
                let _ = std::io::stderr().write_all(&e.report());
                std::process::exit(1);
            }
        }
    }
    conf::record_cwd(&mut config);
    (config, io_threads_given, users)
}

fn run(prog: &str, args: RunArgs) {
    let (mut config, io_threads_given, users) = load_config(&args);
    let boot = Boot::from_config(&config);
    if boot.daemonize {
        daemonize();
    }
    let pid = std::process::id();
    log::line(
        LogLevel::Warning,
        "oO0OoO0OoO0Oo lode is starting oO0OoO0OoO0Oo",
    );
    log::line(
        LogLevel::Warning,
        &format!(
            "lode version={}, redis_version={REDIS_VERSION}, bits={}, pid={pid}, just started",
            env!("CARGO_PKG_VERSION"),
            usize::BITS
        ),
    );
    if args.any_args {
        log::line(LogLevel::Warning, "Configuration loaded");
    } else {
        log::line(
            LogLevel::Warning,
            &format!(
                "Warning: no config file specified, using the default config. In order to \
                 specify a config file use {prog} /path/to/redis.conf"
            ),
        );
    }
    log::set_role_master();
    // Block the shutdown signals before any thread exists, so every thread inherits the mask
    // and only the signal thread's sigwait sees them.
    let signals = block_shutdown_signals();
    let fits = sys::fit_open_files(config.maxclients as u64);
    if fits < config.maxclients as u64 {
        config.maxclients = fits as usize;
    }

    sys::set_jemalloc_bg_thread(!matches!(
        config.other.get("jemalloc-bg-thread"),
        Some(lode_core::config::value::ConfigValue::Bool(false))
    ));
    // As Redis's initServer: TLS is configured before anything listens.
    let tls_acceptor = tls::configure_at_start(&config);
    let listen = listen_config(&config);
    let bound = Listeners::bind(&listen).and_then(|l| Ok((l, listen::bind_tls(&listen)?)));
    let (listeners, tls_listeners) = match bound {
        Ok(l) => l,
        Err(e) => {
            log::line(LogLevel::Warning, &e.to_string());
            std::process::exit(1);
        }
    };
    let unix_path = listeners.unix_path().map(str::to_owned);

    let (tx, rx) = mpsc::channel();
    let shared = Arc::new(HostShared::new(
        tx.clone(),
        args.config_file.clone(),
        listen.clone(),
    ));
    // Redis names the TLS port where there is no plain one.
    let port = if config.port != 0 {
        config.port
    } else {
        listen.tls_port
    };
    let seed = now().micros() ^ u64::from(pid).rotate_left(32);
    let config_snapshot = config.clone();
    let server = Arc::new(Server::new(
        config,
        seed,
        Box::new(LodeHost(shared.clone())),
        now(),
    ));
    let _ = shared.server.set(Arc::downgrade(&server));
    if let Err(e) = effects::start(&server) {
        // Without the runner effects run inline on the worker that asked: still correct.
        log::line(
            LogLevel::Warning,
            &format!("Could not start the effect runner thread: {}", strerror(&e)),
        );
    }

    let pidfile = if !boot.pidfile.is_empty() {
        Some(boot.pidfile.clone())
    } else if boot.daemonize {
        Some(DEFAULT_PIDFILE.to_string())
    } else {
        None
    };
    if let Some(path) = &pidfile {
        // Best effort, as Redis: an unwritable pid file is not fatal.
        if let Err(e) = std::fs::write(path, format!("{pid}\n")) {
            log::line(
                LogLevel::Warning,
                &format!("Failed to write PID file: {}", strerror(&e)),
            );
        }
    }

    if boot.always_show_logo {
        log::raw(LogLevel::Notice, &logo(port, pid));
    } else {
        log::line(
            LogLevel::Notice,
            &format!("Running mode=standalone, port={port}."),
        );
    }
    log::line(LogLevel::Warning, "Server initialized");
    if let Err(e) = users::load_at_startup(&server, &users) {
        log::line(LogLevel::Warning, &e);
        std::process::exit(1);
    }
    // After the banner, as Redis: its " PID: " line is how supervisors (and Redis's test suite)
    // learn the server started, even when loading then fails.
    // The primary `replicaof` names is known before the load (a replica's RDB file gives it
    // the history to continue with PSYNC); the link starts after it.
    follow_configured_primary(&server, &config_snapshot);
    load_data(&server, &shared);
    start_replica(&server);
    let quic = match transport::quic_options(&config_snapshot, boot.io_threads) {
        Ok(q) => q,
        Err(e) => {
            log::line(LogLevel::Warning, &e);
            std::process::exit(1);
        }
    };
    let running = match transport::start(
        server.clone(),
        &config_snapshot,
        &listen,
        listeners,
        transport::Workers {
            io_threads: boot.io_threads,
            given: io_threads_given,
        },
    ) {
        Ok(r) => r,
        Err(e) => {
            log::line(
                LogLevel::Warning,
                &format!(
                    "Failed creating the event loop. Error message: '{}'",
                    strerror(&e)
                ),
            );
            std::process::exit(1);
        }
    };
    let control = running.control();
    if let Some(acceptor) = &tls_acceptor {
        control.serve_tls(tls_listeners, acceptor.clone());
    }
    *shared.tls.lock() = tls_acceptor;
    let _ = shared.control.set(control);
    let quic = quic.map(
        |opts| match lode_transport_quic::start(server.clone(), &opts) {
            Ok(q) => {
                let addrs: Vec<String> = q.local_addrs().iter().map(|a| a.to_string()).collect();
                log::line(
                    LogLevel::Notice,
                    &format!("QUIC ready on {} (ALPN lode-resp)", addrs.join(" ")),
                );
                q
            }
            Err(e) => {
                log::line(LogLevel::Warning, &e.to_string());
                std::process::exit(1);
            }
        },
    );
    shared
        .startup_allocated
        .store(alloc::used(), std::sync::atomic::Ordering::Relaxed);
    log::line(LogLevel::Notice, "Ready to accept connections");
    if let Some(p) = &unix_path {
        log::line(
            LogLevel::Notice,
            &format!("The server is now ready to accept connections at {p}"),
        );
    }
    spawn_signal_thread(signals, tx);

    // A signal's shutdown saves here (SHUTDOWN saved before asking); if that fails the server
    // keeps running, as Redis does.
    while let Ok(reason) = rx.recv() {
        if let host::Shutdown::Signal(_) = reason {
            log::line(LogLevel::Warning, "User requested shutdown...");
            if let Err(e) = lode_core::persistence::shutdown_save(&server, now(), false, false) {
                log::line(
                    LogLevel::Warning,
                    &format!("Error trying to save the DB, can't exit: {e}"),
                );
                log::line(
                    LogLevel::Warning,
                    "Errors trying to shut down the server. Check the logs for more information.",
                );
                continue;
            }
        } else {
            log::line(LogLevel::Warning, "User requested shutdown...");
        }
        break;
    }
    // SHUTDOWN NOSAVE while a script is busy: its worker thread never returns from it, so
    // the threads are not joined (nor the AOF writer stopped: it would wait for the script's
    // exec gate); the process exits as Redis's does.
    let script_busy = server.scripting.busy.running();
    if let Some(q) = quic {
        q.shutdown();
    }
    if !script_busy {
        running.shutdown();
        if let Some(a) = shared.aof.lock().take() {
            a.stop(&server);
        }
    }
    if let Some(p) = &unix_path {
        log::line(LogLevel::Notice, "Removing the unix socket file.");
        if let Err(e) = std::fs::remove_file(p) {
            log::line(
                LogLevel::Warning,
                &format!("Error removing the unix socket file: {}", strerror(&e)),
            );
        }
    }
    if let Some(p) = &pidfile {
        log::line(LogLevel::Notice, "Removing the pid file.");
        let _ = std::fs::remove_file(p);
    }
    log::line(LogLevel::Warning, "lode is now ready to exit, bye bye...");
    std::process::exit(0);
}

/// Follows the primary `replicaof` names, if any.
fn follow_configured_primary(server: &Arc<Server>, config: &Config) {
    if let Some(lode_core::config::value::ConfigValue::List(l)) = config.other.get("replicaof") {
        if let [host, port] = &l[..] {
            if let Ok(port) = port.parse::<u16>() {
                server.repl.replica.set_primary(host, port);
                server.keyspace.pause.hold_for_replica(true);
            }
        }
    }
}

/// Starts the replication driver (which follows the primary set, now or by a later
/// REPLICAOF).
fn start_replica(server: &Arc<Server>) {
    if let Err(e) = replica::start(server) {
        log::line(
            LogLevel::Warning,
            &format!("Could not start the replication thread: {}", strerror(&e)),
        );
    }
}

/// Loads the dataset before any client connects: the AOF when `appendonly` is on (and starts
/// its writer), else the RDB file `dbfilename` in `dir`. A file that cannot be loaded stops
/// the server with status 1, never half-loaded.
fn load_data(server: &Arc<Server>, shared: &HostShared) {
    if server.config.read().appendonly {
        let started =
            aof::load::load(server, now()).and_then(|files| aof::Aof::start(server, files, false));
        match started {
            Ok(a) => *shared.aof.lock() = Some(a),
            Err(e) => {
                log::line(LogLevel::Warning, &e);
                std::process::exit(1);
            }
        }
        return;
    }
    let started = std::time::Instant::now();
    match lode_core::persistence::load_rdb_file(server, now()) {
        Ok(false) => {}
        Ok(true) => {
            let p = &server.persist;
            log::line(
                LogLevel::Notice,
                &format!(
                    "Done loading RDB, keys loaded: {}, keys expired: {}.",
                    p.loaded_keys.load(std::sync::atomic::Ordering::Relaxed),
                    p.loaded_expired.load(std::sync::atomic::Ordering::Relaxed)
                ),
            );
            log::line(
                LogLevel::Notice,
                &format!(
                    "DB loaded from disk: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                ),
            );
        }
        Err(e) => {
            log::line(
                LogLevel::Warning,
                &format!("Fatal error loading the DB: {e}."),
            );
            log::line(
                LogLevel::Warning,
                "Terminating server after rdb file reading failure.",
            );
            std::process::exit(1);
        }
    }
}

/// `--check-rdb FILE`: reads the whole file as the loader would (every value decoded and
/// validated, the checksum verified) and reports what it holds, or where and why it is wrong.
fn check_rdb(path: &std::path::Path) -> i32 {
    println!("[offset 0] Checking RDB file {}", path.display());
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            println!("Cannot open the file: {}", strerror(&e));
            return 1;
        }
    };
    let (mut keys, mut expires) = (0u64, 0u64);
    let limits = lode_core::persist::value::Limits::defaults();
    match lode_core::persist::rdb::load_each(&bytes, &limits, |(_, _, _, expire_at)| {
        keys += 1;
        expires += u64::from(expire_at != 0);
        Ok(())
    }) {
        Ok(end) => {
            println!("[offset {end}] \\o/ RDB looks OK! \\o/");
            println!("[info] {keys} keys read");
            println!("[info] {expires} expires");
            0
        }
        Err(e) => {
            println!("--- RDB ERROR DETECTED ---");
            println!("[offset {}] {}", e.offset, e.what);
            println!("[info] {keys} keys read before the error");
            1
        }
    }
}

/// The startup banner shown with `always-show-logo yes`; the Redis test suite finds the
/// server's pid in it (" PID: <pid>").
fn logo(port: u16, pid: u32) -> String {
    format!(
        "\n\
         \x20   _                 _\n\
         \x20  | | ___   __| | ___       lode {} (Redis {REDIS_VERSION} compatible) {} bit\n\
         \x20  | |/ _ \\ / _` |/ _ \\\n\
         \x20  | | (_) | (_| |  __/      Running in standalone mode\n\
         \x20  |_|\\___/ \\__,_|\\___|      Port: {port}\n\
         \x20                            PID: {pid}\n\n",
        env!("CARGO_PKG_VERSION"),
        usize::BITS
    )
}

/// Redis's daemonize(): fork, the parent exits, the child leaves the terminal behind.
/// Called before any thread is started, so the fork is safe.
fn daemonize() {
    // SAFETY: single-threaded at this point; fork/setsid/open/dup2 have no Rust invariants.
    unsafe {
        match libc::fork() {
            -1 => {
                log::line(LogLevel::Warning, "Can't daemonize: fork failed");
                std::process::exit(1);
            }
            0 => {}
            _ => std::process::exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0);
        if fd != -1 {
            libc::dup2(fd, libc::STDIN_FILENO);
            libc::dup2(fd, libc::STDOUT_FILENO);
            libc::dup2(fd, libc::STDERR_FILENO);
            if fd > libc::STDERR_FILENO {
                libc::close(fd);
            }
        }
    }
}

/// Blocks SIGTERM and SIGINT in the calling thread (and every thread it starts later).
fn block_shutdown_signals() -> libc::sigset_t {
    // SAFETY: plain libc signal-set manipulation on a set we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// Waits for SIGTERM/SIGINT and turns the first into a shutdown request; a second SIGINT
/// exits at once, as Redis does when the user insists.
fn spawn_signal_thread(set: libc::sigset_t, tx: mpsc::Sender<host::Shutdown>) {
    let spawned = std::thread::Builder::new()
        .name("lode-signals".into())
        .spawn(move || {
            let mut requested = false;
            loop {
                let mut sig: libc::c_int = 0;
                // SAFETY: `set` is a valid, initialised signal set.
                if unsafe { libc::sigwait(&set, &mut sig) } != 0 {
                    continue;
                }
                if requested {
                    if sig == libc::SIGINT {
                        log::from_signal_handler("You insist... exiting now.");
                        std::process::exit(1);
                    }
                    continue;
                }
                requested = true;
                let name = if sig == libc::SIGINT {
                    "SIGINT"
                } else {
                    "SIGTERM"
                };
                log::from_signal_handler(&format!("Received {name} scheduling shutdown..."));
                let _ = tx.send(host::Shutdown::Signal(sig));
            }
        });
    if spawned.is_err() {
        log::line(LogLevel::Warning, "Can't start the signal thread");
        std::process::exit(1);
    }
}
