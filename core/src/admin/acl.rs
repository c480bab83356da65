//! The ACL command: users (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI), the ACL file
//! (LOAD, SAVE), categories (CAT), GENPASS, LOG, DRYRUN and HELP, with Redis 7.0's replies.

use std::sync::Arc;

use super::command_cmd::{in_acl_category, reply_names};
use super::util::help as help_reply;
use crate::acl::check::{check, Reason};
use crate::acl::enforce::{kill_revoked_subscribers, kill_user_clients};
use crate::acl::selector::Selector;
use crate::acl::user::valid_name;
use crate::acl::{category, file};
use crate::command::{Ctx, Handler};
use crate::effects::{AfterEffect, Effect};

/// The ACL subcommands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("acl|setuser", setuser),
    ("acl|getuser", getuser),
    ("acl|deluser", deluser),
    ("acl|list", list),
    ("acl|users", users),
    ("acl|whoami", whoami),
    ("acl|cat", cat),
    ("acl|genpass", genpass),
    ("acl|log", log),
    ("acl|dryrun", dryrun),
    ("acl|load", load),
    ("acl|save", save),
    ("acl|help", help),
];

/// Whether new users get every channel (`acl-pubsub-default allchannels`).
pub fn pubsub_all(ctx: &Ctx) -> bool {
    ctx.server.config.read().pubsub_all_channels()
}

/// ACL SETUSER username [rule ...]
fn setuser(ctx: &mut Ctx) {
    for i in 2..ctx.args.len() {
        ctx.redact(i);
    }
    let name = ctx.arg(2);
    if !valid_name(name) {
        return ctx.error("ERR Usernames can't contain spaces or null characters");
    }
    let all = pubsub_all(ctx);
    let server = ctx.server;
    match server
        .acl
        .set_user(&server.commands, name, &ctx.args[3..], all)
    {
        Ok((user, before)) => {
            if let Some(old) = before {
                kill_revoked_subscribers(server, ctx.client, &user, &old, &user.rules());
            }
            ctx.out.ok();
        }
        Err(e) => ctx.error(&format!("ERR {e}")),
    }
}

/// ACL DELUSER username [username ...]
fn deluser(ctx: &mut Ctx) {
    let names = &ctx.args[2..];
    if names.iter().any(|n| n.as_ref() == b"default") {
        return ctx.error("ERR The 'default' user cannot be removed");
    }
    let server = ctx.server;
    let removed = server.acl.delete_users(names);
    for u in &removed {
        kill_user_clients(server, ctx.client, u);
    }
    ctx.out.int(removed.len() as i64);
}

fn selector_fields(ctx: &mut Ctx, sel: &Selector) {
    let table = &ctx.server.commands;
    ctx.out.bulk(b"commands");
    ctx.out
        .bulk(crate::acl::describe::command_rules(table, sel).as_bytes());
    ctx.out.bulk(b"keys");
    if sel.all_keys {
        ctx.out.bulk(b"~*");
    } else {
        ctx.out.bulk(&joined(&sel.keys, |k, s| k.describe(s)));
    }
    ctx.out.bulk(b"channels");
    if sel.all_channels {
        ctx.out.bulk(b"&*");
    } else {
        ctx.out.bulk(&joined(&sel.channels, |c, s| {
            s.push(b'&');
            s.extend_from_slice(c);
        }));
    }
}

/// `items` rendered by `f`, separated by spaces.
fn joined<T>(items: &[T], mut f: impl FnMut(&T, &mut Vec<u8>)) -> Vec<u8> {
    let mut s = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(b' ');
        }
        f(item, &mut s);
    }
    s
}

/// ACL GETUSER username
fn getuser(ctx: &mut Ctx) {
    let Some(user) = ctx.server.acl.user(ctx.arg(2)) else {
        return ctx.out.null();
    };
    let rules = user.rules();
    ctx.out.map(6);
    ctx.out.bulk(b"flags");
    let flags = rules.flag_names();
    ctx.out.set(flags.len());
    for f in flags {
        ctx.out.bulk(f.as_bytes());
    }
    ctx.out.bulk(b"passwords");
    ctx.out.array(rules.passwords.len());
    for p in &rules.passwords {
        ctx.out.bulk(p.as_bytes());
    }
    selector_fields(ctx, rules.root());
    ctx.out.bulk(b"selectors");
    ctx.out.array(rules.selectors.len() - 1);
    for sel in &rules.selectors[1..] {
        ctx.out.map(3);
        selector_fields(ctx, sel);
    }
}

/// ACL LIST
fn list(ctx: &mut Ctx) {
    let users = ctx.server.acl.users();
    ctx.out.array(users.len());
    for u in users {
        let line = file::user_line(&ctx.server.commands, &u.name, &u.rules());
        ctx.out.bulk(&line);
    }
}

/// ACL USERS
fn users(ctx: &mut Ctx) {
    let users = ctx.server.acl.users();
    ctx.out.array(users.len());
    for u in users {
        ctx.out.bulk(&u.name);
    }
}

/// ACL WHOAMI
fn whoami(ctx: &mut Ctx) {
    match ctx.client.acl.as_ref() {
        Some(a) => {
            let name = a.user.name.clone();
            ctx.out.bulk(&name);
        }
        None => ctx.out.null(),
    }
}

/// ACL CAT [category]: the categories, or the commands (and subcommands) in one.
fn cat(ctx: &mut Ctx) {
    if ctx.args.len() > 3 {
        return super::util::subcommand_syntax_error(ctx);
    }
    if ctx.args.len() == 2 {
        ctx.out.array(category::NAMES.len());
        for c in category::NAMES {
            ctx.out.bulk(c.as_bytes());
        }
        return;
    }
    let wanted = ctx.arg(2);
    if category::index(wanted).is_none() {
        let mut msg = b"ERR Unknown category '".to_vec();
        msg.extend_from_slice(&wanted[..wanted.len().min(128)]);
        msg.push(b'\'');
        return ctx.error_bytes(&msg);
    }
    reply_names(ctx, |c| in_acl_category(c, wanted));
}

/// ACL GENPASS [bits]: random hex from the host's secure source.
fn genpass(ctx: &mut Ctx) {
    const MAX_BITS: i64 = 4096;
    let bits = if ctx.args.len() == 3 {
        match crate::util::num::parse_i64(ctx.arg(2)) {
            Some(b) => b,
            None => return ctx.error("ERR value is not an integer or out of range"),
        }
    } else {
        256
    };
    if bits <= 0 || bits > MAX_BITS {
        return ctx.error(&format!(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to {MAX_BITS}"
        ));
    }
    let chars = ((bits + 3) / 4) as usize;
    let mut raw = vec![0u8; chars.div_ceil(2)];
    ctx.server.host.random_bytes(&mut raw);
    let mut hex = Vec::with_capacity(raw.len() * 2);
    for b in raw {
        hex.push(b"0123456789abcdef"[usize::from(b >> 4)]);
        hex.push(b"0123456789abcdef"[usize::from(b & 15)]);
    }
    hex.truncate(chars);
    ctx.out.bulk(&hex);
}

/// ACL LOG [count | RESET]
fn log(ctx: &mut Ctx) {
    let mut count = 10i64;
    if ctx.args.len() == 3 {
        if ctx.arg(2).eq_ignore_ascii_case(b"reset") {
            ctx.server.acl.log.lock().clear();
            return ctx.out.ok();
        }
        match crate::util::num::parse_i64(ctx.arg(2)) {
            Some(n) => count = n.max(0),
            None => return ctx.error("ERR value is not an integer or out of range"),
        }
    }
    let now = ctx.now.ms();
    let log = ctx.server.acl.log.lock();
    let n = (count as usize).min(log.len());
    ctx.out.array(n);
    for e in log.newest(n) {
        ctx.out.map(7);
        ctx.out.bulk(b"count");
        ctx.out.int(e.count as i64);
        ctx.out.bulk(b"reason");
        ctx.out.bulk(e.reason.name().as_bytes());
        ctx.out.bulk(b"context");
        ctx.out.bulk(e.context.name().as_bytes());
        ctx.out.bulk(b"object");
        ctx.out.bulk(&e.object);
        ctx.out.bulk(b"username");
        ctx.out.bulk(&e.username);
        ctx.out.bulk(b"age-seconds");
        ctx.out
            .double(now.saturating_sub(e.time_ms) as f64 / 1000.0);
        ctx.out.bulk(b"client-info");
        ctx.out.bulk(e.client_info.as_bytes());
    }
}

/// ACL DRYRUN username command [arg ...]
fn dryrun(ctx: &mut Ctx) {
    let server = ctx.server;
    let Some(user) = server.acl.user(ctx.arg(2)) else {
        return ctx.error(&format!(
            "ERR User '{}' not found",
            String::from_utf8_lossy(ctx.arg(2))
        ));
    };
    let argv = &ctx.args[3..];
    let Ok(cmd) = server.commands.resolve(argv) else {
        return ctx.error(&format!(
            "ERR Command '{}' not found",
            String::from_utf8_lossy(ctx.arg(3))
        ));
    };
    if !cmd.arity_ok(argv.len()) {
        return ctx.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            cmd.name
        ));
    }
    match check(&user.rules(), cmd, argv) {
        Ok(()) => ctx.out.ok(),
        Err(d) => {
            let arg = || String::from_utf8_lossy(&argv[d.pos]).into_owned();
            let msg = match d.reason {
                Reason::Command => format!(
                    "This user has no permissions to run the '{}' command",
                    cmd.name
                ),
                Reason::Key => {
                    format!("This user has no permissions to access the '{}' key", arg())
                }
                _ => format!(
                    "This user has no permissions to access the '{}' channel",
                    arg()
                ),
            };
            ctx.out.bulk(msg.as_bytes());
        }
    }
}

fn aclfile(ctx: &mut Ctx) -> Option<String> {
    let path = ctx.server.config.read().aclfile.clone();
    if path.is_empty() {
        ctx.error(
            "ERR This Redis instance is not configured to use an ACL file. You may want to \
             specify users via the ACL SETUSER command and then issue a CONFIG REWRITE \
             (assuming you have a Redis configuration file set) in order to store users in the \
             Redis configuration.",
        );
        return None;
    }
    Some(path)
}

/// ACL LOAD: the host reads the file; the users are replaced once it has (see `loaded`).
fn load(ctx: &mut Ctx) {
    let Some(path) = aclfile(ctx) else { return };
    let slot = Arc::new(parking_lot::Mutex::new(None));
    ctx.request_effect(
        Effect::ReadFile {
            path: path.clone(),
            into: slot.clone(),
        },
        AfterEffect::AclLoad { path, file: slot },
    );
}

/// ACL SAVE
fn save(ctx: &mut Ctx) {
    let Some(path) = aclfile(ctx) else { return };
    let mut text = Vec::new();
    for u in ctx.server.acl.users() {
        text.extend_from_slice(&file::user_line(&ctx.server.commands, &u.name, &u.rules()));
        text.push(b'\n');
    }
    ctx.request_effect(
        Effect::WriteFile {
            path,
            bytes: text,
            error: "ERR There was an error trying to save the ACLs. Please check the server \
                    logs for more information",
        },
        AfterEffect::ReplyOk,
    );
}

/// Finishes ACL LOAD once the host read `text` from `path`: replaces every user, all or
/// nothing, and closes the clients of the users replaced (the default user's stay). The
/// error is the reply line.
pub fn loaded(
    server: &crate::server::Server,
    client: &mut crate::client::ClientState,
    path: &str,
    text: &[u8],
) -> Result<(), String> {
    let all = server.config.read().pubsub_all_channels();
    let users = file::parse(&server.commands, text, path, all).map_err(|e| format!("ERR {e}"))?;
    let old: Vec<Arc<crate::acl::User>> = server
        .acl
        .users()
        .into_iter()
        .filter(|u| u.name.as_ref() != b"default")
        .collect();
    server.acl.replace_all(&server.commands, users);
    for u in &old {
        kill_user_clients(server, client, u);
    }
    Ok(())
}

/// The users as `user` lines for CONFIG REWRITE (none when an ACL file holds them).
pub fn rewrite_lines(server: &crate::server::Server) -> Vec<String> {
    if !server.config.read().aclfile.is_empty() {
        return Vec::new();
    }
    server
        .acl
        .users()
        .iter()
        .map(|u| {
            String::from_utf8_lossy(&file::user_line(&server.commands, &u.name, &u.rules()))
                .into_owned()
        })
        .collect()
}

/// ACL HELP
fn help(ctx: &mut Ctx) {
    help_reply(
        ctx,
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "DRYRUN <username> <command> [<arg> ...]",
            "    Returns whether the user can execute the given command without executing the command.",
            "GETUSER <username>",
            "    Get the user's details.",
            "GENPASS [<bits>]",
            "    Generate a secure 256-bit user password. The optional `bits` argument can",
            "    be used to specify a different size.",
            "LIST",
            "    Show users details in config file format.",
            "LOAD",
            "    Reload users from the ACL file.",
            "LOG [<count> | RESET]",
            "    Show the ACL log entries.",
            "SAVE",
            "    Save the current config to the ACL file.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    );
}
