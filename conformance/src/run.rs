//! Runs blocks against a server endpoint and collects failures.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::case::quote::escape;
use crate::case::vars::{self, Vars};
use crate::case::{expect, Block, CaseFile, Check, CheckKind, Expect, ServerKind, Step, StepKind};
use crate::client::{encode_command, Conn, Endpoint};
use crate::features::{FEATURES, LODE_FEATURES};
use crate::report::{show, Failure};
use crate::Value;

/// Settings for one run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    pub endpoint: Endpoint,
    pub kind: ServerKind,
    /// Default deadline for one reply (`CONFORMANCE_TIMEOUT_MS`, default 3000).
    pub timeout: Duration,
    /// Substring that a block's `file` or name must contain (`CONFORMANCE_FILTER`).
    pub filter: Option<String>,
    /// The features the server has, for `@needs`: every feature for redis-server,
    /// [`LODE_FEATURES`] for lode.
    pub features: Vec<&'static str>,
}

impl RunConfig {
    /// Reads `CONFORMANCE_TIMEOUT_MS` and `CONFORMANCE_FILTER`.
    pub fn from_env(endpoint: Endpoint, kind: ServerKind) -> RunConfig {
        let timeout = std::env::var("CONFORMANCE_TIMEOUT_MS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3000);
        let filter = std::env::var("CONFORMANCE_FILTER")
            .ok()
            .filter(|s| !s.is_empty());
        RunConfig {
            endpoint,
            kind,
            timeout: Duration::from_millis(timeout),
            filter,
            features: features_of(kind),
        }
    }

    /// The features `block` needs that this server lacks (empty: the block runs).
    pub fn missing(&self, block: &Block) -> Vec<String> {
        block
            .needs
            .iter()
            .filter(|n| !self.features.contains(&n.as_str()))
            .cloned()
            .collect()
    }
}

/// The features a server has: redis-server is the spec, so all of them.
pub fn features_of(kind: ServerKind) -> Vec<&'static str> {
    match kind {
        ServerKind::Redis => FEATURES.iter().map(|(n, _)| *n).collect(),
        ServerKind::Lode => LODE_FEATURES.to_vec(),
    }
}

/// Counts for one file.
#[derive(Debug, Default)]
pub struct FileResult {
    pub passed: usize,
    /// Blocks left out by `CONFORMANCE_FILTER` or `@only`.
    pub filtered: usize,
    /// Blocks not run because the server lacks a feature they `@needs`: line, name and the
    /// missing features. Never counted as passed.
    pub unsupported: Vec<Unsupported>,
    pub failures: Vec<Failure>,
    /// Blocks that failed (a block may fail more than one check).
    pub failed_blocks: usize,
}

/// A block not run for want of features.
#[derive(Debug)]
pub struct Unsupported {
    pub line: usize,
    pub block: String,
    pub missing: Vec<String>,
}

impl FileResult {
    /// Unsupported blocks counted by the set of features they miss: `lists` → 12,
    /// `hashes+lists` → 1.
    pub fn unsupported_counts(&self) -> BTreeMap<String, usize> {
        count_missing(&self.unsupported)
    }
}

/// Counts unsupported blocks by their missing features (sorted, joined with `+`).
pub fn count_missing<'a>(
    blocks: impl IntoIterator<Item = &'a Unsupported>,
) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for u in blocks {
        let mut m = u.missing.clone();
        m.sort();
        *counts.entry(m.join("+")).or_insert(0) += 1;
    }
    counts
}

/// `needs lists ×12, needs hashes+lists ×1`.
pub fn show_counts(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(k, n)| format!("needs {k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs every block of `file` that passes the filter, the `@only` restriction and whose
/// `@needs` the server has.
pub fn run_file(file: &CaseFile, cfg: &RunConfig) -> FileResult {
    let mut res = FileResult::default();
    for block in &file.blocks {
        let wanted = match cfg.filter.as_deref() {
            None => true,
            Some(f) => file.name.contains(f) || block.name.contains(f),
        };
        let allowed = match &block.only {
            None => true,
            Some((k, _)) => *k == cfg.kind,
        };
        if !wanted || !allowed {
            res.filtered += 1;
            continue;
        }
        let missing = cfg.missing(block);
        if !missing.is_empty() {
            res.unsupported.push(Unsupported {
                line: block.line,
                block: block.name.clone(),
                missing,
            });
            continue;
        }
        let failures = run_block(&file.name, block, cfg);
        if failures.is_empty() {
            res.passed += 1;
        } else {
            res.failed_blocks += 1;
            res.failures.extend(failures);
        }
    }
    res
}

struct BlockRun<'a> {
    file: &'a str,
    block: &'a Block,
    cfg: &'a RunConfig,
    timeout: Duration,
    conns: BTreeMap<String, Conn>,
    vars: Vars,
    failures: Vec<Failure>,
}

/// Runs one block on fresh connections after a `FLUSHALL`.
pub fn run_block(file: &str, block: &Block, cfg: &RunConfig) -> Vec<Failure> {
    let timeout = block.timeout.unwrap_or(cfg.timeout);
    let mut run = BlockRun {
        file,
        block,
        cfg,
        timeout,
        conns: BTreeMap::new(),
        vars: Vars::new(),
        failures: Vec::new(),
    };
    if run.setup() {
        let (main, finally) = block.steps.split_at(block.finally.min(block.steps.len()));
        for step in main {
            if !run.step(step) {
                // The failed connection may be out of step with its replies: start over.
                run.close_all();
                break;
            }
        }
        for step in finally {
            run.step(step);
        }
    }
    run.close_all();
    run.failures
}

impl BlockRun<'_> {
    fn fail(&mut self, line: usize, step: String, expected: String, actual: String) {
        let (file, block) = (self.file.to_string(), self.block.name.clone());
        self.failures.push(Failure {
            file,
            line,
            block,
            step,
            expected,
            actual,
        });
    }

    /// FLUSHALL on a connection of its own, closed before the block starts.
    fn setup(&mut self) -> bool {
        let line = self.block.line;
        let mut c = match Conn::connect(&self.cfg.endpoint, self.timeout) {
            Ok(c) => c,
            Err(e) => {
                self.fail(
                    line,
                    "setup: connect".into(),
                    "a connection".into(),
                    e.to_string(),
                );
                return false;
            }
        };
        let ok = match c.call(&["FLUSHALL"], self.timeout) {
            Ok(Value::Simple(s)) if s.as_ref() == b"OK" => true,
            Ok(v) => {
                self.fail(line, "setup: FLUSHALL".into(), "+OK".into(), show(&v));
                false
            }
            Err(e) => {
                self.fail(line, "setup: FLUSHALL".into(), "+OK".into(), e.to_string());
                false
            }
        };
        c.close(Duration::from_secs(1));
        ok
    }

    fn close_all(&mut self) {
        for (_, c) in std::mem::take(&mut self.conns) {
            c.close(Duration::from_secs(1));
        }
    }

    fn conn(&mut self, name: &str, line: usize) -> Option<&mut Conn> {
        if !self.conns.contains_key(name) {
            match Conn::connect(&self.cfg.endpoint, self.timeout) {
                Ok(c) => {
                    self.conns.insert(name.to_string(), c);
                }
                Err(e) => {
                    let step = format!("connect {name} to {}", self.cfg.endpoint);
                    self.fail(line, step, "a connection".into(), e.to_string());
                    return None;
                }
            }
        }
        self.conns.get_mut(name)
    }

    /// Runs one step; false if it failed.
    fn step(&mut self, step: &Step) -> bool {
        // How the step reads in the case file: `c2> ...`, `@send c2 ...`.
        let (prefix, named) = if step.conn == crate::case::DEFAULT_CONN {
            (String::new(), String::new())
        } else {
            (step.conn.clone(), format!(" {}", step.conn))
        };
        let built = match &step.kind {
            StepKind::Sleep(d) => {
                std::thread::sleep(*d);
                return true;
            }
            StepKind::Command(args) => self
                .args(args)
                .map(|a| (encode_command(&a), format!("{prefix}> {}", show_args(&a)))),
            StepKind::Send(b) => self
                .bytes(b)
                .map(|b| (b.clone(), format!("@send{named} {}", escape(&b, 200)))),
            StepKind::Read => Ok((Vec::new(), format!("@read{named}"))),
            StepKind::Batch(items) => items
                .iter()
                .map(|item| self.args(&item.args).map(|a| encode_command(&a)))
                .collect::<Result<Vec<_>, _>>()
                .map(|parts| (parts.concat(), format!("@batch{named}"))),
        };
        let (bytes, label) = match built {
            Ok(b) => b,
            Err(e) => {
                let what = "variables set".to_string();
                self.fail(step.line, "substituting variables".into(), what, e);
                return false;
            }
        };
        let Some(conn) = self.conn(&step.conn, step.line) else {
            return false;
        };
        if !bytes.is_empty() {
            if let Err(e) = conn.send_raw(&bytes) {
                self.fail(
                    step.line,
                    label,
                    "to send".into(),
                    format!("write failed: {e}"),
                );
                return false;
            }
        }
        match &step.kind {
            StepKind::Batch(items) => items.iter().all(|item| {
                let label = format!("{label}: {prefix}> {}", show_args(&item.args));
                self.checks(&step.conn, &label, &item.checks)
            }),
            _ => self.checks(&step.conn, &label, &step.checks),
        }
    }

    fn bytes(&self, b: &[u8]) -> Result<Vec<u8>, String> {
        if vars::mentions(b) {
            vars::substitute(b, &self.vars)
        } else {
            Ok(b.to_vec())
        }
    }

    fn args(&self, args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, String> {
        args.iter().map(|a| self.bytes(a)).collect()
    }

    fn checks(&mut self, conn: &str, label: &str, checks: &[Check]) -> bool {
        for check in checks {
            // An expectation that uses variables is parsed now that they are known.
            let resolved = match &check.kind {
                CheckKind::Reply {
                    template: Some(t), ..
                } => {
                    match self
                        .bytes(t.as_bytes())
                        .and_then(|t| expect::parse(&String::from_utf8_lossy(&t)))
                    {
                        Ok(e) => Some(e),
                        Err(e) => {
                            self.fail(check.line, label.to_string(), check.src.clone(), e);
                            return false;
                        }
                    }
                }
                _ => None,
            };
            let Some(c) = self.conns.get_mut(conn) else {
                return false;
            };
            match check_one(c, check, resolved.as_ref(), self.timeout) {
                Ok(reply) => {
                    if let Some(name) = &check.capture {
                        match reply.as_ref().and_then(vars::capture) {
                            Some(v) => {
                                self.vars.insert(name.clone(), v);
                            }
                            None => {
                                let why = format!("a scalar reply to store in ${name}");
                                self.fail(
                                    check.line,
                                    label.to_string(),
                                    why,
                                    "no scalar reply".into(),
                                );
                                return false;
                            }
                        }
                    }
                }
                Err(actual) => {
                    self.fail(check.line, label.to_string(), check.src.clone(), actual);
                    return false;
                }
            }
        }
        true
    }
}

/// Evaluates one check against what `c` receives (`resolved` stands for the check's
/// expectation when it used variables); the reply on a match, `Err(actual)` otherwise.
fn check_one(
    c: &mut Conn,
    check: &Check,
    resolved: Option<&Expect>,
    timeout: Duration,
) -> Result<Option<Value>, String> {
    match &check.kind {
        CheckKind::Reply { expect, .. } => match c.read_reply(timeout) {
            Ok(v) if resolved.unwrap_or(expect).matches(&v) => Ok(Some(v)),
            Ok(v) => Err(show(&v)),
            Err(err) => Err(err.to_string()),
        },
        CheckKind::Raw(want) => match c.read_exact_bytes(want.len(), timeout) {
            Ok(got) if &got == want => Ok(None),
            Ok(got) => {
                let more = c.pending().to_vec();
                Err(format!(
                    "@raw {} (then {})",
                    escape(&got, 2000),
                    escape(&more, 200)
                ))
            }
            Err(err) => Err(err.to_string()),
        },
        CheckKind::Closed => c.expect_closed(timeout).map(|_| None),
        CheckKind::NoReply(wait) => c.expect_silence(*wait).map(|_| None),
    }
}

/// Arguments as they would be typed (quoted when needed).
fn show_args(args: &[Vec<u8>]) -> String {
    let plain = |a: &[u8]| {
        !a.is_empty()
            && a.iter()
                .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b'\'')
    };
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if plain(a) {
                String::from_utf8_lossy(a).into_owned()
            } else {
                escape(a, 200)
            }
        })
        .collect();
    shown.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::parse::parse_file;

    fn cfg(kind: ServerKind) -> RunConfig {
        RunConfig {
            // Nothing listens here: a block that ran would fail to connect.
            endpoint: Endpoint::Unix("/nonexistent/lode-conformance.sock".into()),
            kind,
            timeout: Duration::from_millis(100),
            filter: None,
            features: features_of(kind),
        }
    }

    #[test]
    fn blocks_needing_missing_features_are_skipped_not_passed() {
        let text = "=== a\n@needs streams\n> RPUSH l x\n:1\n\
                    === b\n@needs hll streams\n> PFADD h a\n:0\n\
                    === c\n@needs streams\n> LLEN l\n:0\n\
                    === d\n@needs transactions\n> MULTI\n+OK\n";
        let file = parse_file("t.case", text).unwrap();
        // lode without hll and streams, whatever LODE_FEATURES holds today, so the test
        // does not change meaning as lode gains features.
        let mut lode = cfg(ServerKind::Lode);
        lode.features.retain(|f| !["hll", "streams"].contains(f));
        assert!(lode.missing(&file.blocks[3]).is_empty());
        assert_eq!(lode.missing(&file.blocks[1]), ["hll", "streams"]);
        assert!(cfg(ServerKind::Redis).missing(&file.blocks[1]).is_empty());

        let only_unsupported = CaseFile {
            name: file.name.clone(),
            blocks: file.blocks.into_iter().take(3).collect(),
        };
        let res = run_file(&only_unsupported, &lode);
        assert_eq!((res.passed, res.failed_blocks, res.filtered), (0, 0, 0));
        assert_eq!(res.unsupported.len(), 3);
        let counts = res.unsupported_counts();
        assert_eq!(
            show_counts(&counts),
            "needs hll+streams ×1, needs streams ×2"
        );
    }
}
