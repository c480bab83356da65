//! Keyspace notifications (`notify-keyspace-events`), as Redis 7.0's notify.c publishes them:
//! an event of class `class` named `event` about `key` in database `db` goes, when its class is
//! on, to `__keyspace@<db>__:<key>` with the event name as message (K), and to
//! `__keyevent@<db>__:<event>` with the key as message (E).
//!
//! Handlers call [`Ctx::notify`] after their change, in Redis's order; the keyspace reports the
//! events it causes itself (`expired`, `new`, `keymiss`) through [`KeyEvents`], which the server
//! implements here. Publishing happens under the command's shard locks: the Pub/Sub registry's
//! locks are leaf locks.

use super::Ctx;
use crate::config::notify::{KEYEVENT, KEYSPACE};
use crate::keyspace::KeyEvents;
use crate::server::Server;

/// Publishes event `event` of class `class` about `key` of database `db`, if that class is on.
#[inline]
pub fn notify(server: &Server, class: u32, event: &str, key: &[u8], db: usize) {
    let flags = server.keyspace.notify.get();
    if flags & class != 0 {
        publish(server, flags, event, key, db);
    }
}

/// The channels and messages of one wanted event.
#[cold]
#[inline(never)]
fn publish(server: &Server, flags: u32, event: &str, key: &[u8], db: usize) {
    let mut buf = itoa::Buffer::new();
    let db = buf.format(db).as_bytes();
    if flags & KEYSPACE != 0 {
        deliver(server, &channel(b"__keyspace@", db, key), event.as_bytes());
    }
    if flags & KEYEVENT != 0 {
        deliver(server, &channel(b"__keyevent@", db, event.as_bytes()), key);
    }
}

/// `<prefix><db>__:<suffix>`.
fn channel(prefix: &[u8], db: &[u8], suffix: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(prefix.len() + db.len() + 3 + suffix.len());
    c.extend_from_slice(prefix);
    c.extend_from_slice(db);
    c.extend_from_slice(b"__:");
    c.extend_from_slice(suffix);
    c
}

fn deliver(server: &Server, channel: &[u8], message: &[u8]) {
    #[cfg(test)]
    capture::record(channel, message);
    server.pubsub.publish(channel, message);
}

impl KeyEvents for Server {
    fn key_event(&self, class: u32, event: &str, db: usize, key: &[u8]) {
        notify(self, class, event, key, db);
    }

    fn key_removed(&self, _db: usize, key: &[u8]) {
        if self.tracking.active() {
            self.tracking.invalidate(&self.clients, key, None);
        }
    }

    fn host(&self) -> Option<&dyn crate::host::Host> {
        Some(&*self.host)
    }
}

impl Ctx<'_> {
    /// Publishes event `event` of class `class` about `key` of the client's database.
    #[inline]
    pub fn notify(&self, class: u32, event: &str, key: &[u8]) {
        notify(self.server, class, event, key, self.client.db);
    }

    /// Publishes event `event` of class `class` about `key` of database `db` (MOVE, COPY DB).
    #[inline]
    pub fn notify_in(&self, db: usize, class: u32, event: &str, key: &[u8]) {
        notify(self.server, class, event, key, db);
    }
}

#[cfg(test)]
mod tests;

/// Test seam: records what this thread publishes, so tests can assert the exact (channel,
/// message) sequence before Pub/Sub delivery exists. Thread-local, as each test drives its
/// sessions on its own thread.
#[cfg(test)]
pub mod capture {
    use std::cell::RefCell;

    thread_local! {
        static SINK: RefCell<Option<Vec<(String, String)>>> = const { RefCell::new(None) };
    }

    /// Starts recording on this thread (dropping anything recorded before).
    pub fn start() {
        SINK.with(|s| *s.borrow_mut() = Some(Vec::new()));
    }

    /// The (channel, message) pairs published since `start` or the last `take`.
    pub fn take() -> Vec<(String, String)> {
        SINK.with(|s| s.borrow_mut().as_mut().map(std::mem::take))
            .unwrap_or_default()
    }

    pub(super) fn record(channel: &[u8], message: &[u8]) {
        SINK.with(|s| {
            if let Some(v) = s.borrow_mut().as_mut() {
                v.push((
                    String::from_utf8_lossy(channel).into_owned(),
                    String::from_utf8_lossy(message).into_owned(),
                ));
            }
        });
    }
}
