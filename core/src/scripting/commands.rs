//! EVAL, EVALSHA, their _RO forms, and SCRIPT (eval.c).

use bytes::Bytes;

use super::run::{self, Caller, RunSpec};
use super::shebang::{self, ScriptFlags};
use super::vm::{Script, Vm};
use crate::command::{Ctx, Handler};

/// The scripting commands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("eval", eval),
    ("evalsha", evalsha),
    ("eval_ro", eval_ro),
    ("evalsha_ro", evalsha_ro),
    ("script|load", script_load),
    ("script|exists", script_exists),
    ("script|flush", script_flush),
    ("script|kill", script_kill),
    ("script|help", script_help),
    ("script|debug", script_debug),
];

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

fn eval(ctx: &mut Ctx) {
    eval_generic(ctx, false, false)
}

fn evalsha(ctx: &mut Ctx) {
    eval_generic(ctx, true, false)
}

fn eval_ro(ctx: &mut Ctx) {
    eval_generic(ctx, false, true)
}

fn evalsha_ro(ctx: &mut Ctx) {
    eval_generic(ctx, true, true)
}

/// Adds `body` to the cache (if it is not there yet) and returns its SHA-1; the error is the
/// reply line (a bad shebang, a compile error).
pub fn cache_script(vm: &mut Vm, body: &Bytes) -> Result<String, String> {
    let sha = crate::util::sha1::hex(&crate::util::sha1::sha1(body));
    if vm.scripts.contains_key(&sha) {
        return Ok(sha);
    }
    let (flags, shebang_len) = shebang::parse(body)?;
    let func = vm
        .compile(&body[shebang_len..], "@user_script")
        .map_err(|e| format!("ERR Error compiling script (new function): {e}"))?;
    vm.scripts_mem += sha.len() + body.len();
    vm.scripts.insert(
        sha.clone(),
        Script {
            body: body.clone(),
            flags,
            func,
        },
    );
    Ok(sha)
}

/// Redis's checks of a script's flags before it runs (scriptPrepareForRun).
pub fn check_flags(ctx: &Ctx, flags: ScriptFlags, ro: bool) -> Result<(), String> {
    if flags.has(ScriptFlags::COMPAT) || flags.has(ScriptFlags::NO_WRITES) {
        return Ok(());
    }
    if crate::repl::replica::script_write_refusal(ctx.server, ctx.client).is_some() {
        return Err("READONLY Can not run script with write flag on readonly replica".into());
    }
    // A script with flags is a DENYOOM command unless it allows OOM (Redis's
    // scriptFlagsToCmdFlags), so it is refused as one when memory was over the limit.
    if !flags.has(ScriptFlags::ALLOW_OOM)
        && ctx.client.oom_at_start
        && ctx
            .server
            .eviction
            .maxmemory
            .load(std::sync::atomic::Ordering::Relaxed)
            != 0
    {
        return Err(crate::evict::OOM_ERROR.into());
    }
    if ctx.server.write_refusal().is_some() {
        return Err(
            "MISCONF Redis is configured to save RDB snapshots, but it's currently \
                    unable to persist to disk. Writable scripts are blocked. Use 'no-writes' \
                    flag for read only scripts."
                .into(),
        );
    }
    if ro {
        return Err("ERR Can not execute a script with write flag using *_ro command.".into());
    }
    if !ctx.client.replaying {
        if let Some(msg) = crate::repl::primary::min_replicas_refusal(ctx.server) {
            return Err(msg.into());
        }
    }
    Ok(())
}

/// Parses EVAL/FCALL's numkeys (argument 2) against the arguments after it.
pub fn numkeys(ctx: &mut Ctx) -> Option<usize> {
    let n = ctx.int_arg(2)?;
    if n > (ctx.args.len() - 3) as i64 {
        ctx.error("ERR Number of keys can't be greater than number of args");
        return None;
    }
    if n < 0 {
        ctx.error("ERR Number of keys can't be negative");
        return None;
    }
    Some(n as usize)
}

/// Writes the outcome's statistics: a failed call, and its error counted unless redis.call
/// already counted it.
pub fn settle(ctx: &mut Ctx, outcome: run::Outcome) {
    if let Some((text, counted)) = outcome.error {
        ctx.failed = true;
        if !counted {
            ctx.server.stats.record_error(&text);
        }
    }
}

/// Shows the EVAL or FCALL to MONITOR before the commands it runs (the scripting commands
/// are flagged skip_monitor, so the boundary does not; Redis feeds them from the command).
pub fn feed_monitors(ctx: &Ctx) {
    let server = ctx.server;
    if server.monitors.any() {
        server.monitors.feed(
            ctx.now.micros(),
            ctx.client.db,
            &ctx.client.handle.info,
            ctx.args,
            &[],
        );
    }
}

fn eval_generic(ctx: &mut Ctx, evalsha: bool, ro: bool) {
    ctx.propagate_nothing();
    let Some(nkeys) = numkeys(ctx) else { return };
    let server = ctx.server;
    feed_monitors(ctx);
    let sha = if evalsha {
        if ctx.args[1].len() != 40 {
            return ctx.error(NOSCRIPT);
        }
        match std::str::from_utf8(&ctx.args[1]) {
            Ok(sha) => sha.to_ascii_lowercase(),
            Err(_) => return ctx.error(NOSCRIPT),
        }
    } else {
        crate::util::sha1::hex(&crate::util::sha1::sha1(&ctx.args[1]))
    };
    let body = ctx.args[1].clone();
    let keys = &ctx.args[3..3 + nkeys];
    let argv = &ctx.args[3 + nkeys..];
    let result = server.scripting.with_vm(|vm| {
        let script = match vm.scripts.get(&sha) {
            Some(script) => script,
            None if evalsha => return Err(NOSCRIPT.to_string()),
            None => {
                cache_script(vm, &body)?;
                vm.scripts.get(&sha).ok_or_else(|| NOSCRIPT.to_string())?
            }
        };
        let flags = script.flags;
        check_flags(ctx, flags, ro)?;
        let func = script.func.clone();
        let spec = RunSpec {
            name: &sha,
            eval: true,
            read_only: ro || (!flags.has(ScriptFlags::COMPAT) && flags.has(ScriptFlags::NO_WRITES)),
            allow_oom: !flags.has(ScriptFlags::COMPAT) && flags.has(ScriptFlags::ALLOW_OOM),
            command: ctx.args,
        };
        let caller = Caller {
            server,
            client: ctx.client,
            now: ctx.now,
        };
        Ok(run::run(vm, &func, &spec, keys, argv, caller, ctx.out))
    });
    match result {
        Ok(Ok(outcome)) => settle(ctx, outcome),
        Ok(Err(msg)) | Err(msg) => ctx.error(&msg),
    }
}

fn script_load(ctx: &mut Ctx) {
    let body = ctx.args[2].clone();
    match ctx.server.scripting.with_vm(|vm| cache_script(vm, &body)) {
        Ok(Ok(sha)) => ctx.out.bulk(sha.as_bytes()),
        Ok(Err(msg)) | Err(msg) => ctx.error(&msg),
    }
}

fn script_exists(ctx: &mut Ctx) {
    let shas: Vec<String> = ctx.args[2..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let found = ctx
        .server
        .scripting
        .with_vm(|vm| {
            shas.iter()
                .map(|s| vm.scripts.contains_key(s))
                .collect::<Vec<_>>()
        })
        .unwrap_or_else(|_| vec![false; shas.len()]);
    ctx.out.array(found.len());
    for f in found {
        ctx.out.int(f as i64);
    }
}

fn script_flush(ctx: &mut Ctx) {
    let ok = match ctx.args.len() {
        2 => true,
        3 => {
            ctx.args[2].eq_ignore_ascii_case(b"sync") || ctx.args[2].eq_ignore_ascii_case(b"async")
        }
        _ => false,
    };
    if !ok {
        return ctx.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    ctx.server.scripting.flush();
    ctx.out.ok();
}

fn script_kill(ctx: &mut Ctx) {
    match ctx.server.scripting.busy.kill(true) {
        Ok(()) => ctx.out.ok(),
        Err(msg) => ctx.error(msg),
    }
}

fn script_debug(ctx: &mut Ctx) {
    let mode = ctx.args[2].to_ascii_lowercase();
    match &mode[..] {
        b"no" => ctx.out.ok(),
        b"yes" | b"sync" => {
            ctx.error("ERR the Lua debugger (SCRIPT DEBUG) is not supported by lode")
        }
        _ => ctx.error("ERR Use SCRIPT DEBUG YES/SYNC/NO"),
    }
}

fn script_help(ctx: &mut Ctx) {
    crate::admin::util::help(
        ctx,
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    );
}
