//! `cjson.encode`: a Lua value to JSON text, as lua-cjson 2.1.0 writes it.
//!
//! Tables whose keys are all integers >= 1 are arrays (holes as `null`), unless excessively
//! sparse: more than `ratio` times as many slots as items and past `safe` slots, which is an
//! error or, with `encode_sparse_array(true)`, an object. Other tables are objects (the empty
//! table is `{}`), keys in `next` order, number keys written as quoted numbers. `cjson.null`
//! and nil are `null`. Strings escape `"`, `\`, `/`, control characters and DEL. Nesting
//! deeper than `encode_max_depth` (or than the Lua stack a C function may use) is an error.
//!
//! The walk is iterative (an explicit stack of open containers), so nesting depth costs heap,
//! not Rust stack.

use mlua::{Function, Lua, Table, Value};

use super::number::format_g;
use super::Config;
use crate::scripting::lib::capi;

/// What a byte is written as inside a JSON string: `None` as itself.
fn escape(b: u8) -> Option<&'static [u8]> {
    Some(match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'/' => b"\\/",
        0x08 => b"\\b",
        b'\t' => b"\\t",
        b'\n' => b"\\n",
        0x0c => b"\\f",
        b'\r' => b"\\r",
        0x7f => b"\\u007f",
        0x00..=0x1f => return None, // \u00XX, written by the caller
        _ => return None,
    })
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || matches!(b, b'"' | b'\\' | b'/' | 0x7f)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(super) fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut run = 0;
    for (i, &b) in s.iter().enumerate() {
        if !needs_escape(b) {
            continue;
        }
        out.extend_from_slice(&s[run..i]);
        run = i + 1;
        match escape(b) {
            Some(e) => out.extend_from_slice(e),
            None => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
        }
    }
    out.extend_from_slice(&s[run..]);
    out.push(b'"');
}

/// An open container: an array written element by element, or an object walked with `next`
/// from its last key (`None` before the first).
enum Frame {
    Array {
        t: Table,
        next: i32,
        len: i32,
        depth: i32,
        slots: usize,
    },
    Object {
        t: Table,
        key: Option<Value>,
        depth: i32,
        slots: usize,
    },
}

/// At most this many containers are open at once: each holds up to two mlua references.
const MAX_OPEN: usize = capi::REF_BUDGET / 2;

pub(super) struct Encoder<'a> {
    pub lua: &'a Lua,
    pub cfg: Config,
    pub out: Vec<u8>,
    /// The base library's `next`.
    next_fn: &'a Function,
    scratch: String,
}

impl<'a> Encoder<'a> {
    pub fn new(lua: &'a Lua, cfg: Config, out: Vec<u8>, next_fn: &'a Function) -> Self {
        Encoder {
            lua,
            cfg,
            out,
            next_fn,
            scratch: String::new(),
        }
    }

    fn exception(&self, v: &Value, reason: &str) -> mlua::Error {
        let tname = capi::type_name(Some(v));
        capi::error(self.lua, format!("Cannot serialise {tname}: {reason}"))
    }

    fn number(&mut self, v: &Value, n: f64) -> mlua::Result<()> {
        match self.cfg.encode_invalid_numbers {
            0 if !n.is_finite() => return Err(self.exception(v, "must not be NaN or Inf")),
            1 if n.is_nan() => {
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            2 if !n.is_finite() => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        format_g(
            &mut self.out,
            n,
            self.cfg.precision as usize,
            &mut self.scratch,
        );
        Ok(())
    }

    /// Encodes `v` into `out`.
    pub fn encode(&mut self, v: Value) -> mlua::Result<()> {
        let mut stack: Vec<Frame> = Vec::new();
        // The C encoder holds its argument on the stack: 1 slot.
        if let Some(f) = self.value(v, 0, 1, 0)? {
            stack.push(f);
        }
        loop {
            let open = stack.len();
            let Some(top) = stack.last_mut() else { break };
            let child = match top {
                Frame::Array {
                    t,
                    next,
                    len,
                    depth,
                    slots,
                } => {
                    if *next > *len {
                        self.out.push(b']');
                        stack.pop();
                        continue;
                    }
                    if *next > 1 {
                        self.out.push(b',');
                    }
                    let v: Value = t.raw_get(*next)?;
                    *next += 1;
                    let (depth, slots) = (*depth, *slots + 1);
                    self.value(v, depth, slots, open)?
                }
                Frame::Object {
                    t,
                    key,
                    depth,
                    slots,
                } => {
                    let first = key.is_none();
                    let prev = key.take().unwrap_or(Value::Nil);
                    let (k, v): (Value, Value) = self.next_fn.call((&*t, prev))?;
                    if k.is_nil() {
                        self.out.push(b'}');
                        stack.pop();
                        continue;
                    }
                    if !first {
                        self.out.push(b',');
                    }
                    self.key(&k)?;
                    *key = Some(k);
                    let (depth, slots) = (*depth, *slots + 2);
                    self.value(v, depth, slots, open)?
                }
            };
            if let Some(f) = child {
                stack.push(f);
            }
        }
        Ok(())
    }

    fn key(&mut self, k: &Value) -> mlua::Result<()> {
        match k {
            Value::String(s) => {
                append_string(&mut self.out, &s.as_bytes());
                self.out.push(b':');
            }
            Value::Integer(_) | Value::Number(_) => {
                let n = capi::number_value(k).unwrap_or(0.0);
                self.out.push(b'"');
                self.number(k, n)?;
                self.out.extend_from_slice(b"\":");
            }
            _ => return Err(self.exception(k, "table key must be a number or string")),
        }
        Ok(())
    }

    /// Writes a scalar, or opens a table and returns its frame. `depth` is the nesting of the
    /// enclosing container, `slots` the Lua stack the C encoder would hold with `v` on top,
    /// `open` the containers open around it.
    fn value(
        &mut self,
        v: Value,
        depth: i32,
        slots: usize,
        open: usize,
    ) -> mlua::Result<Option<Frame>> {
        match &v {
            Value::String(s) => append_string(&mut self.out, &s.as_bytes()),
            Value::Integer(i) => self.number(&v, *i as f64)?,
            Value::Number(n) => self.number(&v, *n)?,
            Value::Boolean(true) => self.out.extend_from_slice(b"true"),
            Value::Boolean(false) => self.out.extend_from_slice(b"false"),
            Value::Nil => self.out.extend_from_slice(b"null"),
            Value::LightUserData(p) if p.0.is_null() => self.out.extend_from_slice(b"null"),
            Value::Table(t) => {
                let depth = depth.saturating_add(1);
                return self.table(&v, t, depth, slots, open).map(Some);
            }
            _ => return Err(self.exception(&v, "type not supported")),
        }
        Ok(None)
    }

    fn table(
        &mut self,
        v: &Value,
        t: &Table,
        depth: i32,
        slots: usize,
        open: usize,
    ) -> mlua::Result<Frame> {
        if depth > self.cfg.encode_max_depth || !capi::stack_has_room(slots, 3) || open >= MAX_OPEN
        {
            return Err(capi::error(
                self.lua,
                format!("Cannot serialise, excessive nesting ({depth})"),
            ));
        }
        // Array or object, decided as the C code does: keys that are numbers, integral and >= 1,
        // counting them and the largest (as a C int); any other key makes an object.
        let (mut array, mut max, mut items) = (true, 0i32, 0i32);
        let walk = t.for_each(|k: Value, _: Value| {
            match capi::number_value(&k) {
                Some(n) if n != 0.0 && n.floor() == n && n >= 1.0 => {
                    if n > f64::from(max) {
                        max = capi::f64_to_i32(n);
                    }
                    items = items.wrapping_add(1);
                    Ok(())
                }
                _ => {
                    array = false;
                    // Stop the walk: the table is an object.
                    Err(mlua::Error::RuntimeError(String::new()))
                }
            }
        });
        if array {
            walk?;
        }
        let cfg = self.cfg;
        if array
            && cfg.sparse_ratio > 0
            && max > items.wrapping_mul(cfg.sparse_ratio)
            && max > cfg.sparse_safe
        {
            if !cfg.sparse_convert {
                return Err(self.exception(v, "excessively sparse array"));
            }
            array = false;
        }
        if array && max > 0 {
            self.out.push(b'[');
            Ok(Frame::Array {
                t: t.clone(),
                next: 1,
                len: max,
                depth,
                slots,
            })
        } else {
            self.out.push(b'{');
            Ok(Frame::Object {
                t: t.clone(),
                key: None,
                depth,
                slots,
            })
        }
    }
}
