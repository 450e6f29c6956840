//! Typed ids of the site model: which essay, term, source or topic a fact is about. They are
//! positions in the loaded content (`Content::essays`, `Content::terms`), the bibliography
//! (`Bibliography::sources`) and the index's topics (`Site::tags`), wrapped so that an essay's
//! number can never be used as a term's.

/// An essay: its position in `Content::essays` (reading order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EssayId(pub usize);

/// A glossary term: its position in `Content::terms` (A–Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermId(pub usize);

/// A bibliography entry: its position in `Bibliography::sources` (the style's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub usize);

/// A primary text: its position in `Content::texts` (by file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextId(pub usize);

/// A file published as it is (`Content::assets`: the content folder's, then `static/`'s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetId(pub usize);

/// A topic (essay tag): its position in `Site::tags` (by slug).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagId(pub usize);

/// A Markdown document of the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocId {
    Home,
    Essay(EssayId),
    Term(TermId),
    Text(TextId),
}

/// Something a use points at: a cross-reference's essay or term, or a citation's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Essay(EssayId),
    Term(TermId),
    Source(SourceId),
}

impl Target {
    /// The document a cross-reference target is (sources are not documents).
    pub fn doc(self) -> Option<DocId> {
        match self {
            Target::Essay(e) => Some(DocId::Essay(e)),
            Target::Term(t) => Some(DocId::Term(t)),
            Target::Source(_) => None,
        }
    }
}
