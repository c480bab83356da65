//! MODULE: Redis's module commands as a server that loads no modules answers them. Redis
//! modules are shared objects written against Redis's C module API; lode cannot host them, so
//! LIST is always empty and LOAD/LOADEX fail the way a module that does not load fails in
//! Redis (a log line, then Redis's reply). LOAD, LOADEX and UNLOAD are PROTECTED: the call
//! boundary refuses them first unless `enable-module-command` allows the client.

use super::util::help;
use crate::command::{Ctx, Handler};

/// The MODULE subcommands.
pub const COMMANDS: &[(&str, Handler)] = &[
    ("module|list", list),
    ("module|load", load),
    ("module|loadex", load),
    ("module|unload", unload),
    ("module|help", module_help),
];

const HELP: &[&str] = &[
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
];

fn list(ctx: &mut Ctx) {
    ctx.out.array(0);
}

fn load(ctx: &mut Ctx) {
    let path = String::from_utf8_lossy(ctx.arg(2)).into_owned();
    ctx.server.host.log(&format!(
        "Module {path} failed to load: lode does not load Redis modules"
    ));
    ctx.error("ERR Error loading the extension. Please check the server logs.");
}

fn unload(ctx: &mut Ctx) {
    ctx.error("ERR Error unloading module: no such module with that name");
}

fn module_help(ctx: &mut Ctx) {
    help(ctx, HELP);
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::testkit::{server, server_with, TestClient};

    #[test]
    fn loading_is_gated_then_fails_as_a_module_that_does_not_load() {
        let mut c = TestClient::new(&server());
        assert_eq!(c.cmd(&["MODULE", "LIST"]), "*0\r\n");
        assert!(c
            .cmd(&["MODULE", "LOAD", "/x.so"])
            .starts_with("-ERR MODULE command not allowed. If the enable-module-command"));
        // The in-process test client is local, so "local" allows it.
        let srv = server_with(Config {
            enable_module_command: "local".into(),
            ..Config::default()
        });
        let mut c = TestClient::new(&srv);
        assert_eq!(
            c.cmd(&["MODULE", "LOAD", "/x.so", "a"]),
            "-ERR Error loading the extension. Please check the server logs.\r\n"
        );
        assert_eq!(
            c.cmd(&["MODULE", "LOADEX", "/x.so", "CONFIG", "n", "v"]),
            "-ERR Error loading the extension. Please check the server logs.\r\n"
        );
        assert_eq!(
            c.cmd(&["MODULE", "UNLOAD", "m"]),
            "-ERR Error unloading module: no such module with that name\r\n"
        );
        // DEBUG keeps its own gate.
        assert!(c
            .cmd(&["DEBUG", "DIGEST"])
            .starts_with("-ERR DEBUG command not allowed."));
    }
}
