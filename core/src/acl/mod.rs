//! Access control as Redis 7.0 has it: users with passwords and selectors, the per-command
//! permission check, the ACL log, and the ACL file format. Pure logic: reading and writing the
//! ACL file is the host's (see `effects`).

pub mod category;
pub mod check;
pub mod describe;
pub mod enforce;
pub mod file;
pub mod log;
pub mod selector;
pub mod user;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

use crate::command::CommandTable;
pub use check::Denied;
pub use user::{Rules, User};

/// Why an ACL rule was refused (Redis's errno cases in ACLSetUser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// Not a rule, or a pattern with spaces.
    Syntax,
    /// `+cmd` / `+@cat` naming nothing known.
    UnknownCommand,
    /// A key pattern after `allkeys`.
    KeyAfterAll,
    /// A channel pattern after `allchannels`.
    ChannelAfterAll,
    /// `<pass` / `!hash` naming a password the user lacks.
    NoSuchPassword,
    /// `#hash` that is not 64 lowercase hex digits.
    BadHash,
    /// `+cmd|sub|arg`.
    SubcommandFirstArg,
}

impl RuleError {
    /// Redis's description (ACLSetUserStringError).
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list \
                 of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// Joins selector rules spread over several arguments (`(~a`, `+get)`) into one, as Redis's
/// ACLMergeSelectorArguments; Err holds the index of an unclosed `(`.
pub fn merge_selector_args(args: &[Bytes]) -> Result<Vec<Bytes>, usize> {
    let mut out = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, a) in args.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(a);
            if a.last() == Some(&b')') {
                let (_, sel) = open.take().expect("open selector");
                out.push(Bytes::from(sel));
            }
            continue;
        }
        if a.first() == Some(&b'(') && a.last() != Some(&b')') {
            open = Some((i, a.to_vec()));
            continue;
        }
        out.push(a.clone());
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}

/// The users, the ACL log, and a change counter clients use to notice new rules.
pub struct Acl {
    users: RwLock<BTreeMap<Bytes, Arc<User>>>,
    default: Arc<User>,
    epoch: AtomicU64,
    /// The ACL log (ACL LOG).
    pub log: Mutex<log::AclLog>,
}

impl Acl {
    /// Only the default user, as Redis starts.
    pub fn new(table: &CommandTable) -> Acl {
        let default = Arc::new(User::new(
            Bytes::from_static(b"default"),
            Rules::default_user(table),
        ));
        let mut users = BTreeMap::new();
        users.insert(default.name.clone(), default.clone());
        Acl {
            users: RwLock::new(users),
            default,
            epoch: AtomicU64::new(1),
            log: Mutex::new(log::AclLog::default()),
        }
    }

    /// The default user.
    pub fn default_user(&self) -> &Arc<User> {
        &self.default
    }

    /// The user called `name`.
    pub fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        self.users.read().get(name).cloned()
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.users.read().values().cloned().collect()
    }

    /// The change counter: it moves whenever any user's rules change.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Applies `rules` to user `name` (created if missing), all or nothing, as ACL SETUSER.
    /// Returns the user and its rules before the change (None for a new user). The error is
    /// Redis's reply text (without "ERR ").
    pub fn set_user(
        &self,
        table: &CommandTable,
        name: &[u8],
        rules: &[Bytes],
        pubsub_all: bool,
    ) -> Result<(Arc<User>, Option<Arc<Rules>>), String> {
        let merged = merge_selector_args(rules).map_err(|i| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(&rules[i])
            )
        })?;
        let mut users = self.users.write();
        let existing = users.get(name).cloned();
        let before = existing.as_ref().map(|u| u.rules());
        let mut new = before
            .as_deref()
            .cloned()
            .unwrap_or_else(|| Rules::new(pubsub_all));
        for op in &merged {
            new.apply(table, op, pubsub_all).map_err(|e| {
                format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                )
            })?;
        }
        new.finish();
        let user = match existing {
            Some(u) => {
                u.set_rules(new);
                u
            }
            None => {
                let u = Arc::new(User::new(Bytes::copy_from_slice(name), new));
                users.insert(u.name.clone(), u.clone());
                u
            }
        };
        drop(users);
        self.bump();
        Ok((user, before))
    }

    /// Sets the default user's password from `requirepass` (empty: nopass).
    pub fn set_requirepass(&self, table: &CommandTable, pass: &[u8]) {
        let mut r = (*self.default.rules()).clone();
        let _ = r.apply(table, b"resetpass", false);
        if pass.is_empty() {
            let _ = r.apply(table, b"nopass", false);
        } else {
            let mut op = b">".to_vec();
            op.extend_from_slice(pass);
            let _ = r.apply(table, &op, false);
        }
        r.finish();
        self.default.set_rules(r);
        self.bump();
    }

    /// Removes the users named (never `default`); returns those removed.
    pub fn delete_users(&self, names: &[Bytes]) -> Vec<Arc<User>> {
        let mut users = self.users.write();
        let removed: Vec<Arc<User>> = names.iter().filter_map(|n| users.remove(n)).collect();
        drop(users);
        self.bump();
        removed
    }

    /// Replaces every user with `loaded` (the default user keeps its identity and takes the
    /// loaded rules, or Redis's defaults when the set has none).
    pub fn replace_all(&self, table: &CommandTable, loaded: Vec<(Bytes, Rules)>) {
        let mut users = self.users.write();
        users.clear();
        let mut default_rules = None;
        for (name, rules) in loaded {
            if name.as_ref() == b"default" {
                default_rules = Some(rules);
            } else {
                users.insert(name.clone(), Arc::new(User::new(name, rules)));
            }
        }
        self.default
            .set_rules(default_rules.unwrap_or_else(|| Rules::default_user(table)));
        users.insert(self.default.name.clone(), self.default.clone());
        drop(users);
        self.bump();
    }

    /// Adds `loaded` users, replacing those of the same name (the default user takes the
    /// loaded rules in place): the configuration's `user` directives.
    pub fn add_users(&self, loaded: Vec<(Bytes, Rules)>) {
        let mut users = self.users.write();
        for (name, rules) in loaded {
            match users.get(&name) {
                Some(u) => u.set_rules(rules),
                None => {
                    users.insert(name.clone(), Arc::new(User::new(name, rules)));
                }
            }
        }
        drop(users);
        self.bump();
    }

    /// Whether a client that has not authenticated must (Redis's authRequired): the default
    /// user has a password or is off.
    pub fn auth_required(&self) -> bool {
        let r = self.default.rules();
        !r.nopass || !r.enabled
    }

    /// The user `name` if `password` authenticates it.
    pub fn check_credentials(&self, name: &[u8], password: &[u8]) -> Option<Arc<User>> {
        let user = self.user(name)?;
        user.rules().password_ok(password).then_some(user)
    }
}

/// A client's view of its user: the rules it last saw, refreshed when the ACL changes.
pub struct ClientAcl {
    /// The user the client is authenticated as (the default user until AUTH).
    pub user: Arc<User>,
    rules: Arc<Rules>,
    epoch: u64,
}

impl ClientAcl {
    /// The view of `user`'s current rules.
    pub fn new(acl: &Acl, user: Arc<User>) -> ClientAcl {
        ClientAcl {
            rules: user.rules(),
            user,
            epoch: acl.epoch(),
        }
    }

    /// The user's current rules (one atomic load when nothing changed).
    pub fn rules(&mut self, acl: &Acl) -> &Arc<Rules> {
        let now = acl.epoch();
        if now != self.epoch {
            self.epoch = now;
            self.rules = self.user.rules();
        }
        &self.rules
    }
}

#[cfg(test)]
mod tests;
