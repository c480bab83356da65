//! Number parsing and formatting with Redis's exact acceptance rules and spellings.

/// Longest accepted integer text: Redis rejects 21+ bytes before looking at them.
const MAX_INT_CHARS: usize = 20;
/// Longest accepted float text (Redis's MAX_LONG_DOUBLE_CHARS buffer, minus its NUL).
const MAX_FLOAT_CHARS: usize = 5 * 1024 - 1;

/// Parses the digits of a strict Redis integer body (no sign) into a u64.
fn strict_digits(d: &[u8]) -> Option<u64> {
    match d {
        [b'0'] => return Some(0),
        [b'1'..=b'9', ..] => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Parses a signed 64-bit integer as strictly as Redis's `string2ll`.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > MAX_INT_CHARS {
        return None;
    }
    match s.split_first() {
        // "-0" is rejected because a zero must be written as exactly "0".
        Some((b'-', rest)) if rest.first() != Some(&b'0') => {
            let v = strict_digits(rest)?;
            0i64.checked_sub_unsigned(v)
        }
        Some((b'-', _)) => None,
        _ => i64::try_from(strict_digits(s)?).ok(),
    }
}

/// Parses an unsigned 64-bit integer with `string2ll`'s strictness (no sign at all).
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > MAX_INT_CHARS {
        return None;
    }
    strict_digits(s)
}

/// Parses a SCAN cursor the way Redis does it, with C's `strtoul`: a leading `+` or `-`,
/// leading zeros and an empty string (cursor 0) are accepted; `-N` wraps to 2^64-N.
pub fn parse_scan_cursor(s: &[u8]) -> Option<u64> {
    // Redis hands strtoul a C string, so an embedded NUL ends the text.
    let s = match s.iter().position(|&b| b == 0) {
        Some(n) => &s[..n],
        None => s,
    };
    let (neg, digits) = match s.split_first() {
        None => return Some(0),
        Some((b'+', rest)) => (false, rest),
        Some((b'-', rest)) => (true, rest),
        Some(_) => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &c in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Would C's `strtold` report this magnitude as out of range (ERANGE with inf or zero)?
/// `lead` in [0.1, 1) and `exp10` describe the value as lead × 10^exp10.
fn long_double_out_of_range(lead: f64, exp10: i64) -> bool {
    // LDBL_MAX ≈ 0.11897e4933; below half the smallest subnormal (≈ 0.18226e-4950) is 0.
    (exp10, lead) > (4933, 0.118_973_149_535_723_18)
        || (exp10, lead) < (-4950, 0.182_259_976_594_123_73)
}

/// Parses a decimal float body (no sign); None unless it is a complete strtold number.
fn parse_decimal(s: &[u8]) -> Option<f64> {
    let digits_at = |mut i: usize| {
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let int_end = digits_at(0);
    let mut frac_end = int_end;
    if s.get(int_end) == Some(&b'.') {
        frac_end = digits_at(int_end + 1);
    }
    let mantissa_digits = int_end + frac_end.saturating_sub(int_end + 1);
    if mantissa_digits == 0 {
        return None;
    }
    let mut i = frac_end;
    let mut exp: i64 = 0;
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        let neg = take_sign(s, &mut j);
        let end = digits_at(j);
        if end == j {
            return None;
        }
        for &c in &s[j..end] {
            exp = exp.saturating_mul(10).saturating_add(i64::from(c - b'0'));
        }
        if neg {
            exp = -exp;
        }
        i = end;
    }
    if i != s.len() {
        return None;
    }
    let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
    // Find the first significant digit to know the magnitude strtold would see.
    let mantissa = || s[..frac_end].iter().filter(|c| c.is_ascii_digit());
    if let Some(pos) = mantissa().position(|&c| c != b'0') {
        let lead: f64 = mantissa()
            .skip(pos)
            .take(18)
            .fold((0.0, 0.1), |(acc, scale), &c| {
                (acc + f64::from(c - b'0') * scale, scale / 10.0)
            })
            .0;
        let exp10 = exp.saturating_add(int_end as i64 - pos as i64);
        if long_double_out_of_range(lead, exp10) {
            return None;
        }
    }
    Some(v)
}

/// Parses a hexadecimal float body after "0x" (C99 `%a` syntax), rounding to nearest f64.
fn parse_hex(s: &[u8]) -> Option<f64> {
    let mut mant: u64 = 0;
    let mut sticky = false;
    // Binary exponent adjustment from digits dropped or found after the point.
    let mut shift: i64 = 0;
    let mut seen_digit = false;
    let mut after_point = false;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let d = match c {
            b'.' if !after_point => {
                after_point = true;
                i += 1;
                continue;
            }
            _ => match (c as char).to_digit(16) {
                Some(d) => u64::from(d),
                None => break,
            },
        };
        seen_digit = true;
        if mant >> 60 == 0 {
            mant = mant << 4 | d;
            if after_point {
                shift -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_point {
                shift += 4;
            }
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let neg = take_sign(s, &mut j);
        let start = j;
        let mut e: i64 = 0;
        while let Some(c) = s.get(j).filter(|c| c.is_ascii_digit()) {
            e = e.saturating_mul(10).saturating_add(i64::from(c - b'0'));
            j += 1;
        }
        if j == start {
            return None;
        }
        shift = shift.saturating_add(if neg { -e } else { e });
        i = j;
    }
    if i != s.len() {
        return None;
    }
    if mant == 0 {
        return Some(0.0);
    }
    // Value is mant × 2^shift; its top bit sits at 2^(bits-1+shift).
    let bits = 64 - i64::from(mant.leading_zeros());
    let top = shift.saturating_add(bits - 1);
    // Out of long double range: strtold would overflow, or round to zero (an exact half of
    // the smallest subnormal, 2^-16446, rounds to even, i.e. zero).
    let exact_half_min = top == -16446 && mant.is_power_of_two() && !sticky;
    if !(-16446..16384).contains(&top) || exact_half_min {
        return None;
    }
    Some(scale_round(mant, sticky, shift))
}

/// Rounds mant × 2^shift (plus a sticky "something nonzero below") to the nearest f64.
fn scale_round(mant: u64, sticky: bool, shift: i64) -> f64 {
    let bits = 64 - i64::from(mant.leading_zeros());
    let top = shift + bits - 1;
    if top > 1023 {
        return f64::INFINITY;
    }
    // Keep 53 significant bits, fewer when the result is subnormal (unit 2^-1074).
    let keep = if top < -1022 { 53 - (-1022 - top) } else { 53 };
    let drop = bits - keep;
    if drop <= 0 {
        return mant as f64 * pow2(shift);
    }
    if drop > 64 {
        return 0.0;
    }
    let (kept, rest) = if drop == 64 {
        (0u64, mant)
    } else {
        (mant >> drop, mant & ((1u64 << drop) - 1))
    };
    let half = 1u64 << (drop - 1);
    let round_up = rest > half || (rest == half && (sticky || kept & 1 == 1));
    let kept = kept + u64::from(round_up);
    kept as f64 * pow2(shift + drop)
}

/// 2^e as an f64, split in two steps so intermediate results stay finite and exact.
fn pow2(e: i64) -> f64 {
    let step = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    if e > 1023 {
        step(1023) * step((e - 1023).min(1023))
    } else if e < -1022 {
        step(-1022) * step((e + 1022).max(-1022))
    } else {
        step(e)
    }
}

/// Parses a float the way Redis's `string2ld` (strtold) accepts it for INCRBYFLOAT/HINCRBYFLOAT.
/// Infinity is returned as such (the command reports it); NaN and garbage give None.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() > MAX_FLOAT_CHARS {
        return None;
    }
    let (neg, body) = match s[0] {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        f64::INFINITY
    } else if body.len() > 2 && body[0] == b'0' && matches!(body[1], b'x' | b'X') {
        parse_hex(&body[2..])?
    } else {
        parse_decimal(body)?
    };
    Some(if neg { -v } else { v })
}

/// Formats an INCRBYFLOAT result like Redis's human-friendly long double printing:
/// fixed notation, at most 17 fractional digits, no trailing zeros, "-0" as "0".
pub fn format_long_double(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let shortest = format!("{v}");
    let frac_len = shortest.find('.').map_or(0, |dot| shortest.len() - dot - 1);
    let mut out = if frac_len > 17 {
        let mut s = format!("{v:.17}");
        let trimmed = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(trimmed);
        s
    } else {
        shortest
    };
    if out == "-0" {
        out = "0".to_string();
    }
    out
}

/// Formats a double like C's `printf("%.17g")`, as Redis replies doubles and scores.
pub fn format_double(v: f64) -> String {
    format_g(v, 17)
}

/// Formats a double like C's `printf("%.<precision>g")` (Lua prints numbers with "%.14g").
pub fn format_g(v: f64, precision: usize) -> String {
    let precision = precision.max(1);
    // Integral values print as integers while they fit in the precision: the common case
    // (scripts pass counts and TTLs as Lua numbers), without the float formatter.
    if v.fract() == 0.0 && v.abs() < 1e15 && v != 0.0 {
        let i = v as i64;
        let digits = if i == 0 {
            1
        } else {
            i.unsigned_abs().ilog10() as usize + 1
        };
        if digits <= precision {
            return itoa::Buffer::new().format(i).to_string();
        }
    }
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let sci = format!("{:.*e}", precision - 1, v.abs());
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let mut out = String::with_capacity(32);
    if v < 0.0 {
        out.push('-');
    }
    let push_digits = |out: &mut String, d: &[u8]| out.extend(d.iter().map(|&c| c as char));
    if (-4..precision as i32).contains(&exp) {
        let mut frac: Vec<u8> = Vec::with_capacity(24);
        if exp >= 0 {
            let int_len = (exp as usize + 1).min(digits.len());
            push_digits(&mut out, &digits[..int_len]);
            frac.extend_from_slice(&digits[int_len..]);
        } else {
            out.push('0');
            frac.resize((-exp - 1) as usize, b'0');
            frac.extend_from_slice(&digits);
        }
        while frac.last() == Some(&b'0') {
            frac.pop();
        }
        if !frac.is_empty() {
            out.push('.');
            push_digits(&mut out, &frac);
        }
    } else {
        let mut d = digits.as_slice();
        while d.len() > 1 && d.last() == Some(&b'0') {
            d = &d[..d.len() - 1];
        }
        push_digits(&mut out, &d[..1.min(d.len())]);
        if d.len() > 1 {
            out.push('.');
            push_digits(&mut out, &d[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    }
    out
}

/// Consumes an optional exponent sign at `s[*j]`; true when it is '-'.
fn take_sign(s: &[u8], j: &mut usize) -> bool {
    match s.get(*j) {
        Some(b'-') => {
            *j += 1;
            true
        }
        Some(b'+') => {
            *j += 1;
            false
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i64_strictness() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"123"), Some(123));
        assert_eq!(parse_i64(b"-123"), Some(-123));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b"-0",
            b"00",
            b"01",
            b" 1",
            b"1 ",
            b"1a",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"-00000000000000000001",
            b"1.0",
            b"\x001",
        ] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
        // 20 characters is the cap, even for a value that would fit.
        assert_eq!(
            parse_i64(b"-1000000000000000000"),
            Some(-1_000_000_000_000_000_000)
        );
    }

    #[test]
    fn u64_strictness() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b""[..],
            b"18446744073709551616",
            b"-1",
            b"+1",
            b"01",
            b"1 ",
        ] {
            assert_eq!(parse_u64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scan_cursor_follows_strtoul() {
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"+5"), Some(5));
        assert_eq!(parse_scan_cursor(b"007"), Some(7));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"1\0x"), Some(1));
        for bad in [
            &b"18446744073709551616"[..],
            b" 1",
            b"1 ",
            b"+",
            b"-",
            b"0x10",
            b"\t1",
        ] {
            assert_eq!(parse_scan_cursor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn f64_accepts_what_incrbyfloat_accepts() {
        let cases: &[(&[u8], f64)] = &[
            (b"1", 1.0),
            (b"+1.5", 1.5),
            (b"-1.5", -1.5),
            (b".5", 0.5),
            (b"5.", 5.0),
            (b"-.5", -0.5),
            (b"1e3", 1000.0),
            (b"1E+3", 1000.0),
            (b"1.e3", 1000.0),
            (b"1e-3", 0.001),
            (b"00012", 12.0),
            (b"0x10", 16.0),
            (b"0X1P-2", 0.25),
            (b"0x1.8p1", 3.0),
            (b"0x.8", 0.5),
            (b"-0x1p3", -8.0),
            (b"0e99999999999999999999", 0.0),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_f64(s), Some(want), "{s:?}");
        }
        for s in [&b"inf"[..], b"+INF", b"Infinity", b"1e400"] {
            assert_eq!(parse_f64(s), Some(f64::INFINITY), "{s:?}");
        }
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"-0").map(f64::is_sign_negative), Some(true));
        assert_eq!(parse_f64(b"1e-310"), Some(1e-310));
    }

    #[test]
    fn f64_rejects_what_incrbyfloat_rejects() {
        for bad in [
            &b""[..],
            b"-",
            b"+",
            b".",
            b".e3",
            b"e3",
            b"1e",
            b"1e+",
            b" 1",
            b"1 ",
            b"\t1",
            b"1x",
            b"0x",
            b"0x.",
            b"0x1p",
            b"nan",
            b"-NaN",
            b"infinit",
            b"1_000",
            b"1,5",
            b"1\0",
            b"+-1",
            b"1e5000",
            b"1e-5000",
            b"0x1p16384",
            b"0x1p-16446",
        ] {
            assert_eq!(parse_f64(bad), None, "{bad:?}");
        }
        let mut long = b"1.".to_vec();
        long.resize(5119, b'0');
        assert_eq!(parse_f64(&long), Some(1.0));
        long.push(b'0');
        assert_eq!(parse_f64(&long), None);
    }

    #[test]
    fn hex_rounding_and_subnormals() {
        assert_eq!(parse_f64(b"0x1.00000000000008p0"), Some(1.0));
        assert_eq!(
            parse_f64(b"0x1.00000000000018p0"),
            Some(1.0 + 2.0 * f64::EPSILON)
        );
        assert_eq!(
            parse_f64(b"0x1.000000000000080001p0"),
            Some(1.0 + f64::EPSILON)
        );
        assert_eq!(parse_f64(b"0x1p-1074"), Some(f64::from_bits(1)));
        assert_eq!(parse_f64(b"0x1p-1075"), Some(0.0));
        assert_eq!(parse_f64(b"0x1.8p-1075"), Some(f64::from_bits(1)));
        assert_eq!(parse_f64(b"0x1.fffffffffffffp1023"), Some(f64::MAX));
        assert_eq!(parse_f64(b"0x1p1024"), Some(f64::INFINITY));
    }

    #[test]
    fn long_double_formatting() {
        let add = |a: &[u8], b: &[u8]| match (parse_f64(a), parse_f64(b)) {
            (Some(x), Some(y)) => format_long_double(x + y),
            _ => String::from("parse error"),
        };
        assert_eq!(add(b"10.5", b"0.1"), "10.6");
        assert_eq!(add(b"5.0e3", b"2.0e2"), "5200");
        assert_eq!(add(b"0", b"1e-20"), "0");
        assert_eq!(add(b"0", b"-1e-20"), "0");
        assert_eq!(add(b"0", b"1.2345678901234567e-5"), "0.00001234567890123");
        assert_eq!(add(b"0", b"3.0000000000000004"), "3.0000000000000004");
        assert_eq!(add(b"0", b"1e17"), "100000000000000000");
        assert_eq!(format_long_double(-0.0), "0");
        assert_eq!(format_long_double(-1.5), "-1.5");
        let big = format_long_double(1.5e300);
        assert_eq!(big.len(), 301);
        assert!(big.starts_with("15000") && big.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(format_long_double(f64::INFINITY), "inf");
    }

    #[test]
    fn percent_17g() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (0.1, "0.10000000000000001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (1e-300, "1e-300"),
            (1.5e300, "1.5000000000000001e+300"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::from_bits(1), "4.9406564584124654e-324"),
            (3.0, "3"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_double(v), want, "{v:e}");
        }
    }
}
