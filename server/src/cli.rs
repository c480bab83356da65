//! redis-server's command line: `[config-file] [--name value ...] [-]`.
//!
//! As in Redis, options are not applied one by one: they are turned into config-file text
//! ("--port 7000" becomes the line `port "7000"`) appended after the file and stdin, so they
//! override both and their errors are reported with line numbers of the combined text.

use lode_core::util::split_args::split_args;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Cli {
    /// Print the version and exit 0.
    Version,
    /// Print the usage and exit 1.
    Help,
    /// `--test-memory`: not supported; exit 1 with a message.
    TestMemory,
    /// `--check-system`: nothing to check; exit 0.
    CheckSystem,
    /// Run the server.
    Run(RunArgs),
    /// `--quic-bridge ...`: run a TCP/Unix-to-QUIC bridge instead (the arguments after it).
    Bridge(Vec<String>),
    /// `--check-rdb FILE`: check an RDB file, as redis-check-rdb does, and exit.
    CheckRdb(std::path::PathBuf),
}

/// How to build the configuration.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RunArgs {
    /// The config file, made absolute (as Redis does, so a later `dir` chdir keeps it valid).
    pub config_file: Option<std::path::PathBuf>,
    /// `-`: append standard input to the configuration.
    pub from_stdin: bool,
    /// The options as config-file text.
    pub options: Vec<u8>,
    /// Whether any argument was given (Redis warns when started with none).
    pub any_args: bool,
}

/// Appends `arg` quoted the way Redis's `sdscatrepr` quotes, so `split_args` reads it back.
fn push_repr(out: &mut Vec<u8>, arg: &[u8]) {
    out.push(b'"');
    for &b in arg {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// Parses `argv` (without the program name).
pub fn parse(argv: &[Vec<u8>]) -> Cli {
    let mut run = RunArgs {
        any_args: !argv.is_empty(),
        ..RunArgs::default()
    };
    let Some(first) = argv.first() else {
        return Cli::Run(run);
    };
    match first.as_slice() {
        b"-v" | b"--version" => return Cli::Version,
        b"--help" | b"-h" => return Cli::Help,
        b"--test-memory" => return Cli::TestMemory,
        b"--check-system" => return Cli::CheckSystem,
        b"--check-rdb" => {
            return match argv.get(1) {
                Some(f) => Cli::CheckRdb(String::from_utf8_lossy(f).into_owned().into()),
                None => Cli::Help,
            };
        }
        b"--quic-bridge" => {
            let rest = argv[1..].iter();
            return Cli::Bridge(
                rest.map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            );
        }
        _ => {}
    }
    let mut j = 0;
    if !first.starts_with(b"-") {
        let path = std::path::PathBuf::from(String::from_utf8_lossy(first).into_owned());
        run.config_file = Some(std::path::absolute(&path).unwrap_or(path));
        j = 1;
    }
    let last = argv.len() - 1;
    // Whether the previous option name already has a value; until it does, even an argument
    // that starts with "--" is taken as its value (`--maxmemory-policy --x` is an error
    // about the value, not a new option).
    let mut named_has_value = true;
    while j < argv.len() {
        let arg = &argv[j];
        let opts = &mut run.options;
        if arg.as_slice() == b"-" && (j == 0 || j == last) {
            run.from_stdin = true;
        } else if named_has_value && arg.starts_with(b"--") {
            if !opts.is_empty() {
                opts.push(b'\n');
            }
            opts.extend_from_slice(&arg[2..]);
            opts.push(b' ');
            let words = split_args(arg).map_or(0, |v| v.len());
            if words == 1 {
                named_has_value = false;
                let next_is_option = j != last && argv[j + 1].starts_with(b"--");
                if arg.eq_ignore_ascii_case(b"--save") && (next_is_option || j == last) {
                    // `--save` with nothing after it means `save ""` (persistence off), as
                    // scripts building the line from an empty list produce it.
                    opts.extend_from_slice(b"\"\"");
                    named_has_value = true;
                } else if arg.eq_ignore_ascii_case(b"--sentinel") && next_is_option {
                    named_has_value = true;
                }
            } else {
                // "--port 6380" in one argument carries its own value.
                named_has_value = true;
            }
        } else {
            push_repr(opts, arg);
            opts.push(b' ');
            named_has_value = true;
        }
        j += 1;
    }
    Cli::Run(run)
}

/// The `--version` line, in redis-server's format: tools read the server's Redis version from
/// `v=`, so it holds the Redis version lode is compatible with, and lode's own version comes
/// last as `lode=`. `sha` and `build` are what INFO shows (`redis_git_sha1:00000000`,
/// `redis_git_dirty:0`, `redis_build_id:0`).
pub fn version_line() -> String {
    format!(
        "Redis server v={} sha=00000000:0 malloc={} bits={} build=0 lode={}",
        crate::REDIS_VERSION,
        crate::sys::ALLOCATOR,
        usize::BITS,
        env!("CARGO_PKG_VERSION"),
    )
}

/// The `--help` text (written to stderr, exit status 1, like redis-server).
pub fn usage() -> String {
    let p = "./lode-server";
    format!(
        "Usage: {p} [/path/to/redis.conf] [options] [-]\n\
         \x20      {p} - (read config from stdin)\n\
         \x20      {p} -v or --version\n\
         \x20      {p} -h or --help\n\
         \x20      {p} --quic-bridge <local> <remote> [options] (carry local Redis clients over QUIC)\n\
         \n\
         Examples:\n\
         \x20      {p} (run the server with default conf)\n\
         \x20      echo 'maxmemory 128mb' | {p} -\n\
         \x20      {p} /etc/redis/6379.conf\n\
         \x20      {p} --port 7777\n\
         \x20      {p} --port 7777 --replicaof 127.0.0.1 8888\n\
         \x20      {p} /etc/myredis.conf --loglevel verbose -\n\
         \x20      {p} /etc/myredis.conf --loglevel verbose\n\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn run(v: &[&str]) -> RunArgs {
        match parse(&args(v)) {
            Cli::Run(r) => r,
            other => panic!("expected Run, got {other:?}"),
        }
    }

    fn opts(v: &[&str]) -> String {
        String::from_utf8(run(v).options).unwrap_or_default()
    }

    #[test]
    fn special_flags_only_first() {
        assert_eq!(parse(&args(&["-v"])), Cli::Version);
        assert_eq!(parse(&args(&["--version"])), Cli::Version);
        assert_eq!(parse(&args(&["-h"])), Cli::Help);
        assert_eq!(opts(&["--port", "1", "--version"]), "port \"1\" \nversion ");
    }

    #[test]
    fn version_line_has_redis_servers_fields() {
        let line = version_line();
        let fields: Vec<&str> = line.split(' ').collect();
        assert_eq!(fields[..3], ["Redis", "server", "v=7.0.15"], "{line}");
        let keys: Vec<&str> = fields[2..]
            .iter()
            .map(|f| f.split('=').next().unwrap_or_default())
            .collect();
        assert_eq!(
            keys,
            ["v", "sha", "malloc", "bits", "build", "lode"],
            "{line}"
        );
        assert!(line.ends_with(&format!(" lode={}", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn options_become_lines() {
        assert_eq!(
            opts(&["--port", "7000", "--bind", "127.0.0.1", "::1"]),
            "port \"7000\" \nbind \"127.0.0.1\" \"::1\" "
        );
        assert_eq!(opts(&["--port 6380"]), "port 6380 ");
        assert_eq!(
            opts(&["--port", "7003", "extra"]),
            "port \"7003\" \"extra\" "
        );
    }

    #[test]
    fn empty_save() {
        assert_eq!(opts(&["--save", "--port", "1"]), "save \"\"\nport \"1\" ");
        assert_eq!(opts(&["--port", "1", "--save"]), "port \"1\" \nsave \"\"");
        assert_eq!(opts(&["--save", ""]), "save \"\" ");
    }

    #[test]
    fn value_may_start_with_dashes() {
        assert_eq!(opts(&["--x", "--y"]), "x \"--y\" ");
    }

    #[test]
    fn config_file_and_stdin() {
        let r = run(&["my.conf", "--port", "1", "-"]);
        assert!(r.from_stdin);
        assert!(r
            .config_file
            .is_some_and(|p| p.is_absolute() && p.ends_with("my.conf")));
        let r = run(&["-"]);
        assert!(r.from_stdin && r.config_file.is_none());
        // A "-" in the middle is an argument.
        assert_eq!(opts(&["--a", "-", "--b", "1"]), "a \"-\" \nb \"1\" ");
    }

    #[test]
    fn repr_escapes() {
        let mut v = Vec::new();
        push_repr(&mut v, b"a\"b\\c\n\x01\xff");
        assert_eq!(v, b"\"a\\\"b\\\\c\\n\\x01\\xff\"".to_vec());
        assert_eq!(split_args(&v), Some(vec![b"a\"b\\c\n\x01\xff".to_vec()]));
    }
}
