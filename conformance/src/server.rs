//! Starts a server binary (`redis-server` or `lode-server`, same command line) on a free
//! port and a Unix socket in a fresh temp dir; stops it (kill + wait, by its own pid) on drop.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::client::{Conn, Endpoint};
use crate::target::Transport;

/// A running server, killed when dropped.
pub struct ServerProcess {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    pub socket: PathBuf,
}

/// How long a server gets to accept connections.
const STARTUP: Duration = Duration::from_secs(20);

/// Finds `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn temp_dir(tag: &str) -> std::io::Result<PathBuf> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("lode-conformance-{}-{tag}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

impl ServerProcess {
    /// Starts `bin` and waits until it accepts connections on both its port and its socket.
    /// Retries on another port if the first one was taken meanwhile.
    pub fn start(bin: &Path, tag: &str) -> Result<ServerProcess, String> {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once(bin, tag) {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn start_once(bin: &Path, tag: &str) -> Result<ServerProcess, String> {
        let dir = temp_dir(tag).map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port().map_err(|e| format!("free port: {e}"))?;
        let socket = dir.join("server.sock");
        let log = |name: &str| std::fs::File::create(dir.join(name)).map(Stdio::from);
        let mut cmd = Command::new(bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
        ])
        .arg(&socket)
        .args([
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--enable-debug-command",
            "yes",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log("stdout.log").map_err(|e| e.to_string())?)
        .stderr(log("stderr.log").map_err(|e| e.to_string())?);
        // SAFETY: prctl is async-signal-safe; the closure touches nothing else. It makes the
        // kernel kill the server if this test process dies without running Drop.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let mut server = ServerProcess {
            child,
            dir,
            port,
            socket,
        };
        server.wait_ready(bin)?;
        Ok(server)
    }

    fn wait_ready(&mut self, bin: &Path) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "{} exited at startup ({status}); {}",
                    bin.display(),
                    self.logs()
                ));
            }
            let up = |t| Conn::connect(&self.endpoint(t), Duration::from_millis(200)).is_ok();
            if up(Transport::Tcp) && up(Transport::Unix) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not accept connections in {STARTUP:?}; {}",
                    bin.display(),
                    self.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn endpoint(&self, t: Transport) -> Endpoint {
        match t {
            Transport::Tcp => Endpoint::Tcp(SocketAddr::from(([127, 0, 0, 1], self.port))),
            Transport::Unix => Endpoint::Unix(self.socket.clone()),
        }
    }

    /// Still running?
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The tail of the server's stdout and stderr.
    pub fn logs(&self) -> String {
        let tail = |name: &str| {
            let text = std::fs::read_to_string(self.dir.join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(20)..].join("\n")
        };
        format!(
            "stdout:\n{}\nstderr:\n{}",
            tail("stdout.log"),
            tail("stderr.log")
        )
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
