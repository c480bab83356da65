//! String commands (Redis's t_string.c), split by concern: plain and conditional get/set with
//! expiry options, multi-key get/set, counters, ranges and APPEND, LCS.

mod counters;
mod decimal;
mod get_set;
mod lcs;
pub(crate) mod long_double;
mod multi;
mod options;
mod range;

#[cfg(test)]
mod tests;

use crate::command::Handler;
use crate::keyspace::Value;
use crate::resp::ReplyWriter;
use crate::util::c_str::c_str;

/// The string commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("get", get_set::get),
    ("set", get_set::set),
    ("setnx", get_set::setnx),
    ("setex", get_set::setex),
    ("psetex", get_set::psetex),
    ("getset", get_set::getset),
    ("getdel", get_set::getdel),
    ("getex", get_set::getex),
    ("mget", multi::mget),
    ("mset", multi::mset),
    ("msetnx", multi::msetnx),
    ("incr", counters::incr),
    ("decr", counters::decr),
    ("incrby", counters::incrby),
    ("decrby", counters::decrby),
    ("incrbyfloat", counters::incrbyfloat),
    ("append", range::append),
    ("strlen", range::strlen),
    ("getrange", range::getrange),
    ("substr", range::getrange),
    ("setrange", range::setrange),
    ("lcs", lcs::lcs),
];

/// Writes a string value as a bulk reply; false (nothing written) if `value` is not a string.
fn reply_string(out: &mut ReplyWriter, value: &Value) -> bool {
    let mut tmp = itoa::Buffer::new();
    match value.as_bytes(&mut tmp) {
        Some(bytes) => {
            out.bulk(bytes);
            true
        }
        None => false,
    }
}

/// Turns a string value into its growable raw form in place (what APPEND and SETRANGE edit,
/// and why Redis reports "raw" after them); None for non-strings.
pub(crate) fn make_raw(value: &mut Value) -> Option<&mut Vec<u8>> {
    if !matches!(value, Value::Raw(_)) {
        *value = Value::Raw(Box::new(value.to_vec()?));
    }
    match value {
        Value::Raw(v) => Some(v),
        _ => None,
    }
}

/// Redis's checkStringLength: would a string of `len + extra` bytes exceed proto-max-bulk-len?
fn exceeds_max_len(len: u64, extra: u64, max: u64) -> bool {
    !matches!(len.checked_add(extra), Some(total) if total <= max)
}

/// The error for a string grown past proto-max-bulk-len.
const TOO_BIG: &str = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
