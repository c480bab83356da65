//! TEMPORARY SHIM for the sync branch only: replaced by the real RDB encoder before merge.

use crate::keyspace::Keyspace;

/// An RDB of an empty dataset (shim).
pub fn snapshot(_ks: &Keyspace, _now_ms: u64, _aux: &[(&str, String)]) -> Vec<u8> {
    let mut v = b"REDIS0010".to_vec();
    v.push(0xff);
    v.extend_from_slice(&[0; 8]);
    v
}
