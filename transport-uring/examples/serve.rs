//! Serves a bare in-process lode (no persistence) over the io_uring transport, for informal
//! measurements with redis-benchmark: `serve [port] [threads] [seconds]`.

use std::sync::Arc;
use std::time::Duration;

use lode_core::config::Config;
use lode_core::server::NullHost;
use lode_core::Server;
use lode_transport_uring::{now, probe, start, Options};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7379);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3600);
    probe()?;
    let server = Arc::new(Server::new(Config::default(), 7, Box::new(NullHost), now()));
    let l = std::net::TcpListener::bind(("127.0.0.1", port))?;
    l.set_nonblocking(true)?;
    let running = start(server, vec![l], None, &Options { threads })?;
    eprintln!("serving on 127.0.0.1:{port} with {threads} io_uring worker(s) for {seconds} s");
    std::thread::sleep(Duration::from_secs(seconds));
    running.shutdown();
    Ok(())
}
