-- Media: one row per upload; the bytes are a blob keyed by their SHA-256,
-- stored once however many uploads share them. Ids are 64-bit, timestamps
-- Unix microseconds, sizes bytes.

CREATE TABLE media (
    id BIGINT PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    -- Hex; the blob's key is `sha256/<hex>` and the ETag is this.
    sha256 TEXT NOT NULL,
    -- Sniffed from the bytes: image/jpeg, image/png, image/gif, image/webp, video/mp4, video/webm.
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- From the image's header; NULL for videos.
    width BIGINT,
    height BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_owner ON media (owner_id, id);

-- How many uploads (and uploads under way) hold each blob. The blob is
-- deleted with the last holder, in the transaction that removes its row:
-- an upload takes its hold (a committed row here) before it stores the
-- blob, so it never loses the blob to a concurrent delete.
CREATE TABLE media_blobs (
    sha256 TEXT PRIMARY KEY,
    holders BIGINT NOT NULL
);

-- Bytes each owner keeps (the sum of their uploads' sizes), charged and
-- refunded with each upload and delete, so the quota holds under
-- concurrent uploads.
CREATE TABLE media_usage (
    owner_id BIGINT PRIMARY KEY,
    used_bytes BIGINT NOT NULL
);
