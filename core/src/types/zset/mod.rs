//! Sorted sets (Redis's t_zset.c).

mod zset_value;

pub use zset_value::ZSet;

use crate::command::Handler;

/// The zset commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[];
