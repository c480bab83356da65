//! `NodeIndex`: a stream's nodes ordered by master ID.
//!
//! Redis keeps them in a radix tree. A stream only ever grows at its end and shrinks at its
//! start (XDEL can empty a node in the middle, rarely), so lode keeps them in fixed-size
//! chunks that appends fill completely: about 32 bytes per node, where a `BTreeMap` (whose
//! leaves end half full under appends) costs about 80 and Redis's radix tree about 45. Finding
//! a node is a binary search over chunks, then within one.

use super::id::StreamId;
use super::node::Node;

/// Nodes per chunk: 64 × 32 bytes is one 2 KiB allocation, a size class of its own.
const CHUNK: usize = 64;

/// Where a node sits: (chunk, index in it).
type Pos = (usize, usize);

/// One chunk of nodes.
type Chunk = Vec<(StreamId, Node)>;

/// A stream's nodes by master ID.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeIndex {
    chunks: Vec<Chunk>,
}

impl NodeIndex {
    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// All nodes in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (StreamId, &Node)> {
        self.chunks.iter().flatten().map(|(k, n)| (*k, n))
    }

    /// The last node, for appending.
    pub fn last_mut(&mut self) -> Option<(StreamId, &mut Node)> {
        let (k, n) = self.chunks.last_mut()?.last_mut()?;
        Some((*k, n))
    }

    /// The first node.
    pub fn first(&self) -> Option<(StreamId, &Node)> {
        let (k, n) = self.chunks.first()?.first()?;
        Some((*k, n))
    }

    /// Adds a node; its master ID must be above every other (appends, RDB loading in order).
    /// Returns false, adding nothing, when it is not.
    pub fn push(&mut self, master: StreamId, node: Node) -> bool {
        if self
            .iter()
            .next_back()
            .is_some_and(|(last, _)| last >= master)
        {
            return false;
        }
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push((master, node)),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push((master, node));
                self.chunks.push(chunk);
            }
        }
        true
    }

    /// The position of the last node whose master ID is at most `id`.
    fn floor(&self, id: StreamId) -> Option<Pos> {
        // The chunks whose first master is at most `id`; the last of them holds the floor.
        let c = self
            .chunks
            .partition_point(|ch| ch[0].0 <= id)
            .checked_sub(1)?;
        let i = self.chunks[c].partition_point(|(k, _)| *k <= id) - 1;
        Some((c, i))
    }

    /// The node with master ID `master`.
    fn find(&self, master: StreamId) -> Option<Pos> {
        self.floor(master)
            .filter(|&(c, i)| self.chunks[c][i].0 == master)
    }

    /// The last node whose master ID is at most `id` (the one that may hold entry `id`).
    pub fn floor_node(&self, id: StreamId) -> Option<(StreamId, &Node)> {
        let (c, i) = self.floor(id)?;
        let (k, n) = &self.chunks[c][i];
        Some((*k, n))
    }

    /// The node with master ID `master`, to edit.
    pub fn get_mut(&mut self, master: StreamId) -> Option<&mut Node> {
        let (c, i) = self.find(master)?;
        Some(&mut self.chunks[c][i].1)
    }

    /// The node with master ID `master`.
    pub fn get(&self, master: StreamId) -> Option<&Node> {
        let (c, i) = self.find(master)?;
        Some(&self.chunks[c][i].1)
    }

    /// Removes the node with master ID `master`.
    pub fn remove(&mut self, master: StreamId) -> Option<Node> {
        let (c, i) = self.find(master)?;
        let (_, node) = self.chunks[c].remove(i);
        if self.chunks[c].is_empty() {
            self.chunks.remove(c);
        }
        Some(node)
    }

    /// The nodes from the one that may hold `start` on, in order.
    pub fn from(&self, start: StreamId) -> impl Iterator<Item = (StreamId, &Node)> {
        let (c, i) = self.floor(start).unwrap_or((0, 0));
        let head = self.chunks.get(c).map_or(&[][..], |ch| &ch[i..]);
        let rest = self.chunks.get(c + 1..).unwrap_or(&[]);
        head.iter()
            .chain(rest.iter().flatten())
            .map(|(k, n)| (*k, n))
    }

    /// The nodes whose master ID is at most `end`, from the last of them backwards.
    pub fn back_from(&self, end: StreamId) -> impl Iterator<Item = (StreamId, &Node)> {
        let (head, rest): (&[(StreamId, Node)], &[Chunk]) = match self.floor(end) {
            Some((c, i)) => (&self.chunks[c][..=i], &self.chunks[..c]),
            None => (&[], &[]),
        };
        head.iter()
            .rev()
            .chain(rest.iter().rev().flat_map(|ch| ch.iter().rev()))
            .map(|(k, n)| (*k, n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(ms: u64) -> (StreamId, Node) {
        let id = StreamId::new(ms, 0);
        (id, Node::new(id, &[b"f", b"v"]))
    }

    fn masters<'a>(it: impl Iterator<Item = (StreamId, &'a Node)>) -> Vec<u64> {
        it.map(|(k, _)| k.ms).collect()
    }

    #[test]
    fn ordered_lookups_across_chunks() {
        let mut ix = NodeIndex::default();
        for ms in (10..=2000).step_by(10) {
            let (k, n) = node(ms);
            assert!(ix.push(k, n));
        }
        let (k, n) = node(5);
        assert!(!ix.push(k, n), "out of order");
        assert_eq!(ix.len(), 200);
        assert_eq!(
            ix.floor_node(StreamId::new(645, 0)).map(|(k, _)| k.ms),
            Some(640)
        );
        assert_eq!(
            ix.floor_node(StreamId::new(640, 0)).map(|(k, _)| k.ms),
            Some(640)
        );
        assert!(ix.floor_node(StreamId::new(9, 0)).is_none());
        assert_eq!(masters(ix.from(StreamId::new(1995, 0))), [1990, 2000]);
        assert_eq!(masters(ix.from(StreamId::new(1, 0))).len(), 200);
        assert_eq!(masters(ix.back_from(StreamId::new(25, 0))), [20, 10]);
        assert!(masters(ix.back_from(StreamId::new(3, 0))).is_empty());
        assert_eq!(masters(ix.back_from(StreamId::MAX)).len(), 200);
        // Removing whole chunks' worth from the front and one from the middle.
        for ms in (10..=700).step_by(10) {
            assert!(ix.remove(StreamId::new(ms, 0)).is_some());
        }
        assert!(ix.remove(StreamId::new(1000, 0)).is_some());
        assert!(ix.remove(StreamId::new(1000, 0)).is_none());
        assert!(ix.get(StreamId::new(1005, 0)).is_none());
        assert_eq!(ix.first().map(|(k, _)| k.ms), Some(710));
        assert_eq!(ix.len(), 200 - 71);
        let all = masters(ix.iter());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(
            masters(ix.from(StreamId::new(995, 0))),
            masters(ix.iter()).split_off(28)
        );
    }
}
