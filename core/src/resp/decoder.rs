//! Incremental, zero-copy request decoder with Redis 7.0's exact framing rules.
//!
//! Requests starting with `*` are multibulk, anything else is an inline line. The decoder
//! keeps its place between calls, so a frame arriving in many small reads is scanned once.
//! It relies on the caller only appending to the buffer between calls until a frame is
//! returned (which splits it off the front).

use bytes::{Buf, Bytes, BytesMut};

use crate::util::split_args::split_args;

/// Longest inline line or length header Redis waits for before giving up (PROTO_INLINE_MAX_SIZE).
const INLINE_MAX: usize = 64 * 1024;
/// Cap on argument slots reserved up front, whatever count the client claims.
const MAX_PREALLOC_ARGS: usize = 1024;
/// Above this many arguments an unauthenticated client is refused.
const UNAUTH_MAX_ARGS: i64 = 10;
/// Above this bulk length an unauthenticated client is refused.
const UNAUTH_MAX_BULK: i64 = 16 * 1024;

/// Size limits the server configures (`proto-max-bulk-len`, `client-query-buffer-limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest accepted bulk argument, in bytes.
    pub proto_max_bulk_len: u64,
    /// Largest amount of unparsed input tolerated while a request is incomplete.
    pub query_buffer_limit: usize,
}

/// Why the connection must be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Reply `-ERR <message>\r\n`, then close.
    Protocol(&'static str),
    /// A bulk header started with this byte instead of `$`: reply
    /// `-ERR Protocol error: expected '$', got '<byte>'`, then close. Redis quotes the raw byte,
    /// whatever it is (one that is not UTF-8 too), so it is kept as a byte, not text.
    ExpectedDollar(u8),
    /// The client went over the query buffer limit: close without replying.
    QueryBufferOverflow,
}

impl DecodeError {
    /// The error line replied before closing (`ERR Protocol error: ...`, without the `-`), as
    /// bytes: it may quote a byte that is not UTF-8. CR or LF in it are left for the reply
    /// writer to turn into spaces, as Redis's error replies do. Empty for
    /// [`DecodeError::QueryBufferOverflow`], which closes without a reply.
    pub fn error_line(&self) -> Vec<u8> {
        match *self {
            DecodeError::Protocol(msg) => format!("ERR {msg}").into_bytes(),
            DecodeError::ExpectedDollar(got) => {
                let mut line = b"ERR Protocol error: expected '$', got '".to_vec();
                line.push(got);
                line.push(b'\'');
                line
            }
            DecodeError::QueryBufferOverflow => Vec::new(),
        }
    }
}

/// Position in the current request, kept across calls.
#[derive(Debug, Default)]
pub struct RequestDecoder {
    /// Inside a multibulk frame whose count line has been read.
    in_multibulk: bool,
    /// Bulk arguments still to read in the current frame.
    remaining: u32,
    /// Length of the bulk whose `$` header has been read but whose payload has not.
    bulk_len: Option<u64>,
    /// Where parsing resumes in the buffer (Redis's `qb_pos`).
    pos: usize,
    /// Where the search for the next line terminator resumes.
    scan: usize,
    /// Arguments of the current frame as ranges of the buffer.
    spans: Vec<(usize, usize)>,
    /// Whether the client still has to authenticate (tightens the size limits).
    auth_required: bool,
    /// Bytes inspected by terminator searches, to test that decoding stays linear.
    #[cfg(test)]
    inspected: usize,
}

/// Outcome of looking for a terminator byte the way C's `strchr` does.
enum Found {
    At(usize),
    Missing,
}

impl RequestDecoder {
    /// A decoder waiting for the first byte of a request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets whether the client is unauthenticated: Redis then refuses frames of more than
    /// 10 arguments or bulks over 16 KiB ("unauthenticated multibulk/bulk length").
    pub fn set_auth_required(&mut self, required: bool) {
        self.auth_required = required;
    }

    /// The arguments of a multibulk frame still arriving that are already complete: their
    /// total length and how many (what Redis counts in `argv-mem` as it parses).
    pub fn partial_args(&self) -> (usize, usize) {
        if !self.in_multibulk {
            return (0, 0);
        }
        let len = self.spans.iter().map(|(s, e)| e - s).sum();
        (len, self.spans.len())
    }

    /// Bytes still to arrive for the bulk argument being read, when it is a big one (Redis's
    /// PROTO_MBULK_BIG_ARG, 32 KiB): the caller sizes its buffer for exactly that, as Redis
    /// grows its query buffer non-greedily for big arguments. `buffered` is the buffer's
    /// length.
    pub fn big_bulk_remaining(&self, buffered: usize) -> Option<usize> {
        const BIG_ARG: u64 = 32 * 1024;
        let len = self.bulk_len.filter(|&l| l >= BIG_ARG)?;
        let end = (self.pos as u64).saturating_add(len).saturating_add(2);
        usize::try_from(end.saturating_sub(buffered as u64)).ok()
    }

    /// Before a big bulk argument that is the frame's first, the bytes before its payload
    /// (the frame's headers) can go: returns how many, and from now on positions count from
    /// the payload. The caller must drop exactly that many bytes from the front of its
    /// buffer. 0 when nothing may be dropped (no big bulk pending, or earlier arguments of
    /// the frame live in the buffer). Redis trims its query buffer the same way, so its
    /// `qbuf` shows only the argument's bytes.
    pub fn take_header_prefix(&mut self) -> usize {
        if self.big_bulk_remaining(usize::MAX).is_none() || !self.spans.is_empty() {
            return 0;
        }
        let skip = self.pos;
        self.pos = 0;
        self.scan = self.scan.saturating_sub(skip);
        skip
    }

    /// Parses the next request in `buf`. Ok(true): a command was parsed and its arguments
    /// pushed into `args` (cleared first) as slices of one frame split off the front of `buf`.
    /// Ok(false): more bytes are needed. Empty inline lines and `*0`/negative multibulks are
    /// consumed silently and parsing continues. After an error the connection must be
    /// closed: the decoder's position is then meaningless.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        limits: &DecodeLimits,
        args: &mut Vec<Bytes>,
    ) -> Result<bool, DecodeError> {
        args.clear();
        if self.pos > buf.len() {
            // The caller dropped bytes it had handed us (a contract breach, not client input):
            // start over rather than index past the buffer.
            *self = RequestDecoder::new();
        }
        loop {
            if !self.in_multibulk && self.pos >= buf.len() {
                return Ok(false);
            }
            let done = if self.in_multibulk || buf.first() == Some(&b'*') {
                self.multibulk(buf, limits, args)?
            } else {
                self.inline(buf, args)?
            };
            match done {
                Step::Command => return Ok(true),
                Step::Skipped => continue,
                Step::NeedMore => {
                    if buf.len() - self.pos > limits.query_buffer_limit {
                        return Err(DecodeError::QueryBufferOverflow);
                    }
                    return Ok(false);
                }
            }
        }
    }

    /// Finds `target` at or after `self.scan`, stopping at a NUL byte as `strchr` would.
    fn find(&mut self, buf: &[u8], target: u8) -> Found {
        let start = self.scan.max(self.pos);
        let hay = buf.get(start..).unwrap_or_default();
        match hay.iter().position(|&b| b == target || b == 0) {
            Some(i) => {
                #[cfg(test)]
                {
                    self.inspected += i + 1;
                }
                self.scan = start + i;
                if hay[i] == target {
                    Found::At(start + i)
                } else {
                    // A NUL hides everything after it from Redis; it will stay put, so the
                    // next search resumes right here and stops immediately.
                    Found::Missing
                }
            }
            None => {
                #[cfg(test)]
                {
                    self.inspected += hay.len();
                }
                self.scan = buf.len();
                Found::Missing
            }
        }
    }

    /// Drops `n` consumed bytes from the front of `buf` and rewinds the cursors.
    fn consume(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.pos = 0;
        self.scan = 0;
    }

    fn inline(&mut self, buf: &mut BytesMut, args: &mut Vec<Bytes>) -> Result<Step, DecodeError> {
        let nl = match self.find(buf, b'\n') {
            Found::At(i) => i,
            Found::Missing => {
                if buf.len() - self.pos > INLINE_MAX {
                    return Err(DecodeError::Protocol(
                        "Protocol error: too big inline request",
                    ));
                }
                return Ok(Step::NeedMore);
            }
        };
        let end = if nl > self.pos && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let Some(words) = split_args(&buf[self.pos..end]) else {
            return Err(DecodeError::Protocol(
                "Protocol error: unbalanced quotes in request",
            ));
        };
        self.consume(buf, nl + 1);
        if words.is_empty() {
            return Ok(Step::Skipped);
        }
        args.extend(words.into_iter().map(Bytes::from));
        Ok(Step::Command)
    }

    fn multibulk(
        &mut self,
        buf: &mut BytesMut,
        limits: &DecodeLimits,
        args: &mut Vec<Bytes>,
    ) -> Result<Step, DecodeError> {
        if !self.in_multibulk {
            let Some(cr) = self.header_end(buf, "Protocol error: too big mbulk count string")?
            else {
                return Ok(Step::NeedMore);
            };
            let count = match crate::util::num::parse_i64(&buf[self.pos + 1..cr]) {
                Some(n) if n <= i64::from(i32::MAX) => n,
                _ => {
                    return Err(DecodeError::Protocol(
                        "Protocol error: invalid multibulk length",
                    ));
                }
            };
            if count > UNAUTH_MAX_ARGS && self.auth_required {
                return Err(DecodeError::Protocol(
                    "Protocol error: unauthenticated multibulk length",
                ));
            }
            // Redis skips the byte after '\r' without checking that it is '\n'.
            let after = cr + 2;
            if count <= 0 {
                self.consume(buf, after);
                return Ok(Step::Skipped);
            }
            self.pos = after;
            self.scan = after;
            self.in_multibulk = true;
            self.remaining = count.unsigned_abs() as u32;
            self.spans.clear();
            self.spans
                .reserve(MAX_PREALLOC_ARGS.min(self.remaining as usize));
        }
        while self.remaining > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(len) = self.bulk_header(buf, limits)? else {
                        return Ok(Step::NeedMore);
                    };
                    len
                }
            };
            let available = (buf.len() - self.pos) as u64;
            if available < len.saturating_add(2) {
                self.bulk_len = Some(len);
                return Ok(Step::NeedMore);
            }
            // `len` fits: it is no larger than bytes already in memory.
            let start = self.pos;
            let end = start + len as usize;
            self.spans.push((start, end));
            // The two bytes after the payload are skipped unchecked, as Redis does.
            self.pos = end + 2;
            self.scan = self.pos;
            self.bulk_len = None;
            self.remaining -= 1;
        }
        let frame = buf.split_to(self.pos).freeze();
        args.extend(self.spans.drain(..).map(|(s, e)| frame.slice(s..e)));
        // Don't keep a huge frame's slot table alive for the rest of the connection.
        self.spans.shrink_to(MAX_PREALLOC_ARGS);
        self.in_multibulk = false;
        self.pos = 0;
        self.scan = 0;
        Ok(Step::Command)
    }

    /// Locates the `\r` ending the header at `self.pos`; None while the line is incomplete.
    fn header_end(
        &mut self,
        buf: &[u8],
        too_big: &'static str,
    ) -> Result<Option<usize>, DecodeError> {
        match self.find(buf, b'\r') {
            Found::Missing => {
                if buf.len() - self.pos > INLINE_MAX {
                    return Err(DecodeError::Protocol(too_big));
                }
                Ok(None)
            }
            // Redis wants one byte after the '\r' (it assumes it is '\n').
            Found::At(cr) if cr + 2 > buf.len() => Ok(None),
            Found::At(cr) => Ok(Some(cr)),
        }
    }

    /// Reads a `$<len>\r\n` header; None while incomplete.
    fn bulk_header(
        &mut self,
        buf: &[u8],
        limits: &DecodeLimits,
    ) -> Result<Option<u64>, DecodeError> {
        let Some(cr) = self.header_end(buf, "Protocol error: too big bulk count string")? else {
            return Ok(None);
        };
        let first = buf[self.pos];
        if first != b'$' {
            return Err(DecodeError::ExpectedDollar(first));
        }
        let len = match crate::util::num::parse_i64(&buf[self.pos + 1..cr]) {
            Some(n) if n >= 0 && n.unsigned_abs() <= limits.proto_max_bulk_len => n,
            _ => return Err(DecodeError::Protocol("Protocol error: invalid bulk length")),
        };
        if len > UNAUTH_MAX_BULK && self.auth_required {
            return Err(DecodeError::Protocol(
                "Protocol error: unauthenticated bulk length",
            ));
        }
        self.pos = cr + 2;
        self.scan = self.pos;
        Ok(Some(len.unsigned_abs()))
    }
}

/// What one parsing step achieved.
enum Step {
    Command,
    Skipped,
    NeedMore,
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DecodeLimits = DecodeLimits {
        proto_max_bulk_len: 512 * 1024 * 1024,
        query_buffer_limit: 1024 * 1024 * 1024,
    };

    type Cmds = Vec<Vec<Vec<u8>>>;

    /// Feeds `input` in `chunk`-sized reads; returns the commands and the error, if any.
    fn run_with(
        input: &[u8],
        chunk: usize,
        limits: &DecodeLimits,
    ) -> (Cmds, Option<DecodeError>, BytesMut) {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::new();
        let mut args = Vec::new();
        let mut cmds = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                match dec.decode(&mut buf, limits, &mut args) {
                    Ok(true) => cmds.push(args.iter().map(|a| a.to_vec()).collect()),
                    Ok(false) => break,
                    Err(e) => return (cmds, Some(e), buf),
                }
            }
        }
        (cmds, None, buf)
    }

    fn run(input: &[u8]) -> (Cmds, Option<DecodeError>) {
        let (c, e, _) = run_with(input, input.len(), &LIMITS);
        (c, e)
    }

    fn cmd(parts: &[&[u8]]) -> Vec<Vec<u8>> {
        parts.iter().map(|p| p.to_vec()).collect()
    }

    fn proto(msg: &'static str) -> Option<DecodeError> {
        Some(DecodeError::Protocol(msg))
    }

    #[test]
    fn pipelined_multibulk_frames() {
        let input = b"*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
        let (cmds, err) = run(input);
        assert_eq!(err, None);
        assert_eq!(
            cmds,
            vec![
                cmd(&[b"PING"]),
                cmd(&[b"SET", b"k", b"v"]),
                cmd(&[b"GET", b"k"])
            ]
        );
    }

    #[test]
    fn every_split_point_and_every_chunk_size_agree() {
        let input: &[u8] = b"*3\r\n$3\r\nSET\r\n$5\r\nk\r\n\0x\r\n$0\r\n\r\nPING\r\n\n*0\r\n  ECHO 'a b'\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n";
        let (want, err) = run(input);
        assert_eq!(err, None);
        assert_eq!(want.len(), 4);
        assert_eq!(want[0], cmd(&[b"SET", b"k\r\n\0x", b""]));
        for chunk in 1..input.len() {
            assert_eq!(run_with(input, chunk, &LIMITS).0, want, "chunk {chunk}");
        }
        for split in 0..input.len() {
            let mut dec = RequestDecoder::new();
            let mut buf = BytesMut::from(&input[..split]);
            let mut args = Vec::new();
            let mut got = Vec::new();
            while let Ok(true) = dec.decode(&mut buf, &LIMITS, &mut args) {
                got.push(args.iter().map(|a| a.to_vec()).collect::<Vec<_>>());
            }
            buf.extend_from_slice(&input[split..]);
            while let Ok(true) = dec.decode(&mut buf, &LIMITS, &mut args) {
                got.push(args.iter().map(|a| a.to_vec()).collect::<Vec<_>>());
            }
            assert_eq!(got, want, "split {split}");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn args_are_slices_of_one_frame() {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*1\r\n$4\r\nPING"[..]);
        let mut args = Vec::new();
        assert_eq!(dec.decode(&mut buf, &LIMITS, &mut args), Ok(true));
        assert_eq!(args[1].as_ptr() as usize - args[0].as_ptr() as usize, 9);
        assert_eq!(&buf[..], b"*1\r\n$4\r\nPING");
        assert_eq!(dec.decode(&mut buf, &LIMITS, &mut args), Ok(false));
        assert!(args.is_empty());
    }

    #[test]
    fn binary_payloads() {
        let payload: Vec<u8> = (0..=255u8).collect();
        let mut input = format!("*2\r\n$4\r\nECHO\r\n${}\r\n", payload.len()).into_bytes();
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\n");
        let (cmds, err) = run(&input);
        assert_eq!(err, None);
        assert_eq!(cmds, vec![vec![b"ECHO".to_vec(), payload]]);
    }

    #[test]
    fn bytes_after_payload_and_count_are_not_checked() {
        let (cmds, err) = run(b"*1\r\n$4\r\nPINGxx*1\rX$4\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(cmds, vec![cmd(&[b"PING"]), cmd(&[b"PING"])]);
    }

    #[test]
    fn inline_requests() {
        let (cmds, err) = run(b"\n\r\n   \r\nPING\r\nECHO \"a b\"\nPING\r\r\nECHO a\rb\r\n");
        assert_eq!(err, None);
        assert_eq!(
            cmds,
            vec![
                cmd(&[b"PING"]),
                cmd(&[b"ECHO", b"a b"]),
                cmd(&[b"PING"]),
                cmd(&[b"ECHO", b"a", b"b"]),
            ]
        );
        let (cmds, err) = run(b"ECHO \"a\r\nPING\r\n");
        assert!(cmds.is_empty());
        assert_eq!(err, proto("Protocol error: unbalanced quotes in request"));
    }

    #[test]
    fn empty_and_negative_multibulk_are_skipped() {
        let (cmds, err) = run(b"*0\r\n*-1\r\n*-5\r\nPING\r\n");
        assert_eq!(err, None);
        assert_eq!(cmds, vec![cmd(&[b"PING"])]);
    }

    #[test]
    fn nul_in_inline_line_stalls_until_too_big() {
        let mut input = b"PING\0\r\nPING\r\n".to_vec();
        let (cmds, err, buf) = run_with(&input, input.len(), &LIMITS);
        assert!(cmds.is_empty() && err.is_none() && buf.len() == input.len());
        input.resize(INLINE_MAX + 1, b'x');
        assert_eq!(
            run(&input).1,
            proto("Protocol error: too big inline request")
        );
    }

    #[test]
    fn header_errors() {
        let cases: &[(&[u8], Option<DecodeError>)] = &[
            (b"*\r\n", proto("Protocol error: invalid multibulk length")),
            (
                b"*+1\r\n",
                proto("Protocol error: invalid multibulk length"),
            ),
            (
                b"*01\r\n",
                proto("Protocol error: invalid multibulk length"),
            ),
            (b"*x\r\n", proto("Protocol error: invalid multibulk length")),
            (
                b"*1\n$4\r\nPING\r\n",
                proto("Protocol error: invalid multibulk length"),
            ),
            (
                b"*2147483648\r\n",
                proto("Protocol error: invalid multibulk length"),
            ),
            (
                b"*1\r\n$-1\r\n",
                proto("Protocol error: invalid bulk length"),
            ),
            (b"*1\r\n$\r\n", proto("Protocol error: invalid bulk length")),
            (
                b"*1\r\n$+1\r\n",
                proto("Protocol error: invalid bulk length"),
            ),
            (
                b"*1\r\n$4\nPING\r\n",
                proto("Protocol error: invalid bulk length"),
            ),
            (
                b"*1\r\n$536870913\r\n",
                proto("Protocol error: invalid bulk length"),
            ),
            (b"*1\r\nfoo\r\n", Some(DecodeError::ExpectedDollar(b'f'))),
            (b"*1\r\n\r\n", Some(DecodeError::ExpectedDollar(b'\r'))),
            (b"*1\r\n\xe9\r\n", Some(DecodeError::ExpectedDollar(0xe9))),
            (b"*1\r\nX", None),
            (b"*1\r\n\0$4\r\nPING\r\n", None),
            (b"*2147483647\r\n", None),
            (b"*1\r\n$536870912\r\n", None),
        ];
        for (input, want) in cases {
            let (cmds, err) = run(input);
            assert!(cmds.is_empty());
            assert_eq!(&err, want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn expected_dollar_quotes_the_raw_byte() {
        let line = |b: u8| DecodeError::ExpectedDollar(b).error_line();
        assert_eq!(line(b'f'), b"ERR Protocol error: expected '$', got 'f'");
        // What redis-server 7.0.15 sends: the byte itself, not '?' nor an escape.
        assert_eq!(line(0xcd), b"ERR Protocol error: expected '$', got '\xcd'");
        assert_eq!(line(0x7f), b"ERR Protocol error: expected '$', got '\x7f'");
        // The reply writer turns it into a space on the wire.
        assert_eq!(line(b'\r'), b"ERR Protocol error: expected '$', got '\r'");
        assert_eq!(
            DecodeError::Protocol("Protocol error: invalid bulk length").error_line(),
            b"ERR Protocol error: invalid bulk length"
        );
        assert!(DecodeError::QueryBufferOverflow.error_line().is_empty());
        assert_eq!(
            run(b"*1\r\n\xcd\xce\r\n").1,
            Some(DecodeError::ExpectedDollar(0xcd))
        );
    }

    #[test]
    fn too_big_headers_and_lines() {
        let mut count = b"*".to_vec();
        count.resize(INLINE_MAX, b'1');
        assert_eq!(run(&count).1, None);
        count.push(b'1');
        assert_eq!(
            run(&count).1,
            proto("Protocol error: too big mbulk count string")
        );
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.resize(INLINE_MAX + 4, b'1');
        assert_eq!(run(&bulk).1, None);
        bulk.push(b'1');
        assert_eq!(
            run(&bulk).1,
            proto("Protocol error: too big bulk count string")
        );
        let mut line = vec![b'P'; INLINE_MAX];
        assert_eq!(run(&line).1, None);
        line.push(b'P');
        assert_eq!(
            run(&line).1,
            proto("Protocol error: too big inline request")
        );
        // With the newline present a long inline line is fine, as in Redis.
        line.extend_from_slice(b"\r\n");
        assert_eq!(run(&line).0.len(), 1);
    }

    #[test]
    fn huge_claims_do_not_allocate() {
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*2147483647\r\n$3\r\nfoo\r\n"[..]);
        let mut args = Vec::new();
        assert_eq!(dec.decode(&mut buf, &LIMITS, &mut args), Ok(false));
        assert!(dec.spans.capacity() <= 2 * MAX_PREALLOC_ARGS);
        let mut buf = BytesMut::from(&b"*1\r\n$536870912\r\nab"[..]);
        let mut dec = RequestDecoder::new();
        assert_eq!(dec.decode(&mut buf, &LIMITS, &mut args), Ok(false));
        assert!(buf.capacity() < 1024);
    }

    #[test]
    fn query_buffer_limit() {
        let small = DecodeLimits {
            proto_max_bulk_len: 1 << 20,
            query_buffer_limit: 100,
        };
        let mut input = b"*1\r\n$200\r\n".to_vec();
        input.resize(input.len() + 95, b'x');
        assert_eq!(run_with(&input, 10, &small).1, None);
        input.resize(input.len() + 10, b'x');
        assert_eq!(
            run_with(&input, 10, &small).1,
            Some(DecodeError::QueryBufferOverflow)
        );
        // Complete commands are never refused, however much is buffered at once.
        let many = b"*1\r\n$4\r\nPING\r\n".repeat(100);
        let (cmds, err, _) = run_with(&many, many.len(), &small);
        assert_eq!((cmds.len(), err), (100, None));
        let line = vec![b'a'; 150];
        assert_eq!(
            run_with(&line, 150, &small).1,
            Some(DecodeError::QueryBufferOverflow)
        );
    }

    #[test]
    fn unauthenticated_limits() {
        let mut dec = RequestDecoder::new();
        dec.set_auth_required(true);
        let mut args = Vec::new();
        let mut buf = BytesMut::from(&b"*10\r\n"[..]);
        assert_eq!(dec.decode(&mut buf, &LIMITS, &mut args), Ok(false));
        let mut dec = RequestDecoder::new();
        dec.set_auth_required(true);
        let mut buf = BytesMut::from(&b"*11\r\n"[..]);
        assert_eq!(
            dec.decode(&mut buf, &LIMITS, &mut args),
            Err(DecodeError::Protocol(
                "Protocol error: unauthenticated multibulk length"
            ))
        );
        let mut dec = RequestDecoder::new();
        dec.set_auth_required(true);
        let mut buf = BytesMut::from(&b"*1\r\n$16385\r\n"[..]);
        assert_eq!(
            dec.decode(&mut buf, &LIMITS, &mut args),
            Err(DecodeError::Protocol(
                "Protocol error: unauthenticated bulk length"
            ))
        );
    }

    #[test]
    fn large_frame_in_small_chunks_is_linear() {
        let n = 100_000;
        let mut input = format!("*{n}\r\n").into_bytes();
        for i in 0..n {
            let arg = format!("a{i}");
            input.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::new();
        let mut args = Vec::new();
        let mut calls = 0;
        let mut got = 0;
        for piece in input.chunks(1024) {
            buf.extend_from_slice(piece);
            calls += 1;
            if dec.decode(&mut buf, &LIMITS, &mut args) == Ok(true) {
                got += 1;
            }
        }
        assert_eq!(got, 1);
        assert_eq!(args.len(), n);
        assert_eq!(&args[n - 1][..], format!("a{}", n - 1).as_bytes());
        assert!(calls > 1000);
        // Each header byte is inspected about once, so the total stays below the input size.
        assert!(
            dec.inspected <= input.len(),
            "{} > {}",
            dec.inspected,
            input.len()
        );
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"*$\r\n0123-+ \"'\\x\0aA";
        let limits = DecodeLimits {
            proto_max_bulk_len: 20,
            query_buffer_limit: 64,
        };
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let input: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let chunk = 1 + (next() % 8) as usize;
            let _ = run_with(&input, chunk, &limits);
        }
    }

    #[test]
    fn a_big_first_argument_sheds_its_headers() {
        let payload = vec![b'v'; 40_000];
        let mut input = b"*2\r\n$40000\r\n".to_vec();
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\n$3\r\nend\r\n");
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::from(&input[..1000]);
        let mut args = Vec::new();
        assert!(!dec.decode(&mut buf, &LIMITS, &mut args).unwrap());
        assert_eq!(
            dec.big_bulk_remaining(buf.len()),
            Some(40_002 - (1000 - 12))
        );
        let skip = dec.take_header_prefix();
        assert_eq!(skip, 12, "the *2 and $40000 lines");
        let _ = buf.split_to(skip);
        buf.extend_from_slice(&input[1000..]);
        assert!(dec.decode(&mut buf, &LIMITS, &mut args).unwrap());
        assert_eq!(args.len(), 2);
        assert_eq!(&args[0][..], &payload[..]);
        assert_eq!(&args[1][..], b"end");
        // Small bulks, or a big one after other arguments, keep their headers.
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*2\r\n$1\r\na\r\n$40000\r\nvv"[..]);
        assert!(!dec.decode(&mut buf, &LIMITS, &mut args).unwrap());
        assert_eq!(dec.take_header_prefix(), 0);
        let mut dec = RequestDecoder::new();
        let mut buf = BytesMut::from(&b"*1\r\n$100\r\nvv"[..]);
        assert!(!dec.decode(&mut buf, &LIMITS, &mut args).unwrap());
        assert_eq!(dec.take_header_prefix(), 0);
    }
}
