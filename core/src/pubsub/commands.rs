//! The Pub/Sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::Kind;
use crate::admin::util::help;
use crate::client::ClientState;
use crate::command::{Ctx, Handler};
use crate::resp::ReplyWriter;
use crate::server::Server;

/// The Pub/Sub commands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("subscribe", subscribe),
    ("psubscribe", psubscribe),
    ("ssubscribe", ssubscribe),
    ("unsubscribe", unsubscribe),
    ("punsubscribe", punsubscribe),
    ("sunsubscribe", sunsubscribe),
    ("publish", publish),
    ("spublish", spublish),
    ("pubsub|channels", channels),
    ("pubsub|shardchannels", shardchannels),
    ("pubsub|numsub", numsub),
    ("pubsub|shardnumsub", shardnumsub),
    ("pubsub|numpat", numpat),
    ("pubsub|help", pubsub_help),
];

fn subscribe(ctx: &mut Ctx) {
    subscribe_kind(ctx, Kind::Channel, "SUBSCRIBE");
}

fn psubscribe(ctx: &mut Ctx) {
    subscribe_kind(ctx, Kind::Pattern, "PSUBSCRIBE");
}

fn ssubscribe(ctx: &mut Ctx) {
    subscribe_kind(ctx, Kind::Shard, "SSUBSCRIBE");
}

fn subscribe_kind(ctx: &mut Ctx, kind: Kind, name: &str) {
    // A client that expects one reply per command cannot enter the subscribed state (inside
    // EXEC it may, for backward compatibility, as in Redis).
    if ctx.client.deny_blocking && !ctx.client.in_exec {
        return ctx.error(&format!(
            "ERR {name} isn't allowed for a DENY BLOCKING client"
        ));
    }
    let server = ctx.server;
    for name in &ctx.args[1..] {
        if ctx.client.subs.insert(kind, name) {
            server.pubsub.subscribe(kind, name, &ctx.client.handle);
            sync_count(ctx.client, kind);
        }
        reply(
            ctx.out,
            kind.subscribed(),
            Some(name),
            ctx.client.subs.reply_count(kind),
        );
    }
}

fn unsubscribe(ctx: &mut Ctx) {
    unsubscribe_kind(ctx, Kind::Channel);
}

fn punsubscribe(ctx: &mut Ctx) {
    unsubscribe_kind(ctx, Kind::Pattern);
}

fn sunsubscribe(ctx: &mut Ctx) {
    unsubscribe_kind(ctx, Kind::Shard);
}

fn unsubscribe_kind(ctx: &mut Ctx, kind: Kind) {
    if ctx.args.len() == 1 {
        return unsubscribe_all(ctx.server, ctx.client, kind, Some(ctx.out));
    }
    for name in &ctx.args[1..] {
        unsubscribe_one(ctx.server, ctx.client, kind, name);
        confirm(ctx.client, ctx.out, kind, Some(name));
    }
}

fn unsubscribe_one(server: &Server, client: &mut ClientState, kind: Kind, name: &[u8]) {
    if client.subs.remove(kind, name) {
        server.pubsub.unsubscribe(kind, name, &client.handle);
        sync_count(client, kind);
    }
}

/// Drops every subscription of `kind`, replying for each when `out` is given (and once, with
/// a null name, when there was none).
pub fn unsubscribe_all(
    server: &Server,
    client: &mut ClientState,
    kind: Kind,
    mut out: Option<&mut ReplyWriter>,
) {
    let names = client.subs.names(kind);
    for name in &names {
        unsubscribe_one(server, client, kind, name);
        if let Some(out) = out.as_deref_mut() {
            confirm(client, out, kind, Some(name));
        }
    }
    if let (Some(out), true) = (out, names.is_empty()) {
        confirm(client, out, kind, None);
    }
}

/// Confirms an unsubscription. A message published before the client left the registry may
/// still sit in its mailbox: it goes out first, so nothing of the channel follows the
/// confirmation.
fn confirm(client: &ClientState, out: &mut ReplyWriter, kind: Kind, name: Option<&Bytes>) {
    client.handle.mailbox.drain_into(&mut out.buf);
    reply(
        out,
        kind.unsubscribed(),
        name,
        client.subs.reply_count(kind),
    );
}

/// Leaves every channel, pattern and shard channel without replying (RESET, disconnection).
pub fn leave_all(server: &Server, client: &mut ClientState) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        unsubscribe_all(server, client, kind, None);
    }
}

/// Mirrors the client's count of `kind` subscriptions in its handle (CLIENT LIST, the
/// client's class for output limits).
fn sync_count(client: &ClientState, kind: Kind) {
    client.handle.subscriptions[kind as usize].store(client.subs.len(kind), Ordering::Relaxed);
}

/// A (un)subscribe confirmation: a push in RESP3, an array in RESP2.
fn reply(out: &mut ReplyWriter, what: &[u8], name: Option<&Bytes>, count: usize) {
    out.push(3);
    out.bulk(what);
    match name {
        Some(name) => out.bulk(name),
        None => out.null(),
    }
    out.int(count as i64);
}

fn publish(ctx: &mut Ctx) {
    let n = ctx.server.pubsub.publish(ctx.arg(1), ctx.arg(2));
    to_replicas(ctx);
    ctx.out.int(n as i64);
}

fn spublish(ctx: &mut Ctx) {
    let n = ctx.server.pubsub.spublish(ctx.arg(1), ctx.arg(2));
    to_replicas(ctx);
    ctx.out.int(n as i64);
}

/// A message published on a primary is published on its replicas too (Redis without cluster
/// propagates (S)PUBLISH to replicas, never to the AOF): Sentinel and other subscribers
/// connected to a replica see it. It enters the stream as a replication-only command, so in a
/// transaction or script it goes ahead of their unit instead of inside it.
fn to_replicas(ctx: &Ctx) {
    let args: Vec<&[u8]> = ctx.args.iter().map(|a| &a[..]).collect();
    ctx.server.keyspace.log.append_for_replicas(&args);
}

fn channels(ctx: &mut Ctx) {
    list_channels(ctx, Kind::Channel);
}

fn shardchannels(ctx: &mut Ctx) {
    list_channels(ctx, Kind::Shard);
}

fn list_channels(ctx: &mut Ctx, kind: Kind) {
    if ctx.args.len() > 3 {
        return crate::admin::util::subcommand_syntax_error(ctx);
    }
    let pattern = ctx.args.get(2).map(|p| &p[..]);
    let names = ctx.server.pubsub.channels(kind, pattern);
    ctx.out.array(names.len());
    for name in &names {
        ctx.out.bulk(name);
    }
}

fn numsub(ctx: &mut Ctx) {
    count_subscribers(ctx, Kind::Channel);
}

fn shardnumsub(ctx: &mut Ctx) {
    count_subscribers(ctx, Kind::Shard);
}

fn count_subscribers(ctx: &mut Ctx, kind: Kind) {
    let names = &ctx.args[2..];
    // A map keyed by channel in RESP3 would dedupe repeated names: Redis sends a flat array.
    ctx.out.array(names.len() * 2);
    for name in names {
        ctx.out.bulk(name);
        ctx.out.int(ctx.server.pubsub.numsub(kind, name) as i64);
    }
}

fn numpat(ctx: &mut Ctx) {
    ctx.out.int(ctx.server.pubsub.numpat() as i64);
}

fn pubsub_help(ctx: &mut Ctx) {
    help(
        ctx,
        &[
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ],
    );
}
