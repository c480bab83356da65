//! Arguments compared the way Redis's C code compares them: as C strings, so the text ends at
//! the first NUL byte (`strcasecmp(c->argv[j]->ptr, "count")` matches `COUNT\0junk`).

/// `arg` up to its first NUL byte.
pub fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    }
}

/// Whether `arg` names the option `name` (ASCII case-insensitive, as a C string).
pub fn is_option(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

#[cfg(test)]
mod tests {
    #[test]
    fn options_end_at_nul() {
        assert!(super::is_option(b"CoUnT", "count"));
        assert!(super::is_option(b"count\0junk", "count"));
        assert!(!super::is_option(b"counts", "count"));
        assert_eq!(super::c_str(b"a\0b"), b"a");
    }
}
