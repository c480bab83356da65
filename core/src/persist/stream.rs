//! Streams in RDB form (RDB_TYPE_STREAM_LISTPACKS, _2 and _3): the nodes' listpacks are stored
//! as they are in memory, keyed by their 16-byte big-endian master IDs, then the stream's
//! metadata and its consumer groups. lode has no consumer groups yet: it writes none and
//! refuses to load a stream that has some, rather than drop them.

use super::codec::{put_len, put_string, Reader};
use super::{listpack, Error, Result};
use crate::types::stream::node::Node;
use crate::types::stream::{Stream, StreamId};

/// Streams as Redis 5.0 to 6.2 wrote them (no first/max-deleted IDs, no entries-added).
pub const STREAM_LISTPACKS: u8 = 15;
/// Streams as Redis 7.0 writes them.
pub const STREAM_LISTPACKS_2: u8 = 19;
/// Streams as Redis 7.2 writes them (consumers also carry an active time).
pub const STREAM_LISTPACKS_3: u8 = 21;

/// Appends a stream's body (after its type byte, STREAM_LISTPACKS_2).
pub fn encode(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    let nodes: Vec<_> = s.nodes().collect();
    put_len(out, nodes.len() as u64);
    for (master, node) in nodes {
        put_string(out, &master.to_be_bytes(), compress);
        put_string(out, node.listpack(), compress);
    }
    for n in [
        s.length,
        s.last_id.ms,
        s.last_id.seq,
        s.first_id.ms,
        s.first_id.seq,
        s.max_deleted.ms,
        s.max_deleted.seq,
        s.entries_added,
    ] {
        put_len(out, n);
    }
    // Consumer groups.
    put_len(out, 0);
}

/// Reads a stream body of RDB type `ty`, validating every node.
pub fn decode(ty: u8, r: &mut Reader) -> Result<Stream> {
    let mut s = Stream::new();
    let nodes = r.count(2)?;
    let mut live = 0u64;
    let mut prev_last: Option<StreamId> = None;
    for _ in 0..nodes {
        let key = r.string()?;
        let key: [u8; 16] = key
            .as_slice()
            .try_into()
            .map_err(|_| Error("stream node key is not 128 bits"))?;
        let master = StreamId::from_be_bytes(key);
        let lp = r.string()?;
        listpack::decode(&lp)?;
        let node = Node::from_listpack(lp);
        let summary = node
            .validate(master)
            .ok_or(Error("bad stream node listpack"))?;
        if summary.live == 0 {
            return Err(Error("empty stream node"));
        }
        if prev_last.is_some_and(|p| master <= p) {
            return Err(Error("stream nodes out of order"));
        }
        prev_last = Some(summary.last);
        live += summary.live;
        s.insert_node(master, node);
    }
    s.length = r.read_len()?;
    s.last_id = StreamId::new(r.read_len()?, r.read_len()?);
    if ty == STREAM_LISTPACKS {
        s.first_id = s.edge(false).unwrap_or_default();
        s.entries_added = s.length;
    } else {
        s.first_id = StreamId::new(r.read_len()?, r.read_len()?);
        s.max_deleted = StreamId::new(r.read_len()?, r.read_len()?);
        s.entries_added = r.read_len()?;
    }
    if s.length != live {
        return Err(Error("stream length does not match its entries"));
    }
    if prev_last.is_some_and(|last| last > s.last_id) {
        return Err(Error("stream entry above the stream's last ID"));
    }
    if r.read_len()? != 0 {
        return Err(Error("streams with consumer groups are not supported yet"));
    }
    Ok(s)
}
