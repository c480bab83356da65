//! BITFIELD's integer arithmetic: fields of 1 to 64 bits at any bit offset, most significant
//! bit first (bit 0 is the top bit of byte 0, as SETBIT numbers them), and Redis's overflow
//! rules. The overflow checks follow Redis's case analysis exactly, because WRAP and SAT
//! results for out-of-range SET values (e.g. `SET u8 0 -1`) are part of the observable
//! behaviour.

/// What INCRBY and SET do when the result does not fit the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overflow {
    /// Keep the low bits (two's complement for signed fields).
    Wrap,
    /// Clamp to the field's minimum or maximum.
    Sat,
    /// Leave the field alone and reply nil.
    Fail,
}

impl Overflow {
    /// WRAP, SAT or FAIL, in any case.
    pub fn parse(arg: &[u8]) -> Option<Overflow> {
        [
            (&b"wrap"[..], Overflow::Wrap),
            (b"sat", Overflow::Sat),
            (b"fail", Overflow::Fail),
        ]
        .into_iter()
        .find(|(name, _)| arg.eq_ignore_ascii_case(name))
        .map(|(_, mode)| mode)
    }
}

/// The 72 bits starting at byte `offset / 8` (bytes past `buf` read as zeros), as the low
/// bits of a u128: any field of up to 64 bits fits in them whatever its bit alignment.
fn window(buf: &[u8], byte: usize) -> u128 {
    let mut w = 0u128;
    for i in 0..9 {
        w = (w << 8) | *buf.get(byte + i).unwrap_or(&0) as u128;
    }
    w
}

fn mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// The unsigned field of `bits` bits (1..=64) at bit `offset`.
pub fn get_unsigned(buf: &[u8], offset: u64, bits: u32) -> u64 {
    let shift = 72 - (offset % 8) as u32 - bits;
    (window(buf, (offset / 8) as usize) >> shift) as u64 & mask(bits)
}

/// The signed (two's complement) field of `bits` bits at bit `offset`.
pub fn get_signed(buf: &[u8], offset: u64, bits: u32) -> i64 {
    let v = get_unsigned(buf, offset, bits);
    if bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        (v | !mask(bits)) as i64
    } else {
        v as i64
    }
}

/// Stores the low `bits` bits of `value` at bit `offset`; `buf` must cover the field.
pub fn set(buf: &mut [u8], offset: u64, bits: u32, value: u64) {
    let byte = (offset / 8) as usize;
    let shift = 72 - (offset % 8) as u32 - bits;
    let field = (mask(bits) as u128) << shift;
    let w = (window(buf, byte) & !field) | (((value & mask(bits)) as u128) << shift);
    let last = ((offset + bits as u64 - 1) / 8) as usize;
    for (i, b) in buf[byte..=last].iter_mut().enumerate() {
        *b = (w >> (64 - 8 * i as u32)) as u8;
    }
}

/// `value + incr` in an unsigned field of `bits` bits (1..=63), or None when it overflows
/// under FAIL. SET checks its value with `incr` 0; a negative SET value arrives as its
/// two's complement, above the field's maximum.
pub fn add_unsigned(value: u64, incr: i64, bits: u32, ow: Overflow) -> Option<u64> {
    let max = mask(bits);
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = || value.wrapping_add(incr as u64) & max;
    let limit = if value > max || (incr > 0 && incr > max_incr) {
        max
    } else if incr < 0 && incr < min_incr {
        0
    } else {
        return Some(value.wrapping_add(incr as u64));
    };
    match ow {
        Overflow::Wrap => Some(wrapped()),
        Overflow::Sat => Some(limit),
        Overflow::Fail => None,
    }
}

/// `value + incr` in a signed field of `bits` bits (1..=64), or None when it overflows under
/// FAIL.
pub fn add_signed(value: i64, incr: i64, bits: u32, ow: Overflow) -> Option<i64> {
    let max = (mask(bits) >> 1) as i64;
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let narrow = bits != 64;
    let limit = if value > max
        || (narrow && incr > max_incr)
        || (value >= 0 && incr > 0 && incr > max_incr)
    {
        max
    } else if value < min
        || (narrow && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        min
    } else {
        return Some(value.wrapping_add(incr));
    };
    match ow {
        Overflow::Wrap => {
            let sum = (value as u64).wrapping_add(incr as u64);
            let negative = sum & (1u64 << (bits - 1)) != 0;
            let sum = if !narrow {
                sum
            } else if negative {
                sum | !mask(bits)
            } else {
                sum & mask(bits)
            };
            Some(sum as i64)
        }
        Overflow::Sat => Some(limit),
        Overflow::Fail => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_and_write_most_significant_bit_first() {
        let mut buf = vec![0u8; 10];
        set(&mut buf, 0, 8, 0xab);
        assert_eq!(buf[0], 0xab);
        set(&mut buf, 12, 8, 0xff);
        assert_eq!(&buf[1..3], &[0x0f, 0xf0]);
        assert_eq!(get_unsigned(&buf, 12, 8), 0xff);
        assert_eq!(get_unsigned(&buf, 8, 4), 0);
        set(&mut buf, 7, 64, u64::MAX);
        assert_eq!(get_unsigned(&buf, 7, 64), u64::MAX);
        assert_eq!(get_signed(&buf, 7, 64), -1);
        assert_eq!(buf[0], 0xab | 1);
        assert_eq!(buf[8], 0xfe);
        assert_eq!(get_signed(&buf, 6, 2), 0b11 - 4);
        // Past the end reads zeros.
        assert_eq!(get_unsigned(&[0xff], 4, 8), 0xf0);
    }

    #[test]
    fn unsigned_overflow_rules() {
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(add_unsigned(250, 10, 8, Overflow::Fail), None);
        assert_eq!(add_unsigned(5, -10, 8, Overflow::Wrap), Some(251));
        assert_eq!(add_unsigned(5, -10, 8, Overflow::Sat), Some(0));
        // SET u8 -1: the value is 2^64-1, above the maximum.
        assert_eq!(add_unsigned(u64::MAX, 0, 8, Overflow::Wrap), Some(255));
        assert_eq!(add_unsigned(u64::MAX, 0, 8, Overflow::Sat), Some(255));
        assert_eq!(add_unsigned(3, 4, 8, Overflow::Fail), Some(7));
    }

    #[test]
    fn signed_overflow_rules() {
        assert_eq!(add_signed(120, 10, 8, Overflow::Wrap), Some(-126));
        assert_eq!(add_signed(120, 10, 8, Overflow::Sat), Some(127));
        assert_eq!(add_signed(-120, -10, 8, Overflow::Wrap), Some(126));
        assert_eq!(add_signed(-120, -10, 8, Overflow::Sat), Some(-128));
        assert_eq!(add_signed(i64::MAX, 1, 64, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(add_signed(i64::MAX, 1, 64, Overflow::Sat), Some(i64::MAX));
        assert_eq!(add_signed(i64::MIN, -1, 64, Overflow::Fail), None);
        assert_eq!(add_signed(200, 0, 8, Overflow::Wrap), Some(-56));
        assert_eq!(add_signed(-1, 1, 1, Overflow::Fail), Some(0));
    }
}
