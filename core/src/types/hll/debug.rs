//! PFDEBUG (GETREG, DECODE, ENCODING, TODENSE): Redis's command for looking inside an HLL.

use super::layout::{self, Encoding, HllError, HDR, REGISTERS};
use super::{dense, hll_mut, ops, sparse};
use crate::command::Ctx;

/// PFDEBUG subcommand key
pub fn pfdebug(ctx: &mut Ctx) {
    let sub = ctx.arg(1);
    let key = ctx.arg(2);
    let mut db = ctx.lock();
    let Some(entry) = db.get(key) else {
        drop(db);
        return ctx.error("ERR The specified key does not exist");
    };
    let v = match hll_mut(&mut entry.value) {
        Ok(v) => v,
        Err(e) => {
            drop(db);
            return ctx.error(e.message());
        }
    };
    let mut converted = false;
    let reply: Result<(), HllError> = match sub.to_ascii_lowercase().as_slice() {
        b"getreg" => ops::to_dense(v).map(|c| {
            converted = c;
            ctx.out.array(REGISTERS);
            for i in 0..REGISTERS {
                ctx.out.int(i64::from(dense::get(&v[HDR..], i)));
            }
        }),
        b"decode" => {
            if layout::encoding(v) != Encoding::Sparse {
                drop(db);
                return ctx.error("ERR HLL encoding is not sparse");
            }
            ctx.out.bulk(sparse::decode(&v[HDR..]).as_bytes());
            Ok(())
        }
        b"encoding" => {
            ctx.out.simple(match layout::encoding(v) {
                Encoding::Dense => b"dense",
                Encoding::Sparse => b"sparse",
            });
            Ok(())
        }
        b"todense" => ops::to_dense(v).map(|c| {
            converted = c;
            ctx.out.int(i64::from(c));
        }),
        _ => {
            drop(db);
            // Quoted as C's %s prints it: up to a NUL byte.
            let name = sub.split(|&b| b == 0).next().unwrap_or_default();
            let mut msg = b"ERR Unknown PFDEBUG subcommand '".to_vec();
            msg.extend_from_slice(name);
            msg.push(b'\'');
            return ctx.error_bytes(&msg);
        }
    };
    drop(db);
    if let Err(e) = reply {
        return ctx.error(e.message());
    }
    if converted {
        // Redis propagates the encoding change but does not signal the key modified.
        ctx.propagate_as(ctx.args.to_vec());
        ctx.modified = Some(smallvec::SmallVec::new());
    } else {
        ctx.unchanged();
    }
}
