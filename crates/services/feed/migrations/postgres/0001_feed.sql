-- The feed's own replica of the graph and of the posts timelines are made of.
-- Rows carry the id of the event that last changed them (`version`): events
-- may arrive out of order after a retry, and an older one must not undo a
-- newer one.

CREATE TABLE follows (
    follower_id BIGINT NOT NULL,
    followee_id BIGINT NOT NULL,
    active BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_followee ON follows (followee_id, active, follower_id);

-- Active followers per account: decides who is fanned out to at write time.
CREATE TABLE follower_counts (
    user_id BIGINT PRIMARY KEY,
    followers BIGINT NOT NULL
);
CREATE INDEX follower_counts_followers ON follower_counts (followers);

-- Either way, a block hides each account from the other.
CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    active BIGINT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id, active, blocker_id);

-- Every post timelines may hold. A deleted post stays as a tombstone so
-- that a late `post.created` does not bring it back.
CREATE TABLE feed_posts (
    id BIGINT PRIMARY KEY,
    author_id BIGINT NOT NULL,
    visibility TEXT NOT NULL,
    deleted BIGINT NOT NULL DEFAULT 0,
    version BIGINT NOT NULL
);
CREATE INDEX feed_posts_author ON feed_posts (author_id, id);
