//! Math: TeX between `$…$`, `$$…$$` (pulldown-cmark's `ENABLE_MATH`) or pandoc's `\(…\)`
//! and `\[…\]`, rendered to MathML Core at build time with math-core (no JavaScript; it
//! works offline and in print). See docs/notes/math.md for the choice of crate.
//!
//! The TeX is the source as written: Markdown escapes and emphasis never touch it (`$\{ W_t
//! \}$` keeps its backslashes). Invalid TeX is reported by the scan (index stage) at the
//! file, line and column of the mistake; the render shows it as code.

use std::ops::Range;
use std::sync::OnceLock;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

/// A formula that did not convert: where the mistake is (byte range in the Markdown body)
/// and what it is.
#[derive(Debug, Clone)]
pub struct MathError {
    pub range: Range<usize>,
    pub message: String,
}

/// How deeply a formula may nest (groups, environments, `\left`, and chains of commands
/// that take the next one as their argument): math-core's parser recurses on nesting and
/// overflowed a 2 MiB stack at a depth of about 1,000; this limit is far below that and far
/// above any formula people write.
pub const MAX_MATH_DEPTH: usize = 128;

/// The longest formula converted (bytes); longer ones are an error.
pub const MAX_MATH_LEN: usize = 64 * 1024;

fn converter() -> &'static math_core::LatexToMathML {
    static CONVERTER: OnceLock<math_core::LatexToMathML> = OnceLock::new();
    CONVERTER.get_or_init(|| {
        let config = math_core::MathCoreConfig {
            // The TeX source travels with the MathML (copying, and assistive technology).
            annotation: true,
            ..Default::default()
        };
        // No custom macros are given, so there is nothing that can fail to parse.
        math_core::LatexToMathML::new(config).unwrap_or_default()
    })
}

/// The TeX of one formula as MathML, or the error (a byte range in `tex` and a message).
pub fn to_mathml(tex: &str, display: bool) -> Result<String, (Range<usize>, String)> {
    if tex.len() > MAX_MATH_LEN {
        return Err((
            0..tex.len(),
            format!("this formula is longer than {} KiB", MAX_MATH_LEN / 1024),
        ));
    }
    if let Some(at) = too_deep(tex) {
        return Err((
            at..at + 1,
            format!("this formula nests more than {MAX_MATH_DEPTH} levels deep"),
        ));
    }
    let mode = if display {
        math_core::MathDisplay::Block
    } else {
        math_core::MathDisplay::Inline
    };
    // A panic in the converter must not take the build down: it becomes an error here.
    let result = std::panic::catch_unwind(|| converter().convert_with_local_state(tex, mode));
    match result {
        Ok(Ok(converted)) => Ok(valid_html(converted.mathml)),
        Ok(Err(e)) => {
            let start = e.0.start.min(tex.len());
            let end = e.0.end.clamp(start, tex.len());
            Err((start..end, e.error_message()))
        }
        Err(_) => Err((0..tex.len(), "this formula could not be converted".into())),
    }
}

/// math-core writes `scriptlevel` on `<mtable>` (MathML Core allows it on every element);
/// HTML's MathML (the W3C Nu checker) allows it on `<mstyle>` only. The same reset, valid in
/// both: `<mstyle scriptlevel="0"><mtable …>…</mtable></mstyle>`. One pass over the output.
fn valid_html(mathml: String) -> String {
    const ATTR: &str = " scriptlevel=\"0\"";
    if !mathml.contains("<mtable") {
        return mathml;
    }
    let mut out = String::with_capacity(mathml.len() + 64);
    // For each open table: whether it was wrapped.
    let mut wrapped: Vec<bool> = Vec::new();
    let mut rest = mathml.as_str();
    while let Some(i) = rest
        .find("<mtable")
        .into_iter()
        .chain(rest.find("</mtable>"))
        .min()
    {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("</mtable>") {
            out.push_str("</mtable>");
            if wrapped.pop() == Some(true) {
                out.push_str("</mstyle>");
            }
            rest = after;
            continue;
        }
        let end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..end];
        if tag.contains(ATTR) {
            out.push_str("<mstyle scriptlevel=\"0\">");
            out.push_str(&tag.replacen(ATTR, "", 1));
            wrapped.push(true);
        } else {
            out.push_str(tag);
            wrapped.push(false);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Where a formula first nests deeper than `MAX_MATH_DEPTH` (a linear scan): groups `{`,
/// `\begin`, `\left` open a level, and a run of commands with nothing else between them
/// (`\sqrt \sqrt \sqrt x`, each the argument of the one before) counts as one level each.
fn too_deep(tex: &str) -> Option<usize> {
    let bytes = tex.as_bytes();
    let mut depth = 0usize;
    let mut chain = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let start = i + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
                    end += 1;
                }
                match &tex[start..end] {
                    "begin" | "left" => depth += 1,
                    "end" | "right" => depth = depth.saturating_sub(1),
                    "" => {
                        // `\{`, `\\`, `\,`: one escaped character.
                        chain = 0;
                        end = (start + 1).min(bytes.len());
                    }
                    _ => chain += 1,
                }
                if depth + chain > MAX_MATH_DEPTH {
                    return Some(i);
                }
                i = end.max(i + 1);
                continue;
            }
            b'{' => {
                depth += 1;
                if depth + chain > MAX_MATH_DEPTH {
                    return Some(i);
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            b' ' | b'\t' | b'\n' | b'\r' => {}
            _ => chain = 0,
        }
        i += 1;
    }
    None
}

/// Where a formula's TeX starts in the body: after its opening delimiter (`$`, `$$`, `\(`,
/// `\[`) when the TeX is the source as written there; else the start of the whole formula.
pub fn tex_offset(body: &str, range: &Range<usize>, tex: &str) -> usize {
    body.get(range.clone())
        .and_then(|source| source.find(tex))
        .map_or(range.start, |i| range.start + i)
}

/// Pandoc's `\(…\)` (inline) and `\[…\]` (display) math. CommonMark reads `\(` as an
/// escaped `(`, so the parser gives a text event that starts at the `(` right after a
/// backslash; the formula runs to a text event that starts with `)` (or `]`) after a
/// backslash, in the same paragraph (or heading, cell …). The TeX is the source between the
/// delimiters, whatever Markdown made of it.
pub fn pandoc_delimiters<'a>(
    body: &'a str,
    events: Vec<(Event<'a>, Range<usize>)>,
) -> Vec<(Event<'a>, Range<usize>)> {
    let escaped = |range: &Range<usize>, c: u8| {
        range.start > 0
            && body.as_bytes().get(range.start - 1) == Some(&b'\\')
            && body.as_bytes().get(range.start) == Some(&c)
    };
    // Quick exit: most documents have no `\(` or `\[` at all.
    if !body.contains("\\(") && !body.contains("\\[") {
        return events;
    }
    // For each event, the next text event of the same block holding `\)` (and `\]`): one
    // pass from the end, so an opener never scans ahead (20,000 unclosed `\(` stay linear).
    let mut next_paren: Vec<Option<usize>> = vec![None; events.len() + 1];
    let mut next_bracket: Vec<Option<usize>> = vec![None; events.len() + 1];
    for (j, (e, r)) in events.iter().enumerate().rev() {
        if !is_inline(e) {
            continue; // both stay None: a block boundary
        }
        let text = matches!(e, Event::Text(_));
        next_paren[j] = if text && find_escaped(body, r.clone(), b')').is_some() {
            Some(j)
        } else {
            next_paren[j + 1]
        };
        next_bracket[j] = if text && find_escaped(body, r.clone(), b']').is_some() {
            Some(j)
        } else {
            next_bracket[j + 1]
        };
    }
    let mut out: Vec<(Event<'a>, Range<usize>)> = Vec::with_capacity(events.len());
    let mut i = 0;
    while i < events.len() {
        let (event, range) = &events[i];
        let open = match event {
            Event::Text(t) if t.starts_with('(') && escaped(range, b'(') => Some((b')', false)),
            Event::Text(t) if t.starts_with('[') && escaped(range, b'[') => Some((b']', true)),
            _ => None,
        };
        let Some((close, display)) = open else {
            out.push(events[i].clone());
            i += 1;
            continue;
        };
        // The closing delimiter: in a later inline event of the same block, or in this one.
        let next = if close == b')' {
            &next_paren
        } else {
            &next_bracket
        };
        let found = match find_escaped(body, range.start + 1..range.end, close) {
            Some(at) => Some((i, at)),
            None => next[i + 1]
                .and_then(|j| find_escaped(body, events[j].1.clone(), close).map(|at| (j, at))),
        };
        let Some((j, at)) = found else {
            out.push(events[i].clone());
            i += 1;
            continue;
        };
        // `at` is the backslash of the closing delimiter.
        let tex = &body[range.start + 1..at];
        let whole = range.start - 1..at + 2;
        let math = if display {
            Event::DisplayMath(CowStr::Borrowed(tex))
        } else {
            Event::InlineMath(CowStr::Borrowed(tex))
        };
        out.push((math, whole));
        let rest_end = events[j].1.end;
        if at + 2 < rest_end {
            out.push((
                Event::Text(CowStr::Borrowed(&body[at + 2..rest_end])),
                at + 2..rest_end,
            ));
        }
        i = j + 1;
    }
    out
}

/// The first `\` + `close` in `body[range]` (the backslash's offset).
fn find_escaped(body: &str, range: Range<usize>, close: u8) -> Option<usize> {
    let source = body.get(range.start.saturating_sub(1)..range.end)?;
    let bytes = source.as_bytes();
    (0..bytes.len().saturating_sub(1))
        .find(|&k| bytes[k] == b'\\' && bytes[k + 1] == close)
        .map(|k| range.start.saturating_sub(1) + k)
}

/// Events that stay inside a block (a formula may span them, never a block boundary).
fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Text(_)
        | Event::Code(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::InlineHtml(_)
        | Event::InlineMath(_)
        | Event::DisplayMath(_)
        | Event::FootnoteReference(_) => true,
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(tag) => matches!(
            tag,
            TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulldown_cmark::Parser;

    fn maths(body: &str) -> Vec<(String, bool)> {
        let events: Vec<_> = Parser::new_ext(body, crate::markdown::options())
            .into_offset_iter()
            .collect();
        pandoc_delimiters(body, events)
            .into_iter()
            .filter_map(|(e, _)| match e {
                Event::InlineMath(t) => Some((t.to_string(), false)),
                Event::DisplayMath(t) => Some((t.to_string(), true)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_delimiter_keeps_the_tex_as_written() {
        let body = "where \\(x_1 *a* \\{W\\}\\) is, $\\{ W_t \\}$ and $$a$$\n\n\\[\nx = 1\n\\]\n";
        assert_eq!(
            maths(body),
            [
                ("x_1 *a* \\{W\\}".to_string(), false),
                ("\\{ W_t \\}".to_string(), false),
                ("a".to_string(), true),
                ("\nx = 1\n".to_string(), true),
            ]
        );
    }

    #[test]
    fn an_unclosed_or_escaped_bracket_is_text() {
        assert!(maths("a \\[sic and more.\n\nb \\] c").is_empty());
        assert!(maths("`\\(x\\)` is code").is_empty());
        assert_eq!(maths("\\(a\\) and \\(b\\)").len(), 2);
        assert_eq!(maths("\\(a *b* \\) and \\[x\\]\n\n\\)").len(), 2);
        let unclosed = "\\(a ".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(maths(&unclosed).is_empty());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "linear"
        );
    }

    #[test]
    fn invalid_tex_says_where() {
        let (range, message) = to_mathml(r"\frac{a}{b} + \notacommand", false).unwrap_err();
        assert_eq!(range, 14..26);
        assert!(message.contains("notacommand"), "{message}");
        assert!(to_mathml(r"\begin{cases} 1 & x \\ 0 & y \end{cases}", true).is_ok());
    }

    #[test]
    fn tables_keep_their_script_level_in_markup_html_allows() {
        let html = to_mathml(
            r"x_{\begin{matrix} a \end{matrix}} + \begin{cases} 1 \end{cases}",
            false,
        )
        .unwrap();
        assert!(
            !html.contains("<mtable displaystyle=\"false\" scriptlevel"),
            "{html}"
        );
        assert_eq!(
            html.matches("<mstyle scriptlevel=\"0\">").count(),
            2,
            "{html}"
        );
        assert_eq!(html.matches("</mtable></mstyle>").count(), 2, "{html}");
    }

    #[test]
    fn deep_nesting_is_refused_before_the_parser_recurses() {
        for tex in [
            format!("{}x{}", "\\frac{".repeat(5000), "}{y}".repeat(5000)),
            format!("{}x", "\\sqrt ".repeat(5000)),
            format!("{}x{}", "\\left(".repeat(5000), "\\right)".repeat(5000)),
        ] {
            let (_, message) = to_mathml(&tex, false).unwrap_err();
            assert!(message.contains("nests"), "{message}");
        }
        let flat = "x + ".repeat(2000) + "y";
        assert!(to_mathml(&flat, false).is_ok());
    }
}
