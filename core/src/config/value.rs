//! Parameter kinds and values: how each kind of parameter parses a new value (CONFIG SET,
//! command line, redis.conf) and how CONFIG GET prints it, with Redis 7.0's error texts.

use crate::util::num::parse_i64;

/// The parsed value of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigValue {
    /// A number (memory and percent values included; percents are stored negated, as Redis
    /// does; unsigned parameters keep their bit pattern).
    Int(i64),
    /// yes/no.
    Bool(bool),
    /// A string.
    Str(String),
    /// An enum value, or the OR of several for multi-word enums (shutdown-on-sigint).
    Enum(u32),
    /// A word list (bind, replicaof, oom-score-adj-values).
    List(Vec<String>),
    /// `save`: (seconds, changes) pairs.
    Save(Vec<(i64, i64)>),
    /// `client-output-buffer-limit` for the normal, replica and pubsub classes.
    Obuf([ObufLimit; 3]),
    /// `latency-tracking-info-percentiles`.
    Percentiles(Vec<f64>),
}

/// One client class's output buffer limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ObufLimit {
    /// Disconnect at once above this many bytes (0 = no limit).
    pub hard: u64,
    /// Disconnect when above this many bytes for `soft_seconds`.
    pub soft: u64,
    /// How long the soft limit may be exceeded.
    pub soft_seconds: u64,
}

/// How a number is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumFmt {
    /// A plain integer.
    Plain,
    /// Bytes, accepting k/kb/m/mb/g/gb units.
    Memory,
    /// Bytes or a percentage ("10%"; maxmemory-clients).
    MemoryPercent,
    /// Octal (unixsocketperm).
    Octal,
}

/// What kind of value a parameter holds.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// yes/no.
    Bool,
    /// A number within `min..=max`; `unsigned` parameters compare (and print bounds) as
    /// unsigned, as Redis does for its unsigned C types.
    Int {
        min: i128,
        max: i128,
        unsigned: bool,
        fmt: NumFmt,
    },
    /// One of `names` (name, value); `multi` allows several words OR-ed together.
    Enum {
        names: &'static [(&'static str, u32)],
        multi: bool,
    },
    /// A free string.
    Str,
    /// `save`.
    Save,
    /// `client-output-buffer-limit`.
    Obuf,
    /// `oom-score-adj-values`.
    OomValues,
    /// `notify-keyspace-events`.
    Notify,
    /// `bind`.
    Bind,
    /// `replicaof`.
    ReplicaOf,
    /// `latency-tracking-info-percentiles`.
    Percentiles,
    /// `dir`.
    Dir,
}

impl Kind {
    /// Whether the parameter takes several words (Redis's MULTI_ARG_CONFIG).
    pub fn multi_arg(&self) -> bool {
        match self {
            Kind::Enum { multi, .. } => *multi,
            Kind::Save
            | Kind::Obuf
            | Kind::OomValues
            | Kind::Bind
            | Kind::ReplicaOf
            | Kind::Percentiles => true,
            _ => false,
        }
    }

    /// Parses the words of a new value; the error is the text after Redis's
    /// "CONFIG SET failed (possibly related to argument 'x') - ".
    pub fn parse(&self, args: &[String]) -> Result<ConfigValue, String> {
        let first = args.first().map(String::as_str).unwrap_or("");
        match *self {
            Kind::Bool => match first.to_ascii_lowercase().as_str() {
                "yes" => Ok(ConfigValue::Bool(true)),
                "no" => Ok(ConfigValue::Bool(false)),
                _ => Err("argument must be 'yes' or 'no'".into()),
            },
            Kind::Int {
                min,
                max,
                unsigned,
                fmt,
            } => parse_number(first, min, max, unsigned, fmt).map(ConfigValue::Int),
            Kind::Enum { names, multi } => parse_enum(names, multi, args).map(ConfigValue::Enum),
            Kind::Str | Kind::Dir => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                Ok(ConfigValue::Str(first.to_string()))
            }
            Kind::Save => parse_save(args),
            Kind::Obuf => Err("internal: obuf needs the current value".into()),
            Kind::OomValues => {
                if args.len() != 3 {
                    return Err("wrong number of arguments".into());
                }
                for a in args {
                    match c_strtoll(a) {
                        Some(v) if (-2000..=2000).contains(&v) => {}
                        _ => {
                            return Err("Invalid oom-score-adj-values, elements must be between \
                                        -2000 and 2000."
                                .into())
                        }
                    }
                }
                let vals = args.iter().map(|a| c_strtoll(a).unwrap_or(0).to_string());
                Ok(ConfigValue::List(vals.collect()))
            }
            Kind::Notify => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                notify_flags(first)
                    .map(|f| ConfigValue::Int(f as i64))
                    .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into())
            }
            Kind::Bind => {
                if args.len() > 16 {
                    return Err("Too many bind addresses specified.".into());
                }
                let list: Vec<String> = if args.len() == 1 && args[0].is_empty() {
                    Vec::new()
                } else {
                    args.to_vec()
                };
                Ok(ConfigValue::List(list))
            }
            Kind::ReplicaOf => {
                if args.len() != 2 {
                    return Err("wrong number of arguments".into());
                }
                if args[0].eq_ignore_ascii_case("no") && args[1].eq_ignore_ascii_case("one") {
                    return Ok(ConfigValue::List(Vec::new()));
                }
                match args[1].parse::<i64>() {
                    Ok(p) if (0..=65535).contains(&p) => {
                        Ok(ConfigValue::List(vec![args[0].clone(), p.to_string()]))
                    }
                    _ => Err("Invalid master port".into()),
                }
            }
            Kind::Percentiles => {
                if args.len() == 1 && args[0].is_empty() {
                    return Ok(ConfigValue::Percentiles(Vec::new()));
                }
                let mut out = Vec::with_capacity(args.len());
                for a in args {
                    let p = crate::util::num::parse_f64(a.as_bytes()).ok_or_else(|| {
                        "Invalid latency-tracking-info-percentiles parameters".to_string()
                    })?;
                    if !(0.0..=100.0).contains(&p) {
                        return Err("latency-tracking-info-percentiles parameters should sit \
                                    between [0.0,100.0]"
                            .into());
                    }
                    out.push(p);
                }
                Ok(ConfigValue::Percentiles(out))
            }
        }
    }

    /// Parses a new value given the current one (client-output-buffer-limit only changes the
    /// classes it names).
    pub fn parse_with(
        &self,
        args: &[String],
        current: &ConfigValue,
    ) -> Result<ConfigValue, String> {
        match self {
            Kind::Obuf => {
                let ConfigValue::Obuf(mut limits) = current.clone() else {
                    return Err("internal: bad obuf value".into());
                };
                parse_obuf(args, &mut limits)?;
                Ok(ConfigValue::Obuf(limits))
            }
            _ => self.parse(args),
        }
    }

    /// Prints a value as CONFIG GET shows it.
    pub fn render(&self, v: &ConfigValue) -> String {
        match (self, v) {
            (Kind::Bool, ConfigValue::Bool(b)) => if *b { "yes" } else { "no" }.into(),
            (Kind::Int { fmt, unsigned, .. }, ConfigValue::Int(n)) => match fmt {
                NumFmt::MemoryPercent if *n < 0 => format!("{}%", -(*n as i128)),
                NumFmt::Octal => format!("{:o}", *n),
                NumFmt::Memory | NumFmt::MemoryPercent => (*n as u64).to_string(),
                NumFmt::Plain if *unsigned => (*n as u64).to_string(),
                NumFmt::Plain => n.to_string(),
            },
            (Kind::Enum { names, multi }, ConfigValue::Enum(e)) => enum_name(names, *multi, *e),
            (_, ConfigValue::Str(s)) => s.clone(),
            (Kind::Notify, ConfigValue::Int(f)) => notify_string(*f as u32),
            (_, ConfigValue::List(l)) => l.join(" "),
            (_, ConfigValue::Save(pairs)) => pairs
                .iter()
                .map(|(s, c)| format!("{s} {c}"))
                .collect::<Vec<_>>()
                .join(" "),
            (_, ConfigValue::Obuf(l)) => ["normal", "slave", "pubsub"]
                .iter()
                .zip(l.iter())
                .map(|(n, l)| format!("{n} {} {} {}", l.hard, l.soft, l.soft_seconds))
                .collect::<Vec<_>>()
                .join(" "),
            (_, ConfigValue::Percentiles(p)) => p
                .iter()
                .map(|x| trim_double(&format!("{x:.6}")))
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        }
    }
}

/// Redis's `memtoull`: digits then an optional unit (b, k, kb, m, mb, g, gb; case-insensitive).
/// Like Redis, an empty digit string is 0, overflow saturates and the unit product wraps.
pub fn memtoull(s: &str) -> Option<u64> {
    if s.starts_with('-') {
        return None;
    }
    let digits_end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, unit) = s.split_at(digits_end);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let val = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(val.wrapping_mul(mul))
}

/// C's `strtoll(s, &end, 10)` requiring the whole string to be consumed (empty → 0).
fn c_strtoll(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        return if s.is_empty() { Some(0) } else { None };
    }
    let (neg, digits) = match t.as_bytes()[0] {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i128 = digits.parse::<i128>().unwrap_or(i128::MAX);
    let v = if neg { -v } else { v };
    Some(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

fn parse_number(s: &str, min: i128, max: i128, unsigned: bool, fmt: NumFmt) -> Result<i64, String> {
    let parsed: Option<i64> = match fmt {
        NumFmt::Memory => memtoull(s).map(|v| v as i64),
        NumFmt::MemoryPercent => memtoull(s).map(|v| v as i64).or_else(|| {
            let body = s.strip_suffix('%')?;
            (s.len() > 1)
                .then(|| parse_i64(body.as_bytes()))
                .flatten()
                .filter(|v| *v >= 0)
                .map(|v| -v)
        }),
        NumFmt::Octal => i64::from_str_radix(s, 8)
            .ok()
            .filter(|_| !s.is_empty() && !s.starts_with('+')),
        NumFmt::Plain => parse_i64(s.as_bytes()),
    };
    let Some(v) = parsed else {
        return Err(match fmt {
            NumFmt::MemoryPercent => "argument must be a memory or percent value",
            NumFmt::Memory => "argument must be a memory value",
            NumFmt::Octal => "argument couldn't be parsed as an octal number",
            NumFmt::Plain => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if unsigned {
        let u = v as u64 as i128;
        if u < min || u > max {
            return Err(if fmt == NumFmt::Octal {
                format!("argument must be between {min:o} and {max:o} inclusive")
            } else {
                format!("argument must be between {min} and {max} inclusive")
            });
        }
    } else if fmt == NumFmt::MemoryPercent && v < 0 {
        if (v as i128) < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if (v as i128) < min || (v as i128) > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(v)
}

fn parse_enum(names: &[(&str, u32)], multi: bool, args: &[String]) -> Result<u32, String> {
    let bad = || {
        let list: Vec<&str> = names.iter().map(|(n, _)| *n).collect();
        format!(
            "argument(s) must be one of the following: {}",
            list.join(", ")
        )
    };
    if args.is_empty() || (!multi && args.len() != 1) {
        return Err(bad());
    }
    let mut value = 0;
    for a in args {
        let hit = names.iter().filter(|(n, _)| n.eq_ignore_ascii_case(a));
        let mut matched = false;
        for (_, v) in hit {
            value |= v;
            matched = true;
        }
        if !matched {
            return Err(bad());
        }
    }
    Ok(value)
}

/// The name CONFIG GET prints for an enum value (several names for multi-word enums;
/// "unknown" when nothing matches), following Redis's `configEnumGetName`.
fn enum_name(names: &[(&str, u32)], multi: bool, value: u32) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut unmatched = value;
    for (n, v) in names {
        if *v == value {
            return (*n).to_string();
        }
        if multi && *v != 0 && *v == (unmatched & v) {
            out.push(n);
            unmatched &= !v;
        }
    }
    if out.is_empty() || unmatched != 0 {
        return "unknown".into();
    }
    out.join(" ")
}

fn parse_save(args: &[String]) -> Result<ConfigValue, String> {
    let args: &[String] = if args.len() == 1 && args[0].is_empty() {
        &[]
    } else {
        args
    };
    let invalid = || "Invalid save parameters".to_string();
    if args.len() % 2 == 1 {
        return Err(invalid());
    }
    let mut pairs = Vec::new();
    for pair in args.chunks(2) {
        let secs = c_strtoll(&pair[0]).ok_or_else(invalid)?;
        let changes = c_strtoll(&pair[1]).ok_or_else(invalid)?;
        if secs < 1 || changes < 0 {
            return Err(invalid());
        }
        pairs.push((secs, changes));
    }
    Ok(ConfigValue::Save(pairs))
}

fn parse_obuf(args: &[String], limits: &mut [ObufLimit; 3]) -> Result<(), String> {
    let chunks = args.chunks_exact(4);
    if !chunks.remainder().is_empty() {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut new = *limits;
    for chunk in chunks {
        let class = match chunk[0].to_ascii_lowercase().as_str() {
            "normal" => 0,
            "slave" | "replica" => 1,
            "pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = memtoull(&chunk[1]);
        let soft = memtoull(&chunk[2]);
        let secs = c_strtoll(&chunk[3]).filter(|s| *s >= 0);
        match (hard, soft, secs) {
            (Some(hard), Some(soft), Some(secs)) => {
                new[class] = ObufLimit {
                    hard,
                    soft,
                    soft_seconds: secs as u64,
                }
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                )
            }
        }
    }
    *limits = new;
    Ok(())
}

/// Keyspace notification classes (Redis's NOTIFY_* bits).
pub mod notify {
    /// K: keyspace events.
    pub const KEYSPACE: u32 = 1 << 0;
    /// E: keyevent events.
    pub const KEYEVENT: u32 = 1 << 1;
    /// g: generic commands.
    pub const GENERIC: u32 = 1 << 2;
    /// $: string commands.
    pub const STRING: u32 = 1 << 3;
    /// l: list commands.
    pub const LIST: u32 = 1 << 4;
    /// s: set commands.
    pub const SET: u32 = 1 << 5;
    /// h: hash commands.
    pub const HASH: u32 = 1 << 6;
    /// z: sorted set commands.
    pub const ZSET: u32 = 1 << 7;
    /// x: expired events.
    pub const EXPIRED: u32 = 1 << 8;
    /// e: evicted events.
    pub const EVICTED: u32 = 1 << 9;
    /// t: stream commands.
    pub const STREAM: u32 = 1 << 10;
    /// m: key misses (not part of A).
    pub const KEY_MISS: u32 = 1 << 11;
    /// d: module events.
    pub const MODULE: u32 = 1 << 13;
    /// n: new keys (not part of A).
    pub const NEW: u32 = 1 << 14;
    /// A: alias for g$lshzxetd.
    pub const ALL: u32 =
        GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;
}

/// Parses notify-keyspace-events classes ("KEA"); None on an unknown character.
pub fn notify_flags(s: &str) -> Option<u32> {
    use notify::*;
    let mut f = 0;
    for c in s.chars() {
        f |= match c {
            'A' => ALL,
            'g' => GENERIC,
            '$' => STRING,
            'l' => LIST,
            's' => SET,
            'h' => HASH,
            'z' => ZSET,
            'x' => EXPIRED,
            'e' => EVICTED,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            't' => STREAM,
            'm' => KEY_MISS,
            'd' => MODULE,
            'n' => NEW,
            _ => return None,
        };
    }
    Some(f)
}

/// Prints notify-keyspace-events flags the way CONFIG GET shows them.
pub fn notify_string(f: u32) -> String {
    use notify::*;
    let mut s = String::new();
    if f & ALL == ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

/// Drops trailing zeros (and a trailing dot) from a "%f"-formatted number.
fn trim_double(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_units_like_memtoull() {
        assert_eq!(memtoull("1kb"), Some(1024));
        assert_eq!(memtoull("1K"), Some(1000));
        assert_eq!(memtoull("2gb"), Some(2 << 30));
        assert_eq!(memtoull(""), Some(0));
        assert_eq!(memtoull("-1"), None);
        assert_eq!(memtoull("1x"), None);
        assert_eq!(memtoull("18446744073709551616"), Some(u64::MAX));
    }

    #[test]
    fn notify_round_trip() {
        assert_eq!(notify_string(notify_flags("KEA").unwrap_or(0)), "AKE");
        assert_eq!(
            notify_string(notify_flags("Kg$lshzxetd").unwrap_or(0)),
            "AK"
        );
        assert_eq!(notify_flags("xyz"), None);
    }
}
