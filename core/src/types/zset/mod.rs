//! Sorted sets (Redis's t_zset.c), split by concern: score and range parsing, the packed
//! form, the order-statistics index, the value, and the commands.

mod order;
mod packed;
mod score;
mod value;

pub use value::ZSet;

use crate::command::Handler;

/// The zset commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[];
