//! Argument splitting with Redis's quoting rules, for inline commands and config lines.

/// Whitespace as C's `isspace` sees it in the "C" locale; used where Redis calls `isspace`.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits `line` into arguments like Redis's `sdssplitargs`; `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // Redis works on a C string, so everything from the first NUL on is invisible to it.
    let line = match line.iter().position(|&b| b == 0) {
        Some(n) => &line[..n],
        None => line,
    };
    let at = |i: usize| line.get(i).copied();
    let mut out = Vec::new();
    let mut p = 0usize;
    loop {
        while at(p).is_some_and(is_c_space) {
            p += 1;
        }
        if p >= line.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            let c = at(p);
            if in_dq {
                match c {
                    None => return None,
                    Some(b'\\') if at(p + 1) == Some(b'x') => {
                        let hi = at(p + 2).and_then(hex_val);
                        let lo = at(p + 3).and_then(hex_val);
                        if let (Some(hi), Some(lo)) = (hi, lo) {
                            cur.push(hi * 16 + lo);
                            p += 3;
                        } else {
                            // Not a valid \xHH: the generic escape keeps the 'x' literally.
                            cur.push(b'x');
                            p += 1;
                        }
                    }
                    Some(b'\\') if at(p + 1).is_some() => {
                        p += 1;
                        cur.push(match at(p) {
                            Some(b'n') => b'\n',
                            Some(b'r') => b'\r',
                            Some(b't') => b'\t',
                            Some(b'b') => 0x08,
                            Some(b'a') => 0x07,
                            Some(other) => other,
                            None => return None,
                        });
                    }
                    Some(b'"') => {
                        if at(p + 1).is_some_and(|b| !is_c_space(b)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => cur.push(other),
                }
            } else if in_sq {
                match c {
                    None => return None,
                    Some(b'\\') if at(p + 1) == Some(b'\'') => {
                        p += 1;
                        cur.push(b'\'');
                    }
                    Some(b'\'') => {
                        if at(p + 1).is_some_and(|b| !is_c_space(b)) {
                            return None;
                        }
                        p += 1;
                        break;
                    }
                    Some(other) => cur.push(other),
                }
            } else {
                match c {
                    // Only these end an unquoted token; \v and \f are kept as token bytes.
                    None => break,
                    Some(b' ' | b'\n' | b'\r' | b'\t') => {
                        p += 1;
                        break;
                    }
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(other) => cur.push(other),
                }
            }
            p += 1;
        }
        out.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn ok(line: &[u8]) -> Vec<Vec<u8>> {
        match split_args(line) {
            Some(v) => v,
            None => panic!("unexpected None for {line:?}"),
        }
    }

    fn strs(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn empty_and_blank() {
        assert_eq!(ok(b""), Vec::<Vec<u8>>::new());
        assert_eq!(ok(b"   \t\r\n\x0b\x0c"), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn plain_words() {
        assert_eq!(ok(b"set foo bar"), strs(&["set", "foo", "bar"]));
        assert_eq!(ok(b"  set   foo\tbar\r\n"), strs(&["set", "foo", "bar"]));
    }

    #[test]
    fn vertical_tab_is_token_byte_but_skipped_as_leading_blank() {
        assert_eq!(ok(b"a\x0bb"), vec![b"a\x0bb".to_vec()]);
        assert_eq!(ok(b"\x0ba b"), strs(&["a", "b"]));
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(ok(b"\"hello world\""), strs(&["hello world"]));
        assert_eq!(
            ok(br#""a\nb\rc\td\be\af\\g\"h\qi""#),
            vec![b"a\nb\rc\td\x08e\x07f\\g\"hqi".to_vec()]
        );
        assert_eq!(ok(br#""\x41\x7a\xff""#), vec![vec![0x41, 0x7a, 0xff]]);
        assert_eq!(ok(br#""\xZZ""#), vec![b"xZZ".to_vec()]);
        assert_eq!(ok(br#""\x4""#), vec![b"x4".to_vec()]);
        assert_eq!(ok(b"\"\""), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn single_quotes() {
        assert_eq!(ok(br"'a\'b'"), strs(&["a'b"]));
        assert_eq!(ok(br"'a\nb'"), strs(&["a\\nb"]));
        assert_eq!(ok(b"''"), vec![Vec::<u8>::new()]);
    }

    #[test]
    fn quote_mid_token_joins() {
        assert_eq!(ok(b"foo\"bar baz\""), strs(&["foobar baz"]));
        assert_eq!(ok(b"foo'bar' x"), strs(&["foobar", "x"]));
    }

    #[test]
    fn closing_quote_must_be_followed_by_space() {
        assert_eq!(split_args(b"\"foo\"bar"), None);
        assert_eq!(split_args(b"'foo'bar"), None);
        assert_eq!(ok(b"\"foo\"\x0bbar"), strs(&["foo", "bar"]));
        assert_eq!(ok(b"\"foo\" bar"), strs(&["foo", "bar"]));
    }

    #[test]
    fn unterminated() {
        assert_eq!(split_args(b"\"foo"), None);
        assert_eq!(split_args(b"'foo"), None);
        assert_eq!(split_args(b"\"foo\\"), None);
        assert_eq!(split_args(b"\"foo\\\""), None);
        assert_eq!(split_args(b"set 'a"), None);
    }

    #[test]
    fn nul_truncates() {
        assert_eq!(ok(b"a b\0c d"), strs(&["a", "b"]));
        assert_eq!(ok(b"ab\0cd"), strs(&["ab"]));
        assert_eq!(split_args(b"\"ab\0cd\""), None);
    }

    #[test]
    fn binary_bytes_kept() {
        assert_eq!(ok(b"\xff\x80 x"), vec![vec![0xff, 0x80], b"x".to_vec()]);
    }
}
