//! CLIENT REPLY ON|OFF|SKIP: lets a client suppress the replies to its own commands.

use crate::client::ReplyMode;
use crate::command::{Ctx, Handler};

/// CLIENT REPLY.
pub const COMMANDS: &[(&str, Handler)] = &[("client|reply", client_reply)];

fn client_reply(ctx: &mut Ctx) {
    let mode = ctx.arg(2);
    if mode.eq_ignore_ascii_case(b"on") {
        ctx.client.reply = ReplyMode::On;
        ctx.out.ok();
    } else if mode.eq_ignore_ascii_case(b"off") {
        // The session discards this +OK too, since the mode is now Off.
        ctx.client.reply = ReplyMode::Off;
        ctx.out.ok();
    } else if mode.eq_ignore_ascii_case(b"skip") {
        ctx.client.reply = ReplyMode::SkipArmed;
        ctx.out.ok();
    } else {
        ctx.syntax_error();
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn off_skip_on() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["CLIENT", "REPLY", "OFF"]), "");
        assert_eq!(c.cmd(&["SET", "k", "v"]), "");
        assert_eq!(c.cmd(&["CLIENT", "REPLY", "ON"]), "+OK\r\n");
        assert_eq!(c.cmd(&["CLIENT", "REPLY", "SKIP"]), "");
        assert_eq!(c.cmd(&["GET", "k"]), "");
        assert_eq!(c.cmd(&["GET", "k"]), "$1\r\nv\r\n");
        assert_eq!(
            c.cmd(&["CLIENT", "REPLY", "MAYBE"]),
            "-ERR syntax error\r\n"
        );
    }
}
