//! `ClientRegistry`: every connected client, by id.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::sync::Mutex;

use super::ClientHandle;

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
    use crate::client::{ClientHandle, ClientInfo, NoopWaker};
    use crate::testkit::{server, TestClient};

    #[test]
    fn last_cmd_is_a_command_id_named_by_the_table() {
        let srv = server();
        let h = ClientHandle::new(1, ClientInfo::Internal, 0, Arc::new(NoopWaker));
        assert_eq!(srv.commands.name_of(h.last_cmd_id()), "NULL");
        let get = srv.commands.get(b"get").expect("get");
        h.set_last_cmd(get.id);
        assert_eq!(srv.commands.name_of(h.last_cmd_id()), "get");
        let list = srv
            .commands
            .get(b"client")
            .and_then(|c| c.subcommand(b"list"))
            .expect("client|list");
        h.set_last_cmd(list.id);
        assert_eq!(srv.commands.name_of(h.last_cmd_id()), "client|list");
        h.clear_last_cmd();
        assert_eq!(srv.commands.name_of(h.last_cmd_id()), "NULL");
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
