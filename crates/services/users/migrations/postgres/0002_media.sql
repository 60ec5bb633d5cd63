-- Media each user uploaded, from the media service's events: what may be an
-- avatar (one's own image) and the URL it is served at. Deleted media go.
CREATE TABLE owned_media (
    media_id BIGINT PRIMARY KEY,
    owner_id BIGINT NOT NULL,
    url TEXT NOT NULL,
    mime TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The avatar's URL, copied from its media when chosen, so that cards and
-- profiles read one row; cleared with the avatar when the media is deleted.
ALTER TABLE profiles ADD COLUMN avatar_url TEXT;
CREATE INDEX profiles_avatar ON profiles (avatar_media_id);
