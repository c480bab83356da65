//! The kill test: writers send INCR, SET, RPUSH, HSET and ZADD and record what was
//! acknowledged while lode, with the AOF on, is SIGKILLed at a random moment (sometimes during
//! a BGREWRITEAOF). After each restart:
//! - under every `appendfsync` policy the dataset is a prefix of each writer's command stream
//!   (nothing corrupted, nothing reordered, no gaps), holding every acknowledged write: lode
//!   replies only once a write is in the file, as Redis writes its AOF before replying, so a
//!   process crash loses nothing under any policy (`everysec` and `no` may lose what the
//!   kernel had not flushed if the machine itself fails, which a kill test cannot show).
//!
//! `LODE_KILL_ROUNDS` sets the rounds per policy (default 4; the closing notes of the
//! persistence work quote a run of 200).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::*;

/// Writers per round.
const WRITERS: usize = 3;

/// A RESP connection that sends one command and reads its one-line reply.
struct Conn {
    out: TcpStream,
    inp: BufReader<TcpStream>,
}

impl Conn {
    fn open(port: u16) -> std::io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Conn {
            inp: BufReader::new(s.try_clone()?),
            out: s,
        })
    }

    /// Sends `args`, returns the reply's first line (bulk replies: the payload line too).
    fn call(&mut self, args: &[&str]) -> std::io::Result<String> {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.out.write_all(req.as_bytes())?;
        self.line()
    }

    fn line(&mut self) -> std::io::Result<String> {
        let mut l = String::new();
        if self.inp.read_line(&mut l)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = l.trim_end().to_string();
        if let Some(n) = l.strip_prefix('$') {
            if n != "-1" {
                return self.line();
            }
        }
        Ok(l)
    }

    /// An array reply of bulk strings.
    fn list(&mut self, args: &[&str]) -> Vec<String> {
        let head = self.call(args).expect("array reply");
        let n: usize = head[1..].parse().expect("array length");
        (0..n).map(|_| self.line().expect("element")).collect()
    }

    fn int(&mut self, args: &[&str]) -> u64 {
        let r = self.call(args).expect("integer reply");
        r.trim_start_matches(':').parse().unwrap_or(0)
    }
}

/// INFO persistence, whole.
fn info_persistence(c: &mut Conn) -> String {
    let mut req = String::from("*2\r\n$4\r\nINFO\r\n$11\r\npersistence\r\n");
    c.out.write_all(req.as_bytes()).expect("write INFO");
    req.clear();
    let mut head = String::new();
    c.inp.read_line(&mut head).expect("INFO header");
    let n: usize = head.trim_end()[1..].parse().expect("bulk length");
    let mut body = vec![0u8; n + 2];
    std::io::Read::read_exact(&mut c.inp, &mut body).expect("INFO body");
    String::from_utf8_lossy(&body).into_owned()
}

/// One writer's stream: for seq = 1, 2, ... the five commands below, in order; `acked` is the
/// last seq all five of which were acknowledged.
fn write_stream(port: u16, w: usize, stop: &AtomicBool, acked: &AtomicU64) {
    let Ok(mut c) = Conn::open(port) else { return };
    let (ctr, s, l, h, z) = (
        format!("ctr:{w}"),
        format!("s:{w}"),
        format!("l:{w}"),
        format!("h:{w}"),
        format!("z:{w}"),
    );
    for seq in 1u64.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let v = seq.to_string();
        let field = format!("f{seq}");
        let member = format!("m{seq}");
        let cmds: [&[&str]; 5] = [
            &["INCR", &ctr],
            &["SET", &s, &v],
            &["RPUSH", &l, &v],
            &["HSET", &h, &field, &v],
            &["ZADD", &z, &v, &member],
        ];
        for cmd in cmds {
            match c.call(cmd) {
                Ok(r) if !r.starts_with('-') => {}
                _ => return,
            }
        }
        acked.store(seq, Ordering::Relaxed);
    }
}

/// Checks writer `w`'s keys after a restart: a prefix of its stream holding at least
/// everything acknowledged.
fn check(c: &mut Conn, w: usize, acked: u64) {
    let ctr = c.int(&["GET", &format!("ctr:{w}")]);
    let s = c.int(&["GET", &format!("s:{w}")]);
    let list = c.list(&["LRANGE", &format!("l:{w}"), "0", "-1"]);
    let hlen = c.int(&["HLEN", &format!("h:{w}")]);
    let zcard = c.int(&["ZCARD", &format!("z:{w}")]);
    let llen = list.len() as u64;
    let expected: Vec<String> = (1..=llen).map(|i| i.to_string()).collect();
    assert_eq!(list, expected, "writer {w}: the list is not 1..n");
    assert!(
        ctr >= s && s >= llen && llen >= hlen && hlen >= zcard && zcard + 1 >= ctr,
        "writer {w}: not a prefix of its stream: incr {ctr} set {s} rpush {llen} hset {hlen} zadd {zcard}"
    );
    assert!(
        zcard >= acked,
        "writer {w}: acknowledged {acked} rounds, only {zcard} survived"
    );
}

fn kill_rounds(policy: &str) {
    let rounds: usize = std::env::var("LODE_KILL_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut rng = fastrand::Rng::with_seed(0x5eed ^ policy.len() as u64);
    let args = ["--appendonly", "yes", "--appendfsync", policy, "--save", ""];
    for round in 0..rounds {
        let server = Server::start(&args);
        let port = server.port;
        let stop = Arc::new(AtomicBool::new(false));
        let acked: Vec<Arc<AtomicU64>> = (0..WRITERS).map(|_| Arc::default()).collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (stop, acked) = (stop.clone(), acked[w].clone());
                std::thread::spawn(move || write_stream(port, w, &stop, &acked))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rng.u64(20..300)));
        if rng.bool() {
            let mut c = Conn::open(port).expect("connect");
            let _ = c.call(&["BGREWRITEAOF"]);
            if rng.bool() {
                // Let the rewrite finish under the write load: it must succeed, and the
                // writers must keep being acknowledged after it.
                let deadline = std::time::Instant::now() + Duration::from_secs(20);
                loop {
                    let info = info_persistence(&mut c);
                    if info.contains("aof_rewrite_in_progress:0")
                        && info.contains("aof_rewrite_scheduled:0")
                    {
                        assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
                        break;
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "rewrite stuck: {info}"
                    );
                    std::thread::sleep(Duration::from_millis(5));
                }
                let before: u64 = acked.iter().map(|a| a.load(Ordering::Relaxed)).sum();
                let deadline = std::time::Instant::now() + Duration::from_secs(20);
                while acked.iter().map(|a| a.load(Ordering::Relaxed)).sum::<u64>() == before {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "writes stalled after a rewrite"
                    );
                    std::thread::sleep(Duration::from_millis(1));
                }
            } else {
                std::thread::sleep(Duration::from_millis(rng.u64(0..50)));
            }
        }
        let dir = server.crash();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().expect("writer");
        }
        let restarted = Server::restart(dir, &args);
        let mut c = Conn::open(restarted.port).expect("connect after restart");
        for (w, a) in acked.iter().enumerate() {
            check(&mut c, w, a.load(Ordering::Relaxed));
        }
        let total: u64 = acked.iter().map(|a| a.load(Ordering::Relaxed)).sum();
        eprintln!("{policy} round {round}: {total} rounds of 5 writes acknowledged, all recovered");
        drop(restarted);
    }
}

#[test]
fn appendfsync_always_keeps_every_acknowledged_write() {
    kill_rounds("always");
}

#[test]
fn appendfsync_everysec_keeps_what_a_process_crash_could_lose() {
    kill_rounds("everysec");
}

#[test]
fn appendfsync_no_keeps_what_a_process_crash_could_lose() {
    kill_rounds("no");
}
