//! Keyspace notifications the keyspace causes by itself: a key reclaimed by expiry, a key
//! created, a read that missed. The keyspace cannot publish (Pub/Sub sits above it), so the
//! server hands each [`Locked`](super::Locked) view, and the active expiry cycle, a
//! [`KeyEvents`] to report to. Reports happen at the moment of the change, under the key's shard
//! lock, so they come before the running command's own events, as in Redis.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::config::notify;

/// Where the keyspace reports the events it causes (implemented by the server).
pub trait KeyEvents: Sync {
    /// Event `event` of class `class` (a [`notify`] bit) happened to `key` of database `db`.
    fn key_event(&self, class: u32, event: &str, db: usize, key: &[u8]);

    /// `key` of `db` was deleted by the keyspace itself (expiry, eviction): clients caching it
    /// must be told, whatever the notification flags.
    fn key_removed(&self, _db: usize, _key: &[u8]) {}

    /// The host whose background freer takes the values the keyspace frees lazily
    /// ([`super::Keyspace::release`]); without one they are freed where they are released.
    fn host(&self) -> Option<&dyn crate::host::Host> {
        None
    }
}

/// The `notify-keyspace-events` classes, kept apart from the configuration so that checking
/// whether an event is wanted costs one relaxed load (notifications off is the common case).
#[derive(Default)]
pub struct NotifyFlags(AtomicU32);

impl NotifyFlags {
    /// Installs `flags` (the configuration's). Without K or E nothing is ever published, so
    /// that stores 0 and every check fails at once.
    pub fn set(&self, flags: u32) {
        let on = flags & (notify::KEYSPACE | notify::KEYEVENT) != 0;
        self.0.store(if on { flags } else { 0 }, Ordering::Relaxed);
    }

    /// The flags in force (0 when nothing is published).
    #[inline]
    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }

    /// Whether events of `class` are published.
    #[inline]
    pub fn wants(&self, class: u32) -> bool {
        self.get() & class != 0
    }
}
