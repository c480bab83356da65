//! The command table, built once per server from Redis 7.0's command facts (embedded JSON) and
//! the handlers lode registers. Only commands with a handler are in the table, so COMMAND
//! COUNT/LIST/INFO describe exactly what lode serves.

// Command lookup runs once per command: foldhash instead of SipHash (names aren't secret).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;
use std::sync::atomic::AtomicU64;

use bytes::Bytes;

use serde_json::Value as Json;

use super::flags::CommandFlags;
use super::keys::KeySpec;
use super::Handler;
use crate::observe::LatencyHistogram;

/// Redis 7.0.15's COMMAND INFO/DOCS facts for every command (no descriptive text).
const FACTS: &str = include_str!("redis-7.0-commands.json");

/// What CLIENT LIST shows as the last command of a client that has run none.
pub const NO_COMMAND: &str = "NULL";

/// Facts of commands lode serves that Redis 7.0 lacks (from later Redis versions), merged
/// into [`FACTS`] when the table is built: see the file's "source" note.
const EXTRA_FACTS: &str = include_str!("extra-commands.json");

/// Merges [`EXTRA_FACTS`] into the Redis 7.0 facts: extra subcommands join their container,
/// extra commands are added (or replace a 7.0 entry of the same name).
fn merge_extra_facts(facts: &mut Json) {
    let extra: Json = serde_json::from_str(EXTRA_FACTS).unwrap_or(Json::Null);
    let Some(commands) = facts.get_mut("commands").and_then(|c| c.as_object_mut()) else {
        return;
    };
    if let Some(subs) = extra["subcommands"].as_object() {
        for (parent, list) in subs {
            let Some(container) = commands.get_mut(parent) else {
                continue;
            };
            if let Some(arr) = container
                .get_mut("subcommands")
                .and_then(|s| s.as_array_mut())
            {
                arr.extend(list.as_array().into_iter().flatten().cloned());
            }
        }
    }
    if let Some(cmds) = extra["commands"].as_object() {
        for (name, f) in cmds {
            commands.insert(name.clone(), f.clone());
        }
    }
}

/// One command (or subcommand) lode serves.
pub struct Command {
    /// Lowercase full name, `get` or `client|list`.
    pub name: String,
    /// Unique id within its table, never 0 ([`CommandTable::name_of`] maps it back to `name`):
    /// lets per-command bookkeeping such as a client's last command be a plain integer.
    pub id: usize,
    /// Redis arity: positive = exact argument count, negative = at least that many.
    pub arity: i32,
    /// Implementation; None only for container commands (CLIENT, CONFIG, ...).
    pub handler: Option<Handler>,
    /// Lowercase subcommand name → subcommand.
    pub subcommands: HashMap<Vec<u8>, Command>,
    /// Key specs, in order.
    pub key_specs: Vec<KeySpec>,
    /// Redis's flags and lode's own, as a bitset.
    pub flags: CommandFlags,
    /// ACL categories, one bit per `acl::category::NAMES` entry.
    pub acl_categories: u32,
    /// The Redis facts (COMMAND INFO/DOCS render from these), as compact JSON text: parsed
    /// trees of every command's docs would cost ~2.8 MB of `used_memory` at startup (Redis
    /// keeps its docs in static data), the text ~0.5 MB. See [`Command::facts`].
    facts: Box<str>,
    /// The command's group ("string", "generic", ...).
    group: String,
    /// Calls, for INFO commandstats.
    pub calls: AtomicU64,
    /// Calls rejected before execution (arity, ...), for INFO commandstats.
    pub rejected_calls: AtomicU64,
    /// Calls that replied with an error, for INFO commandstats.
    pub failed_calls: AtomicU64,
    /// Microseconds spent in calls, for INFO commandstats.
    pub usec: AtomicU64,
    /// Call durations, for INFO latencystats and LATENCY HISTOGRAM (`latency-tracking`).
    pub latency: LatencyHistogram,
}

impl Command {
    /// Builds the command described by `facts` (with its subcommands) if lode serves it,
    /// giving it and each subcommand the next free id, whose name is pushed to `names`.
    fn from_facts(
        facts: &Json,
        handlers: &HashMap<&'static str, Handler>,
        names: &mut Vec<String>,
    ) -> Option<Command> {
        let name = facts["name"].as_str()?.to_string();
        let flags: Vec<&str> = facts["flags"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f.as_str()).collect())
            .unwrap_or_default();
        let mut subcommands = HashMap::default();
        for sub in facts["subcommands"].as_array().into_iter().flatten() {
            if let Some(cmd) = Command::from_facts(sub, handlers, names) {
                let short = cmd
                    .name
                    .rsplit('|')
                    .next()
                    .unwrap_or(&cmd.name)
                    .as_bytes()
                    .to_vec();
                subcommands.insert(short, cmd);
            }
        }
        let handler = handlers.get(name.as_str()).copied();
        if handler.is_none() && subcommands.is_empty() {
            return None;
        }
        let id = names.len();
        names.push(name.clone());
        let key_specs = facts["key_specs"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|j| KeySpec::from_json(j).with_custom_finder(&name, j))
                    .collect()
            })
            .unwrap_or_default();
        let mut facts = facts.clone();
        if let Some(subs) = facts.get_mut("subcommands").and_then(|s| s.as_array_mut()) {
            subs.retain(|s| {
                let n = s["name"].as_str().unwrap_or("");
                n.rsplit('|')
                    .next()
                    .is_some_and(|short| subcommands.contains_key(short.as_bytes()))
            });
        }
        Some(Command {
            id,
            arity: facts["arity"].as_i64().unwrap_or(0) as i32,
            handler,
            subcommands,
            key_specs,
            flags: CommandFlags::parse(&name, flags.iter().copied()),
            acl_categories: crate::acl::category::mask_of(
                facts["acl_categories"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.as_str()),
            ),
            group: facts["group"].as_str().unwrap_or("").to_string(),
            facts: serde_json::to_string(&facts)
                .unwrap_or_default()
                .into_boxed_str(),
            name,
            calls: AtomicU64::new(0),
            rejected_calls: AtomicU64::new(0),
            failed_calls: AtomicU64::new(0),
            usec: AtomicU64::new(0),
            latency: LatencyHistogram::default(),
        })
    }

    /// Whether `argc` (name included) satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i32;
        if self.arity >= 0 {
            argc == self.arity
        } else {
            argc >= -self.arity
        }
    }

    /// The command's group ("string", "generic", ...).
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The Redis facts, parsed (COMMAND INFO, DOCS and GETKEYS read them; none is hot).
    pub fn facts(&self) -> Json {
        serde_json::from_str(&self.facts).unwrap_or(Json::Null)
    }

    /// Zeroes the command's statistics and its subcommands' (CONFIG RESETSTAT).
    pub fn reset_stats(&self) {
        for c in [
            &self.calls,
            &self.failed_calls,
            &self.rejected_calls,
            &self.usec,
        ] {
            c.store(0, std::sync::atomic::Ordering::Relaxed);
        }
        self.latency.reset();
        for sub in self.subcommands.values() {
            sub.reset_stats();
        }
    }
}

/// Every command lode serves, by lowercase name.
pub struct CommandTable {
    commands: HashMap<Vec<u8>, Command>,
    /// Full name of every command and subcommand, by id; index 0 is "NULL" (no command).
    names: Vec<String>,
}

impl CommandTable {
    /// Builds the table from the embedded facts and `handlers` (lowercase full command name,
    /// handler): only commands with a handler are in the table.
    pub fn new(handlers: impl IntoIterator<Item = (&'static str, Handler)>) -> Self {
        let handlers: HashMap<&'static str, Handler> = handlers.into_iter().collect();
        let mut facts: Json = serde_json::from_str(FACTS).unwrap_or(Json::Null);
        merge_extra_facts(&mut facts);
        let mut commands = HashMap::default();
        let mut names = vec![NO_COMMAND.to_string()];
        if let Some(all) = facts["commands"].as_object_mut() {
            for f in all.values_mut() {
                super::notes::add_notes(f);
                if let Some(cmd) = Command::from_facts(f, &handlers, &mut names) {
                    commands.insert(cmd.name.as_bytes().to_vec(), cmd);
                }
            }
        }
        CommandTable { commands, names }
    }

    /// The full name of the command with `id` (`get`, `client|list`), or "NULL" for id 0 and
    /// ids this table never gave out, as CLIENT LIST shows a client that ran no command.
    pub fn name_of(&self, id: usize) -> &str {
        self.names.get(id).map_or(NO_COMMAND, String::as_str)
    }

    /// Finds the command or subcommand `args` (name first, never empty) names, as Redis's
    /// command lookup does: a container command with a subcommand argument resolves to the
    /// subcommand. Err holds Redis's error line (without the leading '-') for an unknown
    /// command or subcommand.
    pub fn resolve(&self, args: &[Bytes]) -> Result<&Command, Vec<u8>> {
        let Some(name) = args.first() else {
            return Err(super::errors::unknown_command(b"", &[]));
        };
        let Some(cmd) = self.get(name) else {
            return Err(super::errors::unknown_command(name, &args[1..]));
        };
        if cmd.subcommands.is_empty() || args.len() < 2 {
            return Ok(cmd);
        }
        cmd.subcommand(&args[1])
            .ok_or_else(|| super::errors::unknown_subcommand(name, &args[1]))
    }

    /// Looks up a top-level command by name, case-insensitively, without allocating.
    pub fn get(&self, name: &[u8]) -> Option<&Command> {
        get_lowercase(&self.commands, name)
    }

    /// The command or subcommand with this full name (`get`, `client|list`), as Redis's
    /// lookupCommandBySds finds it: case-insensitively, None if there is none.
    pub fn by_full_name(&self, name: &[u8]) -> Option<&Command> {
        let mut parts = name.split(|&b| b == b'|');
        let top = self.get(parts.next()?)?;
        match (parts.next(), parts.next()) {
            (None, _) => Some(top),
            (Some(sub), None) => top.subcommand(sub),
            (Some(_), Some(_)) => None,
        }
    }

    /// Every top-level command.
    pub fn iter(&self) -> impl Iterator<Item = &Command> {
        self.commands.values()
    }

    /// One more than the highest command id given out: the size of a per-command bitmap.
    pub fn ids(&self) -> usize {
        self.names.len()
    }

    /// Number of top-level commands.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// Looks `name` up case-insensitively without allocating: command names are short, so they
/// are lowercased on the stack (longer names can't be commands).
fn get_lowercase<'m>(map: &'m HashMap<Vec<u8>, Command>, name: &[u8]) -> Option<&'m Command> {
    let mut buf = [0u8; 32];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    map.get(&*lower)
}

impl Command {
    /// Looks up a subcommand by name, case-insensitively.
    pub fn subcommand(&self, name: &[u8]) -> Option<&Command> {
        get_lowercase(&self.subcommands, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_registered_commands_with_redis_facts() {
        let t = CommandTable::new(crate::handlers::all());
        let get = t.get(b"GeT").expect("get registered");
        assert_eq!(get.arity, 2);
        assert!(get.flags.has(CommandFlags::READONLY));
        assert_eq!(get.group(), "string");
        assert!(t.get(b"no-such-command").is_none());
    }

    #[test]
    fn ids_are_unique_and_map_back_to_full_names() {
        let t = CommandTable::new(crate::handlers::all());
        let mut seen = std::collections::HashSet::new();
        for c in t.iter() {
            assert_ne!(c.id, 0);
            assert!(seen.insert(c.id), "duplicate id for {}", c.name);
            assert_eq!(t.name_of(c.id), c.name);
            for s in c.subcommands.values() {
                assert!(seen.insert(s.id), "duplicate id for {}", s.name);
                assert_eq!(t.name_of(s.id), s.name);
            }
        }
        assert_eq!(t.name_of(0), "NULL");
        assert_eq!(t.name_of(usize::MAX), "NULL");
    }

    #[test]
    fn resolve_finds_subcommands_and_spells_redis_errors() {
        let t = CommandTable::new(crate::handlers::all());
        let args =
            |a: &[&[u8]]| -> Vec<Bytes> { a.iter().map(|s| Bytes::copy_from_slice(s)).collect() };
        assert_eq!(
            t.resolve(&args(&[b"GET", b"k"])).map(|c| c.id),
            Ok(t.get(b"get").map_or(0, |c| c.id))
        );
        assert_eq!(
            t.resolve(&args(&[b"config", b"GET", b"hz"]))
                .map(|c| c.name.as_str()),
            Ok("config|get")
        );
        // A container alone resolves to itself (its arity check then fails).
        assert_eq!(
            t.resolve(&args(&[b"CONFIG"])).map(|c| c.name.as_str()),
            Ok("config")
        );
        assert_eq!(
            t.resolve(&args(&[b"foo", b"a\x00b", b"c"])).err(),
            Some(b"ERR unknown command 'foo', with args beginning with: 'a' 'c' ".to_vec())
        );
        assert_eq!(
            t.resolve(&args(&[b"Config", b"nosub"])).err(),
            Some(b"ERR unknown subcommand 'nosub'. Try CONFIG HELP.".to_vec())
        );
        assert!(t.resolve(&[]).is_err());
    }
}
