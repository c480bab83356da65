//! How geo replies print numbers: distances with exactly four decimals (rounded half to
//! even, as `llrint` does), and coordinates as Redis's "human" long double printing does
//! (`%.17Lf` of the exact value, trailing zeros removed).

use crate::resp::ReplyWriter;

/// A distance as Redis's fixed-point printer writes it: `123.4568`, `0.0000`.
pub fn distance(d: f64) -> String {
    let scaled = (d * 10000.0).round_ties_even();
    // llrint's result for a value outside i64 (never a real distance) is i64::MIN.
    let v: i64 = if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&scaled) {
        scaled as i64
    } else {
        i64::MIN
    };
    let sign = if v < 0 { "-" } else { "" };
    let u = v.unsigned_abs();
    format!("{sign}{}.{:04}", u / 10000, u % 10000)
}

/// A coordinate in `%.17Lf` with trailing zeros (and a bare '.') removed, "-0" as "0".
pub fn coordinate(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Writes a coordinate: a bulk string in RESP2, a double in RESP3 (addReplyHumanLongDouble).
pub fn write_coordinate(out: &mut ReplyWriter, v: f64) {
    let s = coordinate(v);
    if out.resp3 {
        let mut line = Vec::with_capacity(s.len() + 3);
        line.push(b',');
        line.extend_from_slice(s.as_bytes());
        line.extend_from_slice(b"\r\n");
        out.raw(&line);
    } else {
        out.bulk(s.as_bytes());
    }
}

/// A score as C converts a double to `long long` on x86-64 (WITHHASH of a ZADDed score).
pub fn score_i64(score: f64) -> i64 {
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&score) {
        score as i64
    } else {
        i64::MIN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance(0.0), "0.0000");
        assert_eq!(distance(166274.15156960033), "166274.1516");
        assert_eq!(distance(0.00004), "0.0000");
        assert_eq!(distance(12.5), "12.5000");
        assert_eq!(distance(f64::NAN), "-922337203685477.5808");
    }

    #[test]
    fn coordinates() {
        assert_eq!(coordinate(13.361389338970184), "13.36138933897018433");
        assert_eq!(coordinate(-0.0), "0");
        assert_eq!(coordinate(180.0), "180");
        assert_eq!(coordinate(0.5), "0.5");
        let v: f64 = "-85.05112877980660357".parse().unwrap_or_default();
        assert_eq!(coordinate(v), "-85.05112877980660357");
    }
}
