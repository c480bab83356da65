//! The effect runner: the thread that carries out the I/O core asks for (CONFIG SET's rebinding,
//! CONFIG REWRITE, SHUTDOWN, DEBUG SLEEP, DEBUG LOG, saves) through the `Host`, so no worker thread
//! serving clients ever blocks on it. The client that asked waits, as a blocked client does,
//! and is woken with the outcome.

use std::sync::{Arc, Condvar, Mutex};

use lode_core::effects::Effect;
use lode_core::Server;

/// Starts the runner for `server` and installs it; effects requested before this ran inline.
pub fn start(server: &Arc<Server>) -> std::io::Result<()> {
    let signal = Arc::new((Mutex::new(false), Condvar::new()));
    let worker = {
        let server = server.clone();
        let signal = signal.clone();
        std::thread::Builder::new()
            .name("lode-effects".into())
            .spawn(move || run(server, &signal))?
    };
    drop(worker);
    server.effects.set_runner(Box::new(move || {
        let (pending, cv) = &*signal;
        if let Ok(mut p) = pending.lock() {
            *p = true;
            cv.notify_one();
        }
    }));
    Ok(())
}

fn run(server: Arc<Server>, signal: &(Mutex<bool>, Condvar)) {
    let (pending, cv) = signal;
    loop {
        {
            let Ok(mut p) = pending.lock() else { return };
            while !*p {
                p = match cv.wait(p) {
                    Ok(p) => p,
                    Err(_) => return,
                };
            }
            *p = false;
        }
        while let Some(req) = server.effects.pop() {
            let outcome = match req.effect {
                // Redis's DEBUG SLEEP stalls its only thread: holding the exec gate exclusively
                // stalls every command here alike.
                e @ Effect::Sleep(_) => {
                    let _stalled = server.exec_gate.write();
                    e.perform(&server)
                }
                // A background save or an AOF rewrite takes as long as the dataset is large: on
                // a thread of its own, so CONFIG SET, SHUTDOWN and friends are not held up.
                e @ (Effect::Save(_) | Effect::RewriteAof(_) | Effect::Migrate(_))
                    if runs_long(&e) =>
                {
                    let server = server.clone();
                    let completion = req.completion;
                    let spawned = std::thread::Builder::new()
                        .name("lode-effect".into())
                        .spawn(move || completion.complete(e.perform(&server)));
                    if let Err(e) = spawned {
                        crate::log::line(
                            crate::log::LogLevel::Warning,
                            &format!("Can't save in background: {e}"),
                        );
                    }
                    continue;
                }
                other => other.perform(&server),
            };
            req.completion.complete(outcome);
        }
    }
}

/// Whether an effect runs on a thread of its own (a BGSAVE, a rewrite, a MIGRATE; not SAVE,
/// whose client waits for it anyway).
fn runs_long(e: &Effect) -> bool {
    match e {
        Effect::Save(job) => job.background,
        Effect::RewriteAof(_) => true,
        // Bounded only by the client's timeout, which may be long: never hold the runner.
        Effect::Migrate(_) => true,
        _ => false,
    }
}
