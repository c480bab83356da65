//! The conversion rules between Redis replies and Lua values, both ways, RESP2 and RESP3, as
//! Redis 7 applies them: a command's reply (the bytes it wrote) becomes what redis.call
//! returns, and a script's return value becomes the client's reply.

use mlua::{ffi, Table, Value};

use crate::resp::ReplyWriter;

/// How deep a script's return value may nest before the reply stops with Redis's "reached
/// lua stack limit" (Redis runs out of Lua stack at about this depth).
const MAX_REPLY_DEPTH: usize = 1000;

/// Pushes onto `state` the Lua value redis.call returns for the RESP reply in `buf` (a
/// command's own output, so well formed): Redis's conversion rules, built with the C API.
/// Returns whether the reply was an error (then the value is its `{err=...}` table).
///
/// # Safety
/// `state` must be a Lua state with room to grow (its C function's stack).
pub unsafe fn push_reply(state: *mut ffi::lua_State, buf: &[u8]) -> bool {
    let is_error = matches!(buf.first(), Some(b'-' | b'!'));
    let mut pos = 0;
    push_value(state, buf, &mut pos);
    is_error
}

/// Pushes `{err = text, ignore_error_stats_update = true?}` (`text` in Redis's "CODE msg"
/// form, or a reply line to convert to it).
///
/// # Safety
/// As [`push_reply`].
pub unsafe fn push_error_table(state: *mut ffi::lua_State, text: &[u8], counted: bool) {
    ffi::luaL_checkstack(state, 3, std::ptr::null());
    ffi::lua_createtable(state, 0, 2);
    ffi::lua_pushlstring(state, text.as_ptr() as *const _, text.len());
    ffi::lua_setfield(state, -2, c"err".as_ptr());
    if counted {
        ffi::lua_pushboolean(state, 1);
        ffi::lua_setfield(state, -2, c"ignore_error_stats_update".as_ptr());
    }
}

fn line<'b>(buf: &'b [u8], pos: &mut usize) -> &'b [u8] {
    let start = (*pos).min(buf.len());
    let end = buf[start..]
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(buf.len(), |i| start + i);
    *pos = (end + 2).min(buf.len());
    &buf[start..end]
}

fn int_of(s: &[u8]) -> i64 {
    crate::util::num::parse_i64(s).unwrap_or(0)
}

fn bulk<'b>(buf: &'b [u8], pos: &mut usize, len: i64) -> &'b [u8] {
    let len = len.max(0) as usize;
    let start = (*pos).min(buf.len());
    let end = (start + len).min(buf.len());
    *pos = (end + 2).min(buf.len());
    &buf[start..end]
}

unsafe fn push_str(state: *mut ffi::lua_State, s: &[u8]) {
    ffi::lua_pushlstring(state, s.as_ptr() as *const _, s.len());
}

/// Pushes `{field = <what push_inner pushes>}`.
unsafe fn push_keyed(
    state: *mut ffi::lua_State,
    field: &std::ffi::CStr,
    push_inner: impl FnOnce(),
) {
    ffi::lua_createtable(state, 0, 1);
    push_inner();
    ffi::lua_setfield(state, -2, field.as_ptr());
}

unsafe fn push_value(state: *mut ffi::lua_State, buf: &[u8], pos: &mut usize) {
    ffi::luaL_checkstack(state, 4, std::ptr::null());
    let Some(&kind) = buf.get(*pos) else {
        return ffi::lua_pushnil(state);
    };
    *pos += 1;
    let head = line(buf, pos);
    match kind {
        b'+' => push_keyed(state, c"ok", || push_str(state, head)),
        b'-' => {
            let mut line = Vec::with_capacity(head.len() + 1);
            line.push(b'-');
            line.extend_from_slice(head);
            push_error_table(state, &super::api::error_code_text(&line), true);
        }
        b'!' => {
            let text = bulk(buf, pos, int_of(head));
            let mut line = Vec::with_capacity(text.len() + 1);
            line.push(b'-');
            line.extend_from_slice(text);
            push_error_table(state, &super::api::error_code_text(&line), true);
        }
        b':' => ffi::lua_pushnumber(state, int_of(head) as f64),
        b'$' | b'*' if head == b"-1" => ffi::lua_pushboolean(state, 0),
        b'$' => push_str(state, bulk(buf, pos, int_of(head))),
        b'*' | b'>' => {
            let n = int_of(head).max(0) as usize;
            ffi::lua_createtable(state, n.min(1 << 20) as i32, 0);
            for i in 1..=n {
                push_value(state, buf, pos);
                ffi::lua_rawseti(state, -2, i as i64);
            }
        }
        b'%' => push_keyed(state, c"map", || {
            let n = int_of(head).max(0) as usize;
            ffi::lua_createtable(state, 0, n.min(1 << 20) as i32);
            for _ in 0..n {
                push_value(state, buf, pos);
                push_value(state, buf, pos);
                if ffi::lua_isnil(state, -2) != 0 {
                    ffi::lua_pop(state, 2);
                } else {
                    ffi::lua_rawset(state, -3);
                }
            }
        }),
        b'~' => push_keyed(state, c"set", || {
            let n = int_of(head).max(0) as usize;
            ffi::lua_createtable(state, 0, n.min(1 << 20) as i32);
            for _ in 0..n {
                push_value(state, buf, pos);
                if ffi::lua_isnil(state, -1) != 0 {
                    ffi::lua_pop(state, 1);
                } else {
                    ffi::lua_pushboolean(state, 1);
                    ffi::lua_rawset(state, -3);
                }
            }
        }),
        b'|' => {
            // Attributes are not shown to scripts: skip them, keep the reply they annotate.
            for _ in 0..2 * int_of(head).max(0) {
                push_value(state, buf, pos);
                ffi::lua_pop(state, 1);
            }
            push_value(state, buf, pos);
        }
        b'_' => ffi::lua_pushnil(state),
        b'#' => ffi::lua_pushboolean(state, (head == b"t") as i32),
        b',' => {
            let d = std::str::from_utf8(head)
                .ok()
                .and_then(|s| match s {
                    "inf" => Some(f64::INFINITY),
                    "-inf" => Some(f64::NEG_INFINITY),
                    _ => s.parse::<f64>().ok(),
                })
                .unwrap_or(f64::NAN);
            push_keyed(state, c"double", || ffi::lua_pushnumber(state, d));
        }
        b'(' => push_keyed(state, c"big_number", || push_str(state, head)),
        b'=' => {
            let body = bulk(buf, pos, int_of(head));
            let (format, text) = if body.len() >= 4 {
                (&body[..3], &body[4..])
            } else {
                (&b"txt"[..], body)
            };
            push_keyed(state, c"verbatim_string", || {
                ffi::lua_createtable(state, 0, 2);
                push_str(state, text);
                ffi::lua_setfield(state, -2, c"string".as_ptr());
                push_str(state, format);
                ffi::lua_setfield(state, -2, c"format".as_ptr());
            });
        }
        _ => ffi::lua_pushnil(state),
    }
}

/// What a script's error reply says, and whether it was already counted in the error
/// statistics (an error redis.call returned).
pub struct ErrorReply {
    /// The error line, without '-'.
    pub text: Vec<u8>,
    /// Whether INFO errorstats already counted it.
    pub counted: bool,
}

/// Writes the reply for the Lua value `v` a script returned. `resp3` is the script's own
/// protocol (redis.setresp), which decides how booleans come back; the writer encodes in the
/// caller's protocol. Returns the error reply written, if `v` was an error table. Nested
/// tables are walked with an explicit stack (a script can return a table nested as deep as it
/// likes, or containing itself).
pub fn lua_to_reply(out: &mut ReplyWriter, v: &Value, resp3: bool) -> Option<ErrorReply> {
    let mut stack: Vec<(Value, usize)> = vec![(v.clone(), 0)];
    let mut top_error = None;
    let mut first = true;
    while let Some((v, depth)) = stack.pop() {
        let e = write_one(out, &v, resp3, depth, &mut stack);
        if first {
            top_error = e;
            first = false;
        } else if let Some(e) = e.filter(|e| e.text == STACK_LIMIT) {
            top_error.get_or_insert(e);
        }
    }
    top_error
}

const STACK_LIMIT: &[u8] = b"ERR reached lua stack limit";

/// Writes `v`, or the header of a table whose elements it pushes on `stack` (last first).
fn write_one(
    out: &mut ReplyWriter,
    v: &Value,
    resp3: bool,
    depth: usize,
    stack: &mut Vec<(Value, usize)>,
) -> Option<ErrorReply> {
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) if !resp3 => {
            if *b {
                out.int(1);
            } else {
                out.null();
            }
        }
        Value::Boolean(b) => out.boolean(*b),
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(*n as i64),
        Value::Table(_) if depth >= MAX_REPLY_DEPTH => {
            out.error_bytes(STACK_LIMIT);
            return Some(ErrorReply {
                text: STACK_LIMIT.to_vec(),
                counted: false,
            });
        }
        Value::Table(t) => return write_table(out, t, depth, stack),
        _ => out.null(),
    }
    None
}

fn write_table(
    out: &mut ReplyWriter,
    t: &Table,
    depth: usize,
    stack: &mut Vec<(Value, usize)>,
) -> Option<ErrorReply> {
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        let mut text = e.as_bytes().to_vec();
        for b in text.iter_mut() {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        let counted = matches!(
            t.raw_get::<Value>("ignore_error_stats_update"),
            Ok(Value::Boolean(true))
        );
        out.error_bytes(&text);
        return Some(ErrorReply { text, counted });
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        out.simple(&no_newlines(&s.as_bytes()));
        return None;
    }
    if let Ok(Value::Number(d)) = t.raw_get::<Value>("double") {
        out.double(d);
        return None;
    }
    if let Ok(Value::Integer(d)) = t.raw_get::<Value>("double") {
        out.double(d as f64);
        return None;
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        let text = no_newlines(&s.as_bytes());
        if out.resp3 {
            let mut line = Vec::with_capacity(text.len() + 3);
            line.push(b'(');
            line.extend_from_slice(&text);
            line.extend_from_slice(b"\r\n");
            out.raw(&line);
        } else {
            out.bulk(&text);
        }
        return None;
    }
    if let Ok(Value::Table(v)) = t.raw_get::<Value>("verbatim_string") {
        if let (Ok(Value::String(f)), Ok(Value::String(s))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
        {
            let f = f.as_bytes();
            let mut format = *b"txt";
            for (d, s) in format.iter_mut().zip(f.iter()) {
                *d = *s;
            }
            out.verbatim(&format, &s.as_bytes());
            return None;
        }
    }
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().filter_map(Result::ok).collect();
        out.map(pairs.len());
        for (k, v) in pairs.into_iter().rev() {
            stack.push((v, depth + 1));
            stack.push((k, depth + 1));
        }
        return None;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .filter_map(|r| r.ok().map(|(k, _)| k))
            .collect();
        out.set(keys.len());
        stack.extend(keys.into_iter().rev().map(|k| (k, depth + 1)));
        return None;
    }
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(v),
        }
    }
    out.array(items.len());
    stack.extend(items.into_iter().rev().map(|v| (v, depth + 1)));
    None
}

fn no_newlines(s: &[u8]) -> Vec<u8> {
    s.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}
