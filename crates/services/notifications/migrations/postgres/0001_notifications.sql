-- Notifications, one row per recipient and (for kinds that group) per unread
-- subject. Ids are 64-bit, timestamps Unix microseconds, booleans 0/1
-- integers (one type through sqlx Any in both dialects).

CREATE TABLE notifications (
    id BIGINT PRIMARY KEY,
    recipient_id BIGINT NOT NULL,
    -- follow, reaction, comment, … (see the service's `Kind`).
    kind TEXT NOT NULL,
    -- Set for kinds that group (`reaction:post:<id>`): repeats merge into the
    -- one unread row with the same key.
    group_key TEXT,
    -- What it is about, as the API shows it: {"type", "id", …} JSON.
    subject TEXT NOT NULL,
    -- The post it concerns (directly or through a comment): gone with the post.
    post_id BIGINT,
    -- Newest first, at most 3, comma-separated: the cards shown.
    actor_ids TEXT NOT NULL,
    -- Distinct actors in all.
    actor_count BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    read_at BIGINT
);
-- The list, newest activity first; and the unread list and count.
CREATE INDEX notifications_recipient ON notifications (recipient_id, updated_at, id);
CREATE INDEX notifications_unread ON notifications (recipient_id, updated_at, id)
    WHERE read_at IS NULL;
-- At most one open (unread) group per key and recipient; it also finds it.
CREATE UNIQUE INDEX notifications_open_group ON notifications (recipient_id, group_key)
    WHERE read_at IS NULL AND group_key IS NOT NULL;
CREATE INDEX notifications_post ON notifications (post_id) WHERE post_id IS NOT NULL;

-- Who made each notification happen: every distinct actor of a group, so
-- that `actor_count` counts people, and one can be taken out again (a
-- deleted comment, a block).
CREATE TABLE notification_actors (
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL,
    recipient_id BIGINT NOT NULL,
    acted_at BIGINT NOT NULL,
    -- What the actor did, when it can be deleted (a comment, a repost, a
    -- post with a mention): its id.
    source_id BIGINT,
    PRIMARY KEY (notification_id, actor_id)
);
CREATE INDEX notification_actors_recent ON notification_actors (notification_id, acted_at);
CREATE INDEX notification_actors_source ON notification_actors (source_id)
    WHERE source_id IS NOT NULL;
CREATE INDEX notification_actors_pair ON notification_actors (actor_id, recipient_id);

-- Kinds a user switched off or on again; a kind without a row is on.
CREATE TABLE notification_preferences (
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    enabled BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
