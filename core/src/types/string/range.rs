//! Length and byte-range commands: APPEND, STRLEN, GETRANGE (and its old name SUBSTR), SETRANGE.

use super::{exceeds_max_len, make_raw, TOO_BIG};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::{Slot, Value};
use crate::util::num::parse_i64;

/// APPEND key value
pub fn append(ctx: &mut Ctx) {
    let (key, tail) = (ctx.arg(1), ctx.arg(2));
    let max = ctx.server.config.read().proto_max_bulk_len;
    let mut db = ctx.lock();
    let slot = db.slot(key);
    match slot {
        Slot::Vacant(vacant) => {
            // A new key is stored as SET would store it (so "123" becomes an integer).
            vacant.insert(key, Value::string(tail), 0);
            ctx.out.int(tail.len() as i64);
        }
        Slot::Live(mut live) => {
            let value = &mut live.entry().value;
            let Some(len) = value.string_len() else {
                return ctx.wrong_type();
            };
            if exceeds_max_len(len as u64, tail.len() as u64, max) {
                return ctx.error(TOO_BIG);
            }
            let Some(buf) = make_raw(value) else {
                return ctx.wrong_type();
            };
            buf.extend_from_slice(tail);
            ctx.out.int(buf.len() as i64);
        }
    }
    ctx.notify(notify::STRING, "append", key);
}

/// STRLEN key
pub fn strlen(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    match db.get_read(key).map(|e| e.value.string_len()) {
        None => ctx.out.int(0),
        Some(Some(len)) => ctx.out.int(len as i64),
        Some(None) => ctx.wrong_type(),
    }
}

/// GETRANGE key start end (also SUBSTR)
pub fn getrange(ctx: &mut Ctx) {
    let Some(start) = ctx.int_arg(2) else { return };
    let Some(end) = ctx.int_arg(3) else { return };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let Some(entry) = db.get_read(key) else {
        return ctx.out.bulk(b"");
    };
    let mut tmp = itoa::Buffer::new();
    let Some(bytes) = entry.value.as_bytes(&mut tmp) else {
        return ctx.wrong_type();
    };
    match byte_range(bytes.len(), start, end) {
        Some((from, to)) => ctx.out.bulk(&bytes[from..=to]),
        None => ctx.out.bulk(b""),
    }
}

/// The inclusive byte range GETRANGE selects from a string of `len` bytes, None if empty.
/// Negative indexes count from the end; both ends are clamped to the string.
fn byte_range(len: usize, start: i64, end: i64) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    // A string is far shorter than i64::MAX, so these sums cannot overflow.
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0).min(len - 1);
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

/// SETRANGE key offset value
pub fn setrange(ctx: &mut Ctx) {
    let Some(offset) = parse_i64(ctx.arg(2)) else {
        return ctx.error(errors::NOT_INT);
    };
    if offset < 0 {
        return ctx.error("ERR offset is out of range");
    }
    let (key, patch) = (ctx.arg(1), ctx.arg(3));
    let offset = offset as u64;
    let max = ctx.server.config.read().proto_max_bulk_len;
    let too_big = exceeds_max_len(offset, patch.len() as u64, max);
    let mut db = ctx.lock();
    let slot = db.slot(key);
    match slot {
        Slot::Vacant(vacant) => {
            // Writing nothing creates nothing.
            if patch.is_empty() {
                return ctx.out.int(0);
            }
            if too_big {
                return ctx.error(TOO_BIG);
            }
            let mut buf = Vec::new();
            if !write_at(&mut buf, offset as usize, patch) {
                return ctx.error(NO_MEMORY);
            }
            let len = buf.len();
            vacant.insert(key, Value::Raw(Box::new(buf)), 0);
            ctx.out.int(len as i64);
        }
        Slot::Live(mut live) => {
            let value = &mut live.entry().value;
            let Some(len) = value.string_len() else {
                return ctx.wrong_type();
            };
            if patch.is_empty() {
                return ctx.out.int(len as i64);
            }
            if too_big {
                return ctx.error(TOO_BIG);
            }
            let Some(buf) = make_raw(value) else {
                return ctx.wrong_type();
            };
            if !write_at(buf, offset as usize, patch) {
                return ctx.error(NO_MEMORY);
            }
            ctx.out.int(buf.len() as i64);
        }
    }
    ctx.notify(notify::STRING, "setrange", key);
}

/// Refusal when the host cannot provide the memory a SETRANGE asks for (Redis would abort).
const NO_MEMORY: &str = "ERR Insufficient memory, failed allocating the string";

/// Copies `patch` into `buf` at `offset`, zero-filling any gap; false if memory ran out.
fn write_at(buf: &mut Vec<u8>, offset: usize, patch: &[u8]) -> bool {
    let end = offset + patch.len();
    if end > buf.len() {
        if buf.try_reserve_exact(end - buf.len()).is_err() {
            return false;
        }
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(patch);
    true
}

#[cfg(test)]
mod tests {
    use super::byte_range;

    #[test]
    fn byte_range_matches_redis_clamping() {
        assert_eq!(byte_range(5, 0, -1), Some((0, 4)));
        assert_eq!(byte_range(5, -1, -5), None);
        assert_eq!(byte_range(5, -100, 100), Some((0, 4)));
        assert_eq!(byte_range(5, 3, 1), None);
        assert_eq!(byte_range(5, i64::MAX, i64::MIN), None);
        assert_eq!(byte_range(5, i64::MIN, i64::MAX), Some((0, 4)));
        assert_eq!(byte_range(0, 0, -1), None);
        assert_eq!(byte_range(0, -1, 0), None);
        assert_eq!(byte_range(5, 5, 10), None);
        assert_eq!(byte_range(5, 4, 4), Some((4, 4)));
    }
}
