-- Conversations, their members and messages, read receipts, call sessions
-- and when each user was last seen. Ids are 64-bit, timestamps Unix
-- microseconds (one type through sqlx Any in both dialects).

CREATE TABLE conversations (
    id BIGINT PRIMARY KEY,
    -- 'direct' or 'group'.
    kind TEXT NOT NULL,
    title TEXT,
    -- 'smaller id:larger id' for a direct conversation, so that a pair has
    -- one (unique; NULL for groups, and NULLs never collide).
    direct_key TEXT,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    -- The last message's time, or the creation's: lists sort on it.
    last_activity_at BIGINT NOT NULL,
    last_message_id BIGINT
);
CREATE UNIQUE INDEX conversations_direct_key ON conversations (direct_key);

CREATE TABLE conversation_members (
    conversation_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    -- The read receipt: the newest message this member has read (0: none).
    last_read_message_id BIGINT NOT NULL DEFAULT 0,
    last_read_at BIGINT,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user ON conversation_members (user_id, conversation_id);

CREATE TABLE messages (
    id BIGINT PRIMARY KEY,
    conversation_id BIGINT NOT NULL,
    sender_id BIGINT NOT NULL,
    content TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- Ids grow with time: a conversation's history is a range of this index.
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE call_sessions (
    id BIGINT PRIMARY KEY,
    conversation_id BIGINT NOT NULL,
    initiator_id BIGINT NOT NULL,
    -- 'audio' or 'video'.
    kind TEXT NOT NULL,
    -- 'ringing', 'active', 'ended', 'rejected' or 'missed'.
    state TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT
);
CREATE INDEX call_sessions_conversation ON call_sessions (conversation_id, id);

CREATE TABLE last_seen (
    user_id BIGINT PRIMARY KEY,
    last_seen_at BIGINT NOT NULL
);
