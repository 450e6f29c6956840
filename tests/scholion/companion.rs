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
    let p3 = Selector::parse(".companion-place:nth-of-type(4) .use-doc").unwrap();
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
    assert!(p.page("/").text.contains("href=\"/guide/\""));
    assert!(crawl(&p.out(), "/").is_empty());
}
