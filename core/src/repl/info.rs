//! INFO's replication section, field for field as Redis 7.0 writes it.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use super::primary::{lag_secs, replica_ip, replicas};
use crate::server::Server;

/// The `# Replication` section at `now_ms`.
pub fn section(server: &Server, now_ms: u64) -> String {
    let mut s = String::from("# Replication\r\n");
    let cfg = server.config.read();
    let yes = |name: &str| cfg.get(name).is_some_and(|v| v == "yes");
    let link = server.repl.replica.status();
    if let Some(l) = &link {
        let secs_since =
            |ms: Option<u64>| ms.map_or(-1, |t| (now_ms.saturating_sub(t) / 1000) as i64);
        let _ = write!(
            s,
            "role:slave\r\n\
             master_host:{}\r\n\
             master_port:{}\r\n\
             master_link_status:{}\r\n\
             master_last_io_seconds_ago:{}\r\n\
             master_sync_in_progress:{}\r\n\
             slave_read_repl_offset:{}\r\n\
             slave_repl_offset:{}\r\n",
            l.host,
            l.port,
            if l.link_up { "up" } else { "down" },
            if l.link_up {
                secs_since(l.last_io_ms)
            } else {
                -1
            },
            u8::from(l.sync_in_progress),
            l.read_offset,
            l.applied_offset,
        );
        if !l.link_up {
            let down = l
                .down_since_ms
                .map_or(-1, |t| (now_ms.saturating_sub(t) / 1000) as i64);
            let _ = write!(s, "master_link_down_since_seconds:{down}\r\n");
        }
        let _ = write!(
            s,
            "slave_priority:{}\r\n\
             slave_read_only:{}\r\n\
             replica_announced:{}\r\n",
            cfg.get("replica-priority").unwrap_or_default(),
            u8::from(cfg.replica_read_only),
            u8::from(yes("replica-announced")),
        );
    } else {
        s.push_str("role:master\r\n");
    }
    let attached = replicas(server);
    let _ = write!(s, "connected_slaves:{}\r\n", attached.len());
    if cfg.min_replicas_to_write > 0 && cfg.min_replicas_max_lag > 0 {
        let good = server.repl.primary.good_replicas();
        let _ = write!(s, "min_slaves_good_slaves:{good}\r\n");
    }
    for (i, h) in attached.iter().enumerate() {
        let _ = write!(
            s,
            "slave{i}:ip={},port={},state={},offset={},lag={}\r\n",
            replica_ip(h),
            h.repl.listening_port.load(Ordering::Relaxed),
            h.repl.full.state_name(),
            h.repl.ack_offset.load(Ordering::Relaxed).max(0),
            lag_secs(h, now_ms),
        );
    }
    let primary = &server.repl.primary;
    let (replid2, second) = primary.replid2();
    let offset = match &link {
        Some(l) => l.applied_offset.max(0) as u64,
        None => server.keyspace.log.offset(),
    };
    let (active, size, first, histlen) = match server.keyspace.log.backlog() {
        Some((size, first, histlen)) => (1, size as i64, first, histlen),
        None => (0, cfg.repl_backlog_size, 0, 0),
    };
    let _ = write!(
        s,
        "master_failover_state:{}\r\n\
         master_replid:{}\r\n\
         master_replid2:{replid2}\r\n\
         master_repl_offset:{offset}\r\n\
         second_repl_offset:{second}\r\n\
         repl_backlog_active:{active}\r\n\
         repl_backlog_size:{size}\r\n\
         repl_backlog_first_byte_offset:{first}\r\n\
         repl_backlog_histlen:{histlen}\r\n",
        server.repl.failover.state_name(),
        primary.replid(),
    );
    s
}
