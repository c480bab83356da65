//! Hashes (Redis's t_hash.c).

mod hash_value;

pub use hash_value::Hash;

use crate::command::Handler;

/// The hash commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[];
