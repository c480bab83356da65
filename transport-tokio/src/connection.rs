//! One client connection: reads into a buffer, feeds the session, writes its replies back in
//! one write per batch.

use std::sync::Arc;

use bytes::BytesMut;
use lode_core::{ClientInfo, Server, Session, SessionEvent, Waker};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;

use crate::now;

/// Wakes a connection task when another session made it ready.
struct NotifyWaker(Notify);

impl Waker for NotifyWaker {
    fn wake(&self) {
        self.0.notify_one();
    }
}

/// Initial read buffer size; grows as needed for large requests.
const READ_CHUNK: usize = 16 * 1024;

/// Serves one client until it disconnects or the session asks to close.
pub async fn drive<S>(server: Arc<Server>, mut stream: S, info: ClientInfo)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let waker = Arc::new(NotifyWaker(Notify::new()));
    let mut session = Session::new(server, info, waker.clone(), now());
    let mut rbuf = BytesMut::with_capacity(READ_CHUNK);
    loop {
        if rbuf.capacity() - rbuf.len() < 1024 {
            rbuf.reserve(READ_CHUNK);
        }
        let deadline = session.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => {
                    let wait = at.micros().saturating_sub(now().micros());
                    tokio::time::sleep(std::time::Duration::from_micros(wait)).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read_buf(&mut rbuf) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => session.handle_input(now(), &mut rbuf),
            },
            _ = waker.0.notified() => {}
            _ = sleep => session.handle_timeout(now()),
        }
        while !session.pending_output().is_empty() {
            match stream.write(session.pending_output()).await {
                Ok(0) | Err(_) => return,
                Ok(n) => session.consume_output(n),
            }
        }
        if session.poll_event() == Some(SessionEvent::Close) {
            let _ = stream.flush().await;
            break;
        }
    }
}
