//! LOLWUT [VERSION v] [...]: a little generative art, then the server version, as Redis
//! ends its output. Without VERSION (or for versions without art) only the version line is
//! printed, as Redis 7.0 does. The art is lode's own: for version 5, a field of slanted
//! strokes that grow more disordered down the page; for version 6, a skyline of blocks.

use super::hello::REDIS_VERSION;
use crate::command::{errors, Ctx, Handler};

/// The LOLWUT command.
pub const COMMANDS: &[(&str, Handler)] = &[("lolwut", lolwut)];

fn lolwut(ctx: &mut Ctx) {
    let mut version = 7;
    let mut first_arg = 1;
    if ctx.args.len() >= 3 && ctx.arg(1).eq_ignore_ascii_case(b"version") {
        let Some(v) = crate::util::num::parse_i64(ctx.arg(2)) else {
            return ctx.error(errors::NOT_INT);
        };
        version = v;
        first_arg = 3;
    }
    let mut params = Vec::new();
    // Only the versions with art take parameters; the others ignore any arguments.
    let takes_params = matches!(version, 5 | 6);
    for i in (first_arg..ctx.args.len()).filter(|_| takes_params) {
        let Some(v) = crate::util::num::parse_i64(ctx.arg(i)) else {
            return ctx.error(errors::NOT_INT);
        };
        params.push(v);
    }
    let p =
        |i: usize, default: i64, max: i64| params.get(i).copied().unwrap_or(default).clamp(1, max);
    let art = match version {
        5 => strokes(
            p(0, 66, 1000) as usize,
            p(1, 8, 200) as usize,
            p(2, 12, 200) as usize,
        ),
        6 => skyline(p(0, 80, 1000) as usize, p(1, 20, 1000) as usize),
        _ => String::new(),
    };
    let text = format!("{art}Redis ver. {REDIS_VERSION}\n");
    ctx.out.verbatim(b"txt", text.as_bytes());
}

/// A small deterministic pseudo-random sequence, so the art is the same on every call.
fn noise(seed: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 29)
}

fn strokes(cols: usize, per_row: usize, rows: usize) -> String {
    let width = cols.min(per_row * 4).max(1);
    let glyphs = ['/', '\\', '|', '-'];
    let mut s = String::new();
    for r in 0..rows {
        for c in 0..width {
            // Upper rows are orderly; lower rows pick more often at random.
            let chaos = noise((r * 1000 + c) as u64) % (rows as u64 + 1);
            let g = if chaos < r as u64 {
                glyphs[(noise((r * 7 + c) as u64) % 4) as usize]
            } else {
                glyphs[(r + c) % 2]
            };
            s.push(g);
        }
        s.push('\n');
    }
    s.push_str("\nStrokes, after the plotter drawings of the 1960s. ");
    s
}

fn skyline(cols: usize, rows: usize) -> String {
    let heights: Vec<usize> = (0..cols)
        .map(|c| (noise((c / 3) as u64) % rows as u64) as usize)
        .collect();
    let mut s = String::new();
    for r in (0..rows).rev() {
        for h in &heights {
            s.push(if *h > r { '#' } else { ' ' });
        }
        s.push('\n');
    }
    s.push_str("A city at night, in blocks. ");
    s
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    #[test]
    fn lolwut_versions() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["LOLWUT"]), "$18\r\nRedis ver. 7.0.15\n\r\n");
        assert_eq!(c.cmd(&["LOLWUT", "foo"]), "$18\r\nRedis ver. 7.0.15\n\r\n");
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "5", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "1"]),
            "$18\r\nRedis ver. 7.0.15\n\r\n"
        );
        assert_eq!(
            c.cmd(&["LOLWUT", "VERSION", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        let v5 = c.cmd(&["LOLWUT", "VERSION", "5", "10", "2", "3"]);
        assert!(v5.ends_with(" Redis ver. 7.0.15\n\r\n"), "{v5}");
        let v6 = c.cmd(&["lolwut", "version", "6"]);
        assert!(v6.ends_with(" Redis ver. 7.0.15\n\r\n"));
    }
}
