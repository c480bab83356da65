//! Parses the text of a `.case` file into [`CaseFile`].

use std::time::Duration;

use super::quote::{quoted_repeat, split_args};
use super::{
    expect, vars, BatchItem, Block, CaseFile, Check, CheckKind, ServerKind, Step, StepKind,
    DEFAULT_CONN,
};

/// Parses one file; errors name `file:line`.
pub fn parse_file(name: &str, text: &str) -> Result<CaseFile, String> {
    let mut p = FileParser {
        blocks: Vec::new(),
        batch: None,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line == "#" || line.starts_with("# ") {
            continue;
        }
        p.line(i + 1, line)
            .map_err(|e| format!("{name}:{}: {e}", i + 1))?;
    }
    p.finish().map_err(|e| format!("{name}: {e}"))?;
    Ok(CaseFile {
        name: name.to_string(),
        blocks: p.blocks,
    })
}

struct FileParser {
    blocks: Vec<Block>,
    /// An open `@batch`: (line, conn, items).
    batch: Option<(usize, String, Vec<BatchItem>)>,
}

fn is_conn_name(w: &str) -> bool {
    let mut c = w.chars();
    c.next().is_some_and(|c| c.is_ascii_alphabetic())
        && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits `word rest` into an optional leading connection name and the rest.
fn conn_and_rest(s: &str) -> (Option<&str>, &str) {
    let s = s.trim();
    let (w, rest) = s.split_once(char::is_whitespace).unwrap_or((s, ""));
    if is_conn_name(w) {
        (Some(w), rest.trim())
    } else {
        (None, s)
    }
}

fn millis(s: &str) -> Result<Duration, String> {
    s.trim()
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|_| format!("want milliseconds, got {s:?}"))
}

/// `conn> ARGS` or `> ARGS`: the connection and the arguments.
fn command_line(line: &str) -> Option<(&str, &str)> {
    let gt = line
        .find("> ")
        .or_else(|| line.strip_suffix('>').map(str::len))?;
    let name = &line[..gt];
    if name.is_empty() {
        Some((DEFAULT_CONN, &line[gt + 1..]))
    } else if is_conn_name(name) {
        Some((name, &line[gt + 1..]))
    } else {
        None
    }
}

impl FileParser {
    fn block(&mut self) -> Result<&mut Block, String> {
        self.blocks
            .last_mut()
            .ok_or_else(|| "expected `=== name` first".to_string())
    }

    fn line(&mut self, n: usize, line: &str) -> Result<(), String> {
        if let Some(name) = line.strip_prefix("===") {
            self.finish()?;
            let name = name.trim();
            if name.is_empty() {
                return Err("a block needs a name".into());
            }
            if self.blocks.iter().any(|b| b.name == name) {
                return Err(format!("duplicate block name {name:?}"));
            }
            self.blocks.push(Block {
                name: name.to_string(),
                line: n,
                only: None,
                timeout: None,
                steps: Vec::new(),
                finally: usize::MAX,
            });
            return Ok(());
        }
        if let Some(d) = line.strip_prefix('@') {
            return self.directive(n, d);
        }
        if let Some((conn, rest)) = command_line(line) {
            let args = split_args(rest)?;
            if args.is_empty() {
                return Err("empty command".into());
            }
            if let Some((_, bconn, items)) = &mut self.batch {
                if conn != bconn && conn != DEFAULT_CONN {
                    return Err(format!(
                        "commands in a @batch run on its connection {bconn}"
                    ));
                }
                items.push(BatchItem {
                    line: n,
                    args,
                    checks: Vec::new(),
                });
                return Ok(());
            }
            return self.push_step(n, conn, StepKind::Command(args));
        }
        let (text, capture) = vars::split_capture(line);
        let template = vars::mentions(text.as_bytes()).then(|| text.to_string());
        // With variables, check the syntax now with a stand-in value; matching re-parses.
        let expect = expect::parse(&vars::stand_in(text))?;
        self.check(n, line, CheckKind::Reply { expect, template })?;
        if let Some(name) = capture {
            self.last_check()?.capture = Some(name.to_string());
        }
        Ok(())
    }

    fn last_check(&mut self) -> Result<&mut Check, String> {
        let checks = match &mut self.batch {
            Some((_, _, items)) => items.last_mut().map(|i| &mut i.checks),
            None => self
                .blocks
                .last_mut()
                .and_then(|b| b.steps.last_mut())
                .map(|s| &mut s.checks),
        };
        checks
            .and_then(|c| c.last_mut())
            .ok_or_else(|| "no check to capture from".to_string())
    }

    fn push_step(&mut self, n: usize, conn: &str, kind: StepKind) -> Result<(), String> {
        if self.batch.is_some() {
            return Err("only commands inside @batch ... @end".into());
        }
        let b = self.block()?;
        if let Some(prev) = b.steps.last() {
            unchecked(prev)?;
        }
        b.steps.push(Step {
            line: n,
            conn: conn.to_string(),
            kind,
            checks: Vec::new(),
        });
        Ok(())
    }

    fn check(&mut self, n: usize, src: &str, kind: CheckKind) -> Result<(), String> {
        let check = Check {
            line: n,
            src: src.to_string(),
            kind,
            capture: None,
        };
        if let Some((_, _, items)) = &mut self.batch {
            let item = items
                .last_mut()
                .ok_or("an expectation before any command of the @batch")?;
            item.checks.push(check);
            return Ok(());
        }
        let b = self.block()?;
        match b.steps.last_mut() {
            Some(s) if !matches!(s.kind, StepKind::Sleep(_) | StepKind::Batch(_)) => {
                s.checks.push(check);
                Ok(())
            }
            _ => Err("an expectation with no command, @send or @read before it".into()),
        }
    }

    fn directive(&mut self, n: usize, d: &str) -> Result<(), String> {
        let (word, rest) = d.split_once(char::is_whitespace).unwrap_or((d, ""));
        let rest = rest.trim();
        match word {
            "only" => {
                let (kind, why) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                let kind = match kind {
                    "redis" => ServerKind::Redis,
                    "lode" => ServerKind::Lode,
                    _ => return Err("@only redis|lode <reason>".into()),
                };
                if why.trim().is_empty() {
                    return Err("@only needs a reason".into());
                }
                self.block()?.only = Some((kind, why.trim().to_string()));
            }
            "timeout" => self.block()?.timeout = Some(millis(rest)?),
            "sleep" => self.push_step(n, DEFAULT_CONN, StepKind::Sleep(millis(rest)?))?,
            "send" => {
                let (conn, rest) = conn_and_rest(rest);
                let mut bytes = Vec::new();
                for part in split_args(rest)? {
                    bytes.extend_from_slice(&part);
                }
                if !rest.starts_with(['"', '\'']) {
                    return Err("@send [conn] \"quoted bytes\"...".into());
                }
                self.push_step(n, conn.unwrap_or(DEFAULT_CONN), StepKind::Send(bytes))?;
            }
            "read" => {
                let (conn, extra) = conn_and_rest(rest);
                if !extra.is_empty() {
                    return Err("@read [conn]".into());
                }
                self.push_step(n, conn.unwrap_or(DEFAULT_CONN), StepKind::Read)?;
            }
            "batch" => {
                let (conn, extra) = conn_and_rest(rest);
                if !extra.is_empty() || self.batch.is_some() {
                    return Err("@batch [conn] (not nested)".into());
                }
                self.block()?;
                self.batch = Some((n, conn.unwrap_or(DEFAULT_CONN).to_string(), Vec::new()));
            }
            "end" => {
                let Some((line, conn, items)) = self.batch.take() else {
                    return Err("@end without @batch".into());
                };
                if items.is_empty() {
                    return Err("empty @batch".into());
                }
                for item in &items {
                    if item.checks.is_empty() {
                        return Err(format!(
                            "line {}: a command with no expected reply",
                            item.line
                        ));
                    }
                }
                self.push_step(line, &conn, StepKind::Batch(items))?;
            }
            "finally" => {
                let b = self.block()?;
                if b.finally != usize::MAX {
                    return Err("a second @finally".into());
                }
                if let Some(prev) = b.steps.last() {
                    unchecked(prev)?;
                }
                b.finally = b.steps.len();
            }
            "raw" => {
                if !rest.starts_with(['"', '\'']) {
                    return Err("@raw \"quoted bytes\"".into());
                }
                let (bytes, end) = quoted_repeat(rest.as_bytes(), 0)?;
                if !rest[end..].trim().is_empty() {
                    return Err("@raw takes one quoted string".into());
                }
                self.check(n, &format!("@{d}"), CheckKind::Raw(bytes))?;
            }
            "closed" if rest.is_empty() => self.check(n, "@closed", CheckKind::Closed)?,
            "noreply" => {
                let wait = if rest.is_empty() {
                    Duration::from_millis(100)
                } else {
                    millis(rest)?
                };
                self.check(n, &format!("@{d}"), CheckKind::NoReply(wait))?;
            }
            _ => return Err(format!("unknown directive @{word}")),
        }
        Ok(())
    }

    /// Closes the current block: it must have steps and its last command a check.
    fn finish(&mut self) -> Result<(), String> {
        if let Some((line, ..)) = &self.batch {
            return Err(format!("line {line}: @batch without @end"));
        }
        if let Some(b) = self.blocks.last_mut() {
            if b.steps.is_empty() {
                return Err(format!("line {}: block {:?} has no steps", b.line, b.name));
            }
            if let Some(last) = b.steps.last() {
                unchecked(last)?;
            }
            b.finally = b.finally.min(b.steps.len());
        }
        Ok(())
    }
}

/// A command must be followed by at least one expectation: a test that checks nothing
/// cannot fail.
fn unchecked(step: &Step) -> Result<(), String> {
    match step.kind {
        StepKind::Command(_) | StepKind::Read if step.checks.is_empty() => Err(format!(
            "line {}: a command with no expected reply (use `*` for any)",
            step.line
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_block() {
        let text = r#"
# comment
=== set and get
@only redis because
> SET k "a b"
+OK
c2> GET k
"a b"
@send c2 "PING\r\n" "PING\r\n"
+PONG
@raw "+PONG\r\n"
@sleep 10
@batch
> INCR n
:1
> INCR n
:2
@end
@finally
> DEL k
:1
"#;
        let f = parse_file("t.case", text).unwrap();
        let b = &f.blocks[0];
        assert_eq!(b.name, "set and get");
        assert_eq!(b.only, Some((ServerKind::Redis, "because".into())));
        assert_eq!(b.steps.len(), 6);
        assert_eq!(b.finally, 5);
        assert_eq!(b.steps[1].conn, "c2");
        assert!(matches!(&b.steps[2].kind, StepKind::Send(bytes) if bytes == b"PING\r\nPING\r\n"));
        assert_eq!(b.steps[2].checks.len(), 2);
        assert!(matches!(&b.steps[4].kind, StepKind::Batch(items) if items.len() == 2));
    }

    #[test]
    fn rejects_mistakes() {
        let bad = [
            "> GET k\n",
            "=== a\n> GET k\n",
            "=== a\n> GET k\n> GET k\nnil\n",
            "=== a\n+OK\n",
            "=== a\n> GET k\nnil\n=== a\n> GET k\nnil\n",
            "=== a\n@batch\n> GET k\n",
            "=== a\n@only lode\n> GET k\nnil\n",
            "=== a\n> GET \"k\n nil\n",
            "=== a\n@bogus\n",
            "=== a\n",
        ];
        for text in bad {
            assert!(
                parse_file("t.case", text).is_err(),
                "{text:?} should not parse"
            );
        }
    }
}
