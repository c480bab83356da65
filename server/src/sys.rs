//! Facts about the process and the machine, and the open-files limit: the system calls behind
//! the host's INFO figures and `maxclients`.

use lode_core::server::{CpuInfo, MemoryInfo, ProcessInfo};

use crate::log::{self, LogLevel};

/// File descriptors kept beyond `maxclients` for listeners, logs and persistence (as Redis).
pub const RESERVED_FDS: u64 = 32;

/// Raises the open-files limit to fit `maxclients`; returns the `maxclients` that fits,
/// logging what Redis logs when it had to be lowered.
pub fn fit_open_files(maxclients: u64) -> u64 {
    let wanted = maxclients + RESERVED_FDS;
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return maxclients;
    }
    let old = lim.rlim_cur as u64;
    if old >= wanted {
        return maxclients;
    }
    let best = if lim.rlim_max == libc::RLIM_INFINITY {
        wanted
    } else {
        wanted.min(lim.rlim_max as u64)
    };
    lim.rlim_cur = best as libc::rlim_t;
    let set = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) } == 0;
    let got = if set { best } else { old };
    if got >= wanted {
        log::line(
            LogLevel::Notice,
            &format!(
                "Increased maximum number of open files to {got} (it was originally set to {old})."
            ),
        );
        return maxclients;
    }
    let reduced = got.saturating_sub(RESERVED_FDS).max(1);
    log::line(
        LogLevel::Warning,
        &format!(
            "You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors."
        ),
    );
    log::line(
        LogLevel::Warning,
        &format!(
            "Current maximum open files is {got}. maxclients has been reduced to {reduced} to \
             compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
        ),
    );
    reduced
}

/// Turns jemalloc's background purging thread on or off (`jemalloc-bg-thread`, on by default
/// as in Redis): without it, freed pages are returned to the OS only when later allocations
/// happen to trigger the decay, so an idle server keeps its garbage resident.
pub fn set_jemalloc_bg_thread(on: bool) {
    let _ = tikv_jemalloc_ctl::background_thread::write(on);
}

fn read_jemalloc() -> Option<(u64, u64, u64)> {
    use tikv_jemalloc_ctl::{epoch, stats};
    // Statistics are snapshots refreshed by advancing the epoch.
    epoch::advance().ok()?;
    Some((
        stats::allocated::read().ok()? as u64,
        stats::active::read().ok()? as u64,
        stats::resident::read().ok()? as u64,
    ))
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as u64
    } else {
        4096
    }
}

/// Resident set size from /proc/self/statm (what Redis reads on Linux).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page_size())
}

fn total_system_memory() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let pages = unsafe { libc::sysconf(libc::_SC_PHYS_PAGES) };
    if pages > 0 {
        pages as u64 * page_size()
    } else {
        0
    }
}

/// The allocator as Redis names it (INFO `mem_allocator`, `--version`'s `malloc=`): the
/// jemalloc that tikv-jemalloc-sys builds is 5.3.0.
pub const ALLOCATOR: &str = "jemalloc-5.3.0";

/// Memory figures for INFO memory; `startup` is what was allocated once the server was up.
pub fn memory(startup: u64) -> MemoryInfo {
    let (allocated, active, resident) = read_jemalloc().unwrap_or_default();
    MemoryInfo {
        used: crate::alloc::used(),
        rss: rss(),
        peak: 0,
        startup,
        allocator_allocated: allocated,
        allocator_active: active,
        allocator_resident: resident,
        total_system: total_system_memory(),
        allocator_name: ALLOCATOR,
    }
}

fn micros(tv: libc::timeval) -> u64 {
    (tv.tv_sec.max(0) as u64) * 1_000_000 + tv.tv_usec.max(0) as u64
}

/// CPU time of the process and its waited-for children (getrusage).
pub fn cpu() -> CpuInfo {
    // SAFETY: getrusage only writes the struct we pass.
    let (me, kids) = unsafe {
        let mut me: libc::rusage = std::mem::zeroed();
        let mut kids: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut me);
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut kids);
        (me, kids)
    };
    CpuInfo {
        sys_us: micros(me.ru_stime),
        user_us: micros(me.ru_utime),
        sys_children_us: micros(kids.ru_stime),
        user_children_us: micros(kids.ru_utime),
    }
}

/// "sysname release machine" from uname, as INFO server's `os` shows it.
pub fn os_name() -> String {
    // SAFETY: uname only writes the struct we pass; its fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let field = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!(
            "{} {} {}",
            field(&u.sysname),
            field(&u.release),
            field(&u.machine)
        )
    }
}

/// Facts about the process for INFO server.
pub fn process(config_file: &str, os: &str) -> ProcessInfo {
    ProcessInfo {
        pid: std::process::id(),
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        config_file: config_file.to_string(),
        os: os.to_string(),
    }
}

/// Fills `buf` from the kernel's secure random source (getrandom), as Redis seeds its
/// password generator from /dev/urandom.
pub fn random_bytes(buf: &mut [u8]) {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: the kernel writes at most `rest.len()` bytes into `rest`.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n > 0 {
            filled += n as usize;
        } else if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            // No kernel source: never hand out a predictable password silently.
            panic!("getrandom failed: {}", std::io::Error::last_os_error());
        }
    }
}
