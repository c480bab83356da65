//! Glob-style matching with the exact semantics of Redis 7.0's `stringmatchlen`.
//!
//! Redis recurses once per `*` and stops backtracking into earlier stars as soon as a later
//! star has tried every position ("skip longer matches"). That is the same search as
//! remembering only the most recent star, which is what this loop does: no recursion, so a
//! pattern with a million stars cannot exhaust the stack, and time stays O(pattern × string).

/// Reads like C does over a NUL-terminated buffer: past the end there is a 0 byte.
#[inline]
fn at(buf: &[u8], i: usize) -> u8 {
    buf.get(i).copied().unwrap_or(0)
}

/// C's `tolower` in the "C" locale (Redis never sets LC_CTYPE).
#[inline]
fn lower(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

/// A byte as Redis sees it in a range test: `char` is signed, so 0x80..=0xff sort below 0.
#[inline]
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

/// Matches one `[...]` class starting just after `[` at `p` against byte `c`.
/// Returns whether it matched and the index of the closing `]` (or of the last pattern byte
/// when the class is unclosed), mirroring where Redis leaves its cursor.
fn match_class(pat: &[u8], mut p: usize, c: u8, nocase: bool) -> (bool, usize) {
    let negate = at(pat, p) == b'^';
    if negate {
        p += 1;
    }
    let mut matched = false;
    loop {
        let left = pat.len().saturating_sub(p);
        let b = at(pat, p);
        if b == b'\\' && left >= 2 {
            p += 1;
            // Escaped class members compare case-sensitively even with nocase: Redis does.
            if at(pat, p) == c {
                matched = true;
            }
        } else if b == b']' && left > 0 {
            break;
        } else if left == 0 {
            // Unclosed class: treat the pattern end as the closing bracket.
            p -= 1;
            break;
        } else if left >= 3 && at(pat, p + 1) == b'-' {
            let (mut lo, mut hi) = (signed(b), signed(at(pat, p + 2)));
            let mut x = signed(c);
            if lo > hi {
                std::mem::swap(&mut lo, &mut hi);
            }
            if nocase {
                lo = lower(lo);
                hi = lower(hi);
                x = lower(x);
            }
            p += 2;
            if lo <= x && x <= hi {
                matched = true;
            }
        } else if nocase {
            if lower(signed(b)) == lower(signed(c)) {
                matched = true;
            }
        } else if b == c {
            matched = true;
        }
        p += 1;
    }
    (matched != negate, p)
}

/// Glob-matches `string` against `pattern` exactly like Redis 7.0.15's `stringmatchlen`.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let (plen, slen) = (pattern.len(), string.len());
    let (mut p, mut s) = (0usize, 0usize);
    // Where to resume after a failure: pattern index just past the latest star, and the
    // string index that star will try to cover next.
    let mut backtrack: Option<(usize, usize)> = None;
    'outer: loop {
        let failed = 'attempt: {
            while p < plen && s < slen {
                let c = string[s];
                match pattern[p] {
                    b'*' => {
                        while p + 1 < plen && pattern[p + 1] == b'*' {
                            p += 1;
                        }
                        if p + 1 == plen {
                            return true;
                        }
                        p += 1;
                        backtrack = Some((p, s));
                        continue;
                    }
                    b'?' => {}
                    b'[' => {
                        let (ok, end) = match_class(pattern, p + 1, c, nocase);
                        if !ok {
                            break 'attempt true;
                        }
                        p = end;
                    }
                    first => {
                        let mut lit = first;
                        if first == b'\\' && plen - p >= 2 {
                            p += 1;
                            lit = pattern[p];
                        }
                        let same = if nocase {
                            lower(signed(lit)) == lower(signed(c))
                        } else {
                            lit == c
                        };
                        if !same {
                            break 'attempt true;
                        }
                    }
                }
                s += 1;
                p += 1;
                if s == slen {
                    while at(pattern, p) == b'*' {
                        p += 1;
                    }
                    break;
                }
            }
            !(p == plen && s == slen)
        };
        if !failed {
            return true;
        }
        match backtrack {
            // The latest star already tried its last position: Redis gives up entirely here.
            Some((bp, bs)) if bs + 1 < slen => {
                backtrack = Some((bp, bs + 1));
                p = bp;
                s = bs + 1;
                continue 'outer;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::string_match;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), true)
    }

    /// Independent recursive model of Redis's algorithm, used as an oracle for the loop.
    fn model(pat: &[u8], s: &[u8], nocase: bool, give_up: &mut bool) -> bool {
        let g = |i: usize| pat.get(i).copied().unwrap_or(0);
        let (mut p, mut i) = (0usize, 0usize);
        while p < pat.len() && i < s.len() {
            match pat[p] {
                b'*' => {
                    while p + 1 < pat.len() && pat[p + 1] == b'*' {
                        p += 1;
                    }
                    if p + 1 == pat.len() {
                        return true;
                    }
                    for start in i..s.len() {
                        if model(&pat[p + 1..], &s[start..], nocase, give_up) {
                            return true;
                        }
                        if *give_up {
                            return false;
                        }
                    }
                    *give_up = true;
                    return false;
                }
                b'[' => {
                    let (ok, end) = super::match_class(pat, p + 1, s[i], nocase);
                    if !ok {
                        return false;
                    }
                    p = end;
                }
                b'?' => {}
                b => {
                    let mut lit = b;
                    if b == b'\\' && pat.len() - p >= 2 {
                        p += 1;
                        lit = pat[p];
                    }
                    let eq = if nocase {
                        lit.eq_ignore_ascii_case(&s[i])
                    } else {
                        lit == s[i]
                    };
                    if !eq {
                        return false;
                    }
                }
            }
            p += 1;
            i += 1;
            if i == s.len() {
                while g(p) == b'*' {
                    p += 1;
                }
                break;
            }
        }
        p == pat.len() && i == s.len()
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("*", "anything"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("***", "x"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
    }

    #[test]
    fn star_does_not_match_empty_string() {
        // The main loop never runs on an empty string, so "*" alone fails; Redis's KEYS and
        // SCAN special-case a lone "*" before calling the matcher.
        assert!(!m("*", ""));
        assert!(!m("**", ""));
        assert!(!m("?", ""));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(!m("[]]", "]"));
        // The range swallows the ']' so the class runs on to the end of the pattern.
        assert!(m("[a-]x", "]"));
        assert!(m("[a-]x", "x"));
        assert!(!m("[a-]x", "]x"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(!m("[\\-]", "\\"));
    }

    #[test]
    fn unclosed_class_runs_to_pattern_end() {
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(!m("[", "a"));
        assert!(m("[^", "a"));
        assert!(m("a[^", "ab"));
        assert!(!m("[abc", "bb"));
        assert!(m("[a\\", "\\"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\?x", "?x"));
        assert!(m("\\[a]", "[a]"));
    }

    #[test]
    fn nocase() {
        assert!(mi("HeLLo", "hello"));
        assert!(mi("h[A-Z]llo", "hello"));
        assert!(mi("h[E]llo", "hello"));
        assert!(!mi("h[\\E]llo", "hello"));
        assert!(!m("HELLO", "hello"));
        assert!(mi("h[^A]llo", "hello"));
        assert!(!mi("h[^E]llo", "hello"));
    }

    #[test]
    fn high_bytes_are_signed_in_ranges() {
        // 'a'-\xff becomes -1..=97 after the swap, so \x80 does not match but \x00 does.
        assert!(!string_match(b"[a-\xff]", b"\x80", false));
        assert!(string_match(b"[a-\xff]", b"\x00", false));
        assert!(string_match(b"[a-\xff]", b"\xff", false));
        assert!(string_match(b"[\x80-\xff]", b"\x90", false));
        assert!(string_match(b"\xe9*", b"\xe9t\xe9", true));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let s = vec![b'a'; 50_000];
        let mut pat = b"*a".repeat(1000);
        pat.push(b'b');
        assert!(!string_match(&pat, &s, false));
        let stars = b"*".repeat(1_000_000);
        assert!(string_match(&stars, &s, false));
        let mut many = b"a*".repeat(500_000);
        many.push(b'a');
        assert!(string_match(&many, &vec![b'a'; 500_001], false));
        assert!(!string_match(&many, &vec![b'a'; 500_000], false));
    }

    #[test]
    fn agrees_with_recursive_model() {
        let alphabet = b"ab*?[]^-\\A";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let plen = (next() % 9) as usize;
            let slen = (next() % 7) as usize;
            let pat: Vec<u8> = (0..plen)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let s: Vec<u8> = (0..slen)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let nocase = next() % 2 == 0;
            let mut give_up = false;
            let want = model(&pat, &s, nocase, &mut give_up);
            assert_eq!(
                string_match(&pat, &s, nocase),
                want,
                "{pat:?} {s:?} {nocase}"
            );
        }
    }
}
