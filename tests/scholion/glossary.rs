//! Cross-references, the glossary, the use-map and backlinks.

use crate::support::*;

fn glossary_project() -> Project {
    let p = Project::new();
    p.term("cyber-sovereignty", "term: Cyber sovereignty\naliases: [internet sovereignty, network sovereignty]\nshort: States govern their networks.", "A full definition, see [[multistakeholder-model]].\n");
    p.term(
        "multistakeholder-model",
        "term: Multistakeholder model\nshort: Many actors govern.\nsee-also: [cyber-sovereignty]",
        "Governance by many.\n",
    );
    p.term("unused-term", "term: Unused term", "Nobody links here.\n");
    p.essay("one", "title: One\norder: 1", "## Start\n\nFirst [[cyber-sovereignty]] by slug. Then [[Internet Sovereignty|the alias]].\n\n`[[not-a-link]]` and \\[[escaped]].\n\n```\n[[in-code]]\n```\n");
    p.essay("two", "title: Two\norder: 2", "## Middle part\n\nOnly the [[network sovereignty]] alias here, and [[one#start|the first essay]].\n");
    p.essay("three", "title: Three\norder: 3", "No links at all.\n");
    p
}

#[test]
fn term_pages_list_exactly_the_essays_that_use_them() {
    let p = glossary_project();
    let run = p.build();
    run.assert_ok();
    assert!(
        run.stderr().contains("`Unused term` is never used"),
        "{}",
        run.stderr()
    );
    let term = p.page("/glossary/cyber-sovereignty/");
    assert_eq!(term.texts(".use-doc"), vec!["One", "Two"]);
    let hrefs = term.attrs(".use-link", "href");
    assert_eq!(
        hrefs,
        vec![
            "/essays/one/#use_0",
            "/essays/one/#use_1",
            "/essays/two/#use_0"
        ]
    );
    assert_eq!(
        term.texts(".use-section"),
        vec!["§ Start", "§ Start", "§ Middle part"]
    );
    assert_eq!(
        term.texts(".use-context mark"),
        vec!["cyber sovereignty", "the alias", "network sovereignty"]
    );
    // Used once (from a term's definition), and never.
    let msm = p.page("/glossary/multistakeholder-model/");
    assert_eq!(msm.texts(".use-doc"), vec!["Cyber sovereignty"]);
    assert_eq!(msm.texts(".see-also a"), vec!["Cyber sovereignty"]);
    // see-also works in both directions
    assert_eq!(term.texts(".see-also a"), vec!["Multistakeholder model"]);
    assert!(
        p.page("/glossary/unused-term/")
            .select(".use-doc")
            .is_empty()
    );
    // The glossary index: A–Z with counts.
    let g = p.page("/glossary/");
    assert_eq!(
        g.texts(".terms dt a"),
        vec!["Cyber sovereignty", "Multistakeholder model", "Unused term"]
    );
    assert_eq!(
        g.texts(".term-uses summary"),
        vec!["3 uses", "1 use", "0 uses"]
    );
    // Every use, as a link to its spot, labelled with its document and section.
    assert_eq!(
        g.texts(".term-uses li a"),
        vec![
            "One § Start",
            "One § Start",
            "Two § Middle part",
            "Cyber sovereignty"
        ]
    );
    assert_eq!(
        g.attrs(".term-uses li a", "href"),
        vec![
            "/essays/one/#use_0",
            "/essays/one/#use_1",
            "/essays/two/#use_0",
            "/glossary/cyber-sovereignty/#use_0"
        ]
    );
}

#[test]
fn links_render_and_code_is_left_alone() {
    let p = glossary_project();
    p.build().assert_ok();
    let one = p.page("/essays/one/");
    let links = one.select("a.xref");
    assert_eq!(links.len(), 2);
    assert_eq!(one.texts("a.xref"), vec!["cyber sovereignty", "the alias"]);
    assert_eq!(
        one.attrs("a.xref", "data-card"),
        vec!["term:cyber-sovereignty", "term:cyber-sovereignty"]
    );
    assert_eq!(one.attrs("a.xref", "id"), vec!["use_0", "use_1"]);
    assert_eq!(one.texts("code"), vec!["[[not-a-link]]", "[[in-code]]"]);
    let body = one.texts(".essay-body p").join(" ");
    assert!(body.contains("[[escaped]]"), "{body}");
    assert_eq!(
        one.select("template#card-term\\:cyber-sovereignty").len(),
        1
    );
    assert_eq!(one.texts(".linked-from a"), vec!["Two"]);
    assert_eq!(one.texts(".terms-used a"), vec!["Cyber sovereignty"]);
    let two = p.page("/essays/two/");
    assert_eq!(
        two.attrs("a.xref-essay", "href"),
        vec!["/essays/one/#start"]
    );
}

#[test]
fn unknown_target_has_a_hint() {
    let p = glossary_project();
    p.essay("three", "title: Three", "A [[cyber-soverignty]] typo.\n");
    p.run(&["check", "."]).assert_fails_with(&[
        "unknown cross-reference target `cyber-soverignty`",
        "content/essays/three.md:4:3",
        "did you mean `cyber-sovereignty`?",
    ]);
}

#[test]
fn missing_anchor_is_an_error() {
    let p = glossary_project();
    p.essay("three", "title: Three", "See [[one#strat]].\n");
    p.run(&["check", "."]).assert_fails_with(&[
        "no heading with the anchor `#strat`",
        "content/essays/three.md:4:",
        "did you mean `start`?",
    ]);
}

#[test]
fn duplicate_ids_and_aliases_are_errors_where_defined() {
    let p = glossary_project();
    p.term("other", "term: Other\naliases: [Internet sovereignty]", "x");
    p.run(&["check", "."]).assert_fails_with(&[
        "alias `internet sovereignty` is already taken",
        "content/glossary/other.md:3:",
    ]);
    let p = glossary_project();
    p.essay("cyber-sovereignty", "title: Clash", "x");
    p.run(&["check", "."])
        .assert_fails_with(&["duplicate id `cyber-sovereignty`", "share one namespace"]);
}

#[test]
fn see_also_naming_nothing_is_an_error() {
    let p = glossary_project();
    p.term(
        "unused-term",
        "term: Unused term\nsee-also: [multistakeholder-modle]",
        "x",
    );
    p.run(&["check", "."]).assert_fails_with(&[
        "`see-also` names `multistakeholder-modle`",
        "content/glossary/unused-term.md:3:",
        "did you mean `multistakeholder-model`?",
    ]);
}

#[test]
fn published_essay_linking_to_a_draft_is_an_error() {
    let p = glossary_project();
    p.essay("three", "title: Three\ndraft: true", "Draft text.\n");
    p.essay("four", "title: Four", "Link to [[three]].\n");
    p.run(&["check", "."])
        .assert_fails_with(&["draft essay `three`", "content/essays/four.md:4:9"]);
    p.run(&["check", ".", "--drafts"]).assert_ok();
}
