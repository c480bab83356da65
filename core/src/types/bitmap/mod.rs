//! Bitmaps on string values (Redis's bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP here,
//! BITFIELD in `bitfield.rs`. The bit arithmetic is in `bits.rs`, the integer fields in `field.rs`.

mod bitfield;
mod bits;
mod field;

use crate::command::{errors, Ctx, Handler};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::util::num::parse_i64;

/// The bitmap commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("setbit", setbit),
    ("getbit", getbit),
    ("bitcount", bitcount),
    ("bitpos", bitpos),
    ("bitop", bitop),
    ("bitfield", bitfield::bitfield),
    ("bitfield_ro", bitfield::bitfield_ro),
];

const BAD_OFFSET: &str = "ERR bit offset is not an integer or out of range";

/// A bit offset argument addressing a byte below `proto-max-bulk-len` (so below 2^32 with
/// the default 512 MB, larger when the limit is raised, as in Redis).
fn offset_arg(ctx: &mut Ctx, i: usize) -> Option<u64> {
    let max_bytes = ctx.server.config.read().proto_max_bulk_len;
    match parse_i64(ctx.arg(i)) {
        Some(n) if n >= 0 && ((n as u64) >> 3) < max_bytes => Some(n as u64),
        _ => {
            ctx.error(BAD_OFFSET);
            None
        }
    }
}

/// SETBIT key offset value
fn setbit(ctx: &mut Ctx) {
    let Some(offset) = offset_arg(ctx, 2) else {
        return;
    };
    let on = match ctx.arg(3) {
        b"1" => true,
        b"0" => false,
        _ => return ctx.error("ERR bit is not an integer or out of range"),
    };
    let key = ctx.arg(1);
    let byte = (offset / 8) as usize;
    let mask = 0x80u8 >> (offset % 8);
    let mut db = ctx.lock();
    // (old bit, whether the string was created, grown or had the bit flipped)
    let outcome = match db.slot(key) {
        Slot::Vacant(vacant) => {
            let mut bytes = vec![0u8; byte + 1];
            if on {
                bytes[byte] |= mask;
            }
            vacant.insert(key, Value::Raw(Box::new(bytes)), 0);
            Some((false, true))
        }
        Slot::Live(mut live) => match crate::types::string::make_raw(&mut live.entry().value) {
            None => None,
            Some(buf) => {
                let grown = buf.len() <= byte;
                if grown {
                    buf.resize(byte + 1, 0);
                }
                let old = buf[byte] & mask != 0;
                if on {
                    buf[byte] |= mask;
                } else {
                    buf[byte] &= !mask;
                }
                Some((old, grown || old != on))
            }
        },
    };
    drop(db);
    let Some((old, changed)) = outcome else {
        return ctx.wrong_type();
    };
    // Like Redis, a SETBIT that changes nothing is no write: no event, no dirty count.
    if changed {
        ctx.notify(notify::STRING, "setbit", key);
    } else {
        ctx.unchanged();
    }
    ctx.out.int(old as i64);
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx) {
    let Some(offset) = offset_arg(ctx, 2) else {
        return;
    };
    with_string(ctx, 0, |ctx, bytes| {
        let bit = bytes
            .get((offset / 8) as usize)
            .is_some_and(|b| b & (0x80 >> (offset % 8)) != 0);
        ctx.out.int(bit as i64);
    });
}

/// Runs `f` over the string at argument 1, read in place under its shard lock (no copy of a
/// large bitmap); a missing key replies `missing` (before any other argument is looked at,
/// as in Redis), another type WRONGTYPE.
fn with_string(ctx: &mut Ctx, missing: i64, f: impl FnOnce(&mut Ctx, &[u8])) {
    read_string(ctx, |ctx, bytes| match bytes {
        Some(bytes) => f(ctx, bytes),
        None => ctx.out.int(missing),
    })
}

/// Runs `f` over the string at argument 1 read in place under its shard lock, None when the
/// key is missing; another type replies WRONGTYPE.
fn read_string(ctx: &mut Ctx, f: impl FnOnce(&mut Ctx, Option<&[u8]>)) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Some(entry) = db.get_read(key) else {
        return f(ctx, None);
    };
    let mut tmp = itoa::Buffer::new();
    match entry.value.as_bytes(&mut tmp) {
        Some(bytes) => f(ctx, Some(bytes)),
        None => ctx.wrong_type(),
    }
}

/// Whether argument `i` is BIT (true) or BYTE (false); a syntax error otherwise.
fn unit_arg(ctx: &mut Ctx, i: usize) -> Option<bool> {
    let a = ctx.arg(i);
    if a.eq_ignore_ascii_case(b"bit") {
        Some(true)
    } else if a.eq_ignore_ascii_case(b"byte") {
        Some(false)
    } else {
        ctx.syntax_error();
        None
    }
}

/// A start/end range over a string of `len` bytes, in BYTE or BIT units, as the bit range it
/// covers (None when empty). Negative indexes count from the end, as Redis converts them.
fn bit_range(len: u64, start: i64, end: i64, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits { len as i64 * 8 } else { len as i64 };
    let clamp = |v: i64| if v < 0 { (total + v).max(0) } else { v };
    let (start, end) = (clamp(start), clamp(end).min(total - 1));
    if start > end {
        return None;
    }
    Some(if in_bits {
        (start as u64, end as u64)
    } else {
        (start as u64 * 8, end as u64 * 8 + 7)
    })
}

/// BITCOUNT key [start end [BYTE|BIT]]
fn bitcount(ctx: &mut Ctx) {
    let argc = ctx.args.len();
    with_string(ctx, 0, |ctx, bytes| {
        let range = match argc {
            2 => (!bytes.is_empty()).then(|| (0, bytes.len() as u64 * 8 - 1)),
            4 | 5 => {
                let Some(start) = ctx.int_arg(2) else { return };
                let Some(end) = ctx.int_arg(3) else { return };
                if start < 0 && end < 0 && start > end {
                    return ctx.out.int(0);
                }
                let in_bits = if argc == 5 {
                    let Some(b) = unit_arg(ctx, 4) else { return };
                    b
                } else {
                    false
                };
                bit_range(bytes.len() as u64, start, end, in_bits)
            }
            _ => return ctx.syntax_error(),
        };
        let n = range.map_or(0, |(from, to)| bits::count(bytes, from, to));
        ctx.out.int(n as i64);
    });
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
fn bitpos(ctx: &mut Ctx) {
    let argc = ctx.args.len();
    let bit = match parse_i64(ctx.arg(2)) {
        Some(1) => true,
        Some(0) => false,
        Some(_) => return ctx.error("ERR The bit argument must be 1 or 0."),
        None => return ctx.error(errors::NOT_INT),
    };
    with_string(ctx, if bit { -1 } else { 0 }, |ctx, bytes| {
        let len = bytes.len() as u64;
        let (range, end_given) = match argc {
            3 => ((len > 0).then(|| (0, len * 8 - 1)), false),
            4..=6 => {
                let Some(start) = ctx.int_arg(3) else { return };
                let in_bits = if argc == 6 {
                    let Some(b) = unit_arg(ctx, 5) else { return };
                    b
                } else {
                    false
                };
                let end = if argc >= 5 {
                    let Some(e) = ctx.int_arg(4) else { return };
                    e
                } else if in_bits {
                    len as i64 * 8 + 7
                } else {
                    len as i64 - 1
                };
                (bit_range(len, start, end, in_bits), argc >= 5)
            }
            _ => return ctx.syntax_error(),
        };
        let Some((from, to)) = range else {
            return ctx.out.int(-1);
        };
        let pos = match bits::find(bytes, bit, from, to) {
            Some(p) => p as i64,
            // Past the string, when no end was given, the bits are zeros (Redis's rule).
            None if !bit && !end_given => (to / 8 + 1) as i64 * 8,
            None => -1,
        };
        ctx.out.int(pos);
    });
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
fn bitop(ctx: &mut Ctx) {
    let op = match ctx.arg(1).to_ascii_lowercase().as_slice() {
        b"and" => bits::Op::And,
        b"or" => bits::Op::Or,
        b"xor" => bits::Op::Xor,
        b"not" => bits::Op::Not,
        _ => return ctx.syntax_error(),
    };
    if op == bits::Op::Not && ctx.args.len() != 4 {
        return ctx.error("ERR BITOP NOT must be called with a single source key.");
    }
    let dest = ctx.arg(2);
    let sources = &ctx.args[3..];
    let mut db = ctx.lock();
    // First each source's lookup (expiry, stats, type check), then all of them borrowed at
    // once in place: no copy of a large bitmap.
    for key in sources {
        if db.get_read(key).is_some_and(|e| !e.value.is_string()) {
            drop(db);
            return ctx.wrong_type();
        }
    }
    let mut tmps = vec![itoa::Buffer::new(); sources.len()];
    let refs: Vec<&[u8]> = sources
        .iter()
        .zip(tmps.iter_mut())
        .map(|(key, tmp)| {
            db.peek_live(key)
                .and_then(|e| e.value.as_bytes(tmp))
                .unwrap_or(&[])
        })
        .collect();
    let result = bits::combine(op, &refs);
    drop(refs);
    let len = result.len();
    if len > 0 {
        db.set(dest, Value::Raw(Box::new(result)));
        drop(db);
        ctx.notify(notify::STRING, "set", dest);
    } else if db.delete(dest) {
        drop(db);
        ctx.notify(notify::GENERIC, "del", dest);
    } else {
        drop(db);
        ctx.unchanged();
    }
    ctx.out.int(len as i64);
}
