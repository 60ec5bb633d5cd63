//! The two indexes' fields, and the analyzer post text goes through.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};

/// Words split on anything not a letter or digit, lowercased, accents
/// folded (`café` finds `cafe`), English-stemmed (`running` finds `run`).
pub const TEXT_ANALYZER: &str = "chorus_text";

/// Bumped whenever a field changes: an index built with another version is
/// rebuilt from the owning services at start.
pub const SCHEMA_VERSION: u32 = 1;

pub fn text_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build()
}

/// Indexed as one term, lowercase already (hashtags, usernames, prefixes).
fn exact(fast: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    if fast {
        options.set_fast("raw")
    } else {
        options
    }
}

/// One document per post.
#[derive(Debug, Clone, Copy)]
pub struct PostFields {
    pub id: Field,
    pub author_id: Field,
    /// [`Visibility`](crate::index::Visibility) as a number.
    pub visibility: Field,
    /// Stored too: an edit or a deletion must know the words it takes away
    /// (to invalidate cached results that matched them).
    pub content: Field,
    pub hashtags: Field,
    /// Unix milliseconds.
    pub created_at: Field,
}

impl PostFields {
    pub fn schema() -> (Schema, Self) {
        let mut builder = Schema::builder();
        let content = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TEXT_ANALYZER)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let fields = Self {
            id: builder.add_i64_field("id", INDEXED | FAST),
            author_id: builder.add_i64_field("author_id", INDEXED | FAST),
            visibility: builder.add_u64_field("visibility", INDEXED | FAST),
            content: builder.add_text_field("content", content),
            hashtags: builder.add_text_field("hashtags", exact(true).set_stored()),
            created_at: builder.add_i64_field("created_at", INDEXED | FAST),
        };
        (builder.build(), fields)
    }
}

/// One document per account.
#[derive(Debug, Clone, Copy)]
pub struct UserFields {
    pub id: Field,
    /// Lowercase: an exact match ranks first.
    pub username: Field,
    /// Every prefix of the lowercase username.
    pub username_prefixes: Field,
    /// Every prefix of each lowercase word of the display name.
    pub name_prefixes: Field,
}

impl UserFields {
    pub fn schema() -> (Schema, Self) {
        let mut builder = Schema::builder();
        let fields = Self {
            id: builder.add_i64_field("id", INDEXED | FAST),
            username: builder.add_text_field("username", exact(false)),
            username_prefixes: builder.add_text_field("username_prefixes", exact(false)),
            name_prefixes: builder.add_text_field("name_prefixes", exact(false)),
        };
        (builder.build(), fields)
    }
}

/// The longest prefix indexed: queries are cut to it too.
pub const MAX_PREFIX_CHARS: usize = 30;

/// `alice` → `a`, `al`, `ali`, `alic`, `alice`.
pub fn prefixes(word: &str) -> impl Iterator<Item = String> + '_ {
    word.char_indices()
        .map(|(at, c)| at + c.len_utf8())
        .take(MAX_PREFIX_CHARS)
        .map(|end| word[..end].to_string())
}

/// The lowercase words of a display name.
pub fn name_words(name: &str) -> impl Iterator<Item = String> + '_ {
    name.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_cut_on_characters_not_bytes() {
        let all: Vec<String> = prefixes("zoë").collect();
        assert_eq!(all, ["z", "zo", "zoë"]);
        assert_eq!(prefixes(&"x".repeat(100)).count(), MAX_PREFIX_CHARS);
    }

    #[test]
    fn the_analyzer_stems_folds_and_lowercases() {
        let mut analyzer = text_analyzer();
        let mut stream = analyzer.token_stream("Running CAFÉS, #rust!");
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push(token.text.clone());
        }
        assert_eq!(tokens, ["run", "cafe", "rust"]);
    }
}
