//! Sentinel (issue 17): three redis-sentinel processes monitor a primary with two replicas, every
//! server started from a config file (Sentinel's failover ends with CONFIG REWRITE). A writer
//! that finds the primary through Sentinel runs SET then WAIT 1 while the primary is SIGKILLed;
//! Sentinel promotes a replica, the other follows it, every write a replica acknowledged is on
//! the new primary, and the writer's writes land there. The same scenario runs against
//! redis-server when it is installed, as the reference. Skipped without redis-sentinel.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// A RESP reply, as much of it as the writer and the checks read.
#[derive(Debug)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<String>),
    Array(Vec<Reply>),
}

/// A blocking RESP2 connection (the writer's, and Sentinel queries).
struct Conn {
    out: TcpStream,
    input: BufReader<TcpStream>,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Conn> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        // Bounded, so a server that stops answering (killed, paused) ends this client's turn.
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.set_nodelay(true)?;
        Ok(Conn {
            input: BufReader::new(s.try_clone()?),
            out: s,
        })
    }

    fn call(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.out.write_all(req.as_bytes())?;
        self.read()
    }

    fn read(&mut self) -> std::io::Result<Reply> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end_matches("\r\n");
        let (kind, rest) = line.split_at(line.len().min(1));
        let num = || rest.parse::<i64>().map_err(|_| bad(line));
        Ok(match kind {
            "+" => Reply::Simple(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(num()?),
            "$" if num()? < 0 => Reply::Bulk(None),
            "$" => {
                let mut buf = vec![0u8; num()? as usize + 2];
                std::io::Read::read_exact(&mut self.input, &mut buf)?;
                buf.truncate(buf.len() - 2);
                Reply::Bulk(Some(String::from_utf8_lossy(&buf).into_owned()))
            }
            "*" => {
                let n = num()?.max(0);
                let items = (0..n).map(|_| self.read()).collect::<Result<_, _>>()?;
                Reply::Array(items)
            }
            _ => return Err(bad(line)),
        })
    }
}

/// The primary's port as `sentinel` reports it for mymaster.
fn master_port(sentinel: u16) -> Option<u16> {
    let mut c = Conn::open(sentinel).ok()?;
    match c
        .call(&["SENTINEL", "get-master-addr-by-name", "mymaster"])
        .ok()?
    {
        Reply::Array(a) => match a.get(1) {
            Some(Reply::Bulk(Some(p))) => p.parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// One write the writer made: key `k<i>` set to `i` on the server at `port`; `acks` is what
/// WAIT 1 answered (-1 when the connection broke before it did).
#[derive(Clone, Copy, Debug)]
struct Written {
    i: u64,
    port: u16,
    acks: i64,
}

/// What the writer thread and the test share.
#[derive(Default)]
struct Writer {
    stop: AtomicBool,
    /// Every SET that succeeded, in order.
    writes: Mutex<Vec<Written>>,
    /// SETs refused with an error (-NOREPLICAS while the new primary has no replica yet).
    refused: AtomicUsize,
}

impl Writer {
    fn acked_on(&self, port: u16) -> usize {
        let writes = self.writes.lock().expect("writes");
        writes
            .iter()
            .filter(|w| w.port == port && w.acks >= 1)
            .count()
    }
}

/// The writer thread: finds the primary through the sentinels (checking it with ROLE, as
/// Sentinel clients do), then SET k<i> i and WAIT 1 in a loop; after any failure it asks
/// the sentinels again.
fn writer(sentinels: Vec<u16>, shared: Arc<Writer>) {
    let stop = &shared.stop;
    let mut i = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let port = sentinels.iter().find_map(|&s| master_port(s));
        let conn = port.and_then(|p| Conn::open(p).ok());
        let (Some(port), Some(mut c)) = (port, conn) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let is_master = matches!(c.call(&["ROLE"]), Ok(Reply::Array(r))
            if matches!(r.first(), Some(Reply::Bulk(Some(role))) if role == "master"));
        if !is_master {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        }
        while !stop.load(Ordering::Relaxed) {
            i += 1;
            let key = format!("k{i}");
            match c.call(&["SET", &key, &i.to_string()]) {
                Ok(Reply::Simple(ok)) if ok == "OK" => {}
                // -NOREPLICAS while the new primary has no replica yet: try again.
                Ok(Reply::Error(e)) if !e.starts_with("READONLY") => {
                    shared.refused.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                _ => break,
            }
            let acks = match c.call(&["WAIT", "1", "1000"]) {
                Ok(Reply::Int(n)) => n,
                _ => -1,
            };
            let w = Written { i, port, acks };
            shared.writes.lock().expect("writes").push(w);
            if acks < 0 {
                break;
            }
            // Leave the two cores to the servers and sentinels.
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Stops the writer when dropped, so a failed check does not leave it running.
struct StopOnDrop(Arc<Writer>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::Relaxed);
    }
}

/// The processes of one scenario and where their files are.
struct Cluster {
    servers: Vec<Option<Proc>>,
    sentinels: Vec<Proc>,
    dirs: Vec<PathBuf>,
    ports: Vec<u16>,
}

impl Cluster {
    /// A primary and two replicas of `bin`, and three sentinels monitoring the primary.
    fn start(bin: &Path, sentinel: &Path) -> Cluster {
        let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut c = Cluster {
            servers: Vec::new(),
            sentinels: Vec::new(),
            dirs: Vec::new(),
            ports: ports.clone(),
        };
        for (n, &port) in ports.iter().enumerate() {
            let dir = temp_dir();
            let mut conf = format!(
                "port {port}\nbind 127.0.0.1\ndir {}\nsave \"\"\nenable-debug-command yes\n\
                 repl-diskless-sync-delay 0\nmin-replicas-to-write 1\nmin-replicas-max-lag 10\n",
                dir.display()
            );
            if n > 0 {
                conf.push_str(&format!("replicaof 127.0.0.1 {}\n", ports[0]));
            }
            let path = dir.join("server.conf");
            std::fs::write(&path, conf).expect("write server.conf");
            let args = [path.display().to_string()];
            c.servers.push(Some(Proc::launch(bin, &dir, port, &args)));
            c.dirs.push(dir);
        }
        for _ in 0..3 {
            let (dir, port) = (temp_dir(), free_port());
            let conf = format!(
                "port {port}\nbind 127.0.0.1\ndir {dir}\nlogfile {dir}/sentinel.log\n\
                 loglevel verbose\nsentinel monitor mymaster 127.0.0.1 {p} 2\n\
                 sentinel down-after-milliseconds mymaster 1000\n\
                 sentinel failover-timeout mymaster 4000\n",
                dir = dir.display(),
                p = ports[0]
            );
            let path = dir.join("sentinel.conf");
            std::fs::write(&path, conf).expect("write sentinel.conf");
            let args = [path.display().to_string()];
            c.sentinels.push(Proc::launch(sentinel, &dir, port, &args));
            c.dirs.push(dir);
        }
        c
    }

    fn server(&self, n: usize) -> &Proc {
        self.servers[n].as_ref().expect("server running")
    }

    fn sentinel_ports(&self) -> Vec<u16> {
        self.sentinels.iter().map(|s| s.port).collect()
    }

    /// The end of every sentinel's log and of the servers' output, for a failed check.
    fn logs(&self) -> String {
        let tail = |p: PathBuf| {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            let lines: Vec<&str> = text
                .lines()
                .filter(|l| !l.contains(" - Accepted"))
                .collect();
            let from = lines.len().saturating_sub(40);
            format!("--- {}\n{}\n", p.display(), lines[from..].join("\n"))
        };
        let mut out = String::new();
        for (n, dir) in self.dirs.iter().enumerate() {
            let name = if n < 3 { "stdout.log" } else { "sentinel.log" };
            out.push_str(&tail(dir.join(name)));
        }
        out
    }

    /// Polls `f` until it holds; on timeout fails with `what` and the logs.
    fn wait(&self, what: &str, secs: u64, f: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while !f() {
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `field` of SENTINEL MASTER mymaster as `sentinel` reports it.
    fn master_field(sentinel: &Proc, field: &str) -> String {
        let out = sentinel.cli(&["SENTINEL", "MASTER", "mymaster"]);
        let lines: Vec<&str> = out.lines().collect();
        lines
            .chunks(2)
            .find(|kv| kv[0] == field)
            .and_then(|kv| kv.get(1))
            .map_or_else(String::new, |v| v.to_string())
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Every process is killed by its own pid (Proc's drop) before its files go.
        self.sentinels.clear();
        self.servers.clear();
        if !std::thread::panicking() {
            for d in &self.dirs {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }
}

/// The keys of `writes` missing on `p` (or holding another value).
fn missing(p: &Proc, writes: &[Written]) -> Vec<u64> {
    let mut out = Vec::new();
    for chunk in writes.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(|w| format!("k{}", w.i)).collect();
        let mut args = vec!["MGET"];
        args.extend(keys.iter().map(String::as_str));
        let reply = p.cli(&args);
        let values: Vec<&str> = reply.lines().collect();
        for (n, w) in chunk.iter().enumerate() {
            if values.get(n).copied() != Some(w.i.to_string().as_str()) {
                out.push(w.i);
            }
        }
    }
    out
}

fn scenario(bin: &Path) {
    let (Some(sentinel), Some(_)) = (installed("redis-sentinel"), installed("redis-cli")) else {
        eprintln!("redis-sentinel or redis-cli not installed: skipped");
        return;
    };
    let mut c = Cluster::start(bin, &sentinel);
    let old = c.ports[0];
    // Sentinel can fail over only once the sentinels know each other (the quorum and the vote)
    // and the replicas (the candidates), and the replicas are in sync.
    for n in 1..3 {
        c.wait("the replicas' sync", 20, || {
            c.server(n).info_field("replication", "master_link_status") == "up"
        });
    }
    for s in &c.sentinels {
        c.wait(
            "the sentinels to discover each other and the replicas",
            30,
            || {
                Cluster::master_field(s, "num-other-sentinels") == "2"
                    && Cluster::master_field(s, "num-slaves") == "2"
            },
        );
    }

    let shared = Arc::new(Writer::default());
    let _stop_guard = StopOnDrop(shared.clone());
    let w = {
        let (ports, shared) = (c.sentinel_ports(), shared.clone());
        std::thread::spawn(move || writer(ports, shared))
    };
    c.wait("acknowledged writes on the primary", 20, || {
        shared.acked_on(old) >= 200
    });

    // SIGKILL, by its pid, under writes.
    c.servers[0] = None;
    let killed = Instant::now();
    let sentinels = c.sentinel_ports();
    let new_port = Arc::new(Mutex::new(0u16));
    c.wait("Sentinel to name a new primary", 30, || {
        let named = sentinels
            .iter()
            .find_map(|&s| master_port(s).filter(|&p| p != old));
        *new_port.lock().expect("port") = named.unwrap_or(0);
        named.is_some()
    });
    let failover = killed.elapsed();
    let new = *new_port.lock().expect("port");
    eprintln!(
        "{}: Sentinel named the new primary {:.2} s after the kill",
        bin.display(),
        failover.as_secs_f64()
    );
    let promoted = c
        .ports
        .iter()
        .position(|&p| p == new)
        .expect("a replica was promoted");
    let other = 3 - promoted;
    c.wait("every sentinel to name the new primary", 20, || {
        sentinels.iter().all(|&s| master_port(s) == Some(new))
    });
    c.wait("the promoted replica to report role:master", 20, || {
        c.server(promoted).info_field("replication", "role") == "master"
    });
    c.wait("the other replica to follow the new primary", 20, || {
        let r = c.server(other);
        r.info_field("replication", "master_port") == new.to_string()
            && r.info_field("replication", "master_link_status") == "up"
    });
    // The writer found the new primary through Sentinel, and a replica acknowledges there.
    c.wait("acknowledged writes on the new primary", 20, || {
        shared.acked_on(new) >= 50
    });
    shared.stop.store(true, Ordering::Relaxed);
    w.join().expect("writer");

    let writes = shared.writes.lock().expect("writes").clone();
    let acked: Vec<Written> = writes.iter().filter(|w| w.acks >= 1).copied().collect();
    let lost = missing(c.server(promoted), &acked);
    assert!(
        lost.is_empty(),
        "acknowledged writes lost: {lost:?} of {} acknowledged\n{}",
        acked.len(),
        c.logs()
    );
    assert!(writes.iter().all(|w| w.port == old || w.port == new));
    // Every write the new primary took reaches its replica too.
    let (p, r) = (c.server(promoted), c.server(other));
    c.wait("the replica to match the new primary", 20, || {
        let d = p.cli(&["DEBUG", "DIGEST"]);
        d.len() == 40 && d == r.cli(&["DEBUG", "DIGEST"])
    });
    // CONFIG REWRITE kept the new roles in the config files, for a restart.
    let conf =
        |n: usize| std::fs::read_to_string(c.dirs[n].join("server.conf")).unwrap_or_default();
    c.wait("the config files to hold the new roles", 20, || {
        !conf(promoted).contains("replicaof")
            && conf(other).contains(&format!("replicaof 127.0.0.1 {new}"))
    });
    eprintln!(
        "{}: {} writes, {} acknowledged, {} of them on the new primary, {} refused",
        bin.display(),
        writes.len(),
        acked.len(),
        shared.acked_on(new),
        shared.refused.load(Ordering::Relaxed)
    );
}

#[test]
fn sentinel_fails_over_a_lode_primary() {
    scenario(Path::new(BIN));
}

/// The reference: the same scenario with redis-server.
#[test]
fn sentinel_fails_over_a_redis_primary() {
    let Some(redis) = redis_server() else {
        eprintln!("redis-server not installed: skipped");
        return;
    };
    scenario(&redis);
}
