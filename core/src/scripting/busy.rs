//! `Busy`: what other sessions can see of the script running now — whether one runs, whether
//! it passed `busy-reply-threshold` (then they answer -BUSY), whether it wrote (then it cannot
//! be killed) — and SCRIPT KILL / FUNCTION KILL, which they may run meanwhile.

use crate::sync::{AtomicBool, Ordering};

/// The running script's state, shared with every session.
#[derive(Default)]
pub struct Busy {
    running: AtomicBool,
    timedout: AtomicBool,
    killed: AtomicBool,
    wrote: AtomicBool,
    eval: AtomicBool,
}

/// The reply while a script runs past the threshold, by what runs it.
pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
/// The same, for a function.
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

impl Busy {
    /// A script (`eval`) or function starts.
    pub fn begin(&self, eval: bool) {
        self.timedout.store(false, Ordering::Relaxed);
        self.killed.store(false, Ordering::Relaxed);
        self.wrote.store(false, Ordering::Relaxed);
        self.eval.store(eval, Ordering::Relaxed);
        self.running.store(true, Ordering::Release);
    }

    /// It ended.
    pub fn end(&self) {
        self.running.store(false, Ordering::Release);
        self.timedout.store(false, Ordering::Release);
    }

    /// It ran past `busy-reply-threshold`: from now on other clients get -BUSY.
    pub fn set_timed_out(&self) {
        self.timedout.store(true, Ordering::Release);
    }

    /// Whether a script or function runs now.
    pub fn running(&self) -> bool {
        self.running.load(Ordering::Acquire)
    }

    /// Whether a script runs past the threshold now.
    pub fn timed_out(&self) -> bool {
        self.timedout.load(Ordering::Acquire) && self.running.load(Ordering::Acquire)
    }

    /// The -BUSY reply for the script running now.
    pub fn busy_error(&self) -> &'static str {
        if self.eval.load(Ordering::Relaxed) {
            BUSY_EVAL
        } else {
            BUSY_FUNCTION
        }
    }

    /// The script ran a write command: it can no longer be killed.
    pub fn set_wrote(&self) {
        self.wrote.store(true, Ordering::Relaxed);
    }

    /// Whether the running script has run a write command.
    pub fn wrote(&self) -> bool {
        self.wrote.load(Ordering::Relaxed)
    }

    /// Whether SCRIPT KILL / FUNCTION KILL asked it to stop.
    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::Acquire)
    }

    /// SCRIPT KILL (`eval`) or FUNCTION KILL: Redis's checks, then the request. The error is
    /// the reply line.
    pub fn kill(&self, eval: bool) -> Result<(), &'static str> {
        if !self.running.load(Ordering::Acquire) {
            return Err("NOTBUSY No scripts in execution right now.");
        }
        if self.wrote.load(Ordering::Relaxed) {
            return Err(
                "UNKILLABLE Sorry the script already executed write commands against the \
                        dataset. You can either wait the script termination or kill the server in \
                        a hard way using the SHUTDOWN NOSAVE command.",
            );
        }
        let running_eval = self.eval.load(Ordering::Relaxed);
        if eval && !running_eval {
            return Err(BUSY_FUNCTION);
        }
        if !eval && running_eval {
            return Err(BUSY_EVAL);
        }
        self.killed.store(true, Ordering::Release);
        Ok(())
    }
}
