//! The per-command permission check (Redis's ACLCheckAllUserCommandPerm): a command runs when
//! one of the user's selectors allows the command, every key it names with the access the key
//! spec says, and every channel it publishes or subscribes to.

use bytes::Bytes;
use smallvec::SmallVec;

use super::selector::Selector;
use super::user::Rules;
use crate::command::keys::{acl_access, variable_key_flags, SpecKeys};
use crate::command::Command;

/// What a refused command was refused for, Redis's ACL_DENIED_* in rising precedence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The command or subcommand.
    Command,
    /// A key (at `Denied::pos`).
    Key,
    /// AUTH failed (ACL LOG only).
    Auth,
    /// A channel (at `Denied::pos`).
    Channel,
}

impl Reason {
    /// ACL LOG's `reason` field.
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// A refusal: why, and the argument index of the key or channel refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denied {
    /// Why.
    pub reason: Reason,
    /// The offending argument (0 for a refused command).
    pub pos: usize,
}

/// Keys a command names, with the access each needs: (argument index, READ/WRITE bits).
type KeyRefs = SmallVec<[(usize, u8); 8]>;

/// The keys a command names with the access each needs, found as Redis's
/// getKeysFromCommandWithSpecs finds them for ACL checks: SET and BITFIELD (variable flags)
/// and any command whose specs cannot be used on these arguments go to the command's own
/// finder (SORT's and MIGRATE's; none, so no keys, for the others).
fn keys_of(cmd: &Command, args: &[Bytes]) -> KeyRefs {
    let mut out = KeyRefs::new();
    if let Some(flags) = variable_key_flags(&cmd.name, args) {
        if args.len() > 1 {
            out.push((1, acl_access(flags)));
        }
        return out;
    }
    for spec in cmd.key_specs.iter().filter(|s| !s.not_key) {
        match spec.redis_positions(args) {
            SpecKeys::Found(range) => out.extend(range.step_by(spec.step()).map(|i| (i, spec.acl))),
            SpecKeys::Absent => {}
            SpecKeys::Unusable => return fallback_keys(cmd, args),
        }
    }
    out
}

/// The command's own key finder, for when its specs fail (Redis's getkeys procs).
fn fallback_keys(cmd: &Command, args: &[Bytes]) -> KeyRefs {
    let mut out = KeyRefs::new();
    let spec_acl = |i: usize| cmd.key_specs.get(i).map_or(0, |s| s.acl);
    match cmd.name.as_str() {
        "sort" | "sort_ro" => {
            if args.len() > 1 {
                out.push((1, spec_acl(0)));
            }
            if cmd.name == "sort" {
                let mut store = smallvec::SmallVec::<[usize; 1]>::new();
                if let Some(spec) = cmd.key_specs.get(2) {
                    spec.extract(args, &mut store);
                }
                out.extend(store.into_iter().map(|i| (i, spec_acl(2))));
            }
        }
        "migrate" => {
            let keys = migrate_keys(args).unwrap_or(3..4.min(args.len()));
            out.extend(keys.map(|i| (i, spec_acl(0))));
        }
        _ => {}
    }
    out
}

/// MIGRATE's keys as Redis's migrateGetKeys finds them when KEYS is given: the arguments
/// after KEYS (none if the key argument is not empty), skipping AUTH/AUTH2 values. None
/// without KEYS.
fn migrate_keys(args: &[Bytes]) -> Option<std::ops::Range<usize>> {
    let mut i = 6;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            return Some(if args[3].is_empty() {
                i + 1..args.len()
            } else {
                0..0
            });
        }
        i += 1;
    }
    None
}

/// The channels a command publishes or subscribes to: (argument index, is a pattern).
fn channels_of(cmd: &Command, args: &[Bytes]) -> SmallVec<[(usize, bool); 4]> {
    let (from, to, pattern) = match cmd.name.as_str() {
        "subscribe" | "ssubscribe" => (1, args.len(), false),
        "psubscribe" => (1, args.len(), true),
        "publish" | "spublish" => (1, 2.min(args.len()), false),
        _ => return SmallVec::new(),
    };
    (from..to).map(|i| (i, pattern)).collect()
}

fn check_selector(
    sel: &Selector,
    cmd: &Command,
    args: &[Bytes],
    keys: &mut Option<KeyRefs>,
) -> Result<(), Denied> {
    if !sel.allows_command(cmd, args) {
        return Err(Denied {
            reason: Reason::Command,
            pos: 0,
        });
    }
    if !sel.all_keys && !cmd.key_specs.is_empty() {
        for &(i, perm) in keys.get_or_insert_with(|| keys_of(cmd, args)).iter() {
            if !sel.allows_key(&args[i], perm) {
                return Err(Denied {
                    reason: Reason::Key,
                    pos: i,
                });
            }
        }
    }
    if !sel.all_channels {
        for (i, pattern) in channels_of(cmd, args) {
            if !sel.allows_channel(&args[i], pattern) {
                return Err(Denied {
                    reason: Reason::Channel,
                    pos: i,
                });
            }
        }
    }
    Ok(())
}

/// Whether `rules` let `cmd` run with `args`; the refusal reported is the one Redis picks:
/// the command when no selector allows it, else the last key or channel no selector allows.
pub fn check(rules: &Rules, cmd: &Command, args: &[Bytes]) -> Result<(), Denied> {
    if rules.unrestricted {
        return Ok(());
    }
    let mut keys = None;
    let mut worst = Denied {
        reason: Reason::Command,
        pos: 0,
    };
    for sel in &rules.selectors {
        match check_selector(sel, cmd, args, &mut keys) {
            Ok(()) => return Ok(()),
            Err(d) => {
                if d.reason > worst.reason || (d.reason == worst.reason && d.pos > worst.pos) {
                    worst = d;
                }
            }
        }
    }
    Err(worst)
}

/// Whether `rules` allow `cmd` and give unrestricted `perm` access to every key through the
/// same selector (SORT's BY and GET patterns need it).
pub fn check_with_every_key(rules: &Rules, cmd: &Command, args: &[Bytes], perm: u8) -> bool {
    if rules.unrestricted {
        return true;
    }
    let mut keys = None;
    rules
        .selectors
        .iter()
        .any(|s| check_selector(s, cmd, args, &mut keys).is_ok() && s.allows_every_key(perm))
}

/// Whether `rules` allow access to `key` with `perm` in any selector.
pub fn key_allowed(rules: &Rules, key: &[u8], perm: u8) -> bool {
    rules.unrestricted || rules.selectors.iter().any(|s| s.allows_key(key, perm))
}

/// Whether `rules` allow `channel` (a pattern, compared literally, if `is_pattern`).
pub fn channel_allowed(rules: &Rules, channel: &[u8], is_pattern: bool) -> bool {
    rules.unrestricted
        || rules
            .selectors
            .iter()
            .any(|s| s.allows_channel(channel, is_pattern))
}

/// The NOPERM reply for a refused command at top level or when queued.
pub fn noperm_message(d: Denied, cmd: &Command) -> String {
    match d.reason {
        Reason::Command => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            cmd.name
        ),
        Reason::Key => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        Reason::Channel => {
            "NOPERM this user has no permissions to access one of the channels used as \
             arguments"
                .into()
        }
        Reason::Auth => "NOPERM no permission".into(),
    }
}

/// The short reason scripts and DRYRUN-like callers use (Redis's getAclErrorMessage).
pub fn short_message(reason: Reason) -> &'static str {
    match reason {
        Reason::Command => "can't run this command or subcommand",
        Reason::Key => "can't access at least one of the keys mentioned in the command arguments",
        Reason::Channel => "can't publish to the channel mentioned in the command",
        Reason::Auth => "lacking the permissions for the command",
    }
}

/// The reply EXEC gives for a queued command the rules no longer allow.
pub fn exec_message(reason: Reason) -> String {
    let why = match reason {
        Reason::Command => "no permission to execute the command or subcommand",
        Reason::Key => "no permission to touch the specified keys",
        Reason::Channel => "no permission to access one of the channels used as arguments",
        Reason::Auth => "no permission",
    };
    format!(
        "NOPERM ACLs rules changed between the moment the transaction was accumulated and the \
         EXEC call. This command is no longer allowed for the following reason: {why}"
    )
}
