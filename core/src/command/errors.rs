//! Redis's error replies, spelled exactly as Redis 7 spells them.

/// Wrong value type for the command.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// Generic syntax error.
pub const SYNTAX: &str = "ERR syntax error";
/// An argument that must be an integer is not one (or overflows).
pub const NOT_INT: &str = "ERR value is not an integer or out of range";
/// An argument that must be a float is not one.
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
/// Arithmetic would leave the 64-bit range.
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// The key does not exist (RENAME and friends).
pub const NO_SUCH_KEY: &str = "ERR no such key";
/// A database index out of range.
pub const DB_RANGE: &str = "ERR DB index is out of range";
/// An invalid expire time argument, with the command name appended by the caller.
pub const INVALID_EXPIRE: &str = "ERR invalid expire time in";
