//! The ACL log (ACL LOG): recent refusals, newest first, similar ones grouped with a count as
//! Redis groups them (same reason, context, object and user within a minute).

use std::collections::VecDeque;

use bytes::Bytes;

use super::check::Reason;

/// Entries this far apart in time are never grouped (Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA).
const GROUPING_MS: u64 = 60_000;
/// How many recent entries are searched for one to group with.
const GROUPING_SCAN: usize = 10;

/// Where the refused command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Sent by the client.
    Toplevel,
    /// Queued in or run by MULTI/EXEC.
    Multi,
    /// Called by a script.
    Lua,
}

impl Context {
    /// ACL LOG's `context` field.
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One ACL LOG entry.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Times this happened while grouped.
    pub count: u64,
    /// Why it was refused.
    pub reason: Reason,
    /// Where.
    pub context: Context,
    /// The command, key, channel or (for AUTH) user name refused.
    pub object: Bytes,
    /// The user the client was authenticated as (for AUTH, the one it tried).
    pub username: Bytes,
    /// When it last happened, Unix ms.
    pub time_ms: u64,
    /// CLIENT INFO of the last client it happened to.
    pub client_info: String,
}

/// The log itself.
#[derive(Default)]
pub struct AclLog {
    entries: VecDeque<Entry>,
}

impl AclLog {
    /// Records `e`, grouping it with a recent similar entry, and keeps at most `max` entries.
    pub fn add(&mut self, e: Entry, max: usize) {
        let similar = self.entries.iter().take(GROUPING_SCAN).position(|c| {
            c.reason == e.reason
                && c.context == e.context
                && c.time_ms.abs_diff(e.time_ms) <= GROUPING_MS
                && c.object == e.object
                && c.username == e.username
        });
        if let Some(i) = similar {
            if let Some(mut c) = self.entries.remove(i) {
                c.count += 1;
                c.time_ms = e.time_ms;
                c.client_info = e.client_info;
                self.entries.push_front(c);
            }
            return;
        }
        self.entries.push_front(e);
        self.entries.truncate(max);
    }

    /// The newest `n` entries.
    pub fn newest(&self, n: usize) -> impl Iterator<Item = &Entry> {
        self.entries.iter().take(n)
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// ACL LOG RESET.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
