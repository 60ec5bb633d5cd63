//! The rules that need the users service: nobody hears from someone they
//! blocked or who blocked them; a mention in a followers-only post reaches
//! only the author's followers; follows between friends are left to the
//! friendship notifications. Batched where the API allows, bounded otherwise.

use chorus_core::Id;
use futures::{StreamExt, TryStreamExt};

use super::Notifications;
use crate::domain::Draft;

/// Per-recipient questions to the users service in flight at once.
const CONCURRENT_CHECKS: usize = 8;

impl Notifications {
    /// The drafts that may go out, in their order.
    pub(super) async fn audience(
        &self,
        actor: Id,
        drafts: Vec<Draft>,
    ) -> anyhow::Result<Vec<Draft>> {
        let recipients: Vec<Id> = drafts.iter().map(|draft| draft.recipient).collect();
        // A block either way is symmetric: one batched call from the actor's side.
        let relations = self.users().relations(actor, &recipients).await?;
        let unblocked = drafts
            .into_iter()
            .filter(|draft| !relations.get(&draft.recipient).is_some_and(|r| r.blocked));
        let admitted: Vec<Option<Draft>> = futures::stream::iter(unblocked)
            .map(|draft| async move {
                let admitted = self.may_see(&draft).await? && !self.are_friends(&draft).await?;
                anyhow::Ok(admitted.then_some(draft))
            })
            .buffered(CONCURRENT_CHECKS)
            .try_collect()
            .await?;
        Ok(admitted.into_iter().flatten().collect())
    }

    /// A followers-only post: its author, or one of their followers.
    async fn may_see(&self, draft: &Draft) -> anyhow::Result<bool> {
        let Some(author) = draft.requires_following else {
            return Ok(true);
        };
        if draft.recipient == author {
            return Ok(true);
        }
        let relations = self.users().relations(draft.recipient, &[author]).await?;
        Ok(relations.get(&author).is_some_and(|r| r.following))
    }

    async fn are_friends(&self, draft: &Draft) -> anyhow::Result<bool> {
        if !draft.unless_friends {
            return Ok(false);
        }
        let profiles = self
            .users()
            .profiles(Some(draft.recipient), &[draft.actor])
            .await?;
        Ok(profiles
            .iter()
            .filter_map(|profile| profile.relationship)
            .any(|relationship| relationship.friends))
    }
}
