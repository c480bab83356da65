//! `struct`: Roberto Ierusalimschy's binary packing library as Redis bundles it (`pack`,
//! `unpack`, `size`).
//!
//! Formats: `<` little endian, `>` big endian, `=` (not an option: "invalid format option"),
//! `![n]` maximum alignment n (8 when omitted), ` ` ignored; `b`/`B` char, `h`/`H` short,
//! `l`/`L` long, `T` size_t, `i[n]`/`I[n]` int of n bytes (4 when omitted, at most 32), `f`
//! float, `d` double, `c[n]` n bytes (`c0`: the whole string when packing, the previous result
//! as length when unpacking), `s` zero-terminated string, `x` a zero byte. Sizes are x86-64's
//! and the machine order (little endian) is the default. Lower case integers are signed.
//!
//! Numbers become integers as the C casts do on x86-64 (out of range: the "integer indefinite"
//! value); integers wider than 8 bytes carry 8 bytes of value, the rest zero when packing and
//! ignored when unpacking, as `long` arithmetic makes them.

use mlua::{Lua, MultiValue, Table, Value};

use super::capi;

/// The widest integer format.
const MAX_INT_SIZE: usize = 32;
/// Alignment for `!` without a number: the strictest of double and int on x86-64.
const MAX_ALIGN: usize = 8;

#[derive(Clone, Copy)]
struct Header {
    little: bool,
    align: usize,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// A cursor over the format, which ends at its first zero byte as a C string does.
struct Fmt<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Fmt<'_> {
    fn peek(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }

    fn next_opt(&mut self) -> Option<u8> {
        let c = self.peek();
        if c == 0 {
            return None;
        }
        self.pos += 1;
        Some(c)
    }

    /// A decimal number at the cursor, or `default` when there is none.
    fn number(&mut self, lua: &Lua, default: usize) -> mlua::Result<usize> {
        if !self.peek().is_ascii_digit() {
            return Ok(default);
        }
        let mut a: i64 = 0;
        while self.peek().is_ascii_digit() {
            let d = i64::from(self.peek() - b'0');
            let max = i64::from(i32::MAX);
            if a > max / 10 || a * 10 > max - d {
                return Err(capi::error(lua, "integral size overflow"));
            }
            a = a * 10 + d;
            self.pos += 1;
        }
        Ok(a as usize)
    }
}

/// The size of option `opt`, reading its number if it takes one; 0 for options without data.
fn opt_size(lua: &Lua, opt: u8, fmt: &mut Fmt) -> mlua::Result<usize> {
    Ok(match opt {
        b'b' | b'B' | b'x' => 1,
        b'h' | b'H' => 2,
        b'f' => 4,
        b'l' | b'L' | b'T' | b'd' => 8,
        b'c' => fmt.number(lua, 1)?,
        b'i' | b'I' => {
            let size = fmt.number(lua, 4)?;
            if size > MAX_INT_SIZE {
                return Err(capi::error(
                    lua,
                    format!("integral size {size} is larger than limit of {MAX_INT_SIZE}"),
                ));
            }
            size
        }
        _ => 0,
    })
}

/// Padding before an item of `size` bytes at offset `len` (sizes need not be powers of two:
/// the arithmetic is the library's, whatever it gives).
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    let mask = size.wrapping_sub(1);
    size.wrapping_sub(len & mask) & mask
}

/// The options that set endianness and alignment; anything else is an invalid option.
fn control(lua: &Lua, opt: u8, fmt: &mut Fmt, h: &mut Header) -> mlua::Result<()> {
    match opt {
        b' ' => {}
        b'>' => h.little = false,
        b'<' => h.little = true,
        b'!' => {
            let a = fmt.number(lua, MAX_ALIGN)?;
            if !a.is_power_of_two() {
                return Err(capi::error(
                    lua,
                    format!("alignment {a} is not a power of 2"),
                ));
            }
            h.align = a;
        }
        _ => {
            let msg = format!("invalid format option '{}'", char::from(opt));
            return Err(capi::arg_error(lua, 1, &msg));
        }
    }
    Ok(())
}

/// `luaL_checknumber` for `pack`, whose argument past the last one reads as nil (the library
/// pushes a nil mark there before its buffer).
fn pack_number(lua: &Lua, args: &MultiValue, narg: i32) -> mlua::Result<f64> {
    match capi::to_number(lua, capi::arg(args, narg)) {
        Some(n) => Ok(n),
        None => Err(pack_type_error(lua, args, narg, "number")),
    }
}

fn pack_string(lua: &Lua, args: &MultiValue, narg: i32) -> mlua::Result<mlua::String> {
    if capi::arg(args, narg).is_some() {
        capi::check_string(lua, args, narg)
    } else {
        Err(pack_type_error(lua, args, narg, "string"))
    }
}

fn pack_type_error(lua: &Lua, args: &MultiValue, narg: i32, tname: &str) -> mlua::Error {
    if usize::try_from(narg).ok() == Some(args.len() + 1) {
        capi::arg_error(lua, narg, &format!("{tname} expected, got nil"))
    } else {
        capi::type_error(lua, args, narg, tname)
    }
}

fn put_integer(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let mut value = if n < 0.0 {
        capi::f64_to_i64(n) as u64
    } else {
        capi::f64_to_u64(n)
    };
    let start = out.len();
    out.resize(start + size, 0);
    let bytes = &mut out[start..];
    for i in 0..size {
        let idx = if little { i } else { size - 1 - i };
        bytes[idx] = (value & 0xff) as u8;
        value >>= 8;
    }
}

fn get_integer(buf: &[u8], little: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut add = |b: u8| l = (l << 8) | u64::from(b);
    if little {
        buf.iter().rev().for_each(|&b| add(b));
    } else {
        buf.iter().for_each(|&b| add(b));
    }
    if !signed {
        return l as f64;
    }
    // The sign mask is `~0 << (size*8 - 1)` with the shift count taken modulo 64, as x86 does.
    let shift = ((buf.len() as u32).wrapping_mul(8).wrapping_sub(1)) & 63;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn ordered<const N: usize>(mut bytes: [u8; N], little: bool) -> [u8; N] {
    // `bytes` are little endian.
    if !little {
        bytes.reverse();
    }
    bytes
}

fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<mlua::String> {
    let fmt_s = capi::check_string(lua, &args, 1)?;
    let fmt_b = fmt_s.as_bytes();
    let mut fmt = Fmt { s: &fmt_b, pos: 0 };
    let mut h = Header::default();
    let mut arg = 2;
    let mut total = 0usize;
    let mut out = Vec::new();
    while let Some(opt) = fmt.next_opt() {
        let mut size = opt_size(lua, opt, &mut fmt)?;
        let pad = to_align(total, &h, opt, size);
        total += pad;
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = pack_number(lua, &args, arg)?;
                arg += 1;
                put_integer(&mut out, n, h.little, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = pack_number(lua, &args, arg)? as f32;
                arg += 1;
                out.extend_from_slice(&ordered(f.to_le_bytes(), h.little));
            }
            b'd' => {
                let d = pack_number(lua, &args, arg)?;
                arg += 1;
                out.extend_from_slice(&ordered(d.to_le_bytes(), h.little));
            }
            b'c' | b's' => {
                let s = pack_string(lua, &args, arg)?;
                arg += 1;
                let s = s.as_bytes();
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // The library checks after moving on to the next argument.
                    return Err(capi::arg_error(lua, arg, "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => control(lua, opt, &mut fmt, &mut h)?,
        }
        total += size;
    }
    lua.create_string(&out)
}

fn data_too_short(lua: &Lua) -> mlua::Error {
    capi::arg_error(lua, 2, "data string too short")
}

fn unpack(lua: &Lua, args: MultiValue) -> mlua::Result<MultiValue> {
    let fmt_s = capi::check_string(lua, &args, 1)?;
    let data_s = capi::check_string(lua, &args, 2)?;
    // A negative offset becomes a huge size_t, which passes this check and then finds the data
    // too short, as in C.
    let mut pos = capi::opt_integer(lua, &args, 3, 1)? as u64 as usize;
    if pos == 0 {
        return Err(capi::arg_error(lua, 3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let fmt_b = fmt_s.as_bytes();
    let data = data_s.as_bytes();
    let ld = data.len();
    let mut fmt = Fmt { s: &fmt_b, pos: 0 };
    let mut h = Header::default();
    let mut out: Vec<Value> = Vec::new();
    // String results held (each an mlua reference).
    let mut strings = 0usize;
    while let Some(opt) = fmt.next_opt() {
        let mut size = opt_size(lua, opt, &mut fmt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if !(size <= ld && pos <= ld - size) {
            return Err(data_too_short(lua));
        }
        capi::check_stack(lua, args.len() + out.len(), 2, "too many results")?;
        if strings >= capi::REF_BUDGET {
            return Err(capi::error(lua, "stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                out.push(Value::Number(get_integer(
                    &data[pos..pos + size],
                    h.little,
                    signed,
                )));
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(&data[pos..pos + 4]);
                let f = if h.little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                };
                out.push(Value::Number(f64::from(f)));
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(&data[pos..pos + 8]);
                let d = if h.little {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                };
                out.push(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let prev = out.last().and_then(|v| capi::to_number(lua, Some(v)));
                    let Some(n) = prev else {
                        return Err(capi::error(lua, "format 'c0' needs a previous size"));
                    };
                    size = capi::f64_to_u64(n) as usize;
                    if matches!(out.pop(), Some(Value::String(_))) {
                        strings -= 1;
                    }
                    if !(size <= ld && pos <= ld - size) {
                        return Err(data_too_short(lua));
                    }
                }
                out.push(Value::String(lua.create_string(&data[pos..pos + size])?));
                strings += 1;
            }
            b's' => {
                let Some(len) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(capi::error(lua, "unfinished string in data"));
                };
                out.push(Value::String(lua.create_string(&data[pos..pos + len])?));
                strings += 1;
                size = len + 1;
            }
            _ => control(lua, opt, &mut fmt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push(Value::Number(pos.wrapping_add(1) as i64 as f64));
    Ok(MultiValue::from_vec(out))
}

fn size(lua: &Lua, args: MultiValue) -> mlua::Result<f64> {
    let fmt_s = capi::check_string(lua, &args, 1)?;
    let fmt_b = fmt_s.as_bytes();
    let mut fmt = Fmt { s: &fmt_b, pos: 0 };
    let mut h = Header::default();
    let mut pos = 0usize;
    while let Some(opt) = fmt.next_opt() {
        let size = opt_size(lua, opt, &mut fmt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(capi::arg_error(lua, 1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(capi::arg_error(lua, 1, "option 'c0' has no fixed size"));
        }
        // Unknown letters and digits are skipped here, where pack and unpack reject them.
        if !opt.is_ascii_alphanumeric() {
            control(lua, opt, &mut fmt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(pos as i64 as f64)
}

/// Creates the `struct` table.
pub fn create(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.set("pack", lua.create_function(pack)?)?;
    t.set("unpack", lua.create_function(unpack)?)?;
    t.set("size", lua.create_function(size)?)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::super::capi::testutil::{check_cases, run};

    /// Snippets and the results Redis 7.0.15 gave for them.
    const CASES: &[(&str, &str)] = include!("testdata/struct_cases.rs");

    #[test]
    fn matches_redis() {
        check_cases(CASES);
    }

    #[test]
    fn round_trips() {
        let r = run(
            "local s = struct.pack('>!4 b h i l d f c3 s B H I2', -5, -300, -70000, 2^40, 0.25, \
                     1.5, 'xyz', 'str', 200, 60000, 513) \
                     return all(struct.unpack('>!4 b h i l d f c3 s B H I2', s))",
        );
        assert_eq!(
            r,
            "-5 -300 -70000 1099511627776 0.25 1.5 \"xyz\" \"str\" 200 60000 513 41"
        );
    }

    /// Where lode stops short of Redis: every string result is an mlua reference and mlua has
    /// room for about 8000 in the whole VM, so unpacking refuses more than 5000 strings (with
    /// the error Redis gives near 8000 results). mlua also cannot return more than about 7975
    /// values from one call, where Redis manages 7997.
    #[test]
    fn string_results_stop_at_the_reference_budget() {
        let many = run("return #{struct.unpack(string.rep('c1', 6000), string.rep('a', 6000))}");
        assert_eq!(many, "ERR:user_script:1: stack overflow (too many results)");
        let fine = run("return #{struct.unpack(string.rep('c1', 4999), string.rep('a', 6000))}");
        assert_eq!(fine, "5000");
    }
}
