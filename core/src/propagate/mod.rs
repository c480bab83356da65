//! The propagation stream: what every command changed, in the forms Redis 7 propagates
//! (EXPIRE as PEXPIREAT, SPOP as SREM, expiry as DEL, EXEC as MULTI … EXEC, SELECT when the
//! database changes), as one offset-numbered total order. The AOF writer, replicas and SYNC
//! observers read it; replaying it onto an empty server reproduces the dataset.
//!
//! Ordering rule: an entry is appended while the shard locks of every key it changes are still
//! held (the call boundary in `command::dispatch`, the expiry paths in `keyspace`). Two changes to
//! one key therefore enter the stream in the order they were applied; changes to keys on
//! different shards commute, so any order between them is a valid serialisation. A transaction
//! is appended as one unit while EXEC holds the exec gate exclusively, so nothing interleaves
//! with it. See docs/ARCHITECTURE.md, "The propagation stream".

mod encode;
mod log;
#[cfg(all(test, not(loom)))]
mod tests;

pub use encode::{encode_command, encoded_len};
pub use log::{Lagged, LogReader, PropagationLog, ReaderWake};

use bytes::Bytes;

/// One propagated command: the database it applies to and its arguments, name first.
pub type Op = (usize, Vec<Bytes>);

/// A propagated command built from byte-string arguments.
pub fn cmd(args: &[&[u8]]) -> Vec<Bytes> {
    args.iter().map(|a| Bytes::copy_from_slice(a)).collect()
}

/// An integer argument of a propagated command.
pub fn int(n: i64) -> Vec<u8> {
    itoa::Buffer::new().format(n).as_bytes().to_vec()
}
