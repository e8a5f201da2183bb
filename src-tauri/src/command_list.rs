//! Guards the hand-written lists of Tauri commands and events against drifting apart.
//!
//! A command is written in six places: its `#[tauri::command]` fn in `commands.rs` (the truth
//! here), the `generate_handler!` list in `lib.rs`, `COMMANDS` in `build.rs` (Tauri generates
//! one `allow-<command>` permission each), its grant in `capabilities/main.json`, the UI's
//! `Commands` map in `ui/src/lib/ipc/bindings.ts` and its wrapper in `commands.ts`. An event
//! (`"linnet://..."`) is emitted in `src/*.rs` and listened to through the UI's `Events` map.
//! These tests read those files as text and fail, naming the file to fix, when a list misses a
//! command or event or holds a name that is none.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

/// The files holding `#[tauri::command]` fns.
const COMMAND_FILES: &[&str] = &[
    include_str!("adhoc.rs"),
    include_str!("avatars.rs"),
    include_str!("people.rs"),
    include_str!("registration.rs"),
    include_str!("commands.rs"),
    include_str!("message_commands.rs"),
    include_str!("file_commands.rs"),
    include_str!("media.rs"),
    include_str!("desktop.rs"),
    include_str!("tray.rs"),
    include_str!("voice.rs"),
    include_str!("startup.rs"),
];
const LIB_RS: &str = include_str!("lib.rs");
const BUILD_RS: &str = include_str!("../build.rs");
const CAPABILITY: &str = include_str!("../capabilities/main.json");
const BINDINGS_TS: &str = include_str!("../../ui/src/lib/ipc/bindings.ts");
const COMMANDS_TS: &str = include_str!("../../ui/src/lib/ipc/commands.ts");

/// Every `src/*.rs` but this file, scanned for emitted events (checked against the folder).
const SOURCES: &[(&str, &str)] = &[
    ("adhoc.rs", include_str!("adhoc.rs")),
    ("avatars.rs", include_str!("avatars.rs")),
    ("bindings.rs", include_str!("bindings.rs")),
    ("commands.rs", include_str!("commands.rs")),
    ("credentials.rs", include_str!("credentials.rs")),
    ("desktop.rs", include_str!("desktop.rs")),
    ("error.rs", include_str!("error.rs")),
    ("events.rs", include_str!("events.rs")),
    ("file_commands.rs", include_str!("file_commands.rs")),
    ("lib.rs", include_str!("lib.rs")),
    ("main.rs", include_str!("main.rs")),
    ("media.rs", include_str!("media.rs")),
    ("voice.rs", include_str!("voice.rs")),
    ("message_commands.rs", include_str!("message_commands.rs")),
    ("notifications.rs", include_str!("notifications.rs")),
    ("people.rs", include_str!("people.rs")),
    ("registration.rs", include_str!("registration.rs")),
    ("startup.rs", include_str!("startup.rs")),
    ("tray.rs", include_str!("tray.rs")),
    ("views.rs", include_str!("views.rs")),
];

/// Capability permissions that are Tauri's own, not our commands.
const PLUGIN_PERMISSIONS: &[&str] = &[
    "core:event:allow-listen",     // ipc/events.ts `listen`
    "core:event:allow-unlisten",   // and the functions it returns
    "core:window:allow-set-title", // ipc/window.ts `setWindowTitle`
];

/// Rust source without its `//` comment lines (doc comments mention commands and events).
fn code(src: &str) -> String {
    let lines = src.lines().filter(|l| !l.trim_start().starts_with("//"));
    lines.collect::<Vec<_>>().join("\n")
}

/// The identifier at the start of `s` (after whitespace).
fn ident(s: &str) -> String {
    let s = s.trim_start();
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect()
}

/// Names of the fns carrying `#[tauri::command]` (or `#[tauri::command(...)]`).
fn command_fns(src: &str) -> Vec<String> {
    let items = src.split("#[tauri::command").skip(1);
    let fn_name = |item: &str| ident(item.split_once("fn ").expect("attribute without fn").1);
    items.map(fn_name).collect()
}

/// The text between the first `open` and the next `close`.
fn between<'a>(src: &'a str, open: &str, close: &str) -> &'a str {
    let start = src.find(open).unwrap_or_else(|| panic!("no `{open}`")) + open.len();
    let rest = &src[start..];
    &rest[..rest.find(close).unwrap_or_else(|| panic!("no `{close}`"))]
}

/// Last path segments inside `generate_handler![...]`.
fn handler_list(src: &str) -> Vec<String> {
    let paths = between(src, "generate_handler![", "]").split(',');
    let names = paths.map(|p| p.rsplit("::").next().unwrap_or(p).trim());
    names.filter(|n| !n.is_empty()).map(str::to_owned).collect()
}

/// The string literals of `const COMMANDS: &[&str] = &[...];`.
fn const_commands(src: &str) -> Vec<String> {
    let strings = between(src, "const COMMANDS", "];").split('"').skip(1);
    strings.step_by(2).map(str::to_owned).collect()
}

/// The permissions the capability grants, minus Tauri's own (`PLUGIN_PERMISSIONS`).
fn granted_permissions(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).expect("main.json is not JSON");
    let permissions = value["permissions"].as_array().expect("no permissions");
    let ids = permissions.iter().map(|p| {
        let id = p.as_str().or_else(|| p["identifier"].as_str());
        id.expect("permission without identifier")
    });
    let ours = ids.filter(|id| !PLUGIN_PERMISSIONS.contains(id));
    ours.map(str::to_owned).collect()
}

/// Member names at the top level of `interface <name> { ... }` in TypeScript: `foo` in
/// `foo: {...};`, `linnet://x` in `'linnet://x': X;`. Skips comments, strings, nested types.
fn interface_keys(src: &str, name: &str) -> Vec<String> {
    let head = format!("interface {name} {{");
    let start = src.find(&head).unwrap_or_else(|| panic!("no `{head}`")) + head.len();
    let (s, mut keys) = (&src[start..], Vec::new());
    let (b, mut i, mut depth, mut member_start) = (s.as_bytes(), 0, 0usize, true);
    let is_key = |rest: &str| rest.trim_start().trim_start_matches('?').starts_with(':');
    while i < b.len() {
        let c = b[i];
        if b[i..].starts_with(b"//") {
            i += s[i..].find('\n').unwrap_or(s.len() - i);
            continue;
        }
        if b[i..].starts_with(b"/*") {
            i += s[i..].find("*/").map_or(s.len() - i, |j| j + 2);
            continue;
        }
        match c {
            b'\'' | b'"' | b'`' => {
                let len = s[i + 1..].find(c as char).expect("unclosed string");
                let token = &s[i + 1..i + 1 + len];
                i += len + 2;
                if depth == 0 && member_start && is_key(&s[i..]) {
                    keys.push(token.to_owned());
                }
                member_start = false;
                continue;
            }
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' if depth == 0 => break,
            b'}' | b')' | b']' => depth -= 1,
            b';' | b',' | b'\n' if depth == 0 => member_start = true,
            _ if c.is_ascii_whitespace() => {}
            _ if depth == 0 && member_start && (c.is_ascii_alphabetic() || c == b'_') => {
                let token = ident(&s[i..]);
                i += token.len();
                member_start = token == "readonly";
                if is_key(&s[i..]) {
                    keys.push(token);
                }
                continue;
            }
            _ => member_start = false,
        }
        i += 1;
    }
    keys
}

/// Command names passed to `call('...')` in the UI's wrappers.
fn called_commands(src: &str) -> Vec<String> {
    let calls = src.split("call(").skip(1).map(str::trim_start);
    let quoted = calls.filter_map(|rest| {
        let quote = rest.chars().next().filter(|c| matches!(*c, '\'' | '"'))?;
        rest[1..].split(quote).next().map(str::to_owned)
    });
    quoted.collect()
}

/// Every `"linnet://..."` string literal in the Rust sources.
fn emitted_events() -> Vec<String> {
    let mut events = Vec::new();
    for (_, src) in SOURCES {
        for rest in code(src).split("\"linnet://").skip(1) {
            let name = rest.split('"').next().unwrap_or_default();
            events.push(format!("linnet://{name}"));
        }
    }
    events
}

/// What `list` (read from `file`) lacks of `expected`, and what it holds beyond it.
fn differences(file: &str, expected: &BTreeSet<String>, list: Vec<String>) -> Vec<String> {
    let found: BTreeSet<String> = list.into_iter().collect();
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(expected).collect();
    let mut out = Vec::new();
    if !missing.is_empty() {
        out.push(format!("{file}: add {missing:?}"));
    }
    if !extra.is_empty() {
        out.push(format!("{file}: remove or rename {extra:?}"));
    }
    out
}

#[test]
fn every_command_is_registered_permitted_and_typed() {
    let fns = COMMAND_FILES.iter().flat_map(|src| command_fns(&code(src)));
    let commands: BTreeSet<String> = fns.collect();
    assert!(
        commands.len() > 1,
        "no #[tauri::command] fn in *commands.rs"
    );
    let check = |file: &str, list| differences(file, &commands, list);
    let dashed = |c: &String| format!("allow-{}", c.replace('_', "-"));
    let permissions: BTreeSet<String> = commands.iter().map(dashed).collect();
    let granted = granted_permissions(CAPABILITY);
    let typed = interface_keys(BINDINGS_TS, "Commands");
    let problems = [
        check("src-tauri/src/lib.rs", handler_list(&code(LIB_RS))),
        check("src-tauri/build.rs", const_commands(&code(BUILD_RS))),
        differences("src-tauri/capabilities/main.json", &permissions, granted),
        check("ui/src/lib/ipc/bindings.ts", typed),
        check("ui/src/lib/ipc/commands.ts", called_commands(COMMANDS_TS)),
    ]
    .concat();
    assert!(
        problems.is_empty(),
        "command lists differ from the #[tauri::command] fns in src-tauri/src/*commands.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_emitted_event_is_in_the_ui_event_map() {
    let emitted: BTreeSet<String> = emitted_events().into_iter().collect();
    assert!(emitted.len() > 1, "no \"linnet://...\" literal in src/*.rs");
    let listened = interface_keys(BINDINGS_TS, "Events");
    let problems = differences("ui/src/lib/ipc/bindings.ts", &emitted, listened);
    assert!(
        problems.is_empty(),
        "the Events map differs from the events emitted in src-tauri/src/*.rs:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_source_file_is_scanned_for_events() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let entries = std::fs::read_dir(dir).expect("cannot list src-tauri/src");
    let names = entries.filter_map(|e| e.ok()?.file_name().into_string().ok());
    let rust = names.filter(|n| n.ends_with(".rs") && n != "command_list.rs");
    let scanned: BTreeSet<String> = SOURCES.iter().map(|(n, _)| (*n).to_owned()).collect();
    let message = "src-tauri/src/command_list.rs: add the new file to SOURCES";
    assert_eq!(scanned, rust.collect::<BTreeSet<_>>(), "{message}");
}
