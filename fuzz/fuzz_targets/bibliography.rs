//! Bibliography files on arbitrary UTF-8, as BibLaTeX and as hayagriva YAML, through
//! `scholion::index::bibliography::parse_file` (hayagriva's parsers plus our mapping of
//! their error spans to file positions). Must never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use scholion::diagnostics::Location;
use scholion::index::bibliography::parse_file;

fuzz_target!(|text: &str| {
    let path = Path::new("content/references.bib");
    for yaml in [false, true] {
        match parse_file(path, text, yaml) {
            Ok(library) => {
                for entry in library.iter() {
                    let offset = text.find(entry.key()).unwrap_or(0);
                    let _ = Location::at_offset(path, text, offset, entry.key().len());
                }
            }
            Err(diagnostics) => {
                for d in diagnostics {
                    let _ = d.render(false);
                }
            }
        }
    }
});
