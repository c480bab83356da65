//! What the call boundary records about how long each call took, as Redis's `call()` and
//! `updateStatsOnUnblock` do: INFO commandstats' `usec`, the command's latency histogram, the
//! slow log, and the latency monitor's `command`, `fast-command` and `command-unblocking`
//! events.
//!
//! Three kinds of call are recorded differently:
//! - a call that blocks its client adds its time to `usec` (its `calls` was counted) but goes
//!   to the histogram and the slow log only once served, with the serving call's duration;
//! - a call whose reply waits for an effect the host's runner carries out (DEBUG SLEEP, SAVE,
//!   CONFIG SET...) is recorded when its reply is written, its duration running until then,
//!   because Redis does that work inside the command and its slow log shows it;
//! - any other call is recorded at once.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use smallvec::SmallVec;

use super::{Command, CommandFlags};
use crate::client::{ClientHandle, ClientState};
use crate::clock::Now;
use crate::observe::slowlog::entry_argv;
use crate::server::Server;
use crate::stats::Stats;
use crate::sync::Mutex;

/// One call, as the call boundary saw it.
pub struct Call<'a> {
    /// The command run.
    pub cmd: &'a Command,
    /// Its arguments.
    pub args: &'a [Bytes],
    /// Arguments the handler marked as sensitive (`Ctx::redact`).
    pub redacted: &'a [usize],
    /// The time the call ran at.
    pub now: Now,
    /// The host's monotonic clock when the handler began.
    pub started_us: u64,
    /// How long the handler ran.
    pub elapsed_us: u64,
    /// Whether it wrote a reply (a blocked client's command served without data writes none,
    /// and the client stays blocked).
    pub replied: bool,
}

/// Records a call that went through `dispatch::execute`, for the client in `state`.
pub fn record(server: &Server, state: &ClientState, call: &Call<'_>) {
    if state.deny_blocking {
        // The AOF loader's client, running its commands at time zero: Redis loads without
        // call(), so loaded commands leave no duration, slow log entry or latency event.
        return;
    }
    let obs = &server.observe;
    let cmd = call.cmd;
    let wall = call.now.micros().saturating_add(call.elapsed_us) / 1_000_000;
    if state.serving_blocked {
        if !call.replied {
            return;
        }
        Stats::add(&cmd.usec, call.elapsed_us);
        finish(server, &state.handle, call, call.elapsed_us, wall);
        obs.latency
            .add_if_needed("command-unblocking", call.elapsed_us / 1000, wall);
        return;
    }
    if state.awaiting.is_some() {
        server.deferred_calls.defer(&state.handle, call);
        return;
    }
    Stats::add(&cmd.usec, call.elapsed_us);
    command_event(server, cmd, call.elapsed_us, wall);
    if state.blocked.is_none() {
        finish(server, &state.handle, call, call.elapsed_us, wall);
    }
}

/// Counts the error a blocked client was released with (CLIENT UNBLOCK ... ERROR): the error
/// reply `reply` in INFO errorstats and a failed call of the command it was blocked in.
pub fn unblocked_with_error(server: &Server, args: &[Bytes], reply: &[u8]) {
    let line = reply.strip_suffix(b"\r\n").unwrap_or(reply);
    server.stats.record_error(line);
    if let Ok(cmd) = server.commands.resolve(args) {
        Stats::add(&cmd.failed_calls, 1);
    }
}

/// The latency monitor's event for a call of `cmd` that took `us`.
fn command_event(server: &Server, cmd: &Command, us: u64, wall: u64) {
    let event = if cmd.flags.has(CommandFlags::FAST) {
        "fast-command"
    } else {
        "command"
    };
    server.observe.latency.add_if_needed(event, us / 1000, wall);
}

/// The histogram and the slow log.
fn finish(server: &Server, client: &ClientHandle, call: &Call<'_>, us: u64, wall: u64) {
    let obs = &server.observe;
    let cmd = call.cmd;
    if obs.tracking() {
        cmd.latency.record_us(us);
    }
    if cmd.flags.has(CommandFlags::SKIP_SLOWLOG) || !obs.slowlog.wants(us) {
        return;
    }
    let name = client.name.lock().clone().unwrap_or_default();
    obs.slowlog.push(
        wall,
        us,
        entry_argv(call.args, call.redacted),
        client.info.peer_id(),
        name,
    );
}

/// A call whose reply waits for an effect.
struct Pending {
    client: Weak<ClientHandle>,
    cmd_id: usize,
    args: Vec<Bytes>,
    redacted: SmallVec<[usize; 2]>,
    now: Now,
    started_us: u64,
}

/// Calls waiting for an effect, by client id: recorded when their reply is written
/// ([`finish_deferred`]). Only commands that ask the host for I/O come here, so the map is
/// tiny; an entry whose client disconnected meanwhile is dropped at the next deferral.
#[derive(Default)]
pub struct DeferredCalls {
    calls: Mutex<HashMap<u64, Pending>>,
}

impl DeferredCalls {
    fn defer(&self, client: &Arc<ClientHandle>, call: &Call<'_>) {
        let mut calls = self.calls.lock();
        calls.retain(|_, p| p.client.strong_count() > 0);
        calls.insert(
            client.id,
            Pending {
                client: Arc::downgrade(client),
                cmd_id: call.cmd.id,
                args: call.args.to_vec(),
                redacted: call.redacted.iter().copied().collect(),
                now: call.now,
                started_us: call.started_us,
            },
        );
    }
}

/// Records the call `client` waited for an effect in, now that its reply is written (`failed`:
/// the reply is an error). Does nothing if the call was not deferred.
pub fn finish_deferred(server: &Server, client: &ClientState, failed: bool) {
    let Some(p) = server.deferred_calls.calls.lock().remove(&client.handle.id) else {
        return;
    };
    let Some(cmd) = server
        .commands
        .by_full_name(server.commands.name_of(p.cmd_id).as_bytes())
    else {
        return;
    };
    if failed {
        Stats::add(&cmd.failed_calls, 1);
    }
    let us = server.host.monotonic_us().saturating_sub(p.started_us);
    let wall = p.now.micros().saturating_add(us) / 1_000_000;
    Stats::add(&cmd.usec, us);
    command_event(server, cmd, us, wall);
    let call = Call {
        cmd,
        args: &p.args,
        redacted: &p.redacted,
        now: p.now,
        started_us: p.started_us,
        elapsed_us: us,
        replied: true,
    };
    finish(server, &client.handle, &call, us, wall);
}

#[cfg(all(test, not(loom)))]
mod tests {
    use crate::testkit::{debug_server, TestClient};

    #[test]
    fn a_call_waiting_for_an_effect_is_timed_until_its_reply() {
        let srv = debug_server();
        srv.effects.set_runner(Box::new(|| {}));
        let mut c = TestClient::new(&srv);
        let run_effect = |c: &mut TestClient| {
            let req = srv.effects.pop().expect("queued");
            req.completion.complete(req.effect.perform(&srv));
            c.poll()
        };
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]),
            ""
        );
        assert_eq!(run_effect(&mut c), "+OK\r\n");
        c.cmd(&["SLOWLOG", "RESET"]);
        assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.2"]), "");
        assert_eq!(run_effect(&mut c), "+OK\r\n");
        let got = c.cmd(&["SLOWLOG", "GET", "1"]);
        assert!(
            got.contains(":200000\r\n*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n"),
            "{got}"
        );
        // The new setting is in force when the call that made it is recorded, as in Redis.
        assert_eq!(
            c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"]),
            ""
        );
        assert_eq!(run_effect(&mut c), "+OK\r\n");
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":3\r\n");
        let stats = c.cmd(&["INFO", "commandstats"]);
        assert!(
            stats.contains("cmdstat_debug:calls=1,usec=200000,usec_per_call=200000.00,"),
            "{stats}"
        );
        assert!(
            stats.contains("cmdstat_config|set:calls=2,usec=0,"),
            "{stats}"
        );
        // A refused change counts as a failed call.
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "20"]), "");
        let req = srv.effects.pop().expect("queued");
        let refusal = crate::host::ApplyError {
            param: "hz",
            message: "no".into(),
        };
        req.completion.complete(Err(refusal.reply()));
        assert!(c.poll().starts_with("-ERR CONFIG SET failed"));
        let stats = c.cmd(&["INFO", "commandstats"]);
        assert!(stats.contains("cmdstat_config|set:calls=3,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1"), "{stats}");
    }

    #[test]
    fn commands_loaded_from_the_aof_are_not_timed() {
        let srv = debug_server();
        let mut c = TestClient::new(&srv);
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        c.cmd(&["SLOWLOG", "RESET"]);
        let file = crate::testkit::frame(&["SET", "a", "b"]);
        let replayed = crate::persistence::aof::replay(&srv, &file, c.now, false);
        assert!(replayed.is_ok());
        assert_eq!(c.cmd(&["GET", "a"]), "$1\r\nb\r\n");
        assert_eq!(c.cmd(&["SLOWLOG", "LEN"]), ":2\r\n");
        assert_eq!(c.cmd(&["LATENCY", "HISTOGRAM", "set"]), "*0\r\n");
    }

    #[test]
    fn a_blocked_command_unblocked_with_an_error_counts_as_failed() {
        let srv = debug_server();
        let mut c1 = TestClient::new(&srv);
        let mut c2 = TestClient::new(&srv);
        let id = c1.cmd(&["CLIENT", "ID"]);
        let id = id.trim_start_matches(':').trim_end();
        c2.cmd(&["CONFIG", "RESETSTAT"]);
        assert_eq!(c1.cmd(&["BLPOP", "l", "0"]), "");
        assert_eq!(c2.cmd(&["CLIENT", "UNBLOCK", id, "ERROR"]), ":1\r\n");
        assert!(c1.poll().starts_with("-UNBLOCKED"));
        let info = c2.cmd(&["INFO", "errorstats", "commandstats"]);
        assert!(info.contains("errorstat_UNBLOCKED:count=1\r\n"), "{info}");
        assert!(
            info.contains("cmdstat_blpop:calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1\r\n"),
            "{info}"
        );
    }

    #[test]
    fn a_blocked_command_is_logged_when_served_with_its_own_arguments() {
        let srv = debug_server();
        let mut c1 = TestClient::new(&srv);
        let mut c2 = TestClient::new(&srv);
        c1.cmd(&["CLIENT", "SETNAME", "waiter"]);
        c2.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        assert_eq!(c1.cmd(&["BLPOP", "l", "0"]), "");
        c2.cmd(&["MULTI"]);
        c2.cmd(&["LPUSH", "l", "foo"]);
        c2.cmd(&["SLOWLOG", "RESET"]);
        c2.cmd(&["EXEC"]);
        assert_eq!(c1.poll(), "*2\r\n$1\r\nl\r\n$3\r\nfoo\r\n");
        let got = c2.cmd(&["SLOWLOG", "GET", "1"]);
        assert!(
            got.contains(
                "*3\r\n$5\r\nBLPOP\r\n$1\r\nl\r\n$1\r\n0\r\n$3\r\n?:0\r\n$6\r\nwaiter\r\n"
            ),
            "{got}"
        );
        let h = c2.cmd(&["LATENCY", "HISTOGRAM", "blpop"]);
        assert!(
            h.starts_with("*2\r\n$5\r\nblpop\r\n*4\r\n$5\r\ncalls\r\n:1\r\n"),
            "{h}"
        );
        let stats = c2.cmd(&["INFO", "commandstats"]);
        assert!(stats.contains("cmdstat_blpop:calls=1,"), "{stats}");
    }
}
