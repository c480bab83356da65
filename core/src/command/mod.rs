//! The command table and dispatch: one declarative entry per command, its facts (arity, flags,
//! key specs, ACL categories, arguments) taken from Redis 7.0's own COMMAND INFO/DOCS output,
//! its behaviour from a handler registered by the module that implements it.

pub mod ctx;
pub mod dispatch;
pub mod errors;
pub mod flags;
pub mod keys;
pub mod notes;
pub mod notify;
pub mod observe;
pub mod postpone;
pub mod table;

pub use ctx::{Ctx, Propagation};
pub use flags::CommandFlags;
pub use table::{Command, CommandTable};

/// A command implementation: reads `ctx.args`, writes its reply into `ctx.out`.
pub type Handler = fn(&mut Ctx);
