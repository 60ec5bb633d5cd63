//! What a search query may say, checked before it reaches the index.
//!
//! The grammar is small on purpose: words (all must match), `"exact
//! phrases"`, `#hashtags` and `-excluded` words. Punctuation inside a quoted
//! phrase is fine (the analyzer drops it); outside quotes, the characters
//! other engines read as operators (`( ) [ ] { } * : ~ ^ \ / + | & < > =`)
//! are refused with a 400 saying what is understood, rather than silently
//! meaning something the user did not ask for.

use chorus_core::{ApiError, ApiResult};

/// Longer queries are refused: no one types more, and a long one is work.
pub const MAX_QUERY_CHARS: usize = 256;

/// A checked query, before analysis (stemming happens in the index).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    /// Words every result must contain (each may analyze to several terms).
    pub words: Vec<String>,
    /// Quoted runs of words that must appear in this order.
    pub phrases: Vec<String>,
    /// Hashtags, lowercase, without `#`.
    pub hashtags: Vec<String>,
    /// Words no result may contain.
    pub excluded: Vec<String>,
}

/// Sentence punctuation allowed around words; it never means an operator.
const PLAIN_PUNCTUATION: &[char] = &['.', ',', '!', '?', ';', '\'', '_', '-', '#', '@'];

impl SearchQuery {
    /// `q` as sent: 400 `validation_failed` on `q` when empty, too long, or
    /// using syntax this grammar does not have.
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let raw = raw.unwrap_or("").trim();
        if raw.is_empty() {
            return Err(invalid("is required: the words to search for"));
        }
        if raw.chars().count() > MAX_QUERY_CHARS {
            return Err(invalid(format!(
                "must be at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let mut query = SearchQuery::default();
        let mut rest = raw;
        while let Some(start) = rest.find('"') {
            query.add_words(&rest[..start])?;
            let after = &rest[start + 1..];
            let end = after
                .find('"')
                .ok_or_else(|| invalid("has a quote that is not closed"))?;
            let phrase = after[..end].trim();
            if !phrase.is_empty() {
                query.phrases.push(phrase.to_string());
            }
            rest = &after[end + 1..];
        }
        query.add_words(rest)?;
        if query.words.is_empty() && query.phrases.is_empty() && query.hashtags.is_empty() {
            return Err(invalid(
                "has nothing to search for: give at least one word, \"phrase\" or #hashtag",
            ));
        }
        Ok(query)
    }

    fn add_words(&mut self, text: &str) -> ApiResult<()> {
        if let Some(bad) = text
            .chars()
            .find(|c| !(c.is_alphanumeric() || c.is_whitespace() || PLAIN_PUNCTUATION.contains(c)))
        {
            return Err(invalid(format!(
                "uses {bad:?}, which is not search syntax here: search takes words, \"exact phrases\", #hashtags and -excluded words"
            )));
        }
        for word in text.split_whitespace() {
            if let Some(excluded) = word.strip_prefix('-') {
                if has_letters(excluded) {
                    self.excluded.push(excluded.to_string());
                }
            } else if let Some(tag) = word.strip_prefix('#') {
                let tag = hashtag(tag);
                if !tag.is_empty() {
                    self.hashtags.push(tag);
                }
            } else if has_letters(word) {
                self.words.push(word.to_string());
            }
        }
        Ok(())
    }

    /// One line that two equal queries share whatever their spacing or case:
    /// the key cached results are kept under.
    pub fn normalized(&self) -> String {
        let lower = |items: &[String]| -> Vec<String> {
            let mut items: Vec<String> = items.iter().map(|i| i.to_lowercase()).collect();
            items.sort();
            items.dedup();
            items
        };
        format!(
            "w:{:?} p:{:?} h:{:?} x:{:?}",
            lower(&self.words),
            lower(&self.phrases),
            lower(&self.hashtags),
            lower(&self.excluded)
        )
    }

    /// Everything the query says, as plain text (for users and hashtags,
    /// which match prefixes of names rather than analyzed words).
    pub fn plain_words(&self) -> Vec<String> {
        let mut words = Vec::new();
        for text in self.words.iter().chain(&self.phrases).chain(&self.hashtags) {
            for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !word.is_empty() {
                    words.push(word.to_lowercase());
                }
            }
        }
        words
    }
}

/// A hashtag as posts store them: lowercase letters, digits and `_`.
pub fn hashtag(raw: &str) -> String {
    raw.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .flat_map(char::to_lowercase)
        .collect()
}

fn has_letters(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid_field("q", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> SearchQuery {
        SearchQuery::parse(Some(raw)).expect("a valid query")
    }

    fn refused(raw: Option<&str>) -> String {
        let error = SearchQuery::parse(raw).expect_err("refused");
        assert_eq!(error.status.as_u16(), 400, "{raw:?}");
        error.message
    }

    #[test]
    fn words_phrases_hashtags_and_exclusions_are_told_apart() {
        let query = parse(r#"rust "async runtime" #Tokio -java what?"#);
        assert_eq!(query.words, ["rust", "what?"]);
        assert_eq!(query.phrases, ["async runtime"]);
        assert_eq!(query.hashtags, ["tokio"]);
        assert_eq!(query.excluded, ["java"]);
    }

    #[test]
    fn punctuation_inside_quotes_is_allowed() {
        assert_eq!(parse(r#""(a*b):c""#).phrases, ["(a*b):c"]);
    }

    #[test]
    fn empty_long_and_unclosed_queries_are_refused() {
        assert!(refused(None).contains("required"));
        assert!(refused(Some("   ")).contains("required"));
        assert!(refused(Some(&"a".repeat(10 * 1024))).contains("256"));
        assert!(refused(Some(r#"say "hello"#)).contains("quote"));
    }

    #[test]
    fn operator_syntax_is_refused_with_what_is_understood() {
        for raw in [
            "title:rust",
            "(rust",
            "rust*",
            "a AND (b OR c)",
            "x~2",
            "a^3",
            r"a\b",
        ] {
            assert!(refused(Some(raw)).contains("exact phrases"), "{raw}");
        }
    }

    #[test]
    fn a_query_of_only_exclusions_or_marks_has_nothing_to_search() {
        for raw in ["-java", "#", "!!! ???", "\"\""] {
            assert!(refused(Some(raw)).contains("nothing to search"), "{raw}");
        }
    }

    #[test]
    fn equal_queries_normalize_alike() {
        assert_eq!(
            parse("Rust  async #X").normalized(),
            parse("async rust #x").normalized()
        );
        assert_ne!(parse("rust").normalized(), parse("\"rust\"").normalized());
    }
}
