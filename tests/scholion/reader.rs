//! The bundled reader: it builds clean, and its annotation density cannot silently drop.

use std::collections::HashSet;

use crate::support::*;

#[test]
fn bundled_reader_is_clean_and_densely_annotated() {
    let p = Project::bundled();
    let run = p.run(&["check", ".", "--deny-warnings"]);
    run.assert_ok();
    p.build().assert_ok();
    let home = p.page("/");
    let essays = home.attrs(".essay-card h3 a", "href");
    assert!(essays.len() >= 6, "{essays:?}");
    for url in &essays {
        let page = p.page(url);
        let terms: HashSet<String> = page
            .attrs(".essay-body a.xref-term", "href")
            .into_iter()
            .collect();
        let sources: HashSet<String> = page
            .attrs(".essay-body a.cite", "href")
            .into_iter()
            .collect();
        assert!(terms.len() >= 5, "{url} links {} terms", terms.len());
        assert!(sources.len() >= 3, "{url} cites {} sources", sources.len());
        let visible = page.texts(".essay-body").join(" ");
        assert!(!visible.contains("[["), "{url} shows raw [[");
    }
    let glossary = p.page("/glossary/");
    let terms = glossary.attrs(".terms dt a", "href");
    assert!(terms.len() >= 30, "{} terms", terms.len());
    for url in &terms {
        assert!(!p.page(url).select(".use").is_empty(), "{url} lists no use");
    }
    let sources = p.page("/citations/").select(".bibliography li").len();
    assert!(sources >= 40, "{sources} sources");
}
