//! Publishing: the GitHub Pages workflow, topics, and the base path in every emitted URL.

use crate::support::*;

#[test]
fn pages_workflow_is_valid_yaml_using_only_official_actions() {
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
    uses.dedup();
    assert_eq!(
        uses,
        vec![
            "actions/cache",
            "actions/checkout",
            "actions/configure-pages",
            "actions/deploy-pages",
            "actions/upload-pages-artifact"
        ]
    );
    assert_eq!(yaml["permissions"]["pages"].as_str(), Some("write"));
    assert_eq!(yaml["permissions"]["id-token"].as_str(), Some("write"));
    assert_eq!(
        yaml["env"]["SCHOLION_RELEASES"].as_str(),
        Some(concat!(env!("CARGO_PKG_REPOSITORY"), "/releases/download")),
        "downloads from the project's GitHub releases unless told otherwise"
    );
    // `scholion init` writes the same workflow, for the version that wrote it: when this
    // fails after a version bump, run `scholion init --update-workflow` in the repository.
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
    assert_eq!(
        yaml["env"]["SCHOLION_VERSION"].as_str(),
        Some(env!("CARGO_PKG_VERSION"))
    );
}

/// A reader made by `scholion init`, its workflow run by [`Runner`].
fn init_reader(dir: &std::path::Path) -> std::path::PathBuf {
    let reader = dir.join("reader");
    let out = std::process::Command::new(bin())
        .arg("init")
        .arg(&reader)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    reader
}

#[test]
fn pages_workflow_installs_the_release_binary_and_builds_every_link_under_the_base_path() {
    let server = FileServer::start(release_downloads());
    let dir = tempfile::tempdir().unwrap();
    let reader = init_reader(dir.path());
    let mut runner = Runner::new(dir.path(), &reader);
    runner.override_env("SCHOLION_RELEASES", &server.url());
    let steps = runner.run_build_job();
    for s in &steps {
        assert!(s.ok, "step `{}` failed:\n{}", s.name, s.log);
    }
    let ran: Vec<&str> = steps
        .iter()
        .filter(|s| s.ran)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        ran,
        vec![
            "actions/checkout",
            "actions/configure-pages",
            "Install Scholion (release binary, checksum verified)",
            "Build the site",
            "actions/upload-pages-artifact",
        ],
        "no build from source when the release binary is there"
    );
    let version = env!("CARGO_PKG_VERSION");
    let asset = format!(
        "/v{version}/scholion-v{version}-{}.tar.gz",
        release_target()
    );
    assert_eq!(
        server.requests(),
        vec![asset.clone(), format!("{asset}.sha256")]
    );
    // The binary on the PATH is the one unpacked from the archive, and says its version.
    assert_eq!(runner.path.len(), 1);
    assert!(
        runner.path[0].starts_with(&runner.temp),
        "{:?}",
        runner.path
    );
    let installed = runner.path[0].join("scholion");
    let v = std::process::Command::new(&installed)
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout).trim(),
        format!("scholion {version}")
    );
    // The artifact is the site built under /repo/, and every link in it resolves.
    let site = runner.artifact.clone().expect("a Pages artifact");
    assert_eq!(site, reader.join("public"));
    let home = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        home.contains("href=\"/repo/essays/first-essay/\""),
        "{home}"
    );
    assert!(site.join("glossary/annotation/index.html").is_file());
    assert_eq!(crawl(&site, "/repo/"), Vec::<String>::new());
}

#[test]
fn pages_workflow_refuses_a_corrupted_release_archive() {
    // The archive is swapped for another well-formed one (so unpacking alone would not
    // notice) whose `scholion` leaves a mark if it ever runs; its checksum file is kept.
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("downloads");
    copy_dir(release_downloads(), &downloads);
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("scholion-v{version}-{}", release_target());
    let fake = dir.path().join("fake").join(&name);
    std::fs::create_dir_all(&fake).unwrap();
    let mark = dir.path().join("fake-ran");
    std::fs::write(
        fake.join("scholion"),
        format!("#!/bin/sh\ntouch '{}'\n", mark.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        fake.join("scholion"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let archive = downloads.join(format!("v{version}/{name}.tar.gz"));
    let tar = std::process::Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path().join("fake"))
        .arg(&name)
        .status()
        .unwrap();
    assert!(tar.success());
    let server = FileServer::start(&downloads);
    let reader = init_reader(dir.path());
    let mut runner = Runner::new(dir.path(), &reader);
    runner.override_env("SCHOLION_RELEASES", &server.url());
    let steps = runner.run_build_job();
    let last = steps.last().unwrap();
    assert_eq!(
        last.name,
        "Install Scholion (release binary, checksum verified)"
    );
    assert!(!last.ok, "a corrupted archive must fail the install step");
    assert!(last.log.contains("checksum mismatch"), "{}", last.log);
    assert!(runner.path.is_empty(), "nothing added to the PATH");
    assert!(!mark.exists(), "the tampered binary ran");
    assert!(!reader.join("public").exists());
}

#[test]
fn pages_workflow_without_a_release_asset_installs_its_own_version_from_git() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-releases");
    std::fs::create_dir(&empty).unwrap();
    let server = FileServer::start(&empty);
    let reader = init_reader(dir.path());
    let mut runner = Runner::new(dir.path(), &reader);
    runner.override_env("SCHOLION_RELEASES", &server.url());
    // `cargo install` copies the test binary into ~/.cargo/bin.
    let log = runner.fake_toolchain("cp \"$SCHOLION_TEST_BIN\" \"$HOME/.cargo/bin/scholion\"");
    let steps = runner.run_build_job();
    for s in &steps {
        assert!(s.ok, "step `{}` failed:\n{}", s.name, s.log);
    }
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        format!(
            "rustup toolchain install stable --profile minimal\n\
             cargo +stable install --locked --git {} --tag v{version} scholion\n",
            env!("CARGO_PKG_REPOSITORY")
        )
    );
    let cache = steps
        .iter()
        .find(|s| s.name == "Cache Scholion built from source")
        .unwrap();
    assert!(cache.ran);
    assert_eq!(
        runner.caches,
        vec![(
            "~/.cargo/bin/scholion".to_string(),
            format!("scholion-{version}-Linux-X64")
        )]
    );
    assert!(reader.join("public/index.html").is_file());
}

#[test]
fn pages_workflow_in_scholions_own_repository_builds_from_its_checkout() {
    let server = FileServer::start(release_downloads());
    let dir = tempfile::tempdir().unwrap();
    let reader = init_reader(dir.path());
    std::fs::write(
        reader.join("Cargo.toml"),
        "[package]\nname = \"scholion\"\nversion = \"0.0.0\"\n",
    )
    .unwrap();
    let mut runner = Runner::new(dir.path(), &reader);
    runner.override_env("SCHOLION_RELEASES", &server.url());
    // `cargo build --release` leaves the test binary in target/release.
    let log = runner.fake_toolchain(
        "mkdir -p target/release && cp \"$SCHOLION_TEST_BIN\" target/release/scholion",
    );
    let steps = runner.run_build_job();
    for s in &steps {
        assert!(s.ok, "step `{}` failed:\n{}", s.name, s.log);
    }
    assert_eq!(
        server.requests(),
        Vec::<String>::new(),
        "no release download"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "rustup toolchain install stable --profile minimal\n\
         cargo +stable build --release --locked\n"
    );
    assert_eq!(runner.path, vec![reader.join("target/release")]);
    assert_eq!(runner.caches.len(), 1);
    assert_eq!(
        runner.caches[0].0.lines().collect::<Vec<_>>(),
        vec![
            "~/.cargo/registry/index",
            "~/.cargo/registry/cache",
            "target"
        ]
    );
    assert!(reader.join("public/index.html").is_file());
}

#[test]
fn init_update_workflow_rewrites_an_old_workflow_for_this_version() {
    let dir = tempfile::tempdir().unwrap();
    let reader = init_reader(dir.path());
    let path = reader.join(".github/workflows/pages.yml");
    let current = std::fs::read_to_string(&path).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let old = current.replace(
        &format!("SCHOLION_VERSION: \"{version}\""),
        "SCHOLION_VERSION: \"0.0.1\"",
    );
    assert_ne!(old, current);
    std::fs::write(&path, &old).unwrap();
    let run = |args: &[&str], cwd: &std::path::Path| {
        std::process::Command::new(bin())
            .args(args)
            .current_dir(cwd)
            .output()
            .unwrap()
    };
    let out = run(&["init", "--update-workflow"], &reader);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("for Scholion {version} (it installed 0.0.1)")),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), current);
    // Again: nothing to do. A deleted workflow is written anew.
    let out = run(&["init", "--update-workflow", "reader"], dir.path());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already"));
    std::fs::remove_file(&path).unwrap();
    assert!(
        run(&["init", "--update-workflow", "reader"], dir.path())
            .status
            .success()
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), current);
    // Not a reader: refused, nothing written.
    let out = run(&["init", "--update-workflow"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no book.toml"));
    assert!(!dir.path().join(".github").exists());
    // Plain `init` still needs its folder.
    assert_eq!(run(&["init"], dir.path()).status.code(), Some(2));
}

/// One step of a simulated run.
struct StepRun {
    name: String,
    ran: bool,
    ok: bool,
    log: String,
}

/// A GitHub-hosted Linux runner, simulated closely enough to run the Pages workflow's
/// `build` job as written in `.github/workflows/pages.yml`: `run:` steps run with the
/// workflow's shell and environment (`GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_OUTPUT`,
/// `RUNNER_TEMP`, expressions evaluated), the official actions are stood in for
/// (configure-pages gives `https://owner.github.io/repo`). An expression or action it does
/// not know fails the test rather than being guessed.
struct Runner {
    workspace: std::path::PathBuf,
    home: std::path::PathBuf,
    temp: std::path::PathBuf,
    /// What the steps appended to `GITHUB_PATH`, in order.
    path: Vec<std::path::PathBuf>,
    /// The PATH before that.
    base_path: String,
    env: std::collections::BTreeMap<String, String>,
    overrides: std::collections::BTreeMap<String, String>,
    outputs: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// The folder handed to upload-pages-artifact.
    artifact: Option<std::path::PathBuf>,
    /// (path, key) of every actions/cache step that ran.
    caches: Vec<(String, String)>,
}

impl Runner {
    fn new(dir: &std::path::Path, workspace: &std::path::Path) -> Runner {
        let (home, temp) = (dir.join("home"), dir.join("runner-temp"));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        Runner {
            workspace: workspace.to_path_buf(),
            home,
            temp,
            path: Vec::new(),
            // No Rust toolchain: a runner's is not needed when the release binary is there.
            base_path: "/usr/bin:/bin".into(),
            env: Default::default(),
            overrides: Default::default(),
            outputs: Default::default(),
            artifact: None,
            caches: Vec::new(),
        }
    }

    /// A stand-in for the runner's Rust toolchain in `~/.cargo/bin` (on GitHub's runners
    /// that folder is on the PATH): `rustup` and `cargo` log their arguments to the returned
    /// file, and `cargo` then runs `cargo_action` (`$SCHOLION_TEST_BIN` is the test binary).
    fn fake_toolchain(&mut self, cargo_action: &str) -> std::path::PathBuf {
        let cargo_bin = self.home.join(".cargo/bin");
        std::fs::create_dir_all(&cargo_bin).unwrap();
        let log = self.home.join("toolchain.log");
        for (tool, action) in [("rustup", ""), ("cargo", cargo_action)] {
            let script = format!(
                "#!/bin/sh\necho {tool} \"$@\" >> '{}'\nSCHOLION_TEST_BIN='{}'\n{action}\n",
                log.display(),
                bin().display()
            );
            let path = cargo_bin.join(tool);
            std::fs::write(&path, script).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        self.base_path = format!("{}:/usr/bin:/bin", cargo_bin.display());
        log
    }

    /// Set a workflow-level `env:` value, as a fork of the workflow would.
    fn override_env(&mut self, key: &str, value: &str) {
        self.overrides.insert(key.into(), value.into());
    }

    /// Run the `build` job of the workspace's own workflow; stops after a failed step.
    fn run_build_job(&mut self) -> Vec<StepRun> {
        let text =
            std::fs::read_to_string(self.workspace.join(".github/workflows/pages.yml")).unwrap();
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(yaml["defaults"]["run"]["shell"].as_str(), Some("bash"));
        let job = &yaml["jobs"]["build"];
        assert_eq!(job["runs-on"].as_str(), Some("ubuntu-latest"));
        for (k, v) in yaml["env"].as_mapping().into_iter().flatten() {
            let value = self.interpolate(v.as_str().unwrap());
            self.env.insert(k.as_str().unwrap().into(), value);
        }
        self.env.extend(self.overrides.clone());
        let mut runs = Vec::new();
        for step in job["steps"].as_sequence().unwrap() {
            let id = step["id"].as_str();
            let uses = step["uses"].as_str();
            let name = step["name"]
                .as_str()
                .or(uses.map(|u| u.split('@').next().unwrap()))
                .unwrap_or("run")
                .to_string();
            let ran = step["if"].as_str().is_none_or(|c| self.condition(c));
            let mut run = StepRun {
                name,
                ran,
                ok: true,
                log: String::new(),
            };
            if ran {
                let outputs = match (uses, step["run"].as_str()) {
                    (Some(action), None) => self.action(action, &step["with"]),
                    (None, Some(script)) => {
                        let (ok, log, outputs) = self.shell(script, &step["env"]);
                        run.ok = ok;
                        run.log = log;
                        outputs
                    }
                    _ => panic!("a step with both or neither of `uses` and `run`"),
                };
                if let Some(id) = id {
                    self.outputs.insert(id.into(), outputs);
                }
            }
            let failed = !run.ok;
            runs.push(run);
            if failed {
                break;
            }
        }
        runs
    }

    fn action(
        &mut self,
        action: &str,
        with: &serde_yaml::Value,
    ) -> std::collections::BTreeMap<String, String> {
        let mut outputs = std::collections::BTreeMap::new();
        let input = |k: &str| with[k].as_str().map(str::to_string);
        match action.split('@').next().unwrap() {
            "actions/checkout" => {}
            "actions/configure-pages" => {
                for (k, v) in [
                    ("base_url", "https://owner.github.io/repo"),
                    ("origin", "https://owner.github.io"),
                    ("host", "owner.github.io"),
                    ("base_path", "/repo"),
                ] {
                    outputs.insert(k.into(), v.into());
                }
            }
            "actions/cache" => {
                let path = input("path").expect("cache path");
                let key = self.interpolate(&input("key").expect("cache key"));
                self.caches.push((path, key));
                outputs.insert("cache-hit".into(), "false".into());
            }
            "actions/upload-pages-artifact" => {
                let path = self.workspace.join(input("path").expect("artifact path"));
                assert!(path.is_dir(), "no artifact folder {}", path.display());
                self.artifact = Some(path);
            }
            other => panic!("the test does not simulate the action {other}"),
        }
        outputs
    }

    /// Run a `run:` script as `shell: bash` does on GitHub (`bash --noprofile --norc -eo
    /// pipefail FILE`); returns success, the output, and what it wrote to GITHUB_OUTPUT.
    fn shell(
        &mut self,
        script: &str,
        step_env: &serde_yaml::Value,
    ) -> (bool, String, std::collections::BTreeMap<String, String>) {
        let files = self.temp.join("_runner_file_commands");
        std::fs::create_dir_all(&files).unwrap();
        let script_file = files.join("step.sh");
        std::fs::write(&script_file, script).unwrap();
        let (env_file, path_file, output_file) =
            (files.join("env"), files.join("path"), files.join("output"));
        for f in [&env_file, &path_file, &output_file] {
            std::fs::write(f, "").unwrap();
        }
        let mut path: Vec<String> = self
            .path
            .iter()
            .rev()
            .map(|p| p.display().to_string())
            .collect();
        path.push(self.base_path.clone());
        let mut cmd = std::process::Command::new("/bin/bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(&self.workspace)
            .env_clear()
            .env("PATH", path.join(":"))
            .env("HOME", &self.home)
            .env("RUNNER_TEMP", &self.temp)
            .env("RUNNER_OS", "Linux")
            .env("GITHUB_WORKSPACE", &self.workspace)
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_ENV", &env_file)
            .env("GITHUB_PATH", &path_file)
            .env("GITHUB_OUTPUT", &output_file)
            .envs(&self.env);
        for (k, v) in step_env.as_mapping().into_iter().flatten() {
            cmd.env(k.as_str().unwrap(), self.interpolate(v.as_str().unwrap()));
        }
        let out = cmd.output().unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let pairs = |f: &std::path::Path| -> Vec<(String, String)> {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| {
                    assert!(
                        !l.contains("<<"),
                        "multi-line values are not simulated: {l}"
                    );
                    let (k, v) = l.split_once('=').expect("NAME=value");
                    (k.to_string(), v.to_string())
                })
                .collect()
        };
        let outputs = pairs(&output_file).into_iter().collect();
        self.env.extend(pairs(&env_file));
        for line in std::fs::read_to_string(&path_file).unwrap().lines() {
            if !line.is_empty() {
                self.path.push(line.into());
            }
        }
        (out.status.success(), log, outputs)
    }

    /// `${{ … }}` in a string.
    fn interpolate(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("unclosed ${{") + start;
            out.push_str(&self.value(rest[start + 3..end].trim()));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// An `if:`: `a == 'b'`, `a != 'b'`, joined by `&&` and `||`.
    fn condition(&self, cond: &str) -> bool {
        let cond = cond.trim();
        let cond = cond
            .strip_prefix("${{")
            .and_then(|c| c.strip_suffix("}}"))
            .unwrap_or(cond);
        cond.split("||").any(|any| {
            any.split("&&").all(|atom| {
                if let Some((a, b)) = atom.split_once("!=") {
                    self.value(a.trim()) != self.value(b.trim())
                } else if let Some((a, b)) = atom.split_once("==") {
                    self.value(a.trim()) == self.value(b.trim())
                } else {
                    !self.value(atom.trim()).is_empty()
                }
            })
        })
    }

    fn value(&self, expr: &str) -> String {
        if let Some(lit) = expr.strip_prefix('\'').and_then(|e| e.strip_suffix('\'')) {
            return lit.into();
        }
        let parts: Vec<&str> = expr.split('.').collect();
        match parts.as_slice() {
            ["steps", id, "outputs", name] => self
                .outputs
                .get(*id)
                .and_then(|o| o.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["env", name] => self.env.get(*name).cloned().unwrap_or_default(),
            ["runner", "os"] => "Linux".into(),
            _ if expr.starts_with("hashFiles(") => format!("hash-of-{expr}"),
            ["runner", "arch"] => match std::env::consts::ARCH {
                "aarch64" => "ARM64".into(),
                _ => "X64".into(),
            },
            _ => panic!("the test does not simulate the expression `{expr}`"),
        }
    }
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
                // ("Cite this" downloads: the essay's record in the page.)
                if url.starts_with('#') || url.is_empty() || url.starts_with("data:application/") {
                    continue;
                }
                assert!(
                    url.starts_with("/reader/")
                        || url.starts_with("https://example.github.io/reader/")
                        // Dublin Core's schema, declared for the DC.* meta tags (not a link).
                        || url == "http://purl.org/dc/elements/1.1/"
                        || url.starts_with("/__scholion"),
                    "{}: `{url}` escapes the base path",
                    rel.display()
                );
            }
        }
    }
}
