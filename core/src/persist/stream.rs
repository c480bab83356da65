//! Streams in RDB form (RDB_TYPE_STREAM_LISTPACKS, _2 and _3): the nodes' listpacks are stored
//! as they are in memory, keyed by their 16-byte big-endian master IDs, then the stream's
//! metadata and its consumer groups: each group's last ID, read counter (7.0 on) and PEL with
//! delivery times and counts, then its consumers, each with its seen time (7.2 adds an active
//! time) and the IDs it owns, which must all be in the group's PEL.

use bytes::Bytes;

use super::codec::{put_len, put_string, Reader};
use super::{listpack, Error, Result};
use crate::types::stream::group::{Group, Pending};
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
    put_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        put_string(out, name, compress);
        put_len(out, g.last_id.ms);
        put_len(out, g.last_id.seq);
        // Unknown (-1) is written as Redis writes it: the length 2^64-1.
        put_len(out, g.entries_read.unwrap_or(u64::MAX));
        put_len(out, g.pel.len() as u64);
        for (id, p) in &g.pel {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(&p.delivery_time.to_le_bytes());
            put_len(out, p.delivery_count);
        }
        put_len(out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            put_string(out, cname, compress);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            put_len(out, c.pel.len() as u64);
            for id in &c.pel {
                out.extend_from_slice(&id.to_be_bytes());
            }
        }
    }
}

/// Reads the consumer groups of a stream of RDB type `ty` into `s`.
fn decode_groups(ty: u8, r: &mut Reader, s: &mut Stream) -> Result<()> {
    let groups = r.count(1)?;
    for _ in 0..groups {
        let name = Bytes::from(r.string()?);
        let last_id = StreamId::new(r.read_len()?, r.read_len()?);
        let entries_read = if ty == STREAM_LISTPACKS {
            s.entries_read_at(last_id)
        } else {
            let n = r.read_len()?;
            (n as i64 >= 0).then_some(n)
        };
        let mut g = Group::new(last_id, entries_read);
        // PEL entries load ownerless; each must be claimed by exactly one consumer below.
        let pel = r.count(18)?;
        for _ in 0..pel {
            let id = StreamId::from_be_bytes(r.array()?);
            let delivery_time = u64::from_le_bytes(r.array()?);
            let delivery_count = r.read_len()?;
            let p = Pending {
                delivery_time,
                delivery_count,
                consumer: Bytes::new(),
            };
            if g.pel.insert(id, p).is_some() {
                return Err(Error("duplicated global PEL entry in a stream group"));
            }
        }
        let consumers = r.count(10)?;
        for _ in 0..consumers {
            let cname = Bytes::from(r.string()?);
            let seen_time = u64::from_le_bytes(r.array()?);
            if ty == STREAM_LISTPACKS_3 {
                // The active time Redis 7.2 keeps; 7.0 has no place for it.
                r.array::<8>()?;
            }
            if g.consumers.contains_key(&cname[..]) {
                return Err(Error("duplicate stream consumer"));
            }
            let (c, _) = g.consumer(&cname, seen_time, false);
            c.seen_time = seen_time;
            let owned = r.count(16)?;
            let mut ids = Vec::with_capacity(owned);
            for _ in 0..owned {
                ids.push(StreamId::from_be_bytes(r.array()?));
            }
            for id in ids {
                match g.pel.get_mut(&id) {
                    Some(p) if p.consumer.is_empty() => p.consumer = cname.clone(),
                    Some(_) => return Err(Error("stream PEL entry owned twice")),
                    None => return Err(Error("consumer entry not found in group global PEL")),
                }
                if let Some(c) = g.consumers.get_mut(&cname[..]) {
                    c.pel.insert(id);
                }
            }
        }
        if g.pel.values().any(|p| p.consumer.is_empty()) {
            return Err(Error("stream PEL entry without a consumer"));
        }
        if s.groups.insert(name, g).is_some() {
            return Err(Error("duplicated consumer group name"));
        }
    }
    Ok(())
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
        if !s.insert_node(master, node) {
            return Err(Error("stream nodes out of order"));
        }
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
    decode_groups(ty, r, &mut s)?;
    Ok(s)
}
