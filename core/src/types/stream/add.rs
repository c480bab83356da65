//! XADD, XTRIM, XDEL, XSETID: the commands that add, trim and delete entries.

use bytes::Bytes;

use super::id::{strict, strict_id, ParsedId, StreamId, INVALID_ID};
use super::stream_value::Trim;
use super::{node_limits, stream_of, Stream};
use crate::command::{errors, Ctx};
use crate::config::notify;
use crate::keyspace::Value;

/// XADD's and XTRIM's options, as Redis's streamParseAddOrTrimArgsOrReply reads them.
#[derive(Default)]
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: u64,
    /// Argument index of the threshold (rewritten for propagation after an approximate trim).
    threshold_at: usize,
    no_mkstream: bool,
    /// XADD: the ID argument's index and what it said.
    id_at: usize,
    id: Option<ParsedId>,
}

const BOTH: &str = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";

/// Parses the options from argument 2; for XADD stops at the ID. Replies on error.
fn parse_trim_args(ctx: &mut Ctx, xadd: bool) -> Option<TrimArgs> {
    let mut a = TrimArgs::default();
    let mut limit_given = false;
    let argc = ctx.args.len();
    let mut i = 2;
    while i < argc {
        let more = argc - 1 - i;
        let opt = ctx.arg(i);
        if xadd && opt == b"*" {
            break;
        }
        let is_maxlen = opt.eq_ignore_ascii_case(b"maxlen");
        if (is_maxlen || opt.eq_ignore_ascii_case(b"minid")) && more > 0 {
            if a.trim.is_some() {
                ctx.error(BOTH);
                return None;
            }
            a.approx = false;
            let next = ctx.arg(i + 1);
            if more >= 2 && next == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let arg = ctx.arg(i + 1);
            a.trim = Some(if is_maxlen {
                let n = ctx.int_arg(i + 1)?;
                if n < 0 {
                    ctx.error("ERR The MAXLEN argument must be >= 0.");
                    return None;
                }
                Trim::MaxLen(n as u64)
            } else {
                match strict(arg) {
                    Some(id) => Trim::MinId(id),
                    None => {
                        ctx.error(INVALID_ID);
                        return None;
                    }
                }
            });
            i += 1;
            a.threshold_at = i;
        } else if opt.eq_ignore_ascii_case(b"limit") && more > 0 {
            let n = ctx.int_arg(i + 1)?;
            if n < 0 {
                ctx.error("ERR The LIMIT argument must be >= 0.");
                return None;
            }
            a.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && opt.eq_ignore_ascii_case(b"nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            match strict_id(opt) {
                Some(id) => {
                    a.id = Some(id);
                    a.id_at = i;
                    break;
                }
                None => {
                    ctx.error(INVALID_ID);
                    return None;
                }
            }
        } else {
            ctx.syntax_error();
            return None;
        }
        i += 1;
    }
    if xadd && a.id.is_none() {
        a.id_at = i;
    }
    if a.limit > 0 && a.trim.is_none() {
        ctx.error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && a.trim.is_none() {
        ctx.error("ERR syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if ctx.client.replaying {
        // A replayed command trims exactly as it says: what Redis propagates after an
        // approximate trim keeps its LIMIT beside the `=` it rewrote.
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            ctx.error("ERR syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
    } else if a.approx {
        // Redis bounds the work of an approximate trim to about 100 nodes.
        let per_node = ctx.server.config.read().stream_node_max_entries;
        a.limit = per_node.saturating_mul(100).clamp(1, 1_000_000) as u64;
        if per_node <= 0 {
            a.limit = 10_000;
        }
    } else {
        a.limit = 0;
    }
    Some(a)
}

/// The ID XADD gives a new entry, or the error to reply.
fn next_id(s: &Stream, given: Option<ParsedId>, now_ms: u64) -> Result<StreamId, &'static str> {
    const TOO_SMALL: &str =
        "ERR The ID specified in XADD is equal or smaller than the target stream top item";
    let last = s.last_id;
    let id = match given {
        Some(ParsedId::Full(id)) => id,
        Some(ParsedId::Ms(ms)) => StreamId::new(ms, 0),
        Some(ParsedId::MsAuto(ms)) if ms == last.ms => {
            if last.seq == u64::MAX {
                return Err(TOO_SMALL);
            }
            StreamId::new(ms, last.seq + 1)
        }
        Some(ParsedId::MsAuto(ms)) => StreamId::new(ms, 0),
        // `*`: now, or just after the last ID when the clock is behind it.
        _ if now_ms > last.ms => StreamId::new(now_ms, 0),
        _ => last.next().ok_or(TOO_SMALL)?,
    };
    if id <= last {
        return Err(TOO_SMALL);
    }
    Ok(id)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value ...
pub fn xadd(ctx: &mut Ctx) {
    let Some(a) = parse_trim_args(ctx, true) else {
        return;
    };
    let fields_at = a.id_at + 1;
    let nargs = ctx.args.len().saturating_sub(fields_at);
    if nargs < 2 || nargs % 2 == 1 {
        return ctx.arity_error();
    }
    if let Some(ParsedId::Full(StreamId::MIN)) = a.id {
        return ctx.error("ERR The ID specified in XADD must be greater than 0-0");
    }
    let limits = node_limits(ctx);
    let key = ctx.arg(1);
    let pairs: Vec<&[u8]> = ctx.args[fields_at..].iter().map(|b| &b[..]).collect();
    let now_ms = ctx.now.ms();
    let mut db = ctx.lock();
    let stream = match stream_of(db.get(key)) {
        Err(()) => {
            drop(db);
            return ctx.wrong_type();
        }
        Ok(Some(s)) => s,
        Ok(None) if a.no_mkstream => {
            drop(db);
            ctx.unchanged();
            return ctx.out.null();
        }
        Ok(None) => {
            db.set(key, Value::Stream(Box::default()));
            match stream_of(db.get(key)) {
                Ok(Some(s)) => s,
                _ => return,
            }
        }
    };
    if stream.last_id == StreamId::MAX {
        drop(db);
        return ctx
            .error("ERR The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match next_id(stream, a.id, now_ms) {
        Ok(id) => id,
        Err(e) => {
            drop(db);
            return ctx.error(e);
        }
    };
    stream.append(id, &pairs, limits);
    let trimmed = a.trim.map_or(0, |t| stream.trim(t, a.approx, a.limit));
    let threshold = a.trim.map(|t| threshold_now(stream, t));
    db.signal_ready(key);
    drop(db);
    super::write_id(ctx.out, id);
    ctx.notify(notify::STREAM, "xadd", key);
    if trimmed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
    }
    // Replicas and the AOF get the ID chosen and, after an approximate trim, the exact
    // threshold it reached, so they end with the same stream.
    if a.approx {
        ctx.propagate_with(a.threshold_at - 1, Bytes::from_static(b"="));
        ctx.propagate_with(a.threshold_at, threshold.unwrap_or_default());
    }
    if !matches!(a.id, Some(ParsedId::Full(_))) {
        let mut text = [0; 41];
        ctx.propagate_with(a.id_at, Bytes::copy_from_slice(id.write(&mut text)));
    }
}

/// What an approximate trim reached: the length for MAXLEN, the first ID for MINID.
fn threshold_now(s: &Stream, how: Trim) -> Bytes {
    match how {
        Trim::MaxLen(_) => Bytes::from(s.length.to_string()),
        Trim::MinId(_) => Bytes::from(s.edge(false).unwrap_or_default().to_string()),
    }
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub fn xtrim(ctx: &mut Ctx) {
    let Some(a) = parse_trim_args(ctx, false) else {
        return;
    };
    let Some(how) = a.trim else { return };
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let (removed, threshold) = match stream_of(db.get(key)) {
        Err(()) => {
            drop(db);
            return ctx.wrong_type();
        }
        Ok(None) => (0, Bytes::new()),
        Ok(Some(s)) => {
            let n = s.trim(how, a.approx, a.limit);
            (n, threshold_now(s, how))
        }
    };
    drop(db);
    if removed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
        if a.approx {
            let mut args: Vec<Bytes> = ctx.args.to_vec();
            args[a.threshold_at - 1] = Bytes::from_static(b"=");
            args[a.threshold_at] = threshold;
            ctx.propagate_as(args);
        }
    } else {
        ctx.unchanged();
    }
    ctx.out.int(removed as i64);
}

/// XDEL key id [id ...]
pub fn xdel(ctx: &mut Ctx) {
    let mut ids = Vec::with_capacity(ctx.args.len() - 2);
    for i in 2..ctx.args.len() {
        match strict(ctx.arg(i)) {
            Some(id) => ids.push(id),
            None => return ctx.error(INVALID_ID),
        }
    }
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let deleted = match stream_of(db.get(key)) {
        Err(()) => {
            drop(db);
            return ctx.wrong_type();
        }
        Ok(None) => 0,
        Ok(Some(s)) => ids.iter().filter(|&&id| s.delete(id)).count(),
    };
    drop(db);
    if deleted > 0 {
        ctx.notify(notify::STREAM, "xdel", key);
    } else {
        ctx.unchanged();
    }
    ctx.out.int(deleted as i64);
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub fn xsetid(ctx: &mut Ctx) {
    let Some(id) = strict(ctx.arg(2)) else {
        return ctx.error(INVALID_ID);
    };
    let (mut added, mut max_deleted) = (None, None);
    let mut i = 3;
    while i < ctx.args.len() {
        let opt = ctx.arg(i);
        if opt.eq_ignore_ascii_case(b"entriesadded") && i + 1 < ctx.args.len() {
            let Some(n) = ctx.int_arg(i + 1) else { return };
            if n < 0 {
                return ctx.error("ERR entries_added must be positive");
            }
            added = Some(n as u64);
        } else if opt.eq_ignore_ascii_case(b"maxdeletedid") && i + 1 < ctx.args.len() {
            let Some(m) = strict(ctx.arg(i + 1)) else {
                return ctx.error(INVALID_ID);
            };
            if id < m {
                return ctx.error(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
            }
            max_deleted = Some(m);
        } else {
            return ctx.syntax_error();
        }
        i += 2;
    }
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let stream = match stream_of(db.get(key)) {
        Err(()) => {
            drop(db);
            return ctx.wrong_type();
        }
        Ok(None) => {
            drop(db);
            return ctx.error(errors::NO_SUCH_KEY);
        }
        Ok(Some(s)) => s,
    };
    let error = if stream.length > 0 && id < stream.last_id {
        Some("ERR The ID specified in XSETID is smaller than the target stream top item")
    } else if added.is_some_and(|n| n < stream.length) {
        Some("ERR The entries_added specified in XSETID is smaller than the target stream length")
    } else {
        None
    };
    if let Some(e) = error {
        drop(db);
        return ctx.error(e);
    }
    stream.last_id = id;
    if let Some(n) = added {
        stream.entries_added = n;
    }
    if let Some(m) = max_deleted {
        stream.max_deleted = m;
    }
    drop(db);
    ctx.notify(notify::STREAM, "xsetid", key);
    ctx.out.ok();
}
