//! Tests of the chunked list against a plain deque, and of a few commands end to end.

use std::collections::VecDeque;

use super::{End, Fill, List};
use crate::testkit::{server, TestClient};

fn contents(l: &List) -> Vec<Vec<u8>> {
    l.iter().map(|e| e.to_vec()).collect()
}

fn value(r: u64) -> Vec<u8> {
    match r % 5 {
        0 => (r % 300).to_string().into_bytes(),
        1 => format!("-{}", r % 100_000).into_bytes(),
        2 => format!("item:{r}").into_bytes(),
        3 => vec![b'z'; (r % 200) as usize],
        _ => format!("0{}", r % 10).into_bytes(),
    }
}

/// Random edits on small chunks, checked against VecDeque after every step.
#[test]
fn matches_a_plain_deque() {
    for fill in [
        Fill::from_config(3),
        Fill::from_config(-1),
        Fill::from_config(1),
    ] {
        let mut rng = fastrand::Rng::with_seed(7);
        let mut l = List::new();
        let mut m: VecDeque<Vec<u8>> = VecDeque::new();
        for _ in 0..4000 {
            let r = rng.u64(..);
            let v = value(rng.u64(..));
            match r % 10 {
                0..=2 => {
                    l.push(End::Right, &v, fill);
                    m.push_back(v);
                }
                3..=4 => {
                    l.push(End::Left, &v, fill);
                    m.push_front(v);
                }
                5 => assert_eq!(l.pop(End::Left), m.pop_front()),
                6 => assert_eq!(l.pop(End::Right), m.pop_back()),
                7 if !m.is_empty() => {
                    let i = rng.usize(..m.len());
                    assert!(l.set(i, &v, fill));
                    m[i] = v;
                    assert_eq!(l.get(i).map(|e| e.to_vec()).as_ref(), m.get(i));
                }
                8 if !m.is_empty() => {
                    let i = rng.usize(..m.len());
                    let pivot = m[i].clone();
                    let at = m.iter().position(|x| *x == pivot).unwrap_or(0);
                    let after = r.is_multiple_of(3);
                    assert!(l.insert_at_pivot(&pivot, after, &v, fill));
                    m.insert(if after { at + 1 } else { at }, v);
                }
                9 if !m.is_empty() => {
                    let target = m[rng.usize(..m.len())].clone();
                    let limit = rng.usize(0..3);
                    let tail = r.is_multiple_of(2);
                    let removed = l.remove_matching(&target, limit, tail, fill);
                    let mut want = 0;
                    let mut keep: Vec<bool> = vec![true; m.len()];
                    let idx: Vec<usize> = if tail {
                        (0..m.len()).rev().collect()
                    } else {
                        (0..m.len()).collect()
                    };
                    for i in idx {
                        if m[i] == target && (limit == 0 || want < limit) {
                            keep[i] = false;
                            want += 1;
                        }
                    }
                    assert_eq!(removed, want);
                    let mut k = keep.iter();
                    m.retain(|_| *k.next().unwrap_or(&true));
                }
                _ => {}
            }
            assert_eq!(l.len(), m.len());
        }
        assert_eq!(contents(&l), Vec::from(m.clone()));
        let rev: Vec<Vec<u8>> = if l.is_empty() {
            Vec::new()
        } else {
            l.iter_rev_from(l.len() - 1).map(|e| e.to_vec()).collect()
        };
        let mut want: Vec<Vec<u8>> = m.iter().cloned().collect();
        want.reverse();
        assert_eq!(rev, want);
    }
}

#[test]
fn trims_from_both_ends() {
    let fill = Fill::from_config(4);
    let mut l = List::new();
    for i in 0..50 {
        l.push(End::Right, i.to_string().as_bytes(), fill);
    }
    l.drop_front(9);
    l.drop_back(11);
    let got: Vec<String> = contents(&l)
        .into_iter()
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .collect();
    let want: Vec<String> = (9..39).map(|i: i32| i.to_string()).collect();
    assert_eq!(got, want);
    assert_eq!(
        l.iter_from(5).next().map(|e| e.to_vec()),
        Some(b"14".to_vec())
    );
}

#[test]
fn a_million_short_elements_stay_compact() {
    let fill = Fill::from_config(-2);
    for end in [End::Right, End::Left] {
        let mut l = List::new();
        for i in 0..1_000_000u32 {
            l.push(end, format!("element:{i:07}").as_bytes(), fill);
        }
        // 15-byte elements: 17 bytes packed, plus a sliver of chunk overhead.
        let per = l.allocated() as f64 / 1_000_000.0;
        assert!(per < 17.1, "{per} bytes per element");
        assert!(l.get(999_999).is_some());
    }
}

#[test]
fn commands_end_to_end() {
    let s = server();
    let mut c = TestClient::new(&s);
    assert_eq!(c.cmd(&["RPUSH", "l", "a", "1", "b"]), ":3\r\n");
    assert_eq!(c.cmd(&["LPUSH", "l", "z"]), ":4\r\n");
    assert_eq!(
        c.cmd(&["LRANGE", "l", "0", "-1"]),
        "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n"
    );
    assert_eq!(c.cmd(&["RPOP", "l", "2"]), "*2\r\n$1\r\nb\r\n$1\r\n1\r\n");
    assert_eq!(c.cmd(&["LMOVE", "l", "m", "LEFT", "RIGHT"]), "$1\r\nz\r\n");
    assert_eq!(c.cmd(&["LPOP", "l"]), "$1\r\na\r\n");
    assert_eq!(c.cmd(&["EXISTS", "l"]), ":0\r\n");
    assert_eq!(c.cmd(&["OBJECT", "ENCODING", "m"]), "$9\r\nquicklist\r\n");
    assert_eq!(
        c.cmd(&["LMPOP", "2", "l", "m", "RIGHT", "COUNT", "5"]),
        "*2\r\n$1\r\nm\r\n*1\r\n$1\r\nz\r\n"
    );
}

#[test]
fn small_lists_are_trimmed_to_size() {
    let fill = Fill::from_config(-2);
    let mut l = List::new();
    for i in 0..10 {
        l.push(End::Right, format!("member:{i:04}").as_bytes(), fill);
    }
    l.shrink_if_small();
    // Ten 11-byte elements: 130 bytes packed plus one 32-byte chunk slot, and a little slack.
    assert!(
        l.allocated() <= 130 + 130 / 8 + 16 + 32,
        "{}",
        l.allocated()
    );
    for _ in 0..8 {
        l.pop(End::Left);
    }
    l.shrink_if_small();
    assert_eq!(l.allocated(), 26 + 32);
}
