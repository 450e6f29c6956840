//! ARCHITECTURE.md's invariants that the source text itself can show, checked on every run:
//! no module cycles, `Serialize` only on the render stage's view types, and only the write
//! stage (and `init`/`new`) writing files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::repo;

/// Every `.rs` file under `src/`, with its top-level module (`index`, `render` …).
fn sources() -> Vec<(String, String, String)> {
    let src = repo().join("src");
    let mut out = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&src).unwrap();
                let module = top_module(rel);
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((rel.display().to_string(), module, text));
            }
        }
    }
    out.sort();
    out
}

fn top_module(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The top-level modules a file's code names through `crate::…` (code only, not comments).
fn dependencies(text: &str) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + 7..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name == "{" || name.is_empty() {
                // `crate::{a, b}`: every name in the braces.
                if let Some(inner) = rest.strip_prefix('{') {
                    for part in inner.split(['}', ',']) {
                        let n = part.trim().split("::").next().unwrap_or("").trim();
                        if !n.is_empty() {
                            deps.insert(n.to_string());
                        }
                    }
                }
                continue;
            }
            deps.insert(name);
        }
    }
    deps
}

#[test]
fn modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, module, text) in sources() {
        if matches!(module.as_str(), "main" | "lib") {
            continue;
        }
        let deps = dependencies(&text);
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(deps.into_iter().filter(|d| *d != module));
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, &graph, &mut Vec::new(), &mut done) {
            panic!("module cycle: {}", cycle.join(" → "));
        }
    }
    // The check sees real edges (so it could fail).
    assert!(graph["render"].contains("index") && graph["index"].contains("markdown"));
}

#[test]
fn serialize_only_on_render_view_types() {
    for (rel, module, text) in sources() {
        let code: String = text
            .lines()
            .map(|l| l.split("//").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        if code.contains("Serialize") && !code.contains("Serialize as _") {
            let only_deserialize =
                code.matches("Serialize").count() == code.matches("Deserialize").count();
            assert!(
                module == "render" || only_deserialize,
                "{rel} uses `Serialize`: only the render stage's view types may"
            );
        }
    }
}

#[test]
fn only_the_write_stage_writes_files() {
    const WRITES: &[&str] = &[
        "fs::write",
        "File::create",
        "create_dir",
        "fs::rename",
        "remove_file",
        "remove_dir",
        "OpenOptions",
        "fs::copy",
    ];
    for (rel, _, text) in sources() {
        if rel == "output.rs" || rel == "scaffold.rs" {
            continue;
        }
        // input.rs opens files with `OpenOptions` to read them without blocking: read only.
        if rel == "input.rs" {
            for w in [
                ".write(",
                ".append(",
                ".create(",
                ".create_new(",
                ".truncate(",
            ] {
                assert!(
                    !text.contains(w),
                    "input.rs opens a file for writing (`{w}`)"
                );
            }
        }
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for w in WRITES {
                if rel == "input.rs" && *w == "OpenOptions" {
                    continue;
                }
                assert!(
                    !code.contains(w),
                    "{rel} writes to disk (`{w}`): only output.rs (and scaffold.rs) may\n{line}"
                );
            }
        }
    }
}
