//! The ACL file (`aclfile`) and `user` directives: parsing a whole file into users, all or
//! nothing, with Redis's error texts, and writing users back in the same format.

use bytes::Bytes;

use super::user::{valid_name, Rules};
use super::{merge_selector_args, RuleError};
use crate::command::CommandTable;

/// Parses an ACL file's text. Err is Redis's one-line description of every problem found,
/// ending with the note that nothing was changed.
pub fn parse(
    table: &CommandTable,
    text: &[u8],
    filename: &str,
    pubsub_all: bool,
) -> Result<Vec<(Bytes, Rules)>, String> {
    let mut users: Vec<(Bytes, Rules)> = Vec::new();
    let mut errors = String::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = trim(raw, b" \t\r\n");
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        // Plain split on spaces, as Redis's sdssplitlen: no quoting in ACL files.
        let argv: Vec<Bytes> = line
            .split(|&b| b == b' ')
            .map(Bytes::copy_from_slice)
            .collect();
        if argv[0].as_ref() != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{filename}:{n} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = &argv[1];
        if !valid_name(name) {
            errors.push_str(&format!(
                "'{filename}:{n}: username '{}' contains invalid characters. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        if users.iter().any(|(u, _)| u == name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {n}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut rules = Rules::new(pubsub_all);
        let merged = match merge_selector_args(&argv[2..]) {
            Ok(m) => m,
            Err(_) => {
                errors.push_str(&format!(
                    "{filename}:{n}: Unmatched parenthesis in selector definition."
                ));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for op in &merged {
            let op = trim(op, b"\t\r\n");
            if let Err(e) = rules.apply(table, op, pubsub_all) {
                if e == RuleError::UnknownCommand {
                    errors.push_str(&format!(
                        "{filename}:{n}: Error in applying operation '{}': {}. ",
                        String::from_utf8_lossy(op),
                        e.message()
                    ));
                } else if !syntax_error {
                    errors.push_str(&format!("{filename}:{n}: {}. ", e.message()));
                    syntax_error = true;
                }
            }
        }
        rules.finish();
        users.push((name.clone(), rules));
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        Err(errors)
    }
}

/// Users given by `user` directives in the configuration, in order. A repeated name is an
/// error, as is any rule that is not valid; the `default` user starts from `reset`.
pub fn from_directives(
    table: &CommandTable,
    directives: &[Vec<Bytes>],
    pubsub_all: bool,
) -> Result<Vec<(Bytes, Rules)>, String> {
    let mut users: Vec<(Bytes, Rules)> = Vec::new();
    for d in directives {
        let Some((name, ops)) = d.split_first() else {
            continue;
        };
        if users.iter().any(|(u, _)| u == name) {
            return Err(format!(
                "Error in user declaration '{}': Duplicate user found. A user can only be \
                 defined once in config files",
                String::from_utf8_lossy(name)
            ));
        }
        if !valid_name(name) {
            return Err("Spaces not allowed in ACL usernames".into());
        }
        let merged = merge_selector_args(ops).map_err(|i| {
            format!(
                "Error in user declaration '{}': Unmatched parenthesis in acl selector",
                String::from_utf8_lossy(&ops[i])
            )
        })?;
        let mut rules = Rules::new(pubsub_all);
        if name.as_ref() == b"default" {
            let _ = rules.apply(table, b"reset", pubsub_all);
        }
        for op in &merged {
            rules.apply(table, op, pubsub_all).map_err(|e| {
                format!(
                    "Error in user declaration '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                )
            })?;
        }
        rules.finish();
        users.push((name.clone(), rules));
    }
    Ok(users)
}

/// One user as an ACL file line (no newline): `user <name> <rules>`.
pub fn user_line(table: &CommandTable, name: &[u8], rules: &Rules) -> Vec<u8> {
    let mut line = b"user ".to_vec();
    line.extend_from_slice(name);
    line.push(b' ');
    line.extend_from_slice(&rules.describe(table));
    line
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|b| !set.contains(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(start, |e| e + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> CommandTable {
        CommandTable::new(crate::handlers::all())
    }

    #[test]
    fn parses_users_and_reports_every_problem() {
        let t = table();
        let ok = parse(
            &t,
            b"user alice on >pw ~* &* +@all\n\nuser bob off\n",
            "f",
            false,
        )
        .expect("valid");
        assert_eq!(ok.len(), 2);
        assert!(ok[0].1.password_ok(b"pw"));
        let err = parse(
            &t,
            b"user a on\nuser a off\nfoo\nuser b +nosuch\n",
            "f",
            false,
        )
        .expect_err("invalid");
        assert!(err.contains("WARNING: Duplicate user 'a' found on line 2."));
        assert!(err.contains("f:3 should start with user keyword"));
        assert!(err.contains("f:4: Error in applying operation '+nosuch'"));
        assert!(err.ends_with("no change to the previously active ACL rules was performed"));
    }

    #[test]
    fn lines_round_trip() {
        let t = table();
        let users = parse(
            &t,
            b"user u on #2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae \
              %R~r* ~k* resetchannels &c -@all +get +@hash (~x +set)",
            "f",
            false,
        )
        .expect("valid");
        let line = user_line(&t, &users[0].0, &users[0].1);
        let again = parse(&t, &line, "f", false).expect("valid");
        assert_eq!(again[0].1, users[0].1);
        assert_eq!(user_line(&t, &again[0].0, &again[0].1), line);
    }
}
