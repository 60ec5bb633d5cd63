//! One tantivy index on disk: its writer (held for the life of the
//! process, which is what claims the folder) and a reader reloaded at
//! each commit.

use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::directory::error::LockError;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, Schema};
use tantivy::{
    Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    TantivyError, Term,
};

use super::schema::{TEXT_ANALYZER, text_analyzer};

/// The writer's indexing memory: tantivy flushes a segment when it is full.
const WRITER_MEMORY_BYTES: usize = 32 * 1024 * 1024;

pub struct IndexHandle {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
}

impl IndexHandle {
    /// Opens (or creates) the index in `dir`; `None` when another process
    /// writes to it.
    pub fn open(dir: &Path, schema: Schema) -> anyhow::Result<Option<Self>> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating the search index folder {}", dir.display()))?;
        let directory = MmapDirectory::open(dir)
            .with_context(|| format!("opening the search index in {}", dir.display()))?;
        let exists = Index::exists(&directory)
            .with_context(|| format!("reading the search index in {}", dir.display()))?;
        let index = if exists {
            Index::open(directory)
        } else {
            Index::create(directory, schema, IndexSettings::default())
        }
        .with_context(|| format!("opening the search index in {}", dir.display()))?;
        index.tokenizers().register(TEXT_ANALYZER, text_analyzer());
        let writer = match index.writer_with_num_threads(1, WRITER_MEMORY_BYTES) {
            Ok(writer) => writer,
            Err(TantivyError::LockFailure(LockError::LockBusy, _)) => return Ok(None),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("locking the search index in {}", dir.display()));
            }
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .context("opening a search index reader")?;
        Ok(Some(Self {
            index,
            reader,
            writer: Mutex::new(writer),
        }))
    }

    /// What the last commit recorded beside the documents.
    pub fn payload(&self) -> anyhow::Result<Option<String>> {
        Ok(self.index.load_metas()?.payload)
    }

    /// A consistent view as of the last commit.
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    pub fn add(&self, document: TantivyDocument) -> anyhow::Result<()> {
        self.writer().add_document(document)?;
        Ok(())
    }

    pub fn delete(&self, term: Term) {
        self.writer().delete_term(term);
    }

    pub fn clear(&self) -> anyhow::Result<()> {
        self.writer().delete_all_documents()?;
        Ok(())
    }

    /// Makes every write so far durable and visible to new searchers.
    pub fn commit(&self, payload: &str) -> anyhow::Result<()> {
        {
            let mut writer = self.writer();
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(payload);
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// The stored fields of the one document holding `term`.
    pub fn find(&self, term: Term) -> anyhow::Result<Option<TantivyDocument>> {
        let searcher = self.searcher();
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let hits = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
        match hits.first() {
            Some((_, address)) => Ok(Some(searcher.doc(*address)?)),
            None => Ok(None),
        }
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer.lock().expect("index writer lock")
    }
}
