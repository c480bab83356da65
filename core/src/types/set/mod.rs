//! Sets (Redis's t_set.c).

mod set_value;

pub use set_value::Set;

use crate::command::Handler;

/// The set commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[];
