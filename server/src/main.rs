//! lode-server: starts lode with redis-server's command line and configuration syntax.

use std::net::SocketAddr;
use std::sync::Arc;

use lode_core::config::Config;
use lode_core::server::NullHost;
use lode_core::Server;
use lode_transport_tokio::{now, serve, ListenConfig, Listeners};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let mut config = Config::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let name = args[i].trim_start_matches("--").to_ascii_lowercase();
        let val = args.get(i + 1).cloned().unwrap_or_default();
        match name.as_str() {
            "port" => config.port = val.parse().unwrap_or(6379),
            "bind" => config.bind = val.split_whitespace().map(String::from).collect(),
            "unixsocket" => config.unixsocket = val,
            "enable-debug-command" => config.enable_debug_command = val,
            _ => {}
        }
        i += 2;
    }
    tracing_subscriber::fmt().with_target(false).init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listen = ListenConfig {
            tcp: config
                .bind
                .iter()
                .filter_map(|b| {
                    let host = b.trim_start_matches('-');
                    let ip: std::net::IpAddr = host.parse().ok()?;
                    Some(SocketAddr::new(ip, config.port))
                })
                .collect(),
            unix: (!config.unixsocket.is_empty()).then(|| config.unixsocket.clone()),
            unix_perm: config.unixsocketperm,
            backlog: config.tcp_backlog,
            keepalive_secs: config.tcp_keepalive,
        };
        let seed = now().micros() ^ u64::from(std::process::id());
        let server = Arc::new(Server::new(config, seed, Box::new(NullHost), now()));
        let listeners = Listeners::bind(&listen).expect("bind");
        let ticker = server.clone();
        tokio::spawn(async move {
            loop {
                let hz = ticker.hz();
                tokio::time::sleep(std::time::Duration::from_millis(1000 / hz as u64)).await;
                ticker.tick(now());
            }
        });
        tracing::info!("Ready to accept connections");
        serve(server, listeners, 300).await;
    });
}
