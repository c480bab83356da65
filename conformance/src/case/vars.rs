//! Block variables: `int as $id` captures a reply; `${id}` in later command arguments,
//! `@send` bytes and expectations is replaced by it.

use std::collections::HashMap;

pub type Vars = HashMap<String, Vec<u8>>;

fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `expectation as $name` into the expectation and the variable name.
pub fn split_capture(line: &str) -> (&str, Option<&str>) {
    if let Some((head, name)) = line.rsplit_once(" as $") {
        if is_name(name) {
            return (head.trim_end(), Some(name));
        }
    }
    (line, None)
}

/// True when `s` mentions a variable.
pub fn mentions(s: &[u8]) -> bool {
    s.windows(2).any(|w| w == b"${")
}

/// Replaces every `${name}` in `s`; an unknown name is an error.
pub fn substitute(s: &[u8], vars: &Vars) -> Result<Vec<u8>, String> {
    replace(s, |name| {
        vars.get(name)
            .cloned()
            .ok_or_else(|| format!("variable ${{{name}}} is not set"))
    })
}

/// `s` with every `${name}` replaced by `0`: to check an expectation's syntax at load time.
pub fn stand_in(s: &str) -> String {
    let out = replace(s.as_bytes(), |_| Ok(b"0".to_vec())).unwrap_or_default();
    String::from_utf8_lossy(&out).into_owned()
}

fn replace(s: &[u8], lookup: impl Fn(&str) -> Result<Vec<u8>, String>) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(b"${") {
            if let Some(len) = s[i + 2..].iter().position(|&b| b == b'}') {
                let name = String::from_utf8_lossy(&s[i + 2..i + 2 + len]).into_owned();
                if is_name(&name) {
                    out.extend_from_slice(&lookup(&name)?);
                    i += len + 3;
                    continue;
                }
            }
        }
        out.push(s[i]);
        i += 1;
    }
    Ok(out)
}

/// What a scalar reply captures as: integers in decimal, strings as their bytes.
pub fn capture(v: &crate::Value) -> Option<Vec<u8>> {
    use crate::Value;
    match v {
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Simple(b) | Value::Bulk(b) | Value::Double(b) | Value::BigNumber(b) => {
            Some(b.to_vec())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_syntax_and_substitution() {
        assert_eq!(split_capture("int as $id"), ("int", Some("id")));
        assert_eq!(split_capture("\"x as $y\""), ("\"x as $y\"", None));
        assert_eq!(split_capture("int as $"), ("int as $", None));
        let vars: Vars = [("id".to_string(), b"42".to_vec())].into();
        assert_eq!(substitute(b"ID ${id}!", &vars).unwrap(), b"ID 42!");
        assert_eq!(
            substitute(b"${ x } $id ${", &vars).unwrap(),
            b"${ x } $id ${"
        );
        assert!(substitute(b"${nope}", &vars).is_err());
        assert!(mentions(b"a${id}") && !mentions(b"a$id"));
        assert_eq!(stand_in(":${id}..${x}"), ":0..0");
    }
}
