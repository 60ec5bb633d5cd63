-- Posts, comments, reactions and the media posts may attach.
-- Ids are 64-bit, timestamps Unix microseconds. Deleting a post deletes what
-- hangs off it (foreign keys ON DELETE CASCADE), so counts never outlive it.

CREATE TABLE posts (
    id BIGINT PRIMARY KEY,
    author_id BIGINT NOT NULL,
    content TEXT NOT NULL,
    -- public | followers | private
    visibility TEXT NOT NULL,
    -- The original post of a repost (never itself a repost). No foreign key:
    -- a repost outlives its original, which then reads as not found.
    repost_of BIGINT,
    -- JSON arrays, as parsed from the content: ["tag", …] and [{"user_id", "username"}, …].
    hashtags TEXT NOT NULL,
    mentions TEXT NOT NULL,
    comment_count BIGINT NOT NULL DEFAULT 0,
    repost_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    edited_at BIGINT
);
CREATE INDEX posts_author ON posts (author_id, id);
CREATE INDEX posts_repost_of ON posts (repost_of);

-- Hashtags by post, for finding the posts of a tag.
CREATE TABLE post_hashtags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (post_id, tag)
);
CREATE INDEX post_hashtags_tag ON post_hashtags (tag, post_id);

-- Media attached to a post, in the order given.
CREATE TABLE post_media (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    media_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (post_id, media_id)
);
CREATE INDEX post_media_media ON post_media (media_id);

-- Media that exist and who owns them, from the media service's events.
CREATE TABLE media_refs (
    media_id BIGINT PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE comments (
    id BIGINT PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL,
    -- Deleting a comment deletes its replies, and theirs.
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    edited_at BIGINT
);
CREATE INDEX comments_post ON comments (post_id, id);
CREATE INDEX comments_parent ON comments (parent_id);

-- One row per (post, user, kind); `id` orders the "who reacted" list.
CREATE TABLE reactions (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id, kind)
);
CREATE UNIQUE INDEX reactions_post_id ON reactions (post_id, id);

-- Reactions per post and kind, kept in the same transaction as the rows.
CREATE TABLE reaction_counts (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    total BIGINT NOT NULL,
    PRIMARY KEY (post_id, kind)
);
