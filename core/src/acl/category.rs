//! ACL categories (`@read`, `@admin`...): Redis 7.0's list, in its order, and each command's
//! membership, taken from the command facts when the table is built.

use crate::command::Command;

/// Redis 7.0's ACL categories, in the order ACL CAT lists them.
pub const NAMES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// The index in [`NAMES`] of `name` (any case, without `@`).
pub fn index(name: &[u8]) -> Option<usize> {
    NAMES
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// The category bit mask of a command's `acl_categories` facts ("@read"...).
pub fn mask_of<'a>(names: impl IntoIterator<Item = &'a str>) -> u32 {
    names
        .into_iter()
        .filter_map(|n| index(n.strip_prefix('@').unwrap_or(n).as_bytes()))
        .fold(0, |m, i| m | (1 << i))
}

/// Whether `cmd` is in category `cat` (an index into [`NAMES`]).
pub fn has(cmd: &Command, cat: usize) -> bool {
    cmd.acl_categories & (1 << cat) != 0
}
