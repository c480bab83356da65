//! HRANDFIELD: random fields, distinct (positive count) or with repeats (negative count).

use super::hash_value::Hash;
use super::{read, Found};
use crate::command::Ctx;
use crate::resp::ReplyWriter;

/// Redis's bounds for a count with WITHVALUES (the reply holds twice as many items).
const WITHVALUES_MAX: i64 = i64::MAX / 2;

/// Beyond Redis: a repeated-pick reply is refused (ERR value is out of range) when it would
/// take more than this many bytes. Redis would try to build it and exhaust memory.
const MAX_REPEAT_REPLY: u64 = 512 << 20;

/// Repeated picks up to this count are always served without estimating the reply size.
const SMALL_REPEAT: u64 = 1 << 16;

/// HRANDFIELD key [count [WITHVALUES]]
pub fn hrandfield(ctx: &mut Ctx) {
    if ctx.args.len() < 3 {
        return single(ctx);
    }
    let Some(count) = ctx.int_arg(2) else { return };
    if count == i64::MIN {
        return ctx.error(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        );
    }
    let n = ctx.args.len();
    if n > 4 || (n == 4 && !ctx.arg(3).eq_ignore_ascii_case(b"withvalues")) {
        return ctx.syntax_error();
    }
    let withvalues = n == 4;
    if withvalues && !(-WITHVALUES_MAX..=WITHVALUES_MAX).contains(&count) {
        return ctx.error("ERR value is out of range");
    }
    with_count(ctx, count, withvalues);
}

/// HRANDFIELD key: one field or nil.
fn single(ctx: &mut Ctx) {
    let mut db = ctx.lock();
    match read(&mut db, ctx.arg(1)) {
        Found::Missing => ctx.out.null(),
        Found::WrongType => ctx.wrong_type(),
        Found::Hash(h) => {
            let idx = ctx.server.rng.lock().usize(..h.len());
            match h.get_index(idx) {
                Some((f, _)) => ctx.out.bulk(f),
                None => ctx.out.null(),
            }
        }
    }
}

/// Writes one picked pair.
fn reply_pair(out: &mut ReplyWriter, pair: (&[u8], &[u8]), withvalues: bool) {
    if withvalues && out.resp3 {
        out.array(2);
    }
    out.bulk(pair.0);
    if withvalues {
        out.bulk(pair.1);
    }
}

/// The array header for `picks` picks.
fn header(out: &mut ReplyWriter, picks: usize, withvalues: bool) {
    // RESP3 nests each field/value pair in an array of 2; RESP2 flattens them.
    if withvalues && !out.resp3 {
        out.array(picks * 2);
    } else {
        out.array(picks);
    }
}

/// An upper bound of the reply bytes of one pick.
fn pick_reply_bound(h: &Hash, withvalues: bool) -> u64 {
    let longest = h
        .iter()
        .map(|(f, v)| f.len() + if withvalues { v.len() } else { 0 })
        .max()
        .unwrap_or(0);
    // Two bulk headers of at most 16 bytes each, and a pair header.
    longest as u64 + 40
}

fn with_count(ctx: &mut Ctx, count: i64, withvalues: bool) {
    let mut db = ctx.lock();
    let h = match read(&mut db, ctx.arg(1)) {
        Found::Missing => return ctx.out.array(0),
        Found::WrongType => return ctx.wrong_type(),
        Found::Hash(h) => h,
    };
    let size = h.len();
    let distinct = count >= 0;
    let count = count.unsigned_abs();
    if count == 0 {
        return ctx.out.array(0);
    }
    // The packed form is walked once into a slice so picks are constant time.
    let packed: Vec<(&[u8], &[u8])> = match h {
        Hash::Packed(p) => p.iter().collect(),
        Hash::Table(_) => Vec::new(),
    };
    let at = |i: usize| match h {
        Hash::Packed(_) => packed.get(i).copied(),
        Hash::Table(t) => t.get_index(i),
    };
    let mut rng = ctx.server.rng.lock();
    if !distinct || count == 1 {
        let bound = count.saturating_mul(pick_reply_bound(h, withvalues));
        let hard = ctx.client.output_hard_limit;
        if count > SMALL_REPEAT && hard > 0 && bound > hard {
            // Redis would build the reply until the client went over its output limit, then
            // close it; the outcome is the same without building it.
            drop(rng);
            ctx.client.handle.close_over_limit();
            return;
        }
        if count > SMALL_REPEAT && bound > MAX_REPEAT_REPLY {
            drop(rng);
            return ctx.error("ERR value is out of range");
        }
        // Bounded by MAX_REPEAT_REPLY above.
        let count = count as usize;
        header(ctx.out, count, withvalues);
        for _ in 0..count {
            if let Some(pair) = at(rng.usize(..size)) {
                reply_pair(ctx.out, pair, withvalues);
            }
        }
        return;
    }
    if count >= size as u64 {
        header(ctx.out, size, withvalues);
        for pair in h.iter() {
            reply_pair(ctx.out, pair, withvalues);
        }
        return;
    }
    // count < size from here, so it fits a usize.
    let count = count as usize;
    let picks: Vec<usize> = if count * 3 > size {
        // Most of the hash: a partial shuffle of every position.
        let mut idx: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = rng.usize(i..size);
            idx.swap(i, j);
        }
        idx.truncate(count);
        idx
    } else {
        // A small part of a big hash: draw until enough distinct positions.
        let mut seen = std::collections::HashSet::with_capacity(count);
        let mut picks = Vec::with_capacity(count);
        while picks.len() < count {
            let i = rng.usize(..size);
            if seen.insert(i) {
                picks.push(i);
            }
        }
        picks
    };
    drop(rng);
    header(ctx.out, count, withvalues);
    for i in picks {
        if let Some(pair) = at(i) {
            reply_pair(ctx.out, pair, withvalues);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn hrandfield_that_would_pass_the_output_limit_closes_the_client() {
        let srv = server();
        srv.config.write().client_output_buffer_limit[0] = crate::config::ObufLimit {
            hard: 1_000_000,
            soft: 0,
            soft_seconds: 0,
        };
        let mut c = TestClient::new(&srv);
        c.cmd(&["HSET", "h", "a", "b"]);
        assert_eq!(c.cmd(&["HRANDFIELD", "h", "-999999999"]), "");
        assert!(c.session.is_closing());
        let mut d = TestClient::new(&srv);
        assert_eq!(
            d.cmd(&["HRANDFIELD", "h", "-2"]),
            "*2\r\n$1\r\na\r\n$1\r\na\r\n"
        );
    }
}
