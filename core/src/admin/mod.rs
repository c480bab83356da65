//! Connection and server administration: the client registry and the connection, server,
//! CONFIG, INFO and DEBUG commands.

pub mod clients;
pub mod connection;
pub mod server_cmds;
