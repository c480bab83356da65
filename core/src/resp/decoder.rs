//! TEMPORARY: replaced by the full incremental decoder.
use bytes::{Bytes, BytesMut};
/// Request decoder.
#[derive(Default)]
pub struct RequestDecoder;
/// Limits.
pub struct DecodeLimits {
    /// proto-max-bulk-len
    pub proto_max_bulk_len: u64,
    /// client-query-buffer-limit
    pub query_buffer_limit: usize,
}
/// Errors.
pub enum DecodeError {
    /// Protocol error.
    Protocol(&'static str),
    /// Overflow.
    QueryBufferOverflow,
}
fn line(b: &[u8], from: usize) -> Option<usize> {
    b[from..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}
impl RequestDecoder {
    /// New.
    pub fn new() -> Self {
        RequestDecoder
    }
    /// Decode.
    pub fn decode(
        &mut self,
        buf: &mut BytesMut,
        _l: &DecodeLimits,
        args: &mut Vec<Bytes>,
    ) -> Result<bool, DecodeError> {
        args.clear();
        if buf.is_empty() {
            return Ok(false);
        }
        if buf[0] != b'*' {
            let Some(nl) = buf.iter().position(|&c| c == b'\n') else {
                return Ok(false);
            };
            let frame = buf.split_to(nl + 1).freeze();
            for part in frame[..nl]
                .split(|&c| c == b' ' || c == b'\r')
                .filter(|p| !p.is_empty())
            {
                let start = part.as_ptr() as usize - frame.as_ptr() as usize;
                args.push(frame.slice(start..start + part.len()));
            }
            return Ok(!args.is_empty());
        }
        let Some(e) = line(buf, 0) else {
            return Ok(false);
        };
        let n: usize = std::str::from_utf8(&buf[1..e])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(DecodeError::Protocol(
                "Protocol error: invalid multibulk length",
            ))?;
        let mut pos = e + 2;
        let mut ranges = Vec::new();
        for _ in 0..n {
            if pos >= buf.len() {
                return Ok(false);
            }
            let Some(e) = line(buf, pos) else {
                return Ok(false);
            };
            let len: usize = std::str::from_utf8(&buf[pos + 1..e])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(DecodeError::Protocol("Protocol error: invalid bulk length"))?;
            let start = e + 2;
            if buf.len() < start + len + 2 {
                return Ok(false);
            }
            ranges.push((start, start + len));
            pos = start + len + 2;
        }
        let frame = buf.split_to(pos).freeze();
        for (a, b) in ranges {
            args.push(frame.slice(a..b));
        }
        Ok(!args.is_empty())
    }
}
