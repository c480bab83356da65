//! String commands (Redis's t_string.c).

use crate::command::{Ctx, Handler};
use crate::keyspace::Value;

/// The string commands lode implements.
pub const COMMANDS: &[(&str, Handler)] = &[("get", get), ("set", set)];

fn get(ctx: &mut Ctx) {
    let key = ctx.arg(1);
    let mut tmp = itoa::Buffer::new();
    let mut db = ctx.lock();
    match db.get_read(key) {
        None => ctx.out.null(),
        Some(e) => match e.value.as_bytes(&mut tmp) {
            Some(b) => ctx.out.bulk(b),
            None => ctx.wrong_type(),
        },
    }
}

fn set(ctx: &mut Ctx) {
    let (key, val) = (ctx.arg(1), ctx.arg(2));
    ctx.lock().set(key, Value::string(val));
    ctx.out.ok();
}
