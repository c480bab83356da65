//! The HyperLogLog value as Redis stores it in a string: a 16-byte header ("HYLL", the
//! encoding byte, 3 unused bytes, the cached cardinality as 8 bytes little-endian whose top
//! bit marks the cache invalid) followed by the registers, dense or sparse.

/// Bits of the hash that select a register.
pub const P: u32 = 14;
/// Bits of the hash left for the run of zeros.
pub const Q: usize = 64 - P as usize;
/// Registers per HLL.
pub const REGISTERS: usize = 1 << P;
/// Header length.
pub const HDR: usize = 16;
/// Length of a dense HLL: the header and 16384 registers of 6 bits.
pub const DENSE_LEN: usize = HDR + REGISTERS * 6 / 8;

/// Byte 4: how the registers after the header are encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// 6 bits per register, packed.
    Dense,
    /// Run-length opcodes (ZERO, XZERO, VAL).
    Sparse,
}

/// Why a string cannot be used as a HyperLogLog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HllError {
    /// The key holds another type.
    WrongType,
    /// A string, but not an HLL (bad magic, encoding or dense length).
    NotHll,
    /// An HLL whose registers do not decode (Redis's INVALIDOBJ).
    Corrupt,
}

impl HllError {
    /// The error reply, spelled as Redis 7.0 spells it.
    pub fn message(self) -> &'static str {
        match self {
            HllError::WrongType => crate::command::errors::WRONGTYPE,
            HllError::NotHll => "WRONGTYPE Key is not a valid HyperLogLog string value.",
            HllError::Corrupt => "INVALIDOBJ Corrupted HLL object detected",
        }
    }
}

/// The encoding of `bytes` if it passes Redis's cheap checks (what isHLLObjectOrReply looks
/// at: length, magic, encoding byte, a dense value's exact length). The registers themselves
/// are checked as they are decoded.
pub fn check(bytes: &[u8]) -> Result<Encoding, HllError> {
    if bytes.len() < HDR || &bytes[..4] != b"HYLL" {
        return Err(HllError::NotHll);
    }
    match bytes[4] {
        0 if bytes.len() == DENSE_LEN => Ok(Encoding::Dense),
        1 => Ok(Encoding::Sparse),
        _ => Err(HllError::NotHll),
    }
}

/// The encoding byte of a value that passed [`check`].
pub fn encoding(bytes: &[u8]) -> Encoding {
    if bytes[4] == 0 {
        Encoding::Dense
    } else {
        Encoding::Sparse
    }
}

/// The cached cardinality, when the cache is valid.
pub fn cached(bytes: &[u8]) -> Option<u64> {
    let mut card = [0u8; 8];
    card.copy_from_slice(&bytes[8..HDR]);
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores `card` as the cached cardinality (valid unless its top bit is set, as Redis stores
/// whatever its estimator returned).
pub fn store_cache(bytes: &mut [u8], card: u64) {
    bytes[8..HDR].copy_from_slice(&card.to_le_bytes());
}

/// Marks the cached cardinality stale: the registers changed.
pub fn invalidate_cache(bytes: &mut [u8]) {
    bytes[15] |= 0x80;
}

/// An empty HLL as Redis creates one: sparse, a valid cache of 0, and XZERO opcodes covering
/// every register.
pub fn new_sparse() -> Vec<u8> {
    let mut v = Vec::with_capacity(HDR + 2);
    v.extend_from_slice(b"HYLL\x01\x00\x00\x00");
    v.extend_from_slice(&[0u8; 8]);
    super::sparse::push_zeros(&mut v, REGISTERS);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_what_redis_checks() {
        let empty = new_sparse();
        assert_eq!(empty, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
        assert_eq!(check(&empty), Ok(Encoding::Sparse));
        assert_eq!(check(&empty[..15]), Err(HllError::NotHll));
        assert_eq!(
            check(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0"),
            Err(HllError::NotHll)
        );
        assert_eq!(
            check(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0"),
            Err(HllError::NotHll)
        );
        let mut dense = vec![0u8; DENSE_LEN];
        dense[..4].copy_from_slice(b"HYLL");
        assert_eq!(check(&dense), Ok(Encoding::Dense));
        assert_eq!(check(&dense[..DENSE_LEN - 1]), Err(HllError::NotHll));
        dense.push(0);
        assert_eq!(check(&dense), Err(HllError::NotHll));
    }

    #[test]
    fn cache_top_bit_means_stale() {
        let mut v = new_sparse();
        assert_eq!(cached(&v), Some(0));
        store_cache(&mut v, 123_456);
        assert_eq!(cached(&v), Some(123_456));
        invalidate_cache(&mut v);
        assert_eq!(cached(&v), None);
        store_cache(&mut v, 7);
        assert_eq!(cached(&v), Some(7));
    }
}
