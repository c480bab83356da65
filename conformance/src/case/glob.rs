//! Glob patterns for expectations: Redis's own matcher (`lode_core::util::glob`, the exact
//! semantics of Redis 7.0's `stringmatchlen`, as KEYS and SCAN MATCH use it), so a case
//! author's glob means what it means in a Redis pattern: `*` (any run, newlines included),
//! `?` (one byte), `[abc]`, `[a-z]`, `[^x]`, `\` to take the next byte literally; `[`
//! always opens a class (write `\[` for a literal bracket).
//!
//! One deliberate difference: Redis's matcher never matches an empty string with `*` (its
//! main loop does not run on an empty string; KEYS special-cases a lone `*` before calling
//! it). In an expectation `glob "*"` means "any string", the empty one too, so an empty
//! string matches exactly the patterns made only of stars (and the empty pattern). On a
//! non-empty string nothing differs (`glob "name=*"` matches `name=` in both).

use lode_core::util::glob::string_match;

/// True when `pat` matches all of `s`.
pub fn matches(pat: &[u8], s: &[u8]) -> bool {
    if s.is_empty() {
        return pat.iter().all(|&b| b == b'*');
    }
    string_match(pat, s, false)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches(b"*", b""));
        assert!(matches(b"**", b""));
        assert!(matches(b"", b""));
        assert!(!matches(b"?", b""));
        assert!(!matches(b"a*", b""));
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
        assert!(matches(b"\\[", b"["));
        assert!(matches(b"name=*", b"name="));
        assert!(matches(b"*\n", b"line\n"));
    }
}
