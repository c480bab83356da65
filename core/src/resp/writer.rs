//! The reply writer: encodes replies straight into the session's output buffer, in RESP2 or
//! RESP3 depending on what the client negotiated with HELLO.

use bytes::{BufMut, BytesMut};

/// Output buffer of one session plus the protocol version its replies use.
pub struct ReplyWriter {
    /// Encoded bytes waiting for the transport.
    pub buf: BytesMut,
    /// Whether the client speaks RESP3 (HELLO 3).
    pub resp3: bool,
}

impl ReplyWriter {
    /// An empty writer speaking RESP2.
    pub fn new() -> Self {
        ReplyWriter {
            buf: BytesMut::with_capacity(16 * 1024),
            resp3: false,
        }
    }

    /// A writer for one small standalone frame (a published message, an invalidation) of
    /// about `capacity` bytes: the frame keeps the allocation once frozen, so it is sized to it.
    pub fn for_frame(capacity: usize, resp3: bool) -> Self {
        ReplyWriter {
            buf: BytesMut::with_capacity(capacity),
            resp3,
        }
    }

    fn line(&mut self, prefix: u8, body: &[u8]) {
        self.buf.reserve(body.len() + 3);
        self.buf.put_u8(prefix);
        self.buf.put_slice(body);
        self.buf.put_slice(b"\r\n");
    }

    fn header(&mut self, prefix: u8, n: i64) {
        let mut tmp = itoa::Buffer::new();
        self.line(prefix, tmp.format(n).as_bytes());
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.put_slice(b"+OK\r\n");
    }

    /// A simple string; CR and LF are replaced by spaces so the framing can't break.
    pub fn simple(&mut self, s: &[u8]) {
        if s.iter().any(|&b| b == b'\r' || b == b'\n') {
            let clean: Vec<u8> = s
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            self.line(b'+', &clean);
        } else {
            self.line(b'+', s);
        }
    }

    /// An error reply; `msg` carries its code ("ERR ...", "WRONGTYPE ...").
    pub fn error(&mut self, msg: &str) {
        self.error_bytes(msg.as_bytes());
    }

    /// An error reply from raw bytes (client-supplied text may be embedded); CR/LF become spaces.
    pub fn error_bytes(&mut self, msg: &[u8]) {
        if msg.iter().any(|&b| b == b'\r' || b == b'\n') {
            let clean: Vec<u8> = msg
                .iter()
                .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
                .collect();
            self.line(b'-', &clean);
        } else {
            self.line(b'-', msg);
        }
    }

    /// An integer.
    pub fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    /// A bulk string.
    pub fn bulk(&mut self, s: &[u8]) {
        let mut tmp = itoa::Buffer::new();
        let len = tmp.format(s.len());
        self.buf.reserve(s.len() + len.len() + 5);
        self.buf.put_u8(b'$');
        self.buf.put_slice(len.as_bytes());
        self.buf.put_slice(b"\r\n");
        self.buf.put_slice(s);
        self.buf.put_slice(b"\r\n");
    }

    /// An integer sent as a bulk string (how Redis returns INCRBYFLOAT results and the like).
    pub fn bulk_i64(&mut self, n: i64) {
        let mut tmp = itoa::Buffer::new();
        self.bulk(tmp.format(n).as_bytes());
    }

    /// The null bulk string (`$-1` / `_`).
    pub fn null(&mut self) {
        if self.resp3 {
            self.buf.put_slice(b"_\r\n");
        } else {
            self.buf.put_slice(b"$-1\r\n");
        }
    }

    /// The null array (`*-1` / `_`).
    pub fn null_array(&mut self) {
        if self.resp3 {
            self.buf.put_slice(b"_\r\n");
        } else {
            self.buf.put_slice(b"*-1\r\n");
        }
    }

    /// An array header for `n` elements that follow.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map header for `n` key/value pairs (a flat array of 2n in RESP2).
    pub fn map(&mut self, n: usize) {
        if self.resp3 {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set header (an array in RESP2).
    pub fn set(&mut self, n: usize) {
        self.header(if self.resp3 { b'~' } else { b'*' }, n as i64);
    }

    /// A push header (RESP3 out-of-band data; an array in RESP2).
    pub fn push(&mut self, n: usize) {
        self.header(if self.resp3 { b'>' } else { b'*' }, n as i64);
    }

    /// A boolean (`#t`/`#f`; the integers 1/0 in RESP2).
    pub fn boolean(&mut self, b: bool) {
        if self.resp3 {
            self.buf.put_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// A double (`,` in RESP3; a bulk string in RESP2), formatted as Redis does.
    pub fn double(&mut self, d: f64) {
        let s = crate::util::num::format_double(d);
        if self.resp3 {
            self.line(b',', s.as_bytes());
        } else {
            self.bulk(s.as_bytes());
        }
    }

    /// Verbatim text (`=` with a 3-letter format in RESP3; a bulk string in RESP2).
    pub fn verbatim(&mut self, format: &[u8; 3], text: &[u8]) {
        if self.resp3 {
            let mut tmp = itoa::Buffer::new();
            self.buf.put_u8(b'=');
            self.buf.put_slice(tmp.format(text.len() + 4).as_bytes());
            self.buf.put_slice(b"\r\n");
            self.buf.put_slice(format);
            self.buf.put_u8(b':');
            self.buf.put_slice(text);
            self.buf.put_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Bytes already encoded as RESP.
    pub fn raw(&mut self, encoded: &[u8]) {
        self.buf.put_slice(encoded);
    }
}

impl Default for ReplyWriter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_both_protocols() {
        let mut w = ReplyWriter::new();
        w.null();
        w.map(1);
        w.boolean(true);
        w.bulk(b"a\r\nb");
        assert_eq!(&w.buf[..], b"$-1\r\n*2\r\n:1\r\n$4\r\na\r\nb\r\n");
        let mut w = ReplyWriter::new();
        w.resp3 = true;
        w.null();
        w.map(1);
        w.boolean(false);
        w.verbatim(b"txt", b"hi");
        assert_eq!(&w.buf[..], b"_\r\n%1\r\n#f\r\n=6\r\ntxt:hi\r\n");
    }
}
