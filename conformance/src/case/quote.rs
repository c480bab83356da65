//! redis-cli quoting: `"double"` with `\xHH \n \r \t \b \a \\ \"`, `'single'` with `\'`,
//! and bare words; plus the reverse (`escape`) for failure messages.

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Reads one quoted string starting at `s[pos]` (which must be `"` or `'`). Returns the
/// bytes and the position just after the closing quote.
pub fn quoted(s: &[u8], pos: usize) -> Result<(Vec<u8>, usize), String> {
    let q = s[pos];
    let mut out = Vec::new();
    let mut i = pos + 1;
    loop {
        match (s.get(i).copied(), s.get(i + 1).copied()) {
            (None, _) => return Err("unterminated quoted string".into()),
            (Some(c), _) if c == q => return Ok((out, i + 1)),
            (Some(b'\\'), Some(b'\'')) if q == b'\'' => {
                out.push(b'\'');
                i += 2;
            }
            (Some(b'\\'), Some(e)) if q == b'"' => {
                let byte = match e {
                    b'x' => {
                        let (hi, lo) = (
                            s.get(i + 2).copied().and_then(hex),
                            s.get(i + 3).copied().and_then(hex),
                        );
                        let (Some(hi), Some(lo)) = (hi, lo) else {
                            return Err("bad \\x escape: want two hex digits".into());
                        };
                        i += 2;
                        hi * 16 + lo
                    }
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'b' => 8,
                    b'a' => 7,
                    b'0' => 0,
                    b'\\' | b'"' => e,
                    other => return Err(format!("unknown escape \\{}", other as char)),
                };
                out.push(byte);
                i += 2;
            }
            (Some(c), _) => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Largest repetition count `"..."*N` accepts.
const MAX_REPEAT: usize = 16 << 20;

/// A quoted string at `s[pos]`, repeated N times when the closing quote is directly
/// followed by `*N` (`"ab"*3` is `ababab`).
pub fn quoted_repeat(s: &[u8], pos: usize) -> Result<(Vec<u8>, usize), String> {
    let (v, end) = quoted(s, pos)?;
    if s.get(end) != Some(&b'*') {
        return Ok((v, end));
    }
    let digits = s[end + 1..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let n: usize = std::str::from_utf8(&s[end + 1..end + 1 + digits])
        .ok()
        .and_then(|d| d.parse().ok())
        .filter(|&n| n <= MAX_REPEAT)
        .ok_or("want a count after \"...\"*")?;
    Ok((v.repeat(n), end + 1 + digits))
}

/// Splits a command line into arguments: bare words and quoted strings separated by
/// whitespace (a closing quote must be followed by whitespace or the end, as in redis-cli;
/// `"..."*N` repeats the string N times).
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    let s = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if s[i] == b'"' || s[i] == b'\'' {
            let (arg, end) = quoted_repeat(s, i)?;
            if s.get(end).is_some_and(|c| !c.is_ascii_whitespace()) {
                return Err("closing quote must be followed by a space".into());
            }
            out.push(arg);
            i = end;
        } else {
            let start = i;
            while i < s.len() && !s[i].is_ascii_whitespace() {
                i += 1;
            }
            out.push(s[start..i].to_vec());
        }
    }
    Ok(out)
}

/// `bytes` as a double-quoted string with escapes, cut after `max` bytes.
pub fn escape(bytes: &[u8], max: usize) -> String {
    let mut out = String::from("\"");
    for &b in bytes.iter().take(max) {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
    if bytes.len() > max {
        out.push_str(&format!("...({} bytes)", bytes.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_redis_cli() {
        let args = split_args(r#"SET "a b" 'c\'d' "\x00\r\n" plain"#).unwrap();
        let want: Vec<&[u8]> = vec![b"SET", b"a b", b"c'd", b"\x00\r\n", b"plain"];
        assert_eq!(args, want);
        assert_eq!(split_args(r#""""#).unwrap(), vec![Vec::<u8>::new()]);
        assert!(split_args(r#""abc"#).is_err());
        assert!(split_args(r#""a"b"#).is_err());
        assert!(split_args(r#""\xZZ""#).is_err());
        assert_eq!(
            split_args(r#"x "ab"*3 ""*5"#).unwrap(),
            vec![b"x".to_vec(), b"ababab".to_vec(), vec![]]
        );
        assert!(split_args(r#""a"*"#).is_err());
        assert!(split_args(r#""a"*99999999999"#).is_err());
    }

    #[test]
    fn escape_round_trips_through_quoted() {
        let raw = b"a\"b\\c\r\n\x00\xff ok";
        let shown = escape(raw, 100);
        assert_eq!(quoted(shown.as_bytes(), 0).unwrap().0, raw);
        assert_eq!(escape(b"abcdef", 3), "\"abc\"...(6 bytes)");
    }
}
