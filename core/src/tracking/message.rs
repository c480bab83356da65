//! Invalidation messages as Redis sends them: a RESP3 `invalidate` push, or for a RESP2
//! client redirecting to a subscriber, a message on `__redis__:invalidate`.

use bytes::Bytes;

use super::TrackingFlags;
use crate::client::{ClientHandle, ClientRegistry};
use crate::resp::ReplyWriter;
use crate::sync::Ordering;

/// The channel RESP2 clients receive invalidations on, through a redirect.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// The payload invalidating `keys`: an array of their names.
pub fn keys(keys: &[&[u8]]) -> Bytes {
    let size: usize = keys.iter().map(|k| k.len() + 16).sum();
    let mut w = ReplyWriter::for_frame(size + 8, false);
    w.array(keys.len());
    for key in keys {
        w.bulk(key);
    }
    w.buf.freeze()
}

/// The payload invalidating everything (after a flush): a null in the tracking client's
/// protocol.
pub fn null(resp3: bool) -> Bytes {
    let mut w = ReplyWriter::for_frame(8, resp3);
    w.null();
    w.buf.freeze()
}

/// Delivers `payload` to the client that receives `client`'s invalidations: itself (RESP3),
/// or its redirect target (a RESP3 client, or a RESP2 subscriber). A RESP2 client without a
/// redirect gets nothing; a vanished redirect target marks the redirect broken and tells a
/// RESP3 client so.
pub fn send(clients: &ClientRegistry, client: &ClientHandle, payload: &[u8]) {
    let redirect = client.tracking.redirect();
    let target;
    let dest = if redirect != 0 {
        let Some(found) = clients.get(redirect) else {
            client.tracking.insert(TrackingFlags::BROKEN_REDIR);
            if resp3(client) {
                let mut w = ReplyWriter::for_frame(48, true);
                w.push(2);
                w.bulk(b"tracking-redir-broken");
                w.int(redirect as i64);
                deliver(client, w.buf.freeze());
            }
            return;
        };
        target = found;
        &*target
    } else {
        client
    };
    let mut w = ReplyWriter::for_frame(payload.len() + 48, true);
    if resp3(dest) {
        w.push(2);
        w.bulk(b"invalidate");
    } else if redirect != 0 && dest.is_subscriber() {
        w.array(3);
        w.bulk(b"message");
        w.bulk(CHANNEL);
    } else {
        return;
    }
    w.raw(payload);
    deliver(dest, w.buf.freeze());
}

fn resp3(client: &ClientHandle) -> bool {
    client.resp.load(Ordering::Relaxed) == 3
}

fn deliver(client: &ClientHandle, frame: Bytes) {
    client.mailbox.push(frame);
    client.waker.wake();
}
