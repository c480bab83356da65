//! The AOF loader on arbitrary bytes, as a base or incremental file (an RDB preamble when they
//! start with "REDIS"): replaying must never panic or hang, and when a torn tail is cut off,
//! the part kept must replay cleanly on its own with the same outcome.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lode_core::persistence::aof::replay;
use lode_core::Now;

fuzz_target!(|data: &[u8]| {
    let now = Now::from_ms(lode_core::testkit::EPOCH_MS);
    let srv = lode_fuzz::server(None);
    let Ok(done) = replay(&srv, data, now, true) else {
        return;
    };
    assert!(done.valid_len <= data.len());
    if !done.truncated {
        assert_eq!(done.valid_len, data.len());
        return;
    }
    let again = lode_fuzz::server(None);
    let kept = replay(&again, &data[..done.valid_len], now, false)
        .expect("the kept part of a truncated AOF replays on its own");
    assert!(!kept.truncated);
    assert_eq!(kept.valid_len, done.valid_len);
});
