//! Every command lode serves, asked of a restricted user through ACL DRYRUN on both servers:
//! each refusal (command, key or channel, and which argument) and each allowance must be
//! Redis's. Key patterns grant read to `ro*`, write to `wo*`, both to `pub*`; channels
//! `chan*`; dangerous and admin commands are out. A command lode would let through where
//! Redis refuses it shows up here as a difference.

use lode_conformance::Value;

use crate::Pair;

/// The restricted user's rules.
const RULES: &[&str] = &[
    "walker",
    "on",
    "nopass",
    "+@all",
    "-@dangerous",
    "-@admin",
    "~pub*",
    "%R~ro*",
    "%W~wo*",
    "resetchannels",
    "&chan*",
];

/// Arguments commands are tried with: keys of each kind, channels, numbers (key counts).
const FILLERS: &[&[&str]] = &[
    &["pubkey"],
    &["secret"],
    &["rokey"],
    &["wokey"],
    &["rokey", "wokey"],
    &["pubkey", "secret"],
    &["chan1"],
    &["other"],
    &["1", "pubkey", "secret"],
    &["2", "rokey", "wokey", "x"],
];

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Bulk(b) | Value::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    }
}

/// (name words, arity) of every command and subcommand in a COMMAND INFO reply.
fn commands(info: &Value) -> Vec<(Vec<String>, i64)> {
    let mut out = Vec::new();
    let Value::Array(all) = info else {
        return out;
    };
    for entry in all {
        let Value::Array(fields) = entry else {
            continue;
        };
        let (Some(name), Some(Value::Integer(arity))) =
            (fields.first().and_then(text), fields.get(1))
        else {
            continue;
        };
        match fields.get(9) {
            Some(Value::Array(subs)) if !subs.is_empty() => {
                for (words, a) in commands(&Value::Array(subs.clone())) {
                    let sub = words[0].rsplit('|').next().unwrap_or("").to_string();
                    out.push((vec![name.clone(), sub], a));
                }
            }
            _ => out.push((vec![name], *arity)),
        }
    }
    out
}

#[test]
fn restricted_user_is_refused_exactly_what_redis_refuses() {
    let Some(mut pair) = Pair::start("acl_walk") else {
        return;
    };
    let mut setuser = vec!["ACL", "SETUSER"];
    setuser.extend_from_slice(RULES);
    pair.same(&setuser);
    let cmds = commands(&pair.lode(&["COMMAND", "INFO"]));
    assert!(cmds.len() > 200, "lode lists {} commands", cmds.len());
    let mut compared = 0;
    for (words, arity) in &cmds {
        for filler in FILLERS {
            let want = if *arity > 0 {
                *arity as usize
            } else {
                (-*arity as usize).max(words.len() + filler.len())
            };
            let mut args: Vec<String> = words.clone();
            let mut i = 0;
            while args.len() < want {
                args.push(filler[i % filler.len()].to_string());
                i += 1;
            }
            let mut dryrun = vec!["ACL".to_string(), "DRYRUN".into(), "walker".into()];
            dryrun.extend(args);
            let (redis, lode) = pair.send(&dryrun);
            // Commands of later Redis versions that lode also serves are unknown to 7.0.
            if matches!(&redis, Value::Error(e) if e.starts_with(b"ERR Command '")) {
                continue;
            }
            assert!(
                redis == lode,
                "ACL DRYRUN {}\n  redis: {redis:?}\n  lode:  {lode:?}",
                dryrun[3..].join(" ")
            );
            compared += 1;
        }
    }
    eprintln!("differential acl_walk: {compared} DRYRUN replies equal");
}
