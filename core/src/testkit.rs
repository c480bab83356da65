//! In-process clients for unit tests: drive a `Session` with commands and a fake clock, read
//! back the raw reply bytes. No sockets, no threads.

use std::sync::Arc;

use bytes::BytesMut;

use crate::clock::Now;
use crate::config::Config;
use crate::host::{FileSink, Host};
use crate::server::Server;
use crate::session::{ClientInfo, NoopWaker, Session};
use crate::sync::Mutex;

/// The fake clock's starting point (2023-11-14, Unix milliseconds).
pub const EPOCH_MS: u64 = 1_700_000_000_000;

/// A server on the default configuration with a fixed seed.
pub fn server() -> Arc<Server> {
    server_with(Config::default())
}

/// A server on the default configuration with DEBUG enabled (DEBUG SLEEP gives a command a
/// duration on the test host's clock).
pub fn debug_server() -> Arc<Server> {
    server_with(Config {
        enable_debug_command: "yes".into(),
        ..Config::default()
    })
}

/// A server on `config` with a fixed seed.
pub fn server_with(config: Config) -> Arc<Server> {
    Arc::new(Server::new(
        config,
        1,
        Box::new(MemHost::default()),
        Now::from_ms(EPOCH_MS),
    ))
}

/// A host whose files live in memory: SAVE, BGSAVE and DEBUG RELOAD work in unit tests, the
/// simulator and the fuzz targets without touching the disk. Its monotonic clock is virtual:
/// it stands still except that DEBUG SLEEP advances it instead of sleeping, so a test gives a
/// command any duration it wants, deterministically.
#[derive(Default)]
pub struct MemHost {
    files: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    clock_us: std::sync::atomic::AtomicU64,
}

impl MemHost {
    /// The file `path`, if one was committed.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        self.files.lock().get(path).cloned()
    }
}

impl Host for MemHost {
    fn create_file(&self, path: &str) -> Result<Box<dyn FileSink>, String> {
        Ok(Box::new(MemFile {
            files: self.files.clone(),
            path: path.to_string(),
            bytes: Vec::new(),
        }))
    }

    fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        Ok(self.file(path))
    }

    fn monotonic_us(&self) -> u64 {
        self.clock_us.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn sleep(&self, duration: std::time::Duration) {
        self.clock_us.fetch_add(
            duration.as_micros() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

struct MemFile {
    files: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>>,
    path: String,
    bytes: Vec<u8>,
}

impl FileSink for MemFile {
    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), String> {
        self.files.lock().insert(self.path, self.bytes);
        Ok(())
    }
}

/// Encodes one command as a RESP multibulk frame.
pub fn frame<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut f = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        f.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        f.extend_from_slice(a);
        f.extend_from_slice(b"\r\n");
    }
    f
}

/// One in-process client with its own clock.
pub struct TestClient {
    /// The session under test.
    pub session: Session,
    /// The client's current time; advance it to test expiry.
    pub now: Now,
    /// Bytes received but not yet a complete command (the decoder requires the caller to keep
    /// them and only append, as a transport's read buffer does).
    inbuf: BytesMut,
}

impl TestClient {
    /// A client connected to `server`.
    pub fn new(server: &Arc<Server>) -> Self {
        let now = Now::from_ms(EPOCH_MS);
        TestClient {
            session: Session::new(
                server.clone(),
                ClientInfo::Internal,
                Arc::new(NoopWaker),
                now,
            ),
            now,
            inbuf: BytesMut::new(),
        }
    }

    /// Feeds raw bytes and returns everything the session wrote.
    pub fn raw(&mut self, input: &[u8]) -> Vec<u8> {
        self.inbuf.extend_from_slice(input);
        self.session.handle_input(self.now, &mut self.inbuf);
        let out = self.session.pending_output().to_vec();
        self.session.consume_output(out.len());
        out
    }

    /// Sends one command (encoded as a multibulk) and returns the raw reply as a string.
    pub fn cmd(&mut self, args: &[&str]) -> String {
        let out = self.raw(&frame(args));
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Lets the session deliver what other sessions settled for it (a served blocking command)
    /// and run the input that waited behind it, as a transport does when woken.
    pub fn poll(&mut self) -> String {
        String::from_utf8_lossy(&self.raw(b"")).into_owned()
    }

    /// Fires the session's deadline as a transport's timer would at this client's `now`, then
    /// polls it.
    pub fn fire_timeout(&mut self) -> String {
        self.session.handle_timeout(self.now);
        self.poll()
    }

    /// Advances this client's clock by `ms` milliseconds.
    pub fn advance_ms(&mut self, ms: u64) {
        self.now = Now(self.now.micros() + ms * 1000);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_round_trip_and_unknown_command() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["SET", "k", "v"]), "+OK\r\n");
        assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
        assert_eq!(
            c.cmd(&["get"]),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
        assert_eq!(
            c.cmd(&["nope", "a", "b"]),
            "-ERR unknown command 'nope', with args beginning with: 'a' 'b' \r\n"
        );
    }
}
