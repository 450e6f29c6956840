//! How names are compared: a term's name, aliases, original name and transliteration, and
//! the target of a cross-reference, all meet in one namespace through `name_key`.
//!
//! Two spellings that look the same must be the same name: "café" typed with a precomposed
//! `é` (U+00E9) or as `e` + U+0301 COMBINING ACUTE ACCENT (as macOS file names and some
//! keyboards produce), and "Straße"/"STRASSE", "ΣΊΣΥΦΟΣ"/"σίσυφος". So a key is the
//! canonical caseless form of Unicode (§3.13, D145): decompose (NFD), case-fold fully
//! (Unicode CaseFolding, not `to_lowercase`, which keeps `ß` and final `ς` apart from
//! `ss` and `σ`), then compose again (NFC) so the key is short and printable. Slugs and
//! tag slugs are ASCII already (the `slug` crate transliterates), so their keys are
//! themselves in lower case.

use unicase::UniCase;
use unicode_normalization::UnicodeNormalization as _;

/// The key a name is compared by (see the module documentation).
pub fn name_key(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    let decomposed: String = name.nfd().collect();
    UniCase::new(decomposed).to_folded_case().nfc().collect()
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn spellings_that_look_the_same_have_one_key() {
        assert_eq!(name_key("caf\u{e9}"), name_key("cafe\u{301}"));
        assert_eq!(name_key("Caf\u{c9}"), name_key("cafe\u{301}"));
        assert_eq!(name_key("Straße"), name_key("STRASSE"));
        assert_eq!(name_key("ΣΊΣΥΦΟΣ"), name_key("σίσυφος"));
        assert_eq!(name_key("\u{212a}elvin"), name_key("kelvin"));
        assert_eq!(name_key("Cyber Sovereignty"), "cyber sovereignty");
        assert_ne!(name_key("café"), name_key("cafe"));
    }
}
