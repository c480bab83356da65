//! `Selector`: one set of permissions of an ACL user (Redis's aclSelector) — which commands,
//! which keys (read, write or both) and which Pub/Sub channels. A user's root selector holds
//! the rules given outside parentheses; `(...)` adds more, and a command is allowed when any
//! selector allows it as a whole.

use bytes::Bytes;

use super::category;
use super::RuleError;
use crate::command::{Command, CommandTable};
use crate::util::glob::string_match;

/// Key permission: the key may be read.
pub const READ: u8 = 1;
/// Key permission: the key may be written.
pub const WRITE: u8 = 2;
/// Key permission: both.
pub const READ_WRITE: u8 = READ | WRITE;

/// A key pattern with the access it grants (`~p` both, `%R~p` read, `%W~p` write).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    /// The glob pattern.
    pub pattern: Bytes,
    /// READ, WRITE or both.
    pub perm: u8,
    shape: Shape,
}

/// How a pattern can be matched: most ACL patterns are a literal or a literal prefix then `*`,
/// which need no glob engine (checked for every key of every command a restricted user runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// No glob characters: equality.
    Literal,
    /// A literal of this length, then a single trailing `*`.
    Prefix(usize),
    /// Anything else: Redis's glob matcher.
    Glob,
}

impl Shape {
    fn of(pattern: &[u8]) -> Shape {
        let special = |b: &u8| matches!(b, b'*' | b'?' | b'[' | b'\\');
        match pattern.iter().position(special) {
            None => Shape::Literal,
            Some(i) if i == pattern.len() - 1 && pattern[i] == b'*' => Shape::Prefix(i),
            Some(_) => Shape::Glob,
        }
    }
}

/// Whether `s` matches the glob `pattern` of shape `shape`.
fn matches(pattern: &[u8], shape: Shape, s: &[u8]) -> bool {
    match shape {
        Shape::Literal => pattern == s,
        // Redis's matcher never matches an empty string against a leading `*`.
        Shape::Prefix(n) => !s.is_empty() && s.starts_with(&pattern[..n]),
        Shape::Glob => string_match(pattern, s, false),
    }
}

impl KeyPattern {
    /// A pattern granting `perm`.
    pub fn new(pattern: Bytes, perm: u8) -> KeyPattern {
        let shape = Shape::of(&pattern);
        KeyPattern {
            pattern,
            perm,
            shape,
        }
    }

    /// Whether `key` matches the pattern.
    pub fn matches(&self, key: &[u8]) -> bool {
        matches(&self.pattern, self.shape, key)
    }

    /// The pattern as ACL rules spell it.
    pub fn describe(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.perm {
            READ => b"%R~",
            WRITE => b"%W~",
            _ => b"~",
        });
        out.extend_from_slice(&self.pattern);
    }
}

/// What a selector lets a user do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selector {
    /// `allkeys` / `~*`.
    pub all_keys: bool,
    /// `allchannels` / `&*`.
    pub all_channels: bool,
    /// `allcommands` / `+@all`, not narrowed since.
    pub all_commands: bool,
    /// Redis's reserved "future commands" bit: set by `+@all`, cleared only by `-@all`; it
    /// decides whether the rules are described from `+@all` or from `-@all`.
    pub future: bool,
    /// One bit per command id.
    commands: Vec<u64>,
    /// First arguments allowed for a command whose bit is clear (`+select|0`), by id.
    first_args: Vec<(usize, Vec<Bytes>)>,
    /// Key patterns, in the order given.
    pub keys: Vec<KeyPattern>,
    /// Channel patterns, in the order given.
    pub channels: Vec<Bytes>,
}

/// Whether `s` holds white space or NUL, which Redis refuses in names and patterns.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b == b' ' || (b'\t'..=b'\r').contains(&b))
}

impl Selector {
    /// An empty selector; `all_channels` when `acl-pubsub-default` is `allchannels`.
    pub fn new(all_channels: bool) -> Selector {
        Selector {
            all_channels,
            ..Selector::default()
        }
    }

    /// Whether the command with `id` has its bit set.
    pub fn command_bit(&self, id: usize) -> bool {
        self.commands
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        let word = id / 64;
        if self.commands.len() <= word {
            self.commands.resize(word + 1, 0);
        }
        if on {
            self.commands[word] |= 1 << (id % 64);
        } else {
            self.commands[word] &= !(1 << (id % 64));
            self.all_commands = false;
        }
    }

    /// The first arguments allowed for the command with `id`.
    pub fn first_args(&self, id: usize) -> &[Bytes] {
        self.first_args
            .iter()
            .find(|(i, _)| *i == id)
            .map_or(&[], |(_, v)| v.as_slice())
    }

    /// Allows or denies `cmd` and, for a container, each of its subcommands (Redis's
    /// ACLChangeSelectorPerm).
    pub fn change(&mut self, cmd: &Command, allow: bool) {
        self.set_bit(cmd.id, allow);
        self.first_args.retain(|(i, _)| *i != cmd.id);
        for sub in cmd.subcommands.values() {
            self.set_bit(sub.id, allow);
        }
    }

    /// Sets every command in category `cat` (an index into [`category::NAMES`]) to `allow`.
    pub fn change_category(&mut self, table: &CommandTable, cat: usize, allow: bool) {
        for cmd in table.iter() {
            if category::has(cmd, cat) {
                self.change(cmd, allow);
            }
            for sub in cmd.subcommands.values() {
                if category::has(sub, cat) {
                    self.change(sub, allow);
                }
            }
        }
    }

    fn all(&mut self, allow: bool) {
        self.commands.iter_mut().for_each(|w| *w = 0);
        if allow {
            // Every id the table could give, and then some: unused bits are harmless.
            self.commands.iter_mut().for_each(|w| *w = u64::MAX);
        }
        self.all_commands = allow;
        self.future = allow;
        self.first_args.clear();
    }

    /// Applies one rule that concerns a selector (Redis's ACLSetSelector).
    pub fn apply(&mut self, table: &CommandTable, op: &[u8]) -> Result<(), RuleError> {
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"allkeys" | b"~*" => {
                self.all_keys = true;
                self.keys.clear();
            }
            b"resetkeys" => {
                self.all_keys = false;
                self.keys.clear();
            }
            b"allchannels" | b"&*" => {
                self.all_channels = true;
                self.channels.clear();
            }
            b"resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            b"allcommands" | b"+@all" => {
                self.ensure_width(table);
                self.all(true);
            }
            b"nocommands" | b"-@all" => {
                self.ensure_width(table);
                self.all(false);
            }
            _ => return self.apply_pattern_or_command(table, op),
        }
        Ok(())
    }

    fn ensure_width(&mut self, table: &CommandTable) {
        let words = table.ids().div_ceil(64);
        if self.commands.len() < words {
            self.commands.resize(words, 0);
        }
    }

    fn apply_pattern_or_command(
        &mut self,
        table: &CommandTable,
        op: &[u8],
    ) -> Result<(), RuleError> {
        match op.first() {
            Some(b'~') | Some(b'%') => self.add_key_pattern(op),
            Some(b'&') => {
                if self.all_channels {
                    return Err(RuleError::ChannelAfterAll);
                }
                let pat = &op[1..];
                if has_spaces(pat) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.iter().any(|c| c.as_ref() == pat) {
                    self.channels.push(Bytes::copy_from_slice(pat));
                }
                Ok(())
            }
            Some(&sign @ (b'+' | b'-')) if op.get(1) == Some(&b'@') => {
                let cat = category::index(&op[2..]).ok_or(RuleError::UnknownCommand)?;
                self.ensure_width(table);
                self.change_category(table, cat, sign == b'+');
                Ok(())
            }
            Some(b'+') => self.allow_command(table, &op[1..]),
            Some(b'-') => {
                let cmd = table
                    .by_full_name(&op[1..])
                    .ok_or(RuleError::UnknownCommand)?;
                self.ensure_width(table);
                self.change(cmd, false);
                Ok(())
            }
            _ => Err(RuleError::Syntax),
        }
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let (perm, offset) = if op[0] == b'%' {
            let mut perm = 0;
            let mut offset = 1;
            loop {
                match op.get(offset).map(u8::to_ascii_uppercase) {
                    Some(b'R') if perm & READ == 0 => perm |= READ,
                    Some(b'W') if perm & WRITE == 0 => perm |= WRITE,
                    Some(b'~') => {
                        offset += 1;
                        break;
                    }
                    // Redis stops at the end of the rule: `%R` alone is an empty pattern.
                    None => break,
                    _ => return Err(RuleError::Syntax),
                }
                offset += 1;
            }
            if perm == 0 {
                return Err(RuleError::Syntax);
            }
            (perm, offset)
        } else {
            (READ_WRITE, 1)
        };
        let pat = &op[offset.min(op.len())..];
        if has_spaces(pat) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern.as_ref() == pat) {
            Some(k) => k.perm |= perm,
            None => self
                .keys
                .push(KeyPattern::new(Bytes::copy_from_slice(pat), perm)),
        }
        self.all_keys = false;
        Ok(())
    }

    fn allow_command(&mut self, table: &CommandTable, name: &[u8]) -> Result<(), RuleError> {
        self.ensure_width(table);
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let cmd = table.by_full_name(name).ok_or(RuleError::UnknownCommand)?;
            self.change(cmd, true);
            return Ok(());
        };
        let (head, sub) = (&name[..bar], &name[bar + 1..]);
        let cmd = table.by_full_name(head).ok_or(RuleError::UnknownCommand)?;
        if cmd.name.contains('|') {
            return Err(RuleError::SubcommandFirstArg);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !cmd.subcommands.is_empty() {
            let sub = cmd.subcommand(sub).ok_or(RuleError::UnknownCommand)?;
            self.change(sub, true);
            return Ok(());
        }
        // SELECT|0, DEBUG|object...: a first argument of a command without subcommands.
        let id = cmd.id;
        let entry = match self.first_args.iter_mut().position(|(i, _)| *i == id) {
            Some(p) => &mut self.first_args[p].1,
            None => {
                self.first_args.push((id, Vec::new()));
                &mut self.first_args.last_mut().expect("just pushed").1
            }
        };
        if !entry.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
            entry.push(Bytes::copy_from_slice(sub));
        }
        Ok(())
    }

    /// Whether the selector lets `cmd` run at all (its bit, or an allowed first argument).
    pub fn allows_command(&self, cmd: &Command, args: &[Bytes]) -> bool {
        if self.all_commands || cmd.flags.has(crate::command::CommandFlags::NO_AUTH) {
            return true;
        }
        if self.command_bit(cmd.id) {
            return true;
        }
        let idx = if cmd.name.contains('|') { 2 } else { 1 };
        let allowed = self.first_args(cmd.id);
        args.get(idx)
            .is_some_and(|a| allowed.iter().any(|f| f.eq_ignore_ascii_case(a)))
    }

    /// Whether the key may be accessed with `perm` (READ, WRITE, both, or 0 for a key the
    /// command neither reads nor writes, which any pattern allows).
    pub fn allows_key(&self, key: &[u8], perm: u8) -> bool {
        self.all_keys
            || self
                .keys
                .iter()
                .any(|k| k.perm & perm == perm && k.matches(key))
    }

    /// Whether every key may be accessed with `perm` (a `*` pattern granting it).
    pub fn allows_every_key(&self, perm: u8) -> bool {
        self.all_keys
            || self
                .keys
                .iter()
                .any(|k| k.perm & perm == perm && k.pattern.as_ref() == b"*")
    }

    /// Whether `channel` may be used: matched as a glob, or, for a PSUBSCRIBE pattern,
    /// literally against the allowed patterns.
    pub fn allows_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.all_channels || channel_in(&self.channels, channel, is_pattern)
    }
}

/// Whether `channel` is allowed by `patterns` (literally for a PSUBSCRIBE pattern).
pub fn channel_in(patterns: &[Bytes], channel: &[u8], is_pattern: bool) -> bool {
    patterns.iter().any(|p| {
        if is_pattern {
            p.as_ref() == channel
        } else {
            matches(p, Shape::of(p), channel)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_as_the_glob_matcher_does() {
        let patterns: &[&[u8]] = &[
            b"*", b"key:*", b"key:", b"", b"k?y*", b"a*b", b"[ab]*", b"x\\*", b"**", b"key:**",
        ];
        let keys: &[&[u8]] = &[
            b"", b"key:", b"key:1", b"key", b"kay:", b"a", b"ab", b"x*", b"xy",
        ];
        for p in patterns {
            let kp = KeyPattern::new(Bytes::copy_from_slice(p), READ);
            for k in keys {
                assert_eq!(
                    kp.matches(k),
                    string_match(p, k, false),
                    "{:?} ~ {:?}",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(k)
                );
            }
        }
    }
}
