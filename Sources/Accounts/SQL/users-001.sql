-- Users of the web server and their bearer tokens. Kept apart from the index (index.sqlite), which
-- `lightbox reindex` rebuilds from the stored files: accounts cannot be rebuilt from anything.
CREATE TABLE user (
    name TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created INTEGER NOT NULL            -- seconds since 1970
);

-- Tokens are stored as their SHA-256, so a copy of this file gives no one a working token.
CREATE TABLE token (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_name TEXT NOT NULL REFERENCES user(name) ON DELETE CASCADE,
    expires INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX token_user ON token(user_name);
