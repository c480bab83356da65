//! A decimal digit buffer multiplied and divided by powers of two: exact (or tracking that
//! nonzero digits were dropped), which is all correctly rounded binary/decimal conversion of
//! long doubles needs, without big-integer division.

/// Most decimal digits kept: more than the ~11,500 significant digits of the longest exact
/// long double expansion, so dropped digits only ever matter through `truncated`.
const MAX_DIGITS: usize = 12_000;

/// A non-negative decimal: 0.d1d2d3... * 10^point, no leading or trailing zero digits.
pub struct Decimal {
    /// The digits, most significant first, each 0..=9.
    pub digits: Vec<u8>,
    /// Where the decimal point sits, in digits from the first one.
    pub point: i64,
    /// Nonzero digits were dropped past MAX_DIGITS.
    pub truncated: bool,
}

impl Decimal {
    /// The decimal digits of `n`.
    pub fn from_u64(n: u64) -> Decimal {
        let digits: Vec<u8> = n.to_string().bytes().map(|c| c - b'0').collect();
        let mut d = Decimal {
            point: digits.len() as i64,
            digits,
            truncated: false,
        };
        d.trim();
        d
    }

    /// Parses digits[.digits][e[+-]digits] (already validated by parse_f64).
    pub fn parse(s: &[u8]) -> Option<Decimal> {
        let mut digits = Vec::with_capacity(s.len());
        let mut point: i64 = 0;
        let mut seen_point = false;
        let mut i = 0;
        while let Some(&c) = s.get(i) {
            match c {
                b'0'..=b'9' => {
                    if c == b'0' && digits.is_empty() {
                        // A leading zero only moves the point (after it).
                        if seen_point {
                            point -= 1;
                        }
                    } else {
                        digits.push(c - b'0');
                        if !seen_point {
                            point += 1;
                        }
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if matches!(s.get(i), Some(b'e' | b'E')) {
            let tail = &s[i + 1..];
            let (neg, body) = match tail.first() {
                Some(b'-') => (true, &tail[1..]),
                Some(b'+') => (false, &tail[1..]),
                _ => (false, tail),
            };
            let e = body.iter().fold(0i64, |acc, &c| {
                acc.saturating_mul(10)
                    .saturating_add(i64::from(c.wrapping_sub(b'0')))
            });
            // Saturation is harmless: parse_f64 refused anything out of range, and a zero
            // mantissa ignores its exponent.
            point = point.saturating_add(if neg { -e } else { e });
        }
        if digits.is_empty() {
            point = 0;
        }
        let mut d = Decimal {
            digits,
            point: point.clamp(-100_000, 100_000),
            truncated: false,
        };
        d.trim();
        Some(d)
    }

    fn trim(&mut self) {
        while self.digits.last() == Some(&0) {
            self.digits.pop();
        }
        if self.digits.is_empty() {
            self.point = 0;
        }
    }

    /// Multiplies (k > 0) or divides (k < 0) by 2^|k|.
    pub fn shift(&mut self, mut k: i32) {
        while k > 0 {
            let step = k.min(60) as u32;
            self.shift_left(step);
            k -= step as i32;
        }
        while k < 0 {
            let step = (-k).min(60) as u32;
            self.shift_right(step);
            k += step as i32;
        }
    }

    fn shift_left(&mut self, k: u32) {
        if self.digits.is_empty() {
            return;
        }
        let mut out = Vec::with_capacity(self.digits.len() + 20);
        let mut carry: u64 = 0;
        for &d in self.digits.iter().rev() {
            let n = (u64::from(d) << k) + carry;
            out.push((n % 10) as u8);
            carry = n / 10;
        }
        while carry > 0 {
            out.push((carry % 10) as u8);
            carry /= 10;
        }
        let grew = out.len() - self.digits.len();
        out.reverse();
        self.point += grew as i64;
        self.digits = out;
        self.cap();
        self.trim();
    }

    fn shift_right(&mut self, k: u32) {
        let mask = (1u64 << k) - 1;
        let mut read = 0;
        let mut n: u64 = 0;
        // Gather enough leading digits for the first quotient digit.
        while n >> k == 0 {
            match self.digits.get(read) {
                Some(&d) => n = n * 10 + u64::from(d),
                None if n == 0 => {
                    self.digits.clear();
                    self.point = 0;
                    return;
                }
                None => n *= 10,
            }
            read += 1;
        }
        self.point -= read as i64 - 1;
        let mut out = Vec::with_capacity(self.digits.len() + k as usize);
        for &d in self.digits.iter().skip(read) {
            out.push((n >> k) as u8);
            n = (n & mask) * 10 + u64::from(d);
        }
        while n > 0 {
            out.push((n >> k) as u8);
            n = (n & mask) * 10;
            if out.len() >= MAX_DIGITS && n > 0 {
                self.truncated = true;
                break;
            }
        }
        self.digits = out;
        self.cap();
        self.trim();
    }

    fn cap(&mut self) {
        if self.digits.len() > MAX_DIGITS {
            if self.digits[MAX_DIGITS..].iter().any(|&d| d != 0) {
                self.truncated = true;
            }
            self.digits.truncate(MAX_DIGITS);
        }
    }

    /// The integer part (the caller keeps it below 10^23) and whether a fraction remains.
    pub fn split_integer(&self) -> (u128, bool) {
        let point = self.point.max(0) as usize;
        let mut int: u128 = 0;
        for i in 0..point {
            int = int * 10 + u128::from(self.digits.get(i).copied().unwrap_or(0));
        }
        (int, self.digits.len() > point)
    }

    /// `%.17Lf` of the value with the given sign, rounding half to even on the exact value.
    pub fn fixed17(&self, neg: bool) -> String {
        const FRAC: i64 = 17;
        let int_len = self.point.max(1);
        // Digit at position p: p = 0 is the first integer digit when point >= 1.
        let digit = |p: i64| -> u8 {
            let idx = p - (int_len - self.point);
            if idx < 0 {
                0
            } else {
                self.digits.get(idx as usize).copied().unwrap_or(0)
            }
        };
        let total = int_len + FRAC;
        let mut kept: Vec<u8> = (0..total).map(digit).collect();
        let first_dropped = total - (int_len - self.point);
        let next = digit(total);
        let beyond = first_dropped + 1 < self.digits.len() as i64 || self.truncated;
        let up = match next {
            6..=9 => true,
            5 => beyond || kept.last().is_some_and(|d| d % 2 == 1),
            _ => false,
        };
        if up {
            let mut i = kept.len();
            loop {
                if i == 0 {
                    kept.insert(0, 1);
                    break;
                }
                i -= 1;
                if kept[i] == 9 {
                    kept[i] = 0;
                } else {
                    kept[i] += 1;
                    break;
                }
            }
        }
        let split = kept.len() - FRAC as usize;
        let mut out = String::with_capacity(kept.len() + 2);
        if neg {
            out.push('-');
        }
        out.extend(kept[..split].iter().map(|&d| char::from(b'0' + d)));
        out.push('.');
        out.extend(kept[split..].iter().map(|&d| char::from(b'0' + d)));
        out
    }
}
