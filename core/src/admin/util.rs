//! Helpers shared by the administration commands.

use crate::client::ClientInfo;
use crate::command::Ctx;

/// Replies with a HELP listing as Redis formats it: a header naming the command as typed
/// (uppercased), the given lines, then HELP's own entry; all as simple strings.
pub fn help(ctx: &mut Ctx, lines: &[&str]) {
    let cmd = String::from_utf8_lossy(ctx.arg(0)).to_ascii_uppercase();
    ctx.out.array(lines.len() + 3);
    let header = format!("{cmd} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    ctx.out.simple(header.as_bytes());
    for l in lines {
        ctx.out.simple(l.as_bytes());
    }
    ctx.out.simple(b"HELP");
    ctx.out.simple(b"    Prints this help.");
}

/// "ERR unknown subcommand or wrong number of arguments for 'x'. Try CMD HELP." for commands
/// that parse their own subcommands (DEBUG).
pub fn subcommand_syntax_error(ctx: &mut Ctx) {
    let cmd = String::from_utf8_lossy(ctx.arg(0)).to_ascii_uppercase();
    let sub = ctx.arg(1);
    let mut msg = b"ERR unknown subcommand or wrong number of arguments for '".to_vec();
    msg.extend_from_slice(&sub[..sub.len().min(128)]);
    msg.extend_from_slice(format!("'. Try {cmd} HELP.").as_bytes());
    ctx.error_bytes(&msg);
}

/// Whether the client is local (Unix socket, loopback TCP, in-process), which "local"
/// settings of enable-debug-command / enable-protected-configs allow.
pub fn is_local(info: &ClientInfo) -> bool {
    match info {
        ClientInfo::Tcp { peer, .. } => match peer.ip() {
            std::net::IpAddr::V4(ip) => ip.is_loopback(),
            std::net::IpAddr::V6(ip) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        },
        ClientInfo::Unix { .. } | ClientInfo::Internal | ClientInfo::Lua => true,
    }
}

/// Whether a protected action is allowed by a yes/no/local setting for this client.
pub fn allowed(setting: &str, info: &ClientInfo) -> bool {
    setting.eq_ignore_ascii_case("yes") || (setting.eq_ignore_ascii_case("local") && is_local(info))
}

/// Whether `name` may be a client name (or library name/version): printable ASCII, no spaces.
pub fn valid_client_name(name: &[u8]) -> bool {
    name.iter().all(|&b| (b'!'..=b'~').contains(&b))
}
