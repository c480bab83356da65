//! SORT and SORT_RO (Redis's sort.c): sort a list, set or sorted set numerically or by bytes,
//! optionally by weights or values looked up in other keys, and return or STORE the result.

mod pattern;
mod weight;

use std::cmp::Ordering;

use pattern::Pattern;
use weight::{by_alpha, by_score, parse_weight};

use crate::command::{Ctx, Handler};
use crate::config::notify;
use crate::keyspace::{Locked, Value};
use crate::types::list::{End, List};

/// The SORT commands.
pub const COMMANDS: &[(&str, Handler)] = &[("sort", sort), ("sort_ro", sort_ro)];

fn sort(ctx: &mut Ctx) {
    sort_generic(ctx, false);
}

fn sort_ro(ctx: &mut Ctx) {
    sort_generic(ctx, true);
}

/// The parsed options.
struct Options<'a> {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    store: Option<&'a [u8]>,
    by: Option<Pattern<'a>>,
    gets: Vec<Pattern<'a>>,
}

impl<'a> Options<'a> {
    /// Parses `args[2..]`, replying with Redis's error when malformed.
    fn parse(ctx: &mut Ctx<'a>, readonly: bool) -> Option<Options<'a>> {
        let mut o = Options {
            desc: false,
            alpha: false,
            limit: None,
            store: None,
            by: None,
            gets: Vec::new(),
        };
        let n = ctx.args.len();
        let mut full_key_access = None;
        let mut j = 2;
        while j < n {
            let arg = ctx.arg(j);
            let left = n - j - 1;
            if arg.eq_ignore_ascii_case(b"asc") {
                o.desc = false;
            } else if arg.eq_ignore_ascii_case(b"desc") {
                o.desc = true;
            } else if arg.eq_ignore_ascii_case(b"alpha") {
                o.alpha = true;
            } else if arg.eq_ignore_ascii_case(b"limit") && left >= 2 {
                let start = ctx.int_arg(j + 1)?;
                let count = ctx.int_arg(j + 2)?;
                o.limit = Some((start, count));
                j += 2;
            } else if !readonly && arg.eq_ignore_ascii_case(b"store") && left >= 1 {
                o.store = Some(ctx.arg(j + 1));
                j += 1;
            } else if arg.eq_ignore_ascii_case(b"by") && left >= 1 {
                let pattern = ctx.arg(j + 1);
                // A BY with a real pattern reads keys the ACL check never saw.
                if pattern.contains(&b'*')
                    && !*full_key_access.get_or_insert_with(|| reads_every_key(ctx))
                {
                    ctx.error("ERR BY option of SORT denied due to insufficient ACL permissions.");
                    return None;
                }
                o.by = Some(Pattern::parse(pattern));
                j += 1;
            } else if arg.eq_ignore_ascii_case(b"get") && left >= 1 {
                if !*full_key_access.get_or_insert_with(|| reads_every_key(ctx)) {
                    ctx.error("ERR GET option of SORT denied due to insufficient ACL permissions.");
                    return None;
                }
                o.gets.push(Pattern::parse(ctx.arg(j + 1)));
                j += 1;
            } else {
                ctx.syntax_error();
                return None;
            }
            j += 1;
        }
        Some(o)
    }
}

/// Whether the client's user may read every key with this command (Redis's
/// ACLUserCheckCmdWithUnrestrictedKeyAccess for SORT's BY and GET patterns).
fn reads_every_key(ctx: &mut Ctx) -> bool {
    let (server, cmd, args) = (ctx.server, ctx.cmd, ctx.args);
    match ctx.client.acl.as_mut() {
        Some(acl) => crate::acl::check::check_with_every_key(
            acl.rules(&server.acl),
            cmd,
            args,
            crate::acl::selector::READ,
        ),
        None => true,
    }
}

/// The window LIMIT selects out of `len` elements, as Redis clamps it: `start..end`.
fn window(limit: Option<(i64, i64)>, len: usize) -> (usize, usize) {
    let (start, count) = limit.unwrap_or((0, -1));
    let len_i = len as i64;
    let start = start.clamp(0, len_i);
    let count = count.clamp(-1, len_i);
    let end = if count < 0 {
        len_i
    } else {
        (start + count).min(len_i)
    };
    if start >= len_i {
        return (0, 0);
    }
    (start as usize, end as usize)
}

/// The source's elements in the order SORT starts from. With `dontsort`, lists and sorted sets
/// give only the LIMIT window, in their own order (reversed for DESC).
fn elements(
    value: Option<&Value>,
    dontsort: bool,
    desc: bool,
    limit: Option<(i64, i64)>,
) -> Vec<Vec<u8>> {
    let Some(value) = value else {
        return Vec::new();
    };
    match value {
        Value::List(l) if dontsort => {
            let (start, end) = window(limit, l.len());
            if desc {
                let from = l.len().saturating_sub(start + 1);
                l.iter_rev_from(from)
                    .take(end - start)
                    .map(|e| e.to_vec())
                    .collect()
            } else {
                l.iter_from(start)
                    .take(end - start)
                    .map(|e| e.to_vec())
                    .collect()
            }
        }
        Value::List(l) => l.iter().map(|e| e.to_vec()).collect(),
        Value::Set(s) => {
            let mut buf = itoa::Buffer::new();
            s.iter().map(|m| m.bytes(&mut buf).to_vec()).collect()
        }
        Value::ZSet(z) if dontsort => {
            let (start, end) = window(limit, z.len());
            let mut out = Vec::with_capacity(end - start);
            // DESC counts the window from the highest rank down.
            let (lo, hi) = if desc {
                (z.len() - end, z.len() - start)
            } else {
                (start, end)
            };
            z.for_range(lo, hi, desc, |m, _| out.push(m.to_vec()));
            out
        }
        Value::ZSet(z) => {
            let mut out = Vec::with_capacity(z.len());
            z.for_range(0, z.len(), false, |m, _| out.push(m.to_vec()));
            out
        }
        _ => Vec::new(),
    }
}

fn sort_generic(ctx: &mut Ctx, readonly: bool) {
    let Some(mut o) = Options::parse(ctx, readonly) else {
        return;
    };
    // BY and GET patterns may name any key: hold every shard, as a snapshot.
    let mut db: Locked<'_> = ctx.lock();
    db.touch = !ctx.client.no_touch;
    let source = ctx.arg(1);
    let (is_set, len) = match db.get_read(source).map(|e| &e.value) {
        None => (false, 0),
        Some(Value::List(l)) => (false, l.len()),
        Some(Value::Set(s)) => (true, s.len()),
        Some(Value::ZSet(z)) => (false, z.len()),
        Some(_) => {
            drop(db);
            return ctx.wrong_type();
        }
    };
    let mut dontsort = o.by.as_ref().is_some_and(|p| !p.has_star());
    // An unsorted set would come out in hash order: STORE, and a script, sort it so the result
    // is reproducible (what a script reads may decide what it writes).
    if dontsort && is_set && (o.store.is_some() || ctx.client.in_script) {
        dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let source_value = db.get(source).map(|e| &e.value);
    let mut items = elements(source_value, dontsort, o.desc, o.limit);
    let (start, end) = if dontsort && !is_set {
        (0, items.len())
    } else {
        window(o.limit, len)
    };
    if !dontsort {
        if let Err(()) = sort_items(&mut db, &mut items, &o) {
            drop(db);
            return ctx.error("ERR One or more scores can't be converted into double");
        }
    }
    let chosen = &items[start.min(items.len())..end.min(items.len())];
    match o.store {
        None => {
            let per = o.gets.len().max(1);
            ctx.out.array(chosen.len() * per);
            for item in chosen {
                if o.gets.is_empty() {
                    ctx.out.bulk(item);
                }
                for get in &o.gets {
                    match get.lookup(&mut db, item) {
                        Some(v) => ctx.out.bulk(&v),
                        None => ctx.out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let fill = crate::types::list::fill(ctx);
            let mut list = List::new();
            for item in chosen {
                if o.gets.is_empty() {
                    list.push(End::Right, item, fill);
                }
                for get in &o.gets {
                    let v = get.lookup(&mut db, item).unwrap_or_default();
                    list.push(End::Right, &v, fill);
                }
            }
            let stored = list.len();
            if stored > 0 {
                db.set(dst, Value::List(Box::new(list)));
                ctx.notify(notify::LIST, "sortstore", dst);
            } else if db.delete(dst) {
                ctx.notify(notify::GENERIC, "del", dst);
            }
            drop(db);
            ctx.out.int(stored as i64);
        }
    }
}

/// Sorts `items` by the options' weights; Err if a numeric weight is not a number.
fn sort_items(db: &mut Locked, items: &mut Vec<Vec<u8>>, o: &Options) -> Result<(), ()> {
    let weights: Vec<Option<Vec<u8>>> = match &o.by {
        Some(by) => items.iter().map(|e| by.lookup(db, e)).collect(),
        None => vec![None; items.len()],
    };
    let mut keyed: Vec<(Vec<u8>, Option<Vec<u8>>, f64)> = Vec::with_capacity(items.len());
    for (item, w) in items.drain(..).zip(weights) {
        let score = if o.alpha {
            0.0
        } else {
            match (&o.by, &w) {
                (Some(_), None) => 0.0,
                (Some(_), Some(w)) => parse_weight(w).ok_or(())?,
                (None, _) => parse_weight(&item).ok_or(())?,
            }
        };
        keyed.push((item, w, score));
    }
    let cmp = |a: &(Vec<u8>, Option<Vec<u8>>, f64), b: &(Vec<u8>, Option<Vec<u8>>, f64)| {
        let ord = if !o.alpha {
            by_score((a.2, &a.0), (b.2, &b.0))
        } else if o.by.is_some() {
            by_alpha(a.1.as_deref(), b.1.as_deref())
        } else {
            a.0.cmp(&b.0)
        };
        if o.desc {
            ord.reverse()
        } else {
            ord
        }
    };
    keyed.sort_by(|a, b| -> Ordering { cmp(a, b) });
    items.extend(keyed.into_iter().map(|(item, _, _)| item));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::window;

    #[test]
    fn limit_window_clamps_like_redis() {
        assert_eq!(window(None, 5), (0, 5));
        assert_eq!(window(Some((1, 2)), 5), (1, 3));
        assert_eq!(window(Some((-3, 2)), 5), (0, 2));
        assert_eq!(window(Some((2, -1)), 5), (2, 5));
        assert_eq!(window(Some((2, 100)), 5), (2, 5));
        assert_eq!(window(Some((5, 1)), 5), (0, 0));
        assert_eq!(window(Some((0, 0)), 5), (0, 0));
    }
}
