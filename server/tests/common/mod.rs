//! The harness the server tests share: a lode-server child process on a free port with a
//! socket in a fresh temp dir, killed by its own pid and reaped when the guard drops.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod proc;
#[allow(unused_imports)]
pub use proc::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_lode-server");

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local addr").port()
}

pub fn temp_dir() -> PathBuf {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("lode-server-test-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A running lode-server; killed (by its own pid) and reaped on drop.
pub struct Server {
    pub child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
    pub sock: PathBuf,
}

impl Server {
    /// Starts the binary with `--port P --bind 127.0.0.1 --unixsocket S` plus `extra`.
    pub fn start(extra: &[&str]) -> Server {
        Self::restart(temp_dir(), extra)
    }

    pub fn spawn(dir: PathBuf, port: u16, sock: PathBuf, args: &[String]) -> Server {
        let mut s = Self::spawn_unready(dir, port, sock, args);
        s.wait_ready();
        s
    }

    /// Starts the binary without waiting for it to serve on `port` (a server with no plain
    /// port, or one expected to fail).
    pub fn spawn_unready(dir: PathBuf, port: u16, sock: PathBuf, args: &[String]) -> Server {
        let child = Command::new(BIN)
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("stdout.log")).expect("log file"))
            .stderr(std::fs::File::create(dir.join("stderr.log")).expect("log file"))
            .spawn()
            .expect("spawn lode-server");
        Server {
            child: Some(child),
            dir,
            port,
            sock,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(status)) = c.try_wait() {
                    panic!("server exited at startup ({status}): {}", self.logs());
                }
            }
            // A PONG (not just a connect, which the listen backlog accepts early) means the
            // server is past its startup and serving.
            if let Ok(mut s) = TcpStream::connect(self.addr()) {
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 7];
                if s.write_all(b"PING\r\n").is_ok()
                    && s.read_exact(&mut buf).is_ok()
                    && &buf == b"+PONG\r\n"
                {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("server did not start: {}", self.logs());
    }

    pub fn logs(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.join(n)).unwrap_or_default();
        format!(
            "stdout:\n{}\nstderr:\n{}",
            read("stdout.log"),
            read("stderr.log")
        )
    }

    /// The logs once they contain `needle` (the server may log a line just after it starts
    /// accepting connections); what they hold after 10 s otherwise.
    pub fn logs_with(&self, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if logs.contains(needle) || std::time::Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Waits (bounded) for the server to exit on its own, and returns its status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server still owned");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `sig` and waits (bounded) for the exit status.
    pub fn signal_and_wait(&mut self, sig: i32) -> std::process::ExitStatus {
        // SAFETY: kill on our own child's pid.
        unsafe { libc::kill(self.pid(), sig) };
        let mut child = self.child.take().expect("server still owned");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not exit after signal {sig}: {}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Server {
    /// Starts the binary in `dir` (a fresh one, or a crashed server's) on a free port, with
    /// `--port P --bind 127.0.0.1 --unixsocket S` plus `extra`.
    pub fn restart(dir: PathBuf, extra: &[&str]) -> Server {
        let port = free_port();
        let sock = dir.join("lode.sock");
        let mut args: Vec<String> = vec![
            "--port".into(),
            port.to_string(),
            "--bind".into(),
            "127.0.0.1".into(),
            "--unixsocket".into(),
            sock.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Self::spawn(dir, port, sock, &args)
    }

    /// SIGKILLs the server and waits for it, keeping its directory (a restart follows).
    pub fn crash(mut self) -> PathBuf {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        std::mem::take(&mut self.dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn request<S: Read + Write>(s: &mut S, req: &[u8], expect_len: usize) -> Vec<u8> {
    s.write_all(req).expect("write request");
    read_n(s, expect_len)
}

pub fn read_n<S: Read>(s: &mut S, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("read reply");
    buf
}

pub fn tcp(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s
}

/// `server` no longer listens on its recorded port (after CONFIG SET port). Another test may
/// already have taken the freed port: then whoever answers there must not be this server.
pub fn assert_port_left(server: &Server) {
    let Ok(mut other) = TcpStream::connect(server.addr()) else {
        return;
    };
    other
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buf = vec![0u8; 4096];
    let n = other
        .write(b"INFO server\r\n")
        .and_then(|_| other.read(&mut buf))
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&buf[..n]);
    let ours = format!("process_id:{}\r\n", server.pid());
    assert!(
        !text.contains(&ours),
        "the old port still reaches this server"
    );
}
