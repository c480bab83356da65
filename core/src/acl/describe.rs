//! Rendering a selector's command permissions back as rules (`+@all -@string +incr`), the way
//! Redis's ACLDescribeSelectorCommandRules does: start from `+@all` or `-@all`, greedily pick
//! the categories that best fit the remaining difference, then fix single commands. The rules
//! are replayed on a scratch selector as they are emitted, so the result is exact.

use super::category;
use super::selector::Selector;
use crate::command::{Command, CommandTable};

/// The command rules that rebuild `sel`'s command bits (no trailing space).
pub fn command_rules(table: &CommandTable, sel: &Selector) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut fake = Selector::default();
    let additive = !sel.future;
    let start = if additive { "-@all" } else { "+@all" };
    apply(table, &mut fake, start);
    out.push(start.into());

    // Categories are tried against what is left to explain: `temp` starts as the user's bits
    // and has each chosen category undone.
    let mut temp = sel.clone();
    let mut applied = [false; category::NAMES.len()];
    loop {
        let mut best = None;
        let (mut min_diff, mut max_same) = (usize::MAX, 0);
        for (j, done) in applied.iter().enumerate() {
            if *done {
                continue;
            }
            let (on, off) = count(table, &temp, j);
            let (diff, same) = if additive { (off, on) } else { (on, off) };
            if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                best = Some(j);
                min_diff = diff;
                max_same = same;
            }
        }
        let Some(j) = best else { break };
        fake.change_category(table, j, additive);
        temp.change_category(table, j, !additive);
        out.push(format!(
            "{}@{}",
            if additive { '+' } else { '-' },
            category::NAMES[j]
        ));
        applied[j] = true;
    }
    // Sorted, so the same permissions always read the same (Redis follows its hash order).
    let mut cmds: Vec<&Command> = table.iter().collect();
    cmds.sort_by(|a, b| a.name.cmp(&b.name));
    single_commands(sel, &mut fake, &cmds, &mut out);
    out.join(" ")
}

fn apply(table: &CommandTable, sel: &mut Selector, op: &str) {
    // Only `+@all` and `-@all` come here; they cannot fail.
    let _ = sel.apply(table, op.as_bytes());
}

/// How many commands (and subcommands) of category `cat` `sel` allows and denies.
fn count(table: &CommandTable, sel: &Selector, cat: usize) -> (usize, usize) {
    let (mut on, mut off) = (0, 0);
    let mut tally = |c: &Command| {
        if category::has(c, cat) {
            if sel.command_bit(c.id) {
                on += 1;
            } else {
                off += 1;
            }
        }
    };
    for cmd in table.iter() {
        tally(cmd);
        cmd.subcommands.values().for_each(&mut tally);
    }
    (on, off)
}

fn single_commands(sel: &Selector, fake: &mut Selector, cmds: &[&Command], out: &mut Vec<String>) {
    for cmd in cmds {
        let bit = sel.command_bit(cmd.id);
        if bit != fake.command_bit(cmd.id) {
            out.push(format!("{}{}", if bit { '+' } else { '-' }, cmd.name));
            fake.change(cmd, bit);
        }
        if !cmd.subcommands.is_empty() {
            let mut subs: Vec<&Command> = cmd.subcommands.values().collect();
            subs.sort_by(|a, b| a.name.cmp(&b.name));
            single_commands(sel, fake, &subs, out);
        }
        if !bit {
            for arg in sel.first_args(cmd.id) {
                out.push(format!("+{}|{}", cmd.name, String::from_utf8_lossy(arg)));
            }
        }
    }
}
