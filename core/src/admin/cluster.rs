//! The cluster-mode commands a standalone server answers: READONLY and READWRITE exist (so
//! ACL rules may name them) and refuse, as Redis does without cluster support.

use crate::command::{Ctx, Handler};

/// READONLY and READWRITE.
pub const COMMANDS: &[(&str, Handler)] = &[("readonly", disabled), ("readwrite", disabled)];

fn disabled(ctx: &mut Ctx) {
    ctx.error("ERR This instance has cluster support disabled");
}
