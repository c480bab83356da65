//! XGROUP CREATE / SETID / DESTROY / CREATECONSUMER / DELCONSUMER / HELP.

use super::group::Group;
use super::id::{loose, strict, INVALID_ID};
use super::{no_group_for_key, stream_of, Stream};
use crate::admin::util::{help as help_reply, subcommand_syntax_error};
use crate::command::Ctx;
use crate::config::notify;
use crate::keyspace::{Locked, Value};

/// Redis's value for "entries read unknown".
const UNKNOWN_READS: i64 = -1;

/// The options after the ID of CREATE and SETID: (MKSTREAM, ENTRIESREAD); None after
/// replying an error.
fn options(ctx: &mut Ctx, create: bool, setid: bool) -> Option<(bool, i64)> {
    let (mut mkstream, mut read) = (false, UNKNOWN_READS);
    let mut i = 5;
    while i < ctx.args.len() {
        let opt = ctx.arg(i);
        if create && opt.eq_ignore_ascii_case(b"mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid)
            && opt.eq_ignore_ascii_case(b"entriesread")
            && i + 1 < ctx.args.len()
        {
            read = ctx.int_arg(i + 1)?;
            if read < 0 && read != UNKNOWN_READS {
                ctx.error("ERR value for ENTRIESREAD must be positive or -1");
                return None;
            }
            i += 2;
        } else {
            subcommand_syntax_error(ctx);
            return None;
        }
    }
    Some((mkstream, read))
}

/// The stream for an XGROUP subcommand (other than CREATE with MKSTREAM), after Redis's
/// checks: the key must hold a stream and, if `need_group`, the group must exist.
fn stream_for<'d>(
    ctx: &mut Ctx,
    db: &'d mut Locked<'_>,
    need_group: bool,
) -> Option<&'d mut Box<Stream>> {
    let key = ctx.arg(2);
    let s = match stream_of(db.get(key)) {
        Err(()) => {
            ctx.wrong_type();
            return None;
        }
        Ok(None) => {
            ctx.error(
                "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you \
                 may want to use the MKSTREAM option to create an empty stream automatically.",
            );
            return None;
        }
        Ok(Some(s)) => s,
    };
    let group = ctx.arg(3);
    if need_group && !s.groups.contains_key(group) {
        no_group_for_key(ctx, group, key);
        return None;
    }
    Some(s)
}

fn entries_read(n: i64) -> Option<u64> {
    (n >= 0).then_some(n as u64)
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
pub fn create(ctx: &mut Ctx) {
    let Some((mkstream, read)) = options(ctx, true, false) else {
        return;
    };
    let key = ctx.arg(2);
    let mut db = ctx.lock();
    let exists = match stream_of(db.get(key)) {
        Err(()) => {
            drop(db);
            return ctx.wrong_type();
        }
        Ok(s) => s.is_some(),
    };
    if !exists && !mkstream {
        stream_for(ctx, &mut db, false);
        return;
    }
    if ctx.args.len() > 8 {
        drop(db);
        return subcommand_syntax_error(ctx);
    }
    let id = if ctx.arg(4) == b"$" {
        match stream_of(db.get(key)) {
            Ok(Some(s)) => s.last_id,
            _ => Default::default(),
        }
    } else {
        match strict(ctx.arg(4)) {
            Some(id) => id,
            None => {
                drop(db);
                return ctx.error(INVALID_ID);
            }
        }
    };
    if !exists {
        db.set(key, Value::Stream(Box::default()));
    }
    let Ok(Some(s)) = stream_of(db.get(key)) else {
        return;
    };
    let name = ctx.arg(3);
    if s.groups.contains_key(name) {
        drop(db);
        return ctx.error("BUSYGROUP Consumer Group name already exists");
    }
    s.groups.insert(
        bytes::Bytes::copy_from_slice(name),
        Group::new(id, entries_read(read)),
    );
    drop(db);
    ctx.out.ok();
    ctx.notify(notify::STREAM, "xgroup-create", key);
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
pub fn setid(ctx: &mut Ctx) {
    let Some((_, read)) = options(ctx, false, true) else {
        return;
    };
    let mut db = ctx.lock();
    let Some(s) = stream_for(ctx, &mut db, true) else {
        return;
    };
    if ctx.args.len() != 5 && ctx.args.len() != 7 {
        drop(db);
        return subcommand_syntax_error(ctx);
    }
    let id = if ctx.arg(4) == b"$" {
        s.last_id
    } else {
        match loose(ctx.arg(4)) {
            Some(id) => id,
            None => {
                drop(db);
                return ctx.error(INVALID_ID);
            }
        }
    };
    if let Some(g) = s.groups.get_mut(ctx.arg(3)) {
        g.last_id = id;
        g.entries_read = entries_read(read);
    }
    drop(db);
    ctx.out.ok();
    ctx.notify(notify::STREAM, "xgroup-setid", ctx.arg(2));
}

/// XGROUP DESTROY key group
pub fn destroy(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    let Some(s) = stream_for(ctx, &mut db, false) else {
        return;
    };
    let gone = s.groups.remove(ctx.arg(3)).is_some();
    if gone {
        // Its blocked readers get -NOGROUP when served.
        db.signal_ready(ctx.arg(2));
    }
    drop(db);
    if gone {
        ctx.notify(notify::STREAM, "xgroup-destroy", ctx.arg(2));
    } else {
        ctx.unchanged();
    }
    ctx.out.int(i64::from(gone));
}

/// XGROUP CREATECONSUMER key group consumer
pub fn createconsumer(ctx: &mut Ctx) {
    let now = ctx.now.ms();
    let mut db = ctx.lock();
    let Some(s) = stream_for(ctx, &mut db, true) else {
        return;
    };
    let created = s
        .groups
        .get_mut(ctx.arg(3))
        .is_some_and(|g| g.consumer(ctx.arg(4), now, false).1);
    drop(db);
    if created {
        ctx.notify(notify::STREAM, "xgroup-createconsumer", ctx.arg(2));
    } else {
        ctx.unchanged();
    }
    ctx.out.int(i64::from(created));
}

/// XGROUP DELCONSUMER key group consumer
pub fn delconsumer(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    let Some(s) = stream_for(ctx, &mut db, true) else {
        return;
    };
    let pending = s
        .groups
        .get_mut(ctx.arg(3))
        .and_then(|g| g.delete_consumer(ctx.arg(4)));
    drop(db);
    if pending.is_some() {
        ctx.notify(notify::STREAM, "xgroup-delconsumer", ctx.arg(2));
    } else {
        ctx.unchanged();
    }
    ctx.out.int(pending.unwrap_or(0) as i64);
}

/// XGROUP HELP
pub fn help(ctx: &mut Ctx) {
    help_reply(
        ctx,
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
}
