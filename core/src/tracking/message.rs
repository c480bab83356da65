//! Invalidation messages as Redis sends them: a RESP3 `invalidate` push, or for a RESP2
//! client redirecting to a subscriber, a message on `__redis__:invalidate`.

use bytes::{BufMut, Bytes, BytesMut};

use super::TrackingFlags;
use crate::client::{ClientHandle, ClientRegistry};
use crate::sync::Ordering;

/// The channel RESP2 clients receive invalidations on, through a redirect.
pub const CHANNEL: &[u8] = b"__redis__:invalidate";

/// The payload invalidating `keys`: an array of their names.
pub fn keys(keys: &[&[u8]]) -> Bytes {
    let mut buf = BytesMut::new();
    buf.put_u8(b'*');
    buf.put_slice(itoa::Buffer::new().format(keys.len()).as_bytes());
    buf.put_slice(b"\r\n");
    for key in keys {
        buf.put_u8(b'$');
        buf.put_slice(itoa::Buffer::new().format(key.len()).as_bytes());
        buf.put_slice(b"\r\n");
        buf.put_slice(key);
        buf.put_slice(b"\r\n");
    }
    buf.freeze()
}

/// The payload invalidating everything (after a flush): a null in the tracking client's
/// protocol.
pub fn null(resp3: bool) -> Bytes {
    Bytes::from_static(if resp3 { b"_\r\n" } else { b"$-1\r\n" })
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
                let mut buf = BytesMut::new();
                buf.put_slice(b">2\r\n$21\r\ntracking-redir-broken\r\n:");
                buf.put_slice(itoa::Buffer::new().format(redirect).as_bytes());
                buf.put_slice(b"\r\n");
                deliver(client, buf.freeze());
            }
            return;
        };
        target = found;
        &*target
    } else {
        client
    };
    let mut buf = BytesMut::with_capacity(payload.len() + 48);
    if resp3(dest) {
        buf.put_slice(b">2\r\n$10\r\ninvalidate\r\n");
    } else if redirect != 0 && dest.is_subscriber() {
        buf.put_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n");
        buf.put_slice(CHANNEL);
        buf.put_slice(b"\r\n");
    } else {
        return;
    }
    buf.put_slice(payload);
    deliver(dest, buf.freeze());
}

fn resp3(client: &ClientHandle) -> bool {
    client.resp.load(Ordering::Relaxed) == 3
}

fn deliver(client: &ClientHandle, frame: Bytes) {
    client.mailbox.push(frame);
    client.waker.wake();
}
