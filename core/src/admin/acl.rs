//! The ACL subcommands that need no users beyond the default one: WHOAMI, USERS, CAT, HELP.
//! ACL SETUSER and the rest of Redis's access control are not there yet (the table answers
//! them as unknown subcommands).

use super::command_cmd::{in_acl_category, reply_names};
use super::util::help as help_reply;
use crate::command::{Ctx, Handler};

/// The ACL subcommands lode serves.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("acl|whoami", whoami),
    ("acl|users", users),
    ("acl|cat", cat),
    ("acl|help", help),
];

/// Redis 7.0's ACL categories, in its order.
const CATEGORIES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// ACL WHOAMI: every client is the default user.
fn whoami(ctx: &mut Ctx) {
    ctx.out.bulk(b"default");
}

/// ACL USERS
fn users(ctx: &mut Ctx) {
    ctx.out.array(1);
    ctx.out.bulk(b"default");
}

/// ACL CAT [category]: the categories, or the commands (and subcommands) lode serves in one.
fn cat(ctx: &mut Ctx) {
    if ctx.args.len() > 3 {
        return super::util::subcommand_syntax_error(ctx);
    }
    if ctx.args.len() == 2 {
        ctx.out.array(CATEGORIES.len());
        for c in CATEGORIES {
            ctx.out.bulk(c.as_bytes());
        }
        return;
    }
    let wanted = ctx.arg(2);
    if !CATEGORIES
        .iter()
        .any(|c| c.as_bytes().eq_ignore_ascii_case(wanted))
    {
        let mut msg = b"ERR Unknown category '".to_vec();
        msg.extend_from_slice(&wanted[..wanted.len().min(128)]);
        msg.push(b'\'');
        return ctx.error_bytes(&msg);
    }
    reply_names(ctx, |c| in_acl_category(c, wanted));
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
