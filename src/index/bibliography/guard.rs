//! What the BibLaTeX parser is given (issue 16). biblatex 0.12 recurses without a limit on
//! `@string` macro references (and re-expands a macro at every use, so `b = a # a`,
//! `c = b # b` … doubles at each step), on `crossref`/`xdata` chains, and on LaTeX commands
//! nested in braces (`\textbf{\textbf{…}}`); a loop or a deep nest overflows the stack,
//! which cannot be caught. And some malformed dates (`year = {- 12}`) make it panic.
//!
//! So a BibLaTeX file is parsed in steps: a linear scan of brace depth; biblatex's raw
//! parser (a loop, no recursion) for the structure; checks of macro references and
//! crossrefs on that structure, without recursion (loops, depth, expansion size); only then
//! the resolving parse and hayagriva's conversion, on a thread with a large stack, each
//! entry converted where a panic is caught and reported at the entry.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use biblatex::{RawBibliography, RawChunk, RawEntry};
use hayagriva::Library;
use hayagriva::io::BibLaTeXError;

use crate::diagnostics::{Diagnostic, Location};

/// The deepest brace nesting accepted (an entry's own braces count: a field's text at depth
/// 2). Real files stay under 10; each level of a LaTeX command costs biblatex a recursion.
pub const MAX_BRACE_DEPTH: usize = 64;
/// The longest chain of `@string` macros referring to macros.
pub const MAX_MACRO_DEPTH: usize = 32;
/// The most text the `@string` macros may expand to, over all fields of a file.
pub const MAX_EXPANSION_BYTES: u64 = 16 << 20;
/// The most macro references expanded, over all fields of a file (empty macros cost too).
pub const MAX_EXPANSION_REFERENCES: u64 = 1 << 20;
/// The longest chain of `crossref`/`xdata` parents.
pub const MAX_CROSSREF_DEPTH: usize = 16;
/// The most parent lookups biblatex's crossref resolution may make (it resolves every path
/// to every ancestor again, without memory).
pub const MAX_CROSSREF_LOOKUPS: u64 = 100_000;
/// The stack of the thread that runs the parse: a margin over the depth limits above.
const PARSE_STACK_BYTES: usize = 64 << 20;

/// `hayagriva::io::from_biblatex_str`, guarded: `Err` with a located diagnostic for input
/// beyond a limit or one that made a parser panic; otherwise what hayagriva returns.
#[allow(clippy::type_complexity)]
pub fn from_biblatex_str(
    display: &Path,
    text: &str,
) -> Result<Result<Library, Vec<BibLaTeXError>>, Vec<Diagnostic>> {
    let at = |offset: usize, len: usize| Location::at_offset(display, text, offset, len.max(1));
    if let Some(offset) = too_deep_brace(text) {
        return Err(vec![
            Diagnostic::error(format!(
                "braces nested more than {MAX_BRACE_DEPTH} deep in the bibliography"
            ))
            .at(at(offset, 1))
            .hint("no entry needs this many nested `{`: check for a runaway `\\textbf{` or a missing `}`"),
        ]);
    }
    let raw = match RawBibliography::parse(text) {
        Ok(raw) => raw,
        Err(e) => return Ok(Err(vec![BibLaTeXError::Parse(e)])),
    };
    let macros = Macros::new(&raw);
    macros
        .check(&raw.entries)
        .map_err(|p| vec![p.diagnostic(&at)])?;
    check_crossrefs(&raw.entries, &macros).map_err(|p| vec![p.diagnostic(&at)])?;
    // Where each entry and its fields are, to report a panic at the field that caused it.
    let spans: HashMap<String, EntrySpans> = raw
        .entries
        .iter()
        .map(|e| {
            let fields =
                e.v.fields
                    .iter()
                    .map(|f| {
                        (
                            f.key.v.to_ascii_lowercase(),
                            f.key.span.start,
                            f.key.span.len(),
                        )
                    })
                    .collect();
            let key = (e.v.key.span.start, e.v.key.span.len());
            (e.v.key.v.to_string(), EntrySpans { key, fields })
        })
        .collect();

    #[allow(clippy::type_complexity)]
    let parse = move || -> Result<
        Result<Library, Vec<BibLaTeXError>>,
        (String, Option<(String, Vec<&'static str>)>),
    > {
        let bibliography = match quietly(|| biblatex::Bibliography::from_raw(raw)) {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Ok(Err(vec![BibLaTeXError::Parse(e)])),
            Err(panic) => return Err((panic, None)),
        };
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for entry in bibliography.iter() {
            match quietly(|| hayagriva::Entry::try_from(entry)) {
                Ok(Ok(e)) => entries.push(e),
                Ok(Err(e)) => errors.push(BibLaTeXError::Type(e)),
                Err(panic) => {
                    return Err((panic, Some((entry.key.clone(), panicking_date(entry)))));
                }
            }
        }
        Ok(if errors.is_empty() {
            Ok(entries.into_iter().collect())
        } else {
            Err(errors)
        })
    };
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("bibliography".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, parse)
            .map(|handle| handle.join())
    });
    match outcome {
        Ok(Ok(Ok(result))) => Ok(result),
        Ok(Ok(Err((panic, None)))) => Err(vec![
            Diagnostic::error(format!("the BibLaTeX parser failed on this file ({panic})"))
                .at(at(0, 1))
                .hint("check the file's dates and braces; if it persists, report it with the file"),
        ]),
        Ok(Ok(Err((panic, Some((key, date_fields)))))) => {
            let entry = spans.get(&key);
            let field = entry.and_then(|e| {
                date_fields
                    .iter()
                    .find_map(|name| e.fields.iter().find(|f| f.0 == *name))
            });
            let (message, (offset, len)) = match (field, entry) {
                (Some((name, start, len)), _) => (
                    format!(
                        "the BibLaTeX parser cannot read `{name}` of the entry `{key}` ({panic})"
                    ),
                    (*start, *len),
                ),
                (None, Some(e)) => (
                    format!("the BibLaTeX parser failed on the entry `{key}` ({panic})"),
                    e.key,
                ),
                (None, None) => (
                    format!("the BibLaTeX parser failed on the entry `{key}` ({panic})"),
                    (0, 1),
                ),
            };
            Err(vec![
                Diagnostic::error(message)
                    .at(at(offset, len))
                    .hint("write a year as digits with the sign touching them (`year = {1990}`, `year = {-12}`), a month as 1-12 or `jan`, a date as `date = {1990-05-01}`"),
            ])
        }
        // The thread could not start, or died some other way: report, never crash.
        _ => Err(vec![
            Diagnostic::error("the bibliography could not be parsed (the parser's thread failed)")
                .at(Location::file(display))
                .hint("try again; if it persists, report it with the file"),
        ]),
    }
}

/// Where an entry's key and fields (lower-cased names) are: byte offset and length.
struct EntrySpans {
    key: (usize, usize),
    fields: Vec<(String, usize, usize)>,
}

/// The fields of the date whose parsing panics in `entry`, or none.
fn panicking_date(entry: &biblatex::Entry) -> Vec<&'static str> {
    /// A date's fields, and whether biblatex parses that date of an entry.
    type DateCheck = (&'static [&'static str], fn(&biblatex::Entry) -> bool);
    let dates: [DateCheck; 4] = [
        (&["date", "year", "month", "day"], |e| e.date().is_ok()),
        (&["urldate"], |e| e.url_date().is_ok()),
        (&["origdate"], |e| e.orig_date().is_ok()),
        (&["eventdate"], |e| e.event_date().is_ok()),
    ];
    dates
        .into_iter()
        .find(|(_, parse)| quietly(|| parse(entry)).is_err())
        .map(|(fields, _)| fields.to_vec())
        .unwrap_or_default()
}

/// The offset of the first `{` deeper than `MAX_BRACE_DEPTH` (`\{` and `\}` are literal).
fn too_deep_brace(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        match b {
            _ if escaped => escaped = false,
            b'\\' => escaped = true,
            b'{' => {
                depth += 1;
                if depth > MAX_BRACE_DEPTH {
                    return Some(i);
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// A problem found by the checks, with the byte range to point at.
struct Problem {
    offset: usize,
    len: usize,
    message: String,
    hint: &'static str,
}

impl Problem {
    fn diagnostic(&self, at: &dyn Fn(usize, usize) -> Location) -> Diagnostic {
        Diagnostic::error(self.message.clone())
            .at(at(self.offset, self.len))
            .hint(self.hint)
    }
}

/// What expanding a macro costs.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    depth: usize,
    bytes: u64,
    references: u64,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.depth = self.depth.max(other.depth);
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.references = self.references.saturating_add(other.references);
    }
}

/// The `@string` macros of a file, as biblatex resolves them (the last definition wins).
struct Macros<'s> {
    defs: HashMap<&'s str, (&'s [biblatex::Spanned<RawChunk<'s>>], usize)>,
}

impl<'s> Macros<'s> {
    fn new(raw: &'s RawBibliography<'s>) -> Macros<'s> {
        let defs = raw
            .abbreviations
            .iter()
            .map(|p| (p.key.v, (p.value.v.as_slice(), p.key.span.start)))
            .collect();
        Macros { defs }
    }

    /// Every field of every entry: no macro loop, nesting within `MAX_MACRO_DEPTH`, and all
    /// expansions together within the size limits. Costs are computed once per macro, with
    /// an explicit stack (a chain of 100,000 macros must not overflow this check either).
    fn check(&self, entries: &[biblatex::Spanned<RawEntry<'s>>]) -> Result<(), Problem> {
        let mut costs: HashMap<&'s str, Option<Cost>> = HashMap::new();
        let mut total = Cost::default();
        for entry in entries {
            for field in &entry.v.fields {
                let mut cost = Cost::default();
                for chunk in &field.value.v {
                    match chunk.v {
                        RawChunk::Normal(s) => cost.bytes += s.len() as u64,
                        RawChunk::Abbreviation(name) => {
                            cost.add(self.cost(name, &mut costs)?);
                            cost.references += 1;
                        }
                    }
                }
                let (offset, len) = (field.key.span.start, field.key.span.len());
                if cost.depth > MAX_MACRO_DEPTH {
                    return Err(Problem {
                        offset,
                        len,
                        message: format!(
                            "`@string` macros nested {} deep (the limit is {MAX_MACRO_DEPTH})",
                            cost.depth
                        ),
                        hint: "a macro may use other macros, but not in a chain this long: write the text out",
                    });
                }
                total.add(cost);
                if total.bytes > MAX_EXPANSION_BYTES || total.references > MAX_EXPANSION_REFERENCES
                {
                    return Err(Problem {
                        offset,
                        len,
                        message: format!(
                            "the `@string` macros of this bibliography expand to more than {} MiB",
                            MAX_EXPANSION_BYTES >> 20
                        ),
                        hint: "a macro that repeats another (`b = a # a`) doubles it at every step: write the text out",
                    });
                }
            }
        }
        Ok(())
    }

    /// The cost of expanding macro `name` (zero for an unknown one: biblatex reports it, or
    /// reads it as a month).
    fn cost(
        &self,
        name: &'s str,
        costs: &mut HashMap<&'s str, Option<Cost>>,
    ) -> Result<Cost, Problem> {
        if let Some(known) = costs.get(name) {
            return Ok(known.unwrap_or_default());
        }
        if !self.defs.contains_key(name) {
            return Ok(Cost::default());
        }
        // (macro, next chunk, cost so far); `costs[m] = None` while `m` is on the stack.
        let mut stack: Vec<(&'s str, usize, Cost)> = vec![(name, 0, Cost::default())];
        costs.insert(name, None);
        while let Some((current, next, _)) = stack.last().copied() {
            let (chunks, _) = self.defs[current];
            let Some(chunk) = chunks.get(next) else {
                let (done, _, mut cost) = stack.pop().unwrap_or((current, 0, Cost::default()));
                cost.depth += 1;
                costs.insert(done, Some(cost));
                if let Some(parent) = stack.last_mut() {
                    parent.2.add(cost);
                }
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            match chunk.v {
                RawChunk::Normal(s) => {
                    if let Some(top) = stack.last_mut() {
                        top.2.bytes = top.2.bytes.saturating_add(s.len() as u64);
                    }
                }
                RawChunk::Abbreviation(inner) => {
                    if let Some(top) = stack.last_mut() {
                        top.2.references = top.2.references.saturating_add(1);
                    }
                    match costs.get(inner) {
                        Some(Some(cost)) => {
                            let cost = *cost;
                            if let Some(top) = stack.last_mut() {
                                top.2.add(cost);
                            }
                        }
                        Some(None) => {
                            let from = stack.iter().position(|s| s.0 == inner).unwrap_or(0);
                            let mut path: Vec<&str> = stack[from..].iter().map(|s| s.0).collect();
                            path.push(inner);
                            let (_, offset) = self.defs[inner];
                            return Err(Problem {
                                offset,
                                len: inner.len(),
                                message: format!(
                                    "the `@string` macro `{inner}` contains itself: {}",
                                    path.join(" → ")
                                ),
                                hint: "a macro cannot contain itself, directly or through others: write the text out in one of them",
                            });
                        }
                        None if self.defs.contains_key(inner) => {
                            costs.insert(inner, None);
                            stack.push((inner, 0, Cost::default()));
                        }
                        None => {}
                    }
                }
            }
        }
        Ok(costs.get(name).copied().flatten().unwrap_or_default())
    }

    /// The text of a field, its macros expanded (only after `check`: bounded, no loops).
    fn expand(&self, chunks: &[biblatex::Spanned<RawChunk<'s>>]) -> String {
        let mut out = String::new();
        let mut stack: Vec<std::slice::Iter<'_, biblatex::Spanned<RawChunk<'s>>>> =
            vec![chunks.iter()];
        while let Some(iter) = stack.last_mut() {
            match iter.next().map(|c| &c.v) {
                Some(RawChunk::Normal(s)) => out.push_str(s),
                Some(RawChunk::Abbreviation(name)) => {
                    if let Some((inner, _)) = self.defs.get(name)
                        && stack.len() <= MAX_MACRO_DEPTH
                    {
                        stack.push(inner.iter());
                    }
                }
                None => {
                    stack.pop();
                }
            }
        }
        out
    }
}

/// `crossref` and `xdata` parents: no loop, chains within `MAX_CROSSREF_DEPTH`, and the
/// lookups biblatex will make (one per path to each ancestor) within
/// `MAX_CROSSREF_LOOKUPS`.
fn check_crossrefs(
    entries: &[biblatex::Spanned<RawEntry<'_>>],
    macros: &Macros<'_>,
) -> Result<(), Problem> {
    let plain = |s: String| s.replace(['{', '}'], "").trim().to_string();
    // The keys biblatex will find an entry by: its key, then its `ids` aliases.
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, entry) in entries.iter().enumerate() {
        index.entry(entry.v.key.v.to_string()).or_insert(i);
    }
    // The last of repeated fields wins, as in biblatex (a map of field names).
    let field = |entry: &RawEntry<'_>, name: &str| {
        entry
            .fields
            .iter()
            .rev()
            .find(|f| f.key.v.eq_ignore_ascii_case(name))
            .map(|f| (f.key.span.clone(), plain(macros.expand(&f.value.v))))
    };
    for (i, entry) in entries.iter().enumerate() {
        if let Some((_, ids)) = field(&entry.v, "ids") {
            for alias in ids.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                index.insert(alias.to_string(), i);
            }
        }
    }
    // Each entry's parents, and where its `crossref`/`xdata` field is.
    let mut parents: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
    let mut spans: Vec<(usize, usize)> = entries
        .iter()
        .map(|e| (e.v.key.span.start, e.v.key.span.len()))
        .collect();
    for (i, entry) in entries.iter().enumerate() {
        if let Some((span, key)) = field(&entry.v, "crossref") {
            parents[i].extend(index.get(&key).copied());
            spans[i] = (span.start, span.len());
        }
        if let Some((span, keys)) = field(&entry.v, "xdata") {
            for key in keys.split(',').map(str::trim) {
                parents[i].extend(index.get(key).copied());
            }
            spans[i] = (span.start, span.len());
        }
    }
    // (depth, lookups) per entry, by a depth-first walk with an explicit stack.
    let mut done: Vec<Option<(usize, u64)>> = vec![None; entries.len()];
    let mut on_stack = vec![false; entries.len()];
    let mut total: u64 = 0;
    for root in 0..entries.len() {
        if done[root].is_some() {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        on_stack[root] = true;
        while let Some(&(current, next)) = stack.last() {
            if let Some(&parent) = parents[current].get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if on_stack[parent] {
                    let from = stack.iter().position(|s| s.0 == parent).unwrap_or(0);
                    let mut path: Vec<&str> =
                        stack[from..].iter().map(|s| entries[s.0].v.key.v).collect();
                    path.push(entries[parent].v.key.v);
                    let (offset, len) = spans[current];
                    return Err(Problem {
                        offset,
                        len,
                        message: format!("`crossref`/`xdata` make a loop: {}", path.join(" → ")),
                        hint: "an entry cannot inherit fields from itself, directly or through others",
                    });
                }
                if done[parent].is_none() {
                    on_stack[parent] = true;
                    stack.push((parent, 0));
                }
                continue;
            }
            stack.pop();
            on_stack[current] = false;
            let mut depth = 0;
            let mut lookups: u64 = 0;
            for &p in &parents[current] {
                let (d, l) = done[p].unwrap_or((0, 0));
                depth = depth.max(d + 1);
                lookups = lookups.saturating_add(l.saturating_add(1));
            }
            done[current] = Some((depth, lookups));
            total = total.saturating_add(lookups);
            let (offset, len) = spans[current];
            if depth > MAX_CROSSREF_DEPTH {
                return Err(Problem {
                    offset,
                    len,
                    message: format!(
                        "a chain of {depth} `crossref`/`xdata` parents (the limit is {MAX_CROSSREF_DEPTH})"
                    ),
                    hint: "inherit from an entry that holds the fields itself, not through a long chain",
                });
            }
            if total > MAX_CROSSREF_LOOKUPS {
                return Err(Problem {
                    offset,
                    len,
                    message: "`crossref`/`xdata` parents shared so widely that resolving them would take too long".into(),
                    hint: "inherit from fewer entries, or write the shared fields out",
                });
            }
        }
    }
    Ok(())
}

/// The deepest element nesting of a CSL style, through macro calls (citationberg reads it
/// by recursive descent; hayagriva renders it by recursion, a macro call included).
pub const MAX_CSL_DEPTH: usize = 100;
/// The most macro calls one rendering of a CSL style may make (a macro calling another twice,
/// which calls another twice … doubles at each step).
pub const MAX_CSL_MACRO_CALLS: u64 = 20_000;

/// What a CSL style's structure costs, as checked by `check_csl`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CslCost {
    /// The deepest nesting of elements, following macro calls.
    pub depth: usize,
    /// Macro calls made when every layout and sort key is rendered once.
    pub calls: u64,
}

/// A macro or a root (layout, sort) of a CSL style while its text is read.
#[derive(Default)]
struct CslBlock {
    /// The deepest element inside, relative to the block.
    depth: usize,
    /// (macro called, at relative depth, offset of the call)
    calls: Vec<(String, usize, usize)>,
}

/// Check a CSL style's text before citationberg parses it: element nesting within
/// `MAX_CSL_DEPTH`, no macro that calls itself (hayagriva would recurse forever), and
/// macro calls within `MAX_CSL_MACRO_CALLS`. One pass with quick-xml's reader (a loop),
/// then a walk of the macro graph with an explicit stack. Returns the cost, or the byte
/// range to point at and the message and hint. Malformed XML is left to citationberg.
pub fn check_csl(text: &str) -> Result<CslCost, (usize, String, &'static str)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut macros: HashMap<String, (CslBlock, usize)> = HashMap::new();
    let mut roots = CslBlock::default();
    // The macro being read: its name, the depth of its `<macro>`, its block.
    let mut current: Option<(String, usize, CslBlock, usize)> = None;
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        let (element, empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                if current.as_ref().is_some_and(|c| c.1 == depth) {
                    if let Some((name, _, block, offset)) = current.take() {
                        macros.insert(name, (block, offset));
                    }
                }
                depth = depth.saturating_sub(1);
                continue;
            }
            _ => continue,
        };
        depth += 1;
        if depth > MAX_CSL_DEPTH {
            return Err((
                at,
                format!("elements nested more than {MAX_CSL_DEPTH} deep in the CSL style"),
                "real styles nest a dozen levels: check for a runaway `<group>`",
            ));
        }
        let attribute = |name: &str| {
            element
                .try_get_attribute(name)
                .ok()
                .flatten()
                .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        };
        let local = element.local_name();
        if local.as_ref() == b"macro" && !empty && current.is_none() {
            let name = attribute("name").unwrap_or_default();
            current = Some((name, depth, CslBlock::default(), at));
            continue;
        }
        let (block, relative) = match current.as_mut() {
            Some((_, start, block, _)) => (block, depth - *start),
            None => (&mut roots, depth),
        };
        block.depth = block.depth.max(relative);
        if let Some(called) = attribute("macro") {
            block.calls.push((called, relative, at));
        }
        if empty {
            depth -= 1;
        }
    }
    csl_cost(&roots, &macros)
}

/// The depth and calls of rendering `roots`, following `macros` (explicit stack; a macro
/// on the stack called again is a loop).
fn csl_cost(
    roots: &CslBlock,
    macros: &HashMap<String, (CslBlock, usize)>,
) -> Result<CslCost, (usize, String, &'static str)> {
    // Per macro: None while on the stack, Some(cost) when done.
    let mut done: HashMap<&str, Option<CslCost>> = HashMap::new();
    let mut cost_of = |name: &str| -> Result<CslCost, (usize, String, &'static str)> {
        // (macro, next call, cost so far)
        let mut stack: Vec<(&str, usize, CslCost)> = Vec::new();
        let Some((key, _)) = macros.get_key_value(name) else {
            return Ok(CslCost::default());
        };
        if let Some(known) = done.get(key.as_str()) {
            return Ok(known.unwrap_or_default());
        }
        done.insert(key, None);
        stack.push((key, 0, CslCost::default()));
        while let Some(&(current, next, _)) = stack.last() {
            let (block, _) = &macros[current];
            let Some((called, at_depth, offset)) = block.calls.get(next) else {
                if let Some((finished, _, mut cost)) = stack.pop() {
                    cost.depth = cost.depth.max(block.depth);
                    done.insert(finished, Some(cost));
                    if let Some(parent) = stack.last_mut() {
                        let (parent_block, _) = &macros[parent.0];
                        let relative = parent_block.calls[parent.1 - 1].1;
                        parent.2.depth = parent.2.depth.max(relative + cost.depth);
                        parent.2.calls = parent.2.calls.saturating_add(cost.calls + 1);
                    }
                }
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let Some((called_key, _)) = macros.get_key_value(called.as_str()) else {
                continue;
            };
            match done.get(called_key.as_str()) {
                Some(Some(cost)) => {
                    let cost = *cost;
                    if let Some(top) = stack.last_mut() {
                        top.2.depth = top.2.depth.max(at_depth + cost.depth);
                        top.2.calls = top.2.calls.saturating_add(cost.calls + 1);
                    }
                }
                Some(None) => {
                    let from = stack.iter().position(|s| s.0 == called).unwrap_or(0);
                    let mut path: Vec<&str> = stack[from..].iter().map(|s| s.0).collect();
                    path.push(called);
                    return Err((
                        *offset,
                        format!(
                            "the CSL macro `{called}` calls itself: {}",
                            path.join(" → ")
                        ),
                        "a macro cannot call itself, directly or through others",
                    ));
                }
                None => {
                    done.insert(called_key, None);
                    stack.push((called_key, 0, CslCost::default()));
                }
            }
        }
        Ok(done
            .get(key.as_str())
            .copied()
            .flatten()
            .unwrap_or_default())
    };
    let mut total = CslCost {
        depth: roots.depth,
        calls: 0,
    };
    for (called, at_depth, _) in &roots.calls {
        let cost = cost_of(called)?;
        total.depth = total.depth.max(at_depth + cost.depth);
        total.calls = total.calls.saturating_add(cost.calls + 1);
    }
    // Macros no layout calls are never rendered, but citationberg still reads them: their
    // loops are harmless, their depth was checked while reading.
    if total.depth > MAX_CSL_DEPTH {
        let offset = roots.calls.first().map_or(0, |c| c.2);
        return Err((
            offset,
            format!(
                "elements nested {} deep in the CSL style through its macros (the limit is {MAX_CSL_DEPTH})",
                total.depth
            ),
            "real styles nest a few dozen levels through their macros: check for a chain of macros calling macros",
        ));
    }
    if total.calls > MAX_CSL_MACRO_CALLS {
        let offset = roots.calls.first().map_or(0, |c| c.2);
        return Err((
            offset,
            format!(
                "the CSL style's macros make more than {MAX_CSL_MACRO_CALLS} calls to render one entry"
            ),
            "a macro that calls another twice, which calls another twice … doubles at each step",
        ));
    }
    Ok(total)
}

thread_local! {
    /// Set while `quietly` runs: the panic hook stays silent on this thread.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f`, turning a panic into its message, without printing it (the panic becomes a
/// diagnostic). The process-wide hook is installed once and only silences threads inside
/// `quietly`; every other panic is printed as before.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(text: &str) -> Option<String> {
        match from_biblatex_str(Path::new("refs.bib"), text) {
            Err(ds) => Some(ds[0].render(false)),
            Ok(_) => None,
        }
    }

    /// The real styles citationberg tests with (Chicago notes is one of the most complex
    /// there is) stay far inside the CSL limits.
    #[test]
    fn real_csl_styles_are_well_within_the_limits() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/csl");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/fixtures/csl") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("read");
            let cost = check_csl(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
            println!("{}: {cost:?}", path.display());
            assert!(
                cost.depth * 3 < MAX_CSL_DEPTH,
                "{}: {cost:?}",
                path.display()
            );
            assert!(
                cost.calls * 10 < MAX_CSL_MACRO_CALLS,
                "{}: {cost:?}",
                path.display()
            );
            checked += 1;
        }
        assert!(checked >= 3);
    }

    #[test]
    fn csl_loops_and_nests_are_refused() {
        let style = |body: &str| {
            format!(
                "<style><macro name=\"a\"><text macro=\"b\"/></macro><macro name=\"b\"><group><text macro=\"a\"/></group></macro><citation><layout>{body}</layout></citation></style>"
            )
        };
        let err = check_csl(&style("<text macro=\"a\"/>")).expect_err("a loop");
        assert!(err.1.contains("a → b → a"), "{err:?}");
        assert!(
            check_csl(&style("<text variable=\"title\"/>")).is_ok(),
            "an uncalled loop is never rendered"
        );
        let deep = format!(
            "<style><citation><layout>{}{}</layout></citation></style>",
            "<group>".repeat(1000),
            "</group>".repeat(1000)
        );
        assert!(
            check_csl(&deep)
                .expect_err("deep")
                .1
                .contains("nested more than")
        );
        let mut doubling =
            String::from("<style><macro name=\"m0\"><text variable=\"title\"/></macro>");
        for i in 1..30 {
            doubling.push_str(&format!(
                "<macro name=\"m{i}\"><text macro=\"m{0}\"/><text macro=\"m{0}\"/></macro>",
                i - 1
            ));
        }
        doubling.push_str("<citation><layout><text macro=\"m29\"/></layout></citation></style>");
        assert!(
            check_csl(&doubling)
                .expect_err("doubling")
                .1
                .contains("calls")
        );
    }

    #[test]
    fn macro_and_crossref_loops_are_found_without_recursion() {
        let mut chain = String::new();
        for i in 0..100_000 {
            chain.push_str(&format!("@string{{m{i} = m{}}}\n", i + 1));
        }
        chain.push_str("@book{a, title = m0}\n");
        assert!(problem(&chain).is_some_and(|p| p.contains("nested")));
        assert!(
            problem("@string{a = b}\n@string{b = a}\n@book{k, title = a}\n")
                .is_some_and(|p| p.contains("a → b → a"))
        );
        assert!(
            problem("@book{a, title = {A}, crossref = {a}}\n").is_some_and(|p| p.contains("a → a"))
        );
    }

    /// Found by fuzzing: of repeated fields biblatex keeps the last, so the guard must
    /// follow the last `crossref`, not the first.
    #[test]
    fn a_crossref_loop_through_a_repeated_field_is_found() {
        let text = "@inbook{a, crossref = {}, crossref = {b}}\n@inbook{b, crossref = {a}}\n";
        assert!(problem(text).is_some_and(|p| p.contains("a → b → a")));
    }
}
