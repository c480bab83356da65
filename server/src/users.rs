//! ACL users at startup, as Redis's ACLLoadUsersAtStartup: the `user` directives of the
//! configuration, or the `aclfile`, never both.

use bytes::Bytes;
use lode_core::acl::file;
use lode_core::Server;

/// Installs the configured users, or those of `aclfile`. The error is the log line to exit on.
pub fn load_at_startup(server: &Server, directives: &[Vec<Bytes>]) -> Result<(), String> {
    let (aclfile, all) = {
        let c = server.config.read();
        (c.aclfile.clone(), c.pubsub_all_channels())
    };
    if !aclfile.is_empty() && !directives.is_empty() {
        return Err(
            "Configuring Redis with users defined in redis.conf and at the same setting \
                    an ACL file path is invalid. This setup is very likely to lead to \
                    configuration errors and security holes, please define either an ACL file \
                    or declare users directly in your redis.conf, but not both."
                .into(),
        );
    }
    let users = file::from_directives(&server.commands, directives, all)
        .map_err(|e| format!("{e}. Critical error while loading ACLs. Exiting."))?;
    server.acl.add_users(users);
    if aclfile.is_empty() {
        return Ok(());
    }
    let text = std::fs::read(&aclfile).map_err(|e| {
        format!(
            "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file \
             '{aclfile}': {}",
            lode_core::util::os_error::strerror(&e)
        )
    })?;
    let users = file::parse(&server.commands, &text, &aclfile, all)
        .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
    server.acl.replace_all(&server.commands, users);
    Ok(())
}
