//! The case files: their model ([`CaseFile`], [`Block`], [`Step`], [`Check`]) and parser.
//! The notation is described in README.md.

pub mod expect;
pub mod glob;
pub mod parse;
pub mod quote;
pub mod vars;

use std::path::Path;
use std::time::Duration;

pub use expect::Expect;

/// The connection a step uses when it names none.
pub const DEFAULT_CONN: &str = "c1";

/// A server implementation a block can be restricted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    Redis,
    Lode,
}

/// One `.case` file.
#[derive(Debug)]
pub struct CaseFile {
    /// File name, e.g. `strings.case`.
    pub name: String,
    pub blocks: Vec<Block>,
}

/// One `=== name` test block.
#[derive(Debug)]
pub struct Block {
    pub name: String,
    pub line: usize,
    /// `@only redis|lode <reason>`.
    pub only: Option<(ServerKind, String)>,
    /// `@timeout <ms>`: per-read deadline.
    pub timeout: Option<Duration>,
    pub steps: Vec<Step>,
    /// `steps[finally..]` come after `@finally` and run even when an earlier step failed.
    pub finally: usize,
}

impl Block {
    /// How many expectations the block checks.
    pub fn check_count(&self) -> usize {
        self.steps
            .iter()
            .map(|s| match &s.kind {
                StepKind::Batch(items) => items.iter().map(|i| i.checks.len()).sum(),
                _ => s.checks.len(),
            })
            .sum()
    }
}

#[derive(Debug)]
pub struct Step {
    pub line: usize,
    pub conn: String,
    pub kind: StepKind,
    pub checks: Vec<Check>,
}

#[derive(Debug)]
pub enum StepKind {
    /// `conn> ARGS`: one command as a multibulk.
    Command(Vec<Vec<u8>>),
    /// `@send [conn] "bytes"...`: raw bytes in one write.
    Send(Vec<u8>),
    /// `@read [conn]`: nothing sent; the checks read what arrives.
    Read,
    /// `@batch [conn]` ... `@end`: commands written in one write, then each one's checks.
    Batch(Vec<BatchItem>),
    /// `@sleep <ms>`.
    Sleep(Duration),
}

#[derive(Debug)]
pub struct BatchItem {
    pub line: usize,
    pub args: Vec<Vec<u8>>,
    pub checks: Vec<Check>,
}

/// One expectation line.
#[derive(Debug)]
pub struct Check {
    pub line: usize,
    /// The line as written, for failure messages.
    pub src: String,
    pub kind: CheckKind,
    /// `... as $name`: the reply is stored in that variable.
    pub capture: Option<String>,
}

#[derive(Debug)]
pub enum CheckKind {
    /// Read one reply and match it. `template`: the expectation's text when it uses
    /// `${var}`, parsed again once the variables are substituted.
    Reply {
        expect: Expect,
        template: Option<String>,
    },
    /// `@raw "bytes"`: read exactly these bytes.
    Raw(Vec<u8>),
    /// `@closed`: the server closes the connection.
    Closed,
    /// `@noreply [ms]`: nothing arrives for that long (default 100 ms).
    NoReply(Duration),
}

/// Loads and parses every `*.case` file in `dir`, sorted by name.
pub fn load_dir(dir: &Path) -> Result<Vec<CaseFile>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "case"))
        .collect();
    paths.sort();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::read_to_string(&path) {
            Ok(text) => match parse::parse_file(&name, &text) {
                Ok(f) => files.push(f),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push(format!("{}: {e}", path.display())),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors.join("\n"))
    }
}
