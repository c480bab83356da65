//! Unit tests of the `Hash` value: conversions between the forms, iteration, digest, and the
//! table cursor. The commands are covered by conformance/cases/hashes.case.

use super::hash_value::Limits;
use super::Hash;

fn limits() -> Limits<'static> {
    Limits::fixed(4, 8)
}

#[test]
fn stays_packed_up_to_the_entry_limit_then_converts_for_good() {
    let l = limits();
    let mut h = Hash::default();
    for i in 0..4 {
        assert!(h.insert(format!("f{i}").as_bytes(), b"v", &l));
    }
    assert_eq!(h.encoding(), "listpack");
    assert!(!h.insert(b"f0", b"w", &l));
    assert_eq!(h.encoding(), "listpack");
    assert!(h.insert(b"f4", b"v", &l));
    assert_eq!(h.encoding(), "hashtable");
    assert_eq!(h.len(), 5);
    // Conversion keeps the order and the values.
    let fields: Vec<_> = h.iter().map(|(f, _)| f.to_vec()).collect();
    assert_eq!(fields, [&b"f0"[..], b"f1", b"f2", b"f3", b"f4"]);
    assert_eq!(h.get(b"f0"), Some(&b"w"[..]));
    for i in 0..5 {
        assert!(h.remove(format!("f{i}").as_bytes()));
    }
    assert!(h.is_empty());
    assert_eq!(h.encoding(), "hashtable");
}

#[test]
fn long_strings_convert() {
    let l = limits();
    let mut h = Hash::default();
    h.insert(b"f", b"12345678", &l);
    assert_eq!(h.encoding(), "listpack");
    h.insert(b"f", b"123456789", &l);
    assert_eq!(h.encoding(), "hashtable");
    assert_eq!(h.get(b"f"), Some(&b"123456789"[..]));

    let mut h = Hash::default();
    h.insert(b"a", b"1", &l);
    h.prepare_write([1, 9].into_iter(), &l);
    assert_eq!(h.encoding(), "hashtable");
    assert_eq!(h.get(b"a"), Some(&b"1"[..]));
}

#[test]
fn digest_ignores_order_and_encoding() {
    let l = limits();
    let mut a = Hash::default();
    a.insert(b"a", b"1", &l);
    a.insert(b"b", b"2", &l);
    let mut b = Hash::default();
    b.insert(b"b", b"2", &l);
    b.insert(b"a", b"1", &l);
    b.insert(b"c", b"a long value", &l);
    assert_eq!(b.encoding(), "hashtable");
    b.remove(b"c");
    let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
    a.digest(&mut da);
    b.digest(&mut db);
    assert_eq!(da, db);
    assert_ne!(da, [0u8; 20]);
    assert_eq!(a, a.clone());
}

#[test]
fn positions_of_a_table_only_move_down() {
    let l = Limits::fixed(0, 64);
    let mut h = Hash::default();
    for i in 0..10 {
        h.insert(format!("f{i}").as_bytes(), b"v", &l);
    }
    assert_eq!(h.encoding(), "hashtable");
    h.remove(b"f3");
    // The last pair moved into the hole.
    assert_eq!(
        h.get_index(3).map(|(f, _)| f.to_vec()),
        Some(b"f9".to_vec())
    );
    assert_eq!(h.get_index(9), None);
}

#[test]
fn value_stays_small() {
    // 16 bytes: the box under `Value::Hash` is a 16-byte allocation (the count is in the
    // packed buffer for this reason).
    assert_eq!(std::mem::size_of::<Hash>(), 16);
}
