//! The extended options of SET and GETEX (NX/XX/GET/KEEPTTL/PERSIST and the four expiry forms)
//! and the conversion of an expiry argument to an absolute Unix time in milliseconds.

use bytes::Bytes;

use super::c_str;
use crate::command::{errors, Ctx};
use crate::util::num::parse_i64;

/// How an expiry argument is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireKind {
    /// Seconds from now.
    Ex,
    /// Milliseconds from now.
    Px,
    /// Absolute Unix time in seconds.
    ExAt,
    /// Absolute Unix time in milliseconds.
    PxAt,
}

impl ExpireKind {
    fn in_seconds(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::ExAt)
    }

    fn relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }

    /// Whether the time given is absolute (EXAT/PXAT), so may already have passed.
    pub fn absolute(self) -> bool {
        !self.relative()
    }
}

/// Which command's options are being parsed: each accepts a different subset.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum For {
    /// SET: NX, XX, GET, KEEPTTL and the expiries.
    Set,
    /// GETEX: PERSIST and the expiries.
    GetEx,
}

/// The options given to SET or GETEX.
#[derive(Default)]
pub struct Options<'a> {
    /// Only set if the key does not exist.
    pub nx: bool,
    /// Only set if the key exists.
    pub xx: bool,
    /// Reply with the old value.
    pub get: bool,
    /// Keep the key's current TTL.
    pub keepttl: bool,
    /// Remove the key's TTL (GETEX).
    pub persist: bool,
    /// The expiry form and its (unparsed) argument.
    pub expire: Option<(ExpireKind, &'a [u8])>,
}

impl<'a> Options<'a> {
    /// Parses `args` the way Redis does: each option is accepted only when it does not conflict
    /// with one seen before (so `EX 1 EX 2` is fine, `EX 1 PX 2` is not). None = syntax error.
    pub fn parse(args: &'a [Bytes], which: For) -> Option<Options<'a>> {
        let mut o = Options::default();
        let set = which == For::Set;
        let mut j = if set { 3 } else { 2 };
        while j < args.len() {
            let opt = c_str(&args[j]);
            let next = args.get(j + 1).map(|b| &b[..]);
            let timed_otherwise =
                |o: &Options, kind: ExpireKind| o.expire.is_some_and(|(e, _)| e != kind);
            let is = |word: &str| opt.eq_ignore_ascii_case(word.as_bytes());
            let expiry = if is("NX") && set && !o.xx {
                o.nx = true;
                None
            } else if is("XX") && set && !o.nx {
                o.xx = true;
                None
            } else if is("GET") && set {
                o.get = true;
                None
            } else if is("KEEPTTL") && set && !o.persist && o.expire.is_none() {
                o.keepttl = true;
                None
            } else if is("PERSIST") && !set && o.expire.is_none() && !o.keepttl {
                o.persist = true;
                None
            } else if is("EX") {
                Some(ExpireKind::Ex)
            } else if is("PX") {
                Some(ExpireKind::Px)
            } else if is("EXAT") {
                Some(ExpireKind::ExAt)
            } else if is("PXAT") {
                Some(ExpireKind::PxAt)
            } else {
                return None;
            };
            if let Some(kind) = expiry {
                // The same form may repeat (the last wins); another form, KEEPTTL or PERSIST may not.
                let value = next?;
                if o.keepttl || o.persist || timed_otherwise(&o, kind) {
                    return None;
                }
                o.expire = Some((kind, value));
                j += 1;
            }
            j += 1;
        }
        Some(o)
    }
}

/// Why an expiry argument was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpireError {
    /// Not an integer ("ERR value is not an integer or out of range").
    NotInt,
    /// Zero, negative, or overflowing once converted ("ERR invalid expire time in '...'").
    Invalid,
}

/// The absolute expiry, in Unix milliseconds, that `arg` of the given kind means at `now_ms`.
pub fn expire_at_ms(arg: &[u8], kind: ExpireKind, now_ms: u64) -> Result<u64, ExpireError> {
    let mut ms = parse_i64(arg).ok_or(ExpireError::NotInt)?;
    if ms <= 0 || (kind.in_seconds() && ms > i64::MAX / 1000) {
        return Err(ExpireError::Invalid);
    }
    if kind.in_seconds() {
        ms *= 1000;
    }
    if kind.relative() {
        // Redis adds with two's-complement wrap-around and refuses a result that is not positive.
        ms = ms.wrapping_add(now_ms as i64);
    }
    if ms <= 0 {
        return Err(ExpireError::Invalid);
    }
    Ok(ms as u64)
}

/// Replies with the error for a refused expiry of the running command.
pub fn expire_error(ctx: &mut Ctx, err: ExpireError) {
    match err {
        ExpireError::NotInt => ctx.error(errors::NOT_INT),
        ExpireError::Invalid => {
            let msg = format!("{} '{}' command", errors::INVALID_EXPIRE, ctx.cmd.name);
            ctx.error(&msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(words: &[&str], which: For) -> Option<String> {
        let args: Vec<Bytes> = words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect();
        Options::parse(&args, which).map(|o| {
            format!(
                "nx={} xx={} get={} keepttl={} persist={} expire={:?}",
                o.nx as u8,
                o.xx as u8,
                o.get as u8,
                o.keepttl as u8,
                o.persist as u8,
                o.expire
                    .map(|(k, v)| format!("{k:?}:{}", String::from_utf8_lossy(v)))
            )
        })
    }

    #[test]
    fn set_options_follow_redis_conflict_rules() {
        let ok = |w: &[&str]| parse(w, For::Set).is_some();
        assert!(ok(&["set", "k", "v", "nx", "nx", "get", "get"]));
        assert!(ok(&["set", "k", "v", "EX", "1", "ex", "2"]));
        assert!(ok(&["set", "k", "v", "keepttl", "KEEPTTL", "xx"]));
        assert!(ok(&["set", "k", "v", "nx\0junk"]));
        for bad in [
            &["set", "k", "v", "nx", "xx"][..],
            &["set", "k", "v", "ex", "1", "px", "1"],
            &["set", "k", "v", "ex", "1", "keepttl"],
            &["set", "k", "v", "keepttl", "pxat", "1"],
            &["set", "k", "v", "ex"],
            &["set", "k", "v", "persist"],
            &["set", "k", "v", "nxx"],
        ] {
            assert!(!ok(bad), "{bad:?}");
        }
        assert_eq!(
            parse(&["set", "k", "v", "ex", "1", "ex", "2"], For::Set).as_deref(),
            Some("nx=0 xx=0 get=0 keepttl=0 persist=0 expire=Some(\"Ex:2\")")
        );
    }

    #[test]
    fn getex_options() {
        let ok = |w: &[&str]| parse(w, For::GetEx).is_some();
        assert!(ok(&["getex", "k"]));
        assert!(ok(&["getex", "k", "persist", "persist"]));
        assert!(ok(&["getex", "k", "pxat", "5"]));
        for bad in [
            &["getex", "k", "persist", "ex", "1"][..],
            &["getex", "k", "ex", "1", "persist"],
            &["getex", "k", "nx"],
            &["getex", "k", "get"],
            &["getex", "k", "keepttl"],
        ] {
            assert!(!ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn expire_conversion_and_overflow() {
        let now = 1_700_000_000_000;
        assert_eq!(expire_at_ms(b"10", ExpireKind::Ex, now), Ok(now + 10_000));
        assert_eq!(expire_at_ms(b"10", ExpireKind::Px, now), Ok(now + 10));
        assert_eq!(expire_at_ms(b"10", ExpireKind::ExAt, now), Ok(10_000));
        assert_eq!(expire_at_ms(b"10", ExpireKind::PxAt, now), Ok(10));
        assert_eq!(
            expire_at_ms(b"x", ExpireKind::Ex, now),
            Err(ExpireError::NotInt)
        );
        for (arg, kind) in [
            (&b"0"[..], ExpireKind::Ex),
            (b"-1", ExpireKind::PxAt),
            (b"9223372036854776", ExpireKind::ExAt),
            (b"9223372036854775", ExpireKind::Ex),
            (b"9223372036854775807", ExpireKind::Px),
        ] {
            assert_eq!(expire_at_ms(arg, kind, now), Err(ExpireError::Invalid));
        }
        assert_eq!(
            expire_at_ms(b"9223372036854775", ExpireKind::ExAt, now),
            Ok(9_223_372_036_854_775_000)
        );
        assert_eq!(
            expire_at_ms(b"9223372036854775807", ExpireKind::PxAt, now),
            Ok(i64::MAX as u64)
        );
    }
}
