-- Comment deletions, kept about a day so that a comments stream resuming
-- with Last-Event-ID can replay the ones it missed. `id` is the stream
-- event's id (a snowflake, so it orders with comment ids); rows older than
-- the retention are pruned by the service.
CREATE TABLE comment_deletions (
    id BIGINT PRIMARY KEY,
    post_id BIGINT NOT NULL,
    comment_id BIGINT NOT NULL,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX comment_deletions_post ON comment_deletions (post_id, id);
CREATE INDEX comment_deletions_age ON comment_deletions (deleted_at);
