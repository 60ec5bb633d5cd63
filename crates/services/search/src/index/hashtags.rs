//! Hashtags: found by prefix, counted over public posts, and trending by
//! acceleration (this window against the windows before it).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use tantivy::collector::{Count, DocSetCollector};
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, Term};

use super::{SearchIndex, Visibility};

/// The most distinct hashtags one prefix search looks at.
const MAX_PREFIX_TERMS: usize = 2_000;

/// A hashtag trending now.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub name: String,
    /// Public posts with it in the current window.
    pub posts_count: u64,
    /// Its average per window over the windows before.
    pub previous_average: f64,
    /// How far above its usual rate it is, in standard deviations of a
    /// Poisson count: `(now - usual) / sqrt(usual + 1)`.
    pub score: f64,
}

/// How trends are measured.
#[derive(Debug, Clone, Copy)]
pub struct TrendWindow {
    pub now_ms: i64,
    pub window_ms: i64,
    /// Windows before the current one that make the usual rate.
    pub history: u32,
    /// Fewer public posts than this in the window is never a trend.
    pub min_posts: u64,
}

impl SearchIndex {
    /// Hashtags starting with `prefix` (lowercase, without `#`) and how
    /// many public posts carry each, most used first, then by name.
    pub fn hashtags_with_prefix(&self, prefix: &str) -> anyhow::Result<Vec<(String, u64)>> {
        let field = self.post_fields.hashtags;
        let searcher = self.posts.searcher();
        let mut names = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(field)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()?;
            while stream.advance() && names.len() < MAX_PREFIX_TERMS {
                let Ok(name) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if !name.starts_with(prefix) {
                    break;
                }
                names.insert(name.to_string());
            }
        }
        let mut counted = Vec::with_capacity(names.len());
        for name in names {
            let query = self.public_with_tag(&name);
            let count = searcher.search(&query, &Count)? as u64;
            if count > 0 {
                counted.push((name, count));
            }
        }
        counted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(counted)
    }

    /// Hashtags whose use in public posts rose most in the current window,
    /// highest score first.
    pub fn trends(&self, window: TrendWindow) -> anyhow::Result<Vec<Trend>> {
        let fields = self.post_fields;
        let history = i64::from(window.history.max(1));
        let since = window.now_ms - window.window_ms * (history + 1);
        let current_since = window.now_ms - window.window_ms;
        let range = RangeQuery::new(
            Bound::Included(Term::from_field_i64(fields.created_at, since)),
            Bound::Included(Term::from_field_i64(fields.created_at, window.now_ms)),
        );
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(range) as Box<dyn Query>),
            (Occur::Must, Box::new(self.public())),
        ]);
        let searcher = self.posts.searcher();
        let docs = searcher.search(&query, &DocSetCollector)?;
        let mut by_segment: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for DocAddress {
            segment_ord,
            doc_id,
        } in docs
        {
            by_segment.entry(segment_ord).or_default().push(doc_id);
        }
        // name → (in the current window, in the windows before)
        let mut uses: HashMap<String, (u64, u64)> = HashMap::new();
        let mut name = String::new();
        for (segment_ord, doc_ids) in by_segment {
            let segment = searcher.segment_reader(segment_ord);
            let columns = segment.fast_fields();
            let created = columns.i64("created_at")?;
            let Some(tags) = columns.str("hashtags")? else {
                continue;
            };
            for doc in doc_ids {
                let current = created.first(doc).unwrap_or(0) > current_since;
                for ord in tags.term_ords(doc) {
                    if tags.ord_to_str(ord, &mut name)? {
                        let entry = uses.entry(name.clone()).or_default();
                        if current {
                            entry.0 += 1;
                        } else {
                            entry.1 += 1;
                        }
                    }
                }
            }
        }
        let mut trends: Vec<Trend> = uses
            .into_iter()
            .filter(|(_, (now, _))| *now >= window.min_posts)
            .filter_map(|(name, (now, before))| {
                let usual = before as f64 / history as f64;
                let score = (now as f64 - usual) / (usual + 1.0).sqrt();
                (score > 0.0).then_some(Trend {
                    name,
                    posts_count: now,
                    previous_average: usual,
                    score,
                })
            })
            .collect();
        trends.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| b.posts_count.cmp(&a.posts_count))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(trends)
    }

    fn public(&self) -> TermQuery {
        let term = Term::from_field_u64(self.post_fields.visibility, Visibility::Public as u64);
        TermQuery::new(term, IndexRecordOption::Basic)
    }

    fn public_with_tag(&self, tag: &str) -> BooleanQuery {
        let tag = Term::from_field_text(self.post_fields.hashtags, tag);
        BooleanQuery::new(vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(tag, IndexRecordOption::Basic)) as Box<dyn Query>,
            ),
            (Occur::Must, Box::new(self.public())),
        ])
    }
}
