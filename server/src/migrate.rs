//! MIGRATE's network part: a blocking RESP exchange with the target, bounded by the command's
//! timeout, run on the effect runner (never on a worker serving clients). Connections are kept
//! per target for 10 s after their last use, as Redis caches them, so SELECT is sent only
//! when the database changes; a cached connection that turns out dead is replaced once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use lode_core::keyspace::commands::migrate::MigrateRequest;
use lode_core::propagate::encode_command;

/// Longest reply line read from the target.
const MAX_LINE: usize = 1024;
/// Idle time after which a cached connection is closed (Redis's MIGRATE_SOCKET_CACHE_TTL).
const CACHE_TTL: Duration = Duration::from_secs(10);
/// Most connections cached (Redis's MIGRATE_SOCKET_CACHE_ITEMS).
const CACHE_ITEMS: usize = 64;

struct Cached {
    stream: TcpStream,
    /// The database last selected on it (None: unknown, SELECT next time).
    db: Option<i64>,
    last_use: Instant,
}

static CACHE: Mutex<Option<HashMap<String, Cached>>> = Mutex::new(None);
static REAPER: Once = Once::new();

/// Connections cached now.
pub fn cached_sockets() -> u64 {
    CACHE
        .lock()
        .map(|c| c.as_ref().map_or(0, |m| m.len() as u64))
        .unwrap_or(0)
}

fn reap() {
    if let Ok(mut c) = CACHE.lock() {
        if let Some(m) = c.as_mut() {
            m.retain(|_, v| v.last_use.elapsed() < CACHE_TTL);
        }
    }
}

/// How an exchange failed.
enum Failure {
    /// The target answered with an error (the reply to give); the connection is fine.
    Target(String),
    /// The connection failed; `retry` when nothing was read yet and it was not a timeout.
    Socket { msg: String, retry: bool },
}

/// Sends the request and reads a reply line per command; `acked[i]` is set per key stored.
pub fn migrate(req: &MigrateRequest) -> Result<(), String> {
    REAPER.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("lode-migrate-cache".into())
            .spawn(|| loop {
                std::thread::sleep(Duration::from_secs(1));
                reap();
            });
    });
    let target = format!("{}:{}", req.host, req.port);
    let timeout = Duration::from_millis(req.timeout_ms.max(1));
    let mut may_retry = true;
    loop {
        let cached = CACHE
            .lock()
            .ok()
            .and_then(|mut c| c.as_mut().and_then(|m| m.remove(&target)));
        let (stream, db) = match cached {
            Some(c) => (c.stream, c.db),
            None => (connect(req, timeout)?, None),
        };
        match exchange(req, &stream, db, timeout) {
            Ok(()) => {
                keep(target, stream, Some(req.db));
                return Ok(());
            }
            Err(Failure::Target(msg)) => {
                keep(target, stream, None);
                return Err(msg);
            }
            Err(Failure::Socket { retry: true, .. }) if may_retry => may_retry = false,
            Err(Failure::Socket { msg, .. }) => return Err(msg),
        }
    }
}

fn keep(target: String, stream: TcpStream, db: Option<i64>) {
    if let Ok(mut c) = CACHE.lock() {
        let m = c.get_or_insert_with(HashMap::new);
        if m.len() >= CACHE_ITEMS {
            // Redis evicts a random entry; any will do.
            if let Some(k) = m.keys().next().cloned() {
                m.remove(&k);
            }
        }
        m.insert(
            target,
            Cached {
                stream,
                db,
                last_use: Instant::now(),
            },
        );
    }
}

fn connect(req: &MigrateRequest, timeout: Duration) -> Result<TcpStream, String> {
    let connect_err = || "IOERR error or timeout connecting to the client".to_string();
    let addr = (req.host.as_str(), req.port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(connect_err)?;
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|_| connect_err())?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn exchange(
    req: &MigrateRequest,
    stream: &TcpStream,
    db: Option<i64>,
    timeout: Duration,
) -> Result<(), Failure> {
    let socket = |msg: &str, retry: bool| Failure::Socket {
        msg: format!("IOERR error or timeout {msg} target instance"),
        retry,
    };
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|_| socket("writing to", false))?;
    let mut buf = bytes::BytesMut::new();
    if let Some((user, pass)) = &req.auth {
        match user {
            Some(u) => encode_command(&mut buf, &[&b"AUTH"[..], u, pass]),
            None => encode_command(&mut buf, &[&b"AUTH"[..], pass]),
        }
    }
    let select = db != Some(req.db);
    if select {
        encode_command(&mut buf, &[&b"SELECT"[..], req.db.to_string().as_bytes()]);
    }
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
    let mut out = stream;
    out.write_all(&buf).map_err(|e| {
        let timed_out = matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        );
        socket("writing to", !timed_out)
    })?;
    let mut inp = BufReader::new(stream);
    let mut read_any = false;
    let mut line = || -> Result<String, Failure> {
        let mut l = Vec::new();
        let read = Read::by_ref(&mut inp)
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut l);
        match read {
            Ok(n) if n > 0 => {
                read_any = true;
                Ok(String::from_utf8_lossy(&l).trim_end().to_string())
            }
            Ok(_) => Err(socket("reading", !read_any)),
            Err(e) => {
                let timed_out = matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
                Err(socket("reading", !read_any && !timed_out))
            }
        }
    };
    let auth_reply = if req.auth.is_some() {
        Some(line()?)
    } else {
        None
    };
    let select_reply = if select { Some(line()?) } else { None };
    let mut first_error = None;
    for i in 0..req.items.len() {
        let reply = line()?;
        let failed = [
            auth_reply.as_deref(),
            select_reply.as_deref(),
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
        Some(e) => Err(Failure::Target(e)),
        None => Ok(()),
    }
}
