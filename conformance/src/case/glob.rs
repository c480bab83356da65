//! Glob patterns for expectations: `*` (any run, newlines included), `?` (one byte),
//! `[abc]`, `[a-z]`, `[^x]`, and `\` to take the next byte literally.

/// True when `pat` matches all of `s`.
pub fn matches(pat: &[u8], s: &[u8]) -> bool {
    // Iterative with one backtrack point (the latest `*`): linear-ish and no recursion.
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                _ if i < s.len() => {
                    if let Some(next) = one(pat, p, s[i]) {
                        p = next;
                        i += 1;
                        continue;
                    }
                }
                _ => {}
            }
        } else if i == s.len() {
            return true;
        }
        match star {
            Some((sp, si)) if si < s.len() => {
                star = Some((sp, si + 1));
                p = sp + 1;
                i = si + 1;
            }
            _ => return false,
        }
    }
}

/// Matches the single-byte pattern element at `pat[p]` against `c`; the index after it.
fn one(pat: &[u8], p: usize, c: u8) -> Option<usize> {
    match pat[p] {
        b'?' => Some(p + 1),
        b'\\' if p + 1 < pat.len() => (pat[p + 1] == c).then_some(p + 2),
        b'[' => {
            let mut q = p + 1;
            let negate = pat.get(q) == Some(&b'^');
            if negate {
                q += 1;
            }
            let mut hit = false;
            let mut first = true;
            while q < pat.len() && (pat[q] != b']' || first) {
                first = false;
                if pat[q] == b'\\' && q + 1 < pat.len() {
                    hit |= pat[q + 1] == c;
                    q += 2;
                } else if q + 2 < pat.len() && pat[q + 1] == b'-' && pat[q + 2] != b']' {
                    let (lo, hi) = (pat[q].min(pat[q + 2]), pat[q].max(pat[q + 2]));
                    hit |= (lo..=hi).contains(&c);
                    q += 3;
                } else {
                    hit |= pat[q] == c;
                    q += 1;
                }
            }
            if q >= pat.len() {
                // No closing bracket: the `[` is literal.
                return (c == b'[').then_some(p + 1);
            }
            (hit != negate).then_some(q + 1)
        }
        other => (other == c).then_some(p + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches(b"*", b""));
        assert!(matches(b"a*c", b"abbbc"));
        assert!(matches(b"a*c", b"ac"));
        assert!(!matches(b"a*c", b"abd"));
        assert!(matches(
            b"*redis_version:*\r\n*",
            b"# Server\r\nredis_version:7.0.15\r\nx"
        ));
        assert!(matches(b"h?llo", b"hello"));
        assert!(!matches(b"h?llo", b"hllo"));
        assert!(matches(b"h[ae]llo", b"hallo"));
        assert!(!matches(b"h[^e]llo", b"hello"));
        assert!(matches(b"[a-c]x", b"bx"));
        assert!(matches(b"a\\*", b"a*"));
        assert!(!matches(b"a\\*", b"ab"));
        assert!(matches(b"*a*b*", b"xxaxxbxx"));
        assert!(!matches(b"*a*b", b"xxaxxbxxc"));
        assert!(matches(b"[", b"["));
    }
}
