//! `User`: an ACL user, and `Rules`, the immutable snapshot of its flags, password hashes and
//! selectors that clients check commands against. ACL SETUSER builds a new `Rules` from a copy
//! (all rules apply, or none) and swaps it in.

use std::sync::Arc;

use bytes::Bytes;
use parking_lot::RwLock;
use sha2::{Digest, Sha256};

use super::selector::{has_spaces, Selector};
use super::RuleError;
use crate::command::CommandTable;

/// SKIP-SANITIZE-PAYLOAD / SANITIZE-PAYLOAD, as set (Redis shows neither until one is).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sanitize {
    /// Neither flag given.
    #[default]
    Unset,
    /// `skip-sanitize-payload`.
    Skip,
    /// `sanitize-payload`.
    Sanitize,
}

/// A user's flags, passwords and selectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rules {
    /// `on`: the user may authenticate.
    pub enabled: bool,
    /// `nopass`: any password authenticates.
    pub nopass: bool,
    /// The payload sanitization flag.
    pub sanitize: Sanitize,
    /// SHA-256 hashes of the passwords, lowercase hex, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first, then those given in parentheses.
    pub selectors: Vec<Selector>,
    /// Some selector allows every command, key and channel: checks can be skipped.
    pub unrestricted: bool,
}

/// The SHA-256 of `password` in lowercase hex, as ACL rules and ACL GETUSER show it.
pub fn hash_password(password: &[u8]) -> String {
    let digest = Sha256::digest(password);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    hex
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64
        && h.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// Equality of two byte strings in time that depends on their lengths only, so a password
/// check does not tell how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

impl Rules {
    /// A new user's rules: off, no passwords, no permissions (channels per
    /// `acl-pubsub-default`).
    pub fn new(pubsub_all: bool) -> Rules {
        Rules {
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Unset,
            passwords: Vec::new(),
            selectors: vec![Selector::new(pubsub_all)],
            unrestricted: false,
        }
    }

    /// The default user Redis starts with: on, nopass, every command, key and channel.
    pub fn default_user(table: &CommandTable) -> Rules {
        let mut r = Rules::new(false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = r.apply(table, op.as_bytes(), false);
        }
        r.finish();
        r
    }

    /// Recomputes what is derived from the rules; call after applying them.
    pub fn finish(&mut self) {
        self.unrestricted = self
            .selectors
            .iter()
            .any(|s| s.all_commands && s.all_keys && s.all_channels);
    }

    /// The root selector.
    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// Applies one rule (Redis's ACLSetUser); `pubsub_all` is `acl-pubsub-default`.
    pub fn apply(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        pubsub_all: bool,
    ) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"on" => self.enabled = true,
            b"off" => self.enabled = false,
            b"skip-sanitize-payload" => self.sanitize = Sanitize::Skip,
            b"sanitize-payload" => self.sanitize = Sanitize::Sanitize,
            b"nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            b"clearselectors" => self.selectors.truncate(1),
            b"reset" => {
                self.nopass = false;
                self.passwords.clear();
                let root = &mut self.selectors[0];
                root.all_keys = false;
                root.keys.clear();
                root.all_channels = pubsub_all;
                root.channels.clear();
                self.enabled = false;
                self.sanitize = Sanitize::Sanitize;
                self.selectors.truncate(1);
                let _ = self.selectors[0].apply(table, b"-@all");
            }
            _ => return self.apply_other(table, op, pubsub_all),
        }
        Ok(())
    }

    fn apply_other(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        pubsub_all: bool,
    ) -> Result<(), RuleError> {
        match op[0] {
            b'>' | b'#' => {
                let hash = self.hash_of(op)?;
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.nopass = false;
            }
            b'<' | b'!' => {
                let hash = self.hash_of(op)?;
                let at = self
                    .passwords
                    .iter()
                    .position(|p| *p == hash)
                    .ok_or(RuleError::NoSuchPassword)?;
                self.passwords.remove(at);
            }
            b'(' if op.last() == Some(&b')') => {
                let mut sel = Selector::new(pubsub_all);
                let inner = &op[1..op.len() - 1];
                let words = crate::util::split_args::split_args(inner).ok_or(RuleError::Syntax)?;
                for w in words {
                    sel.apply(table, &w)?;
                }
                self.selectors.push(sel);
            }
            _ => self.selectors[0].apply(table, op)?,
        }
        Ok(())
    }

    fn hash_of(&self, op: &[u8]) -> Result<String, RuleError> {
        let body = &op[1..];
        if matches!(op[0], b'>' | b'<') {
            return Ok(hash_password(body));
        }
        if !valid_hash(body) {
            return Err(RuleError::BadHash);
        }
        Ok(String::from_utf8_lossy(body).into_owned())
    }

    /// Whether `password` authenticates this user (an enabled one).
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hashed = hash_password(password);
        // Every stored hash is compared in full, whichever matches.
        self.passwords.iter().fold(false, |ok, p| {
            constant_time_eq(p.as_bytes(), hashed.as_bytes()) | ok
        })
    }

    /// The flags as ACL GETUSER lists them.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut v = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            v.push("nopass");
        }
        match self.sanitize {
            Sanitize::Skip => v.push("skip-sanitize-payload"),
            Sanitize::Sanitize => v.push("sanitize-payload"),
            Sanitize::Unset => {}
        }
        v
    }

    /// The rules in ACL LIST / ACL file form (without `user <name> `).
    pub fn describe(&self, table: &CommandTable) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.flag_names() {
            out.extend_from_slice(f.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for (i, sel) in self.selectors.iter().enumerate() {
            let d = describe_selector(table, sel);
            if i == 0 {
                out.extend_from_slice(&d);
            } else {
                out.extend_from_slice(b" (");
                out.extend_from_slice(&d);
                out.push(b')');
            }
        }
        out
    }
}

/// A selector in rule form: keys, channels, then commands.
pub fn describe_selector(table: &CommandTable, sel: &Selector) -> Vec<u8> {
    let mut out = Vec::new();
    if sel.all_keys {
        out.extend_from_slice(b"~* ");
    } else {
        for k in &sel.keys {
            k.describe(&mut out);
            out.push(b' ');
        }
    }
    if sel.all_channels {
        out.extend_from_slice(b"&* ");
    } else {
        out.extend_from_slice(b"resetchannels ");
        for c in &sel.channels {
            out.push(b'&');
            out.extend_from_slice(c);
            out.push(b' ');
        }
    }
    out.extend_from_slice(super::describe::command_rules(table, sel).as_bytes());
    out
}

/// A user: its name and its current rules.
pub struct User {
    /// The user name.
    pub name: Bytes,
    rules: RwLock<Arc<Rules>>,
}

impl User {
    /// A user with `rules`.
    pub fn new(name: Bytes, rules: Rules) -> User {
        User {
            name,
            rules: RwLock::new(Arc::new(rules)),
        }
    }

    /// The current rules.
    pub fn rules(&self) -> Arc<Rules> {
        self.rules.read().clone()
    }

    /// Replaces the rules.
    pub fn set_rules(&self, rules: Rules) {
        *self.rules.write() = Arc::new(rules);
    }
}

/// Whether `name` may name a user.
pub fn valid_name(name: &[u8]) -> bool {
    !has_spaces(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_is_sha256_hex() {
        assert_eq!(
            hash_password(b"foo"),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        );
    }

    #[test]
    fn comparison_is_plain_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(!constant_time_eq(b"a\0", b"a"));
    }
}
