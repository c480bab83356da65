//! The reply writer and the client-side parser agree: whatever `ReplyWriter` encodes, in RESP2
//! or RESP3, `value::parse` reads back as the value meant, consuming exactly the bytes written.
//! (Seeded random trees; guards against framing bugs such as a wrong length or a missing CRLF.)

use bytes::Bytes;

use super::value::{parse, Value};
use super::ReplyWriter;

/// Writes a random reply tree of at most `depth` levels and returns the value a parser must see.
fn write_random(w: &mut ReplyWriter, rng: &mut fastrand::Rng, depth: u32) -> Value {
    let resp3 = w.resp3;
    let bytes =
        |rng: &mut fastrand::Rng| -> Vec<u8> { (0..rng.usize(..12)).map(|_| rng.u8(..)).collect() };
    let word = |rng: &mut fastrand::Rng| -> Vec<u8> {
        (0..rng.usize(1..10))
            .map(|_| rng.alphanumeric() as u8)
            .collect()
    };
    let pick = if depth == 0 {
        rng.u8(..8)
    } else {
        rng.u8(..12)
    };
    match pick {
        0 => {
            let s = word(rng);
            w.simple(&s);
            Value::Simple(Bytes::from(s))
        }
        1 => {
            let s = word(rng);
            let msg = format!("ERR {}", String::from_utf8_lossy(&s));
            w.error(&msg);
            Value::Error(Bytes::from(msg.into_bytes()))
        }
        2 => {
            let n = rng.i64(..);
            w.int(n);
            Value::Integer(n)
        }
        3 => {
            let b = bytes(rng);
            w.bulk(&b);
            Value::Bulk(Bytes::from(b))
        }
        4 => {
            w.null();
            if resp3 {
                Value::Null
            } else {
                Value::NullBulk
            }
        }
        5 => {
            w.null_array();
            if resp3 {
                Value::Null
            } else {
                Value::NullArray
            }
        }
        6 => {
            let b = rng.bool();
            w.boolean(b);
            if resp3 {
                Value::Boolean(b)
            } else {
                Value::Integer(b as i64)
            }
        }
        7 => {
            let text = bytes(rng);
            w.verbatim(b"txt", &text);
            if resp3 {
                Value::Verbatim {
                    format: *b"txt",
                    text: Bytes::from(text),
                }
            } else {
                Value::Bulk(Bytes::from(text))
            }
        }
        8 => {
            let n = rng.usize(..4);
            w.array(n);
            Value::Array((0..n).map(|_| write_random(w, rng, depth - 1)).collect())
        }
        9 => {
            let n = rng.usize(..3);
            w.map(n);
            let pairs: Vec<(Value, Value)> = (0..n)
                .map(|_| {
                    (
                        write_random(w, rng, depth - 1),
                        write_random(w, rng, depth - 1),
                    )
                })
                .collect();
            if resp3 {
                Value::Map(pairs)
            } else {
                Value::Array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
            }
        }
        10 => {
            let n = rng.usize(..4);
            w.set(n);
            let items = (0..n).map(|_| write_random(w, rng, depth - 1)).collect();
            if resp3 {
                Value::Set(items)
            } else {
                Value::Array(items)
            }
        }
        _ => {
            let n = rng.usize(1..4);
            w.push(n);
            let items = (0..n).map(|_| write_random(w, rng, depth - 1)).collect();
            if resp3 {
                Value::Push(items)
            } else {
                Value::Array(items)
            }
        }
    }
}

#[test]
fn writer_output_parses_back_to_the_value_meant() {
    for seed in 0..2000u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut w = ReplyWriter::new();
        w.resp3 = seed % 2 == 1;
        let want = write_random(&mut w, &mut rng, 3);
        let got = parse(&w.buf);
        match got {
            Ok(Some((value, used))) => {
                assert_eq!(
                    used,
                    w.buf.len(),
                    "seed {seed}: consumed a different length"
                );
                assert_eq!(value, want, "seed {seed}");
            }
            other => panic!(
                "seed {seed}: {other:?} for {:?}",
                String::from_utf8_lossy(&w.buf)
            ),
        }
    }
}
