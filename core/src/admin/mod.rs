//! Connection and server administration: the client registry and the connection, CLIENT,
//! HELLO, server, CONFIG, INFO, COMMAND, DEBUG, LOLWUT, SLOWLOG and LATENCY commands.

pub mod acl;
pub mod auth;
pub mod client_cmd;
pub mod client_kill;
pub mod client_line;
pub mod client_pause;
pub mod client_reply;
pub mod cluster;
pub mod command_cmd;
pub mod command_docs;
pub mod config_cmd;
pub mod connection;
pub mod debug;
pub mod digest;
pub mod hello;
pub mod info;
pub mod latency;
pub mod latency_report;
pub mod lolwut;
pub mod memory;
pub mod module;
pub mod server_cmds;
pub mod slowlog;
pub mod util;

use crate::command::Handler;

/// The handler lists of every administration module.
pub const COMMANDS: &[&[(&str, Handler)]] = &[
    connection::COMMANDS,
    acl::COMMANDS,
    auth::COMMANDS,
    hello::COMMANDS,
    client_cmd::COMMANDS,
    client_reply::COMMANDS,
    cluster::COMMANDS,
    config_cmd::COMMANDS,
    command_cmd::COMMANDS,
    info::COMMANDS,
    server_cmds::COMMANDS,
    debug::COMMANDS,
    lolwut::COMMANDS,
    memory::COMMANDS,
    module::COMMANDS,
    slowlog::COMMANDS,
    latency::COMMANDS,
];
