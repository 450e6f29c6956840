//! Publishing: the GitHub Pages workflow, topics, and the base path in every emitted URL.

use crate::support::*;

#[test]
fn pages_workflow_is_valid_yaml_using_only_official_pages_actions() {
    let text = std::fs::read_to_string(repo().join(".github/workflows/pages.yml")).unwrap();
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let mut uses = Vec::new();
    for (_, job) in yaml["jobs"].as_mapping().expect("jobs").iter() {
        for step in job["steps"].as_sequence().expect("steps") {
            if let Some(u) = step["uses"].as_str() {
                uses.push(u.split('@').next().unwrap().to_string());
            }
        }
    }
    uses.sort();
    assert_eq!(
        uses,
        vec![
            "actions/checkout",
            "actions/configure-pages",
            "actions/deploy-pages",
            "actions/upload-pages-artifact"
        ]
    );
    assert!(
        text.contains("--base-url \"${{ steps.pages.outputs.base_url }}/\""),
        "base URL from the Pages action"
    );
    assert_eq!(yaml["permissions"]["pages"].as_str(), Some("write"));
    assert_eq!(yaml["permissions"]["id-token"].as_str(), Some("write"));
    // `scholion init` writes the same workflow.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("r");
    assert!(
        scholion()
            .arg("init")
            .arg(&target)
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(
        std::fs::read_to_string(target.join(".github/workflows/pages.yml")).unwrap(),
        text
    );
}

#[test]
fn topics_pages_and_every_url_under_the_base_path() {
    let p = Project::new();
    p.essay(
        "a",
        "title: A\ntags: [Internet Governance, norms]",
        "Text.\n",
    );
    p.essay("b", "title: B\ntags: [norms]", "Text.\n");
    p.run(&[
        "build",
        ".",
        "--base-url",
        "https://example.github.io/reader/",
    ])
    .assert_ok();
    let tags = p.page("/tags/");
    assert_eq!(
        tags.attrs(".tag-list a", "href"),
        vec!["/reader/tags/internet-governance/", "/reader/tags/norms/"]
    );
    assert_eq!(
        p.page("/tags/norms/").texts(".essay-card h2 a"),
        vec!["A", "B"]
    );
    // Every URL in every page, feed and sitemap is under the base path or absolute under the site.
    for (rel, bytes) in snapshot(&p.out()) {
        if !matches!(
            rel.extension().and_then(|e| e.to_str()),
            Some("html" | "xml")
        ) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for attr in ["href=\"", "src=\"", "<loc>", "<id>"] {
            for piece in text.split(attr).skip(1) {
                let url: String = piece
                    .chars()
                    .take_while(|c| *c != '"' && *c != '<')
                    .collect();
                if url.starts_with('#') || url.is_empty() {
                    continue;
                }
                assert!(
                    url.starts_with("/reader/")
                        || url.starts_with("https://example.github.io/reader/")
                        || url.starts_with("/__scholion"),
                    "{}: `{url}` escapes the base path",
                    rel.display()
                );
            }
        }
    }
}
