//! Server processes for tests that run lode-server beside redis-server: a child on a free
//! loopback port, driven with redis-cli, killed by its pid when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// The installed redis-server, if any (tests that need it are skipped without it).
pub fn redis_server() -> Option<PathBuf> {
    installed("redis-server")
}

/// Whether a test can run: false, with a notice, when `name` is not installed.
pub fn have(name: &str) -> bool {
    let found = installed(name).is_some();
    if !found {
        eprintln!("{name} not installed: skipped");
    }
    found
}

/// The installed program `name` (redis-server, redis-cli, redis-sentinel), if any.
pub fn installed(name: &str) -> Option<PathBuf> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .ok()?;
    let path = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// A server process (lode or redis-server) in `dir`, killed by its pid on drop.
pub struct Proc {
    child: Child,
    /// The port it serves.
    pub port: u16,
}

impl Proc {
    /// Starts `bin` in `dir` on a free loopback port with `extra` options; waits until it
    /// serves (and, for Redis, has loaded its files).
    pub fn start(bin: &Path, dir: &Path, extra: &[&str]) -> Proc {
        Self::start_on(bin, dir, free_port(), extra)
    }

    /// [`Proc::start`] on `port` (a restart on the port it served before).
    pub fn start_on(bin: &Path, dir: &Path, port: u16, extra: &[&str]) -> Proc {
        let mut args = vec![
            "--port".to_string(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--dir".into(),
            dir.display().to_string(),
            "--save".into(),
            "".into(),
            "--daemonize".into(),
            "no".into(),
            "--enable-debug-command".into(),
            "yes".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::launch(bin, dir, port, &args)
    }

    /// Starts `bin args` in `dir`, a server (or redis-sentinel) that serves `port` as its
    /// arguments or config file say; waits until it serves.
    pub fn launch(bin: &Path, dir: &Path, port: u16, args: &[String]) -> Proc {
        let child = Command::new(bin)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("stdout.log")).expect("log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server");
        let p = Proc { child, port };
        let deadline = Instant::now() + Duration::from_secs(20);
        while p.cli(&["PING"]) != "PONG" {
            assert!(Instant::now() < deadline, "{} did not start", bin.display());
            std::thread::sleep(Duration::from_millis(20));
        }
        // Redis answers PING while still loading: wait for the load to end.
        while p.cli(&["INFO", "persistence"]).contains("loading:1") {
            std::thread::sleep(Duration::from_millis(20));
        }
        p
    }

    /// redis-cli against it, the reply trimmed.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .expect("redis-cli");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The INFO `section` field `name` (empty when absent).
    pub fn info_field(&self, section: &str, name: &str) -> String {
        let prefix = format!("{name}:");
        self.cli(&["INFO", section])
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Stops the server the way that makes it write its files (SHUTDOWN SAVE or NOSAVE).
    pub fn shutdown(mut self, how: &str) {
        let _ = self.cli(&["SHUTDOWN", how]);
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it holds (30 s at most).
pub fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
