//! Small template filters written with jiff and slug (instead of tera-contrib, whose date
//! feature drags in ICU).

use tera::{Kwargs, State, Tera};

pub fn register(tera: &mut Tera) {
    tera.register_filter("slugify", |s: &str, _: Kwargs, _: &State| slug::slugify(s));
    tera.register_filter("long_date", |s: &str, _: Kwargs, _: &State| long_date(s));
}

/// `2014-11-19` → `19 November 2014`.
pub fn long_date(iso: &str) -> String {
    match iso.parse::<jiff::civil::Date>() {
        Ok(d) => d.strftime("%-d %B %Y").to_string(),
        Err(_) => iso.to_string(),
    }
}
