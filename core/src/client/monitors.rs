//! `Monitors`: the clients in MONITOR mode, and the line every command executed sends them.

use std::sync::Arc;

use bytes::Bytes;

use super::{ClientHandle, ClientInfo};
use crate::sync::{AtomicUsize, Ordering, RwLock};
use crate::util::repr::push_repr;

/// The clients in MONITOR mode.
#[derive(Default)]
pub struct Monitors {
    clients: RwLock<Vec<Arc<ClientHandle>>>,
    /// Monitors connected: every command checks this one load and nothing more when zero.
    count: AtomicUsize,
}

impl Monitors {
    /// Whether anyone monitors.
    #[inline]
    pub fn any(&self) -> bool {
        self.count.load(Ordering::Relaxed) != 0
    }

    /// Adds `client` (MONITOR).
    pub fn add(&self, client: &Arc<ClientHandle>) {
        let mut clients = self.clients.write();
        if !clients.iter().any(|c| c.id == client.id) {
            clients.push(client.clone());
            self.count.store(clients.len(), Ordering::Relaxed);
        }
    }

    /// Removes `client` (disconnection, RESET).
    pub fn remove(&self, client: &ClientHandle) {
        if !self.any() {
            return;
        }
        let mut clients = self.clients.write();
        clients.retain(|c| c.id != client.id);
        self.count.store(clients.len(), Ordering::Relaxed);
    }

    /// Sends every monitor the line for a command `args` run by `from` in `db` at `now_us`,
    /// encoded once: `+<secs>.<usecs> [<db> <addr>] "arg" ...`, the arguments at `redacted`
    /// (passwords the command marked) shown as "(redacted)".
    pub fn feed(
        &self,
        now_us: u64,
        db: usize,
        from: &ClientInfo,
        args: &[Bytes],
        redacted: &[usize],
    ) {
        let mut line = Vec::with_capacity(64 + args.iter().map(|a| a.len() + 3).sum::<usize>());
        let addr = match from {
            ClientInfo::Unix { path } => format!("unix:{path}"),
            info => info.peer_id(),
        };
        line.extend_from_slice(
            format!(
                "+{}.{:06} [{db} {addr}] ",
                now_us / 1_000_000,
                now_us % 1_000_000
            )
            .as_bytes(),
        );
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                line.push(b' ');
            }
            if redacted.contains(&i) {
                line.extend_from_slice(b"\"(redacted)\"");
            } else {
                push_repr(&mut line, arg);
            }
        }
        line.extend_from_slice(b"\r\n");
        let line = Bytes::from(line);
        for monitor in self.clients.read().iter() {
            monitor.mailbox.push(line.clone());
            monitor.waker.wake();
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn monitor_sees_commands_in_execution_order_with_secrets_redacted() {
        let srv = server();
        let mut m = TestClient::new(&srv);
        assert_eq!(m.cmd(&["MONITOR"]), "+OK\r\n");
        let mut c = TestClient::new(&srv);
        c.cmd(&["SET", "k", "a \"b\"\n"]);
        c.cmd(&["MULTI"]);
        c.cmd(&["INCR", "n"]);
        c.cmd(&["EXEC"]);
        c.cmd(&["CONFIG", "GET", "hz"]);
        c.cmd(&["HELLO", "2", "AUTH", "u", "p"]);
        let lines = m.poll();
        let args: Vec<&str> = lines
            .lines()
            .map(|l| l.split_once("] ").map_or(l, |(_, a)| a))
            .collect();
        assert_eq!(
            args,
            [
                r#""SET" "k" "a \"b\"\n""#,
                r#""MULTI""#,
                r#""INCR" "n""#,
                r#""EXEC""#,
                r#""HELLO" "2" "AUTH" "(redacted)" "(redacted)""#,
            ]
        );
        assert!(
            lines.starts_with('+') && lines.contains(" [0 ?:0] "),
            "{lines}"
        );
    }
}
