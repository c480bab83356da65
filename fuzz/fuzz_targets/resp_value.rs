//! The client-side RESP2/RESP3 reply parser on arbitrary bytes.
//!
//! Checks: no panic; a parsed value never claims more bytes than the buffer holds; its
//! re-encoding (`to_resp`) parses back to the same value, consuming all of it, and is a
//! fixed point, and it equals exactly the bytes consumed (the parser accepts no
//! non-canonical spelling such as `:+1` or `$03`). Every strict prefix of a canonical encoding is
//! "incomplete", never an error or a different value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lode_core::resp::value::parse;

fuzz_target!(|data: &[u8]| {
    let Ok(Some((value, n))) = parse(data) else {
        return;
    };
    assert!(
        n > 0 && n <= data.len(),
        "consumed {n} of {} bytes",
        data.len()
    );
    let enc = value.to_resp_vec();
    match parse(&enc) {
        Ok(Some((again, m))) => {
            assert_eq!(m, enc.len(), "re-encoding not consumed whole");
            assert_eq!(again, value, "re-encoding parses to a different value");
            assert_eq!(again.to_resp_vec(), enc, "encoding is not a fixed point");
        }
        other => panic!("re-encoding of {value:?} does not parse: {other:?}"),
    }
    // The parser accepts only canonical spellings, so the bytes consumed are exactly the
    // re-encoding.
    assert_eq!(
        String::from_utf8_lossy(&enc),
        String::from_utf8_lossy(&data[..n]),
        "re-encoding differs from the bytes consumed"
    );
    for cut in 0..enc.len() {
        match parse(&enc[..cut]) {
            Ok(None) => {}
            other => panic!(
                "prefix {cut} of {:?} gave {other:?}",
                String::from_utf8_lossy(&enc)
            ),
        }
    }
});
