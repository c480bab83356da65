//! INCRBYFLOAT's arithmetic (and blocking commands' timeouts) in the x87 80-bit long double
//! Redis uses on x86-64 (64-bit significand), emulated exactly: correctly rounded parsing, one
//! correctly rounded addition or product, `ceill` to an integer, and `%.17Lf` printing. f64
//! would differ from Redis in plain cases (0.1 + 0.2 is "0.3" in Redis, 0.30000000000000004 in
//! f64) and for integers beyond 2^53.
//!
//! Decimal conversions go through [`Decimal`], so no big-integer division is needed.

use super::decimal::Decimal;
use crate::util::num::parse_f64;

/// Lowest exponent of the significand's last bit (the smallest subnormal is 2^-16445).
const MIN_LSB_EXP: i32 = -16445;
/// Highest exponent of the last bit of a finite value (largest is (2^64-1) * 2^16320).
const MAX_LSB_EXP: i32 = 16320;

/// A finite long double: (-1)^neg * mant * 2^exp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    mant: u64,
    exp: i32,
}

/// What a float argument turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A finite value.
    Finite(LongDouble),
    /// "inf", "-infinity" and the like (strtold accepts them; the sum then is not finite).
    Infinite,
}

impl LongDouble {
    /// Zero.
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        mant: 0,
        exp: 0,
    };

    /// An integer, exactly (every i64 fits a 64-bit significand).
    pub fn from_i64(n: i64) -> LongDouble {
        LongDouble {
            neg: n < 0,
            mant: n.unsigned_abs(),
            exp: 0,
        }
    }

    /// Parses what Redis's string2ld accepts (strtold's syntax, no NaN, no out-of-range
    /// magnitude), rounding to the nearest long double; None if Redis would refuse it.
    pub fn parse(s: &[u8]) -> Option<Parsed> {
        // parse_f64 applies strtold's acceptance rules; the value is recomputed exactly below.
        parse_f64(s)?;
        let (neg, body) = match s.first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
            return Some(Parsed::Infinite);
        }
        let hex = body.len() > 2 && body[0] == b'0' && body[1] | 0x20 == b'x';
        let (mant, exp, sticky) = if hex {
            hex_bits(&body[2..])?
        } else {
            decimal_bits(body)?
        };
        round(neg, mant, exp, sticky).map(Parsed::Finite)
    }

    /// The correctly rounded sum; None if it overflows to infinity.
    pub fn add(self, other: LongDouble) -> Option<LongDouble> {
        if self.mant == 0 {
            return Some(other.normalize_zero(self));
        }
        if other.mant == 0 {
            return Some(self);
        }
        // Normalize (top bit of each significand at bit 63), then put the larger first.
        let (a, b) = (self.normalized(), other.normalized());
        let (hi, lo) = if a.exp >= b.exp { (a, b) } else { (b, a) };
        // Align on a common last bit, keeping 62 spare bits below `hi` for guard bits; what
        // falls off `lo` is jammed into its lowest bit, which keeps the rounding exact.
        let base = hi.exp - 62;
        let hi_m = u128::from(hi.mant) << 62;
        let shift = i64::from(lo.exp) - i64::from(base);
        let lo_m = if shift >= 0 {
            // 0 <= shift <= 62, so both fit in 126 bits and their sum in 127.
            u128::from(lo.mant) << shift
        } else {
            let down = (-shift) as u32;
            if down >= 128 {
                1
            } else {
                let m = u128::from(lo.mant);
                (m >> down) | u128::from(m & ((1u128 << down) - 1) != 0)
            }
        };
        let (neg, m) = if hi.neg == lo.neg {
            (hi.neg, hi_m + lo_m)
        } else if hi_m >= lo_m {
            (hi.neg, hi_m - lo_m)
        } else {
            (lo.neg, lo_m - hi_m)
        };
        if m == 0 {
            // x + (-x) is +0 when rounding to nearest.
            return Some(LongDouble::ZERO);
        }
        round(neg, m, base, false)
    }

    /// The correctly rounded product with `k`; None if it overflows to infinity.
    pub fn mul_u64(self, k: u64) -> Option<LongDouble> {
        // The exact product has at most 128 bits: `round` takes it as it is.
        round(
            self.neg,
            u128::from(self.mant) * u128::from(k),
            self.exp,
            false,
        )
    }

    /// C's `(long long) ceill(x)` as x86-64 compilers emit it: the smallest integer not below
    /// the value, and for one outside i64's range the x87 "integer indefinite", i64::MIN
    /// (which is how Redis ends up calling a huge timeout "negative").
    pub fn ceil_to_i64(self) -> i64 {
        if self.exp >= 64 && self.mant != 0 {
            return i64::MIN;
        }
        // The magnitude's integer part (under 2^127), and whether a fraction was dropped.
        let (int, fraction) = if self.exp >= 0 {
            (u128::from(self.mant) << self.exp, false)
        } else if self.exp > -64 {
            let shift = self.exp.unsigned_abs();
            let mask = (1u64 << shift) - 1;
            (u128::from(self.mant >> shift), self.mant & mask != 0)
        } else {
            (0, self.mant != 0)
        };
        let Ok(int) = i128::try_from(int) else {
            return i64::MIN;
        };
        // Rounding up moves a negative value toward zero: its fraction is simply dropped.
        let ceil = if self.neg {
            -int
        } else {
            int + i128::from(fraction)
        };
        i64::try_from(ceil).unwrap_or(i64::MIN)
    }

    fn normalized(self) -> LongDouble {
        let lz = self.mant.leading_zeros();
        LongDouble {
            mant: self.mant << lz,
            exp: self.exp - lz as i32,
            ..self
        }
    }

    fn normalize_zero(self, zero: LongDouble) -> LongDouble {
        if self.mant == 0 {
            // -0 + -0 is -0, any other sum of zeros +0.
            LongDouble {
                neg: self.neg && zero.neg,
                ..LongDouble::ZERO
            }
        } else {
            self
        }
    }

    /// Formats like Redis's human-friendly ld2string: `%.17Lf`, trailing zeros (and a bare
    /// point) removed, "-0" written "0".
    pub fn to_human(self) -> String {
        let mut d = Decimal::from_u64(self.mant);
        d.shift(self.exp);
        let mut out = d.fixed17(self.neg);
        if out.contains('.') {
            let keep = out.trim_end_matches('0').trim_end_matches('.').len();
            out.truncate(keep);
        }
        if out == "-0" {
            out = "0".to_string();
        }
        out
    }
}

/// Rounds (-1)^neg * (m + sticky fraction) * 2^exp to the nearest long double (ties to even);
/// None on overflow. `sticky` means "strictly more than m, by less than one unit"; callers
/// only set it with m wider than 64 bits, so it always lies below the rounding point.
fn round(neg: bool, m: u128, exp: i32, sticky: bool) -> Option<LongDouble> {
    if m == 0 {
        return Some(LongDouble {
            neg,
            ..LongDouble::ZERO
        });
    }
    let top = exp as i64 + 127 - i64::from(m.leading_zeros());
    let lsb = (top - 63).max(i64::from(MIN_LSB_EXP));
    let drop = lsb - i64::from(exp);
    let (mut mant, mut lsb) = if drop <= 0 {
        // Exact: fewer than 64 significant bits above the subnormal floor.
        ((m << (-drop) as u32) as u64, lsb)
    } else {
        let (kept, half, rest_nonzero) = if drop > 128 {
            (0u128, false, true)
        } else if drop == 128 {
            (0, m >> 127 == 1, m & ((1 << 127) - 1) != 0 || sticky)
        } else {
            let d = drop as u32;
            let rest = m & ((1u128 << d) - 1);
            let half = 1u128 << (d - 1);
            (m >> d, rest >= half, (rest & (half - 1)) != 0 || sticky)
        };
        let up = half && (rest_nonzero || kept & 1 == 1);
        let kept = kept + u128::from(up);
        if kept >> 64 != 0 {
            ((kept >> 1) as u64, lsb + 1)
        } else {
            (kept as u64, lsb)
        }
    };
    if mant == 0 {
        lsb = 0;
        mant = 0;
    }
    if lsb > i64::from(MAX_LSB_EXP) {
        return None;
    }
    Some(LongDouble {
        neg,
        mant,
        exp: lsb as i32,
    })
}

/// The exact binary value of a hex float body (after "0x"): (mantissa, exponent, sticky).
fn hex_bits(s: &[u8]) -> Option<(u128, i32, bool)> {
    let mut mant: u128 = 0;
    let mut exp: i64 = 0;
    let mut sticky = false;
    let mut after_point = false;
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'.' && !after_point {
            after_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (c as char).to_digit(16) else {
            break;
        };
        if mant >> 120 == 0 {
            mant = mant << 4 | u128::from(d);
            if after_point {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !after_point {
                exp += 4;
            }
        }
        i += 1;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let tail = &s[i + 1..];
        let (neg, digits) = match tail.first() {
            Some(b'-') => (true, &tail[1..]),
            Some(b'+') => (false, &tail[1..]),
            _ => (false, tail),
        };
        let e = digits.iter().fold(0i64, |acc, &c| {
            acc.saturating_mul(10)
                .saturating_add(i64::from(c.wrapping_sub(b'0')))
        });
        exp = exp.saturating_add(if neg { -e } else { e });
    }
    // parse_f64 has already refused magnitudes outside the long double range.
    Some((
        mant,
        i32::try_from(exp.clamp(-40_000, 40_000)).ok()?,
        sticky,
    ))
}

/// The binary value of a decimal body: (mantissa of at least 66 bits, exponent, sticky).
fn decimal_bits(s: &[u8]) -> Option<(u128, i32, bool)> {
    let mut d = Decimal::parse(s)?;
    if d.digits.is_empty() {
        return Some((0, 0, false));
    }
    // Scale by powers of two until the integer part has 22 or 23 digits (at least 69 bits,
    // under 2^77): room for 64 bits, a guard bit and more, with the rest as sticky.
    let mut exp: i64 = 0;
    while d.point > 23 {
        // Dividing by 2^(3n) lowers the point by at most n digits: no overshoot below 23.
        let bits = ((d.point - 23) * 3).clamp(3, 60) as i32;
        d.shift(-bits);
        exp += i64::from(bits);
    }
    while d.point < 22 {
        let bits = ((22 - d.point) * 3).clamp(3, 60) as i32;
        d.shift(bits);
        exp -= i64::from(bits);
    }
    let (int, rest) = d.split_integer();
    let sticky = rest || d.truncated;
    Some((int, i32::try_from(exp).ok()?, sticky))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> LongDouble {
        match LongDouble::parse(s.as_bytes()) {
            Some(Parsed::Finite(v)) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn incr(a: &str, b: &str) -> String {
        match parse(a).add(parse(b)) {
            Some(v) => v.to_human(),
            None => "overflow".into(),
        }
    }

    #[test]
    fn sums_match_redis_on_x86_64() {
        // Every expectation below is what redis-server 7.0.15 replied.
        assert_eq!(incr("0.1", "0.2"), "0.3");
        assert_eq!(incr("0", "0.30000000000000004"), "0.30000000000000004");
        assert_eq!(incr("10.5", "0.1"), "10.6");
        assert_eq!(incr("9007199254740993", "0"), "9007199254740993");
        assert_eq!(incr("9223372036854775807", "-11"), "9223372036854775796");
        assert_eq!(incr("0", "0x1p-18"), "0.00000381469726562");
        assert_eq!(incr("0", "0.000000000000000005"), "0");
        assert_eq!(incr("0", "0.000000000000000015"), "0.00000000000000002");
        assert_eq!(incr("0", "-0.000000000000000001"), "0");
        assert_eq!(incr("0", "1e-4940"), "0");
        assert_eq!(incr("0", "0x1p-16445"), "0");
        assert_eq!(incr("0", "5.0e3"), "5000");
        assert_eq!(incr("1", "-1"), "0");
        assert_eq!(incr("-0", "-0"), "0");
        assert_eq!(
            incr("0", "0x1p160"),
            "1461501637330902918203684832716283019655932542976"
        );
        assert_eq!(
            incr("0", "1e50"),
            "100000000000000000003583830118858923890798487404544"
        );
        let big = incr("0", "1e4932");
        assert_eq!(big.len(), 4933);
        assert!(big.starts_with("1000000000000000000006018949387963891323837774254533114773785"));
        assert!(big.ends_with("8418113791886622720"));
        let big = incr("0", "1.18e4932");
        assert!(big.starts_with("1180000000000000000000652812918093699202690437140160"));
        assert!(big.ends_with("2585853888628785152"));
        assert_eq!(incr("1.18e4932", "1.18e4932"), "overflow");
    }

    #[test]
    fn parse_follows_string2ld() {
        assert_eq!(
            LongDouble::parse(b"inf"),
            Some(Parsed::Infinite),
            "infinity parses; the command then refuses it"
        );
        assert_eq!(LongDouble::parse(b"-Infinity"), Some(Parsed::Infinite));
        for bad in [&b"nan"[..], b"", b" 1", b"1 ", b"abc", b"1e5000", b"0x"] {
            assert_eq!(LongDouble::parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse("1e400").to_human().len(), 401);
        assert_eq!(parse("0x10").to_human(), "16");
        assert_eq!(parse("-.5").to_human(), "-0.5");
        assert_eq!(parse("00012.50").to_human(), "12.5");
        assert_eq!(parse("0e999999999999999999").to_human(), "0");
        assert_eq!(
            LongDouble::from_i64(i64::MIN).to_human(),
            "-9223372036854775808"
        );
    }

    #[test]
    fn products_and_ceilings() {
        let ms = |s: &str| parse(s).mul_u64(1000).map(LongDouble::ceil_to_i64);
        assert_eq!(ms("0.001"), Some(1));
        assert_eq!(ms("1.5"), Some(1500));
        assert_eq!(ms("0.0001"), Some(1));
        assert_eq!(ms("1e-4940"), Some(1));
        // 0.001 is a little less than a thousandth as a long double: -0.001 s is -0.99... ms,
        // which rounds up to 0 (no timeout). f64 makes it exactly -1.
        assert_eq!(ms("-0.001"), Some(0));
        assert_eq!(ms("-0.0010000000000000000001"), Some(-1));
        assert_eq!(ms("-0"), Some(0));
        // Exact in a 64-bit significand, unlike f64 (which rounds it to ...776).
        assert_eq!(ms("9223372036854775"), Some(9_223_372_036_854_775_000));
        assert_eq!(ms("9223372036854775.807"), Some(i64::MAX));
        assert_eq!(ms("9223372036854775.808"), Some(i64::MIN));
        assert_eq!(ms("-9223372036854775.808"), Some(-i64::MAX));
        assert_eq!(ms("-9223372036854775.809"), Some(i64::MIN));
        assert_eq!(ms("-9223372036854775.81"), Some(i64::MIN));
        assert_eq!(ms("0x1p62"), Some(i64::MIN));
        assert_eq!(ms("1e300"), Some(i64::MIN));
        assert_eq!(parse("1.18e4932").mul_u64(1000), None);
        assert_eq!(LongDouble::from_i64(-7).ceil_to_i64(), -7);
        assert_eq!(LongDouble::ZERO.ceil_to_i64(), 0);
    }

    #[test]
    fn rounding_ties_to_even() {
        // 2^64 + 1 is halfway between 2^64 and 2^64 + 2: rounds to the even 2^64.
        assert_eq!(incr("18446744073709551616", "1"), "18446744073709551616");
        assert_eq!(incr("18446744073709551616", "3"), "18446744073709551620");
        assert_eq!(incr("18446744073709551618", "1"), "18446744073709551620");
    }
}
