//! `lode-server --quic-bridge LOCAL REMOTE [options]`: accepts plain Redis clients on a local
//! TCP address or Unix socket and carries each over its own QUIC stream to a remote lode, so
//! stock clients (redis-cli, redis-benchmark, any library) reach a QUIC edge unchanged.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use lode_transport_quic::bridge::{self, Local};
use lode_transport_quic::client::ClientOptions;

/// The bridge's command line, parsed.
#[derive(Debug)]
pub struct BridgeArgs {
    /// Where local clients connect.
    pub local: Local,
    /// The remote lode's QUIC address.
    pub remote: SocketAddr,
    /// TLS and QUIC settings of the outgoing connection.
    pub client: ClientOptions,
}

/// The usage line printed with a bridge argument error.
pub const USAGE: &str = "Usage: lode-server --quic-bridge <local host:port | /unix/socket/path> \
<remote host:port> [--tls-ca-cert-file <file>] [--tls-client-cert-file <file> \
--tls-client-key-file <file>] [--quic-server-name <name>] [--quic-idle-timeout <ms>] \
[--quic-keepalive-interval <ms>]";

fn address(text: &str) -> Result<SocketAddr, String> {
    text.to_socket_addrs()
        .map_err(|e| format!("Bad address '{text}': {e}"))?
        .next()
        .ok_or_else(|| format!("Bad address '{text}': no address found"))
}

fn millis(name: &str, text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("--{name} takes milliseconds, not '{text}'"))
}

/// Parses the arguments after `--quic-bridge`.
pub fn parse(argv: &[String]) -> Result<BridgeArgs, String> {
    let [local, remote, rest @ ..] = argv else {
        return Err("--quic-bridge needs a local and a remote address".into());
    };
    let local = if local.contains('/') {
        Local::Unix(PathBuf::from(local))
    } else {
        Local::Tcp(address(local)?)
    };
    let remote = address(remote)?;
    let mut client = ClientOptions {
        ca_cert_file: None,
        cert_file: None,
        key_file: None,
        server_name: None,
        idle_timeout_ms: 30_000,
        keepalive_ms: 10_000,
    };
    let mut it = rest.iter();
    while let Some(flag) = it.next() {
        let name = flag.strip_prefix("--").unwrap_or(flag).to_ascii_lowercase();
        let value = it
            .next()
            .ok_or_else(|| format!("--{name} needs a value"))?
            .clone();
        match name.as_str() {
            "tls-ca-cert-file" => client.ca_cert_file = Some(value.into()),
            "tls-client-cert-file" => client.cert_file = Some(value.into()),
            "tls-client-key-file" => client.key_file = Some(value.into()),
            "quic-server-name" => client.server_name = Some(value),
            "quic-idle-timeout" => client.idle_timeout_ms = millis(&name, &value)?,
            "quic-keepalive-interval" => client.keepalive_ms = millis(&name, &value)?,
            _ => return Err(format!("Unknown bridge option --{name}")),
        }
    }
    if client.cert_file.is_some() != client.key_file.is_some() {
        return Err("--tls-client-cert-file and --tls-client-key-file go together".into());
    }
    Ok(BridgeArgs {
        local,
        remote,
        client,
    })
}

/// Runs the bridge until SIGTERM or SIGINT; returns the process exit status.
pub fn run(args: BridgeArgs, signals: libc::sigset_t) -> i32 {
    let shown = match &args.local {
        Local::Tcp(a) => a.to_string(),
        Local::Unix(p) => p.display().to_string(),
    };
    let running = match bridge::start(args.local, args.remote, args.client) {
        Ok(b) => b,
        Err(e) => {
            crate::log::line(
                crate::log::LogLevel::Warning,
                &format!(
                    "QUIC bridge could not start: {}",
                    lode_core::util::os_error::strerror(&e)
                ),
            );
            return 1;
        }
    };
    crate::log::line(
        crate::log::LogLevel::Notice,
        &format!(
            "QUIC bridge ready: clients on {shown} are carried to {}",
            args.remote
        ),
    );
    let mut sig: libc::c_int = 0;
    // SAFETY: `signals` is a valid, initialised signal set, blocked in this thread.
    while unsafe { libc::sigwait(&signals, &mut sig) } != 0 {}
    crate::log::line(crate::log::LogLevel::Warning, "QUIC bridge shutting down");
    running.shutdown();
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_addresses_and_options() {
        let a = parse(&args(&[
            "127.0.0.1:7000",
            "127.0.0.1:7443",
            "--tls-ca-cert-file",
            "ca.pem",
            "--quic-idle-timeout",
            "5000",
        ]))
        .expect("parse");
        assert!(matches!(a.local, Local::Tcp(l) if l.port() == 7000));
        assert_eq!(a.remote.port(), 7443);
        assert_eq!(a.client.ca_cert_file, Some(PathBuf::from("ca.pem")));
        assert_eq!(a.client.idle_timeout_ms, 5000);
        let unix = parse(&args(&["/tmp/b.sock", "127.0.0.1:1"])).expect("parse");
        assert!(matches!(unix.local, Local::Unix(p) if p.as_os_str() == "/tmp/b.sock"));
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(parse(&args(&["127.0.0.1:1"])).is_err());
        assert!(parse(&args(&["nonsense", "127.0.0.1:1"])).is_err());
        assert!(parse(&args(&["127.0.0.1:1", "127.0.0.1:2", "--bogus", "x"])).is_err());
        assert!(parse(&args(&["127.0.0.1:1", "127.0.0.1:2", "--tls-ca-cert-file"])).is_err());
        let half = [
            "127.0.0.1:1",
            "127.0.0.1:2",
            "--tls-client-cert-file",
            "c.pem",
        ];
        assert!(parse(&args(&half)).is_err());
        let ms = ["127.0.0.1:1", "127.0.0.1:2", "--quic-idle-timeout", "soon"];
        assert!(parse(&args(&ms)).is_err());
    }
}
