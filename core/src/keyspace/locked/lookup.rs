//! `Locked`'s lookups: lazy expiry, access times, the hit/miss statistics and the `expired` and
//! `keymiss` notifications, after Redis's lookupKey and its flags.

use std::sync::atomic::Ordering;

use super::Locked;
use crate::config::notify;
use crate::keyspace::db::{Entry, Slot};

impl<'a> Locked<'a> {
    /// The live entry of `key`, reclaiming it first if it has expired.
    pub fn get(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let touch = self.touch;
        self.lookup(key, touch, Read::Write)
    }

    /// The entry of `key` if it is live, by shared reference and with no lookup effects, so
    /// several can be borrowed at once: for commands that read many keys together (BITOP),
    /// after a `get_read` of each has had the lookup's effects.
    pub fn peek_live(&self, key: &[u8]) -> Option<&Entry> {
        let shard = &self.guards[self.position(key)].1;
        shard.dbs[self.db]
            .peek(key)
            .filter(|e| !e.is_expired(self.now_ms))
    }

    /// Like `get`, for read commands (Redis's lookupKeyRead): also counts a keyspace hit or
    /// miss (INFO stats) and reports a miss as the `keymiss` notification.
    pub fn get_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let touch = self.touch;
        self.lookup(key, touch, Read::Notify)
    }

    /// A read lookup that leaves the access time alone but counts a hit or miss (and reports
    /// a miss), as Redis's `LOOKUP_NOTOUCH` reads do (EXISTS, TYPE, TTL).
    pub fn get_read_no_touch(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.lookup(key, false, Read::Notify)
    }

    /// OBJECT's lookup: no access time, a hit or miss counted, no `keymiss` notification
    /// (Redis's `LOOKUP_NOTOUCH | LOOKUP_NONOTIFY`).
    pub fn get_read_quiet(&mut self, key: &[u8]) -> Option<&mut Entry> {
        self.lookup(key, false, Read::Quiet)
    }

    /// The one lookup path: lazy expiry, then optionally the access time, the hit/miss stats
    /// and the miss notification.
    fn lookup(&mut self, key: &[u8], touch: bool, read: Read) -> Option<&mut Entry> {
        self.expire_heavy(key);
        let now = self.now_ms;
        let ks = self.ks;
        let policy = self.policy;
        let db = self.db;
        let events = self.events;
        let shard = self.shard_mut(key);
        let mut expired = 0;
        // While clients are paused an expired key reads as missing but stays, as Redis keeps
        // the dataset static through a pause.
        let found = shard.find_unless_held(key, now, &mut expired, || ks.pause.holds_expiry(now));
        if expired > 0 {
            ks.expired(db, key, events);
        }
        if found.is_none() && read == Read::Notify {
            ks.event(events, notify::KEY_MISS, "keymiss", db, key);
        }
        if read != Read::Write {
            let counter = if found.is_some() {
                &ks.keyspace_hits
            } else {
                &ks.keyspace_misses
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        let entry = shard.entry_at_mut(found?)?;
        if touch {
            entry.access = policy.touched(entry.access, now, || ks.lfu_random.next_f64());
        }
        Some(entry)
    }

    /// Finds `key` for a write with one hash lookup (lazy expiry applied): its live entry or
    /// room to create it.
    pub fn slot(&mut self, key: &[u8]) -> Slot<'_> {
        self.expire_heavy(key);
        let now = self.now_ms;
        let ks = self.ks;
        let touch = self.touch;
        let access = self.write_access(key);
        let mut expired = 0;
        let db = self.db;
        let events = self.events;
        let slot = self.shard_mut(key).slot(key, now, access, &mut expired);
        if expired > 0 {
            // The expired entry is deleted (or reused by the write); its DEL is recorded now,
            // before the write's own record, which the boundary appends after the handler.
            ks.expired(db, key, events);
        }
        match slot {
            Slot::Live(mut live) => {
                if touch {
                    live.entry().access = access;
                }
                if matches!(live.entry().value, crate::keyspace::Value::Stream(_)) {
                    // A stream about to be overwritten: its group readers must learn it.
                    ks.blocking.signal(db, key);
                }
                Slot::Live(live)
            }
            Slot::Vacant(mut vacant) => {
                if let Some(e) = events.filter(|_| ks.notify.wants(notify::NEW)) {
                    vacant.report_to(e, db);
                }
                Slot::Vacant(vacant)
            }
        }
    }

    /// Like `slot`, for commands that read the key the way Redis's lookupKeyRead does (SET GET,
    /// GETDEL, GETEX): also counts a keyspace hit or miss.
    pub fn slot_read(&mut self, key: &[u8]) -> Slot<'_> {
        let (ks, events, db) = (self.ks, self.events, self.db);
        let slot = self.slot(key);
        let counter = match slot {
            Slot::Live(_) => &ks.keyspace_hits,
            Slot::Vacant(_) => {
                ks.event(events, notify::KEY_MISS, "keymiss", db, key);
                &ks.keyspace_misses
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
        slot
    }

    /// Whether `key` exists (and has not expired).
    pub fn contains(&mut self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }
}

/// How a lookup reads a key, after Redis's lookup flags.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Read {
    /// A write's lookup: no statistics, no notification.
    Write,
    /// A read: counts a hit or miss and reports a miss (`keymiss`).
    Notify,
    /// A read that counts but does not report (`LOOKUP_NONOTIFY`).
    Quiet,
}
