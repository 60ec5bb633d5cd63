//! User search: every word of the query must begin the username or a word
//! of the display name; an exact username ranks first, then username
//! prefixes, then display names.

use chorus_core::Id;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Score, SegmentReader, Term};

use super::SearchIndex;
use super::schema::MAX_PREFIX_CHARS;

impl SearchIndex {
    /// The best `k` accounts for `words` (lowercase), best first.
    pub fn top_users(&self, words: &[String], k: usize) -> anyhow::Result<Vec<Id>> {
        let fields = self.user_fields;
        let clauses: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|word| {
                let word: String = word.chars().take(MAX_PREFIX_CHARS).collect();
                let any_of: Vec<(Occur, Box<dyn Query>)> = vec![
                    (Occur::Should, boosted(fields.username, &word, 8.0)),
                    (Occur::Should, boosted(fields.username_prefixes, &word, 4.0)),
                    (Occur::Should, boosted(fields.name_prefixes, &word, 2.0)),
                ];
                (
                    Occur::Must,
                    Box::new(BooleanQuery::new(any_of)) as Box<dyn Query>,
                )
            })
            .collect();
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        // Equal scores: the older account (smaller id) first, on every instance.
        let collector = TopDocs::with_limit(k.max(1)).tweak_score(|segment: &SegmentReader| {
            let ids = segment.fast_fields().i64("id").ok();
            move |doc, score: Score| {
                let id = ids.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
                (score, -id)
            }
        });
        let hits = self.users.searcher().search(&query, &collector)?;
        Ok(hits.into_iter().map(|((_, id), _)| Id(-id)).collect())
    }
}

fn boosted(field: Field, word: &str, boost: Score) -> Box<dyn Query> {
    let term = TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::Basic);
    Box::new(BoostQuery::new(Box::new(term), boost))
}
