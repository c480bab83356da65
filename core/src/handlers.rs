//! The handler lists of every module that implements commands, gathered in one place. It sits
//! above the command layer (which only knows the `Handler` type), so the command table never
//! imports the modules whose handlers it runs.

use crate::command::Handler;

/// Every (lowercase full command name, handler) pair lode implements.
pub fn all() -> impl Iterator<Item = (&'static str, Handler)> {
    [
        crate::types::string::COMMANDS,
        crate::types::bitmap::COMMANDS,
        crate::types::hll::COMMANDS,
        crate::types::list::COMMANDS,
        crate::types::hash::COMMANDS,
        crate::types::set::COMMANDS,
        crate::types::zset::COMMANDS,
        crate::types::stream::COMMANDS,
        crate::types::geo::COMMANDS,
        crate::types::sort::COMMANDS,
        crate::keyspace::commands::COMMANDS,
        crate::tx::COMMANDS,
        crate::repl::COMMANDS,
        crate::persistence::commands::COMMANDS,
        crate::persistence::aof::COMMANDS,
        crate::pubsub::commands::COMMANDS,
        crate::tracking::commands::COMMANDS,
        crate::scripting::commands::COMMANDS,
        crate::scripting::functions::commands::COMMANDS,
    ]
    .into_iter()
    .chain(crate::admin::COMMANDS.iter().copied())
    .flatten()
    .copied()
}
