//! The reading companion: addressable paragraphs, commentary in the source's own order, the
//! study guide.

use std::collections::{BTreeMap, BTreeSet};

use scraper::Selector;

use crate::support::*;

const ESSAY: &str = "## First part\n\nAlpha opens the first part.\n\nBeta follows it.\n\n\
- a listed point\n- another point\n\n## Second part\n\nGamma opens the second part.\n\n\
> A quoted passage.\n\nDelta closes it.\n";

/// Each addressed block's text (without its ¶ mark) → its id.
fn block_ids(p: &Project) -> BTreeMap<String, String> {
    let page = p.page("/essays/reading/");
    let sel = Selector::parse(".essay-body [id^=\"p_\"]").unwrap();
    let mut ids = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for el in page.html.select(&sel) {
        let id = el.value().attr("id").unwrap().to_string();
        assert!(seen.insert(id.clone()), "duplicate id {id}");
        let text: String = el.text().collect::<String>().replace('¶', "");
        ids.insert(text.trim().to_string(), id);
    }
    ids
}

#[test]
fn paragraph_ids_survive_edits_elsewhere() {
    let p = Project::new();
    p.essay("reading", "title: Reading", ESSAY);
    p.build().assert_ok();
    let before = block_ids(&p);
    assert_eq!(before["Alpha opens the first part."], "p_first-part_1");
    assert_eq!(before["Beta follows it."], "p_first-part_2");
    assert_eq!(before["a listed point"], "p_first-part_3");
    assert_eq!(before["A quoted passage."], "p_second-part_2");
    // Every block links to itself.
    let page = p.page("/essays/reading/");
    let marks = Selector::parse("a.para-mark").unwrap();
    let hrefs: BTreeSet<String> = page
        .html
        .select(&marks)
        .map(|a| {
            a.value()
                .attr("href")
                .unwrap()
                .trim_start_matches('#')
                .to_string()
        })
        .collect();
    let ids: BTreeSet<String> = before.values().cloned().collect();
    assert_eq!(hrefs, ids);
    assert!(crawl(&p.out(), "/").is_empty());

    // A paragraph inserted in the other section, and an earlier paragraph edited.
    let edited = ESSAY
        .replace(
            "Alpha opens the first part.",
            "Alpha, rewritten, opens the first part.",
        )
        .replace("Delta closes it.", "Delta closes it.\n\nEpsilon is new.");
    p.essay("reading", "title: Reading", &edited);
    p.build().assert_ok();
    let after = block_ids(&p);
    for (text, id) in &before {
        if let Some(now) = after.get(text) {
            assert_eq!(now, id, "`{text}` moved");
        }
    }
    assert_eq!(
        after["Alpha, rewritten, opens the first part."],
        "p_first-part_1"
    );
    assert_eq!(after["Beta follows it."], "p_first-part_2");
    assert_eq!(after["Gamma opens the second part."], "p_second-part_1");
    assert_eq!(after["Epsilon is new."], "p_second-part_4");
}

#[test]
fn the_companion_lists_commentary_in_the_sources_order() {
    let p = Project::new();
    p.write("content/references.bib", BIB);
    p.essay(
        "one",
        "title: One\norder: 1",
        "Pages [@lieberthal1992, p. 3] and [@lieberthal1992, pp. 10-12]; \
         a chapter [@lieberthal1992, ch. 2].\n\nA paragraph [@lieberthal1992, para. 7].\n",
    );
    p.essay(
        "two",
        "title: Two\norder: 2",
        "A pilcrow [@lieberthal1992, ¶ 12], a section [@lieberthal1992, sec. 4.2], \
         the preface [@lieberthal1992, xiv] and the whole [@lieberthal1992]. \
         Page three again [@lieberthal1992, p. 3].\n",
    );
    p.build().assert_ok();
    let page = p.page("/citations/lieberthal1992/");
    let heads = Selector::parse(".companion-place h3").unwrap();
    let order: Vec<String> = page
        .html
        .select(&heads)
        .map(|h| h.text().collect::<String>())
        .collect();
    assert_eq!(
        order,
        [
            "ch. 2",
            "sec. 4.2",
            "p. xiv",
            "p. 3",
            "pp. 10–12",
            "para. 7",
            "para. 12",
            "Cited as a whole"
        ]
    );
    // Both passages on p. 3, in reading order.
    let p3 = Selector::parse(".companion-place:nth-of-type(4) .companion-doc").unwrap();
    let docs: Vec<String> = page
        .html
        .select(&p3)
        .map(|d| d.text().collect::<String>())
        .collect();
    assert_eq!(docs, ["One", "Two"], "{}", page.text);
}

#[test]
fn the_study_guide_gathers_questions_terms_and_sources_in_reading_order() {
    let p = Project::new();
    p.write("content/references.bib", BIB);
    p.term(
        "sovereignty",
        "term: Sovereignty\nshort: Supreme authority.",
        "Def.\n",
    );
    p.term("regime", "term: Regime\nshort: A set of rules.", "Def.\n");
    p.essay(
        "first",
        "title: First\norder: 1\nannotates: wang2012\nquestions: [\"What is *sovereignty*?\", \"Why [[regime|regimes]]?\"]",
        "On [[sovereignty]] [@lieberthal1992].\n",
    );
    p.essay(
        "second",
        "title: Second\norder: 2\nquestions: [\"And now?\"]\nobjectives: [\"Compare two regimes.\"]",
        "Again [[sovereignty]], and a [[regime]].\n",
    );
    p.build().assert_ok();
    let guide = p.page("/guide/");
    let sections = Selector::parse(".guide-essay").unwrap();
    let texts: Vec<String> = guide
        .html
        .select(&sections)
        .map(|s| s.text().collect::<String>().trim().to_string())
        .collect();
    assert_eq!(texts.len(), 2);
    assert!(texts[0].starts_with("First"), "{}", texts[0]);
    assert!(texts[0].contains("What is sovereignty?"), "{}", texts[0]);
    assert!(texts[0].contains("Why regimes?"), "{}", texts[0]);
    // Terms introduced: each at its first use in reading order only.
    assert!(texts[0].contains("Sovereignty") && !texts[0].contains("Regime\n"));
    assert!(texts[1].contains("Regime") && !texts[1].contains("Sovereignty"));
    // Sources read: the annotated work and the cited one.
    assert!(texts[0].contains("Systematic Government Access") && texts[0].contains("Bureaucracy"));
    assert!(texts[1].contains("Compare two regimes."));
    // The essay shows its questions; the navigation links the guide.
    let essay = p.page("/essays/first/");
    assert!(essay.text.contains("<ol class=\"questions\">"));
    assert!(
        p.page("/").text.contains("href=\"/guide/\""),
        "the home page links the guide"
    );
    assert!(crawl(&p.out(), "/").is_empty());
}

fn text_reader() -> Project {
    let p = Project::new();
    p.write("content/references.bib", BIB);
    let paragraphs: Vec<String> = (1..=20)
        .map(|i| format!("Paragraph {i} of the text, in words of its own."))
        .collect();
    p.write(
        "content/texts/bureaucracy.md",
        &format!(
            "---\nsource: lieberthal1992\n---\n{}\n",
            paragraphs.join("\n\n")
        ),
    );
    p.essay(
        "one",
        "title: One\norder: 1",
        "It opens boldly [@lieberthal1992, para. 1]; then [@lieberthal1992, paras. 3-4].\n",
    );
    p.essay(
        "two",
        "title: Two\norder: 2",
        "Again the opening [@lieberthal1992, ¶ 1], the end [@lieberthal1992, para. 20], \
         and the book [@lieberthal1992, p. 9].\n",
    );
    p
}

#[test]
fn a_text_numbers_its_paragraphs_with_the_commentary_beside_them() {
    let p = text_reader();
    p.build().assert_ok();
    let page = p.page("/texts/bureaucracy/");
    let blocks = Selector::parse(".text-body p[id]").unwrap();
    let ids: Vec<String> = page
        .html
        .select(&blocks)
        .map(|e| e.value().attr("id").unwrap().to_string())
        .collect();
    let want: Vec<String> = (1..=20).map(|i| format!("p_{i}")).collect();
    assert_eq!(ids, want);
    // Commentary beside exactly the cited paragraphs, listing the citing passages.
    let asides = Selector::parse(".passage").unwrap();
    let passages: Vec<(String, Vec<String>)> = page
        .html
        .select(&asides)
        .map(|passage| {
            let id = passage
                .select(&Selector::parse("p[id]").unwrap())
                .next()
                .unwrap()
                .value()
                .attr("id")
                .unwrap()
                .to_string();
            let links = passage
                .select(&Selector::parse(".commentary a").unwrap())
                .map(|a| a.value().attr("href").unwrap().to_string())
                .collect();
            (id, links)
        })
        .collect();
    assert_eq!(
        passages,
        [
            (
                "p_1".into(),
                vec!["/essays/one/#use_0".into(), "/essays/two/#use_0".into()]
            ),
            ("p_3".into(), vec!["/essays/one/#use_1".to_string()]),
            ("p_4".into(), vec!["/essays/one/#use_1".to_string()]),
            ("p_20".into(), vec!["/essays/two/#use_1".to_string()]),
        ]
    );
    // Essays link a paragraph citation straight to the paragraph; others to the source.
    let two = p.page("/essays/two/");
    let cites = Selector::parse("a.cite").unwrap();
    let hrefs: Vec<&str> = two
        .html
        .select(&cites)
        .map(|a| a.value().attr("href").unwrap())
        .collect();
    assert_eq!(
        hrefs,
        [
            "/texts/bureaucracy/#p_1",
            "/texts/bureaucracy/#p_20",
            "/citations/lieberthal1992/"
        ]
    );
    assert!(
        p.page("/citations/lieberthal1992/")
            .text
            .contains("href=\"/texts/bureaucracy/\"")
    );
    assert!(
        crawl(&p.out(), "/").is_empty(),
        "{:?}",
        crawl(&p.out(), "/")
    );
}

#[test]
fn a_text_of_an_unknown_source_is_a_located_error() {
    let p = text_reader();
    p.write(
        "content/texts/stray.md",
        "---\nsource: lieberthal1993\n---\nText.\n",
    );
    p.build().assert_fails_with(&[
        "content/texts/stray.md:2:9",
        "`source` names `lieberthal1993`, which is not in the bibliography",
        "did you mean `lieberthal1992`?",
    ]);
}
