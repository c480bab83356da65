//! ZSCAN.

use super::value::ZSet;
use super::zset_of;
use crate::command::Ctx;
use crate::types::scan_args::{self, ElementScan};
use crate::util::num::format_double;

/// A score as the packed form keeps it (Redis's d2string): integral values within
/// ±2^62 as plain integers, anything else as `%.17g`.
fn packed_score_text(s: f64) -> String {
    const LIMIT: f64 = (i64::MAX / 2) as f64;
    if s != 0.0 && s.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&s) {
        (s as i64).to_string()
    } else {
        format_double(s)
    }
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub fn zscan(ctx: &mut Ctx) {
    let Some(cursor) = ElementScan::cursor(ctx) else {
        return;
    };
    let mut db = ctx.lock();
    let z = match zset_of(db.get_read(ctx.arg(1))) {
        Err(_) => return ctx.wrong_type(),
        Ok(None) => return scan_args::reply_empty(ctx.out),
        Ok(Some(z)) => z,
    };
    let Some(scan) = ElementScan::options(ctx, cursor) else {
        return;
    };
    let mut owned: Vec<(&[u8], String)> = Vec::new();
    let next = match &**z {
        ZSet::Packed(p) => {
            for (m, s) in p.iter() {
                if scan.matches(m) {
                    owned.push((m, packed_score_text(s)));
                }
            }
            0
        }
        ZSet::Sorted(s) => {
            let (range, next) = scan.window(s.members.len());
            for i in range.rev() {
                if let Some(e) = s.members.get_index(i) {
                    if scan.matches(&e.member) {
                        owned.push((&e.member, format_double(e.score)));
                    }
                }
            }
            next
        }
    };
    let items: Vec<&[u8]> = owned.iter().flat_map(|(m, s)| [*m, s.as_bytes()]).collect();
    scan_args::reply(ctx.out, next, &items);
}
