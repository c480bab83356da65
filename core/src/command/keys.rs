//! Key extraction from a command's arguments using its key specs: drives shard locking and
//! COMMAND GETKEYS.

use bytes::Bytes;
use serde_json::Value as Json;

use crate::util::num::parse_i64;

/// Where a key spec starts looking for keys.
#[derive(Clone, Debug)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(usize),
    /// After a keyword, searched from `startfrom` (negative: from the end, backwards).
    Keyword { keyword: String, startfrom: i64 },
    /// Not describable: the command finds its keys itself.
    Unknown,
    /// SORT's STORE destination, found the way Redis's sortGetKeys finds it.
    SortStore,
}

/// How a key spec finds the keys once it has started.
#[derive(Clone, Debug)]
pub enum FindKeys {
    /// Keys from the start to `lastkey` (relative; negative counts from the end), every `keystep`.
    Range {
        lastkey: i64,
        keystep: i64,
        limit: i64,
    },
    /// A count at `keynumidx`, then that many keys from `firstkey`, every `keystep`.
    Keynum {
        keynumidx: i64,
        firstkey: i64,
        keystep: i64,
    },
    /// Not describable.
    Unknown,
}

/// What a key spec finds in a command's arguments, by Redis's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpecKeys {
    /// Keys at these argument indexes (every `step()`-th).
    Found(std::ops::Range<usize>),
    /// The spec's keyword is absent: no keys from it.
    Absent,
    /// The spec cannot be used (unknown, incomplete, or out of the arguments' range): Redis
    /// gives up on the whole key search and asks the command's own finder.
    Unusable,
}

/// One key spec of a command.
#[derive(Clone, Debug)]
pub struct KeySpec {
    /// Where to begin.
    pub begin: BeginSearch,
    /// How to continue.
    pub find: FindKeys,
    /// The keys it finds may be modified (Redis's RW, OW or RM key-spec flags): the keys WATCH
    /// sees touched after a successful write.
    pub writes: bool,
    /// The access ACL key patterns must grant (`acl::selector::READ` for `access`, `WRITE`
    /// for `insert`, `delete` or `update`).
    pub acl: u8,
    /// Redis's `not_key`: the argument is not a key (SPUBLISH's shard channel), so ACL key
    /// patterns do not apply to it.
    pub not_key: bool,
    /// Redis's `incomplete`: the spec may miss keys (MIGRATE's KEYS).
    pub incomplete: bool,
}

impl KeySpec {
    /// Parses a key spec as the command JSON describes it.
    pub fn from_json(j: &Json) -> KeySpec {
        let bs = &j["begin_search"];
        let begin = match bs["type"].as_str() {
            Some("index") => BeginSearch::Index(bs["spec"]["index"].as_u64().unwrap_or(0) as usize),
            Some("keyword") => BeginSearch::Keyword {
                keyword: bs["spec"]["keyword"].as_str().unwrap_or("").to_string(),
                startfrom: bs["spec"]["startfrom"].as_i64().unwrap_or(1),
            },
            _ => BeginSearch::Unknown,
        };
        let fk = &j["find_keys"];
        let s = &fk["spec"];
        let find = match fk["type"].as_str() {
            Some("range") => FindKeys::Range {
                lastkey: s["lastkey"].as_i64().unwrap_or(0),
                keystep: s["keystep"].as_i64().unwrap_or(1),
                limit: s["limit"].as_i64().unwrap_or(0),
            },
            Some("keynum") => FindKeys::Keynum {
                keynumidx: s["keynumidx"].as_i64().unwrap_or(0),
                firstkey: s["firstkey"].as_i64().unwrap_or(1),
                keystep: s["keystep"].as_i64().unwrap_or(1),
            },
            _ => FindKeys::Unknown,
        };
        let writes = j["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "RW" || x == "OW" || x == "RM"));
        let flags: Vec<&str> = j["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        KeySpec {
            begin,
            find,
            writes,
            acl: acl_access(&flags),
            not_key: flags.contains(&"not_key"),
            incomplete: flags.contains(&"incomplete"),
        }
    }

    /// The spec of command `name` (described by `facts`) whose keys the facts cannot
    /// describe, given the finder lode has for it: SORT's overwritten STORE key. Other
    /// undescribable specs (SORT's BY/GET patterns) stay unknown.
    pub fn with_custom_finder(mut self, name: &str, facts: &Json) -> KeySpec {
        let overwrites = facts["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "OW"));
        if matches!(self.begin, BeginSearch::Unknown) && name == "sort" && overwrites {
            self.begin = BeginSearch::SortStore;
        }
        self
    }

    /// Whether a keynum spec's count is usable for `argv`: a number, not negative, and not
    /// naming more keys than there are arguments. Redis rejects the whole key search (COMMAND
    /// GETKEYS errors, ACL checks see no keys) otherwise. Other specs are always usable.
    pub fn keynum_valid(&self, argv: &[Bytes]) -> bool {
        let (
            BeginSearch::Index(start),
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            },
        ) = (&self.begin, &self.find)
        else {
            return true;
        };
        let at = *start as i64 + keynumidx;
        let Some(n) = argv.get(at as usize).and_then(|a| parse_i64(a)) else {
            return false;
        };
        n >= 0 && (n == 0 || *start as i64 + firstkey + (n - 1) * keystep < argv.len() as i64)
    }

    /// The keys this spec finds exactly as Redis's getKeysUsingKeySpecs does, which the ACL
    /// checks follow.
    pub fn redis_positions(&self, args: &[Bytes]) -> SpecKeys {
        self.redis_range(args).map_or(SpecKeys::Unusable, |r| {
            r.map_or(SpecKeys::Absent, SpecKeys::Found)
        })
    }

    fn redis_range(&self, args: &[Bytes]) -> Option<Option<std::ops::Range<usize>>> {
        let argc = args.len() as i64;
        let first = match &self.begin {
            BeginSearch::Index(i) => *i as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let (start, end) = if *startfrom > 0 {
                    (*startfrom, argc - 1)
                } else {
                    (argc + startfrom, 1)
                };
                let mut i = start;
                let mut found = None;
                while i != end {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = Some(i + 1);
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                match found {
                    Some(f) => f,
                    None => return Some(None),
                }
            }
            BeginSearch::Unknown | BeginSearch::SortStore => return None,
        };
        let (first, last) = match self.find {
            FindKeys::Range { lastkey, limit, .. } => {
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                ..
            } => {
                let at = first + keynumidx;
                if at >= argc {
                    return None;
                }
                let n = parse_i64(&args[at as usize]).filter(|n| *n >= 0)?;
                (first + firstkey, first + firstkey + n - 1)
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || self.incomplete {
            return None;
        }
        Some(Some(first as usize..last as usize + 1))
    }

    /// The step between keys of a range or keynum spec.
    pub fn step(&self) -> usize {
        match self.find {
            FindKeys::Range { keystep, .. } | FindKeys::Keynum { keystep, .. } => {
                keystep.max(1) as usize
            }
            FindKeys::Unknown => 1,
        }
    }

    /// Appends the argument indexes of the keys this spec finds in `args` (args[0] = name).
    pub fn extract<E: Extend<usize>>(&self, args: &[Bytes], out: &mut E) {
        let argc = args.len() as i64;
        let start = match &self.begin {
            BeginSearch::Index(i) => *i as i64,
            BeginSearch::Keyword { keyword, startfrom } => {
                let found = if *startfrom >= 0 {
                    (*startfrom..argc)
                        .find(|&i| args[i as usize].eq_ignore_ascii_case(keyword.as_bytes()))
                } else {
                    let from = argc + startfrom;
                    (1..=from.max(0)).rev().find(|&i| {
                        i < argc && args[i as usize].eq_ignore_ascii_case(keyword.as_bytes())
                    })
                };
                match found {
                    Some(i) => i + 1,
                    None => return,
                }
            }
            BeginSearch::Unknown => return,
            BeginSearch::SortStore => {
                out.extend(sort_store_key(args));
                return;
            }
        };
        if start <= 0 || start >= argc {
            return;
        }
        let (first, last, step) = match self.find {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let last = if lastkey >= 0 {
                    start + lastkey
                } else if limit <= 1 {
                    argc + lastkey
                } else {
                    start + ((argc - start) / limit) + lastkey
                };
                (start, last, keystep)
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let idx = start + keynumidx;
                if idx >= argc {
                    return;
                }
                let Some(n) = parse_i64(&args[idx as usize]) else {
                    return;
                };
                if n <= 0 {
                    return;
                }
                let first = start + firstkey;
                (
                    first,
                    first.saturating_add((n - 1).saturating_mul(keystep)),
                    keystep,
                )
            }
            FindKeys::Unknown => return,
        };
        if step <= 0 {
            return;
        }
        let mut i = first;
        while i <= last && i < argc {
            out.extend(std::iter::once(i as usize));
            i += step;
        }
    }
}

/// The index of SORT's STORE destination: the last STORE whose name is followed by an
/// argument, skipping the arguments of LIMIT (2), GET and BY (1) as Redis's sortGetKeys does.
fn sort_store_key(args: &[Bytes]) -> Option<usize> {
    let mut found = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"get") || a.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"store") && i + 1 < args.len() {
            found = Some(i + 1);
        }
        i += 1;
    }
    found
}

/// The ACL access (`acl::selector::READ` / `WRITE`) key-spec flags call for, as Redis's
/// ACLSelectorCheckKey maps them.
pub fn acl_access(flags: &[&str]) -> u8 {
    use crate::acl::selector::{READ, WRITE};
    flags.iter().fold(0, |m, f| match *f {
        "access" => m | READ,
        "insert" | "delete" | "update" => m | WRITE,
        _ => m,
    })
}

/// Key-spec flags of commands whose flags depend on their arguments (Redis's SET and BITFIELD
/// key-extraction procedures); None for every other command.
pub fn variable_key_flags(name: &str, argv: &[Bytes]) -> Option<&'static [&'static str]> {
    match name {
        "set" => Some(
            if argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get")) {
                &["RW", "access", "update"]
            } else {
                &["OW", "update"]
            },
        ),
        "bitfield" => {
            let mut i = 2;
            while i < argv.len() {
                let rem = argv.len() - i - 1;
                let a = &argv[i];
                if a.eq_ignore_ascii_case(b"get") && rem >= 2 {
                    i += 3;
                } else if a.eq_ignore_ascii_case(b"overflow") && rem >= 1 {
                    i += 2;
                } else {
                    return Some(&["RW", "access", "update"]);
                }
            }
            Some(&["RO", "access"])
        }
        _ => None,
    }
}
