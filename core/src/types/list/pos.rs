//! LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]

use super::entry::Needle;
use super::is_option;
use crate::command::{errors, Ctx};
use crate::keyspace::Value;
use crate::util::num::parse_i64;

const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from \
                         the second ... or use negative to start from the end of the list";

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub fn lpos(ctx: &mut Ctx) {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let argc = ctx.args.len();
    let mut j = 3;
    while j < argc {
        let opt = ctx.arg(j);
        let more = j + 1 < argc;
        if more && is_option(opt, "rank") {
            j += 1;
            match parse_i64(ctx.arg(j)) {
                None => return ctx.error(errors::NOT_INT),
                Some(0) => return ctx.error(RANK_ZERO),
                Some(r) => rank = r,
            }
        } else if more && is_option(opt, "count") {
            j += 1;
            match parse_i64(ctx.arg(j)) {
                Some(c) if c >= 0 => count = Some(c),
                _ => return ctx.error("ERR COUNT can't be negative"),
            }
        } else if more && is_option(opt, "maxlen") {
            j += 1;
            match parse_i64(ctx.arg(j)) {
                Some(m) if m >= 0 => maxlen = m,
                _ => return ctx.error("ERR MAXLEN can't be negative"),
            }
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    // Redis negates a negative rank in C's `long`: RANK -9223372036854775808 stays negative,
    // so every match qualifies and COUNT never stops the scan. Wrapping arithmetic keeps that.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let key = ctx.arg(1);
    let mut db = ctx.lock();
    let list = match db.get_read(key).map(|e| &e.value) {
        None if count.is_some() => return ctx.out.array(0),
        None => return ctx.out.null(),
        Some(Value::List(l)) => l,
        Some(_) => return ctx.wrong_type(),
    };
    let needle = Needle::new(ctx.arg(2));
    let len = list.len();
    let scan = if maxlen == 0 {
        len
    } else {
        len.min(maxlen as usize)
    };
    let mut found = Vec::new();
    let mut matches = 0i64;
    let mut visit = |index: usize, e: super::entry::Elem| -> bool {
        if !needle.matches(&e) {
            return true;
        }
        matches += 1;
        if matches < rank {
            return true;
        }
        let at = if from_tail { len - index - 1 } else { index };
        found.push(at as i64);
        match count {
            None => false,
            Some(c) => !(c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c),
        }
    };
    if from_tail {
        for (i, e) in list
            .iter_rev_from(len.saturating_sub(1))
            .take(scan)
            .enumerate()
        {
            if !visit(i, e) {
                break;
            }
        }
    } else {
        for (i, e) in list.iter().take(scan).enumerate() {
            if !visit(i, e) {
                break;
            }
        }
    }
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for at in found {
                ctx.out.int(at);
            }
        }
        None => match found.first() {
            Some(&at) => ctx.out.int(at),
            None => ctx.out.null(),
        },
    }
}
