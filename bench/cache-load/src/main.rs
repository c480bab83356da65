//! lode-cache-load: the load generator of `bench/cache.py`.
//!
//! A cache workload against one Redis-protocol server: C connections (one thread each) each
//! send P GETs at a time for keys drawn from a Zipf(s) popularity over N keys, then SET the
//! keys that missed (V-byte values) in one more pipelined write. A warm-up phase (not measured)
//! brings the cache to steady state; then the measured phase counts hits, misses and elapsed
//! time. Prints one JSON line.
//!
//! Deterministic: connection i draws its ranks from its own generator seeded with
//! (seed, i), and every connection gets the same fixed number of requests in each phase, so
//! the multiset of requested keys is the same on every run (only the interleaving differs).
//! Rank r (1 = most popular) is key `key:<(r * A) mod N>` with A a prime not dividing N, so
//! popularity does not follow the keys' order or the server's hashing of sequential names.
//!
//! With `--server-pid`, the server's CPU time over the measured phase is read from
//! /proc/<pid>/stat; the generator's own CPU time is reported too, to show it is not the
//! bottleneck.

mod resp;
mod zipf;

use std::io;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use resp::{push_decimal, Conn, Reply};
use zipf::{Rng, Zipf};

const USAGE: &str =
    "usage: lode-cache-load --port PORT [--host 127.0.0.1] [--keys N] [--value-size V]
    [--connections C] [--pipeline P] [--warmup REQUESTS] [--requests REQUESTS] [--zipf S]
    [--seed SEED] [--server-pid PID]";

/// The permutation's multiplier: prime, so coprime with any N it does not divide.
const PERMUTE: u64 = 2_654_435_761;

#[derive(Clone, Debug)]
struct Options {
    addr: String,
    keys: u64,
    value_size: usize,
    connections: usize,
    pipeline: usize,
    warmup: u64,
    requests: u64,
    zipf: f64,
    seed: u64,
    server_pid: Option<u32>,
}

fn parse_options() -> Result<Options, String> {
    let mut host = "127.0.0.1".to_string();
    let mut port = None;
    let mut o = Options {
        addr: String::new(),
        keys: 1_000_000,
        value_size: 100,
        connections: 4,
        pipeline: 16,
        warmup: 0,
        requests: 1_000_000,
        zipf: 0.99,
        seed: 1,
        server_pid: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_string());
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("bad value for {flag}: {value} ({e})");
        match flag.as_str() {
            "--host" => host = value.clone(),
            "--port" => port = Some(value.parse::<u16>().map_err(|e| bad(&e))?),
            "--keys" => o.keys = value.parse().map_err(|e| bad(&e))?,
            "--value-size" => o.value_size = value.parse().map_err(|e| bad(&e))?,
            "--connections" => o.connections = value.parse().map_err(|e| bad(&e))?,
            "--pipeline" => o.pipeline = value.parse().map_err(|e| bad(&e))?,
            "--warmup" => o.warmup = value.parse().map_err(|e| bad(&e))?,
            "--requests" => o.requests = value.parse().map_err(|e| bad(&e))?,
            "--zipf" => o.zipf = value.parse().map_err(|e| bad(&e))?,
            "--seed" => o.seed = value.parse().map_err(|e| bad(&e))?,
            "--server-pid" => o.server_pid = Some(value.parse().map_err(|e| bad(&e))?),
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    let port = port.ok_or(format!("--port is required\n{USAGE}"))?;
    if o.keys == 0 || o.connections == 0 || o.pipeline == 0 || o.zipf <= 0.0 {
        return Err("--keys, --connections, --pipeline and --zipf must be positive".into());
    }
    if o.keys.is_multiple_of(PERMUTE) {
        return Err(format!("--keys must not be a multiple of {PERMUTE}"));
    }
    o.addr = format!("{host}:{port}");
    Ok(o)
}

/// What one phase of one connection counted.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    hits: u64,
    misses: u64,
    /// SETs answered with an error (e.g. -OOM under noeviction).
    set_errors: u64,
    /// GETs answered with an error, or hits whose value was not V bytes long.
    bad_replies: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.hits += o.hits;
        self.misses += o.misses;
        self.set_errors += o.set_errors;
        self.bad_replies += o.bad_replies;
    }
}

/// One connection's load generator.
struct Client {
    conn: Conn,
    rng: Rng,
    zipf: Zipf,
    keys: u64,
    pipeline: usize,
    value: Vec<u8>,
    /// The current batch's key names, and which of them missed.
    names: Vec<Vec<u8>>,
    missed: Vec<usize>,
}

impl Client {
    /// Runs `requests` GETs (in batches of P, each followed by SETs of its misses).
    fn run(&mut self, requests: u64) -> io::Result<Counts> {
        let mut c = Counts::default();
        let mut left = requests;
        while left > 0 {
            let batch = (self.pipeline as u64).min(left) as usize;
            left -= batch as u64;
            for i in 0..batch {
                let rank = self.zipf.sample(&mut self.rng) - 1;
                let id = ((u128::from(rank) * u128::from(PERMUTE)) % u128::from(self.keys)) as u64;
                let name = &mut self.names[i];
                name.clear();
                name.extend_from_slice(b"key:");
                push_decimal(name, id);
                self.conn.push(&[b"GET", name]);
            }
            self.conn.flush()?;
            self.missed.clear();
            for i in 0..batch {
                match self.conn.reply()? {
                    Reply::Bulk(n) if n == self.value.len() => c.hits += 1,
                    Reply::Nil => {
                        c.misses += 1;
                        self.missed.push(i);
                    }
                    _ => c.bad_replies += 1,
                }
            }
            if self.missed.is_empty() {
                continue;
            }
            for &i in &self.missed {
                self.conn.push(&[b"SET", &self.names[i], &self.value]);
            }
            self.conn.flush()?;
            for _ in 0..self.missed.len() {
                if self.conn.reply()? != Reply::Status {
                    c.set_errors += 1;
                }
            }
        }
        Ok(c)
    }
}

/// utime + stime of `pid` in seconds (None if it cannot be read).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    Some(ticks as f64 / per_second.max(1) as f64)
}

/// Splits `total` requests over `n` connections: the first `total % n` get one more.
fn share(total: u64, n: usize, i: usize) -> u64 {
    total / n as u64 + u64::from((i as u64) < total % n as u64)
}

fn main() {
    let o = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let zipf = Zipf::new(o.keys, o.zipf);
    // Connections, warm-up and the measured phase; the main thread joins the barrier that
    // separates them so it can read the clocks in between.
    let barrier = Arc::new(Barrier::new(o.connections + 1));
    let warm_started = Instant::now();
    let mut handles = Vec::new();
    for i in 0..o.connections {
        let conn = match Conn::connect(&o.addr) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("connecting to {}: {e}", o.addr);
                std::process::exit(1);
            }
        };
        let mut client = Client {
            conn,
            rng: Rng::new(o.seed.wrapping_mul(0x1_0000_0001).wrapping_add(i as u64)),
            zipf: zipf.clone(),
            keys: o.keys,
            pipeline: o.pipeline,
            value: vec![b'v'; o.value_size],
            names: vec![Vec::with_capacity(24); o.pipeline],
            missed: Vec::with_capacity(o.pipeline),
        };
        let (warmup, requests) = (
            share(o.warmup, o.connections, i),
            share(o.requests, o.connections, i),
        );
        let barrier = Arc::clone(&barrier);
        handles.push(std::thread::spawn(
            move || -> io::Result<(Counts, Counts)> {
                let warm = client.run(warmup);
                barrier.wait();
                let measured = client.run(requests);
                Ok((warm?, measured?))
            },
        ));
    }
    barrier.wait();
    let started = Instant::now();
    let server_pid = o.server_pid.map(|p| p.to_string());
    let server_cpu0 = server_pid.as_deref().and_then(cpu_seconds);
    let client_cpu0 = cpu_seconds("self");
    let (mut warm, mut measured) = (Counts::default(), Counts::default());
    for h in handles {
        match h.join().expect("a connection thread panicked") {
            Ok((w, m)) => {
                warm.add(&w);
                measured.add(&m);
            }
            Err(e) => {
                eprintln!("connection failed: {e}");
                std::process::exit(1);
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let warm_elapsed = (started - warm_started).as_secs_f64();
    let server_cpu = match (server_cpu0, server_pid.as_deref().and_then(cpu_seconds)) {
        (Some(a), Some(b)) => format!("{:.3}", b - a),
        _ => "null".to_string(),
    };
    let client_cpu = match (client_cpu0, cpu_seconds("self")) {
        (Some(a), Some(b)) => format!("{:.3}", b - a),
        _ => "null".to_string(),
    };
    let gets = measured.hits + measured.misses + measured.bad_replies;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    println!(
        concat!(
            "{{\"keys\":{},\"value_size\":{},\"connections\":{},\"pipeline\":{},\"zipf\":{},",
            "\"seed\":{},\"warmup_requests\":{},\"warmup_seconds\":{:.3},\"warmup_hit_rate\":{:.5},",
            "\"requests\":{},\"hits\":{},\"misses\":{},\"hit_rate\":{:.5},\"set_errors\":{},",
            "\"bad_replies\":{},\"seconds\":{:.3},\"requests_per_second\":{:.0},",
            "\"commands_per_second\":{:.0},\"server_cpu_seconds\":{},\"client_cpu_seconds\":{}}}"
        ),
        o.keys,
        o.value_size,
        o.connections,
        o.pipeline,
        o.zipf,
        o.seed,
        o.warmup,
        warm_elapsed,
        ratio(warm.hits, warm.hits + warm.misses),
        gets,
        measured.hits,
        measured.misses,
        ratio(measured.hits, gets),
        measured.set_errors + warm.set_errors,
        measured.bad_replies + warm.bad_replies,
        elapsed,
        gets as f64 / elapsed,
        (gets + measured.misses) as f64 / elapsed,
        server_cpu,
        client_cpu,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up() {
        for (total, n) in [(10u64, 3usize), (0, 4), (7, 7), (1_000_003, 8)] {
            assert_eq!((0..n).map(|i| share(total, n, i)).sum::<u64>(), total);
        }
    }

    #[test]
    fn the_permutation_is_one_to_one() {
        for keys in [1u64, 2, 10, 1000, 4096, 65_537] {
            let mut seen = vec![false; keys as usize];
            for rank in 0..keys {
                let id = ((u128::from(rank) * u128::from(PERMUTE)) % u128::from(keys)) as usize;
                assert!(!seen[id]);
                seen[id] = true;
            }
        }
    }
}
