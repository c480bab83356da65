//! BITFIELD and BITFIELD_RO: several integer-field operations on one string in one call,
//! parsed whole before any runs (a bad argument anywhere changes nothing).

use smallvec::SmallVec;

use super::field::{self, Overflow};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::util::num::parse_i64;

const BAD_TYPE: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Get,
    Set,
    IncrBy,
}

/// One parsed GET, SET or INCRBY, with the OVERFLOW mode in force where it appeared.
#[derive(Clone, Copy)]
struct Op {
    kind: Kind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

/// `i1`..`i64` or `u1`..`u63` as (signed, bits). Redis reads the width as a C string, so it
/// ends at a NUL byte.
fn parse_type(arg: &[u8]) -> Option<(bool, u32)> {
    let (&sign, width) = arg.split_first()?;
    let width = width.split(|&b| b == 0).next().unwrap_or(&[]);
    let bits = parse_i64(width)?;
    match sign {
        b'i' if (1..=64).contains(&bits) => Some((true, bits as u32)),
        b'u' if (1..=63).contains(&bits) => Some((false, bits as u32)),
        _ => None,
    }
}

/// A field offset: a bit number, or `#N` for the N-th field of this width (multiplied as
/// Redis does, in wrapping 64-bit arithmetic, then range-checked).
fn parse_offset(arg: &[u8], bits: u32, max_bytes: u64) -> Option<u64> {
    let (digits, scale) = match arg.split_first() {
        Some((b'#', rest)) => (rest, bits as i64),
        _ => (arg, 1),
    };
    let n = parse_i64(digits)?.wrapping_mul(scale);
    (n >= 0 && (n as u64 >> 3) < max_bytes).then_some(n as u64)
}

/// Parses the operations after the key, replying the first error Redis would.
fn parse_ops(ctx: &mut Ctx) -> Option<SmallVec<[Op; 4]>> {
    let max_bytes = ctx.server.config.read().proto_max_bulk_len;
    let mut ops = SmallVec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < ctx.args.len() {
        let left = ctx.args.len() - j - 1;
        let sub = ctx.arg(j);
        let kind = if sub.eq_ignore_ascii_case(b"get") && left >= 2 {
            Kind::Get
        } else if sub.eq_ignore_ascii_case(b"set") && left >= 3 {
            Kind::Set
        } else if sub.eq_ignore_ascii_case(b"incrby") && left >= 3 {
            Kind::IncrBy
        } else if sub.eq_ignore_ascii_case(b"overflow") && left >= 1 {
            let Some(mode) = Overflow::parse(ctx.arg(j + 1)) else {
                ctx.error("ERR Invalid OVERFLOW type specified");
                return None;
            };
            overflow = mode;
            j += 2;
            continue;
        } else {
            ctx.syntax_error();
            return None;
        };
        let Some((signed, bits)) = parse_type(ctx.arg(j + 1)) else {
            ctx.error(BAD_TYPE);
            return None;
        };
        let Some(offset) = parse_offset(ctx.arg(j + 2), bits, max_bytes) else {
            ctx.error(super::BAD_OFFSET);
            return None;
        };
        let value = if kind == Kind::Get {
            0
        } else {
            match parse_i64(ctx.arg(j + 3)) {
                Some(v) => v,
                None => {
                    ctx.error(errors::NOT_INT);
                    return None;
                }
            }
        };
        ops.push(Op {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        j += if kind == Kind::Get { 3 } else { 4 };
    }
    Some(ops)
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub(super) fn bitfield(ctx: &mut Ctx) {
    run(ctx, false)
}

/// BITFIELD_RO key [GET type offset] ...
pub(super) fn bitfield_ro(ctx: &mut Ctx) {
    run(ctx, true)
}

fn run(ctx: &mut Ctx, read_only: bool) {
    let Some(ops) = parse_ops(ctx) else { return };
    let highest = ops
        .iter()
        .filter(|op| op.kind != Kind::Get)
        .map(|op| op.offset + op.bits as u64 - 1)
        .max();
    let Some(highest) = highest else {
        // Only GETs: a missing key reads as zeros.
        ctx.unchanged();
        return super::read_string(ctx, |ctx, bytes| {
            ctx.out.array(ops.len());
            for op in &ops {
                ctx.out.int(get(bytes.unwrap_or(&[]), op));
            }
        });
    };
    if read_only {
        return ctx.error("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let key = ctx.arg(1);
    let len = (highest / 8 + 1) as usize;
    let mut replies: SmallVec<[Option<i64>; 4]> = SmallVec::with_capacity(ops.len());
    let mut changes = 0;
    let mut db = ctx.lock();
    let mut apply = |buf: &mut Vec<u8>, grown: bool| {
        for op in &ops {
            let reply = match op.kind {
                Kind::Get => Some(get(buf, op)),
                _ => write(buf, op, grown, &mut changes),
            };
            replies.push(reply);
        }
    };
    let is_string = match db.slot(key) {
        Slot::Vacant(vacant) => {
            let mut buf = vec![0u8; len];
            apply(&mut buf, true);
            vacant.insert(key, Value::Raw(Box::new(buf)), 0);
            true
        }
        Slot::Live(mut live) => match crate::types::string::make_raw(&mut live.entry().value) {
            None => false,
            Some(buf) => {
                let grown = buf.len() < len;
                if grown {
                    buf.resize(len, 0);
                }
                apply(buf, grown);
                true
            }
        },
    };
    drop(db);
    if !is_string {
        return ctx.wrong_type();
    }
    ctx.out.array(replies.len());
    for reply in replies {
        match reply {
            Some(v) => ctx.out.int(v),
            None => ctx.out.null(),
        }
    }
    if changes > 0 {
        ctx.notify(notify::STRING, "setbit", key);
    } else {
        ctx.unchanged();
    }
}

fn get(buf: &[u8], op: &Op) -> i64 {
    if op.signed {
        field::get_signed(buf, op.offset, op.bits)
    } else {
        field::get_unsigned(buf, op.offset, op.bits) as i64
    }
}

/// Runs a SET or INCRBY: the old value (SET) or the new one (INCRBY), None when FAIL
/// refused it. A write counts as a change when it changed the field or the string was
/// created or grown by this call, as Redis counts them.
fn write(buf: &mut [u8], op: &Op, grown: bool, changes: &mut usize) -> Option<i64> {
    let (old, new, reply) = if op.signed {
        let old = field::get_signed(buf, op.offset, op.bits);
        let (base, incr) = match op.kind {
            Kind::IncrBy => (old, op.value),
            _ => (op.value, 0),
        };
        let new = field::add_signed(base, incr, op.bits, op.overflow)?;
        let reply = if op.kind == Kind::IncrBy { new } else { old };
        (old as u64, new as u64, reply)
    } else {
        let old = field::get_unsigned(buf, op.offset, op.bits);
        let (base, incr) = match op.kind {
            Kind::IncrBy => (old, op.value),
            _ => (op.value as u64, 0),
        };
        let new = field::add_unsigned(base, incr, op.bits, op.overflow)?;
        let reply = if op.kind == Kind::IncrBy { new } else { old };
        (old, new, reply as i64)
    };
    field::set(buf, op.offset, op.bits, new);
    if grown || old != new {
        *changes += 1;
    }
    Some(reply)
}
