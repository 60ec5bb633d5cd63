-- Each known media's public view (JSON text, as `media.uploaded` carries it:
-- {id, url, mime, size, width, height, variants, blurhash}), so that posts
-- show their media without asking the media service. Media recorded before
-- get the least that is known of them: their id and where they are served.
ALTER TABLE media_refs ADD COLUMN view_json TEXT NOT NULL DEFAULT '{}';
UPDATE media_refs SET view_json = '{"id":"' || media_id || '","url":"/media/' || media_id || '"}';
