//! Release archives and the README's install path: what a new user runs, on a machine
//! with no Rust toolchain, against a locally served release made by `scripts/release.sh`.

use std::path::Path;
use std::process::Command;

use crate::support::*;

/// Where the project's releases are: derived from Cargo.toml's `repository`.
const RELEASES: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/releases/download");

/// The first ```sh block of the README's `## Install` section.
fn readme_install_command() -> String {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let section = readme
        .split("\n## Install\n")
        .nth(1)
        .expect("README has an `## Install` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("a ```sh block in the Install section");
    block.trim().to_string()
}

/// A folder of links to exactly the tools the installer may use (like a bare container):
/// a POSIX shell and coreutils, curl, tar and gzip. No cargo, no rustc.
fn bare_tools(dir: &Path) -> std::path::PathBuf {
    let bin = dir.join("bare-bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in [
        "sh",
        "curl",
        "tar",
        "gzip",
        "sha256sum",
        "mktemp",
        "uname",
        "cut",
        "mkdir",
        "cp",
        "chmod",
        "mv",
        "rm",
    ] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap_or_else(|| panic!("this machine has no {tool}"));
        std::os::unix::fs::symlink(found, bin.join(tool)).unwrap();
    }
    bin
}

/// Every `v<major>.<minor>.<patch>` the text names.
fn versions_named(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for (i, _) in text.match_indices('v') {
        let before = text[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
            continue;
        }
        let rest = &text[i + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let v = rest[..end].trim_end_matches('.');
        if v.split('.').count() == 3 && v.split('.').all(|p| !p.is_empty()) {
            found.push(v);
        }
    }
    found
}

#[test]
fn readme_names_only_this_version() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let versions = versions_named(&readme);
    assert!(versions.len() >= 3, "{versions:?}");
    assert!(
        versions.iter().all(|v| *v == env!("CARGO_PKG_VERSION")),
        "the README's install commands name {versions:?}, Cargo.toml {}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        versions_named("see v1.2.3, nv1.0.0 and v2.0"),
        vec!["1.2.3"]
    );
}

#[test]
fn readme_install_command_installs_a_working_scholion_without_rust() {
    let version = env!("CARGO_PKG_VERSION");
    let command = readme_install_command();
    assert_eq!(
        command,
        format!("curl -fsSL {RELEASES}/v{version}/install.sh | sh"),
        "the README installs this version, from the project's releases"
    );
    let server = FileServer::start(release_downloads());
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let clean = dir.path().join("clean");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&clean).unwrap();
    let path = bare_tools(dir.path());
    let sh = |script: &str| {
        Command::new(path.join("sh"))
            .args(["-c", script])
            .current_dir(&clean)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", &home)
            // The installer fetches its archive from the same (here: local) releases.
            .env("SCHOLION_RELEASES", server.url())
            .output()
            .unwrap()
    };
    let no_rust = sh("command -v cargo || command -v rustc || command -v rustup");
    assert!(!no_rust.status.success(), "a Rust toolchain is reachable");
    let out = sh(&command.replace(RELEASES, &server.url()));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    let installed = home.join(".local/bin/scholion");
    assert!(
        log.contains(&format!(
            "installed scholion {version} to {}",
            installed.display()
        )),
        "{log}"
    );
    assert!(log.contains("is not on your PATH"), "{log}");
    // The installed binary works: the README's next step, a reader built from `init`.
    let out = sh(&format!(
        "'{0}' init my-reader && '{0}' build my-reader",
        installed.display()
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(clean.join("my-reader/public/index.html").is_file());
    assert_eq!(
        crawl(&clean.join("my-reader/public"), "/"),
        Vec::<String>::new()
    );
}

#[test]
fn installer_refuses_an_archive_whose_checksum_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let downloads = dir.path().join("downloads");
    copy_dir(release_downloads(), &downloads);
    let version = env!("CARGO_PKG_VERSION");
    let sum = downloads.join(format!(
        "v{version}/scholion-v{version}-{}.tar.gz.sha256",
        release_target()
    ));
    let text = std::fs::read_to_string(&sum).unwrap();
    let flipped = if text.starts_with('0') { "1" } else { "0" };
    std::fs::write(&sum, format!("{flipped}{}", &text[1..])).unwrap();
    let server = FileServer::start(&downloads);
    let home = dir.path().join("home");
    let out = Command::new("sh")
        .arg(downloads.join(format!("v{version}/install.sh")))
        .env("HOME", &home)
        .env("SCHOLION_RELEASES", server.url())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("checksum mismatch") && err.contains("nothing installed"),
        "{err}"
    );
    assert!(!home.join(".local/bin/scholion").exists());
}

#[test]
fn release_archive_is_reproducible_and_holds_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    pack_release(dir.path());
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("scholion-v{version}-{}", release_target());
    let ours = |d: &Path, f: &str| std::fs::read(d.join(f)).unwrap();
    let shared = release_downloads().join(format!("v{version}"));
    for f in [format!("{name}.tar.gz"), format!("{name}.tar.gz.sha256")] {
        assert!(
            ours(dir.path(), &f) == ours(&shared, &f),
            "{f} differs between two packs"
        );
    }
    let sums = Command::new("sha256sum")
        .args(["-c", &format!("{name}.tar.gz.sha256")])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "sha256sum -c rejects the release's own checksum file"
    );
    let list = Command::new("tar")
        .arg("-tzf")
        .arg(dir.path().join(format!("{name}.tar.gz")))
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    let mut entries: Vec<&str> = list.lines().collect();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            format!("{name}/"),
            format!("{name}/README.md"),
            format!("{name}/scholion"),
        ]
    );
    let installer = std::fs::read_to_string(dir.path().join("install.sh")).unwrap();
    assert!(installer.contains(&format!("version=\"{version}\"")));
    assert!(!installer.contains("@VERSION@"));
}
