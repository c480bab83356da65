//! The Tokio runtime a QUIC server or bridge runs on. With one thread it is a current-thread
//! runtime on a thread of its own: tasks run in the order they were woken (no work stealing,
//! no LIFO slot), so sessions whose bytes arrive in one packet execute in the order the peer
//! sent them, as they would on Redis's single event loop (a BLPOP sent on one stream just
//! before an RPUSH on another is served first). More threads use the work-stealing runtime.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::oneshot;

/// A runtime serving tasks until [`Worker::stop`].
pub(crate) struct Worker {
    runtime: Option<Runtime>,
    /// The thread driving a current-thread runtime, and the signal that ends its drive.
    driver: Option<(oneshot::Sender<()>, std::thread::JoinHandle<Runtime>)>,
    handle: Handle,
}

impl Worker {
    /// A runtime with `threads` worker threads named `name`.
    pub(crate) fn start(name: &str, threads: usize) -> io::Result<Worker> {
        if threads > 1 {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name(name)
                .enable_all()
                .build()?;
            let handle = runtime.handle().clone();
            return Ok(Worker {
                runtime: Some(runtime),
                driver: None,
                handle,
            });
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                runtime
            })?;
        Ok(Worker {
            runtime: None,
            driver: Some((stop, thread)),
            handle,
        })
    }

    /// The runtime's handle (spawning, entering its context).
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Stops serving: runs `last` (a graceful close, bounded by `grace`) on the runtime, then
    /// drops every task. Call from outside any async context.
    pub(crate) fn stop<F: Future>(&mut self, grace: Duration, last: F) {
        let runtime = match (self.runtime.take(), self.driver.take()) {
            (Some(rt), _) => Some(rt),
            (None, Some((stop, thread))) => {
                let _ = stop.send(());
                thread.join().ok()
            }
            (None, None) => None,
        };
        if let Some(rt) = runtime {
            rt.block_on(async {
                let _ = tokio::time::timeout(grace, last).await;
            });
            rt.shutdown_timeout(grace);
        }
    }
}
