//! RESP encoding of propagated commands (arrays of bulk strings, as Redis writes its AOF and
//! replication stream).

use bytes::{BufMut, Bytes, BytesMut};

/// Number of decimal digits of `n`.
fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// The encoded length of `args` as a RESP array of bulk strings, without encoding it.
pub fn encoded_len<A: AsRef<[u8]>>(args: &[A]) -> usize {
    let mut n = 3 + digits(args.len());
    for a in args {
        n += bulk_len(a.as_ref().len());
    }
    n
}

/// The encoded length of one bulk string of `l` bytes.
pub fn bulk_len(l: usize) -> usize {
    3 + digits(l) + l + 2
}

/// Appends `args` to `out` as a RESP array of bulk strings.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut BytesMut, args: &[A]) {
    let mut itoa = itoa::Buffer::new();
    out.reserve(encoded_len(args));
    out.put_u8(b'*');
    out.put_slice(itoa.format(args.len()).as_bytes());
    out.put_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.put_u8(b'$');
        out.put_slice(itoa.format(a.len()).as_bytes());
        out.put_slice(b"\r\n");
        out.put_slice(a);
        out.put_slice(b"\r\n");
    }
}

/// The SELECT command for `db`.
pub(super) fn select(db: usize) -> [Bytes; 2] {
    [
        Bytes::from_static(b"SELECT"),
        Bytes::from(itoa::Buffer::new().format(db).to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_matches_encoding() {
        for args in [
            vec![&b"SET"[..], b"k", b"v"],
            vec![&b"DEL"[..], &[b'x'; 123][..]],
            vec![&b""[..]; 11],
        ] {
            let mut out = BytesMut::new();
            encode_command(&mut out, &args);
            assert_eq!(out.len(), encoded_len(&args));
        }
        let mut out = BytesMut::new();
        encode_command(&mut out, &[&b"SET"[..], b"k", b"v"]);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    }
}
