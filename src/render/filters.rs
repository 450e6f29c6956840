//! Small template filters written with jiff and slug (instead of tera-contrib, whose date
//! feature drags in ICU), and the language-aware ones, which read the page's translation
//! table (`t`) and `site.language` from the template context:
//! - `{{ n | count(key="uses") }}`: the counted phrase `key` for `n` (plural form and number
//!   format of the language);
//! - `{{ "2026-11-16" | long_date }}`: the date in the language's long form.

use tera::{Kwargs, State, Tera, TeraResult, Value};

use crate::i18n;

pub fn register(tera: &mut Tera) {
    tera.register_filter("slugify", |s: &str, _: Kwargs, _: &State| slug::slugify(s));
    tera.register_filter("long_date", |s: &str, _: Kwargs, state: &State| {
        long_date(s, state)
    });
    tera.register_filter("count", |n: Value, kwargs: Kwargs, state: &State| {
        count(&n, &kwargs, state)
    });
}

/// The context's translation table and the primary subtag of the site's language.
fn table(state: &State) -> TeraResult<(Value, String)> {
    let t = state.get::<Value>("t")?.unwrap_or_else(Value::none);
    let site = state.get::<Value>("site")?.unwrap_or_else(Value::none);
    let language = site
        .get_from_path("language")
        .and_then(Value::as_str)
        .unwrap_or("en")
        .to_ascii_lowercase();
    let primary = language
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_string();
    Ok((t, primary))
}

fn str_at<'v>(t: &'v Value, key: &'v str) -> &'v str {
    t.get_from_path(key).and_then(Value::as_str).unwrap_or("")
}

/// `2014-11-19` → `19 November 2014` (`19. November 2014`, `2014年11月19日` …).
fn long_date(iso: &str, state: &State) -> TeraResult<String> {
    let (t, _) = table(state)?;
    let months: Vec<String> = t
        .get_from_path("months")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default();
    let format = match str_at(&t, "date_format") {
        "" => "{day} {month} {year}",
        f => f,
    };
    Ok(i18n::format_date(iso, format, &months))
}

fn count(n: &Value, kwargs: &Kwargs, state: &State) -> TeraResult<String> {
    let key: &str = kwargs.must_get("key")?;
    let n = n
        .as_u64()
        .or_else(|| n.as_i64().map(|i| i.max(0) as u64))
        .unwrap_or(0);
    let (t, primary) = table(state)?;
    let entry = t.get_from_path(key);
    let text = match entry {
        Some(v) if v.is_map() => {
            let form = |c: &'static str| v.get_from_path(c).and_then(Value::as_str);
            form(i18n::plural_category(&primary, n))
                .or_else(|| form("other"))
                .unwrap_or("")
        }
        Some(v) => v.as_str().unwrap_or(""),
        None => "",
    };
    Ok(text.replace(
        "{n}",
        &i18n::format_number(n, str_at(&t, "thousands_separator")),
    ))
}
