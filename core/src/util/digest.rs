//! The SHA-1 mixing Redis's DEBUG DIGEST is built from (debug.c's xorDigest and mixDigest):
//! value representations use it to fingerprint their contents.

use crate::util::sha1::{sha1, Sha1};

/// A 20-byte digest.
pub type Digest = [u8; 20];

/// XORs SHA1(data) into `d`: order-independent accumulation.
pub fn xor_digest(d: &mut Digest, data: &[u8]) {
    let h = sha1(data);
    for (a, b) in d.iter_mut().zip(h) {
        *a ^= b;
    }
}

/// d = SHA1(d xor SHA1(data)): order-dependent accumulation.
pub fn mix_digest(d: &mut Digest, data: &[u8]) {
    xor_digest(d, data);
    let mut h = Sha1::new();
    h.update(d);
    *d = h.finish();
}
