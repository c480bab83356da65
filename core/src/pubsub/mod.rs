//! Pub/Sub: the server-wide registry of channel, pattern and shard-channel subscriptions, and
//! PUBLISH's fan-out into the subscribers' mailboxes (docs/ARCHITECTURE.md, "Pub/Sub").
//!
//! The registry sits with the clients (it holds their handles); the commands
//! (`commands.rs`) are handlers like any other. A publish encodes each frame once per protocol
//! and pushes the same bytes to every subscriber's [`Mailbox`](crate::client::Mailbox); the
//! subscriber's own session copies them into its output. Delivery order per subscriber is the
//! order publishes reached its mailbox, which for one publisher is publish order.

pub mod commands;
mod message;
mod subscriptions;

use std::sync::Arc;

use bytes::Bytes;
use indexmap::IndexMap;
use std::collections::HashMap;

use crate::client::ClientHandle;
use crate::config::ObufLimit;
use crate::sync::{AtomicU64, AtomicUsize, Ordering, RwLock};
use crate::util::glob::string_match;

pub use message::Frames;
pub use subscriptions::{Kind, Subscriptions};

type Subscribers = Vec<Arc<ClientHandle>>;

/// Every subscription of every client, and the fan-out of published messages.
#[derive(Default)]
pub struct PubSub {
    channels: RwLock<HashMap<Bytes, Subscribers>>,
    patterns: RwLock<IndexMap<Bytes, Subscribers>>,
    shard_channels: RwLock<HashMap<Bytes, Subscribers>>,
    /// Channels + patterns + shard channels with a subscriber: PUBLISH with nobody listening
    /// (and notifications while nobody subscribes) stop at this one load.
    active: AtomicUsize,
    /// The pubsub class's hard output limit in bytes (0 = none), checked as a message is
    /// queued so a subscriber whose worker is slow to drain cannot make memory grow unbounded.
    hard_limit: AtomicU64,
}

impl PubSub {
    fn table(&self, kind: Kind) -> &RwLock<HashMap<Bytes, Subscribers>> {
        match kind {
            Kind::Shard => &self.shard_channels,
            _ => &self.channels,
        }
    }

    /// Takes the pubsub class's limits from the configuration.
    pub fn set_limit(&self, limit: &ObufLimit) {
        self.hard_limit.store(limit.hard, Ordering::Relaxed);
    }

    /// Adds `client` to the subscribers of `name` (the caller checked it was not already).
    pub fn subscribe(&self, kind: Kind, name: &Bytes, client: &Arc<ClientHandle>) {
        let subscribers = match kind {
            Kind::Pattern => {
                let mut patterns = self.patterns.write();
                let subs = patterns.entry(name.clone()).or_default();
                subs.push(client.clone());
                subs.len()
            }
            _ => {
                let mut table = self.table(kind).write();
                let subs = table.entry(name.clone()).or_default();
                subs.push(client.clone());
                subs.len()
            }
        };
        if subscribers == 1 {
            self.active.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Removes `client` from the subscribers of `name`.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], client: &ClientHandle) {
        let emptied = match kind {
            Kind::Pattern => {
                let mut patterns = self.patterns.write();
                let emptied = remove(patterns.get_mut(name), client);
                if emptied {
                    patterns.shift_remove(name);
                }
                emptied
            }
            _ => {
                let mut table = self.table(kind).write();
                let emptied = remove(table.get_mut(name), client);
                if emptied {
                    table.remove(name);
                }
                emptied
            }
        };
        if emptied {
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Every channel, pattern and shard channel client `id` is subscribed to (a scan of all
    /// subscriptions: for rare checks such as an ACL change).
    pub fn subscriptions_of(&self, id: u64) -> Vec<(Kind, Bytes)> {
        let mut out = Vec::new();
        for (kind, table) in [
            (Kind::Channel, &self.channels),
            (Kind::Shard, &self.shard_channels),
        ] {
            for (name, subs) in table.read().iter() {
                if subs.iter().any(|c| c.id == id) {
                    out.push((kind, name.clone()));
                }
            }
        }
        for (name, subs) in self.patterns.read().iter() {
            if subs.iter().any(|c| c.id == id) {
                out.push((Kind::Pattern, name.clone()));
            }
        }
        out
    }

    /// Drops every subscription of `client` at once: a client killed by CLIENT KILL counts
    /// as a subscriber no longer (Redis frees it on the spot), though its session may take a
    /// moment to close. Its session's own unsubscribing later finds nothing left to remove.
    pub fn forget(&self, client: &ClientHandle) {
        let mut emptied = 0;
        for table in [&self.channels, &self.shard_channels] {
            table.write().retain(|_, subs| {
                subs.retain(|c| c.id != client.id);
                emptied += subs.is_empty() as usize;
                !subs.is_empty()
            });
        }
        self.patterns.write().retain(|_, subs| {
            subs.retain(|c| c.id != client.id);
            emptied += subs.is_empty() as usize;
            !subs.is_empty()
        });
        if emptied > 0 {
            self.active.fetch_sub(emptied, Ordering::Relaxed);
        }
    }

    /// Delivers `message` on `channel` to its subscribers and the clients whose patterns match
    /// it; the number of deliveries (a client subscribed both ways counts twice, as in Redis).
    pub fn publish(&self, channel: &[u8], message: &[u8]) -> usize {
        if self.active.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let hard = self.hard_limit.load(Ordering::Relaxed);
        let mut receivers = 0;
        if let Some(subs) = self.channels.read().get(channel) {
            let mut frames = Frames::message(b"message", channel, message);
            for client in subs {
                deliver(client, frames.get(client), hard);
            }
            receivers += subs.len();
        }
        let patterns = self.patterns.read();
        for (pattern, subs) in patterns.iter() {
            if !string_match(pattern, channel, false) {
                continue;
            }
            let mut frames = Frames::pmessage(pattern, channel, message);
            for client in subs {
                deliver(client, frames.get(client), hard);
            }
            receivers += subs.len();
        }
        receivers
    }

    /// SPUBLISH: delivers to the subscribers of shard channel `channel` (patterns never
    /// match shard channels).
    pub fn spublish(&self, channel: &[u8], message: &[u8]) -> usize {
        if self.active.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let hard = self.hard_limit.load(Ordering::Relaxed);
        let table = self.shard_channels.read();
        let Some(subs) = table.get(channel) else {
            return 0;
        };
        let mut frames = Frames::message(b"smessage", channel, message);
        for client in subs {
            deliver(client, frames.get(client), hard);
        }
        subs.len()
    }

    /// Channels (or shard channels) with subscribers matching `pattern` (all without one).
    pub fn channels(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Bytes> {
        self.table(kind)
            .read()
            .keys()
            .filter(|c| pattern.is_none_or(|p| string_match(p, c, false)))
            .cloned()
            .collect()
    }

    /// Subscribers of channel (or shard channel) `name`, patterns not counted.
    pub fn numsub(&self, kind: Kind, name: &[u8]) -> usize {
        self.table(kind).read().get(name).map_or(0, Vec::len)
    }

    /// Patterns with at least one subscriber.
    pub fn numpat(&self) -> usize {
        self.patterns.read().len()
    }

    /// Channels and patterns with subscribers (INFO pubsub_channels + pubsub_patterns).
    pub fn counts(&self) -> (usize, usize, usize) {
        (
            self.channels.read().len(),
            self.patterns.read().len(),
            self.shard_channels.read().len(),
        )
    }
}

/// `true` if `client` was the last subscriber.
fn remove(subs: Option<&mut Subscribers>, client: &ClientHandle) -> bool {
    let Some(subs) = subs else { return false };
    if let Some(i) = subs.iter().position(|c| c.id == client.id) {
        subs.remove(i);
    }
    subs.is_empty()
}

/// Queues `frame` for `client` and wakes it; a client already over its hard limit is closed
/// instead (its session logs it and drops what it had not read).
fn deliver(client: &ClientHandle, frame: &Bytes, hard: u64) {
    if client.over_limit.load(Ordering::Relaxed) {
        return;
    }
    let queued = client.mailbox.push(frame.clone());
    let pending = queued + client.omem.load(Ordering::Relaxed);
    if hard > 0 && pending as u64 >= hard {
        client.close_over_limit();
        return;
    }
    client.waker.wake();
}

#[cfg(all(test, not(loom)))]
mod tests;
