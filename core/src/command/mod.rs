//! The command table and dispatch: one declarative entry per command, its facts (arity, flags,
//! key specs, ACL categories, arguments) taken from Redis 7.0's own COMMAND INFO/DOCS output,
//! its behaviour from a handler registered by the module that implements it.

pub mod ctx;
pub mod dispatch;
pub mod errors;
pub mod keys;
pub mod registry;
pub mod table;

pub use ctx::Ctx;
pub use table::{Command, CommandTable};

/// A command implementation: reads `ctx.args`, writes its reply into `ctx.out`.
pub type Handler = fn(&mut Ctx);
