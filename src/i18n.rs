//! The theme's language: the translation tables compiled in from `themes/default/i18n/`
//! (English, German, French, Spanish, Simplified Chinese, Japanese), the one `book.language`
//! picks (by the whole tag, then its primary subtag: `zh-Hans` → `zh`; unknown → English with
//! a warning), `[translations]` overrides from book.toml (an unknown key is an error), plural
//! categories, number and date formatting, text direction, and collation (ICU, through the
//! `icu_collator` that hayagriva already builds).

use crate::config::{CONFIG_FILE, Config, setting_at};
use crate::diagnostics::{Diagnostic, Location, did_you_mean};
use std::cmp::Ordering;
use std::collections::BTreeMap;
#[cfg(test)]
use std::path::Path;

/// The shipped tables: language id → TOML text.
pub const BUILTIN: &[(&str, &str)] = &[
    ("en", include_str!("../themes/default/i18n/en.toml")),
    ("de", include_str!("../themes/default/i18n/de.toml")),
    ("fr", include_str!("../themes/default/i18n/fr.toml")),
    ("es", include_str!("../themes/default/i18n/es.toml")),
    ("zh", include_str!("../themes/default/i18n/zh.toml")),
    ("ja", include_str!("../themes/default/i18n/ja.toml")),
];

/// The plural categories a counted phrase may have (CLDR's names).
pub const CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// One entry of a translation table.
#[derive(Debug, Clone, PartialEq)]
pub enum Text {
    /// A plain string.
    Str(String),
    /// A list (the month names).
    List(Vec<String>),
    /// A counted phrase: plural category → text with `{n}`.
    Forms(BTreeMap<String, String>),
}

/// The theme's text for one site.
#[derive(Debug, Clone)]
pub struct Translations {
    /// `book.language` as written (`zh-Hans`): the `lang` of every page.
    pub language: String,
    /// Its primary subtag, lower-cased (`zh`): plural rules, collation fallback.
    pub primary: String,
    /// Every key of the table, overrides applied.
    pub table: BTreeMap<String, Text>,
}

fn parse_table(text: &str) -> BTreeMap<String, Text> {
    let value: toml::Table = toml::from_str(text).unwrap_or_default();
    value
        .into_iter()
        .filter_map(|(k, v)| Some((k, text_of(&v)?)))
        .collect()
}

fn text_of(v: &toml::Value) -> Option<Text> {
    match v {
        toml::Value::String(s) => Some(Text::Str(s.clone())),
        toml::Value::Array(items) => Some(Text::List(
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?,
        )),
        toml::Value::Table(t) => Some(Text::Forms(
            t.iter()
                .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect::<Option<BTreeMap<_, _>>>()?,
        )),
        _ => None,
    }
}

/// The shipped table for a language tag: the whole tag, then its primary subtag.
pub fn builtin_for(tag: &str) -> Option<&'static str> {
    let lower = tag.trim().to_ascii_lowercase().replace('_', "-");
    let primary = lower.split('-').next().unwrap_or("");
    BUILTIN
        .iter()
        .find(|(id, _)| *id == lower)
        .or_else(|| BUILTIN.iter().find(|(id, _)| *id == primary))
        .map(|(_, text)| *text)
}

impl Translations {
    /// English, with no overrides (for tests and defaults).
    pub fn english() -> Translations {
        Translations {
            language: "en".into(),
            primary: "en".into(),
            table: parse_table(BUILTIN[0].1),
        }
    }

    /// The table for `config` (`book.language` and `[translations]`), with the problems:
    /// an unknown language is a warning, an unknown key or a value of the wrong shape an
    /// error. `config_text` is book.toml's text, for locations.
    pub fn load(config: &Config, config_text: &str) -> (Translations, Vec<Diagnostic>) {
        let mut problems = Vec::new();
        let language = config.book.language.trim().to_string();
        let language = if language.is_empty() {
            "en".to_string()
        } else {
            language
        };
        let primary = language
            .to_ascii_lowercase()
            .split(['-', '_'])
            .next()
            .unwrap_or("en")
            .to_string();
        let english = parse_table(BUILTIN[0].1);
        let mut table = english.clone();
        match builtin_for(&language) {
            Some(text) => table.extend(parse_table(text)),
            None => problems.push(
                Diagnostic::warning(if config.translations.is_empty() {
                    format!(
                        "the built-in theme has no translation for the language `{language}`; its text stays English"
                    )
                } else {
                    format!(
                        "the built-in theme has no translation for the language `{language}`; keys not in `[translations]` stay English"
                    )
                })
                .at(setting_at(config_text, "book", "language"))
                .hint(format!(
                    "translate it with a `[translations]` table in {CONFIG_FILE} (the keys are listed in docs/PRODUCT.md), or use one of {}",
                    BUILTIN.iter().map(|(id, _)| format!("`{id}`")).collect::<Vec<_>>().join(", ")
                )),
            ),
        }
        for (key, value) in &config.translations {
            let at = || translation_at(config_text, key);
            let Some(english_value) = english.get(key) else {
                problems.push(
                    Diagnostic::error(format!("unknown translation key `{key}`"))
                        .at(at())
                        .hint(
                            did_you_mean(key, english.keys().map(String::as_str)).unwrap_or_else(
                                || {
                                    "the theme's translation keys are listed in docs/PRODUCT.md"
                                        .into()
                                },
                            ),
                        ),
                );
                continue;
            };
            let shape_ok = match (english_value, text_of(value)) {
                (Text::Str(_), Some(Text::Str(s))) => Some(Text::Str(s)),
                (Text::List(e), Some(Text::List(l))) if l.len() == e.len() => Some(Text::List(l)),
                (Text::Forms(_), Some(Text::Forms(f)))
                    if f.contains_key("other")
                        && f.keys().all(|k| CATEGORIES.contains(&k.as_str())) =>
                {
                    Some(Text::Forms(f))
                }
                // A plain string for a counted phrase: the same text for every number.
                (Text::Forms(_), Some(Text::Str(s))) => {
                    Some(Text::Forms(BTreeMap::from([("other".to_string(), s)])))
                }
                _ => None,
            };
            match shape_ok {
                Some(text) => {
                    table.insert(key.clone(), text);
                }
                None => {
                    let want = match english_value {
                        Text::Str(_) => "a string".to_string(),
                        Text::List(e) => format!("a list of {} strings", e.len()),
                        Text::Forms(_) => "a table of plural forms with at least `other` (`one`, `two`, `few`, `many`, `zero`, `other`), or a string".to_string(),
                    };
                    problems.push(
                        Diagnostic::error(format!("the translation `{key}` must be {want}"))
                            .at(at())
                            .hint(match english_value {
                                Text::List(e) => {
                                    format!("write all {} items in order, as in docs/PRODUCT.md", e.len())
                                }
                                Text::Forms(_) => "write e.g. `{ one = \"{n} use\", other = \"{n} uses\" }`: `{n}` stands for the number".to_string(),
                                Text::Str(_) => format!("write `{key} = \"…\"`"),
                            }),
                    );
                }
            }
        }
        (
            Translations {
                language,
                primary,
                table,
            },
            problems,
        )
    }

    pub fn str(&self, key: &str) -> &str {
        match self.table.get(key) {
            Some(Text::Str(s)) => s,
            _ => "",
        }
    }

    /// `dir` of the pages: `rtl` for Arabic, Hebrew, Persian and Urdu.
    pub fn dir(&self) -> &'static str {
        if is_rtl(&self.primary) { "rtl" } else { "ltr" }
    }

    /// A counted phrase (`key` names a table of plural forms) for `n`.
    pub fn count(&self, key: &str, n: u64) -> String {
        let text = match self.table.get(key) {
            Some(Text::Forms(forms)) => forms
                .get(plural_category(&self.primary, n))
                .or_else(|| forms.get("other"))
                .map_or("", String::as_str),
            Some(Text::Str(s)) => s.as_str(),
            _ => "",
        };
        text.replace("{n}", &self.number(n))
    }

    /// `n` with the language's thousands separator (`10,000`, `10.000`).
    pub fn number(&self, n: u64) -> String {
        format_number(n, self.str("thousands_separator"))
    }

    /// An ISO date (`2026-11-16`) in the language's long form; other text as it is.
    pub fn long_date(&self, iso: &str) -> String {
        let months = match self.table.get("months") {
            Some(Text::List(m)) => m.as_slice(),
            _ => &[],
        };
        format_date(iso, self.str("date_format"), months)
    }
}

/// An ISO date in `format`: `{day}`, `{month}` (its name from `months`), `{m}` (its
/// number), `{year}`; text that is not a date is returned as it is.
pub fn format_date(iso: &str, format: &str, months: &[String]) -> String {
    let Ok(d) = iso.parse::<jiff::civil::Date>() else {
        return iso.to_string();
    };
    let month = months
        .get(d.month() as usize - 1)
        .map_or("", String::as_str);
    format
        .replace("{day}", &d.day().to_string())
        .replace("{month}", month)
        .replace("{m}", &d.month().to_string())
        .replace("{year}", &d.year().to_string())
}

/// Where `key` is set in book.toml's `[translations]`.
fn translation_at(config_text: &str, key: &str) -> Location {
    setting_at(config_text, "translations", key)
}

pub fn is_rtl(primary: &str) -> bool {
    matches!(
        primary,
        "ar" | "he" | "iw" | "fa" | "ur" | "yi" | "ps" | "sd" | "ug" | "dv" | "ckb"
    )
}

pub fn format_number(n: u64, separator: &str) -> String {
    let digits = n.to_string();
    if n < 1000 || separator.is_empty() {
        return digits;
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push_str(separator);
        }
        out.push(c);
    }
    out
}

/// CLDR's plural category of a whole number `n` in a language (its primary subtag), for the
/// languages whose rules differ from English's; others follow English (`one` for 1).
pub fn plural_category(primary: &str, n: u64) -> &'static str {
    let (n10, n100) = (n % 10, n % 100);
    match primary {
        "zh" | "ja" | "ko" | "vi" | "th" | "id" | "ms" | "lo" | "my" | "km" => "other",
        "fr" | "pt" => {
            if n < 2 {
                "one"
            } else {
                "other"
            }
        }
        "ar" => match n {
            0 => "zero",
            1 => "one",
            2 => "two",
            _ if (3..=10).contains(&n100) => "few",
            _ if (11..=99).contains(&n100) => "many",
            _ => "other",
        },
        "he" | "iw" => match n {
            1 => "one",
            2 => "two",
            _ => "other",
        },
        "ru" | "uk" | "be" => {
            if n10 == 1 && n100 != 11 {
                "one"
            } else if (2..=4).contains(&n10) && !(12..=14).contains(&n100) {
                "few"
            } else {
                "many"
            }
        }
        "pl" => {
            if n == 1 {
                "one"
            } else if (2..=4).contains(&n10) && !(12..=14).contains(&n100) {
                "few"
            } else {
                "many"
            }
        }
        _ => {
            if n == 1 {
                "one"
            } else {
                "other"
            }
        }
    }
}

/// A comparison of strings by a language's collation rules (ICU root rules for a language
/// ICU does not know; code-point order if even those cannot load).
pub struct Collation {
    collator: Option<icu_collator::CollatorBorrowed<'static>>,
}

impl Collation {
    pub fn new(language: &str) -> Collation {
        let locale = language
            .parse::<icu_locale_core::Locale>()
            .unwrap_or(icu_locale_core::Locale::UNKNOWN);
        let collator = icu_collator::Collator::try_new(
            (&locale).into(),
            icu_collator::options::CollatorOptions::default(),
        )
        .ok();
        Collation { collator }
    }

    pub fn compare(&self, a: &str, b: &str) -> Ordering {
        match &self.collator {
            Some(c) => c.compare(a, b).then_with(|| a.cmp(b)),
            None => a.cmp(b),
        }
    }
}

/// The letter a glossary groups a name under: its first letter, upper-cased, with its
/// accents removed (`Äquivalenz` → `A`); a CJK name's first character; `#` for a name that
/// starts with no letter.
pub fn index_letter(name: &str) -> String {
    let Some(c) = name.chars().find(|c| !c.is_whitespace()) else {
        return "#".into();
    };
    if !c.is_alphabetic() {
        return "#".into();
    }
    if crate::markdown::tokenize::is_cjk(c) {
        return c.to_string();
    }
    let folded = crate::markdown::tokenize::normalize(&c.to_string());
    let first = folded.chars().next().unwrap_or(c);
    first.to_uppercase().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_table_has_exactly_the_english_keys_and_shapes() {
        let english = parse_table(BUILTIN[0].1);
        assert!(english.len() > 50);
        for (id, text) in BUILTIN {
            let table = parse_table(text);
            let missing: Vec<_> = english.keys().filter(|k| !table.contains_key(*k)).collect();
            let extra: Vec<_> = table.keys().filter(|k| !english.contains_key(*k)).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{id}: missing {missing:?}, extra {extra:?}"
            );
            for (k, v) in &table {
                let same = matches!(
                    (v, &english[k]),
                    (Text::Str(_), Text::Str(_)) | (Text::Forms(_), Text::Forms(_))
                ) || matches!((v, &english[k]), (Text::List(a), Text::List(b)) if a.len() == b.len());
                assert!(same, "{id}: `{k}` has another shape than in English");
                if let Text::Forms(f) = v {
                    assert!(f.contains_key("other"), "{id}: `{k}` has no `other` form");
                }
            }
        }
    }

    #[test]
    fn language_falls_back_by_primary_subtag_and_unknown_is_english_with_a_warning() {
        let mut config = Config::default();
        config.book.language = "zh-Hans".into();
        let (t, problems) = Translations::load(&config, "");
        assert!(problems.is_empty());
        assert_eq!(t.str("glossary"), "术语表");
        assert_eq!(t.long_date("2026-11-16"), "2026年11月16日");
        config.book.language = "de-AT".into();
        let (t, _) = Translations::load(&config, "");
        assert_eq!(t.long_date("2026-11-16"), "16. November 2026");
        assert_eq!(t.count("uses", 1), "1 Verwendung");
        assert_eq!(t.count("uses", 12000), "12.000 Verwendungen");
        config.book.language = "xx".into();
        let (t, problems) = Translations::load(&config, "");
        assert_eq!(t.str("glossary"), "Glossary");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("`xx`"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn overrides_replace_keys_and_unknown_keys_are_errors_with_a_hint() {
        let text = "[book]\nlanguage = \"ar\"\n\n[translations]\nglossary = \"مسرد\"\nglosary = \"x\"\nuses = { zero = \"لا استخدام\", other = \"{n} استخدامات\" }\nmonths = [\"a\"]\n";
        let config = Config::parse(Path::new("book.toml"), text).unwrap();
        let (t, problems) = Translations::load(&config, text);
        assert_eq!(t.str("glossary"), "مسرد");
        assert_eq!(t.dir(), "rtl");
        assert_eq!(t.count("uses", 0), "لا استخدام");
        assert_eq!(t.count("uses", 5), "5 استخدامات");
        let messages: Vec<_> = problems.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown translation key `glosary`")),
            "{messages:?}"
        );
        let typo = problems
            .iter()
            .find(|d| d.message.contains("glosary"))
            .unwrap();
        assert_eq!(typo.hint.as_deref(), Some("did you mean `glossary`?"));
        assert_eq!(typo.location.as_ref().unwrap().line, 6);
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`months` must be a list of 12")),
            "{messages:?}"
        );
    }

    #[test]
    fn collation_follows_the_language() {
        let mut names = vec!["Zebra", "Äpfel", "Apfel", "Bär", "öde", "Ofen"];
        let de = Collation::new("de");
        names.sort_by(|a, b| de.compare(a, b));
        assert_eq!(names, ["Apfel", "Äpfel", "Bär", "öde", "Ofen", "Zebra"]);
        let sv = Collation::new("sv");
        names.sort_by(|a, b| sv.compare(a, b));
        assert_eq!(
            names.last(),
            Some(&"öde"),
            "Swedish puts ö after z: {names:?}"
        );
        assert_eq!(index_letter("Äquivalenz"), "A");
        assert_eq!(index_letter("网络主权"), "网");
        assert_eq!(index_letter("2014"), "#");
    }
}
