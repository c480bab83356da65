//! Consumer groups (Redis's streamCG): the last delivered ID, the logical read counter, the
//! group's pending entries list (PEL) and its consumers, each with its own PEL.
//!
//! Redis shares one NACK between the group PEL and the owner's PEL; here the group PEL holds
//! the pending entry (with its owner's name) and a consumer's PEL holds only IDs, so the two
//! are kept in step by the methods below, never edited apart.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::id::StreamId;

/// One delivered, not yet acknowledged entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Unix ms of the last delivery.
    pub delivery_time: u64,
    /// Times delivered.
    pub delivery_count: u64,
    /// The consumer that owns it.
    pub consumer: Bytes,
}

/// A consumer of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Consumer {
    /// Unix ms the consumer was last seen (an attempted read or claim).
    pub seen_time: u64,
    /// The IDs it owns in the group's PEL.
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to any consumer.
    pub last_id: StreamId,
    /// Entries the group has read, counted from the stream's first entry ever; None when it
    /// cannot be known (Redis's SCG_INVALID_ENTRIES_READ, -1).
    pub entries_read: Option<u64>,
    /// Pending entries by ID.
    pub pel: BTreeMap<StreamId, Pending>,
    /// Consumers by name (name order, as Redis's radix tree lists them).
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    /// A group at `last_id`.
    pub fn new(last_id: StreamId, entries_read: Option<u64>) -> Group {
        Group {
            last_id,
            entries_read,
            ..Group::default()
        }
    }

    /// The consumer `name`, created (seen now) if missing; the bool says it was created.
    /// An existing consumer is marked seen now unless `refresh` is false.
    pub fn consumer(&mut self, name: &[u8], now: u64, refresh: bool) -> (&mut Consumer, bool) {
        if !self.consumers.contains_key(name) {
            let c = Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            };
            self.consumers.insert(Bytes::copy_from_slice(name), c);
            let c = self.consumers.get_mut(name).expect("just inserted");
            return (c, true);
        }
        let c = self.consumers.get_mut(name).expect("checked above");
        if refresh {
            c.seen_time = now;
        }
        (c, false)
    }

    /// The interned name of an existing consumer (shared by its pending entries).
    fn name_of(&self, name: &[u8]) -> Bytes {
        self.consumers
            .get_key_value(name)
            .map_or_else(|| Bytes::copy_from_slice(name), |(k, _)| k.clone())
    }

    /// Gives pending entry `id` to consumer `name` (which must exist), creating the entry if
    /// missing, moving it from its previous owner otherwise; returns the entry to update.
    pub fn assign(&mut self, id: StreamId, name: &[u8], now: u64) -> &mut Pending {
        let owner = self.name_of(name);
        let previous = self.pel.get(&id).map(|p| p.consumer.clone());
        if let Some(prev) = previous.as_ref().filter(|p| **p != owner) {
            if let Some(c) = self.consumers.get_mut(&prev[..]) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(name) {
            c.pel.insert(id);
        }
        let p = self.pel.entry(id).or_insert_with(|| Pending {
            delivery_time: now,
            delivery_count: 1,
            consumer: owner.clone(),
        });
        p.consumer = owner;
        p
    }

    /// Removes pending entry `id` from the group and its owner; false if it was not pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&p.consumer[..]) {
            c.pel.remove(&id);
        }
        true
    }

    /// Deletes consumer `name` and its pending entries; returns how many it had pending, or
    /// None if there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let c = self.consumers.remove(name)?;
        for id in &c.pel {
            self.pel.remove(id);
        }
        Some(c.pel.len())
    }
}
