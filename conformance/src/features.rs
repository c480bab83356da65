//! Feature names for `@needs`, and the features lode declares.
//!
//! A block tagged `@needs lists pubsub` always runs against redis-server, and against lode
//! only when every named feature is in [`LODE_FEATURES`]. When lode gains a feature, add its
//! name to [`LODE_FEATURES`] and the tagged blocks start running (and must pass).

/// Every feature name a case file may name in `@needs`, with what it stands for. Any other
/// name is a parse error, so a typo cannot silently skip a block. Keep README.md in step.
pub const FEATURES: &[(&str, &str)] = &[
    ("strings", "SET GET INCR APPEND GETRANGE LCS ..."),
    ("keys", "DEL EXPIRE RENAME COPY OBJECT SCAN ..."),
    ("transactions", "MULTI EXEC DISCARD WATCH UNWATCH"),
    ("client-reply", "CLIENT REPLY ON|OFF|SKIP"),
    ("lists", "the list type: LPUSH RPUSH LRANGE ..."),
    ("hashes", "the hash type: HSET HGETALL ..."),
    ("sets", "the set type: SADD SMEMBERS ..."),
    ("zsets", "the sorted-set type: ZADD ZRANGE ..."),
    ("streams", "the stream type: XADD XRANGE ..."),
    ("bitmaps", "bits of strings: GETBIT SETBIT ..."),
    ("hll", "HyperLogLog: PFADD PFCOUNT ..."),
    ("pubsub", "SUBSCRIBE PUBLISH, subscribed mode"),
    ("scripting", "EVAL SCRIPT FUNCTION, Lua replies"),
    ("persistence", "RDB/AOF: DEBUG RELOAD SAVE ..."),
    ("notifications", "keyspace notifications"),
];

/// The features lode implements today. Blocks whose `@needs` are all here run against lode.
pub const LODE_FEATURES: &[&str] = &[
    "strings",
    "keys",
    "transactions",
    "client-reply",
    "hashes",
    "sets",
    "lists",
    "zsets",
    "pubsub",
    "notifications",
    "persistence",
    "scripting",
    "bitmaps",
    "hll",
    "streams",
];

/// Whether `name` is a known feature name.
pub fn is_known(name: &str) -> bool {
    FEATURES.iter().any(|(n, _)| *n == name)
}

/// The known feature names, for error messages.
pub fn known_names() -> String {
    FEATURES
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lode_features_are_known_and_unique() {
        for f in LODE_FEATURES {
            assert!(is_known(f), "{f} is not in FEATURES");
        }
        for (i, (a, _)) in FEATURES.iter().enumerate() {
            assert!(FEATURES[i + 1..].iter().all(|(b, _)| a != b), "{a} twice");
        }
    }

    /// README.md's feature table and its "today:" list stay in step with this file.
    #[test]
    fn readme_lists_the_features() {
        let readme = include_str!("../README.md");
        for (name, _) in FEATURES {
            assert!(
                readme.contains(&format!("| `{name}` ")),
                "README.md's feature table lacks {name}"
            );
        }
        let today = format!("(today: `{}`)", LODE_FEATURES.join(" "));
        assert!(
            readme.contains(&today),
            "README.md should say {today} next to LODE_FEATURES"
        );
    }
}
