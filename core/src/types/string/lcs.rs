//! LCS: the longest common subsequence of two strings, by the classic dynamic-programming table,
//! with Redis's options, reply shapes and guard against huge transient memory.

use super::c_str;
use crate::command::{errors, Ctx};
use crate::resp::ReplyWriter;
use crate::util::num::parse_i64;

/// A common run found while walking the table back: inclusive ranges in each string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    a: (u32, u32),
    b: (u32, u32),
}

impl Run {
    fn len(&self) -> u32 {
        self.a.1 - self.a.0 + 1
    }
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
pub fn lcs(ctx: &mut Ctx) {
    let max = ctx.server.config.read().proto_max_bulk_len;
    let (ka, kb) = (ctx.arg(1), ctx.arg(2));
    let mut db = ctx.lock();
    // Both lookups happen (and count as hits or misses) before either type is checked.
    let a = db.get_read(ka).map(|e| e.value.to_vec());
    let b = db.get_read(kb).map(|e| e.value.to_vec());
    drop(db);
    // The strings are copied out so the locks are not held while the table is filled.
    let (a, b) = match (a, b) {
        (Some(None), _) | (_, Some(None)) => {
            return ctx.error("ERR The specified keys must contain string values");
        }
        (a, b) => (
            a.flatten().unwrap_or_default(),
            b.flatten().unwrap_or_default(),
        ),
    };

    let (mut len_only, mut idx, mut with_len) = (false, false, false);
    let mut min_len: i64 = 0;
    let mut j = 3;
    while j < ctx.args.len() {
        let opt = c_str(ctx.arg(j));
        let more = j + 1 < ctx.args.len();
        if opt.eq_ignore_ascii_case(b"IDX") {
            idx = true;
        } else if opt.eq_ignore_ascii_case(b"LEN") {
            len_only = true;
        } else if opt.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            with_len = true;
        } else if opt.eq_ignore_ascii_case(b"MINMATCHLEN") && more {
            let Some(n) = parse_i64(ctx.arg(j + 1)) else {
                return ctx.error(errors::NOT_INT);
            };
            min_len = n.max(0);
            j += 1;
        } else {
            return ctx.syntax_error();
        }
        j += 1;
    }
    if len_only && idx {
        return ctx.error("ERR If you want both the length and indexes, please just use IDX.");
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        return ctx.error("ERR String too long for LCS");
    }
    // Redis sizes a full table of u32 cells and refuses it past proto-max-bulk-len; lode keeps
    // the same limit so the same requests succeed, even where it needs less memory.
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    let bytes = cells.checked_mul(4).filter(|&n| n < usize::MAX as u64);
    if bytes.is_some_and(|n| n > max) {
        return ctx
            .error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    }
    const NO_MEMORY: &str = "ERR Insufficient memory, failed allocating transient memory for LCS";
    if bytes.is_none() {
        return ctx.error(NO_MEMORY);
    }

    if len_only {
        return ctx.out.int(i64::from(lcs_len(&a, &b)));
    }
    let Some(table) = Table::build(&a, &b) else {
        return ctx.error(NO_MEMORY);
    };
    let (common, runs) = table.walk_back(&a, &b, idx);
    if idx {
        let min_len = u32::try_from(min_len).unwrap_or(u32::MAX);
        write_idx(ctx.out, &runs, min_len, with_len, common.len());
    } else {
        ctx.out.bulk(&common);
    }
}

/// The LCS length alone, keeping two rows of the table instead of all of them.
fn lcs_len(a: &[u8], b: &[u8]) -> u32 {
    let mut prev = vec![0u32; b.len() + 1];
    let mut row = vec![0u32; b.len() + 1];
    for &ca in a {
        for (j, &cb) in b.iter().enumerate() {
            row[j + 1] = if ca == cb {
                prev[j] + 1
            } else {
                prev[j + 1].max(row[j])
            };
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

/// The full table: cell (i, j) holds the LCS length of a[..i] and b[..j].
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8]) -> Option<Table> {
        let width = b.len() + 1;
        let n = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(n).ok()?;
        cells.resize(n, 0u32);
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                cells[i * width + j] = if a[i - 1] == b[j - 1] {
                    cells[(i - 1) * width + j - 1] + 1
                } else {
                    cells[(i - 1) * width + j].max(cells[i * width + j - 1])
                };
            }
        }
        Some(Table { cells, width })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks from the end of both strings back to the start, as Redis does (on a tie it steps
    /// back in `b`), collecting the common subsequence and, if asked, the runs from last to first.
    fn walk_back(&self, a: &[u8], b: &[u8], want_runs: bool) -> (Vec<u8>, Vec<Run>) {
        let (mut i, mut j) = (a.len(), b.len());
        let total = self.at(i, j) as usize;
        let mut common = vec![0u8; total];
        let mut filled = total;
        let mut runs = Vec::new();
        let mut run: Option<Run> = None;
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                filled -= 1;
                common[filled] = a[i - 1];
                let (ai, bj) = ((i - 1) as u32, (j - 1) as u32);
                match &mut run {
                    None => {
                        run = Some(Run {
                            a: (ai, ai),
                            b: (bj, bj),
                        })
                    }
                    Some(r) if r.a.0 == ai + 1 && r.b.0 == bj + 1 => {
                        r.a.0 = ai;
                        r.b.0 = bj;
                    }
                    Some(_) => emit = true,
                }
                // A run touching the start of either string is complete.
                if run.is_some_and(|r| r.a.0 == 0 || r.b.0 == 0) {
                    emit = true;
                }
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = run.is_some();
            }
            if emit {
                if let Some(r) = run.take() {
                    if want_runs {
                        runs.push(r);
                    }
                }
            }
        }
        (common, runs)
    }
}

/// The IDX reply: a map of "matches" (runs of at least `min_len`, last first) and "len".
fn write_idx(out: &mut ReplyWriter, runs: &[Run], min_len: u32, with_len: bool, total: usize) {
    let kept: Vec<&Run> = runs
        .iter()
        .filter(|r| min_len == 0 || r.len() >= min_len)
        .collect();
    out.map(2);
    out.bulk(b"matches");
    out.array(kept.len());
    for r in kept {
        out.array(2 + usize::from(with_len));
        out.array(2);
        out.int(i64::from(r.a.0));
        out.int(i64::from(r.a.1));
        out.array(2);
        out.int(i64::from(r.b.0));
        out.int(i64::from(r.b.1));
        if with_len {
            out.int(i64::from(r.len()));
        }
    }
    out.bulk(b"len");
    out.int(total as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_reply_is_a_map_in_resp3_and_an_array_in_resp2() {
        let runs = [Run {
            a: (4, 7),
            b: (5, 8),
        }];
        let mut w = ReplyWriter::new();
        write_idx(&mut w, &runs, 0, true, 4);
        assert_eq!(
            &w.buf[..],
            &b"*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:4\r\n"[..]
        );
        let mut w = ReplyWriter::new();
        w.resp3 = true;
        write_idx(&mut w, &runs, 5, false, 4);
        assert_eq!(
            &w.buf[..],
            &b"%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:4\r\n"[..]
        );
    }

    #[test]
    fn length_only_agrees_with_the_full_table() {
        let cases: [(&[u8], &[u8]); 4] = [
            (b"ohmytext", b"mynewtext"),
            (b"", b"abc"),
            (b"abc", b"abc"),
            (b"aaaa", b"ba"),
        ];
        for (a, b) in cases {
            let t = Table::build(a, b).expect("small table");
            assert_eq!(lcs_len(a, b), t.at(a.len(), b.len()));
        }
    }
}
