//! Which kinds of notification a user wants: all by default; one switched
//! off is neither stored nor pushed.

use std::collections::BTreeMap;

use chorus_core::{ApiError, ApiResult, Id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Notifications, now_micros};
use crate::domain::Kind;
use crate::store::preferences;

/// `{"types": {"follow": true, "reaction": false, …}}`, every type listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = NotificationPreferences)]
pub struct PreferencesView {
    pub types: BTreeMap<String, bool>,
}

/// `{"types": {"reaction": false}}`: the types to change; others stay.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(as = NotificationPreferencesChange)]
pub struct PreferencesChange {
    pub types: BTreeMap<String, bool>,
}

impl Notifications {
    pub async fn preferences(&self, me: Id) -> ApiResult<PreferencesView> {
        let stored = preferences::of_user(self.db().reader(), me)
            .await
            .map_err(ApiError::internal)?;
        let mut types: BTreeMap<String, bool> = Kind::ALL
            .iter()
            .map(|kind| (kind.as_str().to_string(), true))
            .collect();
        for (kind, enabled) in stored {
            // A kind this version no longer has is not shown.
            if let Some(slot) = types.get_mut(&kind) {
                *slot = enabled;
            }
        }
        Ok(PreferencesView { types })
    }

    /// Changes the listed types, all or none: 400 for an unknown one.
    pub async fn set_preferences(
        &self,
        me: Id,
        change: PreferencesChange,
    ) -> ApiResult<PreferencesView> {
        let mut kinds = Vec::with_capacity(change.types.len());
        for (name, enabled) in &change.types {
            let kind = Kind::parse(name).map_err(|_| unknown_type(name))?;
            kinds.push((kind, *enabled));
        }
        let at = now_micros();
        let mut tx = self.db().begin().await?;
        for (kind, enabled) in kinds {
            preferences::set(&mut *tx, me, kind.as_str(), enabled, at)
                .await
                .map_err(ApiError::internal)?;
        }
        tx.commit().await.map_err(ApiError::internal)?;
        self.preferences(me).await
    }
}

fn unknown_type(name: &str) -> ApiError {
    let known: Vec<&str> = Kind::ALL.iter().map(|kind| kind.as_str()).collect();
    ApiError::invalid_field(
        "types",
        format!(
            "unknown notification type {name:?}; known: {}",
            known.join(", ")
        ),
    )
}
