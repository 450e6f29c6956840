//! Callouts: GitHub alerts (`> [!NOTE]`) and Obsidian callouts (`> [!warning] Title`,
//! foldable with `> [!tip]-` (closed) or `> [!tip]+` (open)). A block quote whose first line
//! is `[!kind]` becomes a callout: the kind in any case, an optional `-`/`+`, then an
//! optional title (Markdown) to the end of the line. Without a title, the theme's word for
//! the kind is shown ("Note", "Warning", in the book's language).

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::Node;

/// Whether a callout folds, and how it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Always open (no `-`/`+`).
    No,
    /// `+`: foldable, open at first.
    Open,
    /// `-`: foldable, closed at first.
    Closed,
}

/// `[!kind]` and what follows it on the line, at the start of `line`: the kind (lower
/// case), the fold, and where the title starts (bytes into `line`).
fn marker(line: &str) -> Option<(String, Fold, usize)> {
    let rest = line.strip_prefix("[!")?;
    let close = rest.find(']')?;
    let kind = &rest[..close];
    if kind.is_empty()
        || kind.len() > 40
        || !kind
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    let mut at = 2 + close + 1;
    let fold = match line.as_bytes().get(at) {
        Some(b'-') => Fold::Closed,
        Some(b'+') => Fold::Open,
        _ => Fold::No,
    };
    if fold != Fold::No {
        at += 1;
    }
    // A title is separated by space; anything else right after `]` is not a callout.
    match line.as_bytes().get(at) {
        None | Some(b' ' | b'\t' | b'\n' | b'\r') => {}
        Some(_) => return None,
    }
    while matches!(line.as_bytes().get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    Some((kind.to_lowercase(), fold, at))
}

/// Turn block quotes that start with a `[!kind]` line into callout nodes:
/// `CalloutStart`, the title's events, `CalloutTitleEnd`, the body, `CalloutEnd`.
pub fn callouts<'a>(
    body: &'a str,
    events: Vec<(Event<'a>, Range<usize>)>,
) -> Vec<(Node<'a>, Range<usize>)> {
    let mut out: Vec<(Node<'a>, Range<usize>)> = Vec::with_capacity(events.len());
    // For each open block quote: whether it is a callout.
    let mut quotes: Vec<bool> = Vec::new();
    let mut events = events.into_iter().peekable();
    while let Some((event, range)) = events.next() {
        match event {
            Event::Start(Tag::BlockQuote(kind)) => {
                let paragraph = match events.peek() {
                    Some((Event::Start(Tag::Paragraph), p)) => Some(p.clone()),
                    _ => None,
                };
                let found = paragraph.as_ref().and_then(|p| {
                    let line = body.get(p.start..p.end)?;
                    let line = &line[..line.find('\n').unwrap_or(line.len())];
                    marker(line).map(|(k, f, title)| (k, f, p.start + title, p.start + line.len()))
                });
                let Some((kind_name, fold, title_start, line_end)) = found else {
                    quotes.push(false);
                    out.push((Node::Event(Event::Start(Tag::BlockQuote(kind))), range));
                    continue;
                };
                quotes.push(true);
                let paragraph_start = events.next(); // Start(Paragraph)
                let titled = title_start < line_end;
                out.push((
                    Node::CalloutStart {
                        kind: kind_name,
                        fold,
                        titled,
                    },
                    range.clone(),
                ));
                // The first line: the marker (dropped) and the title.
                let mut paragraph_ended = false;
                while let Some((e, r)) = events.peek() {
                    if r.start >= line_end
                        || matches!(e, Event::SoftBreak | Event::HardBreak)
                        || matches!(e, Event::End(TagEnd::Paragraph))
                    {
                        break;
                    }
                    let Some((e, r)) = events.next() else { break };
                    if r.end <= title_start {
                        continue;
                    }
                    if r.start < title_start {
                        // A text event that holds the end of the marker and the title's start.
                        if let Event::Text(t) = &e
                            && body.get(r.clone()) == Some(t.as_ref())
                            && let Some(rest) = body.get(title_start..r.end)
                            && !rest.is_empty()
                        {
                            out.push((
                                Node::Event(Event::Text(CowStr::Borrowed(rest))),
                                title_start..r.end,
                            ));
                        }
                        continue;
                    }
                    out.push((Node::Event(e), r));
                }
                out.push((Node::CalloutTitleEnd, range.start..range.start));
                match events.peek() {
                    Some((Event::SoftBreak | Event::HardBreak, _)) => {
                        events.next();
                    }
                    Some((Event::End(TagEnd::Paragraph), _)) => {
                        events.next();
                        paragraph_ended = true;
                    }
                    _ => {}
                }
                if !paragraph_ended && let Some((e, r)) = paragraph_start {
                    // The rest of the first paragraph is the body's first paragraph.
                    out.push((Node::Event(e), r));
                }
            }
            Event::End(TagEnd::BlockQuote(kind)) => {
                if quotes.pop() == Some(true) {
                    out.push((Node::CalloutEnd, range));
                } else {
                    out.push((Node::Event(Event::End(TagEnd::BlockQuote(kind))), range));
                }
            }
            other => out.push((Node::Event(other), range)),
        }
    }
    out
}

/// The English word for a callout kind (the theme's `callout_<kind>` key translates it);
/// Obsidian's aliases map to their kind. An unknown kind shows as written, capitalised.
pub fn kind_key(kind: &str) -> &'static str {
    match kind {
        "note" => "note",
        "abstract" | "summary" | "tldr" => "abstract",
        "info" => "info",
        "todo" => "todo",
        "tip" | "hint" => "tip",
        "important" => "important",
        "success" | "check" | "done" => "success",
        "question" | "help" | "faq" => "question",
        "warning" | "attention" => "warning",
        "caution" => "caution",
        "failure" | "fail" | "missing" => "failure",
        "danger" | "error" => "danger",
        "bug" => "bug",
        "example" => "example",
        "quote" | "cite" => "quote",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_read_as_github_and_obsidian_write_them() {
        assert_eq!(marker("[!NOTE]"), Some(("note".into(), Fold::No, 7)));
        assert_eq!(
            marker("[!warning]- Title here"),
            Some(("warning".into(), Fold::Closed, 12))
        );
        assert_eq!(marker("[!tip]+"), Some(("tip".into(), Fold::Open, 7)));
        assert_eq!(marker("[!note]x"), None);
        assert_eq!(marker("[!]"), None);
        assert_eq!(marker("[!two words]"), None);
        assert_eq!(marker("[note]"), None);
    }

    fn kinds(body: &str) -> Vec<String> {
        let events: Vec<_> = pulldown_cmark::Parser::new_ext(body, crate::markdown::options())
            .into_offset_iter()
            .collect();
        callouts(body, events)
            .into_iter()
            .map(|(n, _)| match n {
                Node::CalloutStart { kind, fold, titled } => {
                    format!("start {kind} {fold:?} {titled}")
                }
                Node::CalloutTitleEnd => "title-end".into(),
                Node::CalloutEnd => "end".into(),
                Node::Event(Event::Text(t)) => format!("text {t}"),
                Node::Event(Event::Start(Tag::Paragraph)) => "p".into(),
                Node::Event(Event::End(TagEnd::Paragraph)) => "/p".into(),
                Node::Event(e) => format!("{e:?}"),
                _ => "other".into(),
            })
            .collect()
    }

    #[test]
    fn a_callout_has_a_title_and_a_body() {
        assert_eq!(
            kinds("> [!warning]- Mind *this*\n> Body text\n"),
            [
                "start warning Closed true",
                "text Mind ",
                "Start(Emphasis)",
                "text this",
                "End(Emphasis)",
                "title-end",
                "p",
                "text Body text",
                "/p",
                "end"
            ]
        );
        assert_eq!(
            kinds("> [!NOTE]\n>\n> Para\n"),
            [
                "start note No false",
                "title-end",
                "p",
                "text Para",
                "/p",
                "end"
            ]
        );
        assert_eq!(
            kinds("> plain [!NOTE]\n"),
            [
                "Start(BlockQuote(None))",
                "p",
                "text plain ",
                "text [",
                "text !NOTE",
                "text ]",
                "/p",
                "End(BlockQuote(None))"
            ]
        );
    }
}
