//! Clients as the rest of core sees them: how one is connected and woken, its registry entry
//! (`ClientHandle`, `ClientRegistry`), the state its commands change (`ClientState`), and the
//! `Waiter` it becomes while blocked. Below the command layer: nothing here runs commands.

mod handle;
mod info;
mod mailbox;
mod monitors;
mod obuf;
mod registry;
mod state;
mod waiter;

pub use handle::ClientHandle;
pub use info::{ClientInfo, NoopWaker, Waker};
pub use mailbox::Mailbox;
pub use monitors::Monitors;
pub use obuf::{ClientClass, OutputLimit};
pub use registry::ClientRegistry;
pub use state::{ClientState, Multi, ReplyMode, ARG_POINTER};
pub use waiter::{TimeoutReply, WaitState, Waiter};
