//! Redis 7's logical read counters: how far a group has read, counted from the first entry
//! ever added, and its lag behind the stream, known only while no deletion makes the count
//! ambiguous (t_stream.c's streamEstimateDistanceFromFirstEverEntry and friends).

use super::group::Group;
use super::id::StreamId;
use super::Stream;

impl Stream {
    /// Whether an entry deleted by XDEL may lie at or after `start` (Redis's
    /// streamRangeHasTombstones with an open end).
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted == StreamId::MIN {
            return false;
        }
        if self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted
    }

    /// The read counter of `id`: its distance from the first entry ever added, when it can be
    /// known.
    pub fn entries_read_at(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.length == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        if id == self.last_id {
            return Some(self.entries_added);
        }
        if id > self.last_id {
            return None;
        }
        if self.max_deleted == StreamId::MIN || self.max_deleted < self.first_id {
            if id < self.first_id {
                return Some(self.entries_added - self.length);
            }
            if id == self.first_id {
                return Some(self.entries_added - self.length + 1);
            }
        }
        None
    }

    /// The number of entries group `g` has yet to read, when it can be known.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let read = match g.entries_read {
            Some(n) if !self.has_tombstones_from(g.last_id) => Some(n),
            _ => self.entries_read_at(g.last_id),
        };
        // Signed, as in Redis: a counter set above entries-added by XGROUP SETID ENTRIESREAD
        // gives a negative lag.
        read.map(|n| (self.entries_added as i64).wrapping_sub(n as i64))
    }

    /// Moves group `g` past entry `id` as a delivery does: its counter follows when it is
    /// known and nothing deleted lies ahead, else it is estimated again.
    pub fn advance_group(&self, g: &mut Group, id: StreamId) {
        if id <= g.last_id {
            return;
        }
        match g.entries_read {
            Some(n) if !self.has_tombstones_from(id) => g.entries_read = Some(n + 1),
            _ if self.entries_added > 0 => g.entries_read = self.entries_read_at(id),
            _ => {}
        }
        g.last_id = id;
    }
}
