//! AUTH, and the credential check HELLO's AUTH option shares. There are no ACL users yet: as
//! in Redis with only the default user, `requirepass` is the default user's password, and a
//! client must authenticate before any command not flagged `no-auth` while one is set.

use crate::command::{Ctx, Handler};

/// The AUTH command.
pub const COMMANDS: &[(&str, Handler)] = &[("auth", auth)];

/// Redis's reply to failed credentials.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Whether `user`/`pass` are valid credentials: "default" with `requirepass` (any password
/// while none is set); every other user name is refused. The comparison looks at every byte
/// whatever differs, so its time does not tell how much of a guess was right.
pub fn check_credentials(ctx: &Ctx, user: &[u8], pass: &[u8]) -> bool {
    if user != b"default" {
        return false;
    }
    let config = ctx.server.config.read();
    let required = config.requirepass.as_bytes();
    required.is_empty() || constant_time_eq(required, pass)
}

/// Equality of two byte strings in time that depends on their lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

/// Authenticates the client with `user`/`pass`; false (the client unchanged, as Redis leaves a
/// client whose AUTH failed) when they are not valid.
pub fn authenticate(ctx: &mut Ctx, user: &[u8], pass: &[u8]) -> bool {
    let ok = check_credentials(ctx, user, pass);
    if ok {
        ctx.client.authenticated = true;
    }
    ok
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
        if ctx.server.config.read().requirepass.is_empty() {
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

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn comparison_is_plain_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(!constant_time_eq(b"secret", b""));
        assert!(!constant_time_eq(b"a\0", b"a"));
    }
}
