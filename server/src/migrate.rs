//! MIGRATE's network part: a blocking RESP exchange with the target, bounded by the command's
//! timeout, run on the effect runner (never on a worker serving clients).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use lode_core::keyspace::commands::migrate::MigrateRequest;
use lode_core::propagate::encode_command;

/// Longest reply line read from the target.
const MAX_LINE: usize = 1024;

/// Sends the request's commands in one write and reads a reply line per command.
pub fn migrate(req: &MigrateRequest) -> Result<(), String> {
    let timeout = Duration::from_millis(req.timeout_ms.max(1));
    let connect_err = || "IOERR error or timeout connecting to the client".to_string();
    let addr = (req.host.as_str(), req.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(connect_err)?;
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|_| connect_err())?;
    let _ = stream.set_nodelay(true);
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|_| connect_err())?;
    let mut buf = bytes::BytesMut::new();
    if let Some((user, pass)) = &req.auth {
        match user {
            Some(u) => encode_command(&mut buf, &[&b"AUTH"[..], u, pass]),
            None => encode_command(&mut buf, &[&b"AUTH"[..], pass]),
        }
    }
    encode_command(&mut buf, &[&b"SELECT"[..], req.db.to_string().as_bytes()]);
    for (key, ttl, payload) in &req.items {
        let ttl = ttl.to_string();
        if req.replace {
            encode_command(
                &mut buf,
                &[&b"RESTORE"[..], key, ttl.as_bytes(), payload, b"REPLACE"],
            );
        } else {
            encode_command(&mut buf, &[&b"RESTORE"[..], key, ttl.as_bytes(), payload]);
        }
    }
    let mut out = &stream;
    out.write_all(&buf)
        .map_err(|_| "IOERR error or timeout writing to target instance".to_string())?;
    let mut inp = BufReader::new(&stream);
    let mut line = || -> Result<String, String> {
        let mut l = Vec::new();
        let read = Read::by_ref(&mut inp)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut l)
            .map_err(|_| "IOERR error or timeout reading to target instance".to_string())?;
        if read == 0 {
            return Err("IOERR error or timeout reading to target instance".into());
        }
        Ok(String::from_utf8_lossy(&l).trim_end().to_string())
    };
    let mut first_error = None;
    let auth_reply = if req.auth.is_some() {
        Some(line()?)
    } else {
        None
    };
    let select_reply = line()?;
    for i in 0..req.items.len() {
        let reply = line()?;
        let failed = [
            auth_reply.as_deref(),
            Some(select_reply.as_str()),
            Some(reply.as_str()),
        ]
        .into_iter()
        .flatten()
        .find(|r| r.starts_with('-'));
        match failed {
            Some(err) => {
                if first_error.is_none() {
                    first_error = Some(format!(
                        "ERR Target instance replied with error: {}",
                        &err[1..]
                    ));
                }
            }
            None => req.acked.lock()[i] = true,
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
