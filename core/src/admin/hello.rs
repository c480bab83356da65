//! HELLO: protocol negotiation, with its AUTH and SETNAME options.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::auth::{authenticate, WRONGPASS};
use super::util::valid_client_name;
use crate::command::{Ctx, Handler};

/// The version lode reports as its Redis version (HELLO, INFO): clients and Redis's own test
/// suite gate features on it.
pub const REDIS_VERSION: &str = "7.0.15";

/// The HELLO command.
pub const COMMANDS: &[(&str, Handler)] = &[("hello", hello)];

const NAME_ERR: &str = "ERR Client names cannot contain spaces, newlines or special characters.";

/// Sets (or with an empty name clears) the client name, replying with Redis's error if the
/// name has forbidden characters; returns whether it was set.
pub fn set_name_or_reply(ctx: &mut Ctx, name: &[u8]) -> bool {
    if !valid_client_name(name) {
        ctx.error(NAME_ERR);
        return false;
    }
    let value = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    *ctx.client.handle.name.lock() = value;
    true
}

fn hello(ctx: &mut Ctx) {
    let mut ver = 0;
    if ctx.args.len() >= 2 {
        let Some(v) = crate::util::num::parse_i64(ctx.arg(1)) else {
            return ctx.error("ERR Protocol version is not an integer or out of range");
        };
        if !(2..=3).contains(&v) {
            return ctx.error("NOPROTO unsupported protocol version");
        }
        ver = v;
    }
    // Options apply in order, as in Redis: a SETNAME before a failing AUTH sticks.
    let mut j = 2;
    while j < ctx.args.len() {
        let more = ctx.args.len() - 1 - j;
        let opt = ctx.arg(j);
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            ctx.redact(j + 1);
            ctx.redact(j + 2);
            if !authenticate(ctx, ctx.arg(j + 1), ctx.arg(j + 2)) {
                return ctx.error(WRONGPASS);
            }
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            if !set_name_or_reply(ctx, ctx.arg(j + 1)) {
                return;
            }
            j += 2;
        } else {
            let mut msg = b"ERR Syntax error in HELLO option '".to_vec();
            msg.extend_from_slice(opt);
            msg.push(b'\'');
            return ctx.error_bytes(&msg);
        }
    }
    if !ctx.client.authenticated && ctx.server.auth_required() {
        return ctx.error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the \
             HELLO AUTH <user> <pass> option can be used to authenticate the client and select \
             the RESP protocol version at the same time",
        );
    }
    if ver != 0 {
        ctx.out.resp3 = ver == 3;
        ctx.client
            .handle
            .resp
            .store(ver as usize, Ordering::Relaxed);
    }
    let proto = if ctx.out.resp3 { 3 } else { 2 };
    ctx.out.map(7);
    ctx.out.bulk(b"server");
    ctx.out.bulk(b"redis");
    ctx.out.bulk(b"version");
    ctx.out.bulk(REDIS_VERSION.as_bytes());
    ctx.out.bulk(b"proto");
    ctx.out.int(proto);
    ctx.out.bulk(b"id");
    ctx.out.int(ctx.client.handle.id as i64);
    ctx.out.bulk(b"mode");
    ctx.out.bulk(b"standalone");
    ctx.out.bulk(b"role");
    ctx.out.bulk(b"master");
    ctx.out.bulk(b"modules");
    ctx.out.array(0);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    fn hello_reply(head: &str, proto: u8, id: u64) -> String {
        format!(
            "{head}$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n\
             :{proto}\r\n$2\r\nid\r\n:{id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n\
             $6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
        )
    }

    #[test]
    fn hello_negotiates_protocol() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let id = c.session.id();
        assert_eq!(c.cmd(&["HELLO"]), hello_reply("*14\r\n", 2, id));
        assert_eq!(c.cmd(&["HELLO", "3"]), hello_reply("%7\r\n", 3, id));
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "_\r\n");
        assert_eq!(c.cmd(&["HELLO"]), hello_reply("%7\r\n", 3, id));
        assert_eq!(c.cmd(&["HELLO", "2"]), hello_reply("*14\r\n", 2, id));
        for bad in ["4", "1", "0", "-1"] {
            assert_eq!(
                c.cmd(&["HELLO", bad]),
                "-NOPROTO unsupported protocol version\r\n"
            );
        }
        assert_eq!(
            c.cmd(&["HELLO", "x"]),
            "-ERR Protocol version is not an integer or out of range\r\n"
        );
    }

    #[test]
    fn hello_options() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let id = c.session.id();
        assert_eq!(
            c.cmd(&["HELLO", "3", "AUTH", "default", "x"]),
            hello_reply("%7\r\n", 3, id)
        );
        assert_eq!(
            c.cmd(&["HELLO", "3", "AUTH", "foo", "x"]),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(
            c.cmd(&["HELLO", "2", "auth"]),
            "-ERR Syntax error in HELLO option 'auth'\r\n"
        );
        assert_eq!(
            c.cmd(&["HELLO", "2", "setname"]),
            "-ERR Syntax error in HELLO option 'setname'\r\n"
        );
        assert_eq!(
            c.cmd(&["HELLO", "2", "SETNAME", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(
            c.cmd(&["HELLO", "2", "setname", "ab", "setname", "cd"]),
            hello_reply("*14\r\n", 2, id)
        );
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$2\r\ncd\r\n");
        // The protocol switches only when every option succeeded.
        assert_eq!(
            c.cmd(&["HELLO", "3", "SETNAME", "x", "AUTH", "foo", "x"]),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), "$1\r\nx\r\n");
    }

    #[test]
    fn hello_auth_checks_requirepass() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["CONFIG", "SET", "requirepass", "secret"]);
        assert_eq!(
            c.cmd(&["HELLO", "3", "AUTH", "default", "x"]),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert!(c
            .cmd(&["HELLO", "3", "AUTH", "default", "secret"])
            .starts_with("%7"));
    }
}
