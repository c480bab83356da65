//! FCALL, FCALL_RO and FUNCTION's subcommands (functions.c).

use bytes::Bytes;

use super::engine::LOAD_TIMEOUT_MS;
use super::Policy;
use crate::command::{Ctx, Handler};
use crate::scripting::busy::BUSY_EVAL;
use crate::scripting::commands::{check_flags, settle};
use crate::scripting::run::{self, Caller, RunSpec};
use crate::scripting::shebang::ScriptFlags;

/// The function commands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("fcall", fcall),
    ("fcall_ro", fcall_ro),
    ("function|load", function_load),
    ("function|delete", function_delete),
    ("function|flush", function_flush),
    ("function|list", function_list),
    ("function|dump", function_dump),
    ("function|restore", function_restore),
    ("function|stats", function_stats),
    ("function|kill", function_kill),
    ("function|help", function_help),
];

fn fcall(ctx: &mut Ctx) {
    fcall_generic(ctx, false)
}

fn fcall_ro(ctx: &mut Ctx) {
    fcall_generic(ctx, true)
}

fn fcall_generic(ctx: &mut Ctx, ro: bool) {
    // What the function changes is propagated as its effects, by the run.
    ctx.propagate_nothing();
    let server = ctx.server;
    crate::scripting::commands::feed_monitors(ctx);
    let functions = &server.scripting.functions;
    let Some(func) = functions.catalog().function(&ctx.args[1]).cloned() else {
        return ctx.error("ERR Function not found");
    };
    let args = ctx.args;
    let Some(nkeys) = crate::util::num::parse_i64(&args[2]) else {
        return ctx.error("ERR Bad number of keys provided");
    };
    if nkeys > (args.len() - 3) as i64 {
        return ctx.error("ERR Number of keys can't be greater than number of args");
    }
    if nkeys < 0 {
        return ctx.error("ERR Number of keys can't be negative");
    }
    if let Err(msg) = check_flags(ctx, func.flags, ro) {
        return ctx.error(&msg);
    }
    let nkeys = nkeys as usize;
    let (keys, argv) = (&args[3..3 + nkeys], &args[3 + nkeys..]);
    let result = functions.with_engine(|engine| {
        let spec = RunSpec {
            name: &func.name,
            eval: false,
            read_only: ro || func.flags.has(ScriptFlags::NO_WRITES),
            allow_oom: func.flags.has(ScriptFlags::ALLOW_OOM),
            command: args,
        };
        let caller = Caller {
            server,
            client: ctx.client,
            now: ctx.now,
        };
        run::run(
            &engine.vm,
            &func.callback,
            &spec,
            keys,
            argv,
            caller,
            ctx.out,
        )
    });
    match result {
        Ok(outcome) => settle(ctx, outcome),
        Err(msg) => ctx.error(&msg),
    }
}

/// FUNCTION LOAD [REPLACE] code.
fn function_load(ctx: &mut Ctx) {
    let args = ctx.args;
    let mut replace = false;
    let mut at = 2;
    while at < args.len() - 1 {
        let opt = &args[at];
        at += 1;
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
            continue;
        }
        let mut msg = b"ERR Unknown option given: ".to_vec();
        msg.extend_from_slice(opt);
        return ctx.error_bytes(&msg);
    }
    // The AOF's commands (and a primary's) load without a time limit, as Redis obeys them.
    let timeout = if ctx.server.keyspace.log.muted() {
        0
    } else {
        LOAD_TIMEOUT_MS
    };
    let server = ctx.server;
    match server
        .scripting
        .functions
        .load(server, &args[at], replace, timeout)
    {
        Ok(name) => ctx.out.bulk(name.as_bytes()),
        Err(msg) => ctx.error(&msg),
    }
}

/// FUNCTION DELETE library.
fn function_delete(ctx: &mut Ctx) {
    match ctx.server.scripting.functions.delete(&ctx.args[2]) {
        Ok(()) => ctx.out.ok(),
        Err(msg) => ctx.error(&msg),
    }
}

/// FUNCTION FLUSH [ASYNC|SYNC].
fn function_flush(ctx: &mut Ctx) {
    match ctx.args.len() {
        2 => {}
        3 if ctx.args[2].eq_ignore_ascii_case(b"sync")
            || ctx.args[2].eq_ignore_ascii_case(b"async") => {}
        3 => return ctx.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
        _ => return crate::admin::util::subcommand_syntax_error(ctx),
    }
    ctx.server.scripting.functions.flush();
    ctx.out.ok();
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
fn function_list(ctx: &mut Ctx) {
    let args = ctx.args;
    let (mut with_code, mut pattern): (bool, Option<&Bytes>) = (false, None);
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if !with_code && a.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && a.eq_ignore_ascii_case(b"libraryname") {
            if i >= args.len() - 1 {
                return ctx.error("ERR library name argument was not given");
            }
            i += 1;
            pattern = Some(&args[i]);
        } else {
            let mut msg = b"ERR Unknown argument ".to_vec();
            msg.extend_from_slice(a);
            return ctx.error_bytes(&msg);
        }
        i += 1;
    }
    let catalog = ctx.server.scripting.functions.catalog();
    let libs: Vec<_> = catalog
        .libraries()
        .filter(|l| {
            pattern.is_none_or(|p| crate::util::glob::string_match(p, l.name.as_bytes(), true))
        })
        .collect();
    let out = &mut *ctx.out;
    out.array(libs.len());
    for lib in libs {
        out.map(if with_code { 4 } else { 3 });
        out.bulk(b"library_name");
        out.bulk(lib.name.as_bytes());
        out.bulk(b"engine");
        out.bulk(b"LUA");
        out.bulk(b"functions");
        out.array(lib.functions.len());
        for f in &lib.functions {
            out.map(3);
            out.bulk(b"name");
            out.bulk(f.name.as_bytes());
            out.bulk(b"description");
            match &f.desc {
                Some(d) => out.bulk(d),
                None => out.null(),
            }
            out.bulk(b"flags");
            let names: Vec<&str> = ScriptFlags::NAMES
                .iter()
                .filter(|(_, flag)| f.flags.has(*flag))
                .map(|(n, _)| *n)
                .collect();
            out.set(names.len());
            for n in names {
                out.simple(n.as_bytes());
            }
        }
        if with_code {
            out.bulk(b"library_code");
            out.bulk(&lib.code);
        }
    }
}

/// FUNCTION DUMP.
fn function_dump(ctx: &mut Ctx) {
    let compress = ctx.server.config.read().rdbcompression;
    let payload = ctx.server.scripting.functions.dump(compress);
    ctx.out.bulk(&payload);
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
fn function_restore(ctx: &mut Ctx) {
    let args = ctx.args;
    if args.len() > 4 {
        return crate::admin::util::subcommand_syntax_error(ctx);
    }
    let policy =
        match args.get(3) {
            None => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"append") => Policy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => Policy::Replace,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => Policy::Flush,
            Some(_) => return ctx.error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
        };
    let server = ctx.server;
    let checksum = !server
        .persist
        .skip_checksum
        .load(std::sync::atomic::Ordering::Relaxed);
    if !crate::persist::dump::verify_with(&args[2], checksum) {
        return ctx.error("ERR DUMP payload version or checksum are wrong");
    }
    match server.scripting.functions.restore(server, &args[2], policy) {
        Ok(()) => ctx.out.ok(),
        Err(msg) => ctx.error(&msg),
    }
}

/// FUNCTION STATS.
fn function_stats(ctx: &mut Ctx) {
    let server = ctx.server;
    let busy = &server.scripting.busy;
    if busy.timed_out() && busy.busy_error() == BUSY_EVAL {
        return ctx.error(BUSY_EVAL);
    }
    let functions = &server.scripting.functions;
    let running = functions.running();
    let now_us = server.host.monotonic_us();
    let out = &mut *ctx.out;
    out.map(2);
    out.bulk(b"running_script");
    match running {
        None => out.null(),
        Some(r) => {
            out.map(3);
            out.bulk(b"name");
            out.bulk(r.name.as_bytes());
            out.bulk(b"command");
            out.array(r.argv.len());
            for a in &r.argv {
                out.bulk(a);
            }
            out.bulk(b"duration_ms");
            out.int((now_us.saturating_sub(r.started_us) / 1000) as i64);
        }
    }
    out.bulk(b"engines");
    out.map(1);
    out.bulk(b"LUA");
    out.map(2);
    out.bulk(b"libraries_count");
    out.int(functions.library_count() as i64);
    out.bulk(b"functions_count");
    out.int(functions.function_count() as i64);
}

/// FUNCTION KILL.
fn function_kill(ctx: &mut Ctx) {
    match ctx.server.scripting.busy.kill(false) {
        Ok(()) => ctx.out.ok(),
        Err(msg) => ctx.error(msg),
    }
}

/// FUNCTION HELP.
fn function_help(ctx: &mut Ctx) {
    crate::admin::util::help(
        ctx,
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    );
}
