//! DEBUG DIGEST and DIGEST-VALUE: Redis's dataset fingerprint, computed the way Redis computes
//! it (SHA-1 mixing and xoring), so the same data gives the same digest in Redis and lode.

use crate::keyspace::{Entry, Keyspace, Value};
pub use crate::util::digest::{mix_digest, xor_digest, Digest};

/// Redis's object type codes, mixed into each value's digest.
const OBJ_STRING: u32 = 0;
const OBJ_LIST: u32 = 1;
const OBJ_SET: u32 = 2;
const OBJ_ZSET: u32 = 3;
const OBJ_HASH: u32 = 4;
const OBJ_STREAM: u32 = 6;

/// Mixes a value (and whether it has an expiry) into `d`, as Redis's xorObjectDigest.
/// Every value type must be listed here; string values are digested as their text.
pub fn object_digest(d: &mut Digest, entry: &Entry) {
    let mut tmp = itoa::Buffer::new();
    match &entry.value {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => {
            mix_digest(d, &OBJ_STRING.to_be_bytes());
            let bytes = entry.value.as_bytes(&mut tmp).unwrap_or_default();
            mix_digest(d, bytes);
        }
        Value::List(l) => {
            mix_digest(d, &OBJ_LIST.to_be_bytes());
            l.digest(d);
        }
        Value::Set(s) => {
            mix_digest(d, &OBJ_SET.to_be_bytes());
            s.digest(d);
        }
        Value::ZSet(z) => {
            mix_digest(d, &OBJ_ZSET.to_be_bytes());
            z.digest(d);
        }
        Value::Hash(h) => {
            mix_digest(d, &OBJ_HASH.to_be_bytes());
            h.digest(d);
        }
        Value::Stream(s) => {
            mix_digest(d, &OBJ_STREAM.to_be_bytes());
            s.digest(d);
        }
    }
    if entry.expire_at != 0 {
        xor_digest(d, b"!!expire!!");
    }
}

/// The digest of every database (all zeros when the keyspace is empty). Logically expired
/// keys not yet reclaimed count, as in Redis.
pub fn dataset_digest(ks: &Keyspace, now_ms: u64) -> Digest {
    let mut fin = [0u8; 20];
    let mut locked = ks.lock_all(0, now_ms);
    let shards: Vec<_> = locked.all_dbs_mut().collect();
    for db in 0..ks.databases() {
        if shards.iter().all(|s| s.dbs[db].is_empty()) {
            continue;
        }
        mix_digest(&mut fin, &(db as u32).to_be_bytes());
        for shard in &shards {
            for (key, entry) in shard.dbs[db].iter() {
                let mut d = [0u8; 20];
                mix_digest(&mut d, key);
                object_digest(&mut d, entry);
                xor_digest(&mut fin, &d);
            }
        }
    }
    fin
}
