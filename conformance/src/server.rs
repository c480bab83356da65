//! Starts a server binary (`redis-server` or `lode-server`, same command line) on a free
//! port and a Unix socket in a fresh temp dir, set up for the transport under test (io_uring;
//! a QUIC port or a TLS port with fresh certificates; a `lode-server --quic-bridge` process in
//! front); stops every process it started (kill + wait, by its own pid) on drop.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::case::ServerKind;
use crate::client::{Conn, Endpoint, QuicEndpoint, TlsEndpoint};
use crate::target::{Target, Transport};

/// A running server, killed when dropped.
pub struct ServerProcess {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    pub socket: PathBuf,
    /// The QUIC side: the server's UDP port and the client all QUIC sessions share.
    quic: Option<QuicEndpoint>,
    /// The bridge process and its local TCP port.
    bridge: Option<(Child, u16)>,
    /// The TLS side: the server's `tls-port` and the clients' configuration.
    tls: Option<TlsEndpoint>,
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
    pub fn start(bin: &Path, tag: &str, target: Target) -> Result<ServerProcess, String> {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once(bin, tag, target) {
                Ok(s) => return Ok(s),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn start_once(bin: &Path, tag: &str, target: Target) -> Result<ServerProcess, String> {
        let transport = target.transport;
        let dir = temp_dir(tag).map_err(|e| format!("temp dir: {e}"))?;
        let port = free_port().map_err(|e| format!("free port: {e}"))?;
        let socket = dir.join("server.sock");
        let log = |name: &str| std::fs::File::create(dir.join(name)).map(Stdio::from);
        let mut extra: Vec<String> = Vec::new();
        let mut quic = None;
        let mut tls = None;
        match transport {
            // lode's TCP, Unix and TLS targets pin the Tokio transport, whatever the default
            // engine.
            Transport::Tcp | Transport::Unix | Transport::Tls
                if target.kind == ServerKind::Lode =>
            {
                extra.extend(["--io-engine".into(), "tokio".into()])
            }
            Transport::Tcp | Transport::Unix | Transport::Tls => {}
            Transport::Uring => extra.extend(["--io-engine".into(), "uring".into()]),
            Transport::Quic | Transport::Bridge => {
                let certs = crate::certs::generate(&dir)?;
                let quic_port = free_udp_port().map_err(|e| format!("free UDP port: {e}"))?;
                extra.extend(["--quic-port".into(), quic_port.to_string()]);
                extra.extend(certs.server_options());
                quic = Some((SocketAddr::from(([127, 0, 0, 1], quic_port)), certs.ca));
            }
        }
        if transport == Transport::Tls {
            // Clients are not asked for certificates, so redis-benchmark-style clients and
            // the suite's own connect alike.
            let certs = crate::certs::generate(&dir)?;
            let tls_port = free_port().map_err(|e| format!("free port: {e}"))?;
            extra.extend(["--tls-port".into(), tls_port.to_string()]);
            extra.extend(certs.server_options());
            let addr = SocketAddr::from(([127, 0, 0, 1], tls_port));
            tls = Some(TlsEndpoint::new(addr, &certs.ca)?);
        }
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
        .args(&extra)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(log("stdout.log").map_err(|e| e.to_string())?)
        .stderr(log("stderr.log").map_err(|e| e.to_string())?);
        let child = spawn(&mut cmd, bin)?;
        let mut server = ServerProcess {
            child,
            dir,
            port,
            socket,
            quic: None,
            bridge: None,
            tls,
        };
        server.wait_ready(bin)?;
        if let Some((addr, ca)) = quic {
            if transport == Transport::Bridge {
                server.start_bridge(bin, addr, &ca)?;
            } else {
                server.quic = Some(QuicEndpoint::connect(addr, &ca)?);
            }
        }
        Ok(server)
    }

    /// Starts `lode-server --quic-bridge` in front of the server's QUIC port and waits until
    /// a PING goes through it.
    fn start_bridge(&mut self, bin: &Path, remote: SocketAddr, ca: &Path) -> Result<(), String> {
        let local = free_port().map_err(|e| format!("free port: {e}"))?;
        let log = |name: &str| std::fs::File::create(self.dir.join(name)).map(Stdio::from);
        let mut cmd = Command::new(bin);
        cmd.arg("--quic-bridge")
            .arg(format!("127.0.0.1:{local}"))
            .arg(remote.to_string())
            .arg("--tls-ca-cert-file")
            .arg(ca)
            .stdin(Stdio::null())
            .stdout(log("bridge.log").map_err(|e| e.to_string())?)
            .stderr(log("bridge.err").map_err(|e| e.to_string())?);
        let child = spawn(&mut cmd, bin)?;
        self.bridge = Some((child, local));
        let deadline = Instant::now() + STARTUP;
        let ep = self.endpoint(Transport::Bridge);
        loop {
            let ping = Conn::connect(&ep, Duration::from_millis(200))
                .ok()
                .and_then(|mut c| c.call(&["PING"], Duration::from_secs(2)).ok());
            if ping.is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the QUIC bridge did not answer in {STARTUP:?}; {}",
                    self.logs()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
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
            let tls = self.tls.is_none() || up(Transport::Tls);
            if up(Transport::Tcp) && up(Transport::Unix) && tls {
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

    /// Where the suite's clients connect for transport `t`.
    pub fn endpoint(&self, t: Transport) -> Endpoint {
        let tcp = |port| Endpoint::Tcp(SocketAddr::from(([127, 0, 0, 1], port)));
        match t {
            Transport::Tcp | Transport::Uring => tcp(self.port),
            Transport::Unix => Endpoint::Unix(self.socket.clone()),
            Transport::Bridge => tcp(self.bridge.as_ref().map_or(0, |b| b.1)),
            Transport::Quic => match &self.quic {
                Some(q) => Endpoint::Quic(q.clone()),
                None => tcp(0),
            },
            Transport::Tls => match &self.tls {
                Some(t) => Endpoint::Tls(t.clone()),
                None => tcp(0),
            },
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
        let mut out = format!(
            "stdout:\n{}\nstderr:\n{}",
            tail("stdout.log"),
            tail("stderr.log")
        );
        if self.bridge.is_some() {
            out += &format!("\nbridge:\n{}\n{}", tail("bridge.log"), tail("bridge.err"));
        }
        out
    }
}

/// Spawns `cmd`, asking the kernel to kill it if this test process dies without running Drop.
fn spawn(cmd: &mut Command, bin: &Path) -> Result<Child, String> {
    // SAFETY: prctl is async-signal-safe; the closure touches nothing else.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    cmd.spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))
}

fn free_udp_port() -> std::io::Result<u16> {
    Ok(std::net::UdpSocket::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // The QUIC client closes its connection before the server goes.
        self.quic = None;
        if let Some((mut bridge, _)) = self.bridge.take() {
            let _ = bridge.kill();
            let _ = bridge.wait();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
