//! The key patterns of SORT's BY and GET options: `#` (the element itself), `prefix*suffix`
//! (a string key named after the element) and `prefix*suffix->field` (a hash field).

use crate::keyspace::{Locked, Value};

/// A BY or GET pattern, split once at parse time.
pub enum Pattern<'a> {
    /// `#`: the element itself.
    Element,
    /// No `*`: names no key (GET gives nil; BY means "do not sort").
    Constant,
    /// `prefix*suffix`, optionally `->field` (the `->` must follow the `*` and name a field).
    Key {
        prefix: &'a [u8],
        suffix: &'a [u8],
        field: Option<&'a [u8]>,
    },
}

impl<'a> Pattern<'a> {
    /// Splits `pat` as Redis's lookupKeyByPattern does.
    pub fn parse(pat: &'a [u8]) -> Pattern<'a> {
        if pat == b"#" {
            return Pattern::Element;
        }
        let Some(star) = pat.iter().position(|&b| b == b'*') else {
            return Pattern::Constant;
        };
        let rest = &pat[star + 1..];
        let arrow = rest
            .windows(2)
            .position(|w| w == b"->")
            .filter(|&i| i + 2 < rest.len());
        let (suffix, field) = match arrow {
            Some(i) => (&rest[..i], Some(&rest[i + 2..])),
            None => (rest, None),
        };
        Pattern::Key {
            prefix: &pat[..star],
            suffix,
            field,
        }
    }

    /// Whether the pattern names keys (contains a `*`).
    pub fn has_star(&self) -> bool {
        matches!(self, Pattern::Key { .. })
    }

    /// The value the pattern gives for `element`: the element itself, a string key's value or
    /// a hash field's value; None when the key is missing or of the wrong type.
    pub fn lookup(&self, db: &mut Locked, element: &[u8]) -> Option<Vec<u8>> {
        let (prefix, suffix, field) = match self {
            Pattern::Element => return Some(element.to_vec()),
            Pattern::Constant => return None,
            Pattern::Key {
                prefix,
                suffix,
                field,
            } => (prefix, suffix, field),
        };
        let mut key = Vec::with_capacity(prefix.len() + element.len() + suffix.len());
        key.extend_from_slice(prefix);
        key.extend_from_slice(element);
        key.extend_from_slice(suffix);
        let entry = db.get_read(&key)?;
        match (field, &entry.value) {
            (Some(f), Value::Hash(h)) => h.get(f).map(<[u8]>::to_vec),
            (None, v) => v.to_vec(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    /// (prefix, suffix, field) of a key pattern.
    type Parts = (Vec<u8>, Vec<u8>, Option<Vec<u8>>);

    fn parts(p: &[u8]) -> Option<Parts> {
        match Pattern::parse(p) {
            Pattern::Key {
                prefix,
                suffix,
                field,
            } => Some((prefix.to_vec(), suffix.to_vec(), field.map(<[u8]>::to_vec))),
            _ => None,
        }
    }

    #[test]
    fn splits_like_redis() {
        assert!(matches!(Pattern::parse(b"#"), Pattern::Element));
        assert!(matches!(Pattern::parse(b"nosort"), Pattern::Constant));
        assert_eq!(parts(b"w_*"), Some((b"w_".to_vec(), vec![], None)));
        assert_eq!(
            parts(b"h_*->f"),
            Some((b"h_".to_vec(), vec![], Some(b"f".to_vec())))
        );
        // An arrow with no field after it is part of the key name.
        assert_eq!(
            parts(b"h_*->"),
            Some((b"h_".to_vec(), b"->".to_vec(), None))
        );
        // An arrow before the star is part of the prefix.
        assert_eq!(
            parts(b"a->*b"),
            Some((b"a->".to_vec(), b"b".to_vec(), None))
        );
    }
}
