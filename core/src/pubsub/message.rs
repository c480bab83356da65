//! The frames a publish delivers, encoded once per protocol for all subscribers.

use bytes::Bytes;

use crate::client::ClientHandle;
use crate::resp::ReplyWriter;
use crate::sync::Ordering;

/// One published message's frame in RESP2 (an array) and RESP3 (a push), each encoded the
/// first time a subscriber speaking that protocol needs it.
pub struct Frames<'a> {
    parts: [&'a [u8]; 4],
    count: usize,
    resp2: Option<Bytes>,
    resp3: Option<Bytes>,
}

impl<'a> Frames<'a> {
    /// `kind channel message` ("message", "smessage").
    pub fn message(kind: &'a [u8], channel: &'a [u8], message: &'a [u8]) -> Self {
        Self::of([kind, channel, message, b""], 3)
    }

    /// `pmessage pattern channel message`.
    pub fn pmessage(pattern: &'a [u8], channel: &'a [u8], message: &'a [u8]) -> Self {
        Self::of([b"pmessage", pattern, channel, message], 4)
    }

    fn of(parts: [&'a [u8]; 4], count: usize) -> Self {
        Frames {
            parts,
            count,
            resp2: None,
            resp3: None,
        }
    }

    /// The frame for `client`'s protocol.
    pub fn get(&mut self, client: &ClientHandle) -> &Bytes {
        let resp3 = client.resp.load(Ordering::Relaxed) == 3;
        let slot = if resp3 {
            &mut self.resp3
        } else {
            &mut self.resp2
        };
        slot.get_or_insert_with(|| encode(resp3, &self.parts[..self.count]))
    }
}

/// A push (RESP3) or array (RESP2) of bulk strings.
fn encode(resp3: bool, parts: &[&[u8]]) -> Bytes {
    let size: usize = parts.iter().map(|p| p.len() + 16).sum();
    let mut w = ReplyWriter::for_frame(size + 8, resp3);
    w.push(parts.len());
    for part in parts {
        w.bulk(part);
    }
    w.buf.freeze()
}
