//! `cjson.decode`: JSON text to a Lua value, as lua-cjson 2.1.0 reads it.
//!
//! Objects and arrays become tables, `null` becomes `cjson.null`, numbers are read by `strtod`
//! (so, with `decode_invalid_numbers` on, the default, also hex, `inf` and `nan`), `\uXXXX`
//! escapes (surrogate pairs included) become UTF-8. A zero byte ends the text, as the end of a
//! C string does. Errors name what was expected, what was found and where (1-based), e.g.
//! "Expected value but found invalid token at character 1". Nesting deeper than
//! `decode_max_depth` (or than the Lua stack a C function may use) is an error.
//!
//! The parser is iterative (an explicit stack of open containers), so nesting depth costs heap,
//! not Rust stack.

use mlua::{Lua, Table, Value};

use super::number::strtod;
use super::Config;
use crate::scripting::lib::capi;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num(f64),
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A token error, with what went wrong.
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Num(_) => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(what) => what,
        }
    }
}

/// A token and the 0-based offset it is reported at.
#[derive(Clone, Copy)]
struct Token {
    tok: Tok,
    index: usize,
}

struct Parser<'a> {
    lua: &'a Lua,
    cfg: Config,
    data: &'a [u8],
    pos: usize,
    /// The text of the last string token.
    tmp: Vec<u8>,
}

fn hex4(s: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for i in 0..4 {
        let d = (char::from(s.get(i).copied().unwrap_or(0))).to_digit(16)?;
        v = (v << 4) | d;
    }
    Some(v)
}

fn push_utf8(out: &mut Vec<u8>, cp: u32) {
    let mut buf = [0u8; 4];
    match char::from_u32(cp) {
        Some(c) => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        // Surrogates never get here; keep the arithmetic total anyway.
        None => out.extend_from_slice(&[
            0xe0 | (cp >> 12) as u8,
            0x80 | ((cp >> 6) & 0x3f) as u8,
            0x80 | (cp & 0x3f) as u8,
        ]),
    }
}

/// Whether the text at `p` is a number strict JSON rejects: a leading `+`, hex, a leading zero,
/// `inf` or `nan`.
fn is_invalid_number(p: &[u8]) -> bool {
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    if at(0) == b'+' {
        return true;
    }
    let i = usize::from(at(0) == b'-');
    if at(i) == b'0' {
        let c = at(i + 1);
        return (c | 0x20) == b'x' || c.is_ascii_digit();
    }
    if at(i) <= b'9' {
        return false;
    }
    let word = |w: &[u8]| (0..3).all(|j| (at(i + j) | 0x20) == w[j]);
    word(b"inf") || word(b"nan")
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn error_at(&self, what: &'static str) -> Token {
        Token {
            tok: Tok::Error(what),
            index: self.pos,
        }
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let c = self.at(self.pos);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            0 => {
                return Token {
                    tok: Tok::End,
                    index,
                }
            }
            _ => None,
        };
        if let Some(tok) = single {
            self.pos += 1;
            return Token { tok, index };
        }
        let rest = &self.data[self.pos..];
        match c {
            b'"' => self.string_token(index),
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && is_invalid_number(rest) {
                    return self.error_at("invalid number");
                }
                self.number_token(index)
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                let (tok, len) = if rest.starts_with(b"true") {
                    (Tok::Bool(true), 4)
                } else if rest.starts_with(b"false") {
                    (Tok::Bool(false), 5)
                } else if rest.starts_with(b"null") {
                    (Tok::Null, 4)
                } else if self.cfg.decode_invalid_numbers && is_invalid_number(rest) {
                    return self.number_token(index);
                } else {
                    return self.error_at("invalid token");
                };
                self.pos += len;
                Token { tok, index }
            }
            _ => self.error_at("invalid token"),
        }
    }

    fn number_token(&mut self, index: usize) -> Token {
        match strtod(&self.data[self.pos..]) {
            Some((n, len)) => {
                self.pos += len;
                Token {
                    tok: Tok::Num(n),
                    index,
                }
            }
            None => self.error_at("invalid number"),
        }
    }

    fn string_token(&mut self, index: usize) -> Token {
        self.tmp.clear();
        self.pos += 1;
        loop {
            // Copy the run of plain bytes at once.
            let start = self.pos;
            while !matches!(self.at(self.pos), b'"' | b'\\' | 0) {
                self.pos += 1;
            }
            self.tmp.extend_from_slice(&self.data[start..self.pos]);
            match self.at(self.pos) {
                b'"' => break,
                0 => return self.error_at("unexpected end of string"),
                _ => {}
            }
            let c = match self.at(self.pos + 1) {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b't' => b'\t',
                b'n' => b'\n',
                b'f' => 0x0c,
                b'r' => b'\r',
                b'u' => {
                    if !self.unicode_escape() {
                        return self.error_at("invalid unicode escape code");
                    }
                    continue;
                }
                _ => return self.error_at("invalid escape code"),
            };
            self.tmp.push(c);
            self.pos += 2;
        }
        self.pos += 1;
        Token {
            tok: Tok::Str,
            index,
        }
    }

    /// `\uXXXX` at the cursor (with its low surrogate when it is a high one) to UTF-8.
    fn unicode_escape(&mut self) -> bool {
        let rest = &self.data[self.pos..];
        let Some(mut cp) = hex4(rest.get(2..).unwrap_or(&[])) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xf800 == 0xd800 {
            if cp & 0x400 != 0 {
                return false;
            }
            if rest.get(6) != Some(&b'\\') || rest.get(7) != Some(&b'u') {
                return false;
            }
            let Some(low) = hex4(rest.get(8..).unwrap_or(&[])) else {
                return false;
            };
            if low & 0xfc00 != 0xdc00 {
                return false;
            }
            cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
            len = 12;
        }
        push_utf8(&mut self.tmp, cp);
        self.pos += len;
        true
    }

    fn parse_error(&self, expected: &str, t: Token) -> mlua::Error {
        capi::error(
            self.lua,
            format!(
                "Expected {expected} but found {} at character {}",
                t.tok.name(),
                t.index + 1
            ),
        )
    }
}

/// An open container. `slots` is the Lua stack the C parser holds for it (and its enclosing
/// ones) while a member value is parsed.
enum Frame {
    Array { t: Table, next: i64 },
    Object { t: Table, key: Option<mlua::String> },
}

pub(super) fn decode(lua: &Lua, cfg: Config, data: &[u8]) -> mlua::Result<Value> {
    if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
        return Err(capi::error(
            lua,
            "JSON parser does not support UTF-16 or UTF-32",
        ));
    }
    let mut p = Parser {
        lua,
        cfg,
        data,
        pos: 0,
        tmp: Vec::new(),
    };
    let mut stack: Vec<Frame> = Vec::new();
    // Stack slots the C parser holds: the argument, plus per open array its table and per open
    // object its table and the pending key.
    let mut slots = 1usize;
    let mut tok = p.next_token();
    loop {
        // `tok` starts a value.
        let mut value = match tok.tok {
            Tok::Str => Value::String(lua.create_string(&p.tmp)?),
            Tok::Num(n) => Value::Number(n),
            Tok::Bool(b) => Value::Boolean(b),
            Tok::Null => Value::NULL,
            Tok::ObjBegin | Tok::ArrBegin => {
                let is_obj = tok.tok == Tok::ObjBegin;
                let depth = stack.len() + 1;
                let need = if is_obj { 3 } else { 2 };
                // Each open container holds up to two mlua references (table and key).
                if depth > cfg.decode_max_depth as usize
                    || !capi::stack_has_room(slots, need)
                    || stack.len() >= capi::REF_BUDGET / 2
                {
                    return Err(capi::error(
                        lua,
                        format!(
                            "Found too many nested data structures ({depth}) at character {}",
                            p.pos
                        ),
                    ));
                }
                let t = lua.create_table()?;
                tok = p.next_token();
                let closer = if is_obj { Tok::ObjEnd } else { Tok::ArrEnd };
                if tok.tok == closer {
                    Value::Table(t)
                } else if is_obj {
                    if tok.tok != Tok::Str {
                        return Err(p.parse_error("object key string", tok));
                    }
                    let key = lua.create_string(&p.tmp)?;
                    expect_colon(&mut p)?;
                    stack.push(Frame::Object { t, key: Some(key) });
                    slots += 2;
                    tok = p.next_token();
                    continue;
                } else {
                    stack.push(Frame::Array { t, next: 1 });
                    slots += 1;
                    continue;
                }
            }
            _ => return Err(p.parse_error("value", tok)),
        };
        // Put the value in its container; close the containers it completes.
        loop {
            let Some(frame) = stack.last_mut() else {
                let end = p.next_token();
                if end.tok != Tok::End {
                    return Err(p.parse_error("the end", end));
                }
                return Ok(value);
            };
            match frame {
                Frame::Array { t, next } => {
                    t.raw_set(*next, value)?;
                    *next += 1;
                    tok = p.next_token();
                    match tok.tok {
                        Tok::Comma => {
                            tok = p.next_token();
                            break;
                        }
                        Tok::ArrEnd => {}
                        _ => return Err(p.parse_error("comma or array end", tok)),
                    }
                }
                Frame::Object { t, key } => {
                    if let Some(k) = key.take() {
                        t.raw_set(k, value)?;
                    }
                    tok = p.next_token();
                    match tok.tok {
                        Tok::Comma => {
                            tok = p.next_token();
                            if tok.tok != Tok::Str {
                                return Err(p.parse_error("object key string", tok));
                            }
                            *key = Some(lua.create_string(&p.tmp)?);
                            expect_colon(&mut p)?;
                            tok = p.next_token();
                            break;
                        }
                        Tok::ObjEnd => {}
                        _ => return Err(p.parse_error("comma or object end", tok)),
                    }
                }
            }
            // The container is complete: it is the value for the one around it.
            value = match stack.pop() {
                Some(Frame::Array { t, .. }) => {
                    slots -= 1;
                    Value::Table(t)
                }
                Some(Frame::Object { t, .. }) => {
                    slots -= 2;
                    Value::Table(t)
                }
                None => return Err(mlua::Error::RuntimeError("cjson: no open container".into())),
            };
        }
    }
}

fn expect_colon(p: &mut Parser) -> mlua::Result<()> {
    let t = p.next_token();
    if t.tok != Tok::Colon {
        return Err(p.parse_error("colon", t));
    }
    Ok(())
}
