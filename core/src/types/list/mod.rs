//! Lists (Redis's t_list.c).

mod list_value;

pub use list_value::List;

use crate::command::Handler;

/// The list commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[];
