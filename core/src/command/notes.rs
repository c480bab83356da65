//! The "notes" Redis 7.0.15 attaches to some key specs (COMMAND INFO shows them first in the
//! key spec's map). They are part of COMMAND INFO's reply, so they are kept exactly as Redis
//! replies them. Only commands lode serves are listed; Redis 7.0 also has notes on BITFIELD,
//! EVAL, EVAL_RO, FCALL, FCALL_RO, PFCOUNT, SORT, SORT_RO and XADD, to be added here when
//! those commands are.

use serde_json::Value as Json;

/// (full command name, key spec index, note).
pub const KEY_SPEC_NOTES: &[(&str, usize, &str)] = &[
    ("getex", 0, "RW and UPDATE because it changes the TTL"),
    ("set", 0, "RW and ACCESS due to the optional `GET` argument"),
];

/// Adds the notes of [`KEY_SPEC_NOTES`] to the key specs of `facts` (a command's facts, its
/// subcommands included).
pub fn add_notes(facts: &mut Json) {
    let name = facts["name"].as_str().unwrap_or("").to_string();
    if let Some(specs) = facts.get_mut("key_specs").and_then(Json::as_array_mut) {
        for &(_, i, note) in KEY_SPEC_NOTES.iter().filter(|(n, _, _)| *n == name) {
            if let Some(spec) = specs.get_mut(i).and_then(Json::as_object_mut) {
                spec.insert("notes".into(), Json::String(note.into()));
            }
        }
    }
    if let Some(subs) = facts.get_mut("subcommands").and_then(Json::as_array_mut) {
        subs.iter_mut().for_each(add_notes);
    }
}
