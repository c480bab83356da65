//! RDB decoding on arbitrary bytes: a DUMP payload body (sealed with a valid footer, so the
//! value decoder sees every input) and a whole RDB file. Decoding must never panic; whatever
//! decodes must survive lode's own encode → decode unchanged in type and encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lode_core::persist::{crc64::crc64, dump, rdb, value::Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::defaults();
    let mut p = data.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    assert!(dump::verify(&p));
    if let Ok(v) = dump::load(&p, &limits) {
        let again = dump::create(&v, &limits);
        let back = dump::load(&again, &limits).expect("lode's own payload loads");
        assert_eq!(back.type_name(), v.type_name());
        assert_eq!(back.encoding(), v.encoding());
    }
    let _ = rdb::load(data);
});
