//! A library's metadata: the `#!<engine> name=<library>` line its code starts with, and the
//! rule library and function names follow (functions.c's functionExtractLibMetaData and
//! functionsVerifyName).

/// What the first line of a library's code says.
#[derive(Debug, PartialEq, Eq)]
pub struct Meta {
    /// The engine, as written (`LUA`, `lua`...; empty for `#! name=x`).
    pub engine: Vec<u8>,
    /// The library's name.
    pub name: Vec<u8>,
    /// Where the code proper starts: at the shebang line's newline, so line numbers count the
    /// shebang as line 1.
    pub body_at: usize,
}

/// The error Redis gives for a library or function name that is not `[A-Za-z0-9_]+` (it says
/// "Library names" for functions too).
pub const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) \
                            and must be at least one character long";

/// Whether `name` is a valid library or function name: one or more ASCII letters, digits or
/// underscores.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parses the metadata line of `code`. The error is Redis's message, without the "ERR " code.
pub fn parse(code: &[u8]) -> Result<Meta, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    // Redis looks for the newline with strchr, which stops at a NUL.
    let text_end = code.iter().position(|&b| b == 0).unwrap_or(code.len());
    let Some(end) = code[..text_end].iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = match crate::util::split_args::split_args(&code[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = parts[0].get(2..).unwrap_or_default().to_vec();
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    Ok(Meta {
        engine,
        name,
        body_at: end,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_lines() {
        let m = parse(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!(
            m,
            Meta {
                engine: b"lua".to_vec(),
                name: b"mylib".to_vec(),
                body_at: 16
            }
        );
        assert_eq!(parse(b"#!LUA NAME=\"a b\"\n").unwrap().name, b"a b");
        assert_eq!(parse(b"#! name=x\n").unwrap().engine, b"");
        assert_eq!(parse(b"return 1").unwrap_err(), "Missing library metadata");
        assert_eq!(
            parse(b"#!lua name=x").unwrap_err(),
            "Invalid library metadata"
        );
        assert_eq!(
            parse(b"#!lua name=x\0\n").unwrap_err(),
            "Invalid library metadata"
        );
        assert_eq!(
            parse(b"#!lua \"x\n").unwrap_err(),
            "Invalid library metadata"
        );
        assert_eq!(parse(b"#!lua\n").unwrap_err(), "Library name was not given");
        assert_eq!(
            parse(b"#!lua name=a foo=bar\n").unwrap_err(),
            "Invalid metadata value given: foo=bar"
        );
        assert_eq!(
            parse(b"#!lua name=a name=b\n").unwrap_err(),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert!(valid_name(b"a_Z9"));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"a-b"));
        assert!(!valid_name(b"a\0b"));
    }
}
