-- The outbox suite's stand-ins for a service's tables: `items` is the change
-- an event is written with; `tally` records each time a consumer applies one.
CREATE TABLE items (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE tally (
    event_id BIGINT NOT NULL
);
