//! The request decoder fed arbitrary bytes in arbitrary chunks.
//!
//! Checks: no panic; no loop (every call returns, and each decoded command consumes at least
//! one byte, so the calls per chunk are bounded by the bytes buffered); the bytes split off
//! never exceed what was appended; and a command re-encoded as a multibulk (testkit::frame)
//! decodes, in one piece and in one-byte pieces, to the same arguments, consuming exactly it.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use lode_core::resp::decoder::{DecodeLimits, RequestDecoder};
use lode_core::testkit::frame;

/// Input layout (kept raw so seeds are readable): byte 0 holds flags (bit 0: the client is
/// unauthenticated, bit 1: small size limits), byte 1 seeds the chunk sizes (0: one chunk),
/// the rest is the byte stream.
struct Input<'a> {
    auth_required: bool,
    small_limits: bool,
    chunk_seed: u8,
    data: &'a [u8],
}

impl<'a> Input<'a> {
    fn new(raw: &'a [u8]) -> Option<Self> {
        let [flags, chunk_seed, data @ ..] = raw else {
            return None;
        };
        Some(Input {
            auth_required: flags & 1 != 0,
            small_limits: flags & 2 != 0,
            chunk_seed: *chunk_seed,
            data,
        })
    }

    /// The stream cut into chunks of pseudo-random sizes 0..=2*seed (zero-length chunks
    /// included: they call decode with nothing new).
    fn chunks(&self) -> Vec<&'a [u8]> {
        if self.chunk_seed == 0 {
            return vec![self.data];
        }
        let mut state = u32::from(self.chunk_seed) | 0x9e37_0000;
        let mut rest = self.data;
        let mut out = Vec::new();
        while !rest.is_empty() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = (state % (2 * u32::from(self.chunk_seed) + 1)) as usize;
            let (a, b) = rest.split_at(n.min(rest.len()));
            out.push(a);
            rest = b;
        }
        out
    }
}

const BIG: DecodeLimits = DecodeLimits {
    proto_max_bulk_len: 512 * 1024 * 1024,
    query_buffer_limit: 1024 * 1024 * 1024,
};

fn limits(small: bool) -> DecodeLimits {
    if small {
        DecodeLimits {
            proto_max_bulk_len: 64,
            query_buffer_limit: 256,
        }
    } else {
        BIG
    }
}

/// Feeds `chunks` to a fresh decoder; returns the decoded commands, or None at an error.
fn decode_all(chunks: &[&[u8]], lim: &DecodeLimits, auth: bool) -> (Vec<Vec<Bytes>>, bool) {
    let mut dec = RequestDecoder::new();
    dec.set_auth_required(auth);
    let mut buf = BytesMut::new();
    let mut args = Vec::new();
    let mut out = Vec::new();
    let mut appended = 0usize;
    let mut consumed = 0usize;
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        appended += chunk.len();
        // Each successful decode splits at least one byte off, so this bounds the calls.
        let budget = buf.len() + 2;
        let mut calls = 0;
        loop {
            calls += 1;
            assert!(
                calls <= budget,
                "decoder keeps returning commands without consuming input"
            );
            let before = buf.len();
            match dec.decode(&mut buf, lim, &mut args) {
                Ok(true) => {
                    assert!(buf.len() < before, "a decoded command consumed no bytes");
                    consumed += before - buf.len();
                    assert!(consumed <= appended, "consumed more bytes than were given");
                    out.push(std::mem::take(&mut args));
                }
                Ok(false) => {
                    assert!(buf.len() <= before, "decode grew the buffer");
                    consumed += before - buf.len();
                    assert!(consumed <= appended, "consumed more bytes than were given");
                    break;
                }
                Err(_) => return (out, false),
            }
        }
    }
    assert_eq!(consumed + buf.len(), appended, "bytes lost or invented");
    (out, true)
}

fuzz_target!(|raw: &[u8]| {
    let Some(input) = Input::new(raw) else {
        return;
    };
    let lim = limits(input.small_limits);
    let chunks = input.chunks();
    let (cmds, _) = decode_all(&chunks, &lim, input.auth_required);

    for args in cmds {
        assert!(!args.is_empty(), "a decoded command has no arguments");
        let f = frame(&args);
        let (again, ok) = decode_all(&[&f], &BIG, false);
        assert!(ok, "re-encoded command failed to decode: {args:?}");
        assert_eq!(
            again,
            vec![args.clone()],
            "re-encoded command decodes differently"
        );
        let bytewise: Vec<&[u8]> = f.chunks(1).collect();
        let (again, ok) = decode_all(&bytewise, &BIG, false);
        assert!(
            ok,
            "re-encoded command failed to decode byte by byte: {args:?}"
        );
        assert_eq!(
            again,
            vec![args],
            "re-encoded command decodes differently byte by byte"
        );
    }
});
