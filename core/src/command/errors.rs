//! Redis's error replies, spelled exactly as Redis 7 spells them.

/// Wrong value type for the command.
pub const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// Generic syntax error.
pub const SYNTAX: &str = "ERR syntax error";
/// An argument that must be an integer is not one (or overflows).
pub const NOT_INT: &str = "ERR value is not an integer or out of range";
/// An integer argument that does not fit the C `int` it must go into (getIntFromObjectOrReply
/// with no custom message: SELECT, MOVE, COPY ... DB).
pub const NOT_INT32: &str =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
/// An argument that must be a float is not one.
pub const NOT_FLOAT: &str = "ERR value is not a valid float";
/// Arithmetic would leave the 64-bit range.
pub const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// The key does not exist (RENAME and friends).
pub const NO_SUCH_KEY: &str = "ERR no such key";
/// A database index out of range.
pub const DB_RANGE: &str = "ERR DB index is out of range";
/// An invalid expire time argument, with the command name appended by the caller.
pub const INVALID_EXPIRE: &str = "ERR invalid expire time in";

/// How much of a client-supplied name or argument Redis quotes in an error.
const QUOTE_MAX: usize = 128;

/// `s` as C's `%s` prints it: up to the first NUL byte.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |end| &s[..end])
}

/// "ERR unknown command '<name>', with args beginning with: '<arg>' ..." for a command `name`
/// (first 128 bytes) with arguments `args`, quoting arguments while fewer than 128 bytes of
/// them have been written (each cut to the room left). Like Redis's printf-built message,
/// every quoted string ends at its first NUL byte; CR and LF are left for the reply writer
/// to turn into spaces.
pub fn unknown_command(name: &[u8], args: &[bytes::Bytes]) -> Vec<u8> {
    let name = c_str(name);
    let mut listed: Vec<u8> = Vec::new();
    for a in args {
        if listed.len() >= QUOTE_MAX {
            break;
        }
        let a = c_str(a);
        let take = a.len().min(QUOTE_MAX - listed.len());
        listed.push(b'\'');
        listed.extend_from_slice(&a[..take]);
        listed.extend_from_slice(b"' ");
    }
    let mut msg = b"ERR unknown command '".to_vec();
    msg.extend_from_slice(&name[..name.len().min(QUOTE_MAX)]);
    msg.extend_from_slice(b"', with args beginning with: ");
    msg.extend_from_slice(&listed);
    msg
}

/// "ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP." for an unknown subcommand `sub`
/// (first 128 bytes, up to a NUL) of the container command typed as `container`.
pub fn unknown_subcommand(container: &[u8], sub: &[u8]) -> Vec<u8> {
    let sub = c_str(sub);
    let mut msg = b"ERR unknown subcommand '".to_vec();
    msg.extend_from_slice(&sub[..sub.len().min(QUOTE_MAX)]);
    msg.extend_from_slice(b"'. Try ");
    msg.extend_from_slice(&c_str(container).to_ascii_uppercase());
    msg.extend_from_slice(b" HELP.");
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn args(a: &[&[u8]]) -> Vec<Bytes> {
        a.iter().map(|s| Bytes::copy_from_slice(s)).collect()
    }

    #[test]
    fn unknown_command_quotes_up_to_a_nul() {
        // protocol.case "unknown command: a NUL ends an argument".
        assert_eq!(
            unknown_command(b"foo", &args(&[b"a\x00b", b"c"])),
            b"ERR unknown command 'foo', with args beginning with: 'a' 'c' ".to_vec()
        );
        assert_eq!(
            unknown_command(b"f\x00oo", &[]),
            b"ERR unknown command 'f', with args beginning with: ".to_vec()
        );
        assert_eq!(
            unknown_subcommand(b"config", b"x\x00y"),
            b"ERR unknown subcommand 'x'. Try CONFIG HELP.".to_vec()
        );
    }

    #[test]
    fn unknown_command_limits_what_it_quotes() {
        let long = vec![b'f'; 200];
        let msg = unknown_command(&long, &args(&[b"x"]));
        let want = format!(
            "ERR unknown command '{}', with args beginning with: 'x' ",
            "f".repeat(128)
        );
        assert_eq!(msg, want.into_bytes());
        // Arguments are quoted while fewer than 128 bytes are listed, the last one cut short.
        let a = vec![b'a'; 100];
        let b = vec![b'b'; 100];
        let msg = unknown_command(b"foo", &args(&[&a, &b, b"c"]));
        let want = format!(
            "ERR unknown command 'foo', with args beginning with: '{}' '{}' ",
            "a".repeat(100),
            "b".repeat(25)
        );
        assert_eq!(msg, want.into_bytes());
    }
}
