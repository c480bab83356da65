//! Server configuration: the parameters lode has, with Redis's names and defaults.

/// The configuration values the engine reads.
#[derive(Clone, Debug)]
pub struct Config {
    /// `databases`: number of logical databases.
    pub databases: usize,
    /// `hz`: server cron frequency.
    pub hz: u32,
    /// `timeout`: idle client timeout in seconds (0 = never).
    pub timeout: u64,
    /// `proto-max-bulk-len`.
    pub proto_max_bulk_len: u64,
    /// `client-query-buffer-limit`.
    pub client_query_buffer_limit: usize,
    /// `maxclients`.
    pub maxclients: usize,
    /// `enable-debug-command`: "no", "yes" or "local".
    pub enable_debug_command: String,
    /// `port`.
    pub port: u16,
    /// `bind`.
    pub bind: Vec<String>,
    /// `unixsocket`.
    pub unixsocket: String,
    /// `unixsocketperm`.
    pub unixsocketperm: u32,
    /// `tcp-backlog`.
    pub tcp_backlog: u32,
    /// `tcp-keepalive`.
    pub tcp_keepalive: u64,
    /// `protected-mode`.
    pub protected_mode: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            hz: 10,
            timeout: 0,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            maxclients: 10000,
            enable_debug_command: "no".into(),
            port: 6379,
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            unixsocket: String::new(),
            unixsocketperm: 0,
            tcp_backlog: 511,
            tcp_keepalive: 300,
            protected_mode: true,
        }
    }
}

impl Config {
    /// Applies one directive (`port 7000`, from the command line, a config file or CONFIG SET);
    /// the error text is what Redis reports for a bad value.
    pub fn apply(&mut self, name: &str, args: &[String]) -> Result<(), String> {
        let one = || {
            args.first()
                .cloned()
                .ok_or_else(|| "wrong number of arguments".to_string())
        };
        let num = |s: String| {
            s.parse::<u64>()
                .map_err(|_| "argument couldn't be parsed into an integer".to_string())
        };
        match name.to_ascii_lowercase().as_str() {
            "port" => self.port = num(one()?)? as u16,
            "bind" => self.bind = args.to_vec(),
            "unixsocket" => self.unixsocket = one()?,
            "unixsocketperm" => {
                self.unixsocketperm = u32::from_str_radix(&one()?, 8)
                    .map_err(|_| "Invalid socket file permissions".to_string())?
            }
            "enable-debug-command" => self.enable_debug_command = one()?,
            "databases" => self.databases = num(one()?)? as usize,
            "hz" => self.hz = num(one()?)? as u32,
            "timeout" => self.timeout = num(one()?)?,
            "maxclients" => self.maxclients = num(one()?)? as usize,
            "tcp-backlog" => self.tcp_backlog = num(one()?)? as u32,
            "tcp-keepalive" => self.tcp_keepalive = num(one()?)?,
            "save" | "appendonly" | "daemonize" | "loglevel" | "logfile" | "dir" | "dbfilename" => {
            }
            _ => return Err("Bad directive or wrong number of arguments".into()),
        }
        Ok(())
    }
}
