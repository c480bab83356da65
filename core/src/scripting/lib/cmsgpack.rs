//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis bundles it (`pack`, `unpack`, `unpack_one`,
//! `unpack_limit`).
//!
//! Packing picks the smallest encoding: integers (numbers a 64-bit integer holds exactly) as
//! fixint, uint 8/16/32/64 or int 8/16/32/64; other numbers as float 32 when a float holds them
//! exactly, else float 64; strings as fixstr, str 8/16/32; tables whose keys are exactly 1..n as
//! arrays (the empty table too), others as maps, with fix/16/32 headers; booleans; everything
//! else (nil, functions, userdata, threads) as nil, and so are tables nested 16 deep, which is
//! what keeps cycles finite. Several arguments pack to the concatenation of their encodings.
//!
//! Unpacking returns every value of the stream (`unpack`), or a next offset and at most a limit
//! of values (`unpack_one`, `unpack_limit`; offset -1 once the input is used up). uint 64 comes
//! back as a signed 64-bit integer, as the library reads it. Input that ends early is "Missing
//! bytes in input.", an unknown type byte (bin, ext, 0xc1) "Bad data format in input.".

use mlua::{Lua, MultiValue, Table, Value};

use super::capi;

/// Tables nested deeper than this pack as nil.
const MAX_NESTING: usize = 16;

const TOO_MANY_VALUES: &str =
    "too many return values at once; use unpack_one or unpack_limit instead.";

struct Packer<'a> {
    lua: &'a Lua,
    buf: Vec<u8>,
}

impl Packer<'_> {
    fn header(&mut self, small_tag: u8, small_max: usize, tag16: u8, tag32: u8, n: usize) {
        if n <= small_max {
            self.buf.push(small_tag | n as u8);
        } else if n <= 0xffff {
            self.buf.push(tag16);
            self.buf.extend_from_slice(&(n as u16).to_be_bytes());
        } else {
            self.buf.push(tag32);
            self.buf.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }

    fn bytes(&mut self, s: &[u8]) {
        let n = s.len();
        if n < 32 {
            self.buf.push(0xa0 | n as u8);
        } else if n <= 0xff {
            self.buf.extend_from_slice(&[0xd9, n as u8]);
        } else {
            self.header(0, 0, 0xda, 0xdb, n);
        }
        self.buf.extend_from_slice(s);
    }

    fn int(&mut self, n: i64) {
        let b = &mut self.buf;
        if n >= 0 {
            if n <= 127 {
                b.push(n as u8);
            } else if n <= 0xff {
                b.extend_from_slice(&[0xcc, n as u8]);
            } else if n <= 0xffff {
                b.push(0xcd);
                b.extend_from_slice(&(n as u16).to_be_bytes());
            } else if n <= 0xffff_ffff {
                b.push(0xce);
                b.extend_from_slice(&(n as u32).to_be_bytes());
            } else {
                b.push(0xcf);
                b.extend_from_slice(&(n as u64).to_be_bytes());
            }
        } else if n >= -32 {
            b.push(n as u8);
        } else if n >= -128 {
            b.extend_from_slice(&[0xd0, n as u8]);
        } else if n >= -32768 {
            b.push(0xd1);
            b.extend_from_slice(&(n as i16).to_be_bytes());
        } else if n >= -2_147_483_648 {
            b.push(0xd2);
            b.extend_from_slice(&(n as i32).to_be_bytes());
        } else {
            b.push(0xd3);
            b.extend_from_slice(&n.to_be_bytes());
        }
    }

    fn number(&mut self, n: f64) {
        let i = capi::f64_to_i64(n);
        if !n.is_infinite() && i as f64 == n {
            self.int(i);
        } else if f64::from(n as f32) == n {
            self.buf.push(0xca);
            self.buf.extend_from_slice(&(n as f32).to_be_bytes());
        } else {
            self.buf.push(0xcb);
            self.buf.extend_from_slice(&n.to_be_bytes());
        }
    }

    /// Packs `v`, nested `level` tables deep, with `top` Lua stack slots held by the C code at
    /// that point (the value included).
    fn value(&mut self, v: Value, level: usize, top: usize) -> mlua::Result<()> {
        match v {
            Value::String(s) => self.bytes(&s.as_bytes()),
            Value::Boolean(b) => self.buf.push(if b { 0xc3 } else { 0xc2 }),
            Value::Integer(i) => self.number(i as f64),
            Value::Number(n) => self.number(n),
            Value::Table(t) if level < MAX_NESTING => self.table(&t, level, top)?,
            _ => self.buf.push(0xc0),
        }
        Ok(())
    }

    fn table(&mut self, t: &Table, level: usize, top: usize) -> mlua::Result<()> {
        let lua = self.lua;
        capi::check_stack(lua, top, 2, "in function table_is_an_array")?;
        // First pass: count the pairs and see whether the keys are exactly 1..=count.
        let (mut array, mut max, mut count, mut pairs) = (true, 0i32, 0i32, 0usize);
        t.for_each(|k: Value, _: Value| {
            pairs += 1;
            if array {
                match capi::number_value(&k) {
                    Some(n)
                        if n > 0.0 && !n.is_infinite() && f64::from(capi::f64_to_i32(n)) == n =>
                    {
                        max = max.max(n as i32);
                        count += 1;
                    }
                    _ => array = false,
                }
            }
            Ok(())
        })?;
        if array && max == count {
            capi::check_stack(lua, top, 1, "in function mp_encode_lua_table_as_array")?;
            self.header(0x90, 15, 0xdc, 0xdd, pairs);
            for i in 1..=count {
                let v: Value = t.raw_get(i)?;
                self.value(v, level + 1, top + 1)?;
            }
        } else {
            capi::check_stack(lua, top, 3, "in function mp_encode_lua_table_as_map")?;
            self.header(0x80, 15, 0xde, 0xdf, pairs);
            // Nesting is at most MAX_NESTING deep, so recursing here is bounded.
            t.for_each(|k: Value, v: Value| {
                self.value(k, level + 1, top + 3)?;
                self.value(v, level + 1, top + 2)
            })?;
        }
        Ok(())
    }
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let nargs = args.len();
    if nargs == 0 {
        return Err(capi::arg_error(lua, 0, "MessagePack pack needs input."));
    }
    if !capi::stack_has_room(nargs, nargs) {
        return Err(capi::arg_error(
            lua,
            0,
            "Too many arguments for MessagePack pack.",
        ));
    }
    let mut p = Packer {
        lua,
        buf: Vec::new(),
    };
    for (i, v) in args.into_iter().enumerate() {
        // The C code leaves each argument's encoding on the stack until it concatenates them.
        capi::check_stack(lua, nargs + i, 1, "in function mp_check")?;
        p.value(v, 0, nargs + i + 1)?;
    }
    lua.create_string(&p.buf)
}

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
fn unpack_full(
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

/// Creates the `cmsgpack` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set(
        "unpack",
        lua.create_function(|lua, args: MultiValue| {
            let s = capi::check_string(lua, &args, 1)?;
            unpack_full(lua, &s, 0, 0, args.len())
        })?,
    )?;
    t.set(
        "unpack_one",
        lua.create_function(|lua, args: MultiValue| {
            let offset = capi::opt_integer(lua, &args, 2, 0)?;
            let args: MultiValue = args.into_iter().take(1).collect();
            let s = capi::check_string(lua, &args, 1)?;
            unpack_full(lua, &s, 1, offset, 1)
        })?,
    )?;
    t.set(
        "unpack_limit",
        lua.create_function(|lua, args: MultiValue| {
            let limit = capi::check_integer(lua, &args, 2)?;
            let offset = capi::opt_integer(lua, &args, 3, 0)?;
            let args: MultiValue = args.into_iter().take(1).collect();
            let s = capi::check_string(lua, &args, 1)?;
            unpack_full(lua, &s, limit, offset, 1)
        })?,
    )?;
    t.set("_NAME", "cmsgpack")?;
    t.set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::capi::testutil::{check_cases, run};

    /// Snippets and the results Redis 7.0.15 gave for them.
    const CASES: &[(&str, &str)] = include!("testdata/cmsgpack_cases.rs");

    #[test]
    fn matches_redis() {
        check_cases(CASES);
    }

    /// Redis's own test suite (tests/unit/scripting.tcl): pack/unpack smoke test.
    #[test]
    fn redis_smoke_test() {
        let r = run(r#"
            local str_lt_32 = string.rep("x", 30)
            local str_lt_255 = string.rep("x", 250)
            local str_lt_65535 = string.rep("x", 65530)
            local str_long = string.rep("x", 100000)
            local array_big = {}
            for i=1, 100000 do array_big[i] = i end
            local map_big = {}
            for i=1, 100000 do map_big[tostring(i)] = i end
            local some_map = {s1=str_lt_32, s2=str_lt_255, s3=str_lt_65535, s4=str_long,
                d1=0.1, i1=1, i2=250, i3=65530, i4=100000, i5=2^40, i6=-1, i7=-120,
                i8=-32000, i9=-100000, i10=-3147483648, a1={1, 2, 3, 4, 5},
                a2={1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18},
                a3=array_big, m1={a=1, b=2}, m2=map_big, b1=false, b2=true, n=nil}
            local encoded = cmsgpack.pack(some_map)
            local decoded = cmsgpack.unpack(encoded)
            assert(decoded.s4 == str_long and #decoded.a3 == 100000 and decoded.m2["77777"] == 77777 and decoded.i10 == -3147483648 and decoded.d1 == 0.1)
            local offset, decoded_one = cmsgpack.unpack_one(encoded, 0)
            assert(decoded_one.s3 == str_lt_65535 and decoded_one.a3[100000] == 100000)
            assert(offset == -1)
            local encoded_multiple = cmsgpack.pack(str_lt_32, str_lt_255, str_lt_65535, str_long)
            local offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, 0)
            assert(obj == str_lt_32)
            offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
            assert(obj == str_lt_255)
            offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
            assert(obj == str_lt_65535)
            offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
            assert(obj == str_long)
            assert(offset == -1)
            return 'ok'"#);
        assert_eq!(r, "ok");
    }

    /// Redis's own test suite: circular references pack 16 levels deep.
    #[test]
    fn redis_circular_references() {
        let r = run(r#"local a = {x=nil,y=5} local b = {x=a} a['x'] = b
            local encoded = cmsgpack.pack(a)
            local re = cmsgpack.unpack(encoded)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
            assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
            return hex(encoded)"#);
        assert_eq!(
            r,
            "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881\
             a17882a17905a17881a17882a17905a17881a17882a17905a17881a178c0"
        );
    }
}
