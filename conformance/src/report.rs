//! Renders replies in the case notation, and failures as `file:line` reports.

use std::fmt::{self, Write};

use crate::case::quote::escape;
use crate::Value;

/// Longest string shown in full in a failure message.
const MAX_SHOWN: usize = 2000;

/// Longest rendering of a whole reply in a failure message.
const MAX_REPLY: usize = 4000;

/// `v` in the notation of the case files (so an actual reply can be pasted as an
/// expectation), cut after a few thousand characters.
pub fn show(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v);
    if out.len() > MAX_REPLY {
        let mut cut = MAX_REPLY;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        let total = out.len();
        out.truncate(cut);
        out.push_str(&format!(" ...(cut, {total} characters in all)"));
    }
    out
}

fn write_value(out: &mut String, v: &Value) {
    let text = |b: &[u8]| escape(b, MAX_SHOWN);
    let list = |out: &mut String, open: &str, items: &[Value], close: &str| {
        out.push_str(open);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write_value(out, item);
        }
        out.push_str(close);
    };
    let pairs = |out: &mut String, open: &str, items: &[(Value, Value)]| {
        out.push_str(open);
        for (i, (k, v)) in items.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            write_value(out, k);
            out.push(' ');
            write_value(out, v);
        }
        out.push('}');
    };
    match v {
        Value::Simple(s) => write!(out, "+{}", text(s)).unwrap_or(()),
        Value::Error(s) => write!(out, "-{}", text(s)).unwrap_or(()),
        Value::Integer(n) => write!(out, ":{n}").unwrap_or(()),
        Value::Bulk(b) => out.push_str(&text(b)),
        Value::NullBulk => out.push_str("nil"),
        Value::NullArray => out.push_str("nil-array"),
        Value::Null => out.push_str("null"),
        Value::Double(d) => write!(out, ",{}", String::from_utf8_lossy(d)).unwrap_or(()),
        Value::Boolean(b) => out.push_str(if *b { "#t" } else { "#f" }),
        Value::BigNumber(n) => write!(out, "({}", String::from_utf8_lossy(n)).unwrap_or(()),
        Value::BlobError(b) => write!(out, "!{}", text(b)).unwrap_or(()),
        Value::Verbatim { format, text: t } => {
            write!(out, "={}:{}", String::from_utf8_lossy(format), text(t)).unwrap_or(())
        }
        Value::Array(items) => list(out, "[", items, "]"),
        Value::Set(items) => list(out, "~[", items, "]"),
        Value::Push(items) => list(out, ">[", items, "]"),
        Value::Map(items) => pairs(out, "{", items),
        Value::Attribute { attrs, value } => {
            pairs(out, "|{", attrs);
            out.push(' ');
            write_value(out, value);
        }
    }
}

/// One failed expectation (or a step that could not run).
#[derive(Debug)]
pub struct Failure {
    pub file: String,
    pub line: usize,
    pub block: String,
    /// What was done: the command line, `@send ...`, `setup`.
    pub step: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}: in {:?}", self.file, self.line, self.block)?;
        writeln!(f, "    step:     {}", self.step)?;
        writeln!(f, "    expected: {}", self.expected)?;
        write!(f, "    actual:   {}", self.actual)
    }
}

#[cfg(test)]
mod tests {
    use super::show;
    use crate::case::expect;
    use crate::Value;
    use bytes::Bytes;

    /// What `show` prints parses back into an expectation that matches the value.
    #[test]
    fn shown_values_parse_back() {
        let b = |s: &str| Bytes::copy_from_slice(s.as_bytes());
        let v = Value::Array(vec![
            Value::Simple(b("OK")),
            Value::Error(b("ERR a 'b' ")),
            Value::Integer(-1),
            Value::Bulk(b("x\"y\r\n\0")),
            Value::NullBulk,
            Value::NullArray,
            Value::Null,
            Value::Double(b("1.5")),
            Value::Boolean(true),
            Value::BigNumber(b("123")),
            Value::BlobError(b("E x")),
            Value::Verbatim {
                format: *b"txt",
                text: b("v"),
            },
            Value::Set(vec![Value::Integer(1)]),
            Value::Push(vec![]),
            Value::Map(vec![(Value::Bulk(b("k")), Value::Integer(2))]),
            Value::Attribute {
                attrs: vec![],
                value: Box::new(Value::Integer(3)),
            },
        ]);
        let shown = show(&v);
        let e = expect::parse(&shown).unwrap_or_else(|err| panic!("{shown}: {err}"));
        assert!(e.matches(&v), "{shown}");
    }
}
