//! COMMAND and its subcommands (COUNT, LIST, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, HELP),
//! rendered from the command table: only commands lode serves appear. Replies follow Redis
//! 7.0's layout exactly (COMMAND INFO's 10 fields, key specs as maps, RESP3 sets and maps).
//! Key-spec "notes" come from `command::notes`. Not reproduced: argument summaries, which are
//! prose the facts lack, and command "history"; summaries and complexities are lode's own
//! (see command_docs), except where a conformance case holds Redis's exact text.

use bytes::Bytes;
use serde_json::Value as Json;

use super::command_docs::doc;
use super::util::help;
use crate::command::{Command, Ctx, Handler};
use crate::resp::ReplyWriter;
use crate::server::Server;

/// COMMAND and its subcommands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("command", command),
    ("command|count", count),
    ("command|list", list),
    ("command|info", info),
    ("command|docs", docs),
    ("command|getkeys", getkeys),
    ("command|getkeysandflags", getkeysandflags),
    ("command|help", command_help),
];

fn strs(j: &Json) -> Vec<&str> {
    j.as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default()
}

/// A set of simple strings (flags, ACL categories).
fn status_set(out: &mut ReplyWriter, items: &[&str]) {
    out.set(items.len());
    for i in items {
        out.simple(i.as_bytes());
    }
}

fn key_spec(out: &mut ReplyWriter, ks: &Json) {
    let notes = ks["notes"].as_str();
    out.map(3 + notes.is_some() as usize);
    if let Some(n) = notes {
        out.bulk(b"notes");
        out.bulk(n.as_bytes());
    }
    out.bulk(b"flags");
    status_set(out, &strs(&ks["flags"]));
    out.bulk(b"begin_search");
    let bs = &ks["begin_search"];
    out.map(2);
    out.bulk(b"type");
    match bs["type"].as_str() {
        Some("index") => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(bs["spec"]["index"].as_i64().unwrap_or(0));
        }
        Some("keyword") => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(bs["spec"]["keyword"].as_str().unwrap_or("").as_bytes());
            out.bulk(b"startfrom");
            out.int(bs["spec"]["startfrom"].as_i64().unwrap_or(0));
        }
        _ => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
    }
    out.bulk(b"find_keys");
    let fk = &ks["find_keys"];
    out.map(2);
    out.bulk(b"type");
    let fields: &[&str] = match fk["type"].as_str() {
        Some("range") => &["lastkey", "keystep", "limit"],
        Some("keynum") => &["keynumidx", "firstkey", "keystep"],
        _ => &[],
    };
    out.bulk(
        fk["type"]
            .as_str()
            .filter(|_| !fields.is_empty())
            .unwrap_or("unknown")
            .as_bytes(),
    );
    out.bulk(b"spec");
    out.map(fields.len());
    for f in fields {
        out.bulk(f.as_bytes());
        out.int(fk["spec"][*f].as_i64().unwrap_or(0));
    }
}

/// One command's COMMAND INFO entry.
fn command_info(out: &mut ReplyWriter, f: &Json) {
    out.array(10);
    out.bulk(f["name"].as_str().unwrap_or("").as_bytes());
    out.int(f["arity"].as_i64().unwrap_or(0));
    status_set(out, &strs(&f["flags"]));
    out.int(f["first_key"].as_i64().unwrap_or(0));
    out.int(f["last_key"].as_i64().unwrap_or(0));
    out.int(f["step"].as_i64().unwrap_or(0));
    status_set(out, &strs(&f["acl_categories"]));
    let tips = strs(&f["tips"]);
    out.set(tips.len());
    for t in tips {
        out.bulk(t.as_bytes());
    }
    let specs = f["key_specs"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    out.set(specs.len());
    for ks in specs {
        key_spec(out, ks);
    }
    let subs = f["subcommands"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if subs.is_empty() {
        out.set(0);
    } else {
        out.array(subs.len());
        for s in subs {
            command_info(out, s);
        }
    }
}

fn arguments(out: &mut ReplyWriter, args: &[Json]) {
    out.array(args.len());
    for a in args {
        let has = |k: &str| a.get(k).is_some();
        let flags = strs(&a["flags"]);
        let nested = matches!(a["type"].as_str(), Some("oneof" | "block"));
        let n = 2
            + has("key_spec_index") as usize
            + has("token") as usize
            + has("since") as usize
            + has("deprecated_since") as usize
            + !flags.is_empty() as usize
            + nested as usize;
        out.map(n);
        out.bulk(b"name");
        out.bulk(a["name"].as_str().unwrap_or("").as_bytes());
        out.bulk(b"type");
        out.bulk(a["type"].as_str().unwrap_or("").as_bytes());
        if let Some(i) = a["key_spec_index"].as_i64() {
            out.bulk(b"key_spec_index");
            out.int(i);
        }
        for k in ["token", "since", "deprecated_since"] {
            if let Some(v) = a.get(k) {
                out.bulk(k.as_bytes());
                out.bulk(v.as_str().unwrap_or("").as_bytes());
            }
        }
        if !flags.is_empty() {
            out.bulk(b"flags");
            status_set(out, &flags);
        }
        if nested {
            out.bulk(b"arguments");
            arguments(
                out,
                a["arguments"].as_array().map(Vec::as_slice).unwrap_or(&[]),
            );
        }
    }
}

/// One command's COMMAND DOCS map.
fn command_docs(out: &mut ReplyWriter, f: &Json) {
    let name = f["name"].as_str().unwrap_or("");
    let d = doc(name);
    let doc_flags = strs(&f["doc_flags"]);
    let args = f["arguments"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let subs = f["subcommands"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let since = f["since"].as_str();
    let deprecated = f["deprecated_since"].as_str();
    let n = 1
        + 2 * d.is_some() as usize
        + since.is_some() as usize
        + !doc_flags.is_empty() as usize
        + deprecated.is_some() as usize
        + !args.is_empty() as usize
        + !subs.is_empty() as usize;
    out.map(n);
    if let Some((summary, _)) = d {
        out.bulk(b"summary");
        out.bulk(summary.as_bytes());
    }
    if let Some(s) = since {
        out.bulk(b"since");
        out.bulk(s.as_bytes());
    }
    out.bulk(b"group");
    out.bulk(f["group"].as_str().unwrap_or("").as_bytes());
    if let Some((_, complexity)) = d {
        out.bulk(b"complexity");
        out.bulk(complexity.as_bytes());
    }
    if !doc_flags.is_empty() {
        out.bulk(b"doc_flags");
        status_set(out, &doc_flags);
    }
    if let Some(s) = deprecated {
        out.bulk(b"deprecated_since");
        out.bulk(s.as_bytes());
    }
    if !args.is_empty() {
        out.bulk(b"arguments");
        arguments(out, args);
    }
    if !subs.is_empty() {
        out.bulk(b"subcommands");
        out.map(subs.len());
        for s in subs {
            out.bulk(s["name"].as_str().unwrap_or("").as_bytes());
            command_docs(out, s);
        }
    }
}

/// Every top-level command, by name (Redis lists them in hash order; sorted is stable).
/// Every command lode serves, by name, each followed by its subcommands by name.
fn with_subcommands(server: &Server) -> Vec<&Command> {
    let mut all = Vec::new();
    for c in sorted_commands(server) {
        all.push(c);
        let mut subs: Vec<&Command> = c.subcommands.values().collect();
        subs.sort_by(|a, b| a.name.cmp(&b.name));
        all.extend(subs);
    }
    all
}

/// Whether `c` is in ACL category `cat` (a name without `@`, any case).
pub(super) fn in_acl_category(c: &Command, cat: &[u8]) -> bool {
    strs(&c.facts()["acl_categories"]).iter().any(|c| {
        c.strip_prefix('@')
            .is_some_and(|c| c.as_bytes().eq_ignore_ascii_case(cat))
    })
}

fn sorted_commands(server: &Server) -> Vec<&Command> {
    let mut v: Vec<&Command> = server.commands.iter().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// Looks a command up by "name" or "container|sub", case-insensitively.
fn lookup<'s>(server: &'s Server, name: &[u8]) -> Option<&'s Command> {
    let mut parts = name.split(|&b| b == b'|');
    let first = parts.next()?;
    let base = server.commands.get(first)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) if !base.subcommands.is_empty() => base.subcommand(sub),
        _ => None,
    }
}

fn command(ctx: &mut Ctx) {
    let cmds = sorted_commands(ctx.server);
    ctx.out.array(cmds.len());
    for c in cmds {
        command_info(ctx.out, &c.facts());
    }
}

fn count(ctx: &mut Ctx) {
    ctx.out.int(ctx.server.commands.len() as i64);
}

fn list(ctx: &mut Ctx) {
    enum Filter<'a> {
        None,
        Module,
        AclCat(&'a [u8]),
        Pattern(&'a [u8]),
    }
    let mut filter = Filter::None;
    let args = ctx.args;
    let mut i = 2;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"filterby") && args.len() - 1 - i == 2 {
            let (kind, arg) = (&args[i + 1], &args[i + 2][..]);
            filter = if kind.eq_ignore_ascii_case(b"module") {
                Filter::Module
            } else if kind.eq_ignore_ascii_case(b"aclcat") {
                Filter::AclCat(arg)
            } else if kind.eq_ignore_ascii_case(b"pattern") {
                Filter::Pattern(arg)
            } else {
                return ctx.syntax_error();
            };
            i += 3;
        } else {
            return ctx.syntax_error();
        }
    }
    reply_names(ctx, |c| match filter {
        Filter::None => true,
        Filter::Module => false,
        Filter::AclCat(cat) => in_acl_category(c, cat),
        Filter::Pattern(p) => crate::util::glob::string_match(p, c.name.as_bytes(), true),
    });
}

/// Replies with the names of the commands and subcommands lode serves that `keep` accepts,
/// by name (COMMAND LIST, ACL CAT).
pub(super) fn reply_names(ctx: &mut Ctx, keep: impl Fn(&Command) -> bool) {
    let names: Vec<&String> = with_subcommands(ctx.server)
        .into_iter()
        .filter(|c| keep(c))
        .map(|c| &c.name)
        .collect();
    ctx.out.array(names.len());
    for n in names {
        ctx.out.bulk(n.as_bytes());
    }
}

fn info(ctx: &mut Ctx) {
    if ctx.args.len() == 2 {
        return command(ctx);
    }
    ctx.out.array(ctx.args.len() - 2);
    for name in &ctx.args[2..] {
        match lookup(ctx.server, name) {
            Some(c) => command_info(ctx.out, &c.facts()),
            None => ctx.out.null(),
        }
    }
}

fn docs(ctx: &mut Ctx) {
    let found: Vec<&Command> = if ctx.args.len() == 2 {
        sorted_commands(ctx.server)
    } else {
        ctx.args[2..]
            .iter()
            .filter_map(|n| lookup(ctx.server, n))
            .collect()
    };
    ctx.out.map(found.len());
    for c in found {
        ctx.out.bulk(c.name.as_bytes());
        command_docs(ctx.out, &c.facts());
    }
}

/// The keys of the command line `argv` (name first) with each key's access flags, or the
/// error Redis gives.
fn keys_of(server: &Server, argv: &[Bytes]) -> Result<Vec<(usize, Vec<String>)>, &'static str> {
    let base = server
        .commands
        .get(&argv[0])
        .ok_or("ERR Invalid command specified")?;
    let cmd = if argv.len() > 1 && !base.subcommands.is_empty() {
        base.subcommand(&argv[1])
            .ok_or("ERR Invalid command specified")?
    } else {
        base
    };
    let facts = cmd.facts();
    let specs = facts["key_specs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let has_keys = specs
        .iter()
        .any(|s| !strs(&s["flags"]).contains(&"not_key"));
    if !has_keys {
        return Err("ERR The command has no key arguments");
    }
    if !cmd.arity_ok(argv.len()) {
        return Err("ERR Invalid number of arguments specified for command");
    }
    let mut keys = Vec::new();
    let mut idx = Vec::new();
    for (spec, facts) in cmd.key_specs.iter().zip(specs) {
        if !spec.keynum_valid(argv) {
            keys.clear();
            break;
        }
        idx.clear();
        spec.extract(argv, &mut idx);
        let flags: Vec<String> = strs(&facts["flags"])
            .into_iter()
            .filter(|f| *f != "variable_flags")
            .map(String::from)
            .collect();
        keys.extend(idx.iter().map(|&i| {
            (
                i,
                crate::command::keys::variable_key_flags(&cmd.name, argv).map_or_else(
                    || flags.clone(),
                    |f| f.iter().map(|s| s.to_string()).collect(),
                ),
            )
        }));
    }
    if keys.is_empty() && !strs(&facts["flags"]).contains(&"no_mandatory_keys") {
        return Err("ERR Invalid arguments specified for command");
    }
    Ok(keys)
}

fn getkeys_impl(ctx: &mut Ctx, with_flags: bool) {
    let argv = &ctx.args[2..];
    match keys_of(ctx.server, argv) {
        Err(e) => ctx.error(e),
        Ok(keys) => {
            ctx.out.array(keys.len());
            for (i, flags) in keys {
                if with_flags {
                    ctx.out.array(2);
                    ctx.out.bulk(&argv[i]);
                    let f: Vec<&str> = flags.iter().map(String::as_str).collect();
                    status_set(ctx.out, &f);
                } else {
                    ctx.out.bulk(&argv[i]);
                }
            }
        }
    }
}

fn getkeys(ctx: &mut Ctx) {
    getkeys_impl(ctx, false);
}

fn getkeysandflags(ctx: &mut Ctx) {
    getkeys_impl(ctx, true);
}

/// The COMMAND subcommands, in lode's own words.
const HELP: &[&str] = &[
    "(no subcommand)",
    "    Describes every command the server knows.",
    "COUNT",
    "    Replies with how many commands the server knows.",
    "LIST [FILTERBY MODULE <name>|ACLCAT <category>|PATTERN <glob>]",
    "    Replies with the names of the known commands, optionally filtered.",
    "INFO [<command-name> ...]",
    "    Describes the named commands (nil for unknown ones), or all of them.",
    "DOCS [<command-name> ...]",
    "    Replies with the documentation of the named commands, or of all of them.",
    "GETKEYS <command> [<arg> ...]",
    "    Replies with the key names that the given command line would touch.",
    "GETKEYSANDFLAGS <command> [<arg> ...]",
    "    Like GETKEYS, with each key's access flags as well.",
];

fn command_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::testkit::{server, TestClient};

    const GET_INFO: &str =
        "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
        *3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n\
        +access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n\
        *2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n\
        $4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n\
        *0\r\n";

    #[test]
    fn info_matches_redis_layout() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        // Byte for byte what redis-server 7.0.15 sends.
        assert_eq!(
            c.cmd(&["COMMAND", "INFO", "nosuch", "get"]),
            format!("*2\r\n$-1\r\n{GET_INFO}")
        );
        assert_eq!(
            c.cmd(&["COMMAND", "INFO", "client|no-evict"]),
            "*1\r\n*10\r\n$15\r\nclient|no-evict\r\n:3\r\n*4\r\n+admin\r\n+noscript\r\n\
             +loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*4\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n\
             +@connection\r\n*0\r\n*0\r\n*0\r\n"
        );
        let count = c.cmd(&["COMMAND", "COUNT"]);
        let n: usize = count[1..count.len() - 2].parse().unwrap_or(0);
        assert_eq!(n, srv.commands.len());
        assert!(c.cmd(&["COMMAND"]).starts_with(&format!("*{n}\r\n")));
        c.cmd(&["HELLO", "3"]);
        let r3 = c.cmd(&["COMMAND", "INFO", "get"]);
        assert!(
            r3.starts_with("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly"),
            "{r3}"
        );
    }

    #[test]
    fn info_of_get_and_set_has_redis_key_spec_notes() {
        // server.case "COMMAND INFO of GET and SET": byte for byte what redis-server sends.
        let srv = server();
        let mut c = TestClient::new(&srv);
        let set_info = "*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n\
            :1\r\n*3\r\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n\
            $48\r\nRW and ACCESS due to the optional `GET` argument\r\n$5\r\nflags\r\n*4\r\n\
            +RW\r\n+access\r\n+update\r\n+variable_flags\r\n$12\r\nbegin_search\r\n*4\r\n\
            $4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\n\
            find_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\n\
            lastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
        assert_eq!(
            c.cmd(&["COMMAND", "INFO", "get", "set"]),
            format!("*2\r\n{GET_INFO}{set_info}")
        );
        let getex = c.cmd(&["COMMAND", "INFO", "getex"]);
        assert!(
            getex.contains(
                "*1\r\n*8\r\n$5\r\nnotes\r\n$40\r\nRW and UPDATE because it changes the TTL\r\n\
                 $5\r\nflags\r\n"
            ),
            "{getex}"
        );
        // Every note belongs to a key spec that exists.
        for (name, i, _) in crate::command::notes::KEY_SPEC_NOTES {
            let cmd = srv
                .commands
                .get(name.as_bytes())
                .expect("noted command served");
            assert!(*i < cmd.key_specs.len(), "{name}");
        }
    }

    #[test]
    fn docs_of_get_match_redis_in_resp2_and_resp3() {
        // server.case "COMMAND DOCS of GET" and "COMMAND DOCS in RESP3 is a map".
        let srv = server();
        let mut c = TestClient::new(&srv);
        assert!(c.cmd(&["COMMAND", "DOCS", "get"]).starts_with(
            "*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$34\r\nReturns the string value of a key.\r\n"
        ));
        c.cmd(&["HELLO", "3"]);
        assert_eq!(
            c.cmd(&["COMMAND", "DOCS", "get"]),
            "%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n$34\r\nReturns the string value of a key.\r\n\
             $5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n\
             $4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n%3\r\n$4\r\nname\r\n$3\r\nkey\r\n$4\r\n\
             type\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
        );
    }

    #[test]
    fn list_docs_getkeys() {
        let srv = server();
        let mut c = TestClient::new(&srv);
        let all = c.cmd(&["COMMAND", "LIST"]);
        assert!(all.contains("$11\r\nclient|list\r\n") && all.contains("$3\r\nget\r\n"));
        assert_eq!(
            c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|g*"]),
            "*1\r\n$10\r\nconfig|get\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "LIST", "FILTERBY", "aclcat", "xx"]),
            "*0\r\n"
        );
        assert!(c
            .cmd(&["COMMAND", "LIST", "FILTERBY", "aclcat", "string"])
            .contains("$3\r\nset\r\n"));
        assert_eq!(
            c.cmd(&["COMMAND", "LIST", "FILTERBY", "foo", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(c.cmd(&["COMMAND", "DOCS", "nosuch"]), "*0\r\n");
        assert_eq!(
            c.cmd(&["COMMAND", "DOCS", "get"]),
            "*2\r\n$3\r\nget\r\n*10\r\n$7\r\nsummary\r\n$34\r\nReturns the string value of a key.\r\n\
             $5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\n\
             complexity\r\n$4\r\nO(1)\r\n$9\r\narguments\r\n*1\r\n*6\r\n$4\r\nname\r\n$3\r\nkey\r\n\
             $4\r\ntype\r\n$3\r\nkey\r\n$14\r\nkey_spec_index\r\n:0\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "set", "a", "b"]),
            "*1\r\n$1\r\na\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "del", "a", "b"]),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b"]),
            "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYSANDFLAGS", "set", "a", "b", "get"]),
            "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
            "-ERR Invalid number of arguments specified for command\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "client", "list"]),
            "-ERR The command has no key arguments\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "client", "nosuch"]),
            "-ERR Invalid command specified\r\n"
        );
        assert_eq!(
            c.cmd(&["COMMAND", "GETKEYS", "nosuch", "x"]),
            "-ERR Invalid command specified\r\n"
        );
        let h = c.cmd(&["COMMAND", "HELP"]);
        assert!(h.starts_with(
            "*17\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n\
             +(no subcommand)\r\n+    Describes every command the server knows.\r\n"
        ));
        assert!(
            h.contains("\r\n+GETKEYSANDFLAGS <command> [<arg> ...]\r\n"),
            "{h}"
        );
        assert!(h.ends_with("+HELP\r\n+    Prints this help.\r\n"), "{h}");
    }
}
