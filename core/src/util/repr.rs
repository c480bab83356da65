//! Redis's quoted representation of a binary string (sdscatrepr): how MONITOR and the
//! server log show arguments.

/// Appends `s` to `out` in double quotes, escaping `\`, `"`, `\n`, `\r`, `\t`, `\a`, `\b`
/// by name and other unprintable bytes as `\xHH`.
pub fn push_repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'\\' | b'"' => {
                out.push(b'\\');
                out.push(b);
            }
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b),
            b => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_as_redis() {
        let mut out = Vec::new();
        super::push_repr(&mut out, b"a \"b\"\\\n\x01\xff");
        assert_eq!(out, b"\"a \\\"b\\\"\\\\\\n\\x01\\xff\"");
    }
}
