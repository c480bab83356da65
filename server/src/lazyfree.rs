//! The background freer, Redis's lazyfree bio thread: drops what core hands over through
//! `Host::free_in_background` (values UNLINK, FLUSHALL ASYNC and the `lazyfree-lazy-*`
//! options took out of the keyspace), so freeing them costs the threads serving clients
//! nothing. Dropping a job also updates INFO's lazyfree counters, and the memory it frees
//! leaves `used_memory` as it goes.

use std::sync::mpsc::{channel, Sender};
use std::sync::OnceLock;

/// What the freer thread drops.
type Garbage = Box<dyn Send>;

/// The freer thread's queue, started on first use.
#[derive(Default)]
pub struct Freer {
    /// None if the thread could not be started (garbage is then dropped by its sender).
    queue: OnceLock<Option<Sender<Garbage>>>,
}

impl Freer {
    /// Queues `garbage` for the freer thread (dropped here if there is none).
    pub fn free(&self, garbage: Garbage) {
        match self.queue.get_or_init(start) {
            Some(queue) => {
                // The thread never stops first; should it have, free here.
                if let Err(back) = queue.send(garbage) {
                    drop(back.0);
                }
            }
            None => drop(garbage),
        }
    }
}

/// Starts the freer thread, which drops what it receives in order until the process ends.
fn start() -> Option<Sender<Garbage>> {
    let (tx, rx) = channel::<Garbage>();
    std::thread::Builder::new()
        .name("lazyfree".into())
        .spawn(move || {
            for garbage in rx {
                drop(garbage);
            }
        })
        .ok()?;
    Some(tx)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Records the thread it is dropped on.
    struct Probe(Arc<AtomicBool>, std::thread::ThreadId);

    impl Drop for Probe {
        fn drop(&mut self) {
            let elsewhere = std::thread::current().id() != self.1;
            self.0.store(elsewhere, Ordering::SeqCst);
        }
    }

    #[test]
    fn garbage_is_dropped_on_the_freer_thread() {
        let freer = super::Freer::default();
        let done = Arc::new(AtomicBool::new(false));
        freer.free(Box::new(Probe(done.clone(), std::thread::current().id())));
        for _ in 0..500 {
            if done.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the freer thread never dropped the garbage");
    }
}
