-- Profiles and the social graph. Ids are 64-bit, timestamps Unix microseconds,
-- booleans 0/1 integers (one type through sqlx Any in both dialects).

CREATE TABLE profiles (
    user_id BIGINT PRIMARY KEY,
    -- Lowercase, as auth stores it.
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    avatar_media_id BIGINT,
    is_private BIGINT NOT NULL DEFAULT 0,
    followers_count BIGINT NOT NULL DEFAULT 0,
    following_count BIGINT NOT NULL DEFAULT 0,
    posts_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX profiles_username ON profiles (username);

CREATE TABLE follows (
    follower_id BIGINT NOT NULL,
    followee_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
-- Newest first, for the followers and following lists.
CREATE INDEX follows_followee ON follows (followee_id, created_at, follower_id);
CREATE INDEX follows_follower ON follows (follower_id, created_at, followee_id);

CREATE TABLE follow_requests (
    id BIGINT PRIMARY KEY,
    follower_id BIGINT NOT NULL,
    followee_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX follow_requests_pair ON follow_requests (follower_id, followee_id);
CREATE INDEX follow_requests_followee ON follow_requests (followee_id, id);

CREATE TABLE friend_requests (
    id BIGINT PRIMARY KEY,
    from_id BIGINT NOT NULL,
    to_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX friend_requests_pair ON friend_requests (from_id, to_id);
CREATE INDEX friend_requests_to ON friend_requests (to_id, id);
CREATE INDEX friend_requests_from ON friend_requests (from_id, id);

-- One row per friendship, the smaller id first.
CREATE TABLE friendships (
    user_a BIGINT NOT NULL,
    user_b BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_a, user_b),
    CHECK (user_a < user_b)
);
CREATE INDEX friendships_b ON friendships (user_b);

CREATE TABLE blocks (
    blocker_id BIGINT NOT NULL,
    blocked_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);
CREATE INDEX blocks_blocker_created ON blocks (blocker_id, created_at, blocked_id);
