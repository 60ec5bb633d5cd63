//! The rules that need the users service: nobody hears from someone they
//! blocked or who blocked them; a mention in a followers-only post reaches
//! only the author's followers; follows between friends are left to the
//! friendship notifications. One call for a whole batch of events.

use chorus_core::{Envelope, Id};

use super::Notifications;
use crate::domain::Draft;
use crate::events::Plan;

impl Notifications {
    /// Keeps, in each delivery of `planned`, the drafts that may go out, in
    /// their order.
    pub(super) async fn admit(&self, planned: &mut [(&Envelope, Plan)]) -> anyhow::Result<()> {
        let drafts = || {
            planned.iter().flat_map(|(_, plan)| match plan {
                Plan::Deliver { drafts, .. } => drafts.as_slice(),
                _ => &[],
            })
        };
        let mut pairs: Vec<(Id, Id)> = drafts().flat_map(questions).collect();
        if pairs.is_empty() {
            return Ok(());
        }
        pairs.sort_unstable();
        pairs.dedup();
        let relations = self.users().relations_among(&pairs).await?;
        let relation = |viewer, target| {
            relations
                .get(&(viewer, target))
                .copied()
                .unwrap_or_default()
        };
        for (_, plan) in planned.iter_mut() {
            if let Plan::Deliver { drafts, .. } = plan {
                drafts.retain(|draft| {
                    let between = relation(draft.actor, draft.recipient);
                    let may_see = match draft.requires_following {
                        Some(author) if author != draft.recipient => {
                            relation(draft.recipient, author).following
                        }
                        _ => true,
                    };
                    !between.blocked && may_see && !(draft.unless_friends && between.friends)
                });
            }
        }
        Ok(())
    }
}

/// The `(viewer, target)` pairs whose relations decide `draft`: a block
/// either way or a friendship between actor and recipient, and whether the
/// recipient follows the author of a followers-only post.
fn questions(draft: &Draft) -> impl Iterator<Item = (Id, Id)> {
    let following = draft
        .requires_following
        .filter(|author| *author != draft.recipient)
        .map(|author| (draft.recipient, author));
    std::iter::once((draft.actor, draft.recipient)).chain(following)
}
