//! Effects: the I/O a command needs, asked of the host program instead of performed inside the
//! command (core does no I/O). A handler requests an effect through `Ctx::request_effect`; the
//! client then waits, as a blocked client does, while the host's effect runner — a thread of the
//! server program, never a worker serving clients — carries it out through the `Host` trait and
//! completes it. The session writes the reply the completion decides and reads on.
//!
//! Without a runner (unit tests, the simulator) an effect is carried out at once, inline, by the
//! same `Host` methods, so behaviour is identical and deterministic.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::config::Config;
use crate::host::ShutdownOptions;
use crate::keyspace::commands::migrate::{MigrateDone, MigrateRequest};
use crate::persistence::aof::RewriteJob;
use crate::persistence::SaveJob;
use crate::server::Server;
use crate::sync::Mutex;

/// What the host is asked to do.
pub enum Effect {
    /// Apply the configuration parameters `names` (canonical names) that CONFIG SET is about to
    /// change to their values in `config` (rebind `port`/`bind`, `dir`, log settings...).
    ApplyConfig {
        /// The parameters that change.
        names: Vec<&'static str>,
        /// The configuration with the new values.
        config: Box<Config>,
    },
    /// Rewrite the config file with these directives (CONFIG REWRITE).
    RewriteConfig(Vec<String>),
    /// Stop the server (SHUTDOWN).
    Shutdown(ShutdownOptions),
    /// Stall the server for this long (DEBUG SLEEP): the runner holds the exec gate
    /// exclusively meanwhile, so no command runs, as Redis's single thread sleeps.
    Sleep(Duration),
    /// Write a line to the server log (DEBUG LOG); nobody waits for it.
    Log(String),
    /// Write an RDB file from a snapshot begun by SAVE, BGSAVE or the save points. A runner
    /// writes a background save on a thread of its own, so other effects are not held up.
    Save(Box<SaveJob>),
    /// Write an AOF rewrite's base from its snapshot and swap it in (BGREWRITEAOF); run on a
    /// thread of its own, as a background save.
    RewriteAof(Box<RewriteJob>),
    /// Send keys to another server (MIGRATE).
    Migrate(Box<MigrateRequest>),
    /// Read a whole file into `into` (ACL LOAD); the error is Redis's
    /// "Error loading ACLs, opening file '<path>': <reason>".
    ReadFile {
        /// The file.
        path: String,
        /// Where its bytes go.
        into: Arc<parking_lot::Mutex<Option<Vec<u8>>>>,
    },
    /// Replace a file with `bytes` atomically (ACL SAVE); on failure the reply is `error`.
    WriteFile {
        /// The file.
        path: String,
        /// Its new content.
        bytes: Vec<u8>,
        /// The reply line if it fails (the log says why).
        error: &'static str,
    },
    /// Write a whole RDB file made in memory and count it as a save (FLUSHALL's empty one).
    WriteRdb {
        /// `dbfilename`.
        path: String,
        /// The file.
        bytes: Vec<u8>,
        /// The change counter the file reflects.
        changes: u64,
    },
}

impl Effect {
    /// Carries the effect out through `server`'s host (the runner's job; inline when there
    /// is none).
    pub fn perform(self, server: &Server) -> Result<(), String> {
        let host = &*server.host;
        match self {
            Effect::ApplyConfig { names, config } => {
                host.config_changed(&names, &config).map_err(|e| e.reply())
            }
            Effect::RewriteConfig(lines) => host.rewrite_config(&lines),
            Effect::ReadFile { path, into } => {
                let fail = |e: &str| format!("ERR Error loading ACLs, opening file '{path}': {e}");
                let bytes = host
                    .read_file(&path)
                    .map_err(|e| fail(&e))?
                    .ok_or_else(|| fail("No such file or directory"))?;
                *into.lock() = Some(bytes);
                Ok(())
            }
            Effect::WriteFile { path, bytes, error } => {
                let written = host.create_file(&path).and_then(|mut f| {
                    f.write(&bytes)?;
                    f.commit()
                });
                written.map_err(|e| {
                    host.log(&format!("Writing {path}: {e}"));
                    error.to_string()
                })
            }
            Effect::Shutdown(opts) => {
                if !opts.abort {
                    let now = crate::clock::Now(server.last_now.load(Ordering::Relaxed));
                    if let Err(e) =
                        crate::persistence::shutdown_save(server, now, opts.save, opts.nosave)
                    {
                        if !opts.force {
                            host.log(&format!("Error trying to save the DB, can't exit: {e}"));
                            return Err("ERR Errors trying to SHUTDOWN. Check logs.".into());
                        }
                    }
                }
                host.shutdown(&opts)
            }
            // Redis answers a failed SAVE with a bare "-ERR"; the log says why.
            Effect::Save(job) => {
                crate::persistence::run_save(server, *job).map_err(|_| "ERR".into())
            }
            Effect::RewriteAof(job) => crate::persistence::aof::run_rewrite(server, *job),
            Effect::Migrate(req) => host.migrate(&req),
            Effect::WriteRdb {
                path,
                bytes,
                changes,
            } => crate::persistence::write_rdb(server, &path, &bytes, changes),
            Effect::Sleep(d) => {
                host.sleep(d);
                Ok(())
            }
            Effect::Log(line) => {
                host.log(&line);
                Ok(())
            }
        }
    }
}

/// Wakes whoever waits for an effect (the waiting client's transport).
pub type Wake = Box<dyn Fn() + Send + Sync>;

/// Where a requested effect's outcome arrives, and whom to wake when it does.
pub struct Completion {
    outcome: Mutex<Option<Result<(), String>>>,
    wake: Option<Wake>,
}

impl Completion {
    /// A completion that calls `wake` when it completes (None: nobody waits, as for a log line).
    pub fn new(wake: Option<Wake>) -> Self {
        Completion {
            outcome: Mutex::new(None),
            wake,
        }
    }

    /// Records the outcome and wakes the waiter.
    pub fn complete(&self, outcome: Result<(), String>) {
        *self.outcome.lock() = Some(outcome);
        if let Some(wake) = &self.wake {
            wake();
        }
    }

    /// The outcome, once there is one (taken: it is read once).
    pub fn take(&self) -> Option<Result<(), String>> {
        self.outcome.lock().take()
    }
}

/// What the waiting client does once its effect completed.
pub enum AfterEffect {
    /// Reply +OK, or the error.
    ReplyOk,
    /// Close the connection without a reply (SHUTDOWN went ahead), or reply the error.
    Close,
    /// CONFIG SET: install `config` and reply +OK, or reply the host's "ERR CONFIG SET
    /// failed (possibly related to argument '<param>') - <error>" and change nothing.
    InstallConfig {
        /// The configuration to install.
        config: Box<Config>,
    },
    /// WAIT: reply how many replicas acknowledged `offset` by now.
    CountAcks {
        /// The offset the client's writes reached.
        offset: u64,
    },
    /// MIGRATE: delete what the target acknowledged (unless COPY), then +OK or the error.
    Migrate(Box<MigrateDone>),
    /// ACL LOAD: replace the users with those of the file read into `file`, then +OK.
    AclLoad {
        /// The ACL file, for error messages.
        path: String,
        /// The bytes the host read.
        file: Arc<parking_lot::Mutex<Option<Vec<u8>>>>,
    },
}

/// A client waiting for an effect.
pub struct Awaiting {
    /// Where the outcome arrives.
    pub completion: Arc<Completion>,
    /// What to do with it.
    pub then: AfterEffect,
}

/// One requested effect.
pub struct EffectRequest {
    /// What to do.
    pub effect: Effect,
    /// Where its outcome goes.
    pub completion: Arc<Completion>,
}

/// The effects waiting for the host's runner.
#[derive(Default)]
pub struct EffectQueue {
    queue: Mutex<VecDeque<EffectRequest>>,
    runner: OnceLock<Box<dyn Fn() + Send + Sync>>,
}

impl EffectQueue {
    /// Installs the host's runner: `notify` is called after each request is queued, and the
    /// runner then takes requests with [`EffectQueue::pop`]. Until one is installed, effects are
    /// carried out inline.
    pub fn set_runner(&self, notify: Box<dyn Fn() + Send + Sync>) {
        let _ = self.runner.set(notify);
    }

    /// Hands `effect` to the runner, or carries it out at once when there is none.
    pub fn submit(&self, server: &Server, effect: Effect, completion: Arc<Completion>) {
        match self.runner.get() {
            Some(notify) => {
                self.queue
                    .lock()
                    .push_back(EffectRequest { effect, completion });
                notify();
            }
            None => completion.complete(effect.perform(server)),
        }
    }

    /// The oldest queued request (the runner's side).
    pub fn pop(&self) -> Option<EffectRequest> {
        self.queue.lock().pop_front()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::testkit::{server, TestClient};

    #[test]
    fn a_client_waits_for_its_effect_and_its_pipeline_waits_behind_it() {
        let srv = server();
        let notified = std::sync::Arc::new(AtomicUsize::new(0));
        let n = notified.clone();
        srv.effects.set_runner(Box::new(move || {
            n.fetch_add(1, Ordering::Relaxed);
        }));
        let mut c = TestClient::new(&srv);
        let mut other = TestClient::new(&srv);
        // SHUTDOWN ABORT waits for the host; the PING pipelined behind it waits too.
        let mut input = crate::testkit::frame(&["SHUTDOWN", "ABORT"]);
        input.extend(crate::testkit::frame(&["PING"]));
        assert_eq!(c.raw(&input), b"");
        assert_eq!(notified.load(Ordering::Relaxed), 1);
        // Other clients are not held up.
        assert_eq!(other.cmd(&["PING"]), "+PONG\r\n");
        let req = srv.effects.pop().expect("the request is queued");
        assert!(matches!(req.effect, Effect::Shutdown(o) if o.abort));
        assert!(srv.effects.pop().is_none());
        assert_eq!(c.poll(), "");
        // The host's outcome decides the reply; then the pipeline runs on.
        let outcome = req.effect.perform(&srv);
        assert!(outcome.is_err());
        req.completion.complete(outcome);
        assert_eq!(c.poll(), "-ERR No shutdown in progress.\r\n+PONG\r\n");
    }

    #[test]
    fn config_set_installs_the_configuration_only_once_the_host_applied_it() {
        let srv = server();
        srv.effects.set_runner(Box::new(|| {}));
        let mut c = TestClient::new(&srv);
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "50"]), "");
        assert_eq!(srv.config.read().hz, 10);
        let req = srv.effects.pop().expect("queued");
        let refusal = crate::host::ApplyError {
            param: "hz",
            message: "no can do".into(),
        };
        req.completion.complete(Err(refusal.reply()));
        assert_eq!(
            c.poll(),
            "-ERR CONFIG SET failed (possibly related to argument 'hz') - no can do\r\n"
        );
        assert_eq!(srv.config.read().hz, 10);
        assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "50"]), "");
        let req = srv.effects.pop().expect("queued");
        req.completion.complete(Ok(()));
        assert_eq!(c.poll(), "+OK\r\n");
        assert_eq!(srv.config.read().hz, 50);
    }

    #[test]
    fn inside_exec_an_effect_runs_at_once() {
        let srv = server();
        srv.effects.set_runner(Box::new(|| {}));
        let mut c = TestClient::new(&srv);
        c.cmd(&["MULTI"]);
        c.cmd(&["CONFIG", "SET", "hz", "20"]);
        assert_eq!(c.cmd(&["EXEC"]), "*1\r\n+OK\r\n");
        assert_eq!(srv.config.read().hz, 20);
        assert!(srv.effects.pop().is_none());
    }
}
