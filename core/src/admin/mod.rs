//! Connection and server administration: the client registry and the connection, server,
//! CONFIG, INFO and DEBUG commands.

pub mod clients;
pub mod connection;
pub mod server_cmds;

use crate::command::Handler;

/// The handler lists of every administration module.
pub const COMMANDS: &[&[(&str, Handler)]] = &[connection::COMMANDS, server_cmds::COMMANDS];
