//! Front matter, Markdown and annotations on arbitrary UTF-8: the path every content file
//! takes (split → parse front matter → annotate → scan → render). Must never panic, overflow
//! the stack or hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use scholion::content::frontmatter::{self, ESSAY_KEYS, EssayMeta, TERM_KEYS, TermMeta};
use scholion::ids::{SourceId, Target, TermId};
use scholion::markdown::{self, Card, CiteStyle, UseLink};

fuzz_target!(|text: &str| {
    let path = Path::new("content/essays/fuzz.md");
    let body = match frontmatter::split(path, text) {
        Ok(split) => {
            let _ = frontmatter::parse::<EssayMeta>(path, text, &split, ESSAY_KEYS);
            let _ = frontmatter::parse::<TermMeta>(path, text, &split, TERM_KEYS);
            for key in ["title", "date", "see-also"] {
                let _ = frontmatter::key_location(path, text, &split, key);
            }
            &text[split.body_offset..]
        }
        Err(_) => text,
    };
    // Keys that "exist" in the bibliography: a deterministic half of all keys.
    let is_key = |key: &str| key.len() % 2 == 0;
    let annotated = markdown::annotate(body, &is_key);
    let scan = markdown::scan(&annotated, true);
    for u in &scan.uses {
        assert!(u.offset <= body.len(), "use offset out of the body");
    }
    // Resolve uses in turn as a link, a citation and a broken reference.
    let uses: Vec<UseLink> = (0..annotated.use_count)
        .map(|i| match i % 3 {
            0 => UseLink::Link {
                href: format!("/glossary/t{i}/"),
                class: "term",
                card: Some(Card {
                    id: format!("term:t{i}"),
                    target: Target::Term(TermId(i)),
                }),
                display: Some("<Name & co>"),
            },
            1 => UseLink::Cite {
                href: format!("/citations/k{i}/"),
                card: Some(Card {
                    id: format!("cite:k{i}"),
                    target: Target::Source(SourceId(i)),
                }),
                html: "Author 2001",
            },
            _ => UseLink::Broken,
        })
        .collect();
    let annotated = markdown::annotate(body, &is_key);
    let _ = markdown::render(
        annotated.nodes,
        &uses,
        &CiteStyle::default(),
        &markdown::NoteLabels::default(),
    );
});
