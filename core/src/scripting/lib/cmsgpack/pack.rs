//! Packing: Lua values to MessagePack, lua-cmsgpack's encodings.

use mlua::{Lua, MultiValue, Table, Value};

use crate::scripting::lib::capi;

/// Tables nested deeper than this pack as nil.
const MAX_NESTING: usize = 16;

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

pub(super) fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
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
