//! Randomised differential tests: the same random command sequences sent to a real
//! redis-server and to lode-server (Tokio TCP), every reply compared. They find what
//! hand-written cases miss in value representations that must be Redis's bit for bit
//! (HyperLogLog registers, geohash arithmetic, BITFIELD overflow).
//!
//! Skipped, with a notice, when redis-server is not on `PATH`. The seed is printed; rerun a
//! failure with `DIFFERENTIAL_SEED=<n>`. `LODE_SERVER_BIN` picks the lode binary, as for the
//! conformance suite.

mod acl_walk;
mod bitfield;
mod geo;
mod hll;
mod stream_groups;
mod streams;

use std::fmt::Write as _;
use std::time::Duration;

use lode_conformance::case::ServerKind;
use lode_conformance::client::Conn;
use lode_conformance::lode_bin;
use lode_conformance::report::show;
use lode_conformance::server::{which, ServerProcess};
use lode_conformance::target::{Target, Transport};
use lode_conformance::Value;

/// How long one reply may take (a PFCOUNT over many keys, a GEOSEARCH over many points).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// A redis-server and a lode-server, one connection to each.
pub struct Pair {
    redis: Conn,
    lode: Conn,
    /// Commands sent so far, for the failure report.
    sent: usize,
    _servers: [ServerProcess; 2],
}

impl Pair {
    /// Starts both servers; None (after a notice) when redis-server is not installed.
    pub fn start(test: &str) -> Option<Pair> {
        let Some(redis_bin) = which("redis-server") else {
            eprintln!("differential {test}: redis-server is not on PATH, skipped");
            return None;
        };
        let lode_bin = lode_bin::lode_server().unwrap_or_else(|e| panic!("lode-server: {e}"));
        let start = |bin, kind| {
            let target = Target::new(kind, Transport::Tcp);
            ServerProcess::start(bin, test, target).unwrap_or_else(|e| panic!("{test}: {e}"))
        };
        let redis_srv = start(&redis_bin, ServerKind::Redis);
        let lode_srv = start(&lode_bin, ServerKind::Lode);
        let connect = |srv: &ServerProcess| {
            Conn::connect(&srv.endpoint(Transport::Tcp), REPLY_TIMEOUT)
                .unwrap_or_else(|e| panic!("{test}: connect: {e}"))
        };
        Some(Pair {
            redis: connect(&redis_srv),
            lode: connect(&lode_srv),
            sent: 0,
            _servers: [redis_srv, lode_srv],
        })
    }

    /// Sends `args` to both servers and returns both replies (redis, lode).
    pub fn send<A: AsRef<[u8]>>(&mut self, args: &[A]) -> (Value, Value) {
        self.sent += 1;
        let call = |conn: &mut Conn, who: &str| {
            conn.call(args, REPLY_TIMEOUT)
                .unwrap_or_else(|e| panic!("{who}: {} -> {e}", render(args)))
        };
        (call(&mut self.redis, "redis"), call(&mut self.lode, "lode"))
    }

    /// Sends `args` to both servers, asserts the replies are equal, returns the reply.
    pub fn same<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        let (r, l) = self.send(args);
        assert!(
            r == l,
            "command #{} differs: {}\n  redis: {}\n  lode:  {}",
            self.sent,
            render(args),
            show(&r),
            show(&l)
        );
        r
    }

    /// Sends `args` to redis-server only.
    pub fn redis<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        self.redis.call(args, REPLY_TIMEOUT).expect("redis reply")
    }

    /// Sends `args` to lode-server only.
    pub fn lode<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Value {
        self.lode.call(args, REPLY_TIMEOUT).expect("lode reply")
    }
}

/// The seed for one test: `DIFFERENTIAL_SEED` or a fresh one, printed either way.
pub fn rng(test: &str) -> fastrand::Rng {
    let seed = std::env::var("DIFFERENTIAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("differential {test}: DIFFERENTIAL_SEED={seed}");
    fastrand::Rng::with_seed(seed)
}

/// A random element of a non-empty slice.
pub fn pick<T: Copy>(r: &mut fastrand::Rng, items: &[T]) -> T {
    items[r.usize(..items.len())]
}

/// A command as it would be typed, for failure messages (long ones shortened).
pub fn render<A: AsRef<[u8]>>(args: &[A]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i == 12 {
            let _ = write!(s, " ... ({} arguments)", args.len());
            break;
        }
        if i > 0 {
            s.push(' ');
        }
        s.push_str(&String::from_utf8_lossy(a.as_ref()));
    }
    s
}
