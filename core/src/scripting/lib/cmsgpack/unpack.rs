//! Unpacking: MessagePack to Lua values, iteratively (nesting costs heap, not Rust stack), with
//! the C library's stack limits and errors.

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lib::capi;

const TOO_MANY_VALUES: &str =
    "too many return values at once; use unpack_one or unpack_limit instead.";

/// Why decoding stopped.
enum Stop {
    Eof,
    BadFormat,
    Lua(mlua::Error),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Self {
        Stop::Lua(e)
    }
}

/// A container being filled; `slots` is the stack the C code held when it began decoding it.
enum Frame {
    Array {
        t: Table,
        left: u64,
        next: i64,
        slots: usize,
    },
    Map {
        t: Table,
        left: u64,
        key: Option<Value>,
        slots: usize,
    },
}

struct Unpacker<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    /// mlua references held by the values already decoded.
    refs: usize,
}

impl Unpacker<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Stop> {
        if self.left() < n {
            return Err(Stop::Eof);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, Stop> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// A string of `len` bytes at the cursor.
    fn string(&mut self, len: usize) -> Result<Value, Stop> {
        let lua = self.lua;
        let s = self.take(len)?;
        Ok(Value::String(lua.create_string(s)?))
    }

    /// Decodes one complete value; `slots` is the C stack held before it.
    fn value(&mut self, slots: usize) -> Result<Value, Stop> {
        let lua = self.lua;
        let mut frames: Vec<Frame> = Vec::new();
        // Map keys held while their values are decoded.
        let mut keys = 0usize;
        let mut slots = slots;
        loop {
            if self.left() == 0 {
                return Err(Stop::Eof);
            }
            capi::check_stack(lua, slots, 1, TOO_MANY_VALUES)?;
            if self.refs + frames.len() + keys >= capi::REF_BUDGET {
                return Err(Stop::Lua(capi::error(
                    lua,
                    format!("stack overflow ({TOO_MANY_VALUES})"),
                )));
            }
            let b = self.data[self.pos];
            let container = match b {
                0x90..=0x9f => Some((false, 1, u64::from(b & 0x0f))),
                0xdc => Some((false, 3, self.be(3)? & 0xffff)),
                0xdd => Some((false, 5, self.be(5)? & 0xffff_ffff)),
                0x80..=0x8f => Some((true, 1, u64::from(b & 0x0f))),
                0xde => Some((true, 3, self.be(3)? & 0xffff)),
                0xdf => Some((true, 5, self.be(5)? & 0xffff_ffff)),
                _ => None,
            };
            let mut v = if let Some((is_map, header, len)) = container {
                if header == 1 {
                    self.pos += 1;
                }
                let t = lua.create_table()?;
                if !is_map {
                    capi::check_stack(lua, slots + 1, 1, "in function mp_decode_to_lua_array")?;
                }
                if len > 0 {
                    frames.push(if is_map {
                        Frame::Map {
                            t,
                            left: len,
                            key: None,
                            slots,
                        }
                    } else {
                        Frame::Array {
                            t,
                            left: len,
                            next: 1,
                            slots,
                        }
                    });
                    slots = next_slots(&frames);
                    continue;
                }
                Value::Table(t)
            } else {
                self.scalar(b)?
            };
            // Store the finished value in its container, closing the containers it completes.
            loop {
                match frames.last_mut() {
                    None => return Ok(v),
                    Some(Frame::Array { t, left, next, .. }) => {
                        t.raw_set(*next, v)?;
                        *next += 1;
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                    }
                    Some(Frame::Map { t, left, key, .. }) => {
                        let Some(k) = key.take() else {
                            *key = Some(v);
                            keys += 1;
                            break;
                        };
                        keys -= 1;
                        match k {
                            Value::Nil => return Err(Stop::Lua(runtime("table index is nil"))),
                            Value::Number(n) if n.is_nan() => {
                                return Err(Stop::Lua(runtime("table index is NaN")))
                            }
                            k => t.raw_set(k, v)?,
                        }
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                    }
                }
                v = match frames.pop() {
                    Some(Frame::Array { t, .. } | Frame::Map { t, .. }) => Value::Table(t),
                    None => return Err(Stop::Lua(runtime("cmsgpack: no open container"))),
                };
            }
            slots = next_slots(&frames);
        }
    }

    fn scalar(&mut self, b: u8) -> Result<Value, Stop> {
        let n = match b {
            0x00..=0x7f => {
                self.pos += 1;
                f64::from(b)
            }
            0xe0..=0xff => {
                self.pos += 1;
                f64::from(b as i8)
            }
            0xc0 => {
                self.pos += 1;
                return Ok(Value::Nil);
            }
            0xc2 | 0xc3 => {
                self.pos += 1;
                return Ok(Value::Boolean(b == 0xc3));
            }
            0xa0..=0xbf => {
                self.pos += 1;
                return self.string(usize::from(b & 0x1f));
            }
            0xd9 => {
                let len = self.be(2)? & 0xff;
                return self.string(len as usize);
            }
            0xda => {
                let len = self.be(3)? & 0xffff;
                return self.string(len as usize);
            }
            0xdb => {
                let len = self.be(5)? & 0xffff_ffff;
                return self.string(len as usize);
            }
            0xcc => self.be(2)? as u8 as f64,
            0xcd => self.be(3)? as u16 as f64,
            0xce => self.be(5)? as u32 as f64,
            // uint 64 is pushed as a signed lua_Integer.
            0xcf => self.take(9).map(|s| be64(&s[1..]) as i64 as f64)?,
            0xd0 => self.be(2)? as u8 as i8 as f64,
            0xd1 => self.be(3)? as u16 as i16 as f64,
            0xd2 => self.be(5)? as u32 as i32 as f64,
            0xd3 => self.take(9).map(|s| be64(&s[1..]) as i64 as f64)?,
            0xca => f64::from(f32::from_bits(self.be(5)? as u32)),
            0xcb => self.take(9).map(|s| f64::from_bits(be64(&s[1..])))?,
            _ => return Err(Stop::BadFormat),
        };
        Ok(Value::Number(n))
    }
}

fn be64(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

fn runtime(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(msg.to_string())
}

/// The C stack held when the next value of the innermost container is decoded: an array holds
/// its table and the index, a map its table, and its key while the value is decoded.
fn next_slots(frames: &[Frame]) -> usize {
    match frames.last() {
        Some(Frame::Array { slots, .. }) => slots + 2,
        Some(Frame::Map {
            slots, key: None, ..
        }) => slots + 1,
        Some(Frame::Map { slots, .. }) => slots + 2,
        None => 0,
    }
}

/// `mp_unpack_full`: `limit` and `offset` 0 decode the whole input; otherwise at most `limit`
/// values from `offset`, preceded by the next offset (-1 at the end). `base` is the stack the
/// C function holds before its results.
pub(super) fn unpack_full(
    lua: &Lua,
    data: &mlua::String,
    limit: i64,
    offset: i64,
    base: usize,
) -> mlua::Result<MultiValue> {
    let bytes = data.as_bytes();
    let len = bytes.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        // The library prints the input length where it means the limit.
        return Err(capi::error(
            lua,
            format!(
                "Invalid request to unpack with offset of {} and limit of {}.",
                offset as i32, len as i32
            ),
        ));
    }
    if offset as u64 > len as u64 {
        return Err(capi::error(
            lua,
            format!(
                "Start offset {} greater than input length {}.",
                offset as i32, len as i32
            ),
        ));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut u = Unpacker {
        lua,
        data: &bytes,
        pos: offset as usize,
        refs: 0,
    };
    let mut out: Vec<Value> = Vec::new();
    while u.left() > 0 && (out.len() as i64) < limit {
        match u.value(base + out.len()) {
            Ok(v) => {
                if matches!(v, Value::String(_) | Value::Table(_)) {
                    u.refs += 1;
                }
                out.push(v);
            }
            Err(Stop::Eof) => return Err(capi::error(lua, "Missing bytes in input.")),
            Err(Stop::BadFormat) => return Err(capi::error(lua, "Bad data format in input.")),
            Err(Stop::Lua(e)) => return Err(e),
        }
    }
    if !decode_all {
        capi::check_stack(lua, base + out.len(), 1, "in function mp_unpack_full")?;
        let next = if u.left() == 0 { -1.0 } else { u.pos as f64 };
        out.insert(0, Value::Number(next));
    }
    Ok(MultiValue::from_vec(out))
}
