//! The server cron's schedule: `Server::tick` `hz` times a second, and a wake-up for every
//! client when `timeout` changes so idle clients re-arm their deadline. The transport that
//! hosts it only sleeps for as long as [`Cron::poll`] says.

use std::sync::Arc;
use std::time::Duration;

use crate::{Now, Server};

/// When the next tick is due, and what the last one saw.
pub struct Cron {
    server: Arc<Server>,
    /// The instant (µs) the next tick is due.
    next: u64,
    last_timeout: u64,
}

impl Cron {
    /// A schedule for `server` whose first tick is one period after `now`.
    pub fn new(server: Arc<Server>, now: Now) -> Self {
        let last_timeout = server.config.read().timeout;
        let next = now.micros() + period(&server);
        Cron {
            server,
            next,
            last_timeout,
        }
    }

    /// Ticks if a tick is due at `now`; returns how long to sleep until the next one.
    pub fn poll(&mut self, now: Now) -> Duration {
        let t = now.micros();
        if t >= self.next {
            self.server.tick(now);
            let timeout = self.server.config.read().timeout;
            if timeout != self.last_timeout {
                self.last_timeout = timeout;
                for c in self.server.clients.snapshot() {
                    c.waker.wake();
                }
            }
            // Fell behind (a long command, a suspended process): no burst of catch-up ticks.
            self.next = (self.next + period(&self.server)).max(t);
        }
        Duration::from_micros(self.next.saturating_sub(t))
    }
}

/// One tick's length at the current `hz`, in µs.
fn period(server: &Server) -> u64 {
    1_000_000 / u64::from(server.hz().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_on_schedule_without_bursts() {
        let server = crate::testkit::server();
        let hz = u64::from(server.hz().max(1));
        let p = 1_000_000 / hz;
        let mut cron = Cron::new(server, Now(0));
        assert_eq!(cron.poll(Now(0)), Duration::from_micros(p));
        assert_eq!(cron.poll(Now(p)), Duration::from_micros(p));
        // Ten periods late: one tick, then the next one follows at once, not ten.
        let late = 12 * p;
        assert_eq!(cron.poll(Now(late)), Duration::ZERO);
        assert_eq!(cron.poll(Now(late)), Duration::from_micros(p));
    }
}
