//! BITFIELD and the bit commands on random operation sequences: every reply and the raw
//! strings they leave must equal redis-server's.

use crate::{pick, rng, Pair};

/// A random field type, biased towards the edges (1 bit, 63/64 bits, byte widths).
fn field_type(r: &mut fastrand::Rng) -> String {
    let signed = r.bool();
    let max = if signed { 64 } else { 63 };
    let bits = match r.u8(0..6) {
        0 => 1,
        1 => max,
        2 => pick(r, &[8, 16, 32]),
        _ => r.u32(1..=max),
    };
    format!("{}{bits}", if signed { 'i' } else { 'u' })
}

/// A random value, often near a power of two or at the i64 extremes.
fn value(r: &mut fastrand::Rng) -> i64 {
    match r.u8(0..5) {
        0 => pick(r, &[i64::MIN, i64::MAX, -1, 0, 1]),
        1 => {
            let p = 1i64.wrapping_shl(r.u32(0..63));
            p + r.i64(-2..=2)
        }
        2 => -(1i64.wrapping_shl(r.u32(0..63))) + r.i64(-2..=2),
        3 => r.i64(-300..300),
        _ => r.i64(..),
    }
}

fn offset(r: &mut fastrand::Rng) -> String {
    if r.u8(0..4) == 0 {
        format!("#{}", r.u32(0..20))
    } else {
        r.u32(0..300).to_string()
    }
}

#[test]
fn bitfield_random_sequences_match_redis() {
    let Some(mut pair) = Pair::start("bitfield") else {
        return;
    };
    let mut r = rng("bitfield");
    let keys = ["bf:a", "bf:b", "bf:c"];
    for round in 0..1500 {
        let key = pick(&mut r, &keys);
        let read_only = r.u8(0..8) == 0;
        let mut cmd = vec![
            if read_only { "BITFIELD_RO" } else { "BITFIELD" }.to_string(),
            key.to_string(),
        ];
        for _ in 0..r.usize(1..6) {
            match r.u8(0..8) {
                0 => cmd.extend([
                    "OVERFLOW".into(),
                    pick(&mut r, &["WRAP", "SAT", "FAIL"]).to_string(),
                ]),
                1..=3 => cmd.extend(["GET".into(), field_type(&mut r), offset(&mut r)]),
                4 | 5 => cmd.extend([
                    "SET".into(),
                    field_type(&mut r),
                    offset(&mut r),
                    value(&mut r).to_string(),
                ]),
                _ => cmd.extend([
                    "INCRBY".into(),
                    field_type(&mut r),
                    offset(&mut r),
                    value(&mut r).to_string(),
                ]),
            }
        }
        pair.same(&cmd);
        if round % 10 == 0 {
            pair.same(&["GET", key]);
        }
    }
    for key in keys {
        pair.same(&["GET", key]);
    }
}

#[test]
fn bit_commands_random_sequences_match_redis() {
    let Some(mut pair) = Pair::start("bits") else {
        return;
    };
    let mut r = rng("bits");
    let keys = ["b:a", "b:b", "b:c", "b:missing"];
    for _ in 0..1500 {
        let key = pick(&mut r, &keys[..3]);
        let any = pick(&mut r, &keys);
        let (s, e) = (r.i64(-40..40).to_string(), r.i64(-40..40).to_string());
        let unit = pick(&mut r, &["BYTE", "BIT"]);
        match r.u8(0..9) {
            0..=2 => {
                let bit = r.u8(0..2).to_string();
                // Mostly short strings, some long enough for the word-at-a-time paths.
                let at = if r.u8(0..4) == 0 {
                    r.u32(0..3000)
                } else {
                    r.u32(0..400)
                };
                pair.same(&["SETBIT", key, &at.to_string(), &bit]);
            }
            3 => {
                pair.same(&["GETBIT", any, &r.u32(0..400).to_string()]);
            }
            4 => {
                pair.same(&["BITCOUNT", any, &s, &e, unit]);
            }
            5 => {
                let bit = r.u8(0..2).to_string();
                match r.u8(0..3) {
                    0 => pair.same(&["BITPOS", any, &bit]),
                    1 => pair.same(&["BITPOS", any, &bit, &s]),
                    _ => pair.same(&["BITPOS", any, &bit, &s, &e, unit]),
                };
            }
            6 => {
                let op = pick(&mut r, &["AND", "OR", "XOR"]);
                let dest = pick(&mut r, &keys[..3]);
                let (a, b) = (pick(&mut r, &keys), any);
                pair.same(&["BITOP", op, dest, a, b]);
            }
            7 => {
                let dest = pick(&mut r, &keys[..3]);
                pair.same(&["BITOP", "NOT", dest, any]);
            }
            _ => {
                pair.same(&["GET", any]);
            }
        }
    }
}
