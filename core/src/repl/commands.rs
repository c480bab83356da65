//! The primary side's commands besides SYNC/PSYNC: REPLCONF (what a replica tells its
//! primary), WAIT (until replicas acknowledge a client's writes) and ROLE.

use std::sync::Arc;

use super::primary::{acked_at_least, is_online, replica_ip, replicas};
use crate::command::{errors, Ctx};
use crate::effects::{AfterEffect, Awaiting, Completion};
use std::sync::atomic::Ordering;

/// Longest announced address Redis keeps (NET_HOST_STR_LEN).
const MAX_ANNOUNCED_IP: usize = 256;

/// REPLCONF option value ...: +OK, except ACK and GETACK, which never reply.
pub(super) fn replconf(ctx: &mut Ctx) {
    if ctx.args.len().is_multiple_of(2) {
        return ctx.error(errors::SYNTAX);
    }
    let handle = ctx.client.handle.clone();
    let mut i = 1;
    while i + 1 < ctx.args.len() {
        let opt = ctx.arg(i).to_ascii_lowercase();
        let value = ctx.arg(i + 1);
        match opt.as_slice() {
            b"listening-port" => {
                let Some(port) = crate::util::num::parse_i64(value) else {
                    return ctx.error(errors::NOT_INT);
                };
                handle
                    .repl
                    .listening_port
                    .store(port as u32, Ordering::Relaxed);
            }
            b"ip-address" => {
                if value.len() >= MAX_ANNOUNCED_IP {
                    let msg = format!(
                        "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                        value.len()
                    );
                    return ctx.error(&msg);
                }
                let ip = String::from_utf8_lossy(value).into_owned();
                *handle.repl.announced_ip.lock() = Some(ip);
            }
            b"capa" => {
                if value.eq_ignore_ascii_case(b"psync2") {
                    handle.repl.psync2.store(true, Ordering::Relaxed);
                } else if value.eq_ignore_ascii_case(b"eof") {
                    handle.repl.full.capa_eof.store(true, Ordering::Relaxed);
                }
            }
            b"ack" => {
                // Only a replica's acknowledgement counts; nobody gets a reply.
                if !handle.replica.load(Ordering::Relaxed) {
                    return;
                }
                if let Some(offset) = crate::util::num::parse_i64(value) {
                    handle.repl.ack_offset.fetch_max(offset, Ordering::Relaxed);
                    handle.repl.ack_ms.store(ctx.now.ms(), Ordering::Relaxed);
                    // The first ACK after a diskless transfer starts the stream (and puts
                    // the replica online, so this ACK counts for WAIT).
                    super::fullsync::on_ack(ctx);
                    ctx.server
                        .repl
                        .primary
                        .settle_waits(ctx.server, ctx.now.ms());
                }
                return;
            }
            // Sent by a primary to its replica, inside the stream (the replica side answers
            // it there); from anyone else it is ignored, without a reply.
            b"getack" => return,
            b"rdb-only" | b"rdb-filter-only" => {}
            _ => {
                let msg = format!(
                    "ERR Unrecognized REPLCONF option: {}",
                    String::from_utf8_lossy(ctx.arg(i))
                );
                return ctx.error(&msg);
            }
        }
        i += 2;
    }
    ctx.out.ok();
}

/// WAIT numreplicas timeout: how many replicas acknowledged this client's last write,
/// waiting up to `timeout` ms (0: for ever) for `numreplicas` of them.
pub(super) fn wait(ctx: &mut Ctx) {
    let server = ctx.server;
    if server.repl.replica.is_replica() {
        return ctx.error(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis \
             4.0 if a replica is configured to be writable (which is not the default) writes to \
             replicas are just local and are not propagated.",
        );
    }
    let Some(needed) = crate::util::num::parse_i64(ctx.arg(1)) else {
        return ctx.error(errors::NOT_INT);
    };
    let Some(timeout) = crate::util::num::parse_i64(ctx.arg(2)) else {
        return ctx.error("ERR timeout is not an integer or out of range");
    };
    if timeout < 0 {
        return ctx.error("ERR timeout is negative");
    }
    let offset = ctx.client.woff;
    let acked = acked_at_least(server, offset);
    if acked as i64 >= needed || !ctx.client.may_wait() {
        return ctx.out.int(acked as i64);
    }
    let handle = ctx.client.handle.clone();
    let completion = Arc::new(Completion::new(Some(Box::new(move || handle.waker.wake()))));
    let deadline = (timeout > 0).then(|| ctx.now.ms() + timeout as u64);
    server
        .repl
        .primary
        .wait(offset, needed as usize, deadline, completion.clone());
    // Ask the replicas where they are now rather than at their next periodic ACK.
    server
        .keyspace
        .log
        .append_for_replicas(&[b"REPLCONF", b"GETACK", b"*"]);
    ctx.client.awaiting = Some(Awaiting {
        completion,
        then: AfterEffect::CountAcks { offset },
    });
}

/// ROLE: this server's part in replication, as Redis 7.0 replies it.
pub(super) fn role(ctx: &mut Ctx) {
    let server = ctx.server;
    if let Some(link) = server.repl.replica.status() {
        ctx.out.array(5);
        ctx.out.bulk(b"slave");
        ctx.out.bulk(link.host.as_bytes());
        ctx.out.int(i64::from(link.port));
        ctx.out.bulk(link.state.as_bytes());
        ctx.out.int(if link.link_up {
            link.applied_offset
        } else {
            -1
        });
        return;
    }
    // Replicas still waiting for (or receiving) their snapshot are left out, as in Redis.
    let attached: Vec<_> = replicas(server)
        .into_iter()
        .filter(|h| is_online(h))
        .collect();
    ctx.out.array(3);
    ctx.out.bulk(b"master");
    ctx.out.int(server.keyspace.log.offset() as i64);
    ctx.out.array(attached.len());
    for h in &attached {
        ctx.out.array(3);
        ctx.out.bulk(replica_ip(h).as_bytes());
        let port = h.repl.listening_port.load(Ordering::Relaxed);
        ctx.out.bulk(port.to_string().as_bytes());
        let ack = h.repl.ack_offset.load(Ordering::Relaxed).max(0);
        ctx.out.bulk(ack.to_string().as_bytes());
    }
}
