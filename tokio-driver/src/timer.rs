//! The one timer a connection keeps, armed where the core says (idle timeout, blocking
//! command deadline, closing flush limit).

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use lode_core::connection::TimerChange;
use tokio::time::{Instant, Sleep};

use crate::now;

/// An optional Tokio sleep. Boxed once and then reset in place, so moving the deadline every
/// round does not allocate.
#[derive(Default)]
pub(crate) struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
}

impl Timer {
    /// Applies the core's instruction.
    pub(crate) fn apply(&mut self, change: TimerChange) {
        match change {
            TimerChange::Disarm => self.sleep = None,
            TimerChange::Arm(at) => {
                // The core speaks wall-clock µs, Tokio a monotonic `Instant`: convert the
                // remaining wait, not the instant.
                let wait = Duration::from_micros(at.micros().saturating_sub(now().micros()));
                let when = Instant::now() + wait;
                match &mut self.sleep {
                    Some(sleep) => sleep.as_mut().reset(when),
                    None => self.sleep = Some(Box::pin(tokio::time::sleep_until(when))),
                }
            }
        }
    }

    /// Whether the armed timer has fired (registering `cx` if not); a fired timer disarms
    /// itself, since the core re-arms it from its next deadline.
    pub(crate) fn poll_fired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(sleep) = &mut self.sleep else {
            return false;
        };
        if sleep.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.sleep = None;
        true
    }
}
