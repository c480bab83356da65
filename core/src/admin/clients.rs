//! The client registry: what CLIENT LIST/INFO/KILL see of every connected session.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;

use crate::command::{Command, CommandTable};
use crate::session::{ClientInfo, Waker};
use crate::sync::AtomicBool;

/// The parts of a session other sessions may read or act on.
pub struct ClientHandle {
    /// Unique, increasing client id.
    pub id: u64,
    /// Where the client connected from and to.
    pub info: ClientInfo,
    /// Connection time, Unix milliseconds.
    pub created_ms: u64,
    /// Last command time, Unix milliseconds.
    pub last_interaction_ms: AtomicU64,
    /// Selected database.
    pub db: AtomicUsize,
    /// CLIENT SETNAME.
    pub name: Mutex<Option<Bytes>>,
    /// CLIENT SETINFO lib-name / lib-ver.
    pub lib: Mutex<(Option<Bytes>, Option<Bytes>)>,
    /// Id of the last command run ([`crate::command::Command::id`]; 0 = none, shown as
    /// "NULL"). Set with [`ClientHandle::set_last_cmd`], read with [`ClientHandle::last_cmd_name`].
    last_cmd_id: AtomicUsize,
    /// Commands queued in an open MULTI (CLIENT LIST `multi=`, flag `x`); -1 outside MULTI.
    pub multi: std::sync::atomic::AtomicIsize,
    /// Protocol version (2 or 3).
    pub resp: AtomicUsize,
    /// Set by CLIENT KILL: the session closes at its next poll.
    pub killed: AtomicBool,
    /// Bytes waiting in the query buffer and output buffer (CLIENT LIST qbuf / omem).
    pub qbuf: AtomicUsize,
    /// Bytes of pending output.
    pub omem: AtomicUsize,
    /// CLIENT NO-EVICT is on (CLIENT LIST flag `e`).
    pub no_evict: AtomicBool,
    /// CLIENT NO-TOUCH is on (CLIENT LIST flag `T`, as Redis 7.2 shows it).
    pub no_touch: AtomicBool,
    /// Wakes the session's transport.
    pub waker: Arc<dyn Waker>,
    /// The blocking command the client waits in (CLIENT UNBLOCK, CLIENT LIST flag `b`).
    pub blocked: Mutex<Option<Arc<crate::blocking::Waiter>>>,
}

impl ClientHandle {
    /// A handle for a client that connected at `now_ms`, with nothing set yet.
    pub fn new(id: u64, info: ClientInfo, now_ms: u64, waker: Arc<dyn Waker>) -> Self {
        ClientHandle {
            id,
            info,
            created_ms: now_ms,
            last_interaction_ms: now_ms.into(),
            db: 0.into(),
            name: Default::default(),
            lib: Default::default(),
            last_cmd_id: 0.into(),
            multi: (-1).into(),
            resp: 2.into(),
            killed: false.into(),
            qbuf: 0.into(),
            omem: 0.into(),
            no_evict: false.into(),
            no_touch: false.into(),
            waker,
            blocked: Mutex::new(None),
        }
    }

    /// Records `cmd` (a command or subcommand of this server's table) as the client's last
    /// command, as CLIENT LIST/INFO show it in `cmd=`. One relaxed atomic store: cheap enough
    /// for every command.
    #[inline]
    pub fn set_last_cmd(&self, cmd: &Command) {
        self.last_cmd_id.store(cmd.id, Ordering::Relaxed);
    }

    /// Records that the client's last command was not a known command (CLIENT LIST shows
    /// `cmd=NULL`, as Redis does after an unknown command or subcommand).
    #[inline]
    pub fn clear_last_cmd(&self) {
        self.last_cmd_id.store(0, Ordering::Relaxed);
    }

    /// The full name of the client's last command (`get`, `client|list`), "NULL" if none.
    pub fn last_cmd_name<'t>(&self, table: &'t CommandTable) -> std::borrow::Cow<'t, str> {
        std::borrow::Cow::Borrowed(table.name_of(self.last_cmd_id.load(Ordering::Relaxed)))
    }

    /// Whether the client waits in a blocking command (CLIENT LIST flag `b`).
    pub fn is_blocked(&self) -> bool {
        self.blocked
            .lock()
            .as_ref()
            .is_some_and(|w| matches!(*w.lock(), crate::blocking::WaitState::Blocked))
    }

    /// Forgets `waiter` as the client's blocking command, once it is settled or gone. A
    /// `Waiter` holds its client's handle, so leaving it here would be a reference cycle that
    /// keeps both alive forever. Only `waiter` itself is cleared: by the time a settler gets
    /// here the session may already have delivered the reply and blocked again.
    pub fn clear_blocked(&self, waiter: &Arc<crate::blocking::Waiter>) {
        let mut blocked = self.blocked.lock();
        let ours = blocked.as_ref().is_some_and(|w| Arc::ptr_eq(w, waiter));
        let cleared = if ours { blocked.take() } else { None };
        // The waiter is released after the lock.
        drop(blocked);
        drop(cleared);
    }

    /// Asks the session to close at its next poll (CLIENT KILL) and wakes its transport.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Relaxed);
        self.waker.wake();
    }
}

/// Every connected client, by id.
#[derive(Default)]
pub struct ClientRegistry {
    clients: Mutex<BTreeMap<u64, Arc<ClientHandle>>>,
    next_id: AtomicU64,
}

impl ClientRegistry {
    /// The next client id (ids start at 1 and never repeat).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Registers a connected client.
    pub fn insert(&self, handle: Arc<ClientHandle>) {
        self.clients.lock().insert(handle.id, handle);
    }

    /// Removes a disconnected client.
    pub fn remove(&self, id: u64) {
        self.clients.lock().remove(&id);
    }

    /// Number of connected clients.
    pub fn len(&self) -> usize {
        self.clients.lock().len()
    }

    /// Whether no client is connected.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of every client, in id order.
    pub fn snapshot(&self) -> Vec<Arc<ClientHandle>> {
        self.clients.lock().values().cloned().collect()
    }

    /// The client with `id`.
    pub fn get(&self, id: u64) -> Option<Arc<ClientHandle>> {
        self.clients.lock().get(&id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::NoopWaker;
    use crate::testkit::{server, TestClient};

    #[test]
    fn last_cmd_is_a_command_id_named_by_the_table() {
        let srv = server();
        let h = ClientHandle::new(1, ClientInfo::Internal, 0, Arc::new(NoopWaker));
        assert_eq!(h.last_cmd_name(&srv.commands), "NULL");
        let get = srv.commands.get(b"get").expect("get");
        h.set_last_cmd(get);
        assert_eq!(h.last_cmd_name(&srv.commands), "get");
        let list = srv
            .commands
            .get(b"client")
            .and_then(|c| c.subcommand(b"list"))
            .expect("client|list");
        h.set_last_cmd(list);
        assert_eq!(h.last_cmd_name(&srv.commands), "client|list");
        h.clear_last_cmd();
        assert_eq!(h.last_cmd_name(&srv.commands), "NULL");
    }

    #[test]
    fn client_list_shows_the_last_command() {
        let srv = server();
        let mut c1 = TestClient::new(&srv);
        let mut c2 = TestClient::new(&srv);
        let id = c1.session.id().to_string();
        assert_eq!(c1.cmd(&["SET", "k", "v"]), "+OK\r\n");
        let line = c2.cmd(&["CLIENT", "LIST", "ID", &id]);
        assert!(line.contains(" cmd=set "), "{line}");
        c1.cmd(&["CONFIG", "GET", "hz"]);
        let line = c2.cmd(&["CLIENT", "LIST", "ID", &id]);
        assert!(line.contains(" cmd=config|get "), "{line}");
    }
}
