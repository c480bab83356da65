//! One node of a stream: a listpack laid out exactly as Redis lays out its stream nodes, so
//! node boundaries (and with them approximate trimming), memory and the RDB form are Redis's.
//!
//! Elements: the master entry `count deleted nfields field... 0`, then per entry
//! `flags ms-delta seq-delta [nfields] (field value)... | value... lp-count`, where the fields
//! are left out (SAMEFIELDS) when they equal the master's, the ID is relative to the node's
//! master ID (its key in the stream's index), and `lp-count` (elements in the entry before it)
//! lets a reader walk backwards.

use smallvec::SmallVec;

use super::id::StreamId;
use crate::persist::listpack::{self, Builder, Entry};

/// Entry flag: deleted (XDEL, trimming inside a node).
pub const DELETED: i64 = 1;
/// Entry flag: the fields are the master entry's, only values are stored.
pub const SAME_FIELDS: i64 = 2;

/// A stream node: its listpack at the start of a boxed buffer (16 bytes in the index, where a
/// `Vec` takes 24). The listpack's header holds its own length, so the buffer can be longer:
/// the node being appended to grows it by doubling, and `shrink` cuts it to the exact size
/// once the node is full, as Redis's nodes are.
#[derive(Clone, Debug)]
pub struct Node {
    buf: Box<[u8]>,
}

impl PartialEq for Node {
    fn eq(&self, other: &Node) -> bool {
        self.lp() == other.lp()
    }
}

impl Eq for Node {}

/// An element's value as an integer (the node's own integers are always stored as such).
fn int(e: Entry<'_>) -> i64 {
    match e {
        Entry::Int(v) => v,
        Entry::Str(s) => crate::util::num::parse_i64(s).unwrap_or(0),
    }
}

/// One entry read from a node.
#[derive(Debug)]
pub struct RawEntry<'a> {
    /// Its ID.
    pub id: StreamId,
    /// Whether it is marked deleted.
    pub deleted: bool,
    /// Where its flags element starts (for marking it deleted).
    pub at: usize,
    /// Its field-value pairs.
    pub pairs: SmallVec<[(Entry<'a>, Entry<'a>); 4]>,
}

impl Node {
    /// A node whose master entry takes the fields of its first entry, `id`.
    pub fn new(id: StreamId, pairs: &[&[u8]]) -> Node {
        let mut b = Builder::new();
        let nfields = pairs.len() / 2;
        b.push_int(1);
        b.push_int(0);
        b.push_int(nfields as i64);
        for f in pairs.iter().step_by(2) {
            b.push(f);
        }
        b.push_int(0);
        let mut node = Node {
            buf: b.finish().into_boxed_slice(),
        };
        node.push_entry(id, id, pairs, SAME_FIELDS);
        node
    }

    /// A node from a listpack that has been validated as a stream node.
    pub fn from_listpack(lp: Vec<u8>) -> Node {
        Node {
            buf: lp.into_boxed_slice(),
        }
    }

    /// The listpack, as RDB stores it.
    pub fn listpack(&self) -> &[u8] {
        self.lp()
    }

    /// The listpack: the buffer up to the length its header gives.
    #[inline]
    fn lp(&self) -> &[u8] {
        &self.buf[..self.used()]
    }

    /// The listpack's length, from its header (the buffer is never shorter).
    #[inline]
    fn used(&self) -> usize {
        let total = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        (total as usize).min(self.buf.len())
    }

    /// Bytes the node's listpack takes.
    pub fn bytes(&self) -> usize {
        self.used()
    }

    /// Runs `f` on the listpack as a vector, then keeps whatever room the vector grew to (a
    /// boxed slice cannot hold spare capacity, so the spare is zeroed and kept as length).
    fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let used = self.used();
        let mut lp = std::mem::take(&mut self.buf).into_vec();
        lp.truncate(used);
        let r = f(&mut lp);
        lp.resize(lp.capacity(), 0);
        self.buf = lp.into_boxed_slice();
        r
    }

    /// Cuts the buffer to the listpack's exact size (a node that will not grow any more).
    pub fn shrink(&mut self) {
        let used = self.used();
        if used < self.buf.len() {
            let mut lp = std::mem::take(&mut self.buf).into_vec();
            lp.truncate(used);
            self.buf = lp.into_boxed_slice();
        }
    }

    #[inline]
    fn element(&self, p: usize) -> Option<(Entry<'_>, usize)> {
        listpack::next(self.lp(), p)
    }

    /// (live entries, deleted entries).
    pub fn counts(&self) -> (i64, i64) {
        let (live, p) = self.element(listpack::FIRST).unwrap_or((Entry::Int(0), 0));
        let deleted = self.element(p).map_or(0, |(e, _)| int(e));
        (int(live), deleted)
    }

    /// The master fields and where the first entry starts.
    pub fn master_fields(&self) -> (SmallVec<[Entry<'_>; 8]>, usize) {
        let mut fields = SmallVec::new();
        let mut p = listpack::FIRST;
        for _ in 0..2 {
            p = self.element(p).map_or(p, |(_, q)| q);
        }
        let Some((n, mut p)) = self.element(p) else {
            return (fields, p);
        };
        for _ in 0..int(n) {
            let Some((f, q)) = self.element(p) else { break };
            fields.push(f);
            p = q;
        }
        // The master terminator.
        let p = self.element(p).map_or(p, |(_, q)| q);
        (fields, p)
    }

    /// Appends an entry; `master` is the node's key. The fields are compressed away when they
    /// equal the master's.
    pub fn append(&mut self, master: StreamId, id: StreamId, pairs: &[&[u8]]) {
        let same = {
            let (fields, _) = self.master_fields();
            fields.len() * 2 == pairs.len()
                && fields
                    .iter()
                    .zip(pairs.iter().step_by(2))
                    .all(|(m, f)| entry_eq(*m, f))
        };
        let (live, _) = self.counts();
        self.edit(|lp| listpack::replace_int(lp, listpack::FIRST, live + 1));
        self.push_entry(master, id, pairs, if same { SAME_FIELDS } else { 0 });
    }

    fn push_entry(&mut self, master: StreamId, id: StreamId, pairs: &[&[u8]], flags: i64) {
        self.edit(|lp| {
            let mut b = Builder::reopen(std::mem::take(lp));
            Node::write_entry(&mut b, master, id, pairs, flags);
            *lp = b.finish();
        });
    }

    /// Writes an entry's elements (see the module comment) to `b`.
    fn write_entry(b: &mut Builder, master: StreamId, id: StreamId, pairs: &[&[u8]], flags: i64) {
        let nfields = pairs.len() / 2;
        b.push_int(flags);
        b.push_int(id.ms.wrapping_sub(master.ms) as i64);
        b.push_int(id.seq.wrapping_sub(master.seq) as i64);
        let mut lp_count = 3 + nfields;
        if flags & SAME_FIELDS == 0 {
            b.push_int(nfields as i64);
            for p in pairs {
                b.push(p);
            }
            lp_count += nfields + 1;
        } else {
            for v in pairs.iter().skip(1).step_by(2) {
                b.push(v);
            }
        }
        b.push_int(lp_count as i64);
    }

    /// Reads the entry at `p` (the start of its flags), with `fields` the master fields;
    /// returns it and where the next entry starts. None at the end or on a malformed node.
    pub fn read<'a>(
        &'a self,
        master: StreamId,
        fields: &[Entry<'a>],
        p: usize,
    ) -> Option<(RawEntry<'a>, usize)> {
        let (flags, p1) = self.element(p)?;
        let flags = int(flags);
        let (ms, p2) = self.element(p1)?;
        let (seq, mut q) = self.element(p2)?;
        let id = StreamId::new(
            master.ms.wrapping_add(int(ms) as u64),
            master.seq.wrapping_add(int(seq) as u64),
        );
        let mut pairs = SmallVec::new();
        if flags & SAME_FIELDS != 0 {
            for f in fields {
                let (v, n) = self.element(q)?;
                pairs.push((*f, v));
                q = n;
            }
        } else {
            let (n, mut r) = self.element(q)?;
            for _ in 0..int(n) {
                let (f, r1) = self.element(r)?;
                let (v, r2) = self.element(r1)?;
                pairs.push((f, v));
                r = r2;
            }
            q = r;
        }
        // lp-count
        let (_, next) = self.element(q)?;
        let entry = RawEntry {
            id,
            deleted: flags & DELETED != 0,
            at: p,
            pairs,
        };
        Some((entry, next))
    }

    /// Where the entry before the one starting at `p` starts (`p` may be the terminator's
    /// position); None when `p` is the first entry (`first` as `master_fields` gave it).
    pub fn prev_entry(&self, p: usize, first: usize) -> Option<usize> {
        if p <= first {
            return None;
        }
        let count_at = listpack::prev(self.lp(), p)?;
        let (n, _) = self.element(count_at)?;
        let mut q = count_at;
        for _ in 0..int(n) {
            q = listpack::prev(self.lp(), q)?;
        }
        (q >= first).then_some(q)
    }

    /// Where the terminator is: the position `prev_entry` walks back from for the last entry.
    pub fn end(&self) -> usize {
        self.used() - 1
    }

    /// Marks the entry at `at` deleted and updates the master counts.
    pub fn mark_deleted(&mut self, at: usize) {
        let flags = self.element(at).map_or(0, |(e, _)| int(e));
        let (live, deleted) = self.counts();
        self.edit(|lp| {
            listpack::replace_int(lp, at, flags | DELETED);
            let p = listpack::replace_int(lp, listpack::FIRST, live - 1);
            listpack::replace_int(lp, p, deleted + 1);
        });
    }

    /// Sets the master counts after `n` entries were marked deleted by `mark_flag_only`.
    pub fn add_deleted(&mut self, n: i64) {
        let (live, deleted) = self.counts();
        self.edit(|lp| {
            let p = listpack::replace_int(lp, listpack::FIRST, live - n);
            listpack::replace_int(lp, p, deleted + n);
        });
    }

    /// Marks the entry at `at` deleted without touching the counts (trimming batches them).
    pub fn mark_flag_only(&mut self, at: usize) {
        let flags = self.element(at).map_or(0, |(e, _)| int(e));
        self.edit(|lp| listpack::replace_int(lp, at, flags | DELETED));
    }

    /// The ID of the last entry (deleted or not).
    pub fn last_id(&self, master: StreamId) -> Option<StreamId> {
        let (fields, first) = self.master_fields();
        let at = self.prev_entry(self.end(), first)?;
        Some(self.read(master, &fields, at)?.0.id)
    }
}

/// What validating a node found.
pub struct NodeSummary {
    /// Live entries.
    pub live: u64,
    /// The last entry's ID.
    pub last: StreamId,
}

impl Node {
    /// Checks a loaded node's layout the way Redis's deep integrity check does: the master
    /// entry, every entry's elements and lp-count, IDs rising from the master ID, the flags and
    /// the master's counts agreeing. The listpack itself must already be validated.
    pub fn validate(&self, master: StreamId) -> Option<NodeSummary> {
        let mut p = listpack::FIRST;
        let mut ints = [0i64; 3];
        for v in &mut ints {
            let (e, q) = self.element(p)?;
            *v = strict_int(e)?;
            p = q;
        }
        let [count, deleted, nfields] = ints;
        if count < 0 || deleted < 0 || nfields < 0 {
            return None;
        }
        let (fields, first) = self.master_fields();
        if fields.len() as i64 != nfields
            || strict_int(
                listpack::prev(self.lp(), first)
                    .and_then(|t| self.element(t))?
                    .0,
            )? != 0
        {
            return None;
        }
        let (mut p, mut live, mut dead, mut last) = (first, 0i64, 0i64, None::<StreamId>);
        while p < self.end() {
            let (flags, _) = self.element(p)?;
            let flags = strict_int(flags)?;
            if !(0..=3).contains(&flags) {
                return None;
            }
            let elements_before = count_elements(self, p)?;
            let (e, next) = self.read(master, &fields, p)?;
            // lp-count must say how many elements came before it.
            let lp_count = listpack::prev(self.lp(), next)
                .and_then(|t| self.element(t))?
                .0;
            if strict_int(lp_count)? != elements_before {
                return None;
            }
            if e.id < master || last.is_some_and(|l| e.id <= l) {
                return None;
            }
            last = Some(e.id);
            if e.deleted {
                dead += 1;
            } else {
                live += 1;
            }
            p = next;
        }
        (live == count && dead == deleted).then_some(NodeSummary {
            live: live as u64,
            last: last?,
        })
    }
}

/// How many elements the entry at `p` has before its lp-count.
fn count_elements(node: &Node, p: usize) -> Option<i64> {
    let (flags, mut q) = node.element(p)?;
    let flags = strict_int(flags)?;
    for _ in 0..2 {
        q = node.element(q)?.1;
    }
    if flags & SAME_FIELDS != 0 {
        let (fields, _) = node.master_fields();
        Some(3 + fields.len() as i64)
    } else {
        let n = strict_int(node.element(q)?.0)?;
        if n < 0 {
            return None;
        }
        Some(4 + 2 * n)
    }
}

/// A listpack element that must be an integer.
fn strict_int(e: Entry<'_>) -> Option<i64> {
    match e {
        Entry::Int(v) => Some(v),
        Entry::Str(_) => None,
    }
}

/// Whether a listpack element spells `s` (integers compare by their decimal text).
fn entry_eq(e: Entry<'_>, s: &[u8]) -> bool {
    match e {
        Entry::Str(b) => b == s,
        Entry::Int(v) => itoa::Buffer::new().format(v).as_bytes() == s,
    }
}
