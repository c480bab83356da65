//! KEYS, SCAN and RANDOMKEY.

use crate::command::Ctx;
use crate::keyspace::ScanFilter;
use crate::util::glob::string_match;
use crate::util::small_bytes::SmallBytes;

/// KEYS pattern: every live key matching the glob pattern. Expired keys are skipped but not
/// reclaimed, as in Redis.
pub(super) fn keys(ctx: &mut Ctx) {
    let pattern = ctx.arg(1);
    let all = pattern == b"*";
    let now = ctx.now.ms();
    // KEYS has no key arguments, so this locks every shard: a consistent snapshot.
    let mut db = ctx.lock();
    let mut found: Vec<&[u8]> = Vec::new();
    for shard in db.shards_mut() {
        for (key, entry) in shard.iter() {
            if (all || string_match(pattern, key, false)) && !entry.is_expired(now) {
                found.push(key);
            }
        }
    }
    ctx.out.array(found.len());
    for key in found {
        ctx.out.bulk(key);
    }
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]. The cursor format and its
/// guarantee are described in `keyspace::scan`.
pub(super) fn scan(ctx: &mut Ctx) {
    let Some(cursor) = crate::util::num::parse_scan_cursor(ctx.arg(1)) else {
        ctx.error("ERR invalid cursor");
        return;
    };
    let mut count: i64 = 10;
    let mut filter = ScanFilter {
        pattern: None,
        type_name: None,
    };
    let mut i = 2;
    while i < ctx.args.len() {
        let opt = ctx.arg(i);
        let has_value = i + 1 < ctx.args.len();
        if opt.eq_ignore_ascii_case(b"count") && has_value {
            let Some(n) = ctx.int_arg(i + 1) else {
                return;
            };
            if n < 1 {
                ctx.syntax_error();
                return;
            }
            count = n;
        } else if opt.eq_ignore_ascii_case(b"match") && has_value {
            let p = ctx.arg(i + 1);
            // Exactly "*" matches everything: skip the matcher, as Redis does.
            filter.pattern = (p != b"*").then_some(p);
        } else if opt.eq_ignore_ascii_case(b"type") && has_value {
            filter.type_name = Some(ctx.arg(i + 1));
        } else {
            ctx.syntax_error();
            return;
        }
        i += 2;
    }
    let mut keys: Vec<SmallBytes> = Vec::new();
    let next = ctx.server.keyspace.scan(
        ctx.client.db,
        cursor,
        usize::try_from(count).unwrap_or(usize::MAX),
        ctx.now.ms(),
        &filter,
        &mut keys,
        Some(ctx.server),
    );
    ctx.out.array(2);
    let mut tmp = itoa::Buffer::new();
    ctx.out.bulk(tmp.format(next).as_bytes());
    ctx.out.array(keys.len());
    for key in &keys {
        ctx.out.bulk(key);
    }
}

/// RANDOMKEY: a random live key of the selected database, nil when it has none.
pub(super) fn randomkey(ctx: &mut Ctx) {
    let server = ctx.server;
    // No key arguments: this locks every shard, so the draw can weigh shards by their size.
    let mut db = ctx.lock();
    match db.random_key(|n| server.rng.lock().usize(..n)) {
        Some(key) => ctx.out.bulk(&key),
        None => ctx.out.null(),
    }
}
