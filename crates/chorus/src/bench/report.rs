//! Results as JSON (for tools) and as a Markdown table (for BENCHMARKS.md).

use serde::Serialize;

use super::load::Measured;

#[derive(Debug, Clone, Serialize)]
pub struct OpReport {
    pub operation: String,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
}

impl OpReport {
    pub fn from_measured(operation: &str, measured: &Measured) -> Self {
        let q = |quantile: f64| measured.latency.value_at_quantile(quantile) as f64 / 1000.0;
        Self {
            operation: operation.to_string(),
            requests: measured.requests,
            errors: measured.errors,
            seconds: measured.elapsed.as_secs_f64(),
            per_second: measured.throughput(),
            p50_ms: q(0.5),
            p90_ms: q(0.9),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
        }
    }

    /// An operation timed without HTTP (raw hashing, say): a rate only.
    pub fn rate_only(operation: &str, count: u64, seconds: f64) -> Self {
        Self {
            operation: operation.to_string(),
            requests: count,
            errors: 0,
            seconds,
            per_second: count as f64 / seconds,
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            p999_ms: 0.0,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub name: String,
    pub value: f64,
    pub target: String,
}

/// A named setting or measurement of a run (graph, users, memory…).
#[derive(Debug, Clone, Serialize)]
pub struct Fact {
    pub name: String,
    pub value: serde_json::Value,
}

impl Fact {
    pub fn new(name: &str, value: impl Into<serde_json::Value>) -> Self {
        Self {
            name: name.to_string(),
            value: value.into(),
        }
    }
}

/// Results that do not fit the per-operation table.
#[derive(Debug, Clone, Serialize)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub scenario: String,
    pub machine: String,
    pub command: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
    pub operations: Vec<OpReport>,
    pub ratios: Vec<Ratio>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<Table>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Further files written next to the reports: (name suffix, contents).
    #[serde(skip)]
    pub attachments: Vec<(String, String)>,
}

impl Report {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Scenario `{}` on {}\n\nCommand: `{}`\n\n",
            self.scenario, self.machine, self.command
        );
        if !self.facts.is_empty() {
            out.push_str("| setting | value |\n|---|---|\n");
            for fact in &self.facts {
                out.push_str(&format!("| {} | {} |\n", fact.name, cell(&fact.value)));
            }
            out.push('\n');
        }
        if !self.operations.is_empty() {
            out.push_str("| operation | requests | errors | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for op in &self.operations {
                out.push_str(&format!(
                    "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
                    op.operation,
                    op.requests,
                    op.errors,
                    op.per_second,
                    op.p50_ms,
                    op.p90_ms,
                    op.p99_ms,
                    op.p999_ms
                ));
            }
        }
        if !self.ratios.is_empty() {
            out.push_str("\n| ratio | value | target |\n|---|---:|---|\n");
            for ratio in &self.ratios {
                out.push_str(&format!(
                    "| {} | {:.2} | {} |\n",
                    ratio.name, ratio.value, ratio.target
                ));
            }
        }
        for table in &self.tables {
            out.push_str(&format!(
                "\n{}\n\n| {} |\n|{}\n",
                table.title,
                table.columns.join(" | "),
                "---|".repeat(table.columns.len())
            ));
            for row in &table.rows {
                let cells: Vec<String> = row.iter().map(cell).collect();
                out.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
        }
        if !self.notes.is_empty() {
            out.push('\n');
            for note in &self.notes {
                out.push_str(&format!("- {note}\n"));
            }
        }
        out
    }
}

/// A JSON value as a Markdown table cell: strings bare, fractions to two places.
fn cell(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Number(n) if n.is_f64() => format!("{:.2}", n.as_f64().unwrap_or(0.0)),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// A one-line description of this machine: cores, memory, CPU model.
pub fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{} GiB", kb / 1024 / 1024))
        .unwrap_or_else(|| "unknown memory".into());
    format!("{cores} cores, {memory}, {model}")
}
