//! Answers and events as tests read them.

use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use chorus_core::Envelope;
use chorus_ports::EventHandler;
use http::StatusCode;
use serde_json::Value;
use tokio::sync::mpsc;

/// The `id` of an answer, as a string.
pub fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {value}"))
        .to_string()
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `error.code` of an error answer.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error answer: {}", self.text()))
            .to_string()
    }

    /// `error.details.field` of a validation error.
    pub fn error_field(&self) -> String {
        self.json()["error"]["details"]["field"]
            .as_str()
            .unwrap_or_else(|| panic!("no field in: {}", self.text()))
            .to_string()
    }

    /// Asserts a 400 `validation_failed` on `field`.
    pub fn assert_invalid(&self, field: &str) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.text());
        assert_eq!(self.error_code(), "validation_failed", "{}", self.text());
        assert_eq!(self.error_field(), field, "{}", self.text());
    }

    /// Asserts an error status with its code.
    pub fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.error_code(), code, "{}", self.text());
    }
}

/// Waits for the next event, failing after a few seconds.
pub async fn next_event(events: &mut mpsc::UnboundedReceiver<Envelope>) -> Envelope {
    tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .expect("an event within 5 s")
        .expect("the bus is open")
}

/// Asserts no further event arrives within a moment.
pub async fn no_more_events(events: &mut mpsc::UnboundedReceiver<Envelope>) {
    let next = tokio::time::timeout(Duration::from_millis(300), events.recv()).await;
    assert!(next.is_err(), "unexpected event: {next:?}");
}

pub struct Collector(pub mpsc::UnboundedSender<Envelope>);

#[async_trait]
impl EventHandler for Collector {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let _ = self.0.send(event.clone());
        Ok(())
    }
}
