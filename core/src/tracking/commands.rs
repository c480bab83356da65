//! CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT TRACKINGINFO.

use bytes::Bytes;

use super::TrackingFlags as F;
use crate::client::ClientHandle;
use crate::command::{Ctx, Handler};
use crate::server::Server;

/// The client-side caching subcommands of CLIENT.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("client|tracking", tracking),
    ("client|caching", caching),
    ("client|getredir", getredir),
    ("client|trackinginfo", trackinginfo),
];

fn tracking(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut redirect: u64 = 0;
    let mut options = F::default();
    let mut prefixes: Vec<Bytes> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if redirect != 0 {
                return ctx.error("ERR A client can only redirect to a single other client");
            }
            let Some(id) = crate::util::num::parse_i64(&args[j]) else {
                return ctx.error("ERR value is not an integer or out of range");
            };
            let known = u64::try_from(id)
                .ok()
                .filter(|&id| ctx.server.clients.get(id).is_some());
            let Some(id) = known else {
                return ctx.error("ERR The client ID you want redirect to does not exist");
            };
            redirect = id;
        } else if opt.eq_ignore_ascii_case(b"bcast") {
            options = F(options.0 | F::BCAST.0);
        } else if opt.eq_ignore_ascii_case(b"optin") {
            options = F(options.0 | F::OPTIN.0);
        } else if opt.eq_ignore_ascii_case(b"optout") {
            options = F(options.0 | F::OPTOUT.0);
        } else if opt.eq_ignore_ascii_case(b"noloop") {
            options = F(options.0 | F::NOLOOP.0);
        } else if opt.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(args[j].clone());
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    let mode = ctx.arg(2);
    if mode.eq_ignore_ascii_case(b"on") {
        if let Err(msg) = check_on(&ctx.client.handle, options, &prefixes) {
            return ctx.error(&msg);
        }
        enable(ctx.server, &ctx.client.handle, redirect, options, prefixes);
    } else if mode.eq_ignore_ascii_case(b"off") {
        disable(ctx.server, &ctx.client.handle);
    } else {
        return ctx.syntax_error();
    }
    ctx.out.ok();
}

/// Redis's checks before CLIENT TRACKING ON, in its order.
fn check_on(h: &ClientHandle, options: F, prefixes: &[Bytes]) -> Result<(), String> {
    let current = h.tracking.flags();
    if !options.has(F::BCAST) && !prefixes.is_empty() {
        return Err("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    if current.has(F::ON) && current.has(F::BCAST) != options.has(F::BCAST) {
        return Err(
            "ERR You can't switch BCAST mode on/off before disabling tracking for \
                    this client, and then re-enabling it with a different mode."
                .into(),
        );
    }
    if options.has(F::BCAST) && (options.has(F::OPTIN) || options.has(F::OPTOUT)) {
        return Err("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if options.has(F::OPTIN) && options.has(F::OPTOUT) {
        return Err("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if (options.has(F::OPTIN) && current.has(F::OPTOUT))
        || (options.has(F::OPTOUT) && current.has(F::OPTIN))
    {
        return Err(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for \
                    this client, and then re-enabling it with a different mode."
                .into(),
        );
    }
    if options.has(F::BCAST) {
        let existing = h.tracking.prefixes.lock();
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|e| overlaps(e, p)) {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a \
                     single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(old)
                ));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| overlaps(p, o)) {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes \
                     for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(other)
                ));
            }
        }
    }
    Ok(())
}

/// Two prefixes overlap when one starts the other.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn enable(
    server: &Server,
    h: &std::sync::Arc<ClientHandle>,
    redirect: u64,
    options: F,
    mut prefixes: Vec<Bytes>,
) {
    let was = h.tracking.flags();
    let keep =
        F(was.0 & !(F::BROKEN_REDIR.0 | F::BCAST.0 | F::OPTIN.0 | F::OPTOUT.0 | F::NOLOOP.0));
    h.tracking.set_flags(F(keep.0 | F::ON.0 | options.0));
    h.tracking.set_redirect(redirect);
    if options.has(F::BCAST) {
        if prefixes.is_empty() {
            prefixes.push(Bytes::new());
        }
        h.tracking.prefixes.lock().extend(prefixes.iter().cloned());
    } else {
        prefixes.clear();
    }
    server.tracking.enable(h, was.has(F::ON), &prefixes);
}

/// Turns tracking off for `h` (CLIENT TRACKING OFF, RESET, disconnection).
pub fn disable(server: &Server, h: &ClientHandle) {
    if !h.tracking.flags().has(F::ON) {
        return;
    }
    let prefixes: Vec<Bytes> = std::mem::take(&mut *h.tracking.prefixes.lock())
        .into_iter()
        .collect();
    server.tracking.disable(h, &prefixes);
    h.tracking.set_flags(F::default());
}

fn caching(ctx: &mut Ctx) {
    let flags = ctx.client.handle.tracking.flags();
    if !flags.has(F::ON) {
        return ctx.error(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with \
             OPTIN or OPTOUT mode enabled",
        );
    }
    let opt = ctx.arg(2);
    if opt.eq_ignore_ascii_case(b"yes") {
        if !flags.has(F::OPTIN) {
            return ctx.error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if opt.eq_ignore_ascii_case(b"no") {
        if !flags.has(F::OPTOUT) {
            return ctx.error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return ctx.syntax_error();
    }
    ctx.client.handle.tracking.insert(F::CACHING);
    ctx.out.ok();
}

fn getredir(ctx: &mut Ctx) {
    let t = &ctx.client.handle.tracking;
    let id = if t.flags().has(F::ON) {
        t.redirect() as i64
    } else {
        -1
    };
    ctx.out.int(id);
}

fn trackinginfo(ctx: &mut Ctx) {
    let t = &ctx.client.handle.tracking;
    let flags = t.flags();
    let mut names: Vec<&[u8]> = vec![if flags.has(F::ON) { b"on" } else { b"off" }];
    let named: [(F, &[u8]); 3] = [
        (F::BCAST, b"bcast"),
        (F::OPTIN, b"optin"),
        (F::OPTOUT, b"optout"),
    ];
    for (flag, name) in named {
        if flags.has(flag) {
            names.push(name);
            if flag.has(F::OPTIN) && flags.has(F::CACHING) {
                names.push(b"caching-yes");
            }
            if flag.has(F::OPTOUT) && flags.has(F::CACHING) {
                names.push(b"caching-no");
            }
        }
    }
    if flags.has(F::NOLOOP) {
        names.push(b"noloop");
    }
    if flags.has(F::BROKEN_REDIR) {
        names.push(b"broken_redirect");
    }
    let redirect = if flags.has(F::ON) {
        t.redirect() as i64
    } else {
        -1
    };
    let prefixes: Vec<Bytes> = t.prefixes.lock().iter().cloned().collect();
    let out = &mut *ctx.out;
    out.map(3);
    out.bulk(b"flags");
    out.set(names.len());
    for n in names {
        out.bulk(n);
    }
    out.bulk(b"redirect");
    out.int(redirect);
    out.bulk(b"prefixes");
    out.array(prefixes.len());
    for p in &prefixes {
        out.bulk(p);
    }
}
