//! Link-preview images: every essay's page points `og:image` at a 1200×630 PNG in the
//! output, made the same way every build, and valid down to its last byte (every chunk's
//! CRC, the zlib stream, the scanlines).

use std::path::Path;

use crate::support::Project;

/// Check a PNG completely: signature, chunk order and CRCs, a palette image whose IDAT
/// inflates to exactly its scanlines, each with a valid filter byte. Returns (width, height).
fn check_png(bytes: &[u8], what: &str) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{what}: signature");
    let mut at = 8;
    let mut kinds = Vec::new();
    let (mut width, mut height, mut depth, mut colour) = (0, 0, 0, 0);
    let mut palette = 0;
    let mut idat = Vec::new();
    while at < bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(bytes[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(
            crc32fast::hash(&bytes[at + 4..at + 8 + len]),
            crc,
            "{what}: CRC of {}",
            String::from_utf8_lossy(kind)
        );
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap());
                height = u32::from_be_bytes(data[4..8].try_into().unwrap());
                depth = data[8];
                colour = data[9];
                assert_eq!(
                    &data[10..],
                    [0, 0, 0],
                    "{what}: compression, filter, interlace"
                );
            }
            b"PLTE" => palette = len / 3,
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        kinds.push(String::from_utf8_lossy(kind).into_owned());
        at += 12 + len;
    }
    assert_eq!(at, bytes.len(), "{what}: trailing bytes");
    assert_eq!(kinds.first().map(String::as_str), Some("IHDR"), "{what}");
    assert_eq!(kinds.last().map(String::as_str), Some("IEND"), "{what}");
    assert_eq!(colour, 3, "{what}: a palette image");
    assert!(
        palette >= 1 && palette <= 1 << depth,
        "{what}: palette of {palette}"
    );
    let rows = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).expect("IDAT inflates");
    let stride = 1 + (width as usize * depth as usize).div_ceil(8);
    assert_eq!(rows.len(), stride * height as usize, "{what}: scanlines");
    for row in rows.chunks(stride) {
        assert!(row[0] <= 4, "{what}: filter type {}", row[0]);
        if depth < 8 {
            // Every pixel's index is in the palette.
            for byte in &row[1..] {
                for k in 0..8 / depth {
                    let index = (byte >> (k * depth)) & ((1 << depth) - 1);
                    assert!((index as usize) < palette, "{what}: index {index}");
                }
            }
        }
    }
    (width, height)
}

fn previews(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(out.join("essays")).unwrap() {
        let png = entry.unwrap().path().join("preview.png");
        if png.exists() {
            found.push((png.display().to_string(), std::fs::read(&png).unwrap()));
        }
    }
    found.sort();
    found
}

#[test]
fn every_essay_has_a_deterministic_valid_preview_image() {
    let p = Project::bundled();
    p.build().assert_ok();
    let essays: Vec<String> = std::fs::read_dir(p.out().join("essays"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(essays.len() >= 5, "{essays:?}");
    for slug in &essays {
        let page = p.page(&format!("/essays/{slug}/"));
        let property = |name: &str| page.attrs(&format!("meta[property='{name}']"), "content");
        let meta = |name: &str| page.attrs(&format!("meta[name='{name}']"), "content");
        let url = property("og:url");
        let image = property("og:image");
        // An absolute URL, beside the page's canonical one, at a file in the output.
        assert_eq!(image, [format!("{}preview.png", url[0])], "{slug}");
        assert!(image[0].starts_with("http"), "{image:?}");
        assert_eq!(meta("twitter:card"), ["summary_large_image"]);
        assert_eq!(meta("twitter:image"), image);
        assert_eq!(property("og:image:width"), ["1200"]);
        assert_eq!(property("og:image:height"), ["630"]);
        assert_eq!(property("og:image:type"), ["image/png"]);
        let alt = property("og:image:alt");
        assert!(alt[0].starts_with(&property("og:title")[0]), "{alt:?}");
        let file = p.out().join("essays").join(slug).join("preview.png");
        let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let size = imagesize::blob_size(&bytes).expect("imagesize reads it");
        assert_eq!((size.width, size.height), (1200, 630), "{slug}");
        assert_eq!(check_png(&bytes, slug), (1200, 630));
        assert!(bytes.len() < 8_000, "{slug}: {} bytes", bytes.len());
    }
    // A second build into another folder makes the same bytes.
    let again = p.path().join("again");
    p.run(&["build", ".", "--out", "again"]).assert_ok();
    let first = previews(&p.out());
    let second = previews(&again);
    assert_eq!(first.len(), essays.len());
    assert_eq!(
        first.iter().map(|(_, b)| b).collect::<Vec<_>>(),
        second.iter().map(|(_, b)| b).collect::<Vec<_>>()
    );
}

#[test]
fn titles_the_font_lacks_or_too_long_to_fit_still_make_an_image() {
    let p = Project::new();
    p.essay("long", "title: \"On the Very Long and Winding Title of an Essay That Goes On and On, Far Beyond Four Lines of Large Letters, Until It Must End\"", "Text.\n")
        .essay("cjk", "title: 网络主权：一个注释读本 — “quoted” Čapek", "Text.\n")
        .essay("word", &format!("title: {}", "x".repeat(300)), "Text.\n");
    p.build().assert_ok();
    for slug in ["long", "cjk", "word"] {
        let bytes = std::fs::read(p.out().join(format!("essays/{slug}/preview.png"))).unwrap();
        assert_eq!(check_png(&bytes, slug), (1200, 630));
    }
}
