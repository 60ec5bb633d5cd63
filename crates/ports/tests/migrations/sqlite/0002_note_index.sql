CREATE INDEX notes_by_owner ON notes (owner);
