//! The stream value: nodes (Redis-layout listpacks, see `node.rs`) indexed by their master
//! ID in a B-tree, plus the metadata Redis keeps (length, first/last/max-deleted IDs, entries
//! ever added).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::group::Group;
use super::id::StreamId;
use super::index::NodeIndex;
use super::node::{Node, RawEntry};
use crate::persist::listpack::Entry;
use crate::util::digest::{mix_digest, Digest};

/// Node size limits (`stream-node-max-bytes`, `stream-node-max-entries`).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    /// Bytes a node may reach (0 = no limit beyond Redis's 1 GB cap).
    pub max_bytes: usize,
    /// Entries, live or deleted, a node may hold (0 = no limit).
    pub max_entries: i64,
}

/// Redis's hard cap on one stream listpack.
const LISTPACK_MAX: usize = 1 << 30;

/// How XADD/XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Drop entries below this ID.
    MinId(StreamId),
}

/// A stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stream {
    nodes: NodeIndex,
    /// Live entries.
    pub length: u64,
    /// The last ID ever added (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry's ID (0-0 when empty).
    pub first_id: StreamId,
    /// The largest ID ever deleted.
    pub max_deleted: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    /// An empty stream.
    pub fn new() -> Stream {
        Stream::default()
    }

    /// The nodes, by master ID, in order (RDB, MEMORY USAGE).
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &Node)> {
        self.nodes.iter()
    }

    /// Number of nodes (XINFO's radix-tree-keys).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node count of Redis's radix tree over the nodes' 16-byte master IDs, computed for the
    /// compressed tree those keys make: the root, each key, each branching point, plus one
    /// compressed node under a branching point wherever the edge below it spans several bytes.
    pub fn radix_nodes(&self) -> usize {
        struct Pos {
            depth: usize,
            children: usize,
            long: usize,
        }
        fn attach(child: usize, parent: &mut Pos) {
            parent.children += 1;
            if child - parent.depth > 1 {
                parent.long += 1;
            }
        }
        let pos = |depth| Pos {
            depth,
            children: 0,
            long: 0,
        };
        let mut total = 0;
        let mut finish = |p: &Pos| total += 1 + if p.children >= 2 { p.long } else { 0 };
        let mut stack = vec![pos(0)];
        let mut prev: Option<[u8; 16]> = None;
        for (id, _) in self.nodes() {
            let key = id.to_be_bytes();
            let lcp = prev.map_or(0, |p| {
                p.iter().zip(&key).take_while(|(a, b)| a == b).count()
            });
            let mut popped: Option<usize> = None;
            while stack.last().is_some_and(|p| p.depth > lcp) {
                let Some(mut node) = stack.pop() else { break };
                if let Some(d) = popped {
                    attach(d, &mut node);
                }
                finish(&node);
                popped = Some(node.depth);
            }
            if stack.last().is_some_and(|p| p.depth < lcp) {
                stack.push(pos(lcp));
            }
            if let (Some(d), Some(top)) = (popped, stack.last_mut()) {
                attach(d, top);
            }
            stack.push(pos(16));
            prev = Some(key);
        }
        let mut popped: Option<usize> = None;
        while let Some(mut node) = stack.pop() {
            if let Some(d) = popped {
                attach(d, &mut node);
            }
            finish(&node);
            popped = Some(node.depth);
        }
        total
    }

    /// The work freeing the stream takes, as Redis's lazyfreeGetFreeEffort counts it: one per
    /// node of its radix tree, plus, when it has consumer groups, the number of groups times
    /// one more than the first group's PEL size (the first group standing for all of them).
    /// Exact up to `cap`; past it, a lower bound that is still above `cap` (a long stream's
    /// tree is not walked).
    pub fn free_effort(&self, cap: usize) -> usize {
        let groups = match self.groups.first_key_value() {
            Some((_, g)) => self.groups.len() * (1 + g.pel.len()),
            None => 0,
        };
        // The tree has at least one node per key plus its root: skip walking a big one.
        if self.node_count() + groups > cap {
            return self.node_count() + 1 + groups;
        }
        self.radix_nodes() + groups
    }

    /// Adds a node as loaded from RDB, after every node it has; false if it is not after them.
    pub fn insert_node(&mut self, master: StreamId, node: Node) -> bool {
        self.nodes.push(master, node)
    }

    /// Appends an entry with `id` (above `last_id`, checked by the caller) and the flat
    /// field-value list `pairs`.
    pub fn append(&mut self, id: StreamId, pairs: &[&[u8]], limits: NodeLimits) {
        let payload: usize = pairs.iter().map(|p| p.len()).sum();
        let max_bytes = match limits.max_bytes {
            0 => LISTPACK_MAX,
            n => n.min(LISTPACK_MAX),
        };
        let tail = self.nodes.last_mut();
        let fits = tail.as_ref().is_some_and(|(_, node)| {
            let (live, deleted) = node.counts();
            node.bytes() + payload < max_bytes
                && (limits.max_entries == 0 || live + deleted < limits.max_entries)
        });
        match tail {
            Some((master, node)) if fits => node.append(master, id, pairs),
            tail => {
                if let Some((_, node)) = tail {
                    node.shrink();
                }
                self.nodes.push(id, Node::new(id, pairs));
            }
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// Calls `f` for each live entry with an ID in `start..=end`, in order (`rev`: from the
    /// end), until it returns false.
    pub fn walk(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut f: impl FnMut(StreamId, &[(Entry<'_>, Entry<'_>)]) -> bool,
    ) {
        if start > end {
            return;
        }
        if !rev {
            // From the node that may hold `start`: the last to begin at or before it.
            for (master, node) in self.nodes.from(start) {
                if master > end {
                    return;
                }
                let (fields, mut p) = node.master_fields();
                while let Some((e, next)) = node.read(master, &fields, p) {
                    p = next;
                    if e.id > end {
                        return;
                    }
                    if e.deleted || e.id < start {
                        continue;
                    }
                    if !f(e.id, &e.pairs) {
                        return;
                    }
                }
            }
        } else {
            for (master, node) in self.nodes.back_from(end) {
                let (fields, first) = node.master_fields();
                let mut p = node.end();
                while let Some(at) = node.prev_entry(p, first) {
                    p = at;
                    let Some((e, _)) = node.read(master, &fields, at) else {
                        break;
                    };
                    if e.id < start {
                        return;
                    }
                    if e.deleted || e.id > end {
                        continue;
                    }
                    if !f(e.id, &e.pairs) {
                        return;
                    }
                }
            }
        }
    }

    /// The node holding `id`, if any, and the entry's position in it.
    fn locate(&self, id: StreamId) -> Option<(StreamId, usize)> {
        let (master, node) = self.nodes.floor_node(id)?;
        let (fields, mut p) = node.master_fields();
        while let Some((e, next)) = node.read(master, &fields, p) {
            if e.id == id {
                return (!e.deleted).then_some((master, e.at));
            }
            if e.id > id {
                return None;
            }
            p = next;
        }
        None
    }

    /// Whether a live entry has ID `id`.
    pub fn contains(&self, id: StreamId) -> bool {
        self.locate(id).is_some()
    }

    /// Deletes the live entry `id`; false if there is none.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((master, at)) = self.locate(id) else {
            return false;
        };
        let Some(node) = self.nodes.get_mut(master) else {
            return false;
        };
        node.mark_deleted(at);
        if node.counts().0 == 0 {
            self.nodes.remove(master);
        }
        self.length -= 1;
        if id > self.max_deleted {
            self.max_deleted = id;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.first_id = self.edge(false).unwrap_or_default();
        }
        true
    }

    /// The first (or with `last`, the last) live entry's ID.
    pub fn edge(&self, last: bool) -> Option<StreamId> {
        let mut found = None;
        self.walk(StreamId::MIN, StreamId::MAX, last, |id, _| {
            found = Some(id);
            false
        });
        found
    }

    /// Mixes the entries into `d` as Redis's DEBUG DIGEST does: each ID as `ms.seq`, then
    /// each field and value, in order.
    pub fn digest(&self, d: &mut Digest) {
        let mut buf = itoa::Buffer::new();
        self.walk(StreamId::MIN, StreamId::MAX, false, |id, pairs| {
            mix_digest(d, format!("{}.{}", id.ms, id.seq).as_bytes());
            for (f, v) in pairs {
                for e in [f, v] {
                    match e {
                        Entry::Str(s) => mix_digest(d, s),
                        Entry::Int(n) => mix_digest(d, buf.format(*n).as_bytes()),
                    }
                }
            }
            true
        });
    }

    /// Trims as Redis's streamTrim: whole nodes first; with `approx` only whole nodes; at
    /// most `limit` entries (0 = no limit). Returns how many entries were removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut removed = 0u64;
        while let Some((master, node)) = self.nodes.first() {
            if let Trim::MaxLen(max) = how {
                if self.length <= max {
                    break;
                }
            }
            let (live, _) = node.counts();
            let live = live as u64;
            if limit > 0 && removed + live > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => self.length - live >= max,
                Trim::MinId(min) => node.last_id(master).is_some_and(|last| last < min),
            };
            if whole {
                self.nodes.remove(master);
                self.length -= live;
                removed += live;
                continue;
            }
            if approx {
                break;
            }
            removed += self.trim_inside(master, how);
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if removed > 0 {
            self.first_id = self.edge(false).unwrap_or_default();
        }
        removed
    }

    /// Marks entries of the first node deleted from its start until the trim is satisfied.
    fn trim_inside(&mut self, master: StreamId, how: Trim) -> u64 {
        let mut marks = Vec::new();
        if let Some(node) = self.nodes.get(master) {
            let (fields, mut p) = node.master_fields();
            let mut length = self.length;
            while let Some((
                RawEntry {
                    id, deleted, at, ..
                },
                next,
            )) = node.read(master, &fields, p)
            {
                let stop = match how {
                    Trim::MaxLen(max) => length <= max,
                    Trim::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                if !deleted {
                    marks.push(at);
                    length -= 1;
                }
                p = next;
            }
        }
        let n = marks.len() as u64;
        if let Some(node) = self.nodes.get_mut(master) {
            // Flags keep their one-byte size, so the positions stay valid.
            for at in marks {
                node.mark_flag_only(at);
            }
            node.add_deleted(n as i64);
        }
        self.length -= n;
        n
    }
}
