//! Numbers as lua-cjson writes and reads them: C's `printf("%.<precision>g")` and `strtod`
//! (glibc's, in the "C" locale), so that text matches byte for byte.

use std::fmt::Write;

/// Appends `x` formatted as C's `%.{prec}g` (1 <= prec <= 17): `prec` significant digits,
/// exponent form when the decimal exponent is below -4 or at least `prec`, trailing zeros
/// dropped, "inf"/"nan" with their sign. Rounding is to nearest with ties to even on the exact
/// binary value, as glibc does.
pub fn format_g(out: &mut Vec<u8>, x: f64, prec: usize, scratch: &mut String) {
    let prec = prec.clamp(1, 17);
    if x.is_nan() {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if x.is_infinite() {
        out.extend_from_slice(if x < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    // Integers with at most `prec` digits print in full.
    if x.fract() == 0.0 && x.abs() < 10f64.powi(prec as i32) {
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(x as i64).as_bytes());
        return;
    }
    scratch.clear();
    // Rust's exact formatting rounds half to even, as glibc's printf does.
    let _ = write!(scratch, "{:.*e}", prec - 1, x);
    let s = scratch.as_bytes();
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let epos = s.iter().position(|&c| c == b'e').unwrap_or(s.len());
    let exp: i32 = std::str::from_utf8(&s[(epos + 1).min(s.len())..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    // The significant digits, without the point.
    let mut digits = [0u8; 17];
    let mut nd = 0;
    for &c in &s[..epos] {
        if c.is_ascii_digit() && nd < digits.len() {
            digits[nd] = c;
            nd += 1;
        }
    }
    if neg {
        out.push(b'-');
    }
    if exp < -4 || exp >= prec as i32 {
        // d.ddd without trailing zeros, then e±XX.
        let mut last = nd;
        while last > 1 && digits[last - 1] == b'0' {
            last -= 1;
        }
        out.push(digits[0]);
        if last > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..last]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        let mut b = itoa::Buffer::new();
        out.extend_from_slice(b.format(a).as_bytes());
    } else {
        // Fixed notation with prec - 1 - exp decimals, trailing zeros dropped.
        let mut last = nd;
        let int_digits = if exp >= 0 { exp as usize + 1 } else { 0 };
        while last > int_digits && digits[last - 1] == b'0' {
            last -= 1;
        }
        if exp >= 0 {
            out.extend_from_slice(&digits[..int_digits.min(nd)]);
            if last > int_digits {
                out.push(b'.');
                out.extend_from_slice(&digits[int_digits..last]);
            }
        } else {
            out.extend_from_slice(b"0.");
            for _ in 0..(-exp - 1) {
                out.push(b'0');
            }
            out.extend_from_slice(&digits[..last]);
        }
    }
}

fn lower(c: u8) -> u8 {
    c | 0x20
}

fn starts_with_nocase(s: &[u8], word: &[u8]) -> bool {
    s.len() >= word.len() && s.iter().zip(word).all(|(&a, &b)| lower(a) == b)
}

/// C's `strtod` on `s`: the value of the longest prefix that is a number, and that prefix's
/// length; `None` when no prefix is (C's `endptr == nptr`). Accepts what glibc accepts: a sign,
/// decimal with optional fraction and exponent, hexadecimal (`0x`, with optional `p` binary
/// exponent), `inf`, `infinity`, `nan` and `nan(chars)`, in any case.
pub fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    while matches!(at(i), b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = at(i) == b'-';
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    let sign = |v: f64| if neg { -v } else { v };
    let rest = &s[i.min(s.len())..];
    if starts_with_nocase(rest, b"inf") {
        let n = if starts_with_nocase(rest, b"infinity") {
            8
        } else {
            3
        };
        return Some((sign(f64::INFINITY), i + n));
    }
    if starts_with_nocase(rest, b"nan") {
        let mut end = i + 3;
        if at(end) == b'(' {
            let mut j = end + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                end = j + 1;
            }
        }
        return Some((sign(f64::NAN), end));
    }
    if at(i) == b'0' && lower(at(i + 1)) == b'x' {
        if let Some((v, n)) = hex(&s[i + 2..]) {
            return Some((sign(v), i + 2 + n));
        }
        // "0x" without hex digits is the number 0 followed by an 'x'.
        return Some((sign(0.0), i + 1));
    }
    let start = i;
    let mut digits = 0;
    while at(i).is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if at(i) == b'.' {
        i += 1;
        while at(i).is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return None;
    }
    if lower(at(i)) == b'e' {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let text = std::str::from_utf8(&s[start..i]).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((sign(v), i))
}

/// The hexadecimal part of a number after "0x": mantissa digits with an optional point, then an
/// optional binary exponent; correctly rounded to nearest, ties to even.
fn hex(s: &[u8]) -> Option<(f64, usize)> {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut digits = 0;
    let mut seen_point = false;
    loop {
        let c = at(i);
        if c == b'.' && !seen_point {
            seen_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else {
            break;
        };
        digits += 1;
        if mant >> 60 == 0 {
            mant = (mant << 4) | u64::from(d);
            if seen_point {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_point {
                exp += 4;
            }
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if lower(at(i)) == b'p' {
        let mut j = i + 1;
        let eneg = at(j) == b'-';
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            let mut e: i64 = 0;
            while at(j).is_ascii_digit() {
                e = (e * 10 + i64::from(at(j) - b'0')).min(1 << 40);
                j += 1;
            }
            exp += if eneg { -e } else { e };
            i = j;
        }
    }
    Some((scale_binary(mant, exp, sticky), i))
}

/// `mant * 2^exp` (plus a nonzero tail below `mant`'s last bit when `sticky`), rounded to the
/// nearest double, ties to even.
fn scale_binary(mant: u64, exp: i64, sticky: bool) -> f64 {
    if mant == 0 {
        return 0.0;
    }
    let lz = i64::from(mant.leading_zeros());
    let m = u128::from(mant) << lz; // top bit at position 63
    let e = exp - lz + 63; // value = m / 2^63 * 2^e
    if e > 1023 {
        return f64::INFINITY;
    }
    // Bits of `m` below the kept 53 (more for subnormals).
    let drop = if e >= -1022 { 11 } else { 11 + (-1022 - e) };
    if drop > 66 {
        return 0.0;
    }
    let drop = drop as u32;
    let kept = m >> drop;
    let rem = m & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    let up = rem > half || (rem == half && (sticky || kept & 1 == 1));
    let mut kept = kept as u64 + u64::from(up);
    let mut e = e;
    if e >= -1022 {
        if kept == 1 << 53 {
            kept >>= 1;
            e += 1;
            if e > 1023 {
                return f64::INFINITY;
            }
        }
        f64::from_bits((((e + 1023) as u64) << 52) | (kept & ((1 << 52) - 1)))
    } else {
        // Subnormal (or rounded up to the smallest normal, which the same bits encode).
        f64::from_bits(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::{format_g, strtod};

    fn g(x: f64, prec: usize) -> String {
        let mut out = Vec::new();
        format_g(&mut out, x, prec, &mut String::new());
        String::from_utf8(out).unwrap_or_default()
    }

    /// Expected texts are glibc's printf("%.<prec>g").
    #[test]
    fn formats_like_printf_g() {
        assert_eq!(g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(g(1e14, 14), "1e+14");
        assert_eq!(g(99999999999999.0, 14), "99999999999999");
        assert_eq!(g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(g(0.0001, 14), "0.0001");
        assert_eq!(g(0.00001, 14), "1e-05");
        assert_eq!(g(-0.0, 14), "-0");
        assert_eq!(g(5e-324, 14), "4.9406564584125e-324");
        assert_eq!(g(1e300, 14), "1e+300");
        assert_eq!(g(f64::INFINITY, 14), "inf");
        assert_eq!(g(f64::NEG_INFINITY, 14), "-inf");
        assert_eq!(g(f64::NAN, 14), "nan");
        assert_eq!(g(-f64::NAN, 14), "-nan");
        // Ties on the exact binary value go to even.
        assert_eq!(g(0.25, 1), "0.2");
        assert_eq!(g(2.5, 1), "2");
        assert_eq!(g(3.5, 1), "4");
        assert_eq!(g(0.125, 2), "0.12");
        assert_eq!(g(0.375, 2), "0.38");
        assert_eq!(g(9.5, 1), "1e+01");
        assert_eq!(g(12345.0, 2), "1.2e+04");
        assert_eq!(g(99999.5, 5), "1e+05");
    }

    #[test]
    fn strtod_prefixes() {
        assert_eq!(strtod(b"12.5e3xyz"), Some((12500.0, 6)));
        assert_eq!(strtod(b"1e"), Some((1.0, 1)));
        assert_eq!(strtod(b"1e+"), Some((1.0, 1)));
        assert_eq!(strtod(b"1.5.3"), Some((1.5, 3)));
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b".5"), Some((0.5, 2)));
        assert_eq!(strtod(b"."), None);
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"0x1p3"), Some((8.0, 5)));
        assert_eq!(strtod(b"0x1p"), Some((1.0, 3)));
        assert_eq!(strtod(b"-0x10p-2"), Some((-4.0, 8)));
        assert_eq!(strtod(b"infinity"), Some((f64::INFINITY, 8)));
        assert_eq!(strtod(b"-Infinit"), Some((f64::NEG_INFINITY, 4)));
        let (n, len) = strtod(b"nan(abc)x").unwrap_or((0.0, 0));
        assert!(n.is_nan() && len == 8);
        let (n, len) = strtod(b"nan(abc").unwrap_or((0.0, 0));
        assert!(n.is_nan() && len == 3);
        assert_eq!(
            strtod(b"0x1.fffffffffffff8p1023"),
            Some((f64::INFINITY, 23))
        );
        assert_eq!(strtod(b"0x1p-1075"), Some((0.0, 9)));
        assert_eq!(strtod(b"0x1.8p-1074"), Some((2.0 * 5e-324, 11)));
        assert_eq!(strtod(b"1e400"), Some((f64::INFINITY, 5)));
    }
}
