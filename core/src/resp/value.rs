//! Client-side RESP parser: decodes server replies, RESP2 and RESP3.
//!
//! [`parse`] is incremental: it returns `Ok(None)` while `buf` holds only a prefix
//! of a reply, and `Ok(Some((value, consumed)))` once a whole reply is there. It
//! never panics, allocates nothing on the strength of a claimed length alone (a
//! bulk is copied only once all its bytes are in `buf`; an aggregate's vector grows
//! with the elements actually parsed), and bounds nesting at [`MAX_DEPTH`].
//!
//! [`Value::to_resp`] encodes a value back, byte for byte what `parse` accepted
//! (so `parse(v.to_resp())` round-trips). Streamed strings and aggregates
//! (`$?`, `*?`) are not supported: Redis never sends them.

use std::fmt;

use bytes::Bytes;

/// Deepest nesting of aggregates (and attributes) accepted.
pub const MAX_DEPTH: usize = 128;

/// One reply from a server.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// `+OK`
    Simple(Bytes),
    /// `-ERR message`
    Error(Bytes),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// `$-1`: RESP2 null bulk string.
    NullBulk,
    /// `*N`
    Array(Vec<Value>),
    /// `*-1`: RESP2 null array.
    NullArray,
    /// `_`: RESP3 null.
    Null,
    /// `,1.5`: RESP3 double, kept as the text the server sent (`inf`, `-inf`, `nan` included).
    Double(Bytes),
    /// `#t` / `#f`
    Boolean(bool),
    /// `(12345678901234567890`: RESP3 big number, kept as its decimal text.
    BigNumber(Bytes),
    /// `!N\r\n...`: RESP3 blob error.
    BlobError(Bytes),
    /// `=N\r\ntxt:...`: RESP3 verbatim string.
    Verbatim { format: [u8; 3], text: Bytes },
    /// `%N`: RESP3 map, pairs in the order received.
    Map(Vec<(Value, Value)>),
    /// `~N`: RESP3 set, elements in the order received.
    Set(Vec<Value>),
    /// `>N`: RESP3 out-of-band push.
    Push(Vec<Value>),
    /// `|N`: RESP3 attributes, followed by the value they annotate.
    Attribute {
        attrs: Vec<(Value, Value)>,
        value: Box<Value>,
    },
}

/// Why a buffer is not a valid reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The first byte names no RESP type.
    UnknownType(u8),
    /// A header line holds a bare CR or LF, or does not end in CRLF.
    InvalidLine,
    /// A length or count is not a valid integer, or is negative where that is not allowed.
    InvalidLength,
    /// An integer reply is not a valid 64-bit signed integer.
    InvalidInteger,
    /// A double reply is not a number, `inf`, `-inf` or `nan`.
    InvalidDouble,
    /// A boolean reply is neither `t` nor `f`.
    InvalidBoolean,
    /// A big number is not an optionally signed run of digits.
    InvalidBigNumber,
    /// A null (`_`) carries data.
    InvalidNull,
    /// A verbatim string lacks its `xxx:` format prefix.
    InvalidVerbatim,
    /// The payload of a bulk is not followed by CRLF.
    BadTerminator,
    /// Aggregates nested deeper than [`MAX_DEPTH`].
    TooDeep,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownType(b) => write!(f, "unknown RESP type byte {:?}", *b as char),
            ParseError::InvalidLine => f.write_str("malformed RESP line"),
            ParseError::InvalidLength => f.write_str("invalid RESP length"),
            ParseError::InvalidInteger => f.write_str("invalid RESP integer"),
            ParseError::InvalidDouble => f.write_str("invalid RESP double"),
            ParseError::InvalidBoolean => f.write_str("invalid RESP boolean"),
            ParseError::InvalidBigNumber => f.write_str("invalid RESP big number"),
            ParseError::InvalidNull => f.write_str("invalid RESP null"),
            ParseError::InvalidVerbatim => f.write_str("invalid RESP verbatim string"),
            ParseError::BadTerminator => f.write_str("RESP payload not followed by CRLF"),
            ParseError::TooDeep => f.write_str("RESP aggregates nested too deeply"),
        }
    }
}

impl std::error::Error for ParseError {}

/// Parses one reply from the front of `buf`.
///
/// `Ok(None)`: `buf` is a prefix of a reply (read more and call again with the
/// longer buffer). `Ok(Some((value, n)))`: the first `n` bytes of `buf` were one reply.
pub fn parse(buf: &[u8]) -> Result<Option<(Value, usize)>, ParseError> {
    let mut cur = Cursor { buf, pos: 0 };
    Ok(cur.value(0)?.map(|v| (v, cur.pos)))
}

/// `Ok(None)` on incomplete input, the value otherwise.
type Step<T> = Result<Option<T>, ParseError>;

macro_rules! ready {
    ($e:expr) => {
        match $e? {
            Some(v) => v,
            None => return Ok(None),
        }
    };
}

struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next line (without its CRLF); advances past the CRLF.
    fn line(&mut self) -> Step<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            // A bare CR anywhere but at the very end can never become a valid line.
            if rest.iter().rev().skip(1).any(|&b| b == b'\r') {
                return Err(ParseError::InvalidLine);
            }
            return Ok(None);
        };
        if nl == 0 || rest[nl - 1] != b'\r' {
            return Err(ParseError::InvalidLine);
        }
        let line = &rest[..nl - 1];
        if line.contains(&b'\r') {
            return Err(ParseError::InvalidLine);
        }
        self.pos += nl + 1;
        Ok(Some(line))
    }

    /// A length line: -1 (returned as `None` inside) or a non-negative count.
    fn length(&mut self) -> Step<Option<usize>> {
        let line = ready!(self.line());
        match parse_i64(line) {
            Some(-1) => Ok(Some(None)),
            Some(n) if n >= 0 => usize::try_from(n)
                .map(|n| Some(Some(n)))
                .map_err(|_| ParseError::InvalidLength),
            _ => Err(ParseError::InvalidLength),
        }
    }

    /// A length line where -1 is not allowed.
    fn count(&mut self) -> Step<usize> {
        match ready!(self.length()) {
            Some(n) => Ok(Some(n)),
            None => Err(ParseError::InvalidLength),
        }
    }

    /// `len` payload bytes followed by CRLF.
    fn payload(&mut self, len: usize) -> Step<&'a [u8]> {
        let rest = self.remaining();
        if len > rest {
            return Ok(None);
        }
        let data = &self.buf[self.pos..self.pos + len];
        let tail = &self.buf[self.pos + len..];
        match tail {
            [b'\r', b'\n', ..] => {
                self.pos += len + 2;
                Ok(Some(data))
            }
            [] | [b'\r'] => Ok(None),
            _ => Err(ParseError::BadTerminator),
        }
    }

    fn value(&mut self, depth: usize) -> Step<Value> {
        if depth > MAX_DEPTH {
            return Err(ParseError::TooDeep);
        }
        let Some(&kind) = self.buf.get(self.pos) else {
            return Ok(None);
        };
        self.pos += 1;
        let v = match kind {
            b'+' => Value::Simple(Bytes::copy_from_slice(ready!(self.line()))),
            b'-' => Value::Error(Bytes::copy_from_slice(ready!(self.line()))),
            b':' => {
                Value::Integer(parse_i64(ready!(self.line())).ok_or(ParseError::InvalidInteger)?)
            }
            b'_' => {
                if !ready!(self.line()).is_empty() {
                    return Err(ParseError::InvalidNull);
                }
                Value::Null
            }
            b',' => {
                let line = ready!(self.line());
                if !valid_double(line) {
                    return Err(ParseError::InvalidDouble);
                }
                Value::Double(Bytes::copy_from_slice(line))
            }
            b'#' => match ready!(self.line()) {
                b"t" => Value::Boolean(true),
                b"f" => Value::Boolean(false),
                _ => return Err(ParseError::InvalidBoolean),
            },
            b'(' => {
                let line = ready!(self.line());
                if !valid_big_number(line) {
                    return Err(ParseError::InvalidBigNumber);
                }
                Value::BigNumber(Bytes::copy_from_slice(line))
            }
            b'$' => match ready!(self.length()) {
                None => Value::NullBulk,
                Some(len) => Value::Bulk(Bytes::copy_from_slice(ready!(self.payload(len)))),
            },
            b'!' => {
                let len = ready!(self.count());
                Value::BlobError(Bytes::copy_from_slice(ready!(self.payload(len))))
            }
            b'=' => {
                let len = ready!(self.count());
                let data = ready!(self.payload(len));
                match data {
                    [a, b, c, b':', text @ ..] => Value::Verbatim {
                        format: [*a, *b, *c],
                        text: Bytes::copy_from_slice(text),
                    },
                    _ => return Err(ParseError::InvalidVerbatim),
                }
            }
            b'*' => match ready!(self.length()) {
                None => Value::NullArray,
                Some(n) => Value::Array(ready!(self.elements(n, depth))),
            },
            b'~' => {
                let n = ready!(self.count());
                Value::Set(ready!(self.elements(n, depth)))
            }
            b'>' => {
                let n = ready!(self.count());
                Value::Push(ready!(self.elements(n, depth)))
            }
            b'%' => {
                let n = ready!(self.count());
                Value::Map(ready!(self.pairs(n, depth)))
            }
            b'|' => {
                let n = ready!(self.count());
                let attrs = ready!(self.pairs(n, depth));
                let value = Box::new(ready!(self.value(depth + 1)));
                Value::Attribute { attrs, value }
            }
            other => return Err(ParseError::UnknownType(other)),
        };
        Ok(Some(v))
    }

    fn elements(&mut self, n: usize, depth: usize) -> Step<Vec<Value>> {
        // Every element takes at least 3 bytes: never reserve more than the buffer can hold.
        let mut out = Vec::with_capacity(n.min(self.remaining() / 3));
        for _ in 0..n {
            out.push(ready!(self.value(depth + 1)));
        }
        Ok(Some(out))
    }

    fn pairs(&mut self, n: usize, depth: usize) -> Step<Vec<(Value, Value)>> {
        let mut out = Vec::with_capacity(n.min(self.remaining() / 6));
        for _ in 0..n {
            let k = ready!(self.value(depth + 1));
            let v = ready!(self.value(depth + 1));
            out.push((k, v));
        }
        Ok(Some(out))
    }
}

/// Canonical decimal i64, as Redis writes it: optional `-`, digits, no leading
/// zero (but `0` itself), no `-0`. Anything else would not round-trip.
fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits {
        [] => return None,
        [b'0', _, ..] => return None,
        [b'0'] if neg => return None,
        _ => {}
    }
    let mut n: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = i64::from(d - b'0');
        n = n.checked_mul(10)?;
        n = if neg {
            n.checked_sub(d)?
        } else {
            n.checked_add(d)?
        };
    }
    Some(n)
}

fn valid_double(s: &[u8]) -> bool {
    match s {
        b"inf" | b"-inf" | b"nan" => true,
        _ => {
            !s.is_empty()
                && s.iter().all(|b| b.is_ascii_digit() || b"+-.eE".contains(b))
                && std::str::from_utf8(s).is_ok_and(|t| t.parse::<f64>().is_ok())
        }
    }
}

fn valid_big_number(s: &[u8]) -> bool {
    let digits = match s {
        [b'-' | b'+', rest @ ..] => rest,
        _ => s,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

impl Value {
    /// Appends the RESP encoding of `self` to `out`.
    pub fn to_resp(&self, out: &mut Vec<u8>) {
        match self {
            Value::Simple(s) => line(out, b'+', s),
            Value::Error(s) => line(out, b'-', s),
            Value::Integer(n) => line(out, b':', n.to_string().as_bytes()),
            Value::Bulk(b) => blob(out, b'$', &[], b),
            Value::NullBulk => out.extend_from_slice(b"$-1\r\n"),
            Value::Array(items) => aggregate(out, b'*', items),
            Value::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Value::Null => out.extend_from_slice(b"_\r\n"),
            Value::Double(d) => line(out, b',', d),
            Value::Boolean(b) => out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" }),
            Value::BigNumber(n) => line(out, b'(', n),
            Value::BlobError(b) => blob(out, b'!', &[], b),
            Value::Verbatim { format, text } => {
                let prefix = [format[0], format[1], format[2], b':'];
                blob(out, b'=', &prefix, text);
            }
            Value::Map(pairs) => map(out, b'%', pairs),
            Value::Set(items) => aggregate(out, b'~', items),
            Value::Push(items) => aggregate(out, b'>', items),
            Value::Attribute { attrs, value } => {
                map(out, b'|', attrs);
                value.to_resp(out);
            }
        }
    }

    /// The encoding of `self` as a new vector.
    pub fn to_resp_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.to_resp(&mut out);
        out
    }

    /// True for `-` errors and `!` blob errors.
    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_) | Value::BlobError(_))
    }
}

fn line(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn blob(out: &mut Vec<u8>, kind: u8, prefix: &[u8], body: &[u8]) {
    line(
        out,
        kind,
        (prefix.len() + body.len()).to_string().as_bytes(),
    );
    out.extend_from_slice(prefix);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn aggregate(out: &mut Vec<u8>, kind: u8, items: &[Value]) {
    line(out, kind, items.len().to_string().as_bytes());
    for item in items {
        item.to_resp(out);
    }
}

fn map(out: &mut Vec<u8>, kind: u8, pairs: &[(Value, Value)]) {
    line(out, kind, pairs.len().to_string().as_bytes());
    for (k, v) in pairs {
        k.to_resp(out);
        v.to_resp(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    /// Every strict prefix is incomplete, the whole parses to `want` and re-encodes to itself.
    fn check(wire: &[u8], want: Value) {
        for i in 0..wire.len() {
            assert_eq!(
                parse(&wire[..i]),
                Ok(None),
                "prefix {i} of {:?}",
                String::from_utf8_lossy(wire)
            );
        }
        assert_eq!(parse(wire), Ok(Some((want.clone(), wire.len()))));
        let mut more = wire.to_vec();
        more.extend_from_slice(b"+next\r\n");
        assert_eq!(parse(&more), Ok(Some((want.clone(), wire.len()))));
        assert_eq!(want.to_resp_vec(), wire);
    }

    #[test]
    fn resp2_types() {
        check(b"+OK\r\n", Value::Simple(b("OK")));
        check(b"+\r\n", Value::Simple(b("")));
        check(b"-ERR no\r\n", Value::Error(b("ERR no")));
        check(b":0\r\n", Value::Integer(0));
        check(b":-9223372036854775808\r\n", Value::Integer(i64::MIN));
        check(b":9223372036854775807\r\n", Value::Integer(i64::MAX));
        check(b"$0\r\n\r\n", Value::Bulk(b("")));
        check(b"$4\r\na\r\nb\r\n", Value::Bulk(b("a\r\nb")));
        check(
            b"$3\r\n\x00\xff\x01\r\n",
            Value::Bulk(Bytes::from_static(b"\x00\xff\x01")),
        );
        check(b"$-1\r\n", Value::NullBulk);
        check(b"*-1\r\n", Value::NullArray);
        check(b"*0\r\n", Value::Array(vec![]));
        check(
            b"*3\r\n:1\r\n$-1\r\n*1\r\n+x\r\n",
            Value::Array(vec![
                Value::Integer(1),
                Value::NullBulk,
                Value::Array(vec![Value::Simple(b("x"))]),
            ]),
        );
    }

    #[test]
    fn resp3_types() {
        check(b"_\r\n", Value::Null);
        check(b",1.5\r\n", Value::Double(b("1.5")));
        check(b",-inf\r\n", Value::Double(b("-inf")));
        check(b",nan\r\n", Value::Double(b("nan")));
        check(b",1e+300\r\n", Value::Double(b("1e+300")));
        check(b"#t\r\n", Value::Boolean(true));
        check(b"#f\r\n", Value::Boolean(false));
        check(
            b"(-123456789012345678901234567890\r\n",
            Value::BigNumber(b("-123456789012345678901234567890")),
        );
        check(b"!5\r\nERR x\r\n", Value::BlobError(b("ERR x")));
        check(
            b"=7\r\ntxt:a\nb\r\n",
            Value::Verbatim {
                format: *b"txt",
                text: b("a\nb"),
            },
        );
        check(
            b"=4\r\nmkd:\r\n",
            Value::Verbatim {
                format: *b"mkd",
                text: b(""),
            },
        );
        check(
            b"%2\r\n+a\r\n:1\r\n$1\r\nb\r\n_\r\n",
            Value::Map(vec![
                (Value::Simple(b("a")), Value::Integer(1)),
                (Value::Bulk(b("b")), Value::Null),
            ]),
        );
        check(b"%0\r\n", Value::Map(vec![]));
        check(
            b"~2\r\n:1\r\n#f\r\n",
            Value::Set(vec![Value::Integer(1), Value::Boolean(false)]),
        );
        check(
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n",
            Value::Push(vec![
                Value::Bulk(b("message")),
                Value::Bulk(b("ch")),
                Value::Bulk(b("m")),
            ]),
        );
        check(
            b"|1\r\n+ttl\r\n:3\r\n*1\r\n|0\r\n:2\r\n",
            Value::Attribute {
                attrs: vec![(Value::Simple(b("ttl")), Value::Integer(3))],
                value: Box::new(Value::Array(vec![Value::Attribute {
                    attrs: vec![],
                    value: Box::new(Value::Integer(2)),
                }])),
            },
        );
    }

    #[test]
    fn malformed() {
        let bad: &[(&[u8], ParseError)] = &[
            (b"?x\r\n", ParseError::UnknownType(b'?')),
            (b"+a\nb\r\n", ParseError::InvalidLine),
            (b"+a\rb\r\n", ParseError::InvalidLine),
            (b"+a\rb", ParseError::InvalidLine),
            (b":12a\r\n", ParseError::InvalidInteger),
            (b":\r\n", ParseError::InvalidInteger),
            (b":-\r\n", ParseError::InvalidInteger),
            (b":+1\r\n", ParseError::InvalidInteger),
            (b":01\r\n", ParseError::InvalidInteger),
            (b":-0\r\n", ParseError::InvalidInteger),
            (b"$01\r\na\r\n", ParseError::InvalidLength),
            (b":9223372036854775808\r\n", ParseError::InvalidInteger),
            (b"$-2\r\n", ParseError::InvalidLength),
            (b"$x\r\n", ParseError::InvalidLength),
            (b"$\r\n", ParseError::InvalidLength),
            (b"$99999999999999999999\r\n", ParseError::InvalidLength),
            (b"$1\r\nabc\r\n", ParseError::BadTerminator),
            (b"$1\r\na\rx", ParseError::BadTerminator),
            (b"*-2\r\n", ParseError::InvalidLength),
            (b"%-1\r\n", ParseError::InvalidLength),
            (b"!-1\r\n", ParseError::InvalidLength),
            (b"_x\r\n", ParseError::InvalidNull),
            (b",abc\r\n", ParseError::InvalidDouble),
            (b",\r\n", ParseError::InvalidDouble),
            (b"#x\r\n", ParseError::InvalidBoolean),
            (b"(12x\r\n", ParseError::InvalidBigNumber),
            (b"(\r\n", ParseError::InvalidBigNumber),
            (b"=3\r\ntxt\r\n", ParseError::InvalidVerbatim),
            (b"=4\r\ntxt-\r\n", ParseError::InvalidVerbatim),
            (b"*1\r\n$-2\r\n", ParseError::InvalidLength),
        ];
        for (wire, err) in bad {
            assert_eq!(
                parse(wire),
                Err(err.clone()),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn huge_claimed_lengths_are_incomplete_not_allocated() {
        assert_eq!(parse(b"$9223372036854775807\r\nabc"), Ok(None));
        assert_eq!(parse(b"*9223372036854775807\r\n:1\r\n"), Ok(None));
        assert_eq!(parse(b"%9223372036854775807\r\n"), Ok(None));
        assert_eq!(parse(b"|9223372036854775807\r\n"), Ok(None));
        assert_eq!(parse(b"=9223372036854775807\r\ntxt:"), Ok(None));
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = "*1\r\n".repeat(MAX_DEPTH) + ":1\r\n";
        assert!(matches!(parse(ok.as_bytes()), Ok(Some(_))));
        let deep = "*1\r\n".repeat(100_000);
        assert_eq!(parse(deep.as_bytes()), Err(ParseError::TooDeep));
        let attrs = "|1\r\n".repeat(100_000);
        assert_eq!(parse(attrs.as_bytes()), Err(ParseError::TooDeep));
    }

    /// Garbage and mutated replies never panic, and whatever parses re-encodes to the bytes consumed.
    #[test]
    fn fuzz_no_panic_and_round_trip() {
        let seeds: &[&[u8]] = &[
            b"*3\r\n:1\r\n$-1\r\n*1\r\n+x\r\n",
            b"%2\r\n+a\r\n:1\r\n$1\r\nb\r\n_\r\n",
            b"|1\r\n+ttl\r\n:3\r\n=7\r\ntxt:a\nb\r\n",
            b">2\r\n,1.5\r\n(123\r\n",
            b"~2\r\n#t\r\n!3\r\nERR\r\n",
        ];
        let alphabet = b"+-:$*_,#!=(%~>|\r\n0123456789-abtf.";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..200_000 {
            let mut buf = seeds[round % seeds.len()].to_vec();
            for _ in 0..(next() % 4) {
                let i = (next() as usize) % (buf.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if i < buf.len() => buf[i] = c,
                    1 => buf.insert(i, c),
                    _ => buf.truncate(i),
                }
            }
            if let Ok(Some((v, n))) = parse(&buf) {
                assert_eq!(
                    v.to_resp_vec(),
                    &buf[..n],
                    "{:?}",
                    String::from_utf8_lossy(&buf)
                );
            }
        }
    }
}
