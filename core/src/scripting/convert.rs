//! The conversion rules between Redis replies and Lua values, both ways, RESP2 and RESP3, as
//! Redis 7 applies them: a command's reply (the bytes it wrote) becomes what redis.call
//! returns, and a script's return value becomes the client's reply.

use mlua::ffi;

use crate::resp::ReplyWriter;

/// How deep a script's return value may nest before the reply stops with Redis's "reached
/// lua stack limit" (Redis runs out of Lua stack at about this depth).
const MAX_REPLY_DEPTH: usize = 7900;

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

/// Writes the reply for the value on top of `state`'s stack (a script's return value) and pops
/// it: Redis's conversion rules. `resp3` is the script's own protocol (redis.setresp), which
/// decides how booleans come back; the writer encodes in the caller's protocol. Returns the
/// error reply written, if the value was an error table. Read with the C API, as Redis reads
/// it (tables with raw gets, a map or set with `lua_next` over a copy of each key), walking
/// nested tables with a stack of its own: each open table (and a map's current key) stays on
/// the Lua stack, so nesting ends, as in Redis, where the Lua stack does.
///
/// # Safety
/// `state` must hold the value on top of its stack, in a C function's frame.
pub unsafe fn write_top(
    state: *mut ffi::lua_State,
    out: &mut ReplyWriter,
    resp3: bool,
) -> Option<ErrorReply> {
    let mut frames: Vec<Frame> = Vec::new();
    let top_error = emit(state, out, resp3, &mut frames);
    let mut limit_error = None;
    while let Some(frame) = frames.last_mut() {
        let e = match frame {
            Frame::Array { table, next, len } => {
                if *next > *len {
                    ffi::lua_remove(state, *table);
                    frames.pop();
                    continue;
                }
                ffi::lua_rawgeti(state, *table, *next as ffi::lua_Integer);
                *next += 1;
                emit(state, out, resp3, &mut frames)
            }
            Frame::Map { table, value_next } => {
                if *value_next {
                    *value_next = false;
                    emit(state, out, resp3, &mut frames)
                } else if ffi::lua_next(state, *table) != 0 {
                    // A copy of the key is converted: converting the key itself (a number
                    // made text in place) would confuse lua_next.
                    ffi::lua_pushvalue(state, -2);
                    // The value waits under the key's copy.
                    *value_next = true;
                    emit(state, out, resp3, &mut frames)
                } else {
                    ffi::lua_remove(state, *table);
                    frames.pop();
                    continue;
                }
            }
            Frame::Set { table } => {
                if ffi::lua_next(state, *table) != 0 {
                    ffi::lua_pop(state, 1);
                    ffi::lua_pushvalue(state, -1);
                    emit(state, out, resp3, &mut frames)
                } else {
                    ffi::lua_remove(state, *table);
                    frames.pop();
                    continue;
                }
            }
        };
        if limit_error.is_none() {
            limit_error = e.filter(|e| e.text == STACK_LIMIT);
        }
    }
    top_error.or(limit_error)
}

/// A table whose elements are being written: its place on the Lua stack and how far along.
enum Frame {
    Array { table: i32, next: usize, len: usize },
    Map { table: i32, value_next: bool },
    Set { table: i32 },
}

const STACK_LIMIT: &[u8] = b"ERR reached lua stack limit";

/// Writes the value on top of the stack: a scalar or a special table is written and popped;
/// an array, map or set gets its header written and a frame (the table stays on the stack).
unsafe fn emit(
    state: *mut ffi::lua_State,
    out: &mut ReplyWriter,
    resp3: bool,
    frames: &mut Vec<Frame>,
) -> Option<ErrorReply> {
    match ffi::lua_type(state, -1) {
        ffi::LUA_TSTRING => out.bulk(top_bytes(state)),
        ffi::LUA_TBOOLEAN => {
            let b = ffi::lua_toboolean(state, -1) != 0;
            match (resp3, b) {
                (true, b) => out.boolean(b),
                (false, true) => out.int(1),
                (false, false) => out.null(),
            }
        }
        ffi::LUA_TNUMBER => out.int(ffi::lua_tonumber(state, -1) as i64),
        ffi::LUA_TTABLE => {
            if frames.len() >= MAX_REPLY_DEPTH || ffi::lua_checkstack(state, 4) == 0 {
                out.error_bytes(STACK_LIMIT);
                ffi::lua_pop(state, 1);
                return Some(ErrorReply {
                    text: STACK_LIMIT.to_vec(),
                    counted: false,
                });
            }
            return match write_table(state, out) {
                Ok(e) => {
                    ffi::lua_pop(state, 1);
                    e
                }
                Err(frame) => {
                    frames.push(frame);
                    None
                }
            };
        }
        _ => out.null(),
    }
    ffi::lua_pop(state, 1);
    None
}

/// The string on top of the stack (valid while it stays there).
unsafe fn top_bytes<'s>(state: *mut ffi::lua_State) -> &'s [u8] {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(state, -1, &mut len);
    if p.is_null() {
        &[]
    } else {
        std::slice::from_raw_parts(p as *const u8, len)
    }
}

/// Pushes the raw field `name` of the table on top of the stack; returns its type.
unsafe fn field(state: *mut ffi::lua_State, name: &std::ffi::CStr) -> i32 {
    ffi::lua_pushstring(state, name.as_ptr());
    ffi::lua_rawget(state, -2);
    ffi::lua_type(state, -1)
}

/// The table on top of the stack: written whole when it is an error, status, double, big
/// number or verbatim table (Ok, with the error reply if it was one); otherwise its header is
/// written and its frame returned (Err), the table staying on the stack. A map's or set's
/// inner table replaces the outer one on the stack.
unsafe fn write_table(
    state: *mut ffi::lua_State,
    out: &mut ReplyWriter,
) -> Result<Option<ErrorReply>, Frame> {
    if field(state, c"err") == ffi::LUA_TSTRING {
        let mut text = top_bytes(state).to_vec();
        ffi::lua_pop(state, 1);
        for b in text.iter_mut() {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        let counted = field(state, c"ignore_error_stats_update") == ffi::LUA_TBOOLEAN
            && ffi::lua_toboolean(state, -1) != 0;
        ffi::lua_pop(state, 1);
        out.error_bytes(&text);
        return Ok(Some(ErrorReply { text, counted }));
    }
    ffi::lua_pop(state, 1);
    if field(state, c"ok") == ffi::LUA_TSTRING {
        out.simple(&no_newlines(top_bytes(state)));
        ffi::lua_pop(state, 1);
        return Ok(None);
    }
    ffi::lua_pop(state, 1);
    if field(state, c"double") == ffi::LUA_TNUMBER {
        out.double(ffi::lua_tonumber(state, -1));
        ffi::lua_pop(state, 1);
        return Ok(None);
    }
    ffi::lua_pop(state, 1);
    if field(state, c"big_number") == ffi::LUA_TSTRING {
        let text = no_newlines(top_bytes(state));
        ffi::lua_pop(state, 1);
        if out.resp3 {
            let mut line = Vec::with_capacity(text.len() + 3);
            line.push(b'(');
            line.extend_from_slice(&text);
            line.extend_from_slice(b"\r\n");
            out.raw(&line);
        } else {
            out.bulk(&text);
        }
        return Ok(None);
    }
    ffi::lua_pop(state, 1);
    if field(state, c"verbatim_string") == ffi::LUA_TTABLE {
        if field(state, c"format") == ffi::LUA_TSTRING {
            let mut format = *b"txt";
            for (d, s) in format.iter_mut().zip(top_bytes(state)) {
                *d = *s;
            }
            ffi::lua_pop(state, 1);
            if field(state, c"string") == ffi::LUA_TSTRING {
                out.verbatim(&format, top_bytes(state));
                ffi::lua_pop(state, 2);
                return Ok(None);
            }
        }
        ffi::lua_pop(state, 1);
    }
    ffi::lua_pop(state, 1);
    for (name, map) in [(c"map", true), (c"set", false)] {
        if field(state, name) == ffi::LUA_TTABLE {
            let n = count_pairs(state);
            // The inner table takes the outer one's place.
            ffi::lua_replace(state, -2);
            let table = ffi::lua_gettop(state);
            if map {
                out.map(n);
            } else {
                out.set(n);
            }
            ffi::lua_pushnil(state);
            return Err(if map {
                Frame::Map {
                    table,
                    value_next: false,
                }
            } else {
                Frame::Set { table }
            });
        }
        ffi::lua_pop(state, 1);
    }
    let mut len = 0;
    loop {
        ffi::lua_rawgeti(state, -1, (len + 1) as ffi::lua_Integer);
        let nil = ffi::lua_type(state, -1) == ffi::LUA_TNIL;
        ffi::lua_pop(state, 1);
        if nil {
            break;
        }
        len += 1;
    }
    out.array(len);
    Err(Frame::Array {
        table: ffi::lua_gettop(state),
        next: 1,
        len,
    })
}

/// The pairs of the table on top of the stack.
unsafe fn count_pairs(state: *mut ffi::lua_State) -> usize {
    let mut n = 0;
    ffi::lua_pushnil(state);
    while ffi::lua_next(state, -2) != 0 {
        ffi::lua_pop(state, 1);
        n += 1;
    }
    n
}

/// The error reply for the error table on top of the stack (popped): its `err`, and where the
/// script raised it. Returns the text and whether the statistics already counted it.
///
/// # Safety
/// As [`write_top`].
pub unsafe fn write_error_top(
    state: *mut ffi::lua_State,
    out: &mut ReplyWriter,
    name: &str,
) -> (Vec<u8>, bool) {
    let text = |state: *mut ffi::lua_State, k: &std::ffi::CStr| -> Option<Vec<u8>> {
        let t = field(state, k);
        // lua_tolstring turns a number into text in place: fine on a value we then pop.
        let v = (t == ffi::LUA_TSTRING || t == ffi::LUA_TNUMBER).then(|| top_bytes(state).to_vec());
        ffi::lua_pop(state, 1);
        v
    };
    let mut msg = text(state, c"err").unwrap_or_else(|| b"ERR unknown error".to_vec());
    if let (Some(source), Some(line)) = (text(state, c"source"), text(state, c"line")) {
        msg.extend_from_slice(format!(" script: {name}, on ").as_bytes());
        msg.extend_from_slice(&source);
        msg.push(b':');
        msg.extend_from_slice(&line);
        msg.push(b'.');
    }
    for b in msg.iter_mut() {
        if *b == b'\r' || *b == b'\n' {
            *b = b' ';
        }
    }
    let counted = field(state, c"ignore_error_stats_update") == ffi::LUA_TBOOLEAN
        && ffi::lua_toboolean(state, -1) != 0;
    ffi::lua_pop(state, 2);
    out.error_bytes(&msg);
    (msg, counted)
}

fn no_newlines(s: &[u8]) -> Vec<u8> {
    s.iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect()
}
