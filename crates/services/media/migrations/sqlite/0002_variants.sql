-- Images are decoded and re-encoded on upload; each gets a blurhash and
-- resized WebP variants (narrower than the image only), whose bytes are
-- blobs like any other: keyed `sha256/<hex>`, held in `media_blobs`.

ALTER TABLE media ADD COLUMN blurhash TEXT;

CREATE TABLE media_variants (
    media_id BIGINT NOT NULL,
    -- small, medium or large.
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    PRIMARY KEY (media_id, name)
);
