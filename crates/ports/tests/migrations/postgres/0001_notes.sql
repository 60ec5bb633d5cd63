-- A tiny schema for the store conformance suite.
CREATE TABLE notes (
    id BIGINT PRIMARY KEY,
    owner BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('writes', 0);
