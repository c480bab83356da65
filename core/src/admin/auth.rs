//! AUTH, and the credential check HELLO's AUTH option shares: a user name (the default user
//! when omitted) and a password checked against the user's SHA-256 hashes in constant time.

use crate::acl::check::Reason;
use crate::acl::log::Context;
use crate::command::{Ctx, Handler};

/// The AUTH command.
pub const COMMANDS: &[(&str, Handler)] = &[("auth", auth)];

/// Redis's reply to failed credentials.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Authenticates the client as `user` with `pass`; false (the client unchanged, as Redis
/// leaves a client whose AUTH failed, and the failure in the ACL log) when they are not valid.
pub fn authenticate(ctx: &mut Ctx, user: &[u8], pass: &[u8]) -> bool {
    let server = ctx.server;
    match server.acl.check_credentials(user, pass) {
        Some(u) => {
            *ctx.client.handle.user.lock() = Some(u.clone());
            ctx.client.acl = Some(crate::acl::ClientAcl::new(&server.acl, u));
            ctx.client.authenticated = true;
            true
        }
        None => {
            let context = if ctx.client.multi.is_some() {
                Context::Multi
            } else {
                Context::Toplevel
            };
            crate::acl::enforce::log_denial(
                server,
                &ctx.client.handle,
                Reason::Auth,
                context,
                ctx.arg(0),
                bytes::Bytes::copy_from_slice(user),
                ctx.now,
            );
            false
        }
    }
}

/// AUTH [username] password
fn auth(ctx: &mut Ctx) {
    if ctx.args.len() > 3 {
        return ctx.syntax_error();
    }
    ctx.redact(1);
    if ctx.args.len() == 3 {
        ctx.redact(2);
    }
    let (user, pass) = if ctx.args.len() == 2 {
        if ctx.server.acl.default_user().rules().nopass {
            return ctx.error(
                "ERR AUTH <password> called without any password configured for the default \
                 user. Are you sure your configuration is correct?",
            );
        }
        (&b"default"[..], ctx.arg(1))
    } else {
        (ctx.arg(1), ctx.arg(2))
    };
    if authenticate(ctx, user, pass) {
        ctx.out.ok();
    } else {
        ctx.error(WRONGPASS);
    }
}
