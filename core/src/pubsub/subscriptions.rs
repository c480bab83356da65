//! `Subscriptions`: what one client is subscribed to, kept in its `ClientState`.

use bytes::Bytes;
use indexmap::IndexSet;

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE.
    Channel = 0,
    /// PSUBSCRIBE.
    Pattern = 1,
    /// SSUBSCRIBE.
    Shard = 2,
}

impl Kind {
    /// The name of the reply to subscribing (`subscribe`, `psubscribe`, `ssubscribe`).
    pub fn subscribed(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    /// The name of the reply to unsubscribing.
    pub fn unsubscribed(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// One client's channels, patterns and shard channels, in subscription order.
#[derive(Default)]
pub struct Subscriptions {
    sets: [IndexSet<Bytes>; 3],
}

impl Subscriptions {
    /// Adds `name`; `false` if the client was subscribed already.
    pub fn insert(&mut self, kind: Kind, name: &Bytes) -> bool {
        self.sets[kind as usize].insert(name.clone())
    }

    /// Removes `name`; `false` if the client was not subscribed.
    pub fn remove(&mut self, kind: Kind, name: &[u8]) -> bool {
        self.sets[kind as usize].shift_remove(name)
    }

    /// Every subscription of `kind`.
    pub fn names(&self, kind: Kind) -> Vec<Bytes> {
        self.sets[kind as usize].iter().cloned().collect()
    }

    /// Subscriptions of `kind`.
    pub fn len(&self, kind: Kind) -> usize {
        self.sets[kind as usize].len()
    }

    /// The count a (un)subscribe reply carries: channels and patterns together, shard
    /// channels on their own (as Redis counts them).
    pub fn reply_count(&self, kind: Kind) -> usize {
        match kind {
            Kind::Shard => self.len(Kind::Shard),
            _ => self.len(Kind::Channel) + self.len(Kind::Pattern),
        }
    }

    /// Whether the client is subscribed to nothing (it is in Redis's pub/sub context otherwise).
    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(IndexSet::is_empty)
    }
}
