//! Keeping timelines up to date from events. Each change is applied once
//! (the inbox) in a transaction; timeline writes are idempotent and made
//! before the commit, so a crash in between is redone by the redelivery.
//! A new post is pushed once more after the commit: a reader building their
//! timeline from storage meanwhile (see `read::rebuild`) either read the
//! committed post or materialized the timeline before that second push.
//! Reads filter by the current graph anyway: these writes keep pages full
//! and cheap, they are not what keeps a hidden post hidden.

use chorus_core::{Envelope, Id};
use chorus_ports::cache::ReadThrough;
use chorus_ports::inbox;
use serde::{Serialize, de::DeserializeOwned};
use sqlx::AnyConnection;

use super::Feed;
use super::caches::ALL;
use crate::NAME;
use crate::store::{self, posts::FeedPost};

impl Feed {
    /// `post.created`: into the author's timeline and, unless it is private
    /// or the author has more followers than the threshold, each follower's.
    pub async fn post_created(
        &self,
        event: &Envelope,
        post: FeedPost,
        visibility: &str,
    ) -> anyhow::Result<()> {
        let Some(mut tx) = inbox::begin_once(self.db(), NAME, event).await? else {
            return Ok(());
        };
        let mut targets = None;
        if store::posts::insert(&mut tx, post, visibility, event.id).await? {
            let to = match post.private {
                true => vec![post.author_id],
                false => self.fan_out_targets(&mut tx, post.author_id).await?,
            };
            self.timelines().push(&to, post.id).await?;
            targets = Some(to);
        }
        tx.commit().await?;
        forget(&self.caches().recent, &post.author_id.to_string()).await;
        if let Some(targets) = targets {
            self.timelines().push(&targets, post.id).await?;
            metrics::histogram!("chorus_feed_fan_out_timelines").record(targets.len() as f64);
        }
        Ok(())
    }

    /// `post.deleted`: out of every timeline it went to.
    pub async fn post_deleted(&self, event: &Envelope, post: Id, author: Id) -> anyhow::Result<()> {
        let Some(mut tx) = inbox::begin_once(self.db(), NAME, event).await? else {
            return Ok(());
        };
        store::posts::delete(&mut tx, post, author, event.id).await?;
        let targets = self.fan_out_targets(&mut tx, author).await?;
        self.timelines().remove(&targets, &[post]).await?;
        tx.commit().await?;
        forget(&self.caches().bodies, &post.to_string()).await;
        forget(&self.caches().recent, &author.to_string()).await;
        Ok(())
    }

    /// `post.updated`: a post made private leaves its followers' timelines;
    /// one that stops being private enters them.
    pub async fn post_updated(
        &self,
        event: &Envelope,
        post: Id,
        author: Id,
        visibility: &str,
    ) -> anyhow::Result<()> {
        let Some(mut tx) = inbox::begin_once(self.db(), NAME, event).await? else {
            return Ok(());
        };
        let previous = store::posts::set_visibility(&mut tx, post, visibility, event.id).await?;
        let mut shown_to = None;
        if let Some(previous) = previous {
            let mut followers = self.fan_out_targets(&mut tx, author).await?;
            followers.retain(|user| *user != author);
            if visibility == "private" {
                self.timelines().remove(&followers, &[post]).await?;
            } else if previous == "private" {
                self.timelines().push(&followers, post).await?;
                shown_to = Some(followers);
            }
        }
        tx.commit().await?;
        forget(&self.caches().bodies, &post.to_string()).await;
        forget(&self.caches().recent, &author.to_string()).await;
        if let Some(followers) = shown_to {
            // Again after the commit, as for a new post.
            self.timelines().push(&followers, post).await?;
        }
        Ok(())
    }

    /// Counts or content changed: the cached body is stale.
    pub async fn post_changed(&self, post: Id) {
        forget(&self.caches().bodies, &post.to_string()).await;
    }

    /// A profile changed: the cached card is stale.
    pub async fn author_changed(&self, user: Id) {
        forget(&self.caches().cards, &user.to_string()).await;
    }

    /// `user.followed`: the replica learns it, and the followee's recent
    /// posts enter the follower's timeline.
    pub async fn followed(
        &self,
        event: &Envelope,
        follower: Id,
        followee: Id,
    ) -> anyhow::Result<()> {
        let Some(mut tx) = inbox::begin_once(self.db(), NAME, event).await? else {
            return Ok(());
        };
        let changed = store::graph::set_follow(&mut tx, follower, followee, true, event.id).await?;
        let mut crossed = false;
        if changed {
            let count = store::graph::add_followers(&mut tx, followee, 1).await?;
            crossed = self.crosses_threshold(count, count - 1);
        }
        tx.commit().await?;
        forget(&self.caches().graphs, &follower.to_string()).await;
        if crossed {
            forget(&self.caches().celebrities, ALL).await;
        }
        if changed {
            let recent =
                store::posts::by_author(self.db().reader(), followee, None, self.config().backfill)
                    .await?;
            self.timelines().add(follower, &recent).await?;
        }
        Ok(())
    }

    /// `user.unfollowed`: the followee's posts leave the follower's timeline.
    pub async fn unfollowed(
        &self,
        event: &Envelope,
        follower: Id,
        followee: Id,
    ) -> anyhow::Result<()> {
        let Some(mut tx) = inbox::begin_once(self.db(), NAME, event).await? else {
            return Ok(());
        };
        let changed =
            store::graph::set_follow(&mut tx, follower, followee, false, event.id).await?;
        let mut crossed = false;
        if changed {
            let count = store::graph::add_followers(&mut tx, followee, -1).await?;
            crossed = self.crosses_threshold(count, count + 1);
        }
        tx.commit().await?;
        forget(&self.caches().graphs, &follower.to_string()).await;
        if crossed {
            forget(&self.caches().celebrities, ALL).await;
            self.no_longer_celebrity(followee).await?;
        }
        if changed {
            self.remove_author(follower, followee).await?;
        }
        Ok(())
    }

    /// `user.blocked` (active) or `user.unblocked`: each is hidden from the
    /// other; on a block, each one's posts leave the other's timeline.
    pub async fn blocked(
        &self,
        event: &Envelope,
        blocker: Id,
        blocked: Id,
        active: bool,
    ) -> anyhow::Result<()> {
        let Some(mut tx) = inbox::begin_once(self.db(), NAME, event).await? else {
            return Ok(());
        };
        let changed = store::graph::set_block(&mut tx, blocker, blocked, active, event.id).await?;
        tx.commit().await?;
        forget(&self.caches().graphs, &blocker.to_string()).await;
        forget(&self.caches().graphs, &blocked.to_string()).await;
        if changed && active {
            self.remove_author(blocker, blocked).await?;
            self.remove_author(blocked, blocker).await?;
        }
        Ok(())
    }

    /// `author` fell back to the threshold: their posts since they crossed
    /// it were merged at read, not fanned out. Their recent posts go into
    /// their followers' timelines now, as new posts will.
    async fn no_longer_celebrity(&self, author: Id) -> anyhow::Result<()> {
        let recent =
            store::posts::by_author(self.db().reader(), author, None, self.config().backfill)
                .await?;
        let mut conn = self.db().reader().acquire().await?;
        let followers = store::graph::followers(&mut conn, author).await?;
        drop(conn);
        for post in recent {
            self.timelines().push(&followers, post).await?;
        }
        Ok(())
    }

    /// Takes `author`'s posts out of `reader`'s timeline: at most the cap
    /// of them can be there.
    async fn remove_author(&self, reader: Id, author: Id) -> anyhow::Result<()> {
        let cap = self.timelines().cap();
        let theirs = store::posts::by_author(self.db().reader(), author, None, cap).await?;
        self.timelines().remove(&[reader], &theirs).await
    }

    /// The author, and their followers unless they have more than the
    /// threshold (then their posts are merged at read).
    async fn fan_out_targets(
        &self,
        conn: &mut AnyConnection,
        author: Id,
    ) -> anyhow::Result<Vec<Id>> {
        let mut targets = vec![author];
        let count = store::graph::follower_count(conn, author).await?;
        if count <= self.config().celebrity_threshold {
            targets.extend(store::graph::followers(conn, author).await?);
        }
        Ok(targets)
    }

    /// Did a follower count going from `before` to `now` cross the
    /// threshold? Then the accounts merged at read changed.
    fn crosses_threshold(&self, now: i64, before: i64) -> bool {
        let threshold = self.config().celebrity_threshold;
        (now > threshold) != (before > threshold)
    }
}

/// Invalidates a cache entry; if the cache is down, its TTL bounds the staleness.
async fn forget<V>(cache: &ReadThrough<V>, key: &str)
where
    V: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
{
    if let Err(error) = cache.invalidate(key).await {
        tracing::warn!(key, error = %format!("{error:#}"), "cache invalidation failed");
    }
}
