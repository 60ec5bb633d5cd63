//! Post search: a query to tantivy clauses, ranked by relevance (BM25)
//! lifted by recency, ties broken by id so every instance orders alike.

use chorus_core::Id;
use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, SegmentReader, Term};

use super::{SearchIndex, Visibility};
use crate::query::SearchQuery;

/// A ranked post, with what the viewer filter needs (and nothing the
/// viewer may not learn: bodies come from the posts service afterwards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostHit {
    pub id: Id,
    pub author_id: Id,
    #[serde(with = "visibility_code")]
    pub visibility: Visibility,
}

impl SearchIndex {
    /// The best `k` posts for `query` as of `now_ms`, best first, every
    /// visibility included (the caller filters for its viewer).
    pub fn top_posts(
        &self,
        query: &SearchQuery,
        k: usize,
        now_ms: i64,
    ) -> anyhow::Result<Vec<PostHit>> {
        let Some(query) = self.post_query(query)? else {
            return Ok(Vec::new());
        };
        let collector =
            TopDocs::with_limit(k.max(1)).tweak_score(move |segment: &SegmentReader| {
                let columns = segment.fast_fields();
                let id = columns.i64("id").ok();
                let author = columns.i64("author_id").ok();
                let visibility = columns.u64("visibility").ok();
                let created = columns.i64("created_at").ok();
                move |doc, score: Score| {
                    let read = |column: &Option<tantivy::columnar::Column<i64>>| {
                        column.as_ref().and_then(|c| c.first(doc)).unwrap_or(0)
                    };
                    let age_hours = (now_ms - read(&created)).max(0) as f32 / 3_600_000.0;
                    let visibility = visibility.as_ref().and_then(|c| c.first(doc)).unwrap_or(2);
                    (
                        score * recency(age_hours),
                        read(&id),
                        read(&author),
                        visibility,
                    )
                }
            });
        let searcher = self.posts.searcher();
        let hits = searcher.search(query.as_ref(), &collector)?;
        Ok(hits
            .into_iter()
            .map(|((_, id, author, visibility), _)| PostHit {
                id: Id(id),
                author_id: Id(author),
                visibility: Visibility::from_u64(visibility),
            })
            .collect())
    }

    /// The terms a query looks up, as cache invalidation names them: the
    /// analyzed words of its words and phrases, and `#tag` for hashtags.
    pub fn query_terms(&self, query: &SearchQuery) -> Vec<String> {
        let mut terms: Vec<String> = query
            .words
            .iter()
            .chain(&query.phrases)
            .flat_map(|text| self.analyze(text))
            .chain(query.hashtags.iter().map(|tag| format!("#{tag}")))
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }

    /// The terms a post is found by, named as [`query_terms`](Self::query_terms) names them.
    pub fn post_terms(&self, content: &str, hashtags: &[String]) -> Vec<String> {
        let mut terms: Vec<String> = self
            .analyze(content)
            .into_iter()
            .chain(
                hashtags
                    .iter()
                    .map(|tag| format!("#{}", tag.to_lowercase())),
            )
            .collect();
        terms.sort();
        terms.dedup();
        terms
    }

    fn post_query(&self, query: &SearchQuery) -> anyhow::Result<Option<Box<dyn Query>>> {
        let fields = self.post_fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for text in query.words.iter().chain(&query.phrases) {
            if let Some(clause) = self.text_clause(fields.content, text) {
                clauses.push((Occur::Must, clause));
            }
        }
        for tag in &query.hashtags {
            let term = Term::from_field_text(fields.hashtags, tag);
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
            ));
        }
        if clauses.is_empty() {
            return Ok(None);
        }
        for word in &query.excluded {
            for token in self.analyze(word) {
                let term = Term::from_field_text(fields.content, &token);
                clauses.push((
                    Occur::MustNot,
                    Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                ));
            }
        }
        Ok(Some(Box::new(BooleanQuery::new(clauses))))
    }

    /// A word or phrase: one term, or the terms in order when the analyzer
    /// splits it (`e-mail`, `"async runtime"`).
    fn text_clause(&self, field: Field, text: &str) -> Option<Box<dyn Query>> {
        let terms: Vec<Term> = self
            .analyze(text)
            .iter()
            .map(|token| Term::from_field_text(field, token))
            .collect();
        match terms.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(
                terms.into_iter().next()?,
                IndexRecordOption::WithFreqs,
            ))),
            _ => Some(Box::new(PhraseQuery::new(terms))),
        }
    }

    fn analyze(&self, text: &str) -> Vec<String> {
        let mut analyzer = super::schema::text_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push(token.text.clone());
        }
        tokens
    }
}

/// A newer post ranks higher among equally relevant ones: twice the score
/// when brand new, half as much lift after a day, little after a month.
fn recency(age_hours: f32) -> f32 {
    1.0 + 1.0 / (1.0 + age_hours / 24.0)
}

/// Visibilities as one digit in cached hits.
mod visibility_code {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Visibility;

    pub fn serialize<S: Serializer>(v: &Visibility, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*v as u8)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Visibility, D::Error> {
        Ok(Visibility::from_u64(u64::from(u8::deserialize(d)?)))
    }
}
