//! Expected replies: the notation (see README.md) parsed into [`Expect`], and matching
//! against a [`Value`] received from the server.

use bytes::Bytes;

use super::{glob, quote};
use crate::Value;

/// Which reply type a glob applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobOn {
    Simple,
    Error,
    Bulk,
    BlobError,
    Verbatim([u8; 3]),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggKind {
    Array,
    Set,
    Push,
    Map,
    /// A RESP2 flat array of field/value pairs (HGETALL, CONFIG GET).
    Pairs,
}

/// One expected reply.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Integer(i64),
    IntRange(i64, i64),
    AnyInt,
    Bulk(Vec<u8>),
    AnyBulk,
    NullBulk,
    NullArray,
    Null,
    Double(Vec<u8>),
    Bool(bool),
    BigNumber(Vec<u8>),
    BlobError(Vec<u8>),
    Verbatim([u8; 3], Vec<u8>),
    Glob(GlobOn, Vec<u8>),
    /// `items` flattened (k, v, k, v, ...) for maps and pairs. `rest`: `...` allows more.
    Agg {
        kind: AggKind,
        items: Vec<Expect>,
        unordered: bool,
        rest: bool,
    },
    Attribute(Vec<Expect>, Box<Expect>),
    OneOf(Vec<Expect>),
    Any,
}

/// Parses one expectation line.
pub fn parse(line: &str) -> Result<Expect, String> {
    let line = line.trim();
    let rest_of_line = |s: &str| !s.starts_with('"') && !s.starts_with('\'');
    if let Some(s) = line.strip_prefix('+').filter(|s| rest_of_line(s)) {
        return Ok(Expect::Simple(s.as_bytes().to_vec()));
    }
    if let Some(s) = line.strip_prefix('-').filter(|s| rest_of_line(s)) {
        return Ok(Expect::Error(s.as_bytes().to_vec()));
    }
    if let Some(g) = line.strip_prefix("glob ").map(str::trim_start) {
        if let Some(s) = g.strip_prefix('+').filter(|s| rest_of_line(s)) {
            return Ok(Expect::Glob(GlobOn::Simple, s.as_bytes().to_vec()));
        }
        if let Some(s) = g.strip_prefix('-').filter(|s| rest_of_line(s)) {
            return Ok(Expect::Glob(GlobOn::Error, s.as_bytes().to_vec()));
        }
    }
    let mut p = Parser {
        s: line.as_bytes(),
        i: 0,
    };
    let e = p.item()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "unexpected text after the reply: {:?}",
            &line[p.i..]
        ));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

/// Marker returned by `item` for `...` inside an aggregate.
const REST: &str = "...";

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn starts(&self, t: &str) -> bool {
        self.s[self.i..].starts_with(t.as_bytes())
    }

    /// A bare word: up to whitespace or a bracket.
    fn word(&mut self) -> String {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| !c.is_ascii_whitespace() && !b"[]{}()".contains(&c))
        {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// A quoted string, or a bare word taken literally.
    fn string(&mut self) -> Result<Vec<u8>, String> {
        match self.peek() {
            Some(b'"' | b'\'') => {
                let (v, end) = quote::quoted(self.s, self.i)?;
                self.i = end;
                Ok(v)
            }
            _ => Ok(self.word().into_bytes()),
        }
    }

    fn item(&mut self) -> Result<Expect, String> {
        self.ws();
        let Some(c) = self.peek() else {
            return Err("expected a reply, found the end of the line".into());
        };
        for (open, kind) in [
            ("[", AggKind::Array),
            ("~[", AggKind::Set),
            (">[", AggKind::Push),
            ("{", AggKind::Map),
        ] {
            if self.starts(open) {
                self.i += open.len();
                let close = if kind == AggKind::Map { b'}' } else { b']' };
                return self.agg(kind, close, kind == AggKind::Set);
            }
        }
        if self.starts("|{") {
            self.i += 2;
            let Expect::Agg { items, .. } = self.agg(AggKind::Map, b'}', false)? else {
                unreachable!()
            };
            return Ok(Expect::Attribute(items, Box::new(self.item()?)));
        }
        match c {
            b'"' | b'\'' => return Ok(Expect::Bulk(self.string()?)),
            b'+' | b'-' | b'!' | b':' | b',' | b'(' => {
                self.i += 1;
                let text = self.string()?;
                return match c {
                    b'+' => Ok(Expect::Simple(text)),
                    b'-' => Ok(Expect::Error(text)),
                    b'!' => Ok(Expect::BlobError(text)),
                    b':' => int(&text),
                    b',' => Ok(Expect::Double(text)),
                    _ => Ok(Expect::BigNumber(text)),
                };
            }
            b'=' => {
                let (fmt, text) = self.verbatim()?;
                return Ok(Expect::Verbatim(fmt, text));
            }
            _ => {}
        }
        let w = self.word();
        Ok(match w.as_str() {
            "nil" => Expect::NullBulk,
            "nil-array" => Expect::NullArray,
            "null" => Expect::Null,
            "#t" => Expect::Bool(true),
            "#f" => Expect::Bool(false),
            "int" => Expect::AnyInt,
            "bulk" => Expect::AnyBulk,
            "*" => Expect::Any,
            REST => return Err("`...` only as the last item of [ ] or { }".into()),
            "unordered" => match self.item()? {
                Expect::Agg {
                    kind, items, rest, ..
                } if kind != AggKind::Pairs => Expect::Agg {
                    kind,
                    items,
                    unordered: true,
                    rest,
                },
                _ => return Err("`unordered` wants [ ], ~[ ], >[ ] or { }".into()),
            },
            "pairs" => {
                self.ws();
                if self.peek() != Some(b'[') {
                    return Err("`pairs` wants [ k v ... ]".into());
                }
                self.i += 1;
                self.agg(AggKind::Pairs, b']', true)?
            }
            "glob" => {
                self.ws();
                let on = match self.peek() {
                    Some(b'"' | b'\'') => GlobOn::Bulk,
                    Some(b'+') => GlobOn::Simple,
                    Some(b'-') => GlobOn::Error,
                    Some(b'!') => GlobOn::BlobError,
                    Some(b'=') => {
                        let (fmt, pat) = self.verbatim()?;
                        return Ok(Expect::Glob(GlobOn::Verbatim(fmt), pat));
                    }
                    _ => return Err(
                        "`glob` wants \"bulk\", +simple, -error, !\"blob\" or =txt:\"verbatim\""
                            .into(),
                    ),
                };
                if on != GlobOn::Bulk {
                    self.i += 1;
                }
                Expect::Glob(on, self.string()?)
            }
            "oneof" => {
                if self.peek() != Some(b'(') {
                    return Err("`oneof` wants ( ... ) right after it".into());
                }
                self.i += 1;
                let mut alts = Vec::new();
                loop {
                    self.ws();
                    match self.peek() {
                        Some(b')') => break,
                        None => return Err("unclosed oneof(".into()),
                        _ => alts.push(self.item()?),
                    }
                }
                self.i += 1;
                Expect::OneOf(alts)
            }
            "" => return Err(format!("unexpected {:?}", c as char)),
            other => return Err(format!("unknown word {other:?} (quote bulk strings)")),
        })
    }

    /// `=fmt:"text"` (the `=` not consumed yet).
    fn verbatim(&mut self) -> Result<([u8; 3], Vec<u8>), String> {
        let fmt = match self.s.get(self.i + 1..self.i + 5) {
            Some([a, b, c, b':']) => [*a, *b, *c],
            _ => return Err("verbatim wants =fmt:\"text\" with a 3-letter format".into()),
        };
        self.i += 5;
        Ok((fmt, self.string()?))
    }

    fn agg(&mut self, kind: AggKind, close: u8, unordered: bool) -> Result<Expect, String> {
        let mut items = Vec::new();
        let mut rest = false;
        loop {
            self.ws();
            match self.peek() {
                None => return Err(format!("missing {:?}", close as char)),
                Some(c) if c == close => {
                    self.i += 1;
                    break;
                }
                _ if rest => return Err("`...` must come last".into()),
                _ if self.starts(REST) => {
                    self.i += REST.len();
                    rest = true;
                }
                _ => items.push(self.item()?),
            }
        }
        if matches!(kind, AggKind::Map | AggKind::Pairs) && items.len() % 2 != 0 {
            return Err("a map wants an even number of items (key value ...)".into());
        }
        Ok(Expect::Agg {
            kind,
            items,
            unordered,
            rest,
        })
    }
}

fn int(text: &[u8]) -> Result<Expect, String> {
    let t = std::str::from_utf8(text).map_err(|_| "bad integer")?;
    let num = |s: &str| s.parse::<i64>().map_err(|_| format!("bad integer {s:?}"));
    // `lo..hi` inclusive; either bound may be left out.
    let bound = |s: &str, open: i64| if s.is_empty() { Ok(open) } else { num(s) };
    match t.split_once("..") {
        Some(("", "")) => Err("`:..` wants at least one bound".into()),
        Some((lo, hi)) => Ok(Expect::IntRange(bound(lo, i64::MIN)?, bound(hi, i64::MAX)?)),
        None => Ok(Expect::Integer(num(t)?)),
    }
}

impl Expect {
    /// True when `v` is a reply this expectation accepts.
    pub fn matches(&self, v: &Value) -> bool {
        let eq = |want: &[u8], got: &Bytes| want == got.as_ref();
        match (self, v) {
            (Expect::Any, _) => true,
            (Expect::OneOf(alts), v) => alts.iter().any(|a| a.matches(v)),
            (Expect::Simple(w), Value::Simple(g)) => eq(w, g),
            (Expect::Error(w), Value::Error(g)) => eq(w, g),
            (Expect::Integer(w), Value::Integer(g)) => w == g,
            (Expect::IntRange(lo, hi), Value::Integer(g)) => (lo..=hi).contains(&g),
            (Expect::AnyInt, Value::Integer(_)) => true,
            (Expect::Bulk(w), Value::Bulk(g)) => eq(w, g),
            (Expect::AnyBulk, Value::Bulk(_)) => true,
            (Expect::NullBulk, Value::NullBulk) => true,
            (Expect::NullArray, Value::NullArray) => true,
            (Expect::Null, Value::Null) => true,
            (Expect::Double(w), Value::Double(g)) => eq(w, g),
            (Expect::Bool(w), Value::Boolean(g)) => w == g,
            (Expect::BigNumber(w), Value::BigNumber(g)) => eq(w, g),
            (Expect::BlobError(w), Value::BlobError(g)) => eq(w, g),
            (Expect::Verbatim(wf, w), Value::Verbatim { format, text }) => {
                wf == format && eq(w, text)
            }
            (Expect::Glob(on, pat), v) => match (on, v) {
                (GlobOn::Simple, Value::Simple(g))
                | (GlobOn::Error, Value::Error(g))
                | (GlobOn::Bulk, Value::Bulk(g))
                | (GlobOn::BlobError, Value::BlobError(g)) => glob::matches(pat, g),
                (GlobOn::Verbatim(wf), Value::Verbatim { format, text }) => {
                    wf == format && glob::matches(pat, text)
                }
                _ => false,
            },
            (Expect::Attribute(attrs, inner), Value::Attribute { attrs: got, value }) => {
                let flat: Vec<Value> = got
                    .iter()
                    .flat_map(|(k, v)| [k.clone(), v.clone()])
                    .collect();
                seq_match(attrs, &flat, false, false, 2) && inner.matches(value)
            }
            (
                Expect::Agg {
                    kind,
                    items,
                    unordered,
                    rest,
                },
                v,
            ) => {
                let got: Vec<Value> = match (kind, v) {
                    (AggKind::Array | AggKind::Pairs, Value::Array(g)) => g.clone(),
                    (AggKind::Set, Value::Set(g)) | (AggKind::Push, Value::Push(g)) => g.clone(),
                    (AggKind::Map, Value::Map(g)) => {
                        g.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect()
                    }
                    _ => return false,
                };
                let chunk = if matches!(kind, AggKind::Map | AggKind::Pairs) {
                    2
                } else {
                    1
                };
                got.chunks_exact(chunk).remainder().is_empty()
                    && seq_match(items, &got, *unordered, *rest, chunk)
            }
            _ => false,
        }
    }
}

/// Matches `want` against `got` in groups of `chunk` items (1 for elements, 2 for pairs),
/// in order or in any order; with `rest`, `got` may have more groups than `want`.
fn seq_match(want: &[Expect], got: &[Value], unordered: bool, rest: bool, chunk: usize) -> bool {
    let w: Vec<&[Expect]> = want.chunks(chunk).collect();
    let g: Vec<&[Value]> = got.chunks(chunk).collect();
    if g.len() < w.len() || (!rest && g.len() != w.len()) {
        return false;
    }
    let group = |a: &[Expect], b: &[Value]| a.iter().zip(b).all(|(e, v)| e.matches(v));
    if !unordered {
        return w.iter().zip(&g).all(|(a, b)| group(a, b));
    }
    // Any order: find an injection of expected groups into received ones (backtracking).
    fn assign(i: usize, w: &[&[Expect]], g: &[&[Value]], used: &mut [bool]) -> bool {
        if i == w.len() {
            return true;
        }
        for j in 0..g.len() {
            if !used[j] && w[i].iter().zip(g[j]).all(|(e, v)| e.matches(v)) {
                used[j] = true;
                if assign(i + 1, w, g, used) {
                    return true;
                }
                used[j] = false;
            }
        }
        false
    }
    assign(0, &w, &g, &mut vec![false; g.len()])
}

#[cfg(test)]
#[path = "expect_tests.rs"]
mod tests;
