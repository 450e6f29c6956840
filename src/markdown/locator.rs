//! Locators as positions in a source: `p. 3`, `pp. 10-12`, `ch. 2`, `sec. 4.2`, `xiv`,
//! `para. 7`, `¶ 12` parsed into values that compare in the source's own order, so the
//! commentary on a source can be listed in the order of the passages it discusses.
//!
//! Order: by kind first, from the largest division to the smallest (volume, book, part,
//! chapter, section, page, paragraph, line, verse, column, then figure, table, note); within
//! a kind, roman numerals (front matter: `xiv`) before arabic numbers, then number by number
//! of a dotted value (`4.2` before `4.10`), then by the end of a range.

use super::LocatorKind;

/// Where a locator points: comparable, and able to say whether it covers a number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    kind: u8,
    /// Not a roman numeral (front matter sorts first).
    arabic: bool,
    start: Vec<u32>,
    end: Vec<u32>,
    /// Every range of the value (`33, 35-37`), first numbers only.
    ranges: Vec<(u32, u32)>,
}

fn rank(kind: LocatorKind) -> u8 {
    use LocatorKind as L;
    match kind {
        L::Volume => 0,
        L::Book => 1,
        L::Part => 2,
        L::Chapter => 3,
        L::Section => 4,
        L::Page => 5,
        L::Paragraph => 6,
        L::Line => 7,
        L::Verse => 8,
        L::Column => 9,
        L::Figure => 10,
        L::Table => 11,
        L::Note => 12,
        _ => 13,
    }
}

/// A roman numeral's value (`xiv` → 14), any case.
fn roman(word: &str) -> Option<u32> {
    let digit = |c: char| match c.to_ascii_lowercase() {
        'i' => Some(1),
        'v' => Some(5),
        'x' => Some(10),
        'l' => Some(50),
        'c' => Some(100),
        'd' => Some(500),
        'm' => Some(1000),
        _ => None,
    };
    let values: Vec<u32> = word.chars().map(digit).collect::<Option<_>>()?;
    if values.is_empty() || values.len() > 12 {
        return None;
    }
    let mut total = 0u32;
    for (i, v) in values.iter().enumerate() {
        match values.get(i + 1) {
            Some(next) if next > v => total = total.saturating_sub(*v),
            _ => total = total.saturating_add(*v),
        }
    }
    Some(total)
}

/// One end of a range: `4.2` → ([4, 2], arabic), `xiv` → ([14], roman).
fn point(text: &str) -> Option<(Vec<u32>, bool)> {
    let text = text.trim();
    if let Some(n) = roman(text) {
        return Some((vec![n], false));
    }
    let numbers: Vec<u32> = text
        .split(['.', ':'])
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u32>().ok()
        })
        .collect::<Option<_>>()?;
    (!numbers.is_empty()).then_some((numbers, true))
}

/// The position a locator names, or `None` when its value has no number (`the preface`).
pub fn position(kind: LocatorKind, value: &str) -> Option<Position> {
    let mut ranges = Vec::new();
    let mut first: Option<(Vec<u32>, Vec<u32>, bool)> = None;
    for item in value.split([',', ';', '&']) {
        let item = item.trim().trim_start_matches("and ").trim();
        if item.is_empty() {
            continue;
        }
        let (a, b) = match item.split_once(['-', '–', '—']) {
            Some((a, b)) => (a, b),
            None => (item, item),
        };
        let Some((start, arabic)) = point(a) else {
            continue;
        };
        let end = point(b).map_or_else(|| start.clone(), |(e, _)| e);
        ranges.push((start[0], end[0].max(start[0])));
        if first.is_none() {
            first = Some((start, end, arabic));
        }
    }
    let (start, end, arabic) = first?;
    Some(Position {
        kind: rank(kind),
        arabic,
        start,
        end,
        ranges,
    })
}

impl Position {
    /// Whether the locator covers number `n` (`para. 10-12` covers 11).
    pub fn covers(&self, n: u32) -> bool {
        self.ranges.iter().any(|(a, b)| (*a..=*b).contains(&n))
    }

    /// Every number its ranges cover (`para. 10-12` → 10, 11, 12); a range longer than `max`
    /// gives its first number only.
    pub fn numbers(&self, max: u32) -> Vec<u32> {
        let mut out = Vec::new();
        for &(a, b) in &self.ranges {
            if b - a >= max {
                out.push(a);
            } else {
                out.extend(a..=b);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The first number it names (`para. 10-12` → 10).
    pub fn first(&self) -> Option<u32> {
        self.start.first().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LocatorKind as L;

    #[test]
    fn locators_sort_in_the_source_order() {
        let mut cited = vec![
            (L::Page, "3"),
            (L::Page, "10-12"),
            (L::Chapter, "2"),
            (L::Paragraph, "7"),
            (L::Paragraph, "12"),
            (L::Section, "4.2"),
            (L::Section, "4.10"),
            (L::Page, "xiv"),
            (L::Page, "33, 35-37"),
        ];
        cited.sort_by_key(|(k, v)| position(*k, v).unwrap());
        let order: Vec<&str> = cited.iter().map(|(_, v)| *v).collect();
        assert_eq!(
            order,
            [
                "2",
                "4.2",
                "4.10",
                "xiv",
                "3",
                "10-12",
                "33, 35-37",
                "7",
                "12"
            ]
        );
    }

    #[test]
    fn ranges_cover_their_numbers() {
        let p = position(L::Paragraph, "10–12").unwrap();
        assert!(p.covers(10) && p.covers(11) && p.covers(12) && !p.covers(13));
        let p = position(L::Paragraph, "3, 5-6").unwrap();
        assert!(p.covers(3) && !p.covers(4) && p.covers(6));
        assert_eq!(position(L::Page, "the preface"), None);
        assert_eq!(roman("xiv"), Some(14));
        assert_eq!(roman("MCMXCII"), Some(1992));
    }
}
