//! Script flags: a script's `#!lua flags=...` shebang line (and a function's flags), and how
//! they change what the EVAL or FCALL that runs it may do.

/// A set of script flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScriptFlags(u8);

impl ScriptFlags {
    /// No shebang: an EVAL script of before Redis 7, run with the old rules.
    pub const COMPAT: Self = Self(1);
    /// `no-writes`.
    pub const NO_WRITES: Self = Self(1 << 1);
    /// `allow-oom`.
    pub const ALLOW_OOM: Self = Self(1 << 2);
    /// `allow-stale`.
    pub const ALLOW_STALE: Self = Self(1 << 3);
    /// `no-cluster`.
    pub const NO_CLUSTER: Self = Self(1 << 4);
    /// `allow-cross-slot-keys`.
    pub const ALLOW_CROSS_SLOT: Self = Self(1 << 5);

    /// Every flag by its name, in Redis's order (FUNCTION LIST shows them so).
    pub const NAMES: [(&'static str, Self); 5] = [
        ("no-writes", Self::NO_WRITES),
        ("allow-oom", Self::ALLOW_OOM),
        ("allow-stale", Self::ALLOW_STALE),
        ("no-cluster", Self::NO_CLUSTER),
        ("allow-cross-slot-keys", Self::ALLOW_CROSS_SLOT),
    ];

    /// Whether every flag of `other` is set.
    pub fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The flag named `name`.
    pub fn named(name: &[u8]) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| n.as_bytes() == name)
            .map(|&(_, f)| f)
    }

    /// Adds `other`.
    pub fn add(&mut self, other: Self) {
        self.0 |= other.0;
    }
}

/// Reads the shebang of a script body: its flags and the length of the shebang line (which
/// is not compiled; its newline is, so line numbers stay right). A body without "#!" has
/// `COMPAT` and length 0. The error is Redis's reply text.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let parts = match crate::util::split_args::split_args(&body[..end]) {
        Some(p) if !p.is_empty() => p,
        _ => return Err("ERR Invalid engine in script shebang".into()),
    };
    if parts[0] != b"#!lua" {
        return Err(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(&parts[0])
        ));
    }
    let mut flags = ScriptFlags::default();
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            ));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            match ScriptFlags::named(name) {
                Some(f) => flags.add(f),
                None => {
                    return Err(format!(
                        "ERR Unexpected flag in script shebang: {}",
                        String::from_utf8_lossy(name)
                    ))
                }
            }
        }
    }
    Ok((flags, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        assert_eq!(parse(b"return 1").unwrap(), (ScriptFlags::COMPAT, 0));
        let (f, len) = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(f.has(ScriptFlags::NO_WRITES) && f.has(ScriptFlags::ALLOW_OOM));
        assert!(!f.has(ScriptFlags::COMPAT));
        assert_eq!(len, 31);
        assert_eq!(
            parse(b"#!lua\nreturn 1").unwrap(),
            (ScriptFlags::default(), 5)
        );
        assert_eq!(parse(b"#!lua").unwrap_err(), "ERR Invalid script shebang");
        assert_eq!(
            parse(b"#!python\n").unwrap_err(),
            "ERR Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            parse(b"#!lua flags=bad\n").unwrap_err(),
            "ERR Unexpected flag in script shebang: bad"
        );
        assert_eq!(
            parse(b"#!lua foo=bar\n").unwrap_err(),
            "ERR Unknown lua shebang option: foo=bar"
        );
    }
}
